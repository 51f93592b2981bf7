//! The UDP front of a simulated printer: owns the printer's public socket and
//! relays datagrams to the real SNMP agent behind it, misbehaving on the way
//! when told to (dropping, delaying, or answering GETNEXT/GETBULK itself with
//! a broken successor function).
//!
//! The agent library refuses to send non-increasing OIDs (rightly), and
//! timeouts or delays are properties of the wire, so these misbehaviours live
//! here rather than in the MIB handler.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_snmp::message::{CommunityMessage, CommunityPdu};
use async_snmp::{
    CommunityVersion, DecodeConfig, PduBody, ResponsePdu, StandardPduType, Value, VarBind, Version,
};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::misbehaviour::{Misbehaviour, MisbehaviourSwitch, backwards_next};
use crate::mib::MibTree;

/// Clients remembered at once; the least recently seen is forgotten first.
const MAX_RELAYS: usize = 64;
/// A client silent this long is forgotten (its relay socket closed): an
/// SNMP exchange lasts seconds, and a poller uses a new port per poll, so
/// keeping relays longer only piles up sockets (a 500-printer fleet polled
/// for a day ran out of file descriptors).
const RELAY_IDLE: Duration = Duration::from_secs(30);
/// Varbinds a broken GETBULK answer holds at most.
const MAX_BROKEN_VARBINDS: usize = 1000;

struct Relay {
    socket: Arc<UdpSocket>,
    last_used: Instant,
    task: JoinHandle<()>,
}

/// What the front needs to run.
pub(crate) struct Front {
    pub(crate) public: Arc<UdpSocket>,
    pub(crate) agent: SocketAddr,
    pub(crate) tree: Arc<RwLock<MibTree>>,
    pub(crate) mode: MisbehaviourSwitch,
    pub(crate) communities: Vec<String>,
    pub(crate) cancel: CancellationToken,
}

impl Front {
    /// Relays until cancelled.
    pub(crate) async fn run(self) {
        let mut relays: HashMap<SocketAddr, Relay> = HashMap::new();
        let mut buf = vec![0u8; 65_536];
        loop {
            let received = tokio::select! {
                () = self.cancel.cancelled() => break,
                r = self.public.recv_from(&mut buf) => r,
            };
            let Ok((len, client)) = received else {
                // Transient socket errors must not become a busy loop.
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            };
            let datagram = buf.get(..len).unwrap_or_default().to_vec();
            let mode = self.mode.get();
            match mode {
                Misbehaviour::Timeout => continue,
                Misbehaviour::Backwards => {
                    if let Some(answer) = self.answer_backwards(&datagram) {
                        let _ = self.public.send_to(&answer, client).await;
                        continue;
                    }
                }
                _ => {}
            }
            let Some(socket) = self.relay_for(&mut relays, client).await else {
                continue;
            };
            if let Misbehaviour::Slow(delay) = mode {
                let cancel = self.cancel.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        () = cancel.cancelled() => {}
                        () = tokio::time::sleep(delay) => { let _ = socket.send(&datagram).await; }
                    }
                });
            } else {
                let _ = socket.send(&datagram).await;
            }
        }
        for (_, relay) in relays.drain() {
            relay.task.abort();
        }
    }

    /// The socket that speaks to the agent on behalf of `client`, created
    /// (with its answer-relaying task) on first use.
    async fn relay_for(
        &self,
        relays: &mut HashMap<SocketAddr, Relay>,
        client: SocketAddr,
    ) -> Option<Arc<UdpSocket>> {
        if let Some(r) = relays.get_mut(&client) {
            r.last_used = Instant::now();
            return Some(r.socket.clone());
        }
        relays.retain(|_, r| {
            let keep = r.last_used.elapsed() < RELAY_IDLE;
            if !keep {
                r.task.abort();
            }
            keep
        });
        if relays.len() >= MAX_RELAYS
            && let Some(oldest) = relays
                .iter()
                .min_by_key(|(_, r)| r.last_used)
                .map(|(a, _)| *a)
            && let Some(old) = relays.remove(&oldest)
        {
            old.task.abort();
        }
        let local_ip = match self.agent.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip => ip,
        };
        let socket = UdpSocket::bind(SocketAddr::new(local_ip, 0)).await.ok()?;
        socket.connect(self.agent).await.ok()?;
        let socket = Arc::new(socket);
        let (back, public, cancel) = (socket.clone(), self.public.clone(), self.cancel.clone());
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 65_536];
            loop {
                let n = tokio::select! {
                    () = cancel.cancelled() => break,
                    r = back.recv(&mut buf) => match r {
                        Ok(n) => n,
                        Err(_) => {
                            tokio::time::sleep(Duration::from_millis(5)).await;
                            continue;
                        }
                    },
                };
                let _ = public
                    .send_to(buf.get(..n).unwrap_or_default(), client)
                    .await;
            }
        });
        relays.insert(
            client,
            Relay {
                socket: socket.clone(),
                last_used: Instant::now(),
                task,
            },
        );
        Some(socket)
    }

    /// Answers a v1/v2c GETNEXT or GETBULK with the broken successor
    /// function; None for anything else (which the agent then handles).
    fn answer_backwards(&self, datagram: &[u8]) -> Option<Vec<u8>> {
        let msg = CommunityMessage::decode(datagram.to_vec().into(), DecodeConfig::default())
            .ok()?
            .value;
        if !self
            .communities
            .iter()
            .any(|c| c.as_bytes() == msg.community().as_bytes())
        {
            return None;
        }
        let (version, community, pdu) = msg.into_parts();
        let CommunityPdu::Standard(pdu) = pdu else {
            return None;
        };
        let (request_id, body, request) = pdu.into_raw_parts();
        let tree = self.tree.read().unwrap_or_else(|p| p.into_inner());
        let step = |vb: &VarBind| -> VarBind {
            match backwards_next(&tree, &vb.oid) {
                Some((oid, value)) => VarBind::new(oid, value),
                None => VarBind::new(vb.oid.clone(), Value::EndOfMibView),
            }
        };
        let answer: Vec<VarBind> = match body {
            PduBody::Standard {
                pdu_type: StandardPduType::GetNextRequest,
                ..
            } => request.iter().map(step).collect(),
            PduBody::GetBulk {
                non_repeaters,
                max_repetitions,
            } => {
                let nr = usize::try_from(non_repeaters)
                    .unwrap_or(usize::MAX)
                    .min(request.len());
                let (fixed, repeating) = request.split_at(nr);
                let mut out: Vec<VarBind> = fixed.iter().map(step).collect();
                let mut cursor: Vec<VarBind> = repeating.to_vec();
                'rows: for _ in 0..max_repetitions {
                    for vb in &mut cursor {
                        if out.len() >= MAX_BROKEN_VARBINDS {
                            break 'rows;
                        }
                        *vb = step(vb);
                        out.push(vb.clone());
                    }
                    if cursor.is_empty() {
                        break;
                    }
                }
                out
            }
            _ => return None,
        };
        drop(tree);
        let response = ResponsePdu::success(version, request_id, answer)
            .ok()?
            .into_raw();
        let version = match version {
            Version::V1 => CommunityVersion::V1,
            _ => CommunityVersion::V2c,
        };
        CommunityMessage::new(version, community, response)
            .ok()?
            .encode()
            .ok()
            .map(|b| b.to_vec())
    }
}
