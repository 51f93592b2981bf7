//! Helpers shared by the engine's integration tests: hourly times and one
//! black toner's reading.

use asr_engine::{Event, SupplyReading};
use chrono::{DateTime, Utc};

/// Hour `h` of the tests' timeline (a Monday, 2025-03-03).
pub fn at(h: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_740_960_000 + h * 3600, 0).expect("valid")
}

/// Printer `printer`'s black toner (supply 1, percent) at hour `h`.
pub fn reading(h: i64, printer: &str, level: i64, pages: Option<u64>) -> Event {
    Event::Reading(SupplyReading {
        observed_at: at(h),
        printer: printer.into(),
        supply_index: 1,
        supply_type: "toner".into(),
        supply_class: "consumed".into(),
        colorant: Some("black".into()),
        unit: Some("percent".into()),
        max_capacity: 100,
        level,
        page_count: pages,
        signal: None,
    })
}
