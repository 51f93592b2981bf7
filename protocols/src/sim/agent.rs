//! One simulated printer on the network: a real SNMP agent (v1, v2c, and v3
//! USM users) serving a shared, live [`MibTree`] on a UDP address of its own,
//! behind a front that can misbehave on demand.

use std::convert::Infallible;
use std::io::ErrorKind as IoErrorKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, RwLock};

use async_snmp::agent::Agent;
use async_snmp::{AuthoritativeEngine, Oid};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::error::SimError;
use super::front::Front;
use super::misbehaviour::{Misbehaviour, MisbehaviourSwitch};
use super::tree_handler::TreeHandler;
use crate::mib::MibTree;
use crate::snmp::V3Credentials;

/// Largest response the simulated agent sends: big enough that one GETBULK
/// answers a whole printer, as on agents with a jumbo `maxMsgSize`.
const MAX_MESSAGE_SIZE: usize = 65_000;

/// How to reach a simulated printer.
#[derive(Debug, Clone)]
pub struct SimAgentConfig {
    /// The public address (e.g. `127.0.0.10:1161`); port 0 picks one.
    pub bind: SocketAddr,
    /// Communities accepted for v1 and v2c.
    pub communities: Vec<String>,
    /// SNMPv3 users (authNoPriv or authPriv); their context is ignored, every
    /// context name sees the same tree.
    pub users: Vec<V3Credentials>,
}

impl SimAgentConfig {
    /// Community "public", no v3 user.
    pub fn new(bind: SocketAddr) -> Self {
        Self {
            bind,
            communities: vec!["public".to_string()],
            users: Vec::new(),
        }
    }

    /// Adds a v3 user.
    pub fn with_user(mut self, user: V3Credentials) -> Self {
        self.users.push(user);
        self
    }
}

/// A running simulated printer. Dropping it stops it too; `shutdown` also
/// waits until its sockets are closed.
pub struct SimAgent {
    local_addr: SocketAddr,
    tree: Arc<RwLock<MibTree>>,
    mode: MisbehaviourSwitch,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for SimAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimAgent")
            .field("local_addr", &self.local_addr)
            .field("misbehaviour", &self.mode.get())
            .finish_non_exhaustive()
    }
}

impl SimAgent {
    /// Binds `config.bind` and starts serving `tree`.
    ///
    /// # Errors
    /// [`SimError::AddrInUse`] when the address is taken, [`SimError::Bind`]
    /// for other socket failures, [`SimError::Agent`] when the SNMP agent
    /// rejects the configuration (e.g. a password shorter than 8 characters).
    pub async fn start(
        config: SimAgentConfig,
        tree: Arc<RwLock<MibTree>>,
    ) -> Result<Self, SimError> {
        let public = UdpSocket::bind(config.bind).await.map_err(|e| {
            if e.kind() == IoErrorKind::AddrInUse {
                SimError::AddrInUse { addr: config.bind }
            } else {
                SimError::Bind {
                    addr: config.bind,
                    detail: e.to_string(),
                }
            }
        })?;
        let local_addr = public.local_addr().map_err(|e| SimError::Bind {
            addr: config.bind,
            detail: e.to_string(),
        })?;
        let agent_err = |detail: String| SimError::Agent {
            addr: local_addr,
            detail,
        };
        let inner_ip = match local_addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip => ip,
        };
        let mode = MisbehaviourSwitch::default();
        let cancel = CancellationToken::new();
        let handler = Arc::new(TreeHandler {
            tree: tree.clone(),
            mode: mode.clone(),
        });
        let mut builder = Agent::builder()
            .bind(SocketAddr::new(inner_ip, 0).to_string())
            .communities(config.communities.iter().map(|c| c.as_bytes().to_vec()))
            .handler(Oid::from_slice(&[1]), handler)
            .allow_all_access()
            .max_message_size(MAX_MESSAGE_SIZE)
            .cancellation_token(cancel.child_token());
        if !config.users.is_empty() {
            let engine =
                AuthoritativeEngine::install(engine_id(local_addr), |_| Ok::<(), Infallible>(()))
                    .map_err(|e| agent_err(e.to_string()))?;
            builder = builder.authoritative_engine(engine);
            for user in &config.users {
                let u = user.clone();
                builder = builder
                    .usm_user(user.user.clone().into_bytes(), move |usm| {
                        match (&u.auth, &u.privacy) {
                            (Some((ap, apw)), Some((pp, ppw))) => usm.auth_priv(
                                ap.to_lib(),
                                apw.as_bytes(),
                                pp.to_lib(),
                                ppw.as_bytes(),
                            ),
                            (Some((ap, apw)), None) => usm.auth(ap.to_lib(), apw.as_bytes()),
                            _ => Ok(usm),
                        }
                    })
                    .map_err(|e| agent_err(format!("user {:?}: {e}", user.user)))?;
            }
        }
        let agent = builder
            .build()
            .await
            .map_err(|e| agent_err(e.to_string()))?;
        let agent_addr = agent.local_addr();
        let agent = Arc::new(agent);
        let run = tokio::spawn(async move {
            if let Err(e) = agent.run().await {
                tracing::warn!(%local_addr, "simulated SNMP agent stopped: {e}");
            }
        });
        let front = Front {
            public: Arc::new(public),
            agent: agent_addr,
            tree: tree.clone(),
            mode: mode.clone(),
            communities: config.communities.clone(),
            cancel: cancel.clone(),
        };
        let relay = tokio::spawn(front.run());
        Ok(Self {
            local_addr,
            tree,
            mode,
            cancel,
            tasks: vec![relay, run],
        })
    }

    /// The address clients poll.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The tree served; write to it to change what the printer reports.
    pub fn tree(&self) -> &Arc<RwLock<MibTree>> {
        &self.tree
    }

    /// Switches behaviour; applies to the next request.
    pub fn set_misbehaviour(&self, m: Misbehaviour) {
        self.mode.set(m);
    }

    /// The current behaviour.
    pub fn misbehaviour(&self) -> Misbehaviour {
        self.mode.get()
    }

    /// A handle to switch behaviour from elsewhere (e.g. a control API).
    pub fn misbehaviour_switch(&self) -> MisbehaviourSwitch {
        self.mode.clone()
    }

    /// Stops serving and waits until the sockets are released.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for SimAgent {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// A stable SNMPv3 engine ID per address (RFC 3411 text format, 5–32 bytes).
fn engine_id(addr: SocketAddr) -> Vec<u8> {
    let mut id = vec![0x80, 0x00, 0x1f, 0x88, 0x04];
    let text = format!("asrsim{addr}");
    id.extend(text.bytes().take(27));
    id
}
