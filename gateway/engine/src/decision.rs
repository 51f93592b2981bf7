//! The outputs of the engine. Their JSON form is the replay and upstream contract,
//! so field names and shapes here must not change casually.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::forecast::LifeSource;

/// What the engine wants done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Decision {
    Order(Order),
    Alert(Alert),
}

/// One consolidated shipment for one site and contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Deterministic (site, contact, per-pair sequence) so upstream can deduplicate.
    pub order_id: String,
    pub created_at: DateTime<Utc>,
    pub site: String,
    pub contact: String,
    pub lines: Vec<OrderLine>,
}

/// One supply of one printer in an order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    pub printer: String,
    pub supply_index: u32,
    pub supply_type: String,
    pub colorant: Option<String>,
    pub quantity: u32,
    /// Median forecast of when the cartridge installed now runs out.
    pub predicted_empty_at: Option<DateTime<Utc>>,
    /// Pessimistic forecast of the same: it should come no later than this
    /// at least 9 times in 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pessimistic_empty_at: Option<DateTime<Utc>>,
    /// `express` when the stock may run out before a normal delivery: the
    /// supplier chooses faster shipping for this line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<LinePriority>,
    /// `manual` when a person asked for it (else the forecast did).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<LineReason>,
    /// Pages a cartridge of this supply lasts, as the forecast reckoned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life_pages: Option<f64>,
    /// Where that figure comes from (this printer, the site, the supplier
    /// catalogue…): what the dates and the quantity rest on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life_source: Option<LifeSource>,
}

/// Why a line was ordered, when it was not the forecast.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineReason {
    /// Asked for on the status page ("order one now").
    Manual,
}

/// How urgently a line must travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinePriority {
    /// The stock may run out before goods on the normal lead time arrive.
    Express,
}

/// Kinds of alert, serialised in snake_case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    PrinterSilent,
    PrinterBack,
    HabitualPoweroff,
    PrematureReplacement,
    UsageSpike,
}

/// Something a person should know; details depend on the kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub kind: AlertKind,
    pub printer: String,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supply_index: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_left_percent: Option<f64>,
    /// Last time the printer answered (silence alerts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silent_since: Option<DateTime<Utc>>,
    /// Consumption relative to the printer's normal day (usage spikes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    /// Human-readable explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Alert {
    pub(crate) fn new(kind: AlertKind, printer: &str, at: DateTime<Utc>) -> Self {
        Alert {
            kind,
            printer: printer.to_string(),
            at,
            supply_index: None,
            level_left_percent: None,
            silent_since: None,
            factor: None,
            message: None,
        }
    }
}
