//! The `printers` table: one row per physical printer, keyed by its identity
//! key (serial, else `mac:<mac>`), never by IP address. Holds the operator's
//! assignment (site, contact, excluded) and the health of the last poll.

use asr_protocols::printer::{PrinterAlert, PrinterStatus};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::poll_cache::HEARTBEAT;
use super::time::{from_db, to_db};
use super::{Store, StoreError};

/// One printer as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrinterRow {
    /// Identity key: the serial, or `mac:<mac>` when the printer has none.
    pub key: String,
    /// The serial number the printer reported, if any.
    pub serial: Option<String>,
    /// MAC address of its first Ethernet interface, if known.
    pub mac: Option<String>,
    /// Model name.
    pub model: Option<String>,
    /// sysName.
    pub sys_name: Option<String>,
    /// Where it was last reached (`host:port`).
    pub address: String,
    /// Site it is assigned to (orders are consolidated per site and contact).
    pub site: Option<String>,
    /// Who receives its supplies.
    pub contact: Option<String>,
    /// Where its supplies are shipped.
    pub postal_address: Option<String>,
    /// The contact's e-mail.
    pub contact_email: Option<String>,
    /// The contact's phone.
    pub contact_phone: Option<String>,
    /// Excluded from ordering by the operator.
    pub excluded: bool,
    /// First successful poll.
    pub first_seen: DateTime<Utc>,
    /// Last successful poll.
    pub last_seen: DateTime<Utc>,
    /// Last poll attempt.
    pub last_poll_at: DateTime<Utc>,
    /// Whether the last attempt succeeded.
    pub last_poll_ok: bool,
    /// Why the last attempt failed, when it did.
    pub last_error: Option<String>,
    /// Total impressions at the last successful poll that reported them.
    pub page_count: Option<u64>,
    /// Device and printer state at the last successful poll.
    pub status: PrinterStatus,
    /// The printer's own alert table at the last successful poll.
    pub printer_alerts: Vec<PrinterAlert>,
}

/// What the `status` JSON column holds: things shown, never queried.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct StoredStatus {
    #[serde(default)]
    pub(crate) sys_name: Option<String>,
    #[serde(default)]
    pub(crate) status: PrinterStatus,
    #[serde(default)]
    pub(crate) alerts: Vec<PrinterAlert>,
}

const COLUMNS: &str = "printer_key, serial, mac, model, address, site, contact, excluded, \
     first_seen, last_seen, last_poll_at, last_poll_ok, last_error, page_count, status, \
     postal_address, contact_email, contact_phone";

/// Changes to a printer's record from the operator or the supplier;
/// `None` keeps a field, `Some("")` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrinterUpdate {
    /// Site.
    pub site: Option<String>,
    /// Contact person.
    pub contact: Option<String>,
    /// Shipping address.
    pub postal_address: Option<String>,
    /// Contact e-mail.
    pub contact_email: Option<String>,
    /// Contact phone.
    pub contact_phone: Option<String>,
    /// Excluded from ordering.
    pub excluded: Option<bool>,
}

impl Store {
    /// All known printers, by key.
    pub fn printers(&self) -> Result<Vec<PrinterRow>, StoreError> {
        let raw = {
            let conn = self.lock();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM printers ORDER BY printer_key"
            ))?;
            stmt.query_map([], RawPrinter::read)?
                .collect::<Result<Vec<_>, _>>()?
        };
        raw.into_iter()
            .map(|r| r.into_row().map(|row| self.with_fresh(row)))
            .collect()
    }

    /// One printer by identity key.
    pub fn printer(&self, key: &str) -> Result<Option<PrinterRow>, StoreError> {
        let raw = {
            let conn = self.lock();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM printers WHERE printer_key = ?1"
            ))?;
            stmt.query_row([key], RawPrinter::read).optional()?
        };
        raw.map(|r| r.into_row().map(|row| self.with_fresh(row)))
            .transpose()
    }

    /// The row with the poll values not written yet (see `poll_cache`).
    fn with_fresh(&self, mut row: PrinterRow) -> PrinterRow {
        if let Some(f) = self.recent.fresh(&row.key) {
            if let Some(t) = f.last_seen.filter(|t| *t > row.last_seen) {
                row.last_seen = t;
            }
            if let Some(t) = f.last_poll_at.filter(|t| *t > row.last_poll_at) {
                row.last_poll_at = t;
            }
            if f.page_count.is_some() {
                row.page_count = f.page_count;
            }
        }
        row
    }

    /// Writes the poll values the heartbeat has not written yet (last seen,
    /// last poll, page counter) of every printer, in one transaction: a
    /// clean stop leaves the database exact. Returns the rows updated.
    pub fn flush_recent(&self) -> Result<usize, StoreError> {
        let fresh = self.recent.all_fresh();
        if fresh.is_empty() {
            return Ok(0);
        }
        self.transaction(|tx| {
            let mut stmt = tx.prepare_cached(
                "UPDATE printers SET
                     last_seen = max(last_seen, coalesce(?2, last_seen)),
                     last_poll_at = max(last_poll_at, coalesce(?3, last_poll_at)),
                     page_count = coalesce(?4, page_count)
                 WHERE printer_key = ?1",
            )?;
            let mut updated = 0;
            for (key, f) in &fresh {
                let page_count = f.page_count.and_then(|n| i64::try_from(n).ok());
                updated += stmt.execute(params![
                    key,
                    f.last_seen.map(to_db),
                    f.last_poll_at.map(to_db),
                    page_count
                ])?;
            }
            Ok(updated)
        })
    }

    /// Records the operator's assignment of a printer. Returns `false` (and
    /// changes nothing) when no printer has that key yet: a printer must have
    /// been polled once before it can be assigned.
    pub fn assign_printer(
        &self,
        key: &str,
        site: Option<&str>,
        contact: Option<&str>,
        excluded: bool,
    ) -> Result<bool, StoreError> {
        let conn = self.lock();
        // The WHERE clause skips the write when nothing changes.
        let changed = conn.execute(
            "UPDATE printers SET site = ?2, contact = ?3, excluded = ?4
             WHERE printer_key = ?1
               AND (site IS NOT ?2 OR contact IS NOT ?3 OR excluded IS NOT ?4)",
            params![key, site, contact, excluded],
        )?;
        if changed > 0 {
            return Ok(true);
        }
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM printers WHERE printer_key = ?1)",
            [key],
            |row| row.get(0),
        )?;
        Ok(exists)
    }

    /// Applies `update` to a known printer and returns the row after it;
    /// `None` when no printer has that key. One statement: nothing changes
    /// when a field is invalid.
    pub fn update_printer(
        &self,
        key: &str,
        update: &PrinterUpdate,
    ) -> Result<Option<PrinterRow>, StoreError> {
        let clear = |v: &Option<String>| v.as_ref().map(|s| s.trim().to_string());
        {
            let conn = self.lock();
            conn.execute(
                "UPDATE printers SET
                    site = coalesce(?2, site),
                    contact = coalesce(?3, contact),
                    postal_address = CASE WHEN ?4 IS NULL THEN postal_address
                                          WHEN ?4 = '' THEN NULL ELSE ?4 END,
                    contact_email = CASE WHEN ?5 IS NULL THEN contact_email
                                         WHEN ?5 = '' THEN NULL ELSE ?5 END,
                    contact_phone = CASE WHEN ?6 IS NULL THEN contact_phone
                                         WHEN ?6 = '' THEN NULL ELSE ?6 END,
                    excluded = coalesce(?7, excluded)
                 WHERE printer_key = ?1",
                params![
                    key,
                    clear(&update.site),
                    clear(&update.contact),
                    clear(&update.postal_address),
                    clear(&update.contact_email),
                    clear(&update.contact_phone),
                    update.excluded
                ],
            )?;
        }
        self.printer(key)
    }

    /// Forgets a printer: its row, supplies and history go (foreign keys
    /// cascade). Orders and alerts stay: they are the record of what was
    /// asked for. Returns whether the printer was known.
    pub fn forget_printer(&self, key: &str) -> Result<bool, StoreError> {
        let forgotten = self.transaction(|tx| {
            tx.execute("DELETE FROM readings WHERE printer_key = ?1", [key])?;
            tx.execute("DELETE FROM daily_readings WHERE printer_key = ?1", [key])?;
            tx.execute("DELETE FROM supplies WHERE printer_key = ?1", [key])?;
            Ok(tx.execute("DELETE FROM printers WHERE printer_key = ?1", [key])? > 0)
        })?;
        self.recent.forget(key);
        Ok(forgotten)
    }

    /// Records a failed poll of a known printer. The address is not changed
    /// (a failure proves nothing about where the printer is). Returns `false`
    /// when no printer has that key: a printer never polled successfully has
    /// no identity to record a failure against.
    pub fn record_poll_failure(
        &self,
        key: &str,
        address: &str,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let known = self.transaction(|tx| write_failure(tx, key, address, error, at))?;
        if known {
            self.recent.failed(key, at);
        }
        Ok(known)
    }
}

/// Writes a failed poll inside `tx`; `false` when no printer has that key.
///
/// A printer that stays off (nights, weekends) fails every poll with the
/// same error: the row is written when it starts failing, when the error
/// changes and at each heartbeat, not every poll (the cache of unwritten
/// values carries the fresh time meanwhile).
pub(super) fn write_failure(
    tx: &rusqlite::Transaction<'_>,
    key: &str,
    address: &str,
    error: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let known: Option<(bool, Option<String>, i64)> = tx
        .prepare_cached(
            "SELECT last_poll_ok, last_error, last_poll_at FROM printers WHERE printer_key = ?1",
        )?
        .query_row([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((ok, old, written)) = known else {
        tracing::debug!(
            key,
            address,
            error,
            "poll failure for an unknown printer ignored"
        );
        return Ok(false);
    };
    let age = to_db(at) - written;
    let same_error = !ok && old.as_deref() == Some(error);
    if same_error && (0..HEARTBEAT.num_milliseconds()).contains(&age) {
        return Ok(true);
    }
    tx.execute(
        "UPDATE printers SET last_poll_at = ?2, last_poll_ok = 0, last_error = ?3
         WHERE printer_key = ?1",
        params![key, to_db(at), error],
    )?;
    Ok(true)
}

/// A row as SQLite hands it over, before conversions that can fail.
struct RawPrinter {
    key: String,
    serial: Option<String>,
    mac: Option<String>,
    model: Option<String>,
    address: String,
    site: Option<String>,
    contact: Option<String>,
    excluded: bool,
    first_seen: i64,
    last_seen: i64,
    last_poll_at: i64,
    last_poll_ok: bool,
    last_error: Option<String>,
    page_count: Option<i64>,
    status: Option<String>,
    postal_address: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
}

impl RawPrinter {
    fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            key: row.get(0)?,
            serial: row.get(1)?,
            mac: row.get(2)?,
            model: row.get(3)?,
            address: row.get(4)?,
            site: row.get(5)?,
            contact: row.get(6)?,
            excluded: row.get(7)?,
            first_seen: row.get(8)?,
            last_seen: row.get(9)?,
            last_poll_at: row.get(10)?,
            last_poll_ok: row.get(11)?,
            last_error: row.get(12)?,
            page_count: row.get(13)?,
            status: row.get(14)?,
            postal_address: row.get(15)?,
            contact_email: row.get(16)?,
            contact_phone: row.get(17)?,
        })
    }

    fn into_row(self) -> Result<PrinterRow, StoreError> {
        let stored: StoredStatus = match &self.status {
            Some(text) => serde_json::from_str(text).map_err(|source| StoreError::Json {
                column: "printers.status",
                source,
            })?,
            None => StoredStatus::default(),
        };
        let page_count = self
            .page_count
            .map(|n| {
                u64::try_from(n).map_err(|_| StoreError::InvalidValue {
                    column: "printers.page_count",
                    value: n.to_string(),
                })
            })
            .transpose()?;
        Ok(PrinterRow {
            key: self.key,
            serial: self.serial,
            mac: self.mac,
            model: self.model,
            sys_name: stored.sys_name,
            address: self.address,
            site: self.site,
            contact: self.contact,
            postal_address: self.postal_address,
            contact_email: self.contact_email,
            contact_phone: self.contact_phone,
            excluded: self.excluded,
            first_seen: from_db(self.first_seen, "printers.first_seen")?,
            last_seen: from_db(self.last_seen, "printers.last_seen")?,
            last_poll_at: from_db(self.last_poll_at, "printers.last_poll_at")?,
            last_poll_ok: self.last_poll_ok,
            last_error: self.last_error,
            page_count,
            status: stored.status,
            printer_alerts: stored.alerts,
        })
    }
}
