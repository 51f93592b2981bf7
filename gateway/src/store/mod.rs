//! The gateway's durable memory: one SQLite file (WAL mode) on the Pi's SD card.
//!
//! Why it exists: the gateway promises "nothing lost". Every fact that matters
//! (printers seen, supply levels, orders, alerts, the engine's state) is
//! committed here before anyone is told it happened, and everything destined
//! upstream waits in an outbox with a stable id until the uplink confirms it
//! (at-least-once delivery), so a week offline loses nothing.
//!
//! Why it is shaped this way: SD cards wear out and are slow to write, so each
//! poll is one transaction, unchanged rows are not rewritten, and the tables
//! are laid out so one poll touches as few pages as possible.
//!
//! One concept per file: [`db`] opens the file, [`migrations`] owns the
//! schema, and the other modules each add the [`Store`] methods for one table.

mod alerts;
mod catalogs;
mod command_answers;
mod config_overrides;
mod daily_readings;
mod db;
mod decisions;
mod engine_state;
mod error;
mod meta;
mod migrations;
mod order_updates;
mod orders;
mod outbox;
mod outbox_budget;
mod poll_cache;
mod polls;
mod printers;
mod readings;
mod room;
mod storage_health;
mod supplies;
mod time;

pub use alerts::{AlertRow, NewAlert};
pub use catalogs::{CatalogOutcome, StoredCatalog};
pub use daily_readings::{COMPACT_BATCH, CompactOutcome, DAILY_KEPT_DAYS, DailyReading};
pub use db::Store;
pub use decisions::{CommitOutcome, DecisionBatch};
pub use error::StoreError;
pub use migrations::SCHEMA_VERSION;
pub use order_updates::{LineQuantity, OrderUpdate, OrderUpdateOutcome, SupplierStatus};
pub use orders::{NewOrder, OrderRow, OrderStatus};
pub use outbox::{OutboxKind, OutboxRow};
pub use outbox_budget::{BudgetOutcome, OutboxFigures};
pub use polls::{PollOutcome, PollRecord};
pub use printers::{PrinterRow, PrinterUpdate};
pub use readings::ReadingRow;
pub use room::{RESERVE_BYTES, RoomOutcome};
pub use storage_health::{StorageHealth, StorageState};
pub use supplies::SupplyRow;

/// Rows deleted per transaction by the pruning methods: small enough that a
/// poll waiting for the lock is not delayed noticeably, large enough that a
/// week of backlog is cleared in a few hundred steps.
pub const PRUNE_BATCH: usize = 500;
