//! The engine's thread. The engine is pure and SQLite is blocking, so both
//! live on one plain thread fed by a channel: decisions and the engine
//! snapshot are committed together, in one transaction, before the uplink is
//! woken to send them — nothing is announced that is not on disk.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use asr_engine::{Decision, Engine, Event, SupplyForecast};
use tokio::sync::{Notify, mpsc, oneshot};
use tracing::{error, info, warn};

use crate::store::{DecisionBatch, NewAlert, NewOrder, Store};

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
    snapshot_every: Duration,
    mut engine: Engine,
    mut rx: mpsc::Receiver<EngineInput>,
    store: Arc<Store>,
    outputs: Arc<EngineOutputs>,
    wake_uplink: Arc<Notify>,
    refresh_status: impl Fn(&Store),
) {
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
                for event in events {
                    pending.extend(engine.handle(event));
                }
                dirty = true;
                if (!pending.is_empty() || last_snapshot.elapsed() >= snapshot_every)
                    && commit(&engine, &pending, &store)
                {
                    last_snapshot = Instant::now();
                    dirty = false;
                    if !pending.is_empty() {
                        wake_uplink.notify_one();
                    }
                    pending.clear();
                    last_refresh = None;
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
                if dirty && commit(&engine, &pending, &store) {
                    dirty = false;
                    last_snapshot = Instant::now();
                    pending.clear();
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
    if dirty && !commit(&engine, &pending, &store) {
        error!(
            lost = pending.len(),
            "could not save the engine state at shutdown"
        );
    }
    info!("engine stopped, state saved");
}

/// Where an order goes, from the records of its printers: the site and
/// contact the engine consolidated on, with the postal address, e-mail and
/// phone set on the printers (the first printer of the order that has each),
/// so the supplier can ship without a lookup.
fn ship_to(order: &asr_engine::Order, store: &Store) -> serde_json::Value {
    let mut address = None;
    let mut email = None;
    let mut phone = None;
    for line in &order.lines {
        if let Ok(Some(p)) = store.printer(&line.printer) {
            address = address.or(p.postal_address);
            email = email.or(p.contact_email);
            phone = phone.or(p.contact_phone);
        }
    }
    serde_json::json!({
        "site": order.site,
        "postal_address": address,
        "contact": order.contact,
        "contact_email": email,
        "contact_phone": phone,
    })
}

/// Writes decisions, their outbox messages and the snapshot in one transaction.
fn commit(engine: &Engine, decisions: &[Decision], store: &Store) -> bool {
    let snapshot = match serde_json::to_string(engine) {
        Ok(s) => s,
        Err(e) => {
            error!(error = %e, "cannot serialise the engine state");
            return false;
        }
    };
    let mut batch = DecisionBatch {
        orders: Vec::new(),
        alerts: Vec::new(),
        engine_snapshot: Some(snapshot),
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
                    object.insert("ship_to".into(), ship_to(order, store));
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
    match store.commit_decisions(&batch) {
        Ok(_) => true,
        Err(e) => {
            warn!(error = %e, "could not commit engine decisions; kept in memory and retried");
            false
        }
    }
}
