//! The schema, as a list of versioned migrations. `PRAGMA user_version`
//! records how many have been applied; each applies in its own transaction
//! (a crash mid-migration leaves the previous version intact), and a file
//! from a newer gateway is refused rather than silently misread.
//!
//! Never edit a released migration: append a new one.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// Version 1, the first schema. Layout choices, all about SD-card writes:
/// - timestamps are INTEGER milliseconds since the epoch (small, sortable);
/// - `printers`, `supplies` and `meta` are WITHOUT ROWID tables keyed by their
///   natural key, so an upsert touches one B-tree, not a table plus an index;
/// - `readings` is append-only with a rowid, so one poll's rows land on the
///   same last page; its only index is (printer, time), shared by the rows of
///   one poll. Retention deletes scan in rowid order (oldest first) instead
///   of paying for a time index on every insert;
/// - the outbox has AUTOINCREMENT so an id is never reused, even after
///   pruning: upstream can de-duplicate on it.
const V1: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per physical printer, keyed by its identity key (the serial, or
-- 'mac:<mac>' when it reports none), never by IP: DHCP moves printers.
CREATE TABLE printers (
    printer_key  TEXT PRIMARY KEY,
    serial       TEXT,
    mac          TEXT,
    model        TEXT,
    address      TEXT NOT NULL,          -- current host:port
    site         TEXT,
    contact      TEXT,
    excluded     INTEGER NOT NULL DEFAULT 0 CHECK (excluded IN (0, 1)),
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,       -- last successful poll
    last_poll_at INTEGER NOT NULL,       -- last attempt, successful or not
    last_poll_ok INTEGER NOT NULL CHECK (last_poll_ok IN (0, 1)),
    last_error   TEXT,
    page_count   INTEGER,
    status       TEXT                    -- JSON: device status and prtAlertTable
) WITHOUT ROWID;

-- Current state of each supply; rewritten only when something changed.
CREATE TABLE supplies (
    printer_key  TEXT NOT NULL REFERENCES printers (printer_key) ON DELETE CASCADE,
    supply_index INTEGER NOT NULL,
    description  TEXT NOT NULL,
    part_number  TEXT,
    kind         TEXT NOT NULL,
    class        TEXT NOT NULL,
    colorant     TEXT,
    unit         TEXT,
    max_capacity INTEGER NOT NULL,
    level        INTEGER NOT NULL,
    percent      REAL,
    gauge        TEXT NOT NULL,
    updated_at   INTEGER NOT NULL,       -- when any of the above last changed
    PRIMARY KEY (printer_key, supply_index)
) WITHOUT ROWID;

-- Append-only history: one row per supply per successful poll.
CREATE TABLE readings (
    id           INTEGER PRIMARY KEY,
    observed_at  INTEGER NOT NULL,
    printer_key  TEXT NOT NULL REFERENCES printers (printer_key) ON DELETE CASCADE,
    supply_index INTEGER NOT NULL,
    level        INTEGER NOT NULL,
    max_capacity INTEGER NOT NULL,
    percent      REAL,
    page_count   INTEGER
);
CREATE INDEX readings_by_printer ON readings (printer_key, observed_at);

-- Messages for upstream, delivered at least once, oldest first.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('order', 'alert', 'level', 'event')),
    payload    TEXT NOT NULL,            -- JSON
    created_at INTEGER NOT NULL,
    sent_at    INTEGER,
    ref        TEXT                      -- order_id for kind = 'order'
);
CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;

CREATE TABLE orders (
    order_id   TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    site       TEXT,
    contact    TEXT,
    payload    TEXT NOT NULL,            -- JSON
    status     TEXT NOT NULL DEFAULT 'queued',
    sent_at    INTEGER
);
CREATE INDEX orders_by_time ON orders (created_at);

CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    printer_key TEXT,
    at          INTEGER NOT NULL,
    payload     TEXT NOT NULL            -- JSON
);

-- The engine's memory between restarts: exactly one row.
CREATE TABLE engine_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    snapshot   TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
";

/// Version 2: remote management. What the supplier's back office and the
/// site's IT set on a printer (postal address, contact details), the
/// configuration changed remotely (it survives restarts; the file stays the
/// default), the supplier's news about orders, alert acknowledgements, and
/// the answers given to commands (a redelivered command is answered again,
/// never run twice).
const V2: &str = "
ALTER TABLE printers ADD COLUMN postal_address TEXT;
ALTER TABLE printers ADD COLUMN contact_email TEXT;
ALTER TABLE printers ADD COLUMN contact_phone TEXT;

ALTER TABLE orders ADD COLUMN carrier TEXT;
ALTER TABLE orders ADD COLUMN tracking TEXT;
ALTER TABLE orders ADD COLUMN status_at INTEGER;
ALTER TABLE orders ADD COLUMN delivered TEXT;   -- JSON: lines delivered so far

-- Every order-status message applied, once per message id.
CREATE TABLE order_updates (
    order_id   TEXT NOT NULL,
    message_id TEXT NOT NULL,
    status     TEXT NOT NULL,
    at         INTEGER NOT NULL,
    payload    TEXT NOT NULL,            -- JSON, as received (validated)
    PRIMARY KEY (order_id, message_id)
) WITHOUT ROWID;

ALTER TABLE alerts ADD COLUMN acked_at INTEGER;

-- Keys set over MQTT (`set_config`), JSON values, applied over the file.
CREATE TABLE config_overrides (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The final answer of each command, by the sender's id.
CREATE TABLE command_answers (
    id          TEXT PRIMARY KEY,        -- '<name>/<id>'
    response    TEXT NOT NULL,           -- JSON CommandResponse
    answered_at INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Version 3: the outbox byte budget. Each row carries its payload size so
/// the bytes waiting are summed from a covering partial index (no payload
/// page is read), and the budget can be checked every minute on a Pi.
const V3: &str = "
ALTER TABLE outbox ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET size = length(CAST(payload AS BLOB)) WHERE sent_at IS NULL;
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (id, kind, created_at, size) WHERE sent_at IS NULL;
";

/// Version 4: raw readings are kept for a window (`gateway.readings_days`)
/// and folded into one row per supply and UTC day beyond it.
const V4: &str = "
CREATE TABLE daily_readings (
    printer_key  TEXT NOT NULL REFERENCES printers (printer_key) ON DELETE CASCADE,
    supply_index INTEGER NOT NULL,
    day          INTEGER NOT NULL,       -- midnight UTC, ms
    min_percent  REAL,
    max_percent  REAL,
    last_at      INTEGER NOT NULL,
    last_level   INTEGER NOT NULL,
    last_percent REAL,
    page_count   INTEGER,
    samples      INTEGER NOT NULL,
    PRIMARY KEY (printer_key, supply_index, day)
) WITHOUT ROWID;
";

/// Version 5: the supplier's catalogues, one per scope (`fleet`, `gateway`),
/// and `lives` messages in the outbox. SQLite cannot change a CHECK
/// constraint, so the outbox is rebuilt: same rows, same ids, and its id
/// sequence carried over so an id of a pruned row is never reused.
const V5: &str = "
CREATE TABLE outbox_v5 (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('order', 'alert', 'level', 'event', 'lives')),
    payload    TEXT NOT NULL,            -- JSON
    created_at INTEGER NOT NULL,
    sent_at    INTEGER,
    ref        TEXT,                     -- order_id for kind = 'order'
    size       INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_v5 (id, kind, payload, created_at, sent_at, ref, size)
    SELECT id, kind, payload, created_at, sent_at, ref, size FROM outbox;
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'outbox_v5', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox_v5');
UPDATE sqlite_sequence
    SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0))
    WHERE name = 'outbox_v5';
DROP TABLE outbox;
ALTER TABLE outbox_v5 RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (id, kind, created_at, size) WHERE sent_at IS NULL;

CREATE TABLE catalogs (
    scope       TEXT PRIMARY KEY,
    version     INTEGER NOT NULL,
    body        TEXT NOT NULL,
    received_at INTEGER NOT NULL
) WITHOUT ROWID;
";

/// The migrations, in order: entry `i` brings the schema to version `i + 1`.
/// Forward only: a release adds an entry, never edits one.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5];

/// The schema version this code writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`SCHEMA_VERSION`], or refuses a newer one.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    for (done, sql) in MIGRATIONS.iter().enumerate() {
        let version = done as i64 + 1;
        // IMMEDIATE: take the write lock before reading the version, so two
        // processes opening the same new file cannot both apply a migration.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|source| migration_error(path, version, source))?;
        let found = user_version(&tx).map_err(|source| migration_error(path, version, source))?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                path: path.to_path_buf(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        if found >= version {
            continue;
        }
        tx.execute_batch(sql)
            .and_then(|()| tx.pragma_update(None, "user_version", version))
            .and_then(|()| tx.commit())
            .map_err(|source| migration_error(path, version, source))?;
        tracing::info!(path = %path.display(), version, "database schema migrated");
    }
    // Covers a database with no migration left to run.
    let found = user_version(conn).map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            path: path.to_path_buf(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    Ok(())
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

fn migration_error(path: &Path, version: i64, source: rusqlite::Error) -> StoreError {
    StoreError::Migration {
        path: path.to_path_buf(),
        version,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database left by the previous release (schema 2) with messages
    /// waiting: the upgrade keeps them and sizes them for the budget.
    #[test]
    fn a_schema_2_database_with_a_backlog_is_upgraded_in_place() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("old.sqlite");
        let mut conn = Connection::open(&path).expect("open");
        for sql in &MIGRATIONS[..2] {
            conn.execute_batch(sql).expect("old schema");
        }
        conn.pragma_update(None, "user_version", 2)
            .expect("version");
        conn.execute(
            "INSERT INTO outbox (kind, payload, created_at) VALUES ('order', '{\"id\":\"o-1\"}', 1)",
            [],
        )
        .expect("old row");
        migrate(&mut conn, &path).expect("upgrade");
        let (version, size, payload): (i64, i64, String) = conn
            .query_row(
                "SELECT (SELECT user_version FROM pragma_user_version), size, payload FROM outbox",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .expect("row");
        assert_eq!(version, SCHEMA_VERSION);
        assert_eq!(payload, "{\"id\":\"o-1\"}");
        assert_eq!(size, payload.len() as i64);
    }

    /// The previous release's database (schema 3) with printers, readings
    /// and an order: the upgrade adds the daily table and keeps every row.
    #[test]
    fn a_schema_3_database_is_upgraded_and_keeps_its_rows() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("v3.sqlite");
        let mut conn = Connection::open(&path).expect("open");
        for sql in &MIGRATIONS[..3] {
            conn.execute_batch(sql).expect("old schema");
        }
        conn.pragma_update(None, "user_version", 3)
            .expect("version");
        conn.execute_batch(
            "INSERT INTO printers (printer_key, serial, address, first_seen, last_seen,
                 last_poll_at, last_poll_ok) VALUES ('SN1', 'SN1', '192.0.2.1', 1, 2, 2, 1);
             INSERT INTO readings (observed_at, printer_key, supply_index, level, max_capacity,
                 percent) VALUES (2, 'SN1', 1, 40, 100, 40.0);",
        )
        .expect("old rows");
        migrate(&mut conn, &path).expect("upgrade");
        let (version, readings, daily): (i64, i64, i64) = conn
            .query_row(
                "SELECT (SELECT user_version FROM pragma_user_version),
                        (SELECT count(*) FROM readings), (SELECT count(*) FROM daily_readings)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .expect("counts");
        assert_eq!((version, readings, daily), (SCHEMA_VERSION, 1, 0));
        migrate(&mut conn, &path).expect("a second run changes nothing");
    }

    /// A schema 4 database whose outbox had a higher id pruned: the
    /// rebuilt outbox keeps its rows and ids, takes `lives` messages, and
    /// never hands out a pruned id again.
    #[test]
    fn a_schema_4_outbox_is_rebuilt_without_reusing_an_id() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("v4.sqlite");
        let mut conn = Connection::open(&path).expect("open");
        for sql in &MIGRATIONS[..4] {
            conn.execute_batch(sql).expect("old schema");
        }
        conn.pragma_update(None, "user_version", 4)
            .expect("version");
        conn.execute_batch(
            "INSERT INTO outbox (kind, payload, created_at, size) VALUES ('level', '{}', 1, 2);
             INSERT INTO outbox (kind, payload, created_at, size) VALUES ('order', '{}', 1, 2);
             DELETE FROM outbox WHERE id = 2;",
        )
        .expect("old rows");
        migrate(&mut conn, &path).expect("upgrade");
        conn.execute(
            "INSERT INTO outbox (kind, payload, created_at, size) VALUES ('lives', '{}', 2, 2)",
            [],
        )
        .expect("lives are accepted");
        let ids: Vec<i64> = conn
            .prepare("SELECT id FROM outbox ORDER BY id")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("ids");
        assert_eq!(ids, vec![1, 3]);
        assert!(
            conn.execute(
                "INSERT INTO outbox (kind, payload, created_at) VALUES ('bogus', '{}', 2)",
                []
            )
            .is_err()
        );
    }
}
