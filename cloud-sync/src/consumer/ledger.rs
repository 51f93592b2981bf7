//! The consumer's memory of what it has processed, in SQLite: the message
//! id is the primary key, so a message delivered twice (the gateway resends
//! after a lost PubAck, the broker redelivers after a consumer died before
//! acknowledging) is processed once — also across the instances of a
//! group, which share the file (WAL, with a busy timeout).
//!
//! It also keeps what the catalogue is built from and what was last made
//! of it: the latest lives report of each gateway (each replaces the one
//! before) and the last catalogue published, so a restarted consumer goes
//! on aggregating where it stopped and its versions keep increasing.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::ConsumerError;
use crate::catalog::Catalog;

/// How long opening waits for the other instances of the group.
const OPEN_PATIENCE: Duration = Duration::from_secs(10);

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// What the ledger made of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// First time: process it.
    New,
    /// Seen before (by this instance or another): drop it.
    Duplicate,
}

/// The latest lives report of one gateway, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLives {
    pub gateway: String,
    pub received_at: DateTime<Utc>,
    /// The message body, envelope included.
    pub body: String,
}

/// The last catalogue published by the instances sharing the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedCatalog {
    pub version: u64,
    pub published_at: DateTime<Utc>,
    /// The body as published ([`Catalog::to_json`]).
    pub body: String,
}

/// One connection to the shared ledger file.
pub struct Ledger {
    conn: Connection,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").finish_non_exhaustive()
    }
}

impl Ledger {
    /// Opens (creating) the ledger at `path`. Instances of a group often
    /// start together: switching a fresh file to WAL takes an exclusive
    /// lock for which SQLite does not always wait (it answers "database is
    /// locked" at once), so the set-up is retried for up to `OPEN_PATIENCE`.
    pub fn open(path: &Path) -> Result<Ledger, ConsumerError> {
        let fail = |source: rusqlite::Error| ConsumerError::Ledger {
            path: path.display().to_string(),
            source,
        };
        let started = std::time::Instant::now();
        loop {
            match Self::try_open(path) {
                Ok(conn) => return Ok(Ledger { conn }),
                Err(e) if is_busy(&e) && started.elapsed() < OPEN_PATIENCE => {
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(e) => return Err(fail(e)),
            }
        }
    }

    fn try_open(path: &Path) -> Result<Connection, rusqlite::Error> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(OPEN_PATIENCE)?;
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            conn.pragma_update(None, "journal_mode", "WAL")?;
        }
        // FULL: a row is on disk before the broker is acknowledged, so a
        // power cut cannot lose a message the broker then forgets.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS received (
                 id          TEXT PRIMARY KEY,
                 kind        TEXT NOT NULL,
                 gateway     TEXT NOT NULL,
                 consumer    TEXT NOT NULL,
                 received_at INTEGER NOT NULL,
                 payload     TEXT NOT NULL
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS lives (
                 gateway     TEXT PRIMARY KEY,
                 received_at INTEGER NOT NULL,
                 body        TEXT NOT NULL
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS catalog_published (
                 slot         INTEGER PRIMARY KEY CHECK (slot = 1),
                 version      INTEGER NOT NULL,
                 published_at INTEGER NOT NULL,
                 body         TEXT NOT NULL
             );",
        )?;
        Ok(conn)
    }

    /// Records message `id` unless it is already there. Committed before
    /// this returns, so the broker may be acknowledged afterwards.
    pub fn record(
        &self,
        id: &str,
        kind: &str,
        gateway: &str,
        consumer: &str,
        at: DateTime<Utc>,
        payload: &str,
    ) -> Result<Recorded, rusqlite::Error> {
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT INTO received (id, kind, gateway, consumer, received_at, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![
                id,
                kind,
                gateway,
                consumer,
                at.timestamp_millis(),
                payload
            ])?;
        Ok(if inserted == 1 {
            Recorded::New
        } else {
            Recorded::Duplicate
        })
    }

    /// Which consumer processed message `id`, if any did.
    pub fn processed_by(&self, id: &str) -> Result<Option<String>, rusqlite::Error> {
        self.conn
            .prepare_cached("SELECT consumer FROM received WHERE id = ?1")?
            .query_row([id], |row| row.get(0))
            .optional()
    }

    /// Messages processed per kind.
    pub fn count(&self, kind: &str) -> Result<u64, rusqlite::Error> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM received WHERE kind = ?1",
            [kind],
            |row| row.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// Keeps `body` as the latest lives report of `gateway`, replacing the
    /// one before: a report carries all the gateway's lives, not news.
    pub fn store_lives(
        &self,
        gateway: &str,
        at: DateTime<Utc>,
        body: &str,
    ) -> Result<(), rusqlite::Error> {
        self.conn
            .prepare_cached(
                "INSERT INTO lives (gateway, received_at, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (gateway) DO UPDATE
                 SET received_at = excluded.received_at, body = excluded.body",
            )?
            .execute(params![gateway, at.timestamp_millis(), body])?;
        Ok(())
    }

    /// Forgets the lives of `gateway` (its retained report was cleared: a
    /// site taken out of service). Whether there was one.
    pub fn forget_lives(&self, gateway: &str) -> Result<bool, rusqlite::Error> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM lives WHERE gateway = ?1")?
            .execute([gateway])?;
        Ok(n > 0)
    }

    /// The latest lives report of every gateway, by gateway id.
    pub fn lives(&self) -> Result<Vec<StoredLives>, rusqlite::Error> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT gateway, received_at, body FROM lives ORDER BY gateway")?;
        let rows = statement.query_map([], |row| {
            Ok(StoredLives {
                gateway: row.get(0)?,
                received_at: from_millis(row.get(1)?),
                body: row.get(2)?,
            })
        })?;
        rows.collect()
    }

    /// The last catalogue published, if any was.
    pub fn last_catalog(&self) -> Result<Option<PublishedCatalog>, rusqlite::Error> {
        last_catalog(&self.conn)
    }

    /// Decides and records the next publication in one write transaction:
    /// `make` sees the last catalogue published and returns the one to
    /// publish, or `None` to publish nothing. What it returns is recorded
    /// before this returns, so instances sharing the ledger never hand out
    /// one version twice nor go back (the write lock serialises them).
    pub fn claim_catalog(
        &mut self,
        at: DateTime<Utc>,
        make: impl FnOnce(Option<&PublishedCatalog>) -> Option<Catalog>,
    ) -> Result<Option<Catalog>, rusqlite::Error> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let last = last_catalog(&tx)?;
        let Some(next) = make(last.as_ref()) else {
            return Ok(None);
        };
        let body = String::from_utf8_lossy(&next.to_json()).into_owned();
        tx.execute(
            "INSERT INTO catalog_published (slot, version, published_at, body)
             VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (slot) DO UPDATE SET version = excluded.version,
                 published_at = excluded.published_at, body = excluded.body",
            params![
                i64::try_from(next.catalog_version).unwrap_or(i64::MAX),
                at.timestamp_millis(),
                body
            ],
        )?;
        tx.commit()?;
        Ok(Some(next))
    }
}

fn last_catalog(conn: &Connection) -> Result<Option<PublishedCatalog>, rusqlite::Error> {
    conn.prepare_cached("SELECT version, published_at, body FROM catalog_published WHERE slot = 1")?
        .query_row([], |row| {
            Ok(PublishedCatalog {
                version: u64::try_from(row.get::<_, i64>(0)?).unwrap_or_default(),
                published_at: from_millis(row.get(1)?),
                body: row.get(2)?,
            })
        })
        .optional()
}

/// A stored time; a value out of range (a hand-edited file) reads as the epoch.
fn from_millis(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_new_once_across_connections() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("ledger.sqlite");
        let a = Ledger::open(&path).expect("a");
        let b = Ledger::open(&path).expect("b");
        let now = Utc::now();
        assert_eq!(
            a.record("o-1", "order", "gw", "a", now, "{}").expect("a"),
            Recorded::New
        );
        assert_eq!(
            b.record("o-1", "order", "gw", "b", now, "{}").expect("b"),
            Recorded::Duplicate
        );
        assert_eq!(b.processed_by("o-1").expect("q").as_deref(), Some("a"));
        assert_eq!(a.count("order").expect("count"), 1);
    }

    fn catalog(version: u64) -> Catalog {
        crate::catalog::parse_catalog(
            format!(
                r#"{{"catalog_version": {version}, "entries": [
                    {{"model": "M1", "supply_type": "toner", "part_numbers": ["P1"]}}]}}"#
            )
            .as_bytes(),
        )
        .expect("catalogue")
    }

    #[test]
    fn lives_and_the_last_catalogue_survive_a_restart() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("ledger.sqlite");
        {
            let mut ledger = Ledger::open(&path).expect("open");
            let now = Utc::now();
            ledger
                .store_lives("gw-b", now, "{\"lives\":[]}")
                .expect("b");
            ledger.store_lives("gw-a", now, "old").expect("a");
            ledger.store_lives("gw-a", now, "new").expect("a again");
            ledger.store_lives("gw-c", now, "gone").expect("c");
            assert!(ledger.forget_lives("gw-c").expect("forget"));
            assert!(!ledger.forget_lives("gw-c").expect("forget again"));
            let claimed = ledger
                .claim_catalog(now, |last| {
                    assert!(last.is_none());
                    Some(catalog(4))
                })
                .expect("claim");
            assert_eq!(claimed.map(|c| c.catalog_version), Some(4));
        }
        let mut ledger = Ledger::open(&path).expect("reopen");
        let lives: Vec<(String, String)> = ledger
            .lives()
            .expect("lives")
            .into_iter()
            .map(|l| (l.gateway, l.body))
            .collect();
        assert_eq!(
            lives,
            [
                ("gw-a".to_string(), "new".to_string()),
                ("gw-b".to_string(), "{\"lives\":[]}".to_string())
            ]
        );
        let last = ledger.last_catalog().expect("last").expect("some");
        assert_eq!(last.version, 4);
        assert_eq!(
            crate::catalog::parse_catalog(last.body.as_bytes()).expect("body"),
            catalog(4)
        );
        // Declining records nothing; the next claim sees version 4.
        assert_eq!(
            ledger.claim_catalog(Utc::now(), |_| None).expect("no"),
            None
        );
        let next = ledger
            .claim_catalog(Utc::now(), |last| {
                Some(catalog(last.map_or(0, |l| l.version) + 1))
            })
            .expect("claim");
        assert_eq!(next.map(|c| c.catalog_version), Some(5));
        assert_eq!(
            ledger.last_catalog().expect("last").map(|l| l.version),
            Some(5)
        );
    }

    #[test]
    fn instances_opening_a_fresh_ledger_together_all_get_it() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("ledger.sqlite");
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let ledger = Ledger::open(&path).expect("open");
                    ledger
                        .record(&format!("o-{i}"), "order", "gw", "c", Utc::now(), "{}")
                        .expect("record")
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().expect("thread"), Recorded::New);
        }
        assert_eq!(
            Ledger::open(&path)
                .expect("open")
                .count("order")
                .expect("n"),
            8
        );
    }
}
