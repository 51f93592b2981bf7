//! Small key/value facts about this gateway (its id, when it was set up…)
//! that must survive restarts but deserve no table of their own.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

impl Store {
    /// The value stored under `key`.
    pub fn meta_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let conn = self.lock();
        Ok(conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |row| row.get(0))
            .optional()?)
    }

    /// Stores `value` under `key` (replacing; an equal value is not rewritten).
    pub fn meta_set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let conn = self.lock();
        conn.prepare_cached(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value
             WHERE value IS NOT excluded.value",
        )?
        .execute(params![key, value])?;
        Ok(())
    }

    /// The value under `key`, storing `make()` first when there is none:
    /// for values created once and kept forever (the gateway id). Atomic, so
    /// two callers cannot store two different values.
    pub fn meta_get_or_insert_with(
        &self,
        key: &str,
        make: impl FnOnce() -> String,
    ) -> Result<String, StoreError> {
        self.transaction(|tx| {
            let existing: Option<String> = tx
                .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
                .query_row([key], |row| row.get(0))
                .optional()?;
            if let Some(value) = existing {
                return Ok(value);
            }
            let value = make();
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                params![key, value],
            )?;
            Ok(value)
        })
    }
}
