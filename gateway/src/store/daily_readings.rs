//! The `daily_readings` table: what is kept of old level history. Raw
//! readings older than the retention window (`gateway.readings_days`,
//! default 90) are folded into one row per supply and UTC day — lowest,
//! highest and last level, the page counter, how many readings — and
//! deleted, a small batch per transaction, so the table stops growing
//! without ever holding the database for long. Daily rows themselves are
//! kept [`DAILY_KEPT_DAYS`]. The engine does not read them: its state is
//! its own snapshot.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::time::{from_db, to_db};
use super::{Store, StoreError};

/// Raw readings folded per transaction.
pub const COMPACT_BATCH: usize = 500;

const DAY_MS: i64 = 86_400_000;

/// Daily rows are kept this many days (about three years of each supply's
/// history for the printer page's chart and for audits), so the database
/// stops growing on a box that runs for years.
pub const DAILY_KEPT_DAYS: i64 = 3 * 365;

/// One supply's levels over one UTC day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyReading {
    /// Identity key of the printer.
    pub printer_key: String,
    /// Supply row index.
    pub supply_index: u32,
    /// Midnight UTC of the day.
    pub day: DateTime<Utc>,
    /// Lowest percent that day, when any reading had one.
    pub min_percent: Option<f64>,
    /// Highest percent that day (above the lowest: a cartridge was swapped).
    pub max_percent: Option<f64>,
    /// The day's last reading: raw level and percent.
    pub last_level: i64,
    pub last_percent: Option<f64>,
    /// The highest page counter read that day.
    pub page_count: Option<u64>,
    /// Raw readings folded in.
    pub samples: u64,
}

/// What one compaction did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompactOutcome {
    /// Raw readings folded and deleted.
    pub folded: u64,
    /// Transactions used.
    pub batches: u64,
    /// Whether older readings remain (the batch limit was reached).
    pub more: bool,
}

/// One day of one supply being folded.
#[derive(Default)]
struct Fold {
    min: Option<f64>,
    max: Option<f64>,
    last_at: i64,
    last_level: i64,
    last_percent: Option<f64>,
    page_count: Option<i64>,
    samples: i64,
}

fn lower(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn higher(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

impl Store {
    /// Folds raw readings observed before `older_than` into daily rows and
    /// deletes them, `COMPACT_BATCH` per transaction, at most `max_batches`
    /// transactions (the rest waits for the next run).
    pub fn compact_readings(
        &self,
        older_than: DateTime<Utc>,
        max_batches: u64,
    ) -> Result<CompactOutcome, StoreError> {
        let cutoff = to_db(older_than);
        let mut outcome = CompactOutcome::default();
        while outcome.batches < max_batches {
            let folded = self.transaction(|tx| {
                type Raw = (i64, i64, String, i64, i64, Option<f64>, Option<i64>);
                let rows: Vec<Raw> = tx
                    .prepare_cached(
                        "SELECT id, observed_at, printer_key, supply_index, level, percent, page_count
                         FROM readings WHERE observed_at < ?1 ORDER BY id LIMIT ?2",
                    )?
                    .query_map(params![cutoff, COMPACT_BATCH as i64], |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                            r.get(6)?,
                        ))
                    })?
                    .collect::<Result<_, _>>()?;
                let mut days: BTreeMap<(String, i64, i64), Fold> = BTreeMap::new();
                for (_, at, key, index, level, percent, pages) in &rows {
                    let f = days
                        .entry((key.clone(), *index, at.div_euclid(DAY_MS)))
                        .or_default();
                    f.min = lower(f.min, *percent);
                    f.max = higher(f.max, *percent);
                    if f.samples == 0 || *at >= f.last_at {
                        f.last_at = *at;
                        f.last_level = *level;
                        f.last_percent = *percent;
                    }
                    f.page_count = f.page_count.max(*pages);
                    f.samples += 1;
                }
                let mut upsert = tx.prepare_cached(
                    "INSERT INTO daily_readings (printer_key, supply_index, day, min_percent,
                         max_percent, last_at, last_level, last_percent, page_count, samples)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                     ON CONFLICT (printer_key, supply_index, day) DO UPDATE SET
                         min_percent = CASE WHEN excluded.min_percent IS NULL THEN min_percent
                             WHEN min_percent IS NULL THEN excluded.min_percent
                             ELSE min(min_percent, excluded.min_percent) END,
                         max_percent = CASE WHEN excluded.max_percent IS NULL THEN max_percent
                             WHEN max_percent IS NULL THEN excluded.max_percent
                             ELSE max(max_percent, excluded.max_percent) END,
                         last_level = CASE WHEN excluded.last_at >= last_at
                             THEN excluded.last_level ELSE last_level END,
                         last_percent = CASE WHEN excluded.last_at >= last_at
                             THEN excluded.last_percent ELSE last_percent END,
                         last_at = max(last_at, excluded.last_at),
                         page_count = max(coalesce(page_count, excluded.page_count),
                             coalesce(excluded.page_count, page_count)),
                         samples = samples + excluded.samples",
                )?;
                for ((key, index, day), f) in &days {
                    upsert.execute(params![
                        key,
                        index,
                        day * DAY_MS,
                        f.min,
                        f.max,
                        f.last_at,
                        f.last_level,
                        f.last_percent,
                        f.page_count,
                        f.samples
                    ])?;
                }
                let mut delete = tx.prepare_cached("DELETE FROM readings WHERE id = ?1")?;
                for row in &rows {
                    delete.execute([row.0])?;
                }
                // Daily rows older than DAILY_KEPT_DAYS before the newest
                // day folded go: a range of the primary key per supply.
                let mut newest: BTreeMap<(&str, i64), i64> = BTreeMap::new();
                for (key, index, day) in days.keys() {
                    let d = newest.entry((key.as_str(), *index)).or_insert(*day);
                    *d = (*d).max(*day);
                }
                let mut expire = tx.prepare_cached(
                    "DELETE FROM daily_readings
                     WHERE printer_key = ?1 AND supply_index = ?2 AND day < ?3",
                )?;
                for ((key, index), day) in newest {
                    expire.execute(params![key, index, (day - DAILY_KEPT_DAYS) * DAY_MS])?;
                }
                Ok(rows.len())
            })?;
            outcome.folded += folded as u64;
            if folded > 0 {
                outcome.batches += 1;
            }
            if folded < COMPACT_BATCH {
                outcome.more = false;
                return Ok(outcome);
            }
            outcome.more = true;
        }
        Ok(outcome)
    }

    /// The daily rows of one printer from `since` (a day is included when
    /// it starts at or after it), oldest first.
    pub fn daily_readings(
        &self,
        key: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<DailyReading>, StoreError> {
        type Raw = (
            String,
            i64,
            i64,
            Option<f64>,
            Option<f64>,
            i64,
            Option<f64>,
            Option<i64>,
            i64,
        );
        let raw: Vec<Raw> = {
            let conn = self.lock();
            let mut stmt = conn.prepare_cached(
                "SELECT printer_key, supply_index, day, min_percent, max_percent, last_level,
                        last_percent, page_count, samples
                 FROM daily_readings WHERE printer_key = ?1 AND day >= ?2
                 ORDER BY day, supply_index",
            )?;
            stmt.query_map(params![key, to_db(since)], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            })?
            .collect::<Result<_, _>>()?
        };
        raw.into_iter()
            .map(
                |(printer_key, index, day, min, max, level, last, pages, n)| {
                    Ok(DailyReading {
                        printer_key,
                        supply_index: u32::try_from(index).map_err(|_| {
                            StoreError::InvalidValue {
                                column: "daily_readings.supply_index",
                                value: index.to_string(),
                            }
                        })?,
                        day: from_db(day, "daily_readings.day")?,
                        min_percent: min,
                        max_percent: max,
                        last_level: level,
                        last_percent: last,
                        page_count: pages.and_then(|p| u64::try_from(p).ok()),
                        samples: u64::try_from(n).unwrap_or_default(),
                    })
                },
            )
            .collect()
    }
}
