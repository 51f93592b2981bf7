//! Benchmark fleets and their scoring, kept beside the engine so the product's
//! engine library stays the decision logic alone.
//!
//! [`fleetgen`] writes deterministic fleets (same seed, same bytes) in the replay
//! format together with the truth of what happened; [`evaluate`] replays them
//! through the engine, a naive baseline and a clairvoyant policy and scores all
//! three against that truth.

pub mod catalog_compare;
pub mod evaluate;
pub mod fleetgen;

pub use evaluate::{BenchReport, benchmark};
