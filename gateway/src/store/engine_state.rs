//! The engine's state between restarts: one opaque JSON snapshot, written in
//! the same transaction as the decisions it led to, so after a crash the
//! engine never forgets an order it made nor remembers one it did not.
//!
//! It is stored deflated (a BLOB): the JSON of 500 printers is about 1.5 MB
//! and compresses about twenty times, and every byte of it is an SD-card
//! write each time it is saved. Snapshots written as TEXT by earlier
//! versions are still read.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::time::to_db;
use super::{Store, StoreError};

impl Store {
    /// The last snapshot saved, if any.
    pub fn load_engine_snapshot(&self) -> Result<Option<String>, StoreError> {
        let conn = self.lock();
        let stored: Option<rusqlite::types::Value> = conn
            .query_row(
                "SELECT snapshot FROM engine_state WHERE id = 1",
                [],
                |row| row.get(0),
            )
            .optional()?;
        match stored {
            None => Ok(None),
            Some(rusqlite::types::Value::Text(json)) => Ok(Some(json)),
            Some(rusqlite::types::Value::Blob(deflated)) => inflate(&deflated).map(Some),
            Some(_) => Err(StoreError::InvalidValue {
                column: "engine_state.snapshot",
                value: "neither text nor a deflated blob".into(),
            }),
        }
    }
}

fn deflate(json: &str) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(json.len() / 8),
        flate2::Compression::new(6),
    );
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(json.as_bytes());
    encoder.finish().unwrap_or_default()
}

fn inflate(deflated: &[u8]) -> Result<String, StoreError> {
    use std::io::Read as _;
    let mut json = String::new();
    flate2::read::ZlibDecoder::new(deflated)
        .read_to_string(&mut json)
        .map_err(|e| StoreError::InvalidValue {
            column: "engine_state.snapshot",
            value: format!("does not inflate: {e}"),
        })?;
    Ok(json)
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
    .execute(params![deflate(snapshot), to_db(at)])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_are_stored_deflated_and_old_text_ones_still_read() {
        let store = Store::open_in_memory().unwrap();
        let json = format!("{{\"printers\":[{}]}}", vec!["0.0"; 5_000].join(","));
        store.save_engine_snapshot(&json).unwrap();
        assert_eq!(
            store.load_engine_snapshot().unwrap().as_deref(),
            Some(json.as_str())
        );
        let stored: usize = store
            .lock()
            .query_row("SELECT length(snapshot) FROM engine_state", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(
            stored * 10 < json.len(),
            "{stored} bytes stored for {}",
            json.len()
        );
        store
            .lock()
            .execute("UPDATE engine_state SET snapshot = '{\"old\":1}'", [])
            .unwrap();
        assert_eq!(
            store.load_engine_snapshot().unwrap().as_deref(),
            Some("{\"old\":1}")
        );
    }
}
