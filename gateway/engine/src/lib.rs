//! The replenishment engine: a pure, deterministic state machine that turns
//! printer supply readings into forecasts, consolidated orders and alerts.
//!
//! It owns no clock and does no I/O (except the replay reader/writer, which works
//! over caller-supplied streams), so the live gateway, the CSV replay and the
//! benchmark all drive exactly the same logic and a replay is reproducible.

pub mod catalog;
pub mod clock;
pub mod config;
pub mod decision;
pub mod engine;
mod estimate;
pub mod event;
mod fleet;
mod forecast;
mod gauge;
mod level_pace;
mod ordering;
mod pages;
mod presence;
pub mod replay;
mod signals;
pub mod stats;
mod supply;
mod yields;

pub use catalog::{CatalogBasis, CatalogFigure, CatalogLife};
pub use config::EngineConfig;
pub use decision::{Alert, AlertKind, Decision, LinePriority, LineReason, Order, OrderLine};
pub use engine::{Engine, MeasuredLives};
pub use event::{Event, SupplyReading};
pub use forecast::{LifeSource, SupplyForecast};
pub use signals::{SupplySignal, signal_for};
