//! Finding the printers of a LAN: mDNS/DNS-SD browsing, SNMP confirmation,
//! the serial-keyed directory, and the opt-in SNMP sweep.
//!
//! - [`printer`] — one device as discovered ([`DiscoveredPrinter`]).
//! - [`merge`] — resolved services grouped into devices (pure).
//! - [`mdns`] — the [`Browser`] and the one-shot [`browse`].
//! - [`confirm`](mod@confirm) — SNMP confirmation of a sighting ([`Confirmed`]).
//! - [`directory`] — printers by serial; moves, not duplicates (pure).
//! - [`cidr`], [`sweep`](mod@sweep) — the rate-limited network sweep.
//! - [`json`] — the CLI's one-line JSON.
//! - [`error`] — [`DiscoveryError`].

pub mod cidr;
pub mod confirm;
pub mod directory;
pub mod error;
pub mod json;
pub mod mdns;
pub mod merge;
pub mod printer;
pub mod sweep;

pub use cidr::Ipv4Cidr;
pub use confirm::{Confirmed, SNMP_PORT, confirm, confirm_on_port};
pub use directory::{DirectoryEntry, DirectoryEvent, PrinterDirectory, Sighting};
pub use error::DiscoveryError;
pub use json::to_json_line;
pub use mdns::{BrowseOptions, Browser, PRINTER_SERVICE_TYPES, browse};
pub use merge::{DiscoveryUpdate, Merger};
pub use printer::{DiscoveredPrinter, ServiceRecord};
pub use sweep::{SweepHit, SweepOptions, sweep, sweep_with};
