//! The inputs of the engine. Everything that changes engine state is an event, so
//! the same sequence always yields the same decisions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::CatalogLife;
use crate::config::EngineConfig;

/// One supply gauge from one successful poll, in RFC 3805 terms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SupplyReading {
    pub observed_at: DateTime<Utc>,
    pub printer: String,
    pub supply_index: u32,
    /// RFC 3805 supply type name (toner, wasteToner, ink, ...).
    pub supply_type: String,
    /// `consumed` or `receptacle`.
    pub supply_class: String,
    pub colorant: Option<String>,
    pub unit: Option<String>,
    pub max_capacity: i64,
    /// Level with RFC 3805 negative codes (-1 other, -2 unknown, -3 some remaining).
    pub level: i64,
    pub page_count: Option<u64>,
    /// The printer's own low/empty word on this supply (prtAlertTable codes,
    /// hrPrinterDetectedErrorState bits), when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<crate::signals::SupplySignal>,
}

/// Something that happened, at a known time (no wall clock inside the engine).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A printer is (re)assigned to a site and contact; excluded printers are
    /// forecast but never ordered for.
    PrinterAssigned {
        serial: String,
        model: String,
        site: String,
        contact: String,
        excluded: bool,
    },
    /// The operator forgot a printer: everything learned about it goes, and
    /// nothing is ordered for it until it is assigned again.
    PrinterForgotten {
        serial: String,
    },
    Reading(SupplyReading),
    /// A poll got no answer (the engine also infers silence from missing readings).
    PollFailed {
        printer: String,
        at: DateTime<Utc>,
    },
    /// Time passed: drives silence detection and due orders.
    Tick(DateTime<Utc>),
    /// Goods of an order arrived on site and are now spare stock.
    Delivered {
        order_id: String,
        printer: String,
        supply_index: u32,
        quantity: u32,
        at: DateTime<Utc>,
    },
    /// Goods of an order will not come (the supplier cancelled it): they
    /// leave the spares in transit, so the need is seen again.
    Cancelled {
        order_id: String,
        printer: String,
        supply_index: u32,
        quantity: u32,
        at: DateTime<Utc>,
    },
    ConfigChanged(EngineConfig),
    /// The wall clock jumped by `by_secs` (either way) at `at`, as the
    /// gateway's monotonic clock showed: the silence since each printer's
    /// last answer is counted from the jump, never across it, so no printer
    /// is alerted silent because of the jump.
    ClockJumped {
        at: DateTime<Utc>,
        by_secs: i64,
    },
    /// A person asked for cartridges of one supply now (the customer
    /// guide's reactive service): they go out with the next shipment of the
    /// printer's site and contact, at once, marked `"reason": "manual"`.
    ManualOrder {
        printer: String,
        supply_index: u32,
        quantity: u32,
        at: DateTime<Utc>,
    },
    /// The supplier's catalogue changed: these figures replace the previous
    /// ones (a printer's own and its site's lives still come first).
    CatalogChanged {
        entries: Vec<CatalogLife>,
    },
}
