//! The printer simulator: real SNMP agents on loopback UDP addresses serving
//! recorded or synthetic printers, able to misbehave on demand. The demo,
//! the tests and the benchmarks poll these instead of real printers.
//!
//! - [`agent`] — one simulated printer ([`SimAgent`]).
//! - [`misbehaviour`] — timeouts, slowness, sleep, huge tables, loops.
//! - [`synthetic`] — printers whose supplies drain as simulated time passes.
//! - [`fleet`] — many printers on consecutive addresses with a fast clock.
//! - [`advertise`] — the fleet announced over mDNS, on chosen interfaces only.

pub mod advertise;
pub mod agent;
pub mod error;
pub mod fleet;
mod front;
pub mod misbehaviour;
pub mod synthetic;
mod tree_handler;

pub use advertise::{AdvertiseError, AdvertisedPrinter, Advertiser};
pub use agent::{SimAgent, SimAgentConfig};
pub use error::SimError;
pub use fleet::{FleetMember, FleetOptions, SimFleet, demo_fleet, synthetic_fleet};
pub use misbehaviour::{Misbehaviour, MisbehaviourSwitch};
pub use synthetic::{SupplyKind, SupplyUnit, SyntheticPrinter, SyntheticSpec, SyntheticSupply};
