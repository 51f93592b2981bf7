//! The `alerts` table: what the engine decided people should know (a supply
//! about to run out with ordering excluded, a printer silent for days…),
//! kept for the status page; each is also queued for upstream.

use chrono::{DateTime, Utc};
use rusqlite::{Row, params};
use serde::Serialize;

use super::outbox::clamp_limit;
use super::time::{from_db, to_db};
use super::{Store, StoreError};

/// An alert to record (see [`super::DecisionBatch`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    /// What kind of alert (engine vocabulary).
    pub kind: String,
    /// Identity key of the printer concerned, if one is.
    pub printer: Option<String>,
    /// When it was raised.
    pub at: DateTime<Utc>,
    /// Details, sent upstream as is.
    pub payload: serde_json::Value,
}

/// One recorded alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertRow {
    /// Increasing with insertion.
    pub id: i64,
    /// What kind of alert.
    pub kind: String,
    /// Identity key of the printer concerned, if one is.
    pub printer: Option<String>,
    /// When it was raised.
    pub at: DateTime<Utc>,
    /// Details.
    pub payload: serde_json::Value,
    /// When a person acknowledged it.
    pub acked_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Marks the alert whose payload `id` is `alert_id` as seen by a person.
    /// Returns false when no alert has that id. Acknowledging twice keeps
    /// the first time.
    pub fn ack_alert(&self, alert_id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let conn = self.lock();
        // Alerts are few (a handful a day): a scan is cheaper than an index
        // written with every alert.
        let found = conn.execute(
            "UPDATE alerts SET acked_at = coalesce(acked_at, ?2)
             WHERE json_extract(payload, '$.id') = ?1",
            params![alert_id, to_db(at)],
        )?;
        Ok(found > 0)
    }

    /// Alerts nobody acknowledged yet.
    pub fn open_alert_count(&self) -> Result<u64, StoreError> {
        let conn = self.lock();
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM alerts WHERE acked_at IS NULL",
            [],
            |row| row.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// The `limit` most recent alerts, newest first.
    pub fn recent_alerts(&self, limit: usize) -> Result<Vec<AlertRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, kind, printer_key, at, payload, acked_at FROM alerts ORDER BY id DESC LIMIT ?1",
        )?;
        let raw = stmt
            .query_map([clamp_limit(limit)], read_raw)?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter()
            .map(|(id, kind, printer, at, payload, acked_at)| {
                Ok(AlertRow {
                    id,
                    kind,
                    printer,
                    at: from_db(at, "alerts.at")?,
                    acked_at: acked_at
                        .map(|t| from_db(t, "alerts.acked_at"))
                        .transpose()?,
                    payload: serde_json::from_str(&payload).map_err(|source| StoreError::Json {
                        column: "alerts.payload",
                        source,
                    })?,
                })
            })
            .collect()
    }
}

type RawAlert = (i64, String, Option<String>, i64, String, Option<i64>);

fn read_raw(row: &Row<'_>) -> rusqlite::Result<RawAlert> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}
