//! Whether the database can be written: a full disk, a filesystem turned
//! read-only, or I/O errors. Every write transaction reports here, so the
//! whole gateway (health check, retained status, page, log) tells the same
//! story the moment a write fails, and recovers the moment one succeeds.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use rusqlite::ErrorCode;
use serde::{Deserialize, Serialize};

use super::StoreError;

/// The state of the storage, as the status and `/healthz` name it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageState {
    #[default]
    Ok,
    /// No space left (SQLITE_FULL, ENOSPC).
    Full,
    /// The filesystem or the file went read-only.
    ReadOnly,
    /// Another I/O failure (a dying card).
    Error,
}

impl StorageState {
    pub fn as_str(self) -> &'static str {
        match self {
            StorageState::Ok => "ok",
            StorageState::Full => "full",
            StorageState::ReadOnly => "read_only",
            StorageState::Error => "error",
        }
    }

    fn from_u8(n: u8) -> StorageState {
        match n {
            1 => StorageState::Full,
            2 => StorageState::ReadOnly,
            3 => StorageState::Error,
            _ => StorageState::Ok,
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            StorageState::Ok => 0,
            StorageState::Full => 1,
            StorageState::ReadOnly => 2,
            StorageState::Error => 3,
        }
    }
}

/// How often a lasting storage failure is logged again.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// The storage state, shared by every writer.
#[derive(Debug, Default)]
pub struct StorageHealth {
    state: AtomicU8,
    detail: Mutex<Detail>,
}

#[derive(Debug, Default)]
struct Detail {
    reason: Option<String>,
    last_logged: Option<Instant>,
    failures: u64,
}

impl StorageHealth {
    /// The current state.
    pub fn state(&self) -> StorageState {
        StorageState::from_u8(self.state.load(Ordering::Relaxed))
    }

    /// What failed last, while the state is not `Ok`.
    pub fn reason(&self) -> Option<String> {
        if self.state() == StorageState::Ok {
            return None;
        }
        self.detail.lock().ok()?.reason.clone()
    }

    /// A write went through: the storage is fine again — unless it was
    /// full. Then the write used the room made for decisions, which proves
    /// nothing about space returning: [`StorageHealth::room_again`] says
    /// when it has.
    pub(crate) fn record_ok(&self) {
        if self.state() == StorageState::Full {
            return;
        }
        self.room_again();
    }

    /// The storage is fine (again), whatever it was.
    pub(crate) fn room_again(&self) {
        let before = self.state.swap(StorageState::Ok.to_u8(), Ordering::Relaxed);
        if before != StorageState::Ok.to_u8() {
            let failures = self
                .detail
                .lock()
                .map(|mut d| {
                    d.reason = None;
                    d.last_logged = None;
                    std::mem::take(&mut d.failures)
                })
                .unwrap_or(0);
            tracing::info!(failed_writes = failures, "storage writable again");
        }
    }

    /// A write failed; returns the state when it is the storage's fault.
    pub(crate) fn record_failure(&self, error: &StoreError) -> Option<StorageState> {
        let state = classify(error)?;
        self.state.store(state.to_u8(), Ordering::Relaxed);
        if let Ok(mut d) = self.detail.lock() {
            d.failures += 1;
            d.reason = Some(error.to_string());
            let due = d.last_logged.is_none_or(|t| t.elapsed() >= LOG_EVERY);
            if due {
                d.last_logged = Some(Instant::now());
                tracing::error!(
                    storage = state.as_str(),
                    failed_writes = d.failures,
                    error = %error,
                    "cannot write the database (said again once a minute while it lasts)"
                );
            }
        }
        Some(state)
    }
}

/// The storage's fault, or `None` for an error of the call itself.
pub(crate) fn classify(error: &StoreError) -> Option<StorageState> {
    let code = match error {
        StoreError::Sqlite(e) => e.sqlite_error_code(),
        _ => None,
    }?;
    match code {
        ErrorCode::DiskFull => Some(StorageState::Full),
        ErrorCode::ReadOnly => Some(StorageState::ReadOnly),
        ErrorCode::SystemIoFailure | ErrorCode::CannotOpen | ErrorCode::DatabaseCorrupt => {
            Some(StorageState::Error)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(code: i32) -> StoreError {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(code),
            Some("test".into()),
        ))
    }

    #[test]
    fn failures_are_classified_and_a_success_clears_them() {
        let health = StorageHealth::default();
        assert_eq!(health.state(), StorageState::Ok);
        assert_eq!(health.record_failure(&sqlite(13)), Some(StorageState::Full));
        assert_eq!(health.state(), StorageState::Full);
        assert!(health.reason().is_some());
        assert_eq!(
            health.record_failure(&sqlite(8)),
            Some(StorageState::ReadOnly)
        );
        assert_eq!(
            health.record_failure(&sqlite(10)),
            Some(StorageState::Error)
        );
        // A constraint violation is the call's fault, not the disk's.
        assert_eq!(health.record_failure(&sqlite(19)), None);
        assert_eq!(health.state(), StorageState::Error);
        health.record_ok();
        assert_eq!(health.state(), StorageState::Ok);
        assert_eq!(health.reason(), None);
    }

    #[test]
    fn a_full_disk_stays_full_until_room_is_seen() {
        let health = StorageHealth::default();
        health.record_failure(&sqlite(13));
        // An order written into the room made for it is no proof of space.
        health.record_ok();
        assert_eq!(health.state(), StorageState::Full);
        health.room_again();
        assert_eq!(health.state(), StorageState::Ok);
    }
}
