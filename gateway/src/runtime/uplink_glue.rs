//! The store as the uplink's outbox, and the pieces of the uplink the rest of
//! the gateway reads (connection state for the page, the status payload).

use std::sync::{Arc, Mutex};

use asr_cloud_sync::{
    Credentials as BrokerCredentials, GatewayId, MessageKind, Outbox, OutboxError, OutboxMessage,
    OutboxStats, StatusPayload, UplinkConfig, UplinkState as LinkState,
};
use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::clock::Clock;

use super::settings::MqttSettings;
use crate::store::{OutboxKind, Store};

/// The store seen through the uplink's outbox contract.
pub(crate) struct StoreOutbox(pub Arc<Store>);

impl Outbox for StoreOutbox {
    fn pending(&self, after: i64, limit: usize) -> Result<Vec<OutboxMessage>, OutboxError> {
        let rows = self
            .0
            .outbox_pending_after(after, limit)
            .map_err(|e| OutboxError::new("pending", e))?;
        Ok(rows
            .into_iter()
            .map(|row| OutboxMessage {
                id: row.id,
                kind: match row.kind {
                    OutboxKind::Order => MessageKind::Order,
                    OutboxKind::Alert => MessageKind::Alert,
                    OutboxKind::Level => MessageKind::Level,
                    OutboxKind::Event => MessageKind::Event,
                    OutboxKind::Lives => MessageKind::Lives,
                },
                payload: row.payload.into_bytes(),
            })
            .collect())
    }

    fn mark_sent(&self, ids: &[i64]) -> Result<(), OutboxError> {
        self.0
            .outbox_mark_sent(ids)
            .map(|_| ())
            .map_err(|e| OutboxError::new("mark_sent", e))
    }

    fn depth(&self) -> Result<u64, OutboxError> {
        self.0
            .outbox_depth()
            .map_err(|e| OutboxError::new("depth", e))
    }

    fn stats(&self) -> Result<OutboxStats, OutboxError> {
        let f = self
            .0
            .outbox_figures()
            .map_err(|e| OutboxError::new("stats", e))?;
        Ok(OutboxStats {
            depth: f.depth,
            bytes: f.bytes,
            oldest_created_at: f.oldest_created_at,
            levels_thinned: f.levels_thinned,
            levels_dropped: f.levels_dropped,
        })
    }
}

/// The uplink's settings from ours.
pub(crate) fn uplink_config(mqtt: &MqttSettings, gateway_id: &str) -> Result<UplinkConfig, String> {
    let id = GatewayId::new(gateway_id).map_err(|e| e.to_string())?;
    let mut config = UplinkConfig::new(mqtt.host.clone(), mqtt.port, id);
    config.client_id = mqtt.client_id.clone();
    config.keep_alive = mqtt.keep_alive;
    config.transport = mqtt.transport.clone();
    config.credentials = match (&mqtt.username, &mqtt.password) {
        (Some(u), p) => Some(BrokerCredentials {
            username: u.clone(),
            password: p.clone().unwrap_or_default(),
        }),
        (None, _) => None,
    };
    Ok(config)
}

/// The health document: printers managed and outbox depth, read from the store.
pub(crate) fn status_payload(store: &Store, gateway_id: &str, version: &str) -> StatusPayload {
    let mut status = StatusPayload::new(gateway_id, version);
    status.online = true;
    status.storage = store.storage().state().as_str().to_owned();
    status.printers = store
        .printers()
        .map(|p| u32::try_from(p.len()).unwrap_or(u32::MAX))
        .unwrap_or(0);
    if let Ok(f) = store.outbox_figures() {
        status.outbox_depth = f.depth;
        status.outbox_bytes = f.bytes;
        status.outbox_oldest_at = f.oldest_created_at;
        status.levels_thinned = f.levels_thinned;
        status.levels_dropped = f.levels_dropped;
    }
    status.clock_synced = store.clock_synced();
    status
}

/// The link's state at one moment.
#[derive(Debug, Clone, Default)]
pub(crate) struct LinkView {
    /// Broker address.
    pub broker: String,
    /// Connected now.
    pub connected: bool,
    /// Since when connected (or failing).
    pub since: Option<DateTime<Utc>>,
    /// Why the last connection failed, while not connected.
    pub last_error: Option<String>,
    /// When the broker last acknowledged a message (gateway clock).
    pub last_sent_at: Option<DateTime<Utc>>,
}

/// The uplink's connection state as the status page reads it.
pub(crate) struct UplinkState {
    broker: String,
    link: Mutex<Option<watch::Receiver<LinkState>>>,
    /// When the broker last acknowledged a message (gateway clock).
    last_sent: Arc<Mutex<Option<DateTime<Utc>>>>,
}

impl UplinkState {
    pub fn new(mqtt: &MqttSettings) -> Self {
        Self {
            broker: format!(
                "{}://{}:{}",
                match (&mqtt.transport.carrier, mqtt.transport.is_tls()) {
                    (asr_cloud_sync::Carrier::Tcp, false) => "mqtt",
                    (asr_cloud_sync::Carrier::Tcp, true) => "mqtts",
                    (asr_cloud_sync::Carrier::WebSocket { .. }, false) => "ws",
                    (asr_cloud_sync::Carrier::WebSocket { .. }, true) => "wss",
                },
                mqtt.host,
                mqtt.port
            ),
            link: Mutex::new(None),
            last_sent: Arc::new(Mutex::new(None)),
        }
    }

    /// Follows `uplink`'s state from now on; notes the time of each
    /// acknowledged delivery (the task ends with the uplink).
    pub fn watch(&self, uplink: &asr_cloud_sync::Uplink, clock: Arc<dyn Clock>) {
        if let Ok(mut l) = self.link.lock() {
            *l = Some(uplink.state());
        }
        let mut rx = uplink.state();
        let last_sent = self.last_sent.clone();
        tokio::spawn(async move {
            let mut delivered = 0;
            while rx.changed().await.is_ok() {
                let now = rx.borrow().delivered;
                if now > delivered {
                    delivered = now;
                    if let Ok(mut t) = last_sent.lock() {
                        *t = Some(clock.now());
                    }
                }
            }
        });
    }

    /// The link as the page and `get_status` show it.
    pub fn link(&self) -> LinkView {
        let state = self
            .link
            .lock()
            .ok()
            .and_then(|l| l.as_ref().map(|rx| rx.borrow().clone()))
            .unwrap_or_default();
        LinkView {
            broker: self.broker.clone(),
            connected: state.connected,
            since: state.since,
            last_error: state.last_error,
            last_sent_at: self.last_sent.lock().ok().and_then(|t| *t),
        }
    }
}
