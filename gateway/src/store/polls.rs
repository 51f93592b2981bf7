//! Recording one successful poll: the printer row, its changed supplies, one
//! reading per supply and, when levels moved, a `level` message for
//! upstream, all in ONE transaction (one WAL commit per poll, and never a
//! reading without its printer or a level message without its reading).

use std::collections::{HashMap, HashSet};

use asr_protocols::printer::{Gauge, PrinterReport, Supply};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use super::outbox::{OutboxKind, enqueue};
use super::poll_cache::HEARTBEAT;
use super::printers::StoredStatus;
use super::supplies::{RawSupply, SupplyRow, enum_to_text};
use super::time::to_db;
use super::{Store, StoreError};

/// What recording a poll changed, for logs and events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PollOutcome {
    /// The printer was not known before this poll.
    pub new_printer: bool,
    /// The printer was known at another address (DHCP moved it): the old one.
    pub moved_from: Option<String>,
    /// Supply rows inserted or rewritten because something changed.
    pub supplies_written: usize,
    /// Supply rows deleted because the printer no longer reports them.
    pub supplies_removed: usize,
    /// History rows appended.
    pub readings_added: usize,
    /// Outbox id of the `level` message queued, when a level moved.
    pub level_message: Option<i64>,
}

/// The `level` message body: the supplies that moved. Lean on purpose (it
/// is queued often and kept offline for days): identification fields that
/// never change (description, unit, class) are on the status page, not here.
#[derive(Serialize)]
struct LevelMessage<'a> {
    /// Stable deduplication key upstream: one level message per printer and
    /// poll time, whatever the number of deliveries.
    id: String,
    printer: &'a str,
    serial: Option<&'a str>,
    model: Option<&'a str>,
    address: &'a str,
    at: DateTime<Utc>,
    page_count: Option<u64>,
    supplies: Vec<LevelEntry<'a>>,
}

/// One supply in a `level` message.
#[derive(Serialize)]
struct LevelEntry<'a> {
    index: u32,
    kind: &'a str,
    colorant: Option<&'a str>,
    part_number: Option<&'a str>,
    level: i64,
    max_capacity: i64,
    percent: Option<f64>,
    gauge: Gauge,
}

impl<'a> LevelEntry<'a> {
    fn new(item: &Prepared<'a>) -> Self {
        let s = item.supply;
        Self {
            index: s.index,
            kind: &s.kind,
            colorant: s.colorant.as_deref(),
            part_number: s.part_number.as_deref(),
            level: s.level,
            max_capacity: s.max_capacity,
            percent: item.percent,
            gauge: s.gauge,
        }
    }
}

/// A supply prepared for writing (conversions that can fail done up front).
struct Prepared<'a> {
    supply: &'a Supply,
    class: String,
    gauge: String,
    percent: Option<f64>,
}

impl Store {
    /// Records a successful poll of the printer `key` (its identity key,
    /// normally [`PrinterReport::identity_key`]) reached at `address`.
    ///
    /// A known key at a new address updates the address: a printer is one
    /// row whatever DHCP does. Supplies are rewritten only when a value
    /// changed; a reading is appended per supply. A `level` message is queued
    /// when a supply is new, its whole-number percent changed or its gauge
    /// changed: upstream follows levels without a message per poll of an
    /// idle printer. A report carrying an error is recorded as a failure.
    pub fn record_poll(
        &self,
        key: &str,
        address: &str,
        report: &PrinterReport,
        at: DateTime<Utc>,
    ) -> Result<PollOutcome, StoreError> {
        let poll = PollRecord::Answered {
            key,
            address,
            report,
            at,
        };
        self.record_polls(std::slice::from_ref(&poll))
            .pop()
            .unwrap_or_else(|| Ok(PollOutcome::default()))
    }

    /// Records several polls in one transaction: a whole poll cycle costs
    /// the SD card one commit, and each table page it touches is written
    /// once rather than once per printer. Should one poll fail to record,
    /// the others are recorded one by one; each gets its own result.
    pub fn record_polls(&self, polls: &[PollRecord<'_>]) -> Vec<Result<PollOutcome, StoreError>> {
        let synced = self.clock_synced();
        let all = self.transaction(|tx| {
            polls
                .iter()
                .map(|poll| write_poll(tx, &self.recent, poll, synced))
                .collect::<Result<Vec<_>, _>>()
        });
        match all {
            Ok(written) => written
                .into_iter()
                .map(|(outcome, effect)| {
                    self.remember(effect);
                    Ok(outcome)
                })
                .collect(),
            Err(e) if polls.len() == 1 => vec![Err(e)],
            Err(_) => polls
                .iter()
                .map(|poll| {
                    self.record_polls(std::slice::from_ref(poll))
                        .pop()
                        .unwrap_or_else(|| Ok(PollOutcome::default()))
                })
                .collect(),
        }
    }

    /// What a committed poll leaves in the cache of unwritten values.
    fn remember(&self, effect: CacheEffect) {
        match effect {
            CacheEffect::Seen {
                key,
                at,
                page_count,
                appended,
            } => {
                self.recent.seen(&key, at, page_count);
                self.recent.read(&key, &appended, at);
            }
            CacheEffect::Failed { key, at } => self.recent.failed(&key, at),
            CacheEffect::Nothing => {}
        }
    }
}

/// One poll to record.
#[derive(Debug, Clone, Copy)]
pub enum PollRecord<'a> {
    /// The printer answered (a report carrying an error is a failure).
    Answered {
        key: &'a str,
        address: &'a str,
        report: &'a PrinterReport,
        at: DateTime<Utc>,
    },
    /// A known printer did not answer.
    Failed {
        key: &'a str,
        address: &'a str,
        error: &'a str,
        at: DateTime<Utc>,
    },
}

/// What to note in the cache once the transaction committed.
enum CacheEffect {
    Seen {
        key: String,
        at: DateTime<Utc>,
        page_count: Option<u64>,
        appended: Vec<u32>,
    },
    Failed {
        key: String,
        at: DateTime<Utc>,
    },
    Nothing,
}

fn write_poll(
    tx: &Transaction<'_>,
    recent: &super::poll_cache::PollCache,
    poll: &PollRecord<'_>,
    synced: bool,
) -> Result<(PollOutcome, CacheEffect), StoreError> {
    let (key, address, report, at) = match *poll {
        PollRecord::Failed {
            key,
            address,
            error,
            at,
        } => {
            let known = super::printers::write_failure(tx, key, address, error, at)?;
            let effect = if known {
                CacheEffect::Failed {
                    key: key.to_owned(),
                    at,
                }
            } else {
                CacheEffect::Nothing
            };
            return Ok((PollOutcome::default(), effect));
        }
        PollRecord::Answered {
            key,
            address,
            report,
            at,
        } => (key, address, report, at),
    };
    if key.trim().is_empty() {
        return Err(StoreError::InvalidInput {
            what: "printer key",
            reason: format!("empty key for the printer at {address}"),
        });
    }
    if let Some(error) = &report.error {
        let failed = PollRecord::Failed {
            key,
            address,
            error,
            at,
        };
        return write_poll(tx, recent, &failed, synced);
    }
    let status = serde_json::to_string(&StoredStatus {
        sys_name: report.sys_name.clone(),
        status: report.status.clone(),
        alerts: report.alerts.clone(),
    })
    .map_err(|source| StoreError::Json {
        column: "printers.status",
        source,
    })?;
    let prepared = report
        .supplies
        .iter()
        .map(|supply| {
            Ok(Prepared {
                supply,
                class: enum_to_text(&supply.class, "supplies.class")?,
                gauge: enum_to_text(&supply.gauge, "supplies.gauge")?,
                // SQLite stores NaN as NULL: keep the comparison honest.
                percent: supply.percent.filter(|p| p.is_finite()),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let page_count = report.page_count.and_then(|n| i64::try_from(n).ok());

    let mut appended: Vec<u32> = Vec::new();
    let mut outcome = upsert_printer(tx, key, address, report, page_count, &status, at)?;
    let current = current_supplies(tx, key)?;
    let mut moved = Vec::new();
    for item in &prepared {
        let old = current.get(&item.supply.index);
        let changed = old.is_none_or(|old| !same_values(old, item));
        if changed {
            write_supply(tx, key, item, at)?;
            outcome.supplies_written += 1;
        }
        if old.is_none_or(|old| level_moved(old, item)) {
            moved.push(LevelEntry::new(item));
        }
        // Only what changed, and a daily point: an unchanged
        // level every 15 minutes tells nothing new.
        if changed || recent.reading_due(key, item.supply.index, at) {
            append_reading(tx, key, item, page_count, at)?;
            appended.push(item.supply.index);
            outcome.readings_added += 1;
        }
    }
    // An empty table is more likely a glitch than every supply gone.
    if !prepared.is_empty() {
        let reported: HashSet<u32> = prepared.iter().map(|p| p.supply.index).collect();
        for index in current.keys().filter(|i| !reported.contains(i)) {
            tx.execute(
                "DELETE FROM supplies WHERE printer_key = ?1 AND supply_index = ?2",
                params![key, index],
            )?;
            outcome.supplies_removed += 1;
        }
    }
    if !moved.is_empty() {
        let message = LevelMessage {
            id: format!("lvl-{key}-{}", at.timestamp_millis()),
            printer: key,
            serial: report.serial.as_deref(),
            model: report.model.as_deref(),
            address,
            at,
            page_count: report.page_count,
            supplies: moved,
        };
        let payload = serde_json::to_string(&message).map_err(|source| StoreError::Json {
            column: "outbox.payload",
            source,
        })?;
        outcome.level_message = Some(enqueue(
            tx,
            OutboxKind::Level,
            &payload,
            at,
            Some(key),
            synced,
        )?);
    }
    Ok((
        outcome,
        CacheEffect::Seen {
            key: key.to_owned(),
            at,
            page_count: report.page_count,
            appended,
        },
    ))
}

/// Inserts or updates the printer row; reports whether it is new or moved.
fn upsert_printer(
    tx: &Transaction<'_>,
    key: &str,
    address: &str,
    report: &PrinterReport,
    page_count: Option<i64>,
    status: &str,
    at: DateTime<Utc>,
) -> Result<PollOutcome, StoreError> {
    type Current = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        bool,
        Option<String>,
        i64,
    );
    let current: Option<Current> = tx
        .prepare_cached(
            "SELECT address, serial, mac, model, status, last_poll_ok, last_error, last_seen
             FROM printers WHERE printer_key = ?1",
        )?
        .query_row([key], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
                row.get(7)?,
            ))
        })
        .optional()?;
    // Nothing but the time and the counter changed, and the row was written
    // within the heartbeat: leave it (the store's cache has the new values).
    if let Some((addr, serial, mac, model, old_status, ok, error, seen)) = &current {
        let same = |new: &Option<String>, old: &Option<String>| new.is_none() || new == old;
        let recent = at.timestamp_millis() - *seen < HEARTBEAT.num_milliseconds()
            && at.timestamp_millis() >= *seen;
        if addr == address
            && same(&report.serial, serial)
            && same(&report.mac, mac)
            && same(&report.model, model)
            && old_status.as_deref() == Some(status)
            && *ok
            && error.is_none()
            && recent
        {
            return Ok(PollOutcome::default());
        }
    }
    let previous = current.map(|c| c.0);
    let at = to_db(at);
    let mut outcome = PollOutcome::default();
    match previous {
        None => {
            tx.prepare_cached(
                "INSERT INTO printers (printer_key, serial, mac, model, address, first_seen,
                     last_seen, last_poll_at, last_poll_ok, last_error, page_count, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6, 1, NULL, ?7, ?8)",
            )?
            .execute(params![
                key,
                report.serial,
                report.mac,
                report.model,
                address,
                at,
                page_count,
                status
            ])?;
            outcome.new_printer = true;
        }
        Some(old_address) => {
            // A poll that lacks a value (model, counter) keeps the known one.
            tx.prepare_cached(
                "UPDATE printers SET serial = coalesce(?2, serial), mac = coalesce(?3, mac),
                     model = coalesce(?4, model), address = ?5, last_seen = ?6,
                     last_poll_at = ?6, last_poll_ok = 1, last_error = NULL,
                     page_count = coalesce(?7, page_count), status = ?8
                 WHERE printer_key = ?1",
            )?
            .execute(params![
                key,
                report.serial,
                report.mac,
                report.model,
                address,
                at,
                page_count,
                status
            ])?;
            if old_address != address {
                outcome.moved_from = Some(old_address);
            }
        }
    }
    Ok(outcome)
}

fn current_supplies(
    tx: &Transaction<'_>,
    key: &str,
) -> Result<HashMap<u32, SupplyRow>, StoreError> {
    let raw = tx
        .prepare_cached(
            "SELECT printer_key, supply_index, description, part_number, kind, class,
                 colorant, unit, max_capacity, level, percent, gauge, updated_at
             FROM supplies WHERE printer_key = ?1",
        )?
        .query_map([key], RawSupply::read)?
        .collect::<Result<Vec<_>, _>>()?;
    raw.into_iter()
        .map(|raw| raw.into_row().map(|row| (row.index, row)))
        .collect()
}

/// Whether the stored row already says exactly what the poll read.
fn same_values(old: &SupplyRow, new: &Prepared<'_>) -> bool {
    let s = new.supply;
    old.description == s.description
        && old.part_number == s.part_number
        && old.kind == s.kind
        && old.class == s.class
        && old.colorant == s.colorant
        && old.unit == s.unit
        && old.max_capacity == s.max_capacity
        && old.level == s.level
        && old.percent == new.percent
        && old.gauge == s.gauge
}

/// Whether upstream should hear about this supply: whole percent or gauge moved.
fn level_moved(old: &SupplyRow, new: &Prepared<'_>) -> bool {
    let whole = |p: Option<f64>| p.map(|p| p.round() as i64);
    whole(old.percent) != whole(new.percent) || old.gauge != new.supply.gauge
}

fn write_supply(
    tx: &Transaction<'_>,
    key: &str,
    item: &Prepared<'_>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let s = item.supply;
    tx.prepare_cached(
        "INSERT INTO supplies (printer_key, supply_index, description, part_number, kind,
             class, colorant, unit, max_capacity, level, percent, gauge, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (printer_key, supply_index) DO UPDATE SET
             description = excluded.description, part_number = excluded.part_number,
             kind = excluded.kind, class = excluded.class, colorant = excluded.colorant,
             unit = excluded.unit, max_capacity = excluded.max_capacity,
             level = excluded.level, percent = excluded.percent, gauge = excluded.gauge,
             updated_at = excluded.updated_at",
    )?
    .execute(params![
        key,
        s.index,
        s.description,
        s.part_number,
        s.kind,
        item.class,
        s.colorant,
        s.unit,
        s.max_capacity,
        s.level,
        item.percent,
        item.gauge,
        to_db(at)
    ])?;
    Ok(())
}

fn append_reading(
    tx: &Transaction<'_>,
    key: &str,
    item: &Prepared<'_>,
    page_count: Option<i64>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let s = item.supply;
    tx.prepare_cached(
        "INSERT INTO readings (observed_at, printer_key, supply_index, level, max_capacity,
             percent, page_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        to_db(at),
        key,
        s.index,
        s.level,
        s.max_capacity,
        item.percent,
        page_count
    ])?;
    Ok(())
}
