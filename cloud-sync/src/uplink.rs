//! The uplink task: drains the outbox to the broker at-least-once, keeps the
//! retained health status (with an offline last will), and receives commands.
//!
//! Each connection attempt gets a fresh rumqttc client and event loop, polled
//! by a helper task that is never cancelled mid-write (rumqttc's `poll` is not
//! cancel-safe). A fresh pair per connection also means no request queued
//! for a dead connection can leak into the next one, and the last will is
//! rebuilt from the current status each time. Outbox rows are marked sent
//! only after the broker's PubAck; anything unacked when a connection drops
//! is still pending in the outbox and is published again after reconnecting.
//!
//! The session is persistent (`clean_session = false`): commands sent while
//! the gateway was offline wait at the broker, and subscriptions are only
//! made again when the broker says it kept no session. The retained status
//! is published on connect, when something in it changes, and as a
//! heartbeat — not on every outbox movement, which at thousands of gateways
//! would be thousands of retained writes a second for nothing. Reconnects
//! wait a random part of an exponential backoff, so a fleet that lost its
//! broker does not come back in one wave.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rumqttc::{
    AsyncClient, ConnectionError, Event, EventLoop, LastWill, MqttOptions, Outgoing, Packet,
    Publish, QoS,
};
use thiserror::Error;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::catalog::{CatalogScope, parse_catalog};
use crate::commands::{
    Command, CommandAction, CommandError, CommandReply, CommandResponse, CommandStatus,
    CommandUpdate, fnv1a, parse_command, parse_order_status,
};
use crate::inflight::{InflightTracker, Tag};
use crate::memory_messages::{MEMORY_QUEUE, MemoryMessage, MemorySender};
use crate::outbox::{MessageKind, Outbox, OutboxError, OutboxMessage, OutboxStats};
use crate::payload::{SCHEMA_VERSION, StatusPayload, message_key, with_envelope};
use crate::topics::{FLEET_CATALOG_TOPIC, GatewayId, Topic, TopicSchema};
use crate::transport::{TransportError, TransportSettings, describe_tls};

/// Broker credentials; `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// How to reach the broker and how hard to push.
#[derive(Debug, Clone)]
pub struct UplinkConfig {
    pub host: String,
    pub port: u16,
    /// TCP or WebSockets, TLS or not; never a fallback from one to the other.
    pub transport: TransportSettings,
    /// MQTT client id; must be unique on the broker (a duplicate kicks the
    /// other session out).
    pub client_id: String,
    pub gateway_id: GatewayId,
    /// MQTT keep-alive: zero, or at least one second.
    pub keep_alive: Duration,
    pub credentials: Option<Credentials>,
    /// Outbox messages published but not yet acked, at most.
    pub max_inflight: u16,
    /// Acked ids marked sent in one `mark_sent` call, at most.
    pub batch: usize,
    /// How often the outbox is polled without a wake-up.
    pub poll_interval: Duration,
    /// The retained status is published again after this long even when
    /// nothing in it changed (outbox figures ride along).
    pub status_heartbeat: Duration,
    /// Two status publications are at least this far apart, however often
    /// the gateway's state flips.
    pub status_min_interval: Duration,
    /// First reconnection delay, doubled after each failure up to `retry_max`.
    pub retry_min: Duration,
    pub retry_max: Duration,
    /// How long shutdown waits for the offline status to be acked.
    pub shutdown_timeout: Duration,
}

impl UplinkConfig {
    /// Defaults fit a Raspberry Pi on a customer LAN talking to a cloud broker.
    pub fn new(host: impl Into<String>, port: u16, gateway_id: GatewayId) -> Self {
        Self {
            host: host.into(),
            port,
            transport: TransportSettings::tcp(),
            client_id: format!("asr-gateway-{gateway_id}"),
            gateway_id,
            keep_alive: Duration::from_secs(30),
            credentials: None,
            max_inflight: 32,
            batch: 64,
            poll_interval: Duration::from_secs(5),
            status_heartbeat: Duration::from_secs(300),
            status_min_interval: Duration::from_secs(10),
            retry_min: Duration::from_millis(500),
            retry_max: Duration::from_secs(60),
            shutdown_timeout: Duration::from_secs(3),
        }
    }

    fn validate(&self) -> Result<(), UplinkError> {
        let bad = |reason: &str| Err(UplinkError::InvalidConfig(reason.to_string()));
        if self.host.is_empty() {
            return bad("broker host is empty");
        }
        if self.port == 0 {
            return bad("broker port is 0");
        }
        if self.client_id.is_empty() {
            return bad("client id is empty");
        }
        if !self.keep_alive.is_zero() && self.keep_alive < Duration::from_secs(1) {
            return bad("keep_alive must be zero or at least one second");
        }
        if self.max_inflight == 0 || self.max_inflight > 1000 {
            return bad("max_inflight must be between 1 and 1000");
        }
        if self.batch == 0 {
            return bad("batch must be at least 1");
        }
        if self.poll_interval.is_zero() || self.retry_min.is_zero() {
            return bad("poll_interval and retry_min must be positive");
        }
        if self.retry_max < self.retry_min {
            return bad("retry_max must not be below retry_min");
        }
        if self.status_heartbeat.is_zero() || self.status_min_interval > self.status_heartbeat {
            return bad("status_heartbeat must be positive and at least status_min_interval");
        }
        Ok(())
    }
}

#[derive(Debug, Error)]
pub enum UplinkError {
    #[error("invalid uplink configuration: {0}")]
    InvalidConfig(String),
    #[error("MQTT transport: {0}")]
    Transport(#[from] TransportError),
}

/// What the uplink is doing, for status pages and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UplinkState {
    pub connected: bool,
    /// The last connection failure, with the broker address.
    pub last_error: Option<String>,
    /// Outbox rows marked sent since start.
    pub delivered: u64,
    /// Successful connections since start.
    pub connections: u64,
    /// Retained status documents published since start.
    pub status_published: u64,
    /// When the current connection (or the last failure) began.
    pub since: Option<DateTime<Utc>>,
}

/// Extra rumqttc in-flight slots for status and command responses, so they
/// are never stuck behind a full window of outbox messages.
const CONTROL_INFLIGHT: u16 = 16;
/// Command ids remembered to drop redelivered commands.
const SEEN_COMMANDS: usize = 1024;
/// Shortest wait before a reconnection attempt, whatever the jitter drew.
const MIN_RETRY: Duration = Duration::from_millis(50);

/// The MQTT uplink of one gateway.
pub struct Uplink {
    config: UplinkConfig,
    schema: TopicSchema,
    state: watch::Sender<UplinkState>,
    /// Certificates read and parsed once, at construction.
    transport: rumqttc::Transport,
    broker_addr: String,
    /// Messages the gateway could not store, for `run` to publish.
    memory_tx: MemorySender,
    memory_rx: mpsc::Receiver<MemoryMessage>,
}

impl fmt::Debug for Uplink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Uplink")
            .field("config", &self.config)
            .field("broker_addr", &self.broker_addr)
            .finish_non_exhaustive()
    }
}

enum SessionEnd {
    Shutdown,
    Lost { error: String, was_connected: bool },
}

impl Uplink {
    pub fn new(config: UplinkConfig) -> Result<Uplink, UplinkError> {
        config.validate()?;
        let prepared = config.transport.prepare(&config.host, config.port)?;
        let schema = TopicSchema::new(config.gateway_id.clone());
        let (state, _) = watch::channel(UplinkState::default());
        let (memory_tx, memory_rx) = crate::memory_messages::channel();
        Ok(Uplink {
            config,
            schema,
            state,
            transport: prepared.transport,
            broker_addr: prepared.broker_addr,
            memory_tx,
            memory_rx,
        })
    }

    pub fn schema(&self) -> &TopicSchema {
        &self.schema
    }

    /// Where to hand messages that could not be stored in the outbox; they
    /// are published from memory once [`Uplink::run`] runs.
    pub fn memory_sender(&self) -> MemorySender {
        self.memory_tx.clone()
    }

    /// Follows the connection state; valid before and during [`Uplink::run`].
    pub fn state(&self) -> watch::Receiver<UplinkState> {
        self.state.subscribe()
    }

    fn broker(&self) -> String {
        let scheme = match (
            &self.config.transport.carrier,
            self.config.transport.is_tls(),
        ) {
            (crate::transport::Carrier::Tcp, false) => "mqtt",
            (crate::transport::Carrier::Tcp, true) => "mqtts",
            (crate::transport::Carrier::WebSocket { .. }, false) => "ws",
            (crate::transport::Carrier::WebSocket { .. }, true) => "wss",
        };
        format!("{scheme}://{}:{}", self.config.host, self.config.port)
    }

    /// Runs until `shutdown` is cancelled, reconnecting forever. `status`
    /// provides version and printer count; the uplink fills in `online`,
    /// `gateway_id`, `outbox_depth`, `since` and `updated_at`.
    pub async fn run(
        mut self,
        outbox: Arc<dyn Outbox>,
        wake: Arc<Notify>,
        status: watch::Receiver<StatusPayload>,
        commands: mpsc::Sender<Command>,
        shutdown: CancellationToken,
    ) -> Result<(), UplinkError> {
        let (reply_tx, reply_rx) = mpsc::unbounded_channel();
        // Replaced by a closed channel: `run` owns the real receiver now.
        let memory_rx = std::mem::replace(&mut self.memory_rx, mpsc::channel(1).1);
        let mut shared = Shared {
            memory_rx,
            pending_memory: VecDeque::new(),
            outbox,
            wake,
            status,
            commands,
            reply_tx,
            reply_rx,
            status_open: true,
            seen: SeenCommands::default(),
            pending_responses: VecDeque::new(),
            retained_commands: HashSet::new(),
            response_seq: 0,
        };
        let mut delay = self.config.retry_min;
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            match self.session(&mut shared, &shutdown).await {
                SessionEnd::Shutdown => {
                    self.state.send_modify(|s| s.connected = false);
                    return Ok(());
                }
                SessionEnd::Lost {
                    error,
                    was_connected,
                } => {
                    if was_connected {
                        delay = self.config.retry_min;
                    }
                    let message = if was_connected {
                        format!("lost connection to MQTT broker {}: {error}", self.broker())
                    } else {
                        format!("cannot connect to MQTT broker {}: {error}", self.broker())
                    };
                    let wait = jittered(delay);
                    tracing::warn!("{message}; retrying in {wait:?}");
                    self.state.send_modify(|s| {
                        if s.connected || s.since.is_none() {
                            s.since = Some(Utc::now());
                        }
                        s.connected = false;
                        s.last_error = Some(message);
                    });
                    tokio::select! {
                        _ = shutdown.cancelled() => return Ok(()),
                        _ = tokio::time::sleep(wait) => {}
                    }
                    delay = (delay * 2).min(self.config.retry_max);
                }
            }
        }
    }

    fn mqtt_options(&self, will: &StatusPayload) -> MqttOptions {
        let c = &self.config;
        let mut options = MqttOptions::new(c.client_id.clone(), self.broker_addr.clone(), c.port);
        options.set_transport(self.transport.clone());
        options.set_keep_alive(c.keep_alive);
        // Persistent: commands sent while we were away wait at the broker.
        options.set_clean_session(false);
        options.set_inflight(c.max_inflight + CONTROL_INFLIGHT);
        options.set_max_packet_size(1024 * 1024, 1024 * 1024);
        if let Some(credentials) = &c.credentials {
            options.set_credentials(credentials.username.clone(), credentials.password.clone());
        }
        options.set_last_will(LastWill::new(
            self.schema.topic(&Topic::Status),
            will.to_json(),
            QoS::AtLeastOnce,
            true,
        ));
        options
    }

    /// One connection, from the connect attempt to its loss or shutdown.
    async fn session(&self, shared: &mut Shared, shutdown: &CancellationToken) -> SessionEnd {
        let started = Utc::now();
        let stats = blocking_outbox(&shared.outbox, |o| o.stats()).await.ok();
        let will = self.status_doc(shared, false, started, stats.as_ref());
        let capacity = usize::from(self.config.max_inflight) + 64;
        let (client, eventloop) = AsyncClient::new(self.mqtt_options(&will), capacity);
        let (event_tx, mut events) = mpsc::channel(1024);
        let _poller = AbortOnDrop(tokio::spawn(poll_connection(eventloop, event_tx)));

        let mut s = SessionState {
            client,
            capacity,
            tracker: InflightTracker::default(),
            connected: false,
            since: started,
            fetch: true,
            cursor: 0,
            last_status: None,
            last_status_at: None,
            status_dirty: true,
            outbox_failing: false,
            unacked_responses: Vec::new(),
            unacked_memory: Vec::new(),
        };
        let mut tick = tokio::time::interval(self.config.poll_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

        loop {
            tokio::select! {
                _ = shutdown.cancelled() => {
                    if s.connected {
                        self.shut_down(shared, &mut s, &mut events).await;
                    }
                    return SessionEnd::Shutdown;
                }
                event = events.recv() => {
                    let event = match event {
                        Some(Ok(event)) => event,
                        Some(Err(error)) => {
                            self.end_session(shared, &mut s).await;
                            return SessionEnd::Lost { error, was_connected: s.connected };
                        }
                        None => {
                            self.end_session(shared, &mut s).await;
                            return SessionEnd::Lost {
                                error: "MQTT event loop stopped".to_string(),
                                was_connected: s.connected,
                            };
                        }
                    };
                    self.on_event(shared, &mut s, event).await;
                }
                _ = shared.wake.notified(), if s.connected => s.fetch = true,
                _ = tick.tick() => {
                    if s.connected {
                        s.fetch = true;
                        self.flush_acked(shared, &mut s).await;
                        if s.last_status_at.is_some_and(|t| t.elapsed() >= self.config.status_heartbeat) {
                            s.status_dirty = true;
                        }
                    }
                }
                changed = shared.status.changed(), if s.connected && shared.status_open => {
                    match changed {
                        Ok(()) => {
                            let current = shared.status.borrow().clone();
                            if s.last_status.as_ref().is_none_or(|last| status_differs(last, &current)) {
                                s.status_dirty = true;
                            }
                        }
                        // The gateway dropped its sender: keep its last value.
                        Err(_) => shared.status_open = false,
                    }
                }
                Some(update) = shared.reply_rx.recv() => {
                    shared.pending_responses.push_back(update);
                }
                Some(message) = shared.memory_rx.recv() => shared.queue_memory(message),
            }
            if s.connected {
                self.pump(shared, &mut s).await;
            }
        }
    }

    async fn on_event(&self, shared: &mut Shared, s: &mut SessionState, event: Event) {
        match event {
            Event::Incoming(Packet::ConnAck(ack)) => {
                s.connected = true;
                s.since = Utc::now();
                s.status_dirty = true;
                s.last_status_at = None;
                s.fetch = true;
                tracing::info!(broker = %self.broker(), client_id = %self.config.client_id, session_present = ack.session_present, "connected to MQTT broker");
                self.state.send_modify(|st| {
                    st.connected = true;
                    st.connections += 1;
                    st.last_error = None;
                    st.since = Some(s.since);
                });
                if !ack.session_present {
                    let filters = [
                        self.schema.command_filter(),
                        self.schema.order_status_filter(),
                        self.schema.topic(&Topic::Catalog),
                        FLEET_CATALOG_TOPIC.to_string(),
                    ]
                    .map(|path| rumqttc::SubscribeFilter::new(path, QoS::AtLeastOnce));
                    if let Err(e) = s.client.try_subscribe_many(filters) {
                        tracing::warn!("cannot subscribe to commands: {e}");
                    }
                }
            }
            Event::Outgoing(Outgoing::Publish(pkid)) => s.tracker.on_outgoing_publish(pkid),
            Event::Incoming(Packet::PubAck(ack)) => match s.tracker.on_puback(ack.pkid) {
                Some(Tag::Response(seq)) => {
                    s.unacked_responses.retain(|(n, _)| *n != seq);
                    s.unacked_memory.retain(|(n, _)| *n != seq);
                }
                Some(Tag::Outbox(_)) => {
                    if s.tracker.acked_len() >= self.config.batch
                        || s.tracker.outstanding_outbox() == 0
                    {
                        self.flush_acked(shared, s).await;
                    }
                    // Room in the window again.
                    s.fetch = true;
                }
                _ => {}
            },
            Event::Incoming(Packet::Publish(publish)) => self.on_publish(shared, publish),
            _ => {}
        }
    }

    /// Publishes what is waiting: status, command responses, then outbox rows.
    async fn pump(&self, shared: &mut Shared, s: &mut SessionState) {
        let status_due = s
            .last_status_at
            .is_none_or(|t| t.elapsed() >= self.config.status_min_interval);
        if s.status_dirty && status_due && s.has_room() {
            let stats = blocking_outbox(&shared.outbox, |o| o.stats()).await.ok();
            let doc = self.status_doc(shared, true, s.since, stats.as_ref());
            if s.publish(
                &self.schema.topic(&Topic::Status),
                true,
                doc.to_json(),
                Tag::Status,
            ) {
                s.status_dirty = false;
                s.last_status = Some(doc);
                s.last_status_at = Some(tokio::time::Instant::now());
                self.state.send_modify(|st| st.status_published += 1);
            }
        }
        while s.has_room() {
            let Some(update) = shared.pending_responses.pop_front() else {
                break;
            };
            if !self.publish_response(shared, s, update) {
                break;
            }
        }
        while s.has_room() {
            let Some(message) = shared.pending_memory.pop_front() else {
                break;
            };
            if !self.publish_memory(shared, s, message) {
                break;
            }
        }
        if s.fetch {
            self.fetch_outbox(shared, s).await;
        }
    }

    async fn fetch_outbox(&self, shared: &mut Shared, s: &mut SessionState) {
        let window = usize::from(self.config.max_inflight)
            .saturating_sub(s.tracker.outstanding_outbox())
            .min(s.room());
        // Refill in chunks (a quarter of the window at least) rather than
        // one row per PubAck: one outbox read per chunk, not per message.
        let chunk = usize::from(self.config.max_inflight).div_ceil(4);
        if window == 0 || (window < chunk && s.tracker.outstanding_outbox() > 0) {
            return;
        }
        s.fetch = false;
        let after = s.cursor;
        let rows = match blocking_outbox(&shared.outbox, move |o| o.pending(after, window)).await {
            Ok(rows) => {
                if s.outbox_failing {
                    tracing::info!("outbox readable again");
                    s.outbox_failing = false;
                }
                rows
            }
            Err(e) => {
                if !s.outbox_failing {
                    tracing::error!("cannot read the outbox, retrying at the next poll: {e}");
                    s.outbox_failing = true;
                }
                return;
            }
        };
        let fresh: Vec<OutboxMessage> = rows
            .into_iter()
            .filter(|m| !s.tracker.contains(m.id))
            .take(window)
            .collect();
        // A full window means more rows may be waiting: fetch again on the next ack.
        let full = fresh.len() == window;
        for message in fresh {
            if let Err(e) = message_key(message.kind, &message.payload) {
                tracing::warn!(
                    id = message.id,
                    "outbox message breaks the envelope convention (sent anyway): {e}"
                );
            }
            let topic = self.schema.topic(&Topic::for_kind(message.kind));
            let payload = with_envelope(message.payload, &self.config.gateway_id);
            let id = message.id;
            // A lives report replaces the previous one: kept by the broker
            // for a consumer that starts later.
            let retain = message.kind == MessageKind::Lives;
            if !s.publish(&topic, retain, payload, Tag::Outbox(id)) {
                break;
            }
            s.cursor = s.cursor.max(id);
        }
        if full {
            s.fetch = true;
        }
    }

    async fn flush_acked(&self, shared: &Shared, s: &mut SessionState) {
        let ids = s.tracker.take_acked();
        if ids.is_empty() {
            return;
        }
        let to_mark = ids.clone();
        match blocking_outbox(&shared.outbox, move |o| o.mark_sent(&to_mark)).await {
            Ok(()) => {
                s.tracker.confirmed(&ids);
                let count = ids.len() as u64;
                self.state.send_modify(|st| st.delivered += count);
                tracing::debug!(count, "outbox messages delivered");
            }
            Err(e) => {
                tracing::error!(
                    "cannot mark {} delivered outbox messages as sent (they may be sent again): {e}",
                    ids.len()
                );
                s.tracker.restore(ids);
            }
        }
    }

    /// What a connection leaves behind: acked rows marked sent, and the
    /// command answers it could not deliver queued again, in order.
    async fn end_session(&self, shared: &mut Shared, s: &mut SessionState) {
        self.flush_acked(shared, s).await;
        let mut unacked = std::mem::take(&mut s.unacked_responses);
        unacked.sort_by_key(|(seq, _)| *seq);
        for (_, update) in unacked.into_iter().rev() {
            shared.pending_responses.push_front(update);
        }
        let mut unacked = std::mem::take(&mut s.unacked_memory);
        unacked.sort_by_key(|(seq, _)| *seq);
        for (_, message) in unacked.into_iter().rev() {
            shared.pending_memory.push_front(message);
        }
    }

    /// Publishes one message kept in memory; false when the client refused
    /// it (it is then back at the head of the queue).
    fn publish_memory(
        &self,
        shared: &mut Shared,
        s: &mut SessionState,
        message: MemoryMessage,
    ) -> bool {
        let topic = self.schema.topic(&Topic::for_kind(message.kind));
        let payload = with_envelope(message.payload.clone(), &self.config.gateway_id);
        shared.response_seq += 1;
        let seq = shared.response_seq;
        if !s.publish(&topic, false, payload, Tag::Response(seq)) {
            shared.pending_memory.push_front(message);
            return false;
        }
        s.unacked_memory.push((seq, message));
        true
    }

    fn status_doc(
        &self,
        shared: &Shared,
        online: bool,
        since: DateTime<Utc>,
        stats: Option<&OutboxStats>,
    ) -> StatusPayload {
        let mut doc = shared.status.borrow().clone();
        doc.schema_version = SCHEMA_VERSION;
        doc.online = online;
        doc.gateway_id = self.config.gateway_id.to_string();
        if let Some(stats) = stats {
            doc.outbox_depth = stats.depth;
            doc.outbox_bytes = stats.bytes;
            doc.outbox_oldest_at = stats.oldest_created_at;
            doc.levels_thinned = stats.levels_thinned;
            doc.levels_dropped = stats.levels_dropped;
        }
        doc.since = since;
        doc.updated_at = Utc::now();
        doc
    }

    fn on_publish(&self, shared: &mut Shared, publish: Publish) {
        if publish.payload.is_empty() {
            // A cleared retained command (possibly our own clean-up).
            return;
        }
        let topic = match self.schema.parse(&publish.topic) {
            Ok(topic) => topic,
            Err(e) => {
                tracing::warn!("ignoring a message on an unusable topic: {e}");
                return;
            }
        };
        let parsed = match &topic {
            Topic::Command { name, id } => parse_command(name, id.as_str(), &publish.payload)
                .map(|action| (id.to_string(), action)),
            Topic::OrderStatus { order_id } => {
                parse_order_status(order_id.as_str(), &publish.payload)
                    .map(|update| (update.id.clone(), CommandAction::OrderStatus(update)))
            }
            Topic::Catalog | Topic::FleetCatalog => {
                let scope = if topic == Topic::Catalog {
                    CatalogScope::Gateway
                } else {
                    CatalogScope::Fleet
                };
                parse_catalog(&publish.payload)
                    .map(|catalog| {
                        let id = format!(
                            "catalog-{}-v{}-{:016x}",
                            scope.as_str(),
                            catalog.catalog_version,
                            fnv1a(&publish.payload)
                        );
                        let catalog = Box::new(catalog);
                        (id, CommandAction::Catalog { scope, catalog })
                    })
                    .map_err(CommandError::from)
            }
            other => {
                tracing::debug!(?other, "ignoring a message that is not a command");
                return;
            }
        };
        // Order-status message ids are the sender's: keep them apart from command ids.
        let seen_key = match (&topic, &parsed) {
            (Topic::Command { id, .. }, _) => format!("cmd/{id}"),
            (Topic::Catalog | Topic::FleetCatalog, Ok((id, _))) => id.clone(),
            (_, Ok((id, _))) => format!("order_status/{id}"),
            (_, Err(_)) => format!("order_status/{}", publish.pkid),
        };
        if parsed.is_ok() && !shared.seen.insert(&seen_key) {
            tracing::debug!(topic = %publish.topic, "dropping a redelivered command");
            return;
        }
        let (id, action) = match parsed {
            Ok(ok) => ok,
            Err(e) => {
                tracing::warn!(topic = %publish.topic, "rejected command: {e}");
                let id = match &topic {
                    Topic::Command { id, .. } => id.to_string(),
                    Topic::Catalog | Topic::FleetCatalog => "catalog".to_string(),
                    _ => "unknown".to_string(),
                };
                CommandReply::new(topic, id, shared.reply_tx.clone()).failed(e.to_string());
                return;
            }
        };
        if publish.retain && matches!(topic, Topic::Command { .. }) {
            shared.retained_commands.insert(self.schema.topic(&topic));
        }
        let name = action.name();
        tracing::info!(name, %id, "command received");
        // `init` must be queued before anything the handler sends back.
        shared.pending_responses.push_back(CommandUpdate {
            request: topic.clone(),
            response: CommandResponse::new(&id, CommandStatus::Init),
        });
        let reply = CommandReply::new(topic, id.clone(), shared.reply_tx.clone());
        let command = Command {
            id,
            name,
            action,
            reply,
        };
        if let Err(e) = shared.commands.try_send(command) {
            let (reason, command) = match e {
                mpsc::error::TrySendError::Full(c) => ("the gateway is busy, retry later", c),
                mpsc::error::TrySendError::Closed(c) => ("the gateway has no command handler", c),
            };
            command.reply.failed(reason);
        }
    }

    /// Queues one answer; false when the client refused it (it is then
    /// back at the head of the queue).
    fn publish_response(
        &self,
        shared: &mut Shared,
        s: &mut SessionState,
        update: CommandUpdate,
    ) -> bool {
        let Some(response_topic) = update.request.response_of() else {
            return true;
        };
        let status = update.response.status;
        let topic = self.schema.topic(&response_topic);
        let payload = with_envelope(update.response.to_json(), &self.config.gateway_id);
        shared.response_seq += 1;
        let seq = shared.response_seq;
        if !s.publish(&topic, true, payload, Tag::Response(seq)) {
            // Not queued: try again when there is room or a connection.
            shared.pending_responses.push_front(update);
            return false;
        }
        let request = update.request.clone();
        s.unacked_responses.push((seq, update));
        if status.is_final() {
            let command_topic = self.schema.topic(&request);
            if shared.retained_commands.remove(&command_topic) {
                // Clear the retained command so a reconnect does not replay it.
                s.publish(&command_topic, true, Vec::new(), Tag::Control);
            }
        }
        true
    }

    /// Publishes the offline status, waits for its ack, then disconnects.
    async fn shut_down(
        &self,
        shared: &mut Shared,
        s: &mut SessionState,
        events: &mut mpsc::Receiver<Result<Event, String>>,
    ) {
        while let Ok(update) = shared.reply_rx.try_recv() {
            shared.pending_responses.push_back(update);
        }
        while s.has_room() {
            let Some(update) = shared.pending_responses.pop_front() else {
                break;
            };
            if !self.publish_response(shared, s, update) {
                break;
            }
        }
        while let Ok(message) = shared.memory_rx.try_recv() {
            shared.queue_memory(message);
        }
        while s.has_room() {
            let Some(message) = shared.pending_memory.pop_front() else {
                break;
            };
            if !self.publish_memory(shared, s, message) {
                break;
            }
        }
        let stats = blocking_outbox(&shared.outbox, |o| o.stats()).await.ok();
        let doc = self.status_doc(shared, false, s.since, stats.as_ref());
        let queued = s.publish(
            &self.schema.topic(&Topic::Status),
            true,
            doc.to_json(),
            Tag::Offline,
        );
        let deadline = tokio::time::sleep(self.config.shutdown_timeout);
        tokio::pin!(deadline);
        let mut disconnecting = false;
        if !queued {
            disconnecting = s.client.try_disconnect().is_ok();
        }
        loop {
            tokio::select! {
                _ = &mut deadline => {
                    tracing::warn!(broker = %self.broker(), "MQTT shutdown timed out; the last will reports offline");
                    break;
                }
                event = events.recv() => match event {
                    Some(Ok(Event::Outgoing(Outgoing::Publish(pkid)))) => s.tracker.on_outgoing_publish(pkid),
                    Some(Ok(Event::Incoming(Packet::PubAck(ack)))) => {
                        s.tracker.on_puback(ack.pkid);
                        if !disconnecting && !s.tracker.is_waiting_for(Tag::Offline) {
                            self.flush_acked(shared, s).await;
                            disconnecting = s.client.try_disconnect().is_ok();
                        }
                    }
                    Some(Ok(Event::Outgoing(Outgoing::Disconnect))) => {
                        tracing::info!(broker = %self.broker(), "disconnected from MQTT broker");
                        break;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break,
                },
            }
        }
        self.flush_acked(shared, s).await;
    }
}

/// Everything that outlives a single connection.
struct Shared {
    outbox: Arc<dyn Outbox>,
    wake: Arc<Notify>,
    status: watch::Receiver<StatusPayload>,
    commands: mpsc::Sender<Command>,
    reply_tx: mpsc::UnboundedSender<CommandUpdate>,
    reply_rx: mpsc::UnboundedReceiver<CommandUpdate>,
    seen: SeenCommands,
    status_open: bool,
    /// Command responses waiting for a connection or for room.
    pending_responses: VecDeque<CommandUpdate>,
    /// Topics of commands that arrived retained, cleared once answered.
    retained_commands: HashSet<String>,
    /// Numbers command answers and memory messages, to pair each with its PubAck.
    response_seq: u64,
    /// Messages the gateway could not store.
    memory_rx: mpsc::Receiver<MemoryMessage>,
    /// Memory messages waiting for a connection or for room.
    pending_memory: VecDeque<MemoryMessage>,
}

impl Shared {
    /// Keeps `message` for publication; past [`MEMORY_QUEUE`] the oldest goes.
    fn queue_memory(&mut self, message: MemoryMessage) {
        if self.pending_memory.len() >= MEMORY_QUEUE
            && let Some(old) = self.pending_memory.pop_front()
        {
            tracing::warn!(
                kind = old.kind.as_str(),
                "memory queue full: the oldest message that could not be stored is given up"
            );
        }
        self.pending_memory.push_back(message);
    }
}

struct SessionState {
    client: AsyncClient,
    capacity: usize,
    tracker: InflightTracker,
    connected: bool,
    since: DateTime<Utc>,
    /// The outbox may hold rows to publish.
    fetch: bool,
    /// The highest outbox id published on this connection: the next fetch
    /// reads past it. A new connection starts again from 0, so what was in
    /// flight when the last one dropped goes out again.
    cursor: i64,
    last_status: Option<StatusPayload>,
    /// When the last status went out (monotonic: a clock jump must not
    /// stop the heartbeat).
    last_status_at: Option<tokio::time::Instant>,
    status_dirty: bool,
    outbox_failing: bool,
    /// Command answers published on this connection and not yet acked.
    unacked_responses: Vec<(u64, CommandUpdate)>,
    /// Memory messages published on this connection and not yet acked.
    unacked_memory: Vec<(u64, MemoryMessage)>,
}

impl SessionState {
    /// Free slots in the client request channel (a few kept for subscribe/disconnect).
    fn room(&self) -> usize {
        self.capacity
            .saturating_sub(8)
            .saturating_sub(self.tracker.queued_requests())
    }

    fn has_room(&self) -> bool {
        self.room() > 0
    }

    /// Queues a QoS 1 publish; false when the client refused it.
    fn publish(&mut self, topic: &str, retain: bool, payload: Vec<u8>, tag: Tag) -> bool {
        match self
            .client
            .try_publish(topic, QoS::AtLeastOnce, retain, payload)
        {
            Ok(()) => {
                self.tracker.queued(tag);
                true
            }
            Err(e) => {
                tracing::warn!(topic, "cannot queue MQTT publish: {e}");
                false
            }
        }
    }
}

/// Remembers recent command ids so a redelivered (QoS 1) or retained
/// command runs once.
#[derive(Default)]
struct SeenCommands {
    order: VecDeque<String>,
    set: HashSet<String>,
}

impl SeenCommands {
    fn insert(&mut self, id: &str) -> bool {
        if !self.set.insert(id.to_string()) {
            return false;
        }
        self.order.push_back(id.to_string());
        if self.order.len() > SEEN_COMMANDS
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }
}

/// Whether `current` says something `last` did not: anything but the
/// timestamps and the outbox figures, which only ride along with the
/// heartbeat (they move after every poll).
fn status_differs(last: &StatusPayload, current: &StatusPayload) -> bool {
    let comparable = |s: &StatusPayload| StatusPayload {
        online: true,
        gateway_id: String::new(),
        outbox_depth: 0,
        outbox_oldest_at: None,
        outbox_bytes: 0,
        levels_thinned: 0,
        levels_dropped: 0,
        since: DateTime::<Utc>::UNIX_EPOCH,
        updated_at: DateTime::<Utc>::UNIX_EPOCH,
        schema_version: 0,
        ..s.clone()
    };
    comparable(last) != comparable(current)
}

/// "Equal jitter": half of `delay` plus a random part of the other half,
/// so gateways that lost the same broker spread their reconnections over
/// the interval while each still backs off.
fn jittered(delay: Duration) -> Duration {
    let fraction: f64 = rand::random();
    (delay / 2 + (delay / 2).mul_f64(fraction)).max(MIN_RETRY)
}

/// Aborts the poller when the session ends, including when the whole uplink
/// future is dropped: the TCP connection then closes without DISCONNECT and
/// the broker publishes the last will, as after a crash.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn poll_connection(mut eventloop: EventLoop, events: mpsc::Sender<Result<Event, String>>) {
    loop {
        match eventloop.poll().await {
            Ok(event) => {
                if events.send(Ok(event)).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = events.send(Err(describe(&e))).await;
                return;
            }
        }
    }
}

/// A reason a person can act on, for the log, the status page and
/// `get_status`: which certificate, which credential, which network error.
fn describe(error: &ConnectionError) -> String {
    use rumqttc::ConnectReturnCode as Code;
    // A refused handshake can surface under several variants (I/O, TLS,
    // WebSocket, or the MQTT state machine reading a TLS alert): the TLS
    // error, wherever it is in the chain, is what a person can act on.
    if let Some(tls) = tls_cause(error) {
        return describe_tls(tls);
    }
    match error {
        ConnectionError::Io(e) => describe_io(e),
        ConnectionError::Tls(rumqttc::TlsError::Io(e)) => describe_io(e),
        ConnectionError::Tls(rumqttc::TlsError::DNSName(_)) => {
            "mqtt.host is not a valid TLS server name (use the broker's DNS name)".into()
        }
        ConnectionError::Websocket(e) => format!("WebSocket: {e} (check mqtt.ws_path)"),
        ConnectionError::ConnectionRefused(Code::BadUserNamePassword) => {
            "broker refused: bad user name or password".into()
        }
        // Mosquitto answers a wrong password with "not authorised" too.
        ConnectionError::ConnectionRefused(Code::NotAuthorized) => {
            "broker refused: not authorised (check mqtt.username and the password)".into()
        }
        ConnectionError::ConnectionRefused(code) => {
            format!("broker refused the connection ({code:?})")
        }
        other => match io_cause(other) {
            Some(io) => describe_io(io),
            None => other.to_string(),
        },
    }
}

/// The first I/O error in `error`'s chain of sources.
fn io_cause(error: &ConnectionError) -> Option<&std::io::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(err) = next {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        next = err.source();
    }
    None
}

/// The rustls error behind `error`, following sources and the errors that
/// `io::Error` wraps.
fn tls_cause(error: &ConnectionError) -> Option<&rustls::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(err) = next {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(inner);
        }
        next = err.source();
    }
    None
}

/// I/O errors may carry the TLS error that caused them (tokio-rustls wraps
/// handshake failures in `io::Error`).
fn describe_io(e: &std::io::Error) -> String {
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return describe_tls(tls);
    }
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => {
            "connection refused (is the broker running?)".into()
        }
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => {
            format!(
                "the broker closed the connection ({e}); a TLS broker refusing a plain client, or a client certificate, does this"
            )
        }
        kind => format!("{e} ({kind:?})"),
    }
}

/// Runs a synchronous outbox call on the blocking pool.
async fn blocking_outbox<T, F>(outbox: &Arc<dyn Outbox>, f: F) -> Result<T, OutboxError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Outbox) -> Result<T, OutboxError> + Send + 'static,
{
    let outbox = Arc::clone(outbox);
    match tokio::task::spawn_blocking(move || f(outbox.as_ref())).await {
        Ok(result) => result,
        Err(e) => Err(OutboxError::new("call", e.to_string())),
    }
}
