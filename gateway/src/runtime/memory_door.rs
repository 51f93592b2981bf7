//! Orders and alerts the store could not keep, handed to the uplink from
//! memory — once each. A full or read-only card must not keep an order from
//! the supplier: the engine keeps its decisions in memory and retries the
//! commit, and meanwhile each one goes upstream through the uplink's memory
//! queue with the id its outbox row will carry, so the copy delivered later
//! from the outbox is a duplicate upstream drops.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use asr_cloud_sync::{MemoryMessage, MemorySender, MessageKind};
use chrono::{DateTime, Utc};
use tracing::{info, warn};

use crate::store::{OutboxKind, Store};

/// Ids remembered as already sent from memory (older ones are forgotten:
/// a decision that old has long been stored or sent).
const REMEMBERED: usize = 1024;

/// The uplink's memory queue, with what was sent through it.
pub(crate) struct MemoryDoor {
    sender: MemorySender,
    sent: Mutex<Remembered>,
}

#[derive(Default)]
struct Remembered {
    order: VecDeque<String>,
    set: HashSet<String>,
}

impl MemoryDoor {
    pub(crate) fn new(sender: MemorySender) -> Self {
        Self {
            sender,
            sent: Mutex::new(Remembered::default()),
        }
    }

    /// Sends the message the outbox would hold for `payload` (an order's
    /// id is `reference`, an alert carries its own), unless `id` was sent
    /// this way before. True when it went (or had gone) to the uplink.
    pub(crate) fn send_once(
        &self,
        store: &Store,
        kind: OutboxKind,
        id: &str,
        payload: &str,
        at: DateTime<Utc>,
        reference: Option<&str>,
    ) -> bool {
        let Ok(mut sent) = self.sent.lock() else {
            return false;
        };
        if sent.set.contains(id) {
            return true;
        }
        let message = MemoryMessage {
            kind: match kind {
                OutboxKind::Order => MessageKind::Order,
                OutboxKind::Alert => MessageKind::Alert,
                OutboxKind::Level => MessageKind::Level,
                OutboxKind::Event => MessageKind::Event,
                OutboxKind::Lives => MessageKind::Lives,
            },
            payload: store.memory_copy(kind, payload, at, reference).into_bytes(),
        };
        if !self.sender.send(message) {
            warn!(%id, kind = kind.as_str(), "cannot hand a message that could not be stored to the uplink (its memory queue is full)");
            return false;
        }
        info!(%id, kind = kind.as_str(), "sent upstream from memory: the store cannot keep it for now");
        sent.set.insert(id.to_owned());
        sent.order.push_back(id.to_owned());
        if sent.order.len() > REMEMBERED
            && let Some(old) = sent.order.pop_front()
        {
            sent.set.remove(&old);
        }
        true
    }
}
