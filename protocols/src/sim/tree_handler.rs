//! The `MibHandler` that answers the real SNMP agent's GET and GETNEXT from
//! a shared, live-updated [`MibTree`], as seen through the current
//! [`Misbehaviour`].

use std::sync::{Arc, RwLock};

use async_snmp::VarBind;
use async_snmp::handler::{
    BoxFuture, GetNextResult, GetResult, HandlerResult, MibHandler, RequestContext,
};

use super::misbehaviour::{MisbehaviourSwitch, view_get, view_next};
use crate::mib::{MibTree, Oid};

/// Serves one printer's tree to the agent.
pub(crate) struct TreeHandler {
    pub(crate) tree: Arc<RwLock<MibTree>>,
    pub(crate) mode: MisbehaviourSwitch,
}

impl MibHandler for TreeHandler {
    fn get<'a>(
        &'a self,
        _ctx: &'a RequestContext,
        oid: &'a Oid,
    ) -> BoxFuture<'a, HandlerResult<GetResult>> {
        let tree = self.tree.read().unwrap_or_else(|p| p.into_inner());
        let answer = match view_get(&tree, self.mode.get(), oid) {
            Some(v) => GetResult::Value(v),
            None => {
                // An instance of a known object type is noSuchInstance;
                // anything else is noSuchObject.
                let parent = oid.parent();
                let known = parent.as_ref().is_some_and(|p| {
                    tree.next_after(p)
                        .is_some_and(|(next, _)| next.starts_with(p))
                });
                if known {
                    GetResult::NoSuchInstance
                } else {
                    GetResult::NoSuchObject
                }
            }
        };
        drop(tree);
        Box::pin(async move { Ok(answer) })
    }

    fn get_next<'a>(
        &'a self,
        _ctx: &'a RequestContext,
        oid: &'a Oid,
    ) -> BoxFuture<'a, HandlerResult<GetNextResult>> {
        let tree = self.tree.read().unwrap_or_else(|p| p.into_inner());
        let answer = match view_next(&tree, self.mode.get(), oid) {
            Some((next, value)) => GetNextResult::Value(VarBind::new(next, value)),
            None => GetNextResult::EndOfMibView,
        };
        drop(tree);
        Box::pin(async move { Ok(answer) })
    }
}
