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

use crate::commands::parse_command;
use crate::commands::{Command, CommandReply, CommandResponse, CommandStatus, CommandUpdate};
use crate::inflight::{InflightTracker, Tag};
use crate::outbox::{Outbox, OutboxError, OutboxMessage};
use crate::payload::{StatusPayload, message_key};
use crate::topics::{CommandId, GatewayId, Topic, TopicSchema};

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
    /// How often the outbox is polled without a wake-up, and the status refreshed.
    pub poll_interval: Duration,
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
            client_id: format!("asr-gateway-{gateway_id}"),
            gateway_id,
            keep_alive: Duration::from_secs(30),
            credentials: None,
            max_inflight: 32,
            batch: 64,
            poll_interval: Duration::from_secs(5),
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
        Ok(())
    }
}

#[derive(Debug, Error)]
pub enum UplinkError {
    #[error("invalid uplink configuration: {0}")]
    InvalidConfig(String),
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
}

/// Extra rumqttc in-flight slots for status and command responses, so they
/// are never stuck behind a full window of outbox messages.
const CONTROL_INFLIGHT: u16 = 16;
/// Command ids remembered to drop redelivered commands.
const SEEN_COMMANDS: usize = 1024;

/// The MQTT uplink of one gateway.
#[derive(Debug)]
pub struct Uplink {
    config: UplinkConfig,
    schema: TopicSchema,
    state: watch::Sender<UplinkState>,
}

enum SessionEnd {
    Shutdown,
    Lost { error: String, was_connected: bool },
}

impl Uplink {
    pub fn new(config: UplinkConfig) -> Result<Uplink, UplinkError> {
        config.validate()?;
        let schema = TopicSchema::new(config.gateway_id.clone());
        let (state, _) = watch::channel(UplinkState::default());
        Ok(Uplink {
            config,
            schema,
            state,
        })
    }

    pub fn schema(&self) -> &TopicSchema {
        &self.schema
    }

    /// Follows the connection state; valid before and during [`Uplink::run`].
    pub fn state(&self) -> watch::Receiver<UplinkState> {
        self.state.subscribe()
    }

    fn broker(&self) -> String {
        format!("{}:{}", self.config.host, self.config.port)
    }

    /// Runs until `shutdown` is cancelled, reconnecting forever. `status`
    /// provides version and printer count; the uplink fills in `online`,
    /// `gateway_id`, `outbox_depth`, `since` and `updated_at`.
    pub async fn run(
        self,
        outbox: Arc<dyn Outbox>,
        wake: Arc<Notify>,
        status: watch::Receiver<StatusPayload>,
        commands: mpsc::Sender<Command>,
        shutdown: CancellationToken,
    ) -> Result<(), UplinkError> {
        let (reply_tx, reply_rx) = mpsc::unbounded_channel();
        let mut shared = Shared {
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
                    tracing::warn!("{message}; retrying in {delay:?}");
                    self.state.send_modify(|s| {
                        s.connected = false;
                        s.last_error = Some(message);
                    });
                    tokio::select! {
                        _ = shutdown.cancelled() => return Ok(()),
                        _ = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(self.config.retry_max);
                }
            }
        }
    }

    fn mqtt_options(&self, will: &StatusPayload) -> MqttOptions {
        let c = &self.config;
        let mut options = MqttOptions::new(c.client_id.clone(), c.host.clone(), c.port);
        options.set_keep_alive(c.keep_alive);
        options.set_clean_session(true);
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
        let depth = blocking_outbox(&shared.outbox, |o| o.depth()).await.ok();
        let will = self.status_doc(shared, false, started, depth);
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
            last_status: None,
            status_dirty: true,
            outbox_failing: false,
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
                            self.flush_acked(shared, &mut s).await;
                            return SessionEnd::Lost { error, was_connected: s.connected };
                        }
                        None => {
                            self.flush_acked(shared, &mut s).await;
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
                        self.refresh_depth(shared, &mut s).await;
                    }
                }
                changed = shared.status.changed(), if s.connected && shared.status_open => {
                    match changed {
                        Ok(()) => s.status_dirty = true,
                        // The gateway dropped its sender: keep its last value.
                        Err(_) => shared.status_open = false,
                    }
                }
                Some(update) = shared.reply_rx.recv() => {
                    shared.pending_responses.push_back(update);
                }
            }
            if s.connected {
                self.pump(shared, &mut s).await;
            }
        }
    }

    async fn on_event(&self, shared: &mut Shared, s: &mut SessionState, event: Event) {
        match event {
            Event::Incoming(Packet::ConnAck(_)) => {
                s.connected = true;
                s.since = Utc::now();
                s.status_dirty = true;
                s.fetch = true;
                tracing::info!(broker = %self.broker(), client_id = %self.config.client_id, "connected to MQTT broker");
                self.state.send_modify(|st| {
                    st.connected = true;
                    st.connections += 1;
                });
                if let Err(e) = s
                    .client
                    .try_subscribe(self.schema.command_filter(), QoS::AtLeastOnce)
                {
                    tracing::warn!("cannot subscribe to commands: {e}");
                }
            }
            Event::Outgoing(Outgoing::Publish(pkid)) => s.tracker.on_outgoing_publish(pkid),
            Event::Incoming(Packet::PubAck(ack)) => {
                if let Some(Tag::Outbox(_)) = s.tracker.on_puback(ack.pkid) {
                    if s.tracker.acked_len() >= self.config.batch
                        || s.tracker.outstanding_outbox() == 0
                    {
                        self.flush_acked(shared, s).await;
                    }
                    // Room in the window again.
                    s.fetch = true;
                }
            }
            Event::Incoming(Packet::Publish(publish)) => self.on_command(shared, publish),
            _ => {}
        }
    }

    /// Publishes what is waiting: status, command responses, then outbox rows.
    async fn pump(&self, shared: &mut Shared, s: &mut SessionState) {
        if s.status_dirty && s.has_room() {
            let depth = blocking_outbox(&shared.outbox, |o| o.depth()).await.ok();
            let doc = self.status_doc(shared, true, s.since, depth);
            if s.publish(
                &self.schema.topic(&Topic::Status),
                true,
                doc.to_json(),
                Tag::Status,
            ) {
                s.status_dirty = false;
                s.last_status = Some(doc);
            }
        }
        while s.has_room() {
            let Some(update) = shared.pending_responses.pop_front() else {
                break;
            };
            self.publish_response(shared, s, update);
        }
        if s.fetch {
            self.fetch_outbox(shared, s).await;
        }
    }

    async fn fetch_outbox(&self, shared: &mut Shared, s: &mut SessionState) {
        let window = usize::from(self.config.max_inflight)
            .saturating_sub(s.tracker.outstanding_outbox())
            .min(s.room());
        if window == 0 {
            return;
        }
        s.fetch = false;
        // Rows already in flight come back first: ask for enough to get past them.
        let limit = s.tracker.outstanding_outbox() + s.tracker.acked_len() + window;
        let rows = match blocking_outbox(&shared.outbox, move |o| o.pending(limit)).await {
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
            if !s.publish(&topic, false, message.payload, Tag::Outbox(message.id)) {
                break;
            }
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

    async fn refresh_depth(&self, shared: &Shared, s: &mut SessionState) {
        if let Ok(depth) = blocking_outbox(&shared.outbox, |o| o.depth()).await
            && s.last_status.as_ref().map(|st| st.outbox_depth) != Some(depth)
        {
            s.status_dirty = true;
        }
    }

    fn status_doc(
        &self,
        shared: &Shared,
        online: bool,
        since: DateTime<Utc>,
        depth: Option<u64>,
    ) -> StatusPayload {
        let mut doc = shared.status.borrow().clone();
        doc.online = online;
        doc.gateway_id = self.config.gateway_id.to_string();
        if let Some(depth) = depth {
            doc.outbox_depth = depth;
        }
        doc.since = since;
        doc.updated_at = Utc::now();
        doc
    }

    fn on_command(&self, shared: &mut Shared, publish: Publish) {
        if publish.payload.is_empty() {
            // A cleared retained command (possibly our own clean-up).
            return;
        }
        let (name, id) = match self.schema.parse(&publish.topic) {
            Ok(Topic::Command { name, id }) => (name, id),
            Ok(other) => {
                tracing::debug!(?other, "ignoring a message that is not a command");
                return;
            }
            Err(e) => {
                tracing::warn!("ignoring a command on an unusable topic: {e}");
                return;
            }
        };
        if !shared.seen.insert(&id) {
            tracing::debug!(%name, %id, "dropping a redelivered command");
            return;
        }
        let reply = CommandReply::new(name.clone(), id.clone(), shared.reply_tx.clone());
        let action = match parse_command(&name, &id, &publish.payload) {
            Ok(action) => action,
            Err(e) => {
                tracing::warn!(%name, %id, "rejected command: {e}");
                reply.failed(e.to_string());
                return;
            }
        };
        if publish.retain {
            shared
                .retained_commands
                .insert(self.schema.topic(&Topic::Command {
                    name: name.clone(),
                    id: id.clone(),
                }));
        }
        tracing::info!(%name, %id, "command received");
        // `init` must be queued before anything the handler sends back.
        shared.pending_responses.push_back(CommandUpdate {
            name,
            id: id.clone(),
            response: CommandResponse::new(&id, CommandStatus::Init),
        });
        let command = Command { id, action, reply };
        if let Err(e) = shared.commands.try_send(command) {
            let (reason, command) = match e {
                mpsc::error::TrySendError::Full(c) => ("the gateway is busy, retry later", c),
                mpsc::error::TrySendError::Closed(c) => ("the gateway has no command handler", c),
            };
            command.reply.failed(reason);
        }
    }

    fn publish_response(&self, shared: &mut Shared, s: &mut SessionState, update: CommandUpdate) {
        let status = update.response.status;
        let topic = self.schema.topic(&Topic::CommandResponse {
            name: update.name.clone(),
            id: update.id.clone(),
        });
        s.publish(&topic, true, update.response.to_json(), Tag::Response);
        if status.is_final() {
            let command_topic = self.schema.topic(&Topic::Command {
                name: update.name,
                id: update.id,
            });
            if shared.retained_commands.remove(&command_topic) {
                // Clear the retained command so a reconnect does not replay it.
                s.publish(&command_topic, true, Vec::new(), Tag::Response);
            }
        }
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
            self.publish_response(shared, s, update);
        }
        let depth = blocking_outbox(&shared.outbox, |o| o.depth()).await.ok();
        let doc = self.status_doc(shared, false, s.since, depth);
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
}

struct SessionState {
    client: AsyncClient,
    capacity: usize,
    tracker: InflightTracker,
    connected: bool,
    since: DateTime<Utc>,
    /// The outbox may hold rows to publish.
    fetch: bool,
    last_status: Option<StatusPayload>,
    status_dirty: bool,
    outbox_failing: bool,
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
    order: VecDeque<CommandId>,
    set: HashSet<CommandId>,
}

impl SeenCommands {
    fn insert(&mut self, id: &CommandId) -> bool {
        if !self.set.insert(id.clone()) {
            return false;
        }
        self.order.push_back(id.clone());
        if self.order.len() > SEEN_COMMANDS
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }
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

fn describe(error: &ConnectionError) -> String {
    match error {
        ConnectionError::Io(e) => format!("{e} ({:?})", e.kind()),
        ConnectionError::ConnectionRefused(code) => {
            format!("broker refused the connection ({code:?})")
        }
        other => other.to_string(),
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
