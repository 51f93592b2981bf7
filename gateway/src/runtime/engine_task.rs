//! The engine's thread. The engine is pure and SQLite is blocking, so both
//! live on one plain thread fed by a channel: decisions and the engine
//! snapshot are committed together, in one transaction, before the uplink is
//! woken to send them — nothing is announced that is not on disk.

use super::lives_report::LivesReporter;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use asr_engine::{Decision, Engine, Event, SupplyForecast};
use tokio::sync::{Notify, mpsc, oneshot};
use tracing::{error, info, warn};

use super::clock::Clock;
use super::memory_door::MemoryDoor;
use super::time_gate::{Observation, TimeGate};
use crate::store::{DecisionBatch, NewAlert, NewOrder, OutboxKind, StorageState, Store};

/// What the engine thread is fed.
pub(crate) enum EngineInput {
    /// Events to handle in order.
    Events(Vec<Event>),
    /// Answer once everything before has been handled and committed.
    Flush(oneshot::Sender<()>),
}

/// What the engine thread publishes for readers (status page, uplink status).
#[derive(Default)]
pub(crate) struct EngineOutputs {
    /// Latest forecasts, replaced after every batch.
    pub forecasts: RwLock<Vec<SupplyForecast>>,
}

/// The engine thread's time: how often to snapshot, and where "now" and
/// its trust come from.
pub(crate) struct Timing {
    pub snapshot_every: Duration,
    pub clock: Arc<dyn Clock>,
}

/// How the engine's decisions reach the uplink.
pub(crate) struct Upstream {
    /// Wakes the uplink once decisions are in the outbox.
    pub wake: Arc<Notify>,
    /// For decisions the store cannot keep.
    pub memory: Arc<MemoryDoor>,
}

/// Without decisions, a snapshot is written at most this often (gateway
/// time; the caller converts it to real time): a decision always writes one
/// with it, so a crash never loses an order; what it may lose is up to this
/// much of the engine's learning, which the next polls rebuild. The snapshot
/// is the largest thing the gateway writes (deflated, ~150 KB for 500
/// printers): every 30 s it cost an SD card gigabytes a day.
pub(crate) const SNAPSHOT_EVERY: Duration = Duration::from_secs(60 * 60);

/// Forecasts and the uplink status are rebuilt at most this often (and
/// always right after decisions were committed).
const REFRESH_EVERY: Duration = Duration::from_secs(1);

/// Runs the engine until every sender is gone; writes a last snapshot.
pub(crate) fn run(
    timing: Timing,
    mut engine: Engine,
    mut rx: mpsc::Receiver<EngineInput>,
    store: Arc<Store>,
    outputs: Arc<EngineOutputs>,
    upstream: Upstream,
    refresh_status: impl Fn(&Store),
) {
    let Upstream {
        wake: wake_uplink,
        memory,
    } = upstream;
    let Timing {
        snapshot_every,
        clock,
    } = timing;
    let mut gate = TimeGate::default();
    let mut lives = LivesReporter::default();
    let mut last_snapshot = Instant::now();
    // Readers (status page, uplink status) are refreshed at most this often:
    // rebuilding every forecast after each poll of a large fleet is waste.
    let mut last_refresh: Option<Instant> = None;
    let mut dirty = false;
    // Decisions not yet on disk: kept until a commit succeeds, because the
    // engine will not make them a second time.
    let mut pending: Vec<Decision> = Vec::new();
    while let Some(input) = rx.blocking_recv() {
        match input {
            EngineInput::Events(events) => {
                let seen = Observation {
                    wall: clock.now(),
                    mono: clock.monotonic(),
                    synced: clock.synchronised(),
                    speed: clock.speed(),
                };
                // Messages committed from here on say whether it was.
                store.set_clock_synced(seen.synced);
                let admitted = gate.admit(events, seen);
                if let Some(by_secs) = admitted.jump_secs {
                    warn!(
                        by_secs,
                        trusted = gate.trusted(),
                        "the wall clock jumped: silence is counted from the jump, held readings are re-based"
                    );
                }
                if admitted.became_trusted {
                    info!(
                        released = admitted.released,
                        set_aside = gate.set_aside(),
                        "clock synchronised: readings kept meanwhile re-based and handed to the engine"
                    );
                } else if !gate.trusted() && gate.held() > 0 && gate.held() % 10_000 == 1 {
                    info!(
                        held = gate.held(),
                        "clock not synchronised yet: readings are kept, nothing is ordered or alerted"
                    );
                }
                for event in admitted.events {
                    pending.extend(engine.handle(event));
                }
                if gate.trusted() {
                    lives.maybe_report(|| engine.measured_lives(), &store, seen.wall);
                }
                dirty = true;
                if !pending.is_empty() || last_snapshot.elapsed() >= snapshot_every {
                    let committed = commit(&engine, &pending, &store, &memory);
                    if committed == Committed::All {
                        last_snapshot = Instant::now();
                        dirty = false;
                    }
                    if committed != Committed::Nothing {
                        if !pending.is_empty() {
                            wake_uplink.notify_one();
                        }
                        pending.clear();
                        last_refresh = None;
                    }
                }
                if last_refresh.is_none_or(|t| t.elapsed() >= REFRESH_EVERY) {
                    if let Ok(mut f) = outputs.forecasts.write() {
                        *f = engine.forecasts();
                    }
                    refresh_status(&store);
                    last_refresh = Some(Instant::now());
                }
            }
            EngineInput::Flush(done) => {
                if dirty {
                    let committed = commit(&engine, &pending, &store, &memory);
                    if committed == Committed::All {
                        dirty = false;
                        last_snapshot = Instant::now();
                    }
                    if committed != Committed::Nothing {
                        pending.clear();
                    }
                }
                if let Ok(mut f) = outputs.forecasts.write() {
                    *f = engine.forecasts();
                }
                refresh_status(&store);
                last_refresh = Some(Instant::now());
                let _ = done.send(());
            }
        }
    }
    if dirty && commit(&engine, &pending, &store, &memory) != Committed::All {
        error!(
            lost = pending.len(),
            "could not save the engine state at shutdown"
        );
    }
    info!("engine stopped, state saved");
}

/// What a commit got onto the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Committed {
    /// Decisions and the engine snapshot.
    All,
    /// The decisions only: the storage is full, and the snapshot (the
    /// largest write) waits for space so the room left goes to orders.
    DecisionsOnly,
    /// Nothing: the decisions stay pending (and went upstream from memory
    /// if the storage is at fault).
    Nothing,
}

/// Writes decisions, their outbox messages and the snapshot in one
/// transaction — without the snapshot while the storage is full.
fn commit(
    engine: &Engine,
    decisions: &[Decision],
    store: &Store,
    memory: &MemoryDoor,
) -> Committed {
    let full = store.storage().state() == StorageState::Full;
    if full && decisions.is_empty() {
        return Committed::Nothing;
    }
    let snapshot = if full {
        None
    } else {
        match serde_json::to_string(engine) {
            Ok(s) => Some(s),
            Err(e) => {
                error!(error = %e, "cannot serialise the engine state");
                return Committed::Nothing;
            }
        }
    };
    let batch = decision_batch(decisions, store, snapshot);
    match store.commit_decisions(&batch) {
        Ok(_) if full => Committed::DecisionsOnly,
        Ok(_) => Committed::All,
        Err(e) => {
            warn!(error = %e, "could not commit engine decisions; kept in memory and retried");
            if store.storage().state() != StorageState::Ok {
                send_from_memory(&batch, store, memory);
            }
            Committed::Nothing
        }
    }
}

/// Hands the batch's orders and alerts to the uplink's memory queue (each
/// once), so a card that cannot be written does not hold them back.
fn send_from_memory(batch: &DecisionBatch, store: &Store, memory: &MemoryDoor) {
    for order in &batch.orders {
        memory.send_once(
            store,
            OutboxKind::Order,
            &order.order_id,
            &order.payload.to_string(),
            order.created_at,
            Some(&order.order_id),
        );
    }
    for alert in &batch.alerts {
        let Some(id) = alert.payload.get("id").and_then(|v| v.as_str()) else {
            continue;
        };
        memory.send_once(
            store,
            OutboxKind::Alert,
            id,
            &alert.payload.to_string(),
            alert.at,
            None,
        );
    }
}

/// The decisions as the store records them: orders with where they go,
/// alerts with a stable id.
fn decision_batch(
    decisions: &[Decision],
    store: &Store,
    engine_snapshot: Option<String>,
) -> DecisionBatch {
    let mut batch = DecisionBatch {
        orders: Vec::new(),
        alerts: Vec::new(),
        engine_snapshot,
    };
    for decision in decisions {
        let payload = match serde_json::to_value(decision) {
            Ok(v) => v,
            Err(e) => {
                error!(error = %e, "cannot serialise a decision");
                continue;
            }
        };
        match decision {
            Decision::Order(order) => {
                info!(order_id = %order.order_id, site = %order.site, contact = %order.contact, lines = order.lines.len(), "order placed");
                let mut payload = payload;
                if let Some(object) = payload.as_object_mut() {
                    super::order_lines::make_shippable(object, order, store);
                }
                batch.orders.push(NewOrder {
                    order_id: order.order_id.clone(),
                    created_at: order.created_at,
                    site: Some(order.site.clone()),
                    contact: Some(order.contact.clone()),
                    payload,
                });
            }
            Decision::Alert(alert) => {
                let kind = serde_json::to_value(alert.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| "alert".into());
                // Alerts carry a stable id so upstream drops redeliveries:
                // one alert of a kind per printer, supply and instant.
                let mut payload = payload;
                if let Some(object) = payload.as_object_mut() {
                    let supply = alert
                        .supply_index
                        .map_or(String::new(), |i| format!("-{i}"));
                    object.insert(
                        "id".into(),
                        serde_json::Value::String(format!(
                            "alr-{kind}-{}{supply}-{}",
                            alert.printer,
                            alert.at.timestamp()
                        )),
                    );
                }
                info!(%kind, printer = %alert.printer, "alert raised");
                batch.alerts.push(NewAlert {
                    kind,
                    printer: Some(alert.printer.clone()),
                    at: alert.at,
                    payload,
                });
            }
        }
    }
    batch
}
