//! The engine's state between restarts: one opaque JSON snapshot, written in
//! the same transaction as the decisions it led to, so after a crash the
//! engine never forgets an order it made nor remembers one it did not.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::time::to_db;
use super::{Store, StoreError};

impl Store {
    /// The last snapshot saved, if any.
    pub fn load_engine_snapshot(&self) -> Result<Option<String>, StoreError> {
        let conn = self.lock();
        Ok(conn
            .query_row(
                "SELECT snapshot FROM engine_state WHERE id = 1",
                [],
                |row| row.get(0),
            )
            .optional()?)
    }
}

/// Saves the snapshot inside the caller's transaction; an identical snapshot
/// is not rewritten (a large row spans several pages of the SD card).
pub(crate) fn write_snapshot(
    tx: &Transaction<'_>,
    snapshot: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO engine_state (id, snapshot, updated_at) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET snapshot = excluded.snapshot,
             updated_at = excluded.updated_at
         WHERE snapshot IS NOT excluded.snapshot",
    )?
    .execute(params![snapshot, to_db(at)])?;
    Ok(())
}
