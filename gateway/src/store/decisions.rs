//! Committing what the engine decided: orders, alerts, their outbox messages
//! and the engine's new state, in ONE durable transaction. Either all of it
//! is on the card or none of it, so a crash can neither lose an order the
//! engine believes it made nor make the engine forget one that is queued.

use chrono::Utc;
use rusqlite::params;
use serde::Serialize;

use super::engine_state::write_snapshot;
use super::outbox::{OutboxKind, enqueue};
use super::time::to_db;
use super::{NewAlert, NewOrder, Store, StoreError};

/// Everything one engine step decided.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DecisionBatch {
    /// Orders to record and send; duplicates of recorded ids are ignored.
    pub orders: Vec<NewOrder>,
    /// Alerts to record and send.
    pub alerts: Vec<NewAlert>,
    /// The engine's state after these decisions, when it changed.
    pub engine_snapshot: Option<String>,
}

/// What [`Store::commit_decisions`] recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CommitOutcome {
    /// Ids of the orders recorded (and queued) by this call.
    pub orders_inserted: Vec<String>,
    /// Ids already recorded before: nothing was done for them.
    pub orders_duplicate: Vec<String>,
    /// Alerts recorded (and queued).
    pub alerts_inserted: usize,
    /// Outbox ids queued, in order.
    pub outbox_ids: Vec<i64>,
}

impl Store {
    /// Records a batch of decisions in one transaction that is on the card
    /// (WAL fsynced) when this returns. Idempotent for orders: an order id
    /// already recorded is skipped, and its message is not queued again.
    pub fn commit_decisions(&self, batch: &DecisionBatch) -> Result<CommitOutcome, StoreError> {
        let orders = batch
            .orders
            .iter()
            .map(|order| {
                if order.order_id.trim().is_empty() {
                    return Err(StoreError::InvalidInput {
                        what: "order id",
                        reason: "empty".to_owned(),
                    });
                }
                Ok((order, order.payload.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let alerts: Vec<(&NewAlert, String)> = batch
            .alerts
            .iter()
            .map(|alert| (alert, alert.payload.to_string()))
            .collect();
        let now = Utc::now();
        let synced = self.clock_synced();
        self.durable_transaction(|tx| {
            let mut outcome = CommitOutcome::default();
            for (order, payload) in &orders {
                let inserted = tx
                    .prepare_cached(
                        "INSERT INTO orders (order_id, created_at, site, contact, payload, status)
                         VALUES (?1, ?2, ?3, ?4, ?5, 'queued')
                         ON CONFLICT (order_id) DO NOTHING",
                    )?
                    .execute(params![
                        order.order_id,
                        to_db(order.created_at),
                        order.site,
                        order.contact,
                        payload
                    ])?;
                if inserted == 0 {
                    outcome.orders_duplicate.push(order.order_id.clone());
                    continue;
                }
                outcome.outbox_ids.push(enqueue(
                    tx,
                    OutboxKind::Order,
                    payload,
                    order.created_at,
                    Some(&order.order_id),
                    synced,
                )?);
                outcome.orders_inserted.push(order.order_id.clone());
            }
            for (alert, payload) in &alerts {
                tx.prepare_cached(
                    "INSERT INTO alerts (kind, printer_key, at, payload) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![
                    alert.kind,
                    alert.printer,
                    to_db(alert.at),
                    payload
                ])?;
                outcome.outbox_ids.push(enqueue(
                    tx,
                    OutboxKind::Alert,
                    payload,
                    alert.at,
                    None,
                    synced,
                )?);
                outcome.alerts_inserted += 1;
            }
            if let Some(snapshot) = &batch.engine_snapshot {
                write_snapshot(tx, snapshot, now)?;
            }
            Ok(outcome)
        })
    }

    /// Saves the engine's state alone (no decisions).
    pub fn save_engine_snapshot(&self, snapshot: &str) -> Result<(), StoreError> {
        self.commit_decisions(&DecisionBatch {
            engine_snapshot: Some(snapshot.to_owned()),
            ..DecisionBatch::default()
        })?;
        Ok(())
    }
}
