//! The one error type of the store, so callers can tell "the disk/file is the
//! problem" (an operator must act) from "this call failed" (retry later).

use std::path::PathBuf;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory that should hold the database does not exist (or is not
    /// a directory): we refuse to guess and create it.
    #[error("cannot open database {path}: directory {dir} does not exist or is not a directory")]
    MissingDirectory {
        /// The database path asked for.
        path: PathBuf,
        /// Its parent directory.
        dir: PathBuf,
    },
    /// The file could not be created or opened for writing.
    #[error("cannot open database {path}: {source}")]
    Unwritable {
        /// The database path asked for.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The file exists but is not an SQLite database (or is corrupt).
    #[error("cannot open database {path}: the file is not an SQLite database ({source})")]
    NotADatabase {
        /// The database path asked for.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// SQLite refused to open or configure the file.
    #[error("cannot open database {path}: {source}")]
    Open {
        /// The database path asked for.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// SQLite would not switch the file to write-ahead logging (e.g. a
    /// filesystem without shared-memory support): without WAL the durability
    /// and write-count promises do not hold, so we refuse to run.
    #[error("cannot open database {path}: journal mode is {mode}, WAL is required")]
    NoWal {
        /// The database path asked for.
        path: PathBuf,
        /// The journal mode SQLite reported.
        mode: String,
    },
    /// The file was written by a newer gateway: touching it could destroy data.
    #[error(
        "database {path} has schema version {found}, newer than this gateway knows \
         ({known}); refusing to use it (upgrade the gateway or restore a backup)"
    )]
    SchemaTooNew {
        /// The database path.
        path: PathBuf,
        /// `PRAGMA user_version` found in the file.
        found: i64,
        /// The newest version this code knows.
        known: i64,
    },
    /// A schema migration failed; the file is left at the previous version.
    #[error("migrating database {path} to schema version {version} failed: {source}")]
    Migration {
        /// The database path.
        path: PathBuf,
        /// The version being applied.
        version: i64,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// A JSON column could not be written or read back.
    #[error("JSON column {column}: {source}")]
    Json {
        /// Table and column.
        column: &'static str,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// A stored value is outside what this code can represent.
    #[error("column {column} holds an invalid value: {value}")]
    InvalidValue {
        /// Table and column.
        column: &'static str,
        /// The offending value, as text.
        value: String,
    },
    /// The caller passed something the store cannot record.
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// Which argument.
        what: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// Any other SQLite failure during a call.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}
