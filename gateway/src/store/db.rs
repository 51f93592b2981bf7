//! Opening the database file and the connection settings that make it safe
//! and gentle on an SD card. [`Store`] is the handle every other module of
//! the store adds methods to.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, Transaction};

use super::{StoreError, migrations};

/// How long a call waits for a lock held by another connection (a backup
/// tool, the `sqlite3` shell) before failing with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The gateway's database. Cheap to share: `Send + Sync`, every method takes
/// `&self` and holds an internal lock only for one short transaction, so it
/// can be called from async code through `spawn_blocking` (or directly: each
/// call is a few milliseconds of SD-card I/O at most).
pub struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
    /// Whether the clock was trusted when a message is queued (stamped on
    /// every outbox message as `clock_synced`).
    clock_synced: std::sync::atomic::AtomicBool,
    /// Poll values not written because nothing else changed.
    pub(crate) recent: super::poll_cache::PollCache,
    /// Whether writes go through (full disk, read-only, I/O errors).
    storage: super::StorageHealth,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date. The directory must exist: a missing directory
    /// usually means a wrong configuration, not a first start.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(StoreError::MissingDirectory {
                path: path.to_path_buf(),
                dir,
            });
        }
        // Create/open the file ourselves first: the operating system's reason
        // ("Permission denied", "Read-only file system") is far clearer than
        // SQLite's generic "unable to open database file".
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|source| StoreError::Unwritable {
                path: path.to_path_buf(),
                source,
            })?;
        let conn = Connection::open(path).map_err(|e| open_error(path, e))?;
        Self::configure(conn, path.to_path_buf())
    }

    /// A private database in memory. For tests only: nothing survives, and
    /// the journal is not WAL.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| open_error(&path, e))?;
        Self::configure(conn, path)
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(mut conn: Connection, path: PathBuf) -> Result<Store, StoreError> {
        let in_memory = path.as_os_str() == ":memory:";
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| open_error(&path, e))?;
        // The first statement that reads the file: a file that is not a
        // database is reported here.
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(|e| open_error(&path, e))?;
        if !in_memory && !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NoWal { path, mode });
        }
        // synchronous=NORMAL is safe with WAL: a commit appends to the WAL
        // and the WAL is fsynced only at checkpoints. A process crash or kill
        // loses nothing committed (the WAL is in the OS page cache and is
        // replayed on the next open); a power cut can roll back the last few
        // commits but never corrupts the file (the WAL's checksummed frames
        // are either all there or ignored). That suits polls: the next poll
        // re-reads the same levels. Decisions (orders, alerts, the engine
        // state) are precious and rare, so they commit with FULL (see
        // `Store::durable_transaction`), and the outbox never loses an order.
        // NORMAL saves one fsync per poll, the most expensive SD-card write.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| open_error(&path, e))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| open_error(&path, e))?;
        // Sorts and temporary indexes in RAM: no temporary files on the card.
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(|e| open_error(&path, e))?;
        migrations::migrate(&mut conn, &path)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path,
            clock_synced: std::sync::atomic::AtomicBool::new(false),
            recent: super::poll_cache::PollCache::default(),
            storage: super::StorageHealth::default(),
        })
    }

    /// Records whether the gateway's clock is synchronised now.
    pub fn set_clock_synced(&self, synced: bool) {
        self.clock_synced
            .store(synced, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the gateway's clock was last known synchronised.
    pub fn clock_synced(&self) -> bool {
        self.clock_synced.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The connection, for one short piece of work. A panic while it was held
    /// cannot leave a transaction open (rusqlite rolls back on drop), so a
    /// poisoned lock is still safe to use.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `work` in one transaction committed with `synchronous=FULL`: the
    /// commit is on the card (WAL fsynced) before this returns, so an
    /// acknowledged decision survives even a power cut.
    pub(crate) fn durable_transaction<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock();
        conn.pragma_update(None, "synchronous", "FULL")?;
        let before = conn.total_changes();
        let result: Result<T, StoreError> = (|| {
            let tx = conn.transaction()?;
            let value = work(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        let wrote = conn.total_changes() != before;
        let restored = conn.pragma_update(None, "synchronous", "NORMAL");
        drop(conn);
        let value = self.observed(result, wrote)?;
        restored?;
        Ok(value)
    }

    /// Reports a write's outcome to the storage health: a failure, or a
    /// commit that wrote rows (a transaction that only read proves nothing
    /// about a full disk).
    fn observed<T>(&self, result: Result<T, StoreError>, wrote: bool) -> Result<T, StoreError> {
        match &result {
            Ok(_) if wrote => self.storage.record_ok(),
            Ok(_) => {}
            Err(e) => {
                self.storage.record_failure(e);
            }
        }
        result
    }

    /// Whether writes go through, and why not.
    pub fn storage(&self) -> &super::StorageHealth {
        &self.storage
    }

    /// Whether the database answers a query (the systemd watchdog's check).
    pub fn health_check(&self) -> Result<(), StoreError> {
        let conn = self.lock();
        conn.query_row("SELECT count(*) FROM meta", [], |row| row.get::<_, i64>(0))?;
        Ok(())
    }

    /// Runs `work` in one ordinary (synchronous=NORMAL) transaction.
    pub(crate) fn transaction<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock();
        let before = conn.total_changes();
        let result = (|| {
            let tx = conn.transaction()?;
            let value = work(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        let wrote = conn.total_changes() != before;
        drop(conn);
        self.observed(result, wrote)
    }

    /// Copies the WAL back into the main file and empties it. Call on clean
    /// shutdown so the file is self-contained (for backups and copies);
    /// never needed for safety.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        let conn = self.lock();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
}

/// Names the path and classifies SQLite's complaint.
fn open_error(path: &Path, source: rusqlite::Error) -> StoreError {
    let path = path.to_path_buf();
    match source.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::NotADatabase { path, source },
        _ => StoreError::Open { path, source },
    }
}
