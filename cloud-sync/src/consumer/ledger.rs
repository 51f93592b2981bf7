//! The consumer's memory of what it has processed, in SQLite: the message
//! id is the primary key, so a message delivered twice (the gateway resends
//! after a lost PubAck, the broker redelivers after a consumer died before
//! acknowledging) is processed once — also across the instances of a
//! group, which share the file (WAL, with a busy timeout).

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::ConsumerError;

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
             ) WITHOUT ROWID;",
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
