//! The `config_overrides` table: configuration keys changed remotely
//! (`set_config`). They are applied over the configuration file at every
//! start, so a remote change survives a restart while the file keeps
//! holding the defaults a technician set.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::time::to_db;
use super::{Store, StoreError};

impl Store {
    /// Every override, by key.
    pub fn config_overrides(&self) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare_cached("SELECT key, value FROM config_overrides ORDER BY key")?;
        let raw = stmt
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter()
            .map(|(key, text)| {
                let value = serde_json::from_str(&text).map_err(|source| StoreError::Json {
                    column: "config_overrides.value",
                    source,
                })?;
                Ok((key, value))
            })
            .collect()
    }

    /// Records (or replaces) one override, durably: it was acknowledged upstream.
    pub fn set_config_override(
        &self,
        key: &str,
        value: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let text = value.to_string();
        self.durable_transaction(|tx| {
            tx.execute(
                "INSERT INTO config_overrides (key, value, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET value = ?2, updated_at = ?3",
                params![key, text, to_db(at)],
            )?;
            Ok(())
        })
    }

    /// Drops an override that no longer validates (the file changed under it).
    pub fn remove_config_override(&self, key: &str) -> Result<(), StoreError> {
        self.transaction(|tx| {
            tx.execute("DELETE FROM config_overrides WHERE key = ?1", [key])?;
            Ok(())
        })
    }
}
