//! The `alerts` table: what the engine decided people should know (a supply
//! about to run out with ordering excluded, a printer silent for days…),
//! kept for the status page; each is also queued for upstream.

use chrono::{DateTime, Utc};
use rusqlite::Row;
use serde::Serialize;

use super::outbox::clamp_limit;
use super::time::from_db;
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
}

impl Store {
    /// The `limit` most recent alerts, newest first.
    pub fn recent_alerts(&self, limit: usize) -> Result<Vec<AlertRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, kind, printer_key, at, payload FROM alerts ORDER BY id DESC LIMIT ?1",
        )?;
        let raw = stmt
            .query_map([clamp_limit(limit)], read_raw)?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter()
            .map(|(id, kind, printer, at, payload)| {
                Ok(AlertRow {
                    id,
                    kind,
                    printer,
                    at: from_db(at, "alerts.at")?,
                    payload: serde_json::from_str(&payload).map_err(|source| StoreError::Json {
                        column: "alerts.payload",
                        source,
                    })?,
                })
            })
            .collect()
    }
}

type RawAlert = (i64, String, Option<String>, i64, String);

fn read_raw(row: &Row<'_>) -> rusqlite::Result<RawAlert> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}
