//! The outbox: every message for upstream waits here, with an id that is
//! never reused, until the uplink confirms delivery. Delivery is therefore
//! at least once (a crash between publish and `outbox_mark_sent` resends);
//! upstream de-duplicates on the id. Sent rows are kept a while (the status
//! page shows what left) and pruned in small batches to bound disk use.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use super::time::{from_db, to_db};
use super::{PRUNE_BATCH, Store, StoreError};

/// What a message is about; upstream routes on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxKind {
    /// A replenishment order.
    Order,
    /// An alert decided by the engine.
    Alert,
    /// Supply levels of one printer after a poll.
    Level,
    /// Anything else worth telling (printer discovered, moved, …).
    Event,
    /// Cartridge lives measured per model and supply (at most daily).
    Lives,
}

impl OutboxKind {
    /// The name stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Order => "order",
            OutboxKind::Alert => "alert",
            OutboxKind::Level => "level",
            OutboxKind::Event => "event",
            OutboxKind::Lives => "lives",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "order" => Ok(OutboxKind::Order),
            "alert" => Ok(OutboxKind::Alert),
            "level" => Ok(OutboxKind::Level),
            "event" => Ok(OutboxKind::Event),
            "lives" => Ok(OutboxKind::Lives),
            other => Err(StoreError::InvalidValue {
                column: "outbox.kind",
                value: other.to_owned(),
            }),
        }
    }
}

/// One message waiting for (or past) delivery.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxRow {
    /// Stable, never reused: upstream de-duplicates on it.
    pub id: i64,
    /// What it is about.
    pub kind: OutboxKind,
    /// The message body, JSON text, to send as is.
    pub payload: String,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// Queues one message (for events the runtime wants upstream; orders,
    /// alerts and levels are queued by `commit_decisions` and `record_poll`).
    pub fn outbox_push(
        &self,
        kind: OutboxKind,
        payload: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let text = payload.to_string();
        let synced = self.clock_synced();
        self.transaction(|tx| enqueue(tx, kind, &text, at, None, synced))
    }

    /// Up to `limit` undelivered messages, oldest first.
    pub fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        self.outbox_pending_after(0, limit)
    }

    /// Up to `limit` undelivered messages with an id above `after`, oldest first.
    pub fn outbox_pending_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, kind, payload, created_at FROM outbox
             WHERE sent_at IS NULL AND id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let raw = stmt
            .query_map(params![after, clamp_limit(limit)], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter()
            .map(|(id, kind, payload, created_at)| {
                Ok(OutboxRow {
                    id,
                    kind: OutboxKind::parse(&kind)?,
                    payload,
                    created_at: from_db(created_at, "outbox.created_at")?,
                })
            })
            .collect()
    }

    /// Marks messages delivered (upstream acknowledged them), in one
    /// transaction; orders among them become [`super::OrderStatus::Sent`].
    /// Unknown or already-sent ids are ignored. Returns how many changed.
    pub fn outbox_mark_sent(&self, ids: &[i64]) -> Result<usize, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let now = to_db(Utc::now());
        self.transaction(|tx| {
            // Delivered rows are deleted, not flagged: consecutive rows
            // empty whole pages, which SQLite frees without rewriting them,
            // where an UPDATE rewrites every page (twice, with the
            // checkpoint) — the difference is most of the SD-card writes
            // of a drain. AUTOINCREMENT still never reuses an id.
            let mut mark = tx.prepare_cached(
                "DELETE FROM outbox WHERE id = ?1 AND sent_at IS NULL RETURNING kind, ref",
            )?;
            let mut order = tx.prepare_cached(
                "UPDATE orders SET status = 'sent', sent_at = ?2
                 WHERE order_id = ?1 AND status = 'queued'",
            )?;
            let mut changed = 0;
            for id in ids {
                let marked: Option<(String, Option<String>)> = mark
                    .query_row(params![id], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()?;
                if let Some((kind, reference)) = marked {
                    changed += 1;
                    if let (OutboxKind::Order, Some(order_id)) =
                        (OutboxKind::parse(&kind)?, reference)
                    {
                        order.execute(params![order_id, now])?;
                    }
                }
            }
            Ok(changed)
        })
    }

    /// How many messages wait for delivery.
    pub fn outbox_depth(&self) -> Result<u64, StoreError> {
        let conn = self.lock();
        let depth: i64 = conn.query_row(
            "SELECT count(*) FROM outbox WHERE sent_at IS NULL",
            [],
            |row| row.get(0),
        )?;
        Ok(u64::try_from(depth).unwrap_or_default())
    }

    /// Deletes delivered messages sent before `older_than`, in batches of
    /// [`PRUNE_BATCH`] (one short transaction each, so polls are not held
    /// up). Undelivered messages are never pruned. Returns how many went.
    pub fn outbox_prune_sent(&self, older_than: DateTime<Utc>) -> Result<u64, StoreError> {
        self.prune_in_batches(
            "DELETE FROM outbox WHERE id IN (
                 SELECT id FROM outbox
                 WHERE sent_at IS NOT NULL AND sent_at < ?1
                 ORDER BY id LIMIT ?2)",
            older_than,
        )
    }

    /// Runs a `DELETE … LIMIT ?2` statement (cut-off in `?1`) until it
    /// deletes fewer than a batch, releasing the lock between batches.
    pub(crate) fn prune_in_batches(
        &self,
        sql: &str,
        older_than: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let cutoff = to_db(older_than);
        let batch = clamp_limit(PRUNE_BATCH);
        let mut total = 0u64;
        loop {
            let deleted = self.transaction(|tx| Ok(tx.execute(sql, params![cutoff, batch])?))?;
            total += deleted as u64;
            if deleted < PRUNE_BATCH {
                return Ok(total);
            }
        }
    }
}

impl Store {
    /// The message the outbox would hold for `payload`, for sending from
    /// memory when it cannot be stored: same envelope, same stable id.
    pub fn memory_copy(
        &self,
        kind: OutboxKind,
        payload: &str,
        at: DateTime<Utc>,
        reference: Option<&str>,
    ) -> String {
        with_envelope(kind, payload, at, reference, self.clock_synced())
    }
}

/// Queues one message inside the caller's transaction, so the message exists
/// if and only if the facts it reports were committed. The message gets its
/// envelope here, once: a stable `id`, `created_at` and `clock_synced` as
/// they were when it was made (the uplink adds the schema version and the
/// gateway id on the way out).
pub(crate) fn enqueue(
    tx: &Transaction<'_>,
    kind: OutboxKind,
    payload: &str,
    at: DateTime<Utc>,
    reference: Option<&str>,
    clock_synced: bool,
) -> Result<i64, StoreError> {
    let payload = with_envelope(kind, payload, at, reference, clock_synced);
    let mut stmt = tx.prepare_cached(
        "INSERT INTO outbox (kind, payload, created_at, ref, size) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let size = i64::try_from(payload.len()).unwrap_or(i64::MAX);
    stmt.execute(params![kind.as_str(), payload, to_db(at), reference, size])?;
    Ok(tx.last_insert_rowid())
}

/// `payload` with the envelope fields it lacks. The id of a message that
/// has none: the order id for orders, else kind, time and a random part —
/// written once into the row, so every redelivery carries the same. Also
/// what a message sent from memory carries when it could not be stored.
pub(crate) fn with_envelope(
    kind: OutboxKind,
    payload: &str,
    at: DateTime<Utc>,
    reference: Option<&str>,
    clock_synced: bool,
) -> String {
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_str(payload) else {
        return payload.to_string();
    };
    if !object.contains_key("id") {
        let id = match (kind, reference) {
            (OutboxKind::Order, Some(order_id)) => order_id.to_string(),
            _ => format!(
                "{}-{}-{:08x}",
                kind.as_str(),
                at.timestamp_millis(),
                rand::random::<u32>()
            ),
        };
        object.insert("id".into(), serde_json::Value::String(id));
    }
    object
        .entry("created_at")
        .or_insert_with(|| serde_json::Value::String(at.to_rfc3339()));
    object.insert("clock_synced".into(), serde_json::Value::Bool(clock_synced));
    serde_json::Value::Object(object).to_string()
}

/// A row limit as SQLite takes it.
pub(crate) fn clamp_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}
