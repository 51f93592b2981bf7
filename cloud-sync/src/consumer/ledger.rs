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
    /// Opens (creating) the ledger at `path`.
    pub fn open(path: &Path) -> Result<Ledger, ConsumerError> {
        let fail = |source: rusqlite::Error| ConsumerError::Ledger {
            path: path.display().to_string(),
            source,
        };
        let conn = Connection::open(path).map_err(fail)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(fail)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(fail)?;
        // FULL: a row is on disk before the broker is acknowledged, so a
        // power cut cannot lose a message the broker then forgets.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(fail)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS received (
                 id          TEXT PRIMARY KEY,
                 kind        TEXT NOT NULL,
                 gateway     TEXT NOT NULL,
                 consumer    TEXT NOT NULL,
                 received_at INTEGER NOT NULL,
                 payload     TEXT NOT NULL
             ) WITHOUT ROWID;",
        )
        .map_err(fail)?;
        Ok(Ledger { conn })
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
}
