//! Room on a card that fills up.
//!
//! A full disk must never stop ordering. The store therefore keeps a
//! reserve: a file of [`RESERVE_BYTES`] beside the database, written while
//! there is room. When a write fails for want of space the reserve is
//! deleted, which gives the precious writes (orders, alerts, their outbox
//! messages) room at once, and the store frees what it can inside the
//! database (delivered messages, level telemetry merged per day, raw
//! readings past retention folded, the WAL checkpointed and truncated).
//! While the storage is full, polls are not written (the engine still sees
//! them), so the room freed stays for decisions. Space is back when the
//! filesystem again has room for the reserve and a margin: the reserve is
//! written again and telemetry resumes.

use std::io::Write as _;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::{Store, StoreError};

/// Size of the reserve file: room for hundreds of orders and alerts.
pub const RESERVE_BYTES: u64 = 1 << 20;

/// Free space wanted beyond the reserve before writing it again and
/// resuming telemetry, so the box does not flap at the edge of full.
const RESUME_MARGIN: u64 = 1 << 20;

/// What [`Store::make_room`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomOutcome {
    /// The reserve file was there and was deleted.
    pub reserve_released: bool,
    /// Delivered messages deleted.
    pub sent_pruned: u64,
    /// Level messages merged into daily ones.
    pub levels_thinned: u64,
    /// Raw readings folded into daily rows.
    pub readings_folded: u64,
    /// Bytes the WAL file gave back.
    pub wal_bytes_freed: u64,
    /// Steps that failed (they are retried at the next attempt).
    pub failures: Vec<String>,
}

impl Store {
    /// The reserve file beside the database (none for a database in memory).
    fn reserve_path(&self) -> Option<PathBuf> {
        if self.path().as_os_str() == ":memory:" {
            return None;
        }
        let mut name = self.path().as_os_str().to_owned();
        name.push("-reserve");
        Some(PathBuf::from(name))
    }

    /// Whether the reserve is in place.
    pub fn reserve_held(&self) -> bool {
        self.reserve_path()
            .and_then(|p| std::fs::metadata(p).ok())
            .is_some_and(|m| m.len() >= RESERVE_BYTES)
    }

    /// Writes the reserve file if it is missing or short. Real bytes, not a
    /// sparse file: only allocated blocks are given back when it goes.
    pub fn hold_reserve(&self) -> std::io::Result<()> {
        let Some(path) = self.reserve_path() else {
            return Ok(());
        };
        if self.reserve_held() {
            return Ok(());
        }
        let written = (|| {
            let mut file = std::fs::File::create(&path)?;
            let chunk = vec![0u8; 64 * 1024];
            let mut left = RESERVE_BYTES;
            while left > 0 {
                let n = left.min(chunk.len() as u64);
                file.write_all(&chunk[..n as usize])?;
                left -= n;
            }
            file.sync_all()
        })();
        if written.is_err() {
            // Half a reserve would only hide a full disk a little longer.
            let _ = std::fs::remove_file(&path);
        }
        written
    }

    /// Deletes the reserve; true when there was one.
    pub fn release_reserve(&self) -> bool {
        self.reserve_path()
            .is_some_and(|path| std::fs::remove_file(path).is_ok())
    }

    /// Bytes an unprivileged writer can still use on the database's
    /// filesystem (`None` in memory or when the filesystem does not say).
    pub fn storage_available(&self) -> Option<u64> {
        if self.path().as_os_str() == ":memory:" {
            return None;
        }
        let dir = self
            .path()
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        crate::diagnostics::disk_free(dir)
    }

    /// Whether the filesystem has room again for the reserve and a margin.
    pub fn room_to_resume(&self) -> bool {
        let missing = if self.reserve_held() {
            0
        } else {
            RESERVE_BYTES
        };
        self.storage_available()
            .is_some_and(|free| free >= missing + RESUME_MARGIN)
    }

    /// Frees what can be freed when a write failed for want of space: the
    /// reserve first (the steps below write too), then delivered messages,
    /// level telemetry merged per day, readings older than `readings_before`
    /// folded into daily rows, and the WAL checkpointed and truncated. Pages
    /// freed inside the database are reused by the next writes.
    pub fn make_room(&self, now: DateTime<Utc>, readings_before: DateTime<Utc>) -> RoomOutcome {
        let mut outcome = RoomOutcome {
            reserve_released: self.release_reserve(),
            ..RoomOutcome::default()
        };
        match self.outbox_prune_sent(now) {
            Ok(n) => outcome.sent_pruned = n,
            Err(e) => outcome.failures.push(failure("delivered messages", e)),
        }
        match self.thin_levels_daily() {
            Ok(n) => outcome.levels_thinned = n,
            Err(e) => outcome.failures.push(failure("level telemetry", e)),
        }
        match self.compact_readings(readings_before, u64::MAX) {
            Ok(o) => outcome.readings_folded = o.folded,
            Err(e) => outcome.failures.push(failure("old readings", e)),
        }
        let wal = self.wal_size();
        match self.checkpoint() {
            Ok(()) => outcome.wal_bytes_freed = wal.saturating_sub(self.wal_size()),
            Err(e) => outcome.failures.push(failure("WAL checkpoint", e)),
        }
        outcome
    }

    fn wal_size(&self) -> u64 {
        let mut name = self.path().as_os_str().to_owned();
        name.push("-wal");
        std::fs::metadata(PathBuf::from(name)).map_or(0, |m| m.len())
    }
}

fn failure(step: &str, error: StoreError) -> String {
    format!("{step}: {error}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_is_written_released_and_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("gateway.db")).unwrap();
        assert!(!store.reserve_held());
        store.hold_reserve().unwrap();
        assert!(store.reserve_held());
        let reserve = dir.path().join("gateway.db-reserve");
        assert_eq!(std::fs::metadata(&reserve).unwrap().len(), RESERVE_BYTES);
        assert!(store.storage_available().is_some_and(|n| n > 0));
        let outcome = store.make_room(Utc::now(), Utc::now());
        assert!(outcome.reserve_released, "{outcome:?}");
        assert!(outcome.failures.is_empty(), "{outcome:?}");
        assert!(!reserve.exists());
        assert!(!store.release_reserve(), "nothing left to release");
        store.hold_reserve().unwrap();
        assert!(store.reserve_held());
    }

    #[test]
    fn a_store_in_memory_has_no_reserve() {
        let store = Store::open_in_memory().unwrap();
        store.hold_reserve().unwrap();
        assert!(!store.reserve_held());
        assert!(!store.make_room(Utc::now(), Utc::now()).reserve_released);
    }
}
