//! The `command_answers` table: the final answer given to each remote
//! command, by its sender's id. A command redelivered after a restart (a
//! retained one, or a QoS 1 redelivery) is answered with this instead of
//! running twice: setting a printer's site twice is harmless, delivering
//! the same goods twice into the spare ledger is not.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::time::to_db;
use super::{Store, StoreError};

impl Store {
    /// The recorded final answer of command `key` (`<name>/<id>`), as JSON.
    pub fn command_answer(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let conn = self.lock();
        let text: Option<String> = conn
            .prepare_cached("SELECT response FROM command_answers WHERE id = ?1")?
            .query_row([key], |row| row.get(0))
            .optional()?;
        text.map(|t| {
            serde_json::from_str(&t).map_err(|source| StoreError::Json {
                column: "command_answers.response",
                source,
            })
        })
        .transpose()
    }

    /// Records the final answer of command `key`; the first one stays.
    pub fn record_command_answer(
        &self,
        key: &str,
        response: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let text = response.to_string();
        self.transaction(|tx| {
            tx.execute(
                "INSERT INTO command_answers (id, response, answered_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO NOTHING",
                params![key, text, to_db(at)],
            )?;
            Ok(())
        })
    }
}
