//! The outbox's byte budget. A gateway offline for weeks keeps queueing;
//! without a bound the SD card fills and then nothing at all can be written.
//! Orders, alerts and events are never given up: only level telemetry is,
//! and gently — first merged to one message per printer per hour, then per
//! day (each merged message keeps the latest reading of every supply any of
//! its parts carried), and only then dropped oldest first. What was thinned
//! and dropped is counted, so upstream knows the history has gaps.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};
use serde_json::Value;

use super::time::opt_from_db;
use super::{Store, StoreError};

/// `meta` key: level messages merged away so far.
const THINNED_KEY: &str = "outbox.levels_thinned";
/// `meta` key: level messages dropped so far.
const DROPPED_KEY: &str = "outbox.levels_dropped";

/// Thinning starts at this share of the budget, so dropping is rarely needed.
const THIN_AT_PERCENT: u64 = 80;
/// Dropping brings the outbox back to this share of the budget, so it does
/// not run again on the next message.
const DROP_TO_PERCENT: u64 = 90;

/// What waits in the outbox, for the status and the page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxFigures {
    /// Messages waiting.
    pub depth: u64,
    /// Payload bytes waiting.
    pub bytes: u64,
    /// When the oldest waiting message was created.
    pub oldest_created_at: Option<DateTime<Utc>>,
    /// Level messages merged away by thinning, since the database was made.
    pub levels_thinned: u64,
    /// Level messages dropped past the budget, since the database was made.
    pub levels_dropped: u64,
}

/// What one budget check did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BudgetOutcome {
    /// Bytes waiting before.
    pub bytes_before: u64,
    /// Bytes waiting after.
    pub bytes_after: u64,
    /// Level messages merged into others.
    pub thinned: u64,
    /// Level messages dropped.
    pub dropped: u64,
}

impl Store {
    /// Depth, bytes and age of what waits, with the thinning counters.
    pub fn outbox_figures(&self) -> Result<OutboxFigures, StoreError> {
        let (depth, bytes, oldest) = {
            let conn = self.lock();
            conn.prepare_cached(
                "SELECT count(*), coalesce(sum(size), 0), min(created_at)
                 FROM outbox WHERE sent_at IS NULL",
            )?
            .query_row([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, Option<i64>>(2)?,
                ))
            })?
        };
        Ok(OutboxFigures {
            depth: u64::try_from(depth).unwrap_or_default(),
            bytes: u64::try_from(bytes).unwrap_or_default(),
            oldest_created_at: opt_from_db(oldest, "outbox.created_at")?,
            levels_thinned: self.counter(THINNED_KEY)?,
            levels_dropped: self.counter(DROPPED_KEY)?,
        })
    }

    /// Keeps the waiting messages under `max_bytes`: thins level telemetry
    /// from 80 % of the budget (hourly, then daily), and past the budget
    /// drops the oldest level messages down to 90 %. Orders, alerts and
    /// events are never touched, even if they alone exceed the budget.
    pub fn outbox_enforce_budget(&self, max_bytes: u64) -> Result<BudgetOutcome, StoreError> {
        let before = self.outbox_figures()?.bytes;
        let mut outcome = BudgetOutcome {
            bytes_before: before,
            bytes_after: before,
            ..BudgetOutcome::default()
        };
        let thin_at = max_bytes / 100 * THIN_AT_PERCENT;
        for bucket in [HOUR_MS, DAY_MS] {
            if outcome.bytes_after <= thin_at {
                break;
            }
            outcome.thinned += self.thin_levels(bucket)?;
            outcome.bytes_after = self.outbox_figures()?.bytes;
        }
        if outcome.bytes_after > max_bytes {
            let target = max_bytes / 100 * DROP_TO_PERCENT;
            outcome.dropped = self.drop_oldest_levels(outcome.bytes_after - target)?;
            outcome.bytes_after = self.outbox_figures()?.bytes;
        }
        if outcome.thinned > 0 {
            self.add_to_counter(THINNED_KEY, outcome.thinned)?;
        }
        if outcome.dropped > 0 {
            self.add_to_counter(DROPPED_KEY, outcome.dropped)?;
        }
        Ok(outcome)
    }

    /// Merges the waiting level messages of each printer into one a day,
    /// whatever the budget (room is short); counted like budget thinning.
    pub(crate) fn thin_levels_daily(&self) -> Result<u64, StoreError> {
        let thinned = self.thin_levels(DAY_MS)?;
        if thinned > 0 {
            self.add_to_counter(THINNED_KEY, thinned)?;
        }
        Ok(thinned)
    }

    /// Merges the waiting level messages of each printer into one per
    /// `bucket_ms` window. One transaction per printer keeps the lock short.
    fn thin_levels(&self, bucket_ms: i64) -> Result<u64, StoreError> {
        let printers: Vec<String> = {
            let conn = self.lock();
            let mut stmt = conn.prepare_cached(
                "SELECT DISTINCT ref FROM outbox
                 WHERE sent_at IS NULL AND kind = 'level' AND ref IS NOT NULL",
            )?;
            stmt.query_map([], |row| row.get(0))?
                .collect::<Result<_, _>>()?
        };
        let mut merged = 0;
        for printer in printers {
            merged += self.transaction(|tx| thin_printer(tx, &printer, bucket_ms))?;
        }
        Ok(merged)
    }

    /// Deletes the oldest waiting level messages until `to_free` bytes are
    /// gone (or none is left). Returns how many went.
    fn drop_oldest_levels(&self, to_free: u64) -> Result<u64, StoreError> {
        let mut freed = 0u64;
        let mut dropped = 0u64;
        while freed < to_free {
            let step = self.transaction(|tx| {
                let rows: Vec<(i64, i64)> = tx
                    .prepare_cached(
                        "SELECT id, size FROM outbox
                         WHERE sent_at IS NULL AND kind = 'level' ORDER BY id LIMIT ?1",
                    )?
                    .query_map([super::outbox::clamp_limit(super::PRUNE_BATCH)], |row| {
                        Ok((row.get(0)?, row.get(1)?))
                    })?
                    .collect::<Result<_, _>>()?;
                let mut delete = tx.prepare_cached("DELETE FROM outbox WHERE id = ?1")?;
                let (mut bytes, mut count) = (0u64, 0u64);
                for (id, size) in rows {
                    if freed + bytes >= to_free {
                        break;
                    }
                    delete.execute([id])?;
                    bytes += u64::try_from(size).unwrap_or_default();
                    count += 1;
                }
                Ok((bytes, count))
            })?;
            if step.1 == 0 {
                break;
            }
            freed += step.0;
            dropped += step.1;
        }
        Ok(dropped)
    }

    fn counter(&self, key: &str) -> Result<u64, StoreError> {
        Ok(self
            .meta_get(key)?
            .and_then(|v| v.parse().ok())
            .unwrap_or_default())
    }

    fn add_to_counter(&self, key: &str, by: u64) -> Result<(), StoreError> {
        let total = self.counter(key)?.saturating_add(by);
        self.meta_set(key, &total.to_string())
    }
}

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Merges one printer's waiting level messages per window: the newest of
/// each window is kept (its id, so upstream still de-duplicates) and gets
/// the latest entry of every supply found in the window.
fn thin_printer(tx: &Transaction<'_>, printer: &str, bucket_ms: i64) -> Result<u64, StoreError> {
    let rows: Vec<(i64, i64, String)> = tx
        .prepare_cached(
            "SELECT id, created_at, payload FROM outbox
             WHERE sent_at IS NULL AND kind = 'level' AND ref = ?1 ORDER BY id",
        )?
        .query_map([printer], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut windows: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
    for (id, created_at, payload) in rows {
        windows
            .entry(created_at.div_euclid(bucket_ms))
            .or_default()
            .push((id, payload));
    }
    let mut merged = 0;
    for (_, group) in windows.into_iter().filter(|(_, g)| g.len() > 1) {
        let Some((keep_id, payload)) = merge_levels(&group) else {
            continue;
        };
        let size = i64::try_from(payload.len()).unwrap_or(i64::MAX);
        tx.prepare_cached("UPDATE outbox SET payload = ?2, size = ?3 WHERE id = ?1")?
            .execute(params![keep_id, payload, size])?;
        let mut delete = tx.prepare_cached("DELETE FROM outbox WHERE id = ?1")?;
        for (id, _) in group.iter().filter(|(id, _)| *id != keep_id) {
            delete.execute([id])?;
            merged += 1;
        }
    }
    Ok(merged)
}

/// The newest message of `group` (oldest first) with, for every supply any
/// message carried, its latest entry; also the latest page count. `None`
/// when the newest payload is not a JSON object (left alone).
fn merge_levels(group: &[(i64, String)]) -> Option<(i64, String)> {
    let (keep_id, newest) = group.last()?;
    let Ok(Value::Object(mut base)) = serde_json::from_str::<Value>(newest) else {
        return None;
    };
    let mut supplies: BTreeMap<String, Value> = BTreeMap::new();
    let mut page_count = Value::Null;
    for (_, payload) in group {
        let Ok(Value::Object(message)) = serde_json::from_str::<Value>(payload) else {
            continue;
        };
        if let Some(count) = message.get("page_count").filter(|c| !c.is_null()) {
            page_count = count.clone();
        }
        for entry in message
            .get("supplies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = entry.get("index").map(Value::to_string).unwrap_or_default();
            supplies.insert(key, entry.clone());
        }
    }
    base.insert(
        "supplies".into(),
        Value::Array(supplies.into_values().collect()),
    );
    if !page_count.is_null() {
        base.insert("page_count".into(), page_count);
    }
    base.insert("thinned".into(), Value::Bool(true));
    Some((*keep_id, Value::Object(base).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_keeps_the_latest_entry_of_every_supply() {
        let group = vec![
            (
                1,
                r#"{"id":"a","page_count":10,"supplies":[{"index":1,"level":50},{"index":2,"level":70}]}"#
                    .to_string(),
            ),
            (
                2,
                r#"{"id":"b","page_count":null,"supplies":[{"index":1,"level":40}]}"#.to_string(),
            ),
        ];
        let (id, payload) = merge_levels(&group).expect("merged");
        assert_eq!(id, 2);
        let v: Value = serde_json::from_str(&payload).expect("json");
        assert_eq!(v["id"], "b");
        assert_eq!(v["page_count"], 10);
        assert_eq!(v["thinned"], true);
        let levels: Vec<i64> = v["supplies"]
            .as_array()
            .expect("array")
            .iter()
            .map(|s| s["level"].as_i64().expect("level"))
            .collect();
        assert_eq!(levels, vec![40, 70]);
    }

    #[test]
    fn a_payload_that_is_not_an_object_is_left_alone() {
        assert_eq!(merge_levels(&[(1, "[1]".into()), (2, "nope".into())]), None);
    }
}
