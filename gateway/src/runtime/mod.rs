//! The imperative shell: Tokio tasks doing the I/O around the pure engine.
//!
//! - [`clock`] — where "now" comes from (scaled in the demo).
//! - [`settings`] — what the gateway needs to start.
//! - `poller` — one task per printer address, bounded concurrency.
//! - `engine_task` — the engine on its own thread, committing decisions to SQLite.
//! - `uplink_glue` — the store as the uplink's outbox, the status payload.
//! - `command_handler` — remote commands from MQTT.
//! - `live` — settings changed remotely while running (`set_config`).
//! - `status_report` — what `get_status` and `get_diagnostics` answer.
//! - `discovery_task` — printers found over mDNS or an opt-in sweep join the polling.
//! - `status_source` — the status page's view of the store and the engine.
//! - `storage_watch` — a failing disk told everywhere, room made, recovery.
//! - `order_lines` — what an order says so a supplier ships it without a lookup.
//! - `memory_door` — orders and alerts sent from memory when they cannot be stored.
//! - `time_gate` — the engine sees only trusted time: held and re-based until then, jumps told.
//!
//! Shutdown follows mini-redis: one cancellation token, every task watches it,
//! and [`Gateway::shutdown`] waits for them, the engine thread last so its
//! final snapshot includes everything.

mod catalog;
pub mod clock;
mod command_handler;
mod discovery_task;
mod engine_task;
mod live;
mod lives_report;
mod memory_door;
mod order_lines;
mod poll_times;
mod poll_writer;
mod poller;
mod scoped_credentials;
pub mod settings;
mod settings_view;
mod status_report;
mod status_source;
mod storage_watch;
mod time_gate;
pub(crate) use status_source::GatewayStatus;
mod update_handover;
mod uplink_glue;
pub(crate) use uplink_glue::StoreOutbox;
pub(crate) use uplink_glue::uplink_config;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use asr_cloud_sync::Uplink;
use asr_engine::{Engine, Event};
use tokio::sync::{Notify, Semaphore, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

pub use settings::{Assignment, MqttSettings, Settings};

use crate::store::Store;
use engine_task::{EngineInput, EngineOutputs};
use poller::PollerShared;

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The database could not be opened.
    #[error("database {path}: {source}")]
    Store {
        /// The file.
        path: String,
        /// The cause.
        source: crate::store::StoreError,
    },
    /// The status page could not listen.
    #[error("status page on {addr}: {reason}")]
    Http {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        reason: String,
    },
    /// The MQTT settings are unusable.
    #[error("MQTT uplink: {0}")]
    Uplink(String),
    /// The IPP client could not be set up.
    #[error("IPP client: {0}")]
    Ipp(String),
}

/// A running gateway.
pub struct Gateway {
    shutdown: CancellationToken,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
    engine_thread: Option<std::thread::JoinHandle<()>>,
    engine_tx: mpsc::Sender<EngineInput>,
    http_addr: Option<SocketAddr>,
    store: Arc<Store>,
    poll_now: Arc<PollerShared>,
}

impl Gateway {
    /// Opens the store, restores the engine, binds the status page, and
    /// starts polling, the engine, the uplink and the command handler.
    /// A broker that is down is not an error: the uplink keeps retrying while
    /// polls are buffered.
    pub async fn start(settings: Settings) -> Result<Gateway, RuntimeError> {
        let store =
            Arc::new(
                Store::open(&settings.db_path).map_err(|source| RuntimeError::Store {
                    path: settings.db_path.display().to_string(),
                    source,
                })?,
            );
        let shutdown = CancellationToken::new();
        let mut tasks = Vec::new();

        // Status page first: a port in use is a start-up error, not a log line.
        let outputs = Arc::new(EngineOutputs::default());
        let uplink_state = Arc::new(uplink_glue::UplinkState::new(&settings.mqtt));
        let poll_times = Arc::new(poll_times::PollTimes::default());
        let source = Arc::new(status_source::GatewayStatus {
            gateway_id: settings.gateway_id.clone(),
            store: store.clone(),
            outputs: outputs.clone(),
            uplink: uplink_state.clone(),
            clock: settings.clock.clone(),
            changes: std::sync::OnceLock::new(),
            runtime: tokio::runtime::Handle::current(),
            poll_times: poll_times.clone(),
        });
        let http_addr = match settings.http {
            Some(addr) => {
                let tls = match &settings.http_tls {
                    Some(cert) => Some(
                        crate::web::tls::server_config(cert, &certificate_names(addr)).map_err(
                            |e| RuntimeError::Http {
                                addr,
                                reason: e.to_string(),
                            },
                        )?,
                    ),
                    None => None,
                };
                let mut auth = page_auth(&settings, &store);
                if tls.is_some() {
                    auth = auth.secure();
                }
                let mut server = crate::web::WebServer::bind(addr, source.clone(), Arc::new(auth))
                    .await
                    .map_err(|e| RuntimeError::Http {
                        addr,
                        reason: e.to_string(),
                    })?;
                if let Some(config) = tls {
                    server = server.with_tls(config);
                }
                let bound = server.local_addr();
                let token = shutdown.clone();
                tasks.push((
                    "web",
                    tokio::spawn(async move {
                        if let Err(e) = server.run(token.cancelled_owned()).await {
                            warn!(error = %e, "status page stopped");
                        }
                    }),
                ));
                info!(
                    "status page on {}://{bound}",
                    if settings.http_tls.is_some() {
                        "https"
                    } else {
                        "http"
                    }
                );
                Some(bound)
            }
            None => None,
        };

        // Engine: restored from its snapshot so a restart neither forgets
        // spares nor re-orders.
        let mut engine = match store.load_engine_snapshot() {
            Ok(Some(json)) => match serde_json::from_str::<Engine>(&json) {
                Ok(engine) => {
                    info!("engine state restored");
                    engine
                }
                Err(e) => {
                    warn!(error = %e, "engine snapshot unreadable (older version?); starting fresh");
                    Engine::new(settings.engine.clone())
                }
            },
            Ok(None) => Engine::new(settings.engine.clone()),
            Err(e) => {
                warn!(error = %e, "cannot read the engine snapshot; starting fresh");
                Engine::new(settings.engine.clone())
            }
        };
        let _ = engine.handle(Event::ConfigChanged(settings.engine.clone()));
        // The supplier catalogue kept (the snapshot may predate the last one).
        match store.catalogs() {
            Ok(kept) => {
                let _ = engine.handle(Event::CatalogChanged {
                    entries: catalog::engine_entries(&catalog::effective(&kept)),
                });
            }
            Err(e) => warn!(error = %e, "cannot read the supplier catalogue; going on without"),
        }

        // Remote configuration changes survive restarts: applied over the base.
        let live = Arc::new(live::LiveConfig::new(
            settings.base_config(),
            settings.clock.clone(),
            settings.poll_interval,
            settings.credentials.clone(),
            settings.poll_options.clone(),
        ));
        match store.meta_get(scoped_credentials::META_KEY) {
            Ok(Some(text)) => match scoped_credentials::decode(&text) {
                Ok(entries) => live.set_scoped(scoped_credentials::to_live(&entries)),
                Err(e) => warn!(error = %e, "stored SNMP credentials unreadable; ignored"),
            },
            Ok(None) => {}
            Err(e) => warn!(error = %e, "cannot read stored SNMP credentials"),
        }
        match store.config_overrides() {
            Ok(overrides) => {
                for (key, value) in overrides {
                    match crate::config::remote::with_override(&live.effective(), &key, &value) {
                        Ok(config) => {
                            let effects = live.apply(config, &key, value);
                            if let Some(c) = effects.engine {
                                let _ = engine.handle(Event::ConfigChanged(c));
                            }
                            info!(%key, "remote configuration change applied");
                        }
                        Err(e) => {
                            warn!(%key, error = %e, "a remote configuration change no longer fits the file; dropped");
                            let _ = store.remove_config_override(&key);
                        }
                    }
                }
            }
            Err(e) => warn!(error = %e, "cannot read remote configuration changes"),
        }
        for a in &settings.assignments {
            // Printers not seen yet get theirs at their first poll (poller).
            if let Err(e) =
                store.assign_printer(&a.serial, Some(&a.site), Some(&a.contact), a.excluded)
            {
                warn!(serial = %a.serial, error = %e, "cannot store a printer assignment");
            }
        }
        let assign_events: Vec<Event> = settings.assignments.iter().map(assignment_event).collect();

        let wake_uplink = Arc::new(Notify::new());
        let gateway_id = settings.gateway_id.clone();
        let version = env!("CARGO_PKG_VERSION").to_string();
        let (status_tx, status_rx) =
            watch::channel(uplink_glue::status_payload(&store, &gateway_id, &version));
        let status_tx = Arc::new(status_tx);
        // The uplink is made here (it connects only once run) so that what
        // the store cannot keep has a way out from the start.
        let uplink_config = uplink_glue::uplink_config(&settings.mqtt, &gateway_id)
            .map_err(RuntimeError::Uplink)?;
        let uplink = Uplink::new(uplink_config).map_err(|e| RuntimeError::Uplink(e.to_string()))?;
        let memory = Arc::new(memory_door::MemoryDoor::new(uplink.memory_sender()));
        // The engine republishes the status after its commits; a disk that
        // fills (or frees) up must show at once, commits or not.
        tasks.push((
            "storage watch",
            tokio::spawn(
                storage_watch::StorageWatch {
                    store: store.clone(),
                    status_tx: status_tx.clone(),
                    memory: memory.clone(),
                    clock: settings.clock.clone(),
                    gateway_id: gateway_id.clone(),
                    version: version.clone(),
                    readings_kept: chrono::Duration::days(i64::from(settings.readings_days)),
                }
                .run(shutdown.clone()),
            ),
        ));

        let (engine_tx, engine_rx) = mpsc::channel::<EngineInput>(256);
        let engine_thread = {
            let store = store.clone();
            let outputs = outputs.clone();
            let wake = wake_uplink.clone();
            let memory = memory.clone();
            let status_tx = status_tx.clone();
            let gid = gateway_id.clone();
            let version = version.clone();
            let clock = settings.clock.clone();
            let snapshot_every = settings
                .clock
                .real_duration(engine_task::SNAPSHOT_EVERY)
                .max(Duration::from_millis(100));
            std::thread::Builder::new()
                .name("engine".into())
                .spawn(move || {
                    engine_task::run(
                        engine_task::Timing {
                            snapshot_every,
                            clock,
                        },
                        engine,
                        engine_rx,
                        store,
                        outputs,
                        engine_task::Upstream { wake, memory },
                        move |store| {
                            let _ =
                                status_tx.send(uplink_glue::status_payload(store, &gid, &version));
                        },
                    )
                })
                .map_err(|e| RuntimeError::Uplink(format!("cannot start the engine thread: {e}")))?
        };
        if engine_tx
            .send(EngineInput::Events(assign_events))
            .await
            .is_err()
        {
            warn!("engine thread ended at start");
        }

        // Polling.
        let (writer, writer_task) = poll_writer::PollWriter::spawn(store.clone(), shutdown.clone());
        let shared = Arc::new(PollerShared {
            store: store.clone(),
            clock: settings.clock.clone(),
            live: live.clone(),
            plan: asr_protocols::printer::fetch_plan(),
            permits: Semaphore::new(settings.max_concurrent_polls.max(1)),
            poll_now: Notify::new(),
            rescan: Notify::new(),
            engine: engine_tx.clone(),
            shutdown: shutdown.clone(),
            assignments: settings
                .assignments
                .iter()
                .map(|a| (a.serial.clone(), a.clone()))
                .collect(),
            default_assignment: settings.default_assignment.clone(),
            ipp: asr_protocols::ipp::IppClient::new(
                (settings.poll_options.timeout * 4).max(std::time::Duration::from_secs(5)),
            )
            .map_err(|e| RuntimeError::Ipp(e.to_string()))?,
            ipp_port: settings.ipp_port,
            times: poll_times.clone(),
            writer,
            epoch: tokio::time::Instant::now(),
        });
        for target in settings.targets.iter().cloned() {
            tasks.push((
                "poller",
                tokio::spawn(poller::poll_loop(shared.clone(), target)),
            ));
        }

        if let Some(options) = settings.mdns.clone() {
            let polled = settings.targets.iter().cloned().collect();
            tasks.push((
                "discovery",
                tokio::spawn(discovery_task::run(
                    options,
                    settings.snmp_port,
                    shared.clone(),
                    polled,
                    shutdown.clone(),
                )),
            ));
        }

        if let Some((cidr, rate)) = settings.sweep.clone() {
            let polled = settings.targets.iter().cloned().collect();
            tasks.push((
                "sweep",
                tokio::spawn(discovery_task::sweep_loop(
                    cidr,
                    rate,
                    settings.snmp_port,
                    shared.clone(),
                    polled,
                    shutdown.clone(),
                )),
            ));
        }

        // Ticks drive time-based decisions (silence, orders due); the engine
        // thread refreshes whether the clock can be trusted as each arrives.
        store.set_clock_synced(settings.clock.synchronised());
        {
            let tx = engine_tx.clone();
            let clock = settings.clock.clone();
            let every = settings.tick_every;
            let token = shutdown.clone();
            tasks.push((
                "ticker",
                tokio::spawn(periodically(every, token, move || {
                    let (tx, clock) = (tx.clone(), clock.clone());
                    async move {
                        tx.send(EngineInput::Events(vec![Event::Tick(clock.now())]))
                            .await
                            .is_ok()
                    }
                })),
            ));
        }

        // Housekeeping: the outbox budget and pruning of what left long ago,
        // off the async threads (SQLite is synchronous).
        {
            let store = store.clone();
            let budget = settings.outbox_max_bytes;
            let every = settings.housekeeping_every;
            let keep = chrono::Duration::days(i64::from(settings.readings_days));
            let clock = settings.clock.clone();
            let token = shutdown.clone();
            tasks.push((
                "housekeeping",
                tokio::spawn(periodically(every, token, move || {
                    let store = store.clone();
                    // `sent_at` is wall-clock time, whatever the engine's clock;
                    // readings carry the gateway's.
                    let now = chrono::Utc::now();
                    let readings_before = clock.now() - keep;
                    async move {
                        let _ = tokio::task::spawn_blocking(move || {
                            housekeeping(&store, budget, now, readings_before)
                        })
                        .await;
                        true
                    }
                })),
            ));
        }

        // Uplink and remote commands.
        let (cmd_tx, cmd_rx) = mpsc::channel(32);
        uplink_state.watch(&uplink, settings.clock.clone());
        {
            let outbox = Arc::new(uplink_glue::StoreOutbox(store.clone()));
            let wake = wake_uplink.clone();
            let token = shutdown.clone();
            tasks.push((
                "uplink",
                tokio::spawn(async move {
                    if let Err(e) = uplink.run(outbox, wake, status_rx, cmd_tx, token).await {
                        warn!(error = %e, "uplink stopped");
                    }
                }),
            ));
        }
        // What the updater did while this gateway was not running (it is
        // usually the reason this gateway just started): recorded before a
        // redelivered `update` command could be answered.
        if let Some(data_dir) = settings.db_path.parent() {
            update_handover::resume(&store, data_dir);
        }
        let handler = Arc::new(command_handler::Handler {
            store: store.clone(),
            engine: engine_tx.clone(),
            poller: shared.clone(),
            report: Arc::new(status_report::StatusReport {
                gateway_id: gateway_id.clone(),
                store: store.clone(),
                uplink: uplink_state.clone(),
                live: live.clone(),
                clock: settings.clock.clone(),
                db_path: settings.db_path.clone(),
            }),
        });
        // The status page's changes go through the same handler.
        let _ = source.changes.set(Arc::clone(&handler));
        tasks.push((
            "commands",
            tokio::spawn(command_handler::run(cmd_rx, handler, shutdown.clone())),
        ));
        // Last: stopping waits for the pollers first, whose final polls it records.
        tasks.push(("poll writer", writer_task));

        let _ = status_tx; // kept alive by the engine thread's closure
        Ok(Gateway {
            shutdown,
            tasks,
            engine_thread: Some(engine_thread),
            engine_tx,
            http_addr,
            store,
            poll_now: shared,
        })
    }

    /// Where the status page listens, if enabled.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http_addr
    }

    /// The store (for tests and tools).
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Polls since start: (answered, unanswered).
    pub fn polls(&self) -> (u64, u64) {
        let counts = self.poll_now.times.counts();
        (counts.ok, counts.failed)
    }

    /// Polls every printer now.
    pub fn poll_now(&self) {
        self.poll_now.poll_now.notify_waiters();
    }

    /// Waits until the engine has handled and committed everything sent so far.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.engine_tx.send(EngineInput::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Stops every task, then the engine (which saves its state).
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        for (name, task) in self.tasks.drain(..) {
            match tokio::time::timeout(Duration::from_secs(5), task).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => warn!(task = name, error = %e, "task ended abnormally"),
                Err(_) => warn!(task = name, "task did not stop within 5 s"),
            }
        }
        drop(self.poll_now);
        drop(self.engine_tx);
        if let Some(thread) = self.engine_thread.take() {
            let joined = tokio::task::spawn_blocking(move || thread.join()).await;
            if !matches!(joined, Ok(Ok(()))) {
                warn!("engine thread ended abnormally");
            }
        }
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || store.flush_recent()).await {
            Ok(Ok(n)) => debug!(printers = n, "last poll times written"),
            Ok(Err(e)) => warn!(error = %e, "cannot write the last poll times"),
            Err(e) => warn!(error = %e, "cannot write the last poll times"),
        }
        info!("gateway stopped");
    }
}

/// Runs `step` every `period` (late ticks delayed, not bunched) until
/// shutdown, or until `step` answers false (its consumer is gone).
async fn periodically<F, Fut>(period: Duration, token: CancellationToken, mut step: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {
                if !step().await {
                    return;
                }
            }
            () = token.cancelled() => return,
        }
    }
}

/// Delivered messages are kept this long (the page shows what left), then pruned.
const SENT_KEPT: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// Transactions of folding old readings per housekeeping round: a backlog
/// (a first run on a year of history) is worked off over several rounds,
/// never in one long lock.
const COMPACT_BATCHES_PER_ROUND: u64 = 20;

/// One housekeeping round: keep the outbox within its byte budget, prune
/// delivered messages, fold old readings. Failures are logged and retried
/// on the next round.
fn housekeeping(
    store: &Store,
    budget: u64,
    now: chrono::DateTime<chrono::Utc>,
    readings_before: chrono::DateTime<chrono::Utc>,
) {
    match store.outbox_enforce_budget(budget) {
        Ok(o) if o.thinned + o.dropped > 0 => warn!(
            thinned = o.thinned,
            dropped = o.dropped,
            bytes_before = o.bytes_before,
            bytes_after = o.bytes_after,
            budget,
            "outbox over its budget: level telemetry thinned (orders and alerts kept)"
        ),
        Ok(o) if o.bytes_after > budget => warn!(
            bytes = o.bytes_after,
            budget, "outbox over its budget with orders, alerts and events only: nothing dropped"
        ),
        Ok(_) => {}
        Err(e) => warn!(error = %e, "outbox budget check failed"),
    }
    if let Err(e) = store.outbox_prune_sent(now - SENT_KEPT) {
        warn!(error = %e, "pruning delivered messages failed");
    }
    match store.compact_readings(readings_before, COMPACT_BATCHES_PER_ROUND) {
        Ok(o) if o.folded > 0 => debug!(
            folded = o.folded,
            more = o.more,
            "old readings folded into daily rows"
        ),
        Ok(_) => {}
        Err(e) => warn!(error = %e, "folding old readings failed"),
    }
}

fn assignment_event(a: &Assignment) -> Event {
    Event::PrinterAssigned {
        serial: a.serial.clone(),
        model: a.model.clone(),
        site: a.site.clone(),
        contact: a.contact.clone(),
        excluded: a.excluded,
    }
}

/// The key under which the password chosen on the setup page is kept.
const ADMIN_HASH_KEY: &str = "admin_password_hash";

/// The status page's access control: the configured hash, else the one
/// chosen earlier on the setup page, else the setup page (which stores its
/// choice in the database before using it).
/// The names a self-signed certificate is made for: the box's host name
/// (and its `.local` mDNS name), localhost, and the address listened on
/// when it is a specific one.
fn certificate_names(addr: SocketAddr) -> Vec<String> {
    let mut names = vec!["localhost".to_owned()];
    if let Ok(host) = std::fs::read_to_string("/etc/hostname") {
        let host = host.trim();
        if !host.is_empty() {
            names.push(host.to_owned());
            names.push(format!("{host}.local"));
        }
    }
    if !addr.ip().is_unspecified() {
        names.push(addr.ip().to_string());
    }
    names
}

fn page_auth(settings: &Settings, store: &Arc<Store>) -> crate::web::Auth {
    let stored = || {
        store
            .meta_get(ADMIN_HASH_KEY)
            .map_err(|e| warn!(error = %e, "cannot read the stored admin password"))
            .ok()
            .flatten()
            .filter(|h| crate::web::auth::validate_hash(h).is_ok())
    };
    let hash = settings.admin_password_hash.clone().or_else(stored);
    if hash.is_none() {
        warn!("no admin password set: the status page offers its setup page to the local network");
    }
    let keeper = Arc::clone(store);
    let auth = crate::web::Auth::new(
        hash,
        Some(Arc::new(move |h: &str| {
            keeper
                .meta_set(ADMIN_HASH_KEY, h)
                .map_err(|e| format!("cannot store the admin password: {e}"))
        })),
    );
    auth.public_metrics(settings.metrics_public)
        .password_in_file(settings.admin_password_hash.is_some())
}
