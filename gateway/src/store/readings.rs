//! The `readings` table: append-only history of every supply at every
//! successful poll. It is the engine's input (consumption over time) and the
//! buffer upstream reads levels from after being offline. Retention keeps
//! the SD card from filling up.

use chrono::{DateTime, Utc};
use rusqlite::{Row, params};
use serde::Serialize;

use super::outbox::clamp_limit;
use super::time::{from_db, to_db};
use super::{Store, StoreError};

/// One supply level at one poll.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadingRow {
    /// Increasing with insertion: a cursor for readers that catch up.
    pub id: i64,
    /// When the poll read it.
    pub observed_at: DateTime<Utc>,
    /// Identity key of the printer.
    pub printer_key: String,
    /// Supply row index.
    pub supply_index: u32,
    /// Raw level (negative codes kept).
    pub level: i64,
    /// Raw capacity (negative codes kept).
    pub max_capacity: i64,
    /// Percent left, when honest.
    pub percent: Option<f64>,
    /// The printer's page counter at that poll.
    pub page_count: Option<u64>,
}

const COLUMNS: &str =
    "id, observed_at, printer_key, supply_index, level, max_capacity, percent, page_count";

impl Store {
    /// The readings of one printer at or after `since`, oldest first.
    pub fn readings_since(
        &self,
        key: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<ReadingRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM readings
             WHERE printer_key = ?1 AND observed_at >= ?2
             ORDER BY observed_at, id"
        ))?;
        let raw = stmt
            .query_map(params![key, to_db(since)], RawReading::read)?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter().map(RawReading::into_row).collect()
    }

    /// Up to `limit` readings with an id above `after_id`, in id order: lets
    /// a reader (an upstream backfill) resume where it stopped.
    pub fn readings_after(
        &self,
        after_id: i64,
        limit: usize,
    ) -> Result<Vec<ReadingRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM readings WHERE id > ?1 ORDER BY id LIMIT ?2"
        ))?;
        let raw = stmt
            .query_map(params![after_id, clamp_limit(limit)], RawReading::read)?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter().map(RawReading::into_row).collect()
    }

    /// Deletes readings observed before `older_than`, in small batches.
    /// The batches scan in insertion order, where the old rows are, instead
    /// of maintaining a time index on every poll; a run therefore ends with
    /// one pass over the table, fine for a daily job. Returns how many went.
    pub fn prune_readings(&self, older_than: DateTime<Utc>) -> Result<u64, StoreError> {
        self.prune_in_batches(
            "DELETE FROM readings WHERE id IN (
                 SELECT id FROM readings WHERE observed_at < ?1 ORDER BY id LIMIT ?2)",
            older_than,
        )
    }
}

struct RawReading {
    id: i64,
    observed_at: i64,
    printer_key: String,
    supply_index: i64,
    level: i64,
    max_capacity: i64,
    percent: Option<f64>,
    page_count: Option<i64>,
}

impl RawReading {
    fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            observed_at: row.get(1)?,
            printer_key: row.get(2)?,
            supply_index: row.get(3)?,
            level: row.get(4)?,
            max_capacity: row.get(5)?,
            percent: row.get(6)?,
            page_count: row.get(7)?,
        })
    }

    fn into_row(self) -> Result<ReadingRow, StoreError> {
        Ok(ReadingRow {
            id: self.id,
            observed_at: from_db(self.observed_at, "readings.observed_at")?,
            printer_key: self.printer_key,
            supply_index: u32::try_from(self.supply_index).map_err(|_| {
                StoreError::InvalidValue {
                    column: "readings.supply_index",
                    value: self.supply_index.to_string(),
                }
            })?,
            level: self.level,
            max_capacity: self.max_capacity,
            percent: self.percent,
            page_count: self
                .page_count
                .map(|n| {
                    u64::try_from(n).map_err(|_| StoreError::InvalidValue {
                        column: "readings.page_count",
                        value: n.to_string(),
                    })
                })
                .transpose()?,
        })
    }
}
