//! The view model of the status page: a plain snapshot of what the gateway
//! knows, filled by the runtime from the store and the engine.
//!
//! It is deliberately decoupled from the store and engine types so the page can
//! be rendered and tested with fixed data, and so `/api/status` has a stable,
//! documented JSON shape of its own. Strings are used for the small enums
//! (`gauge`, `class`, `status`) because this is a display contract: an
//! unexpected value is shown as it is instead of failing the whole page.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Everything the status page shows, at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusView {
    /// Identifier of this gateway (as known upstream).
    pub gateway_id: String,
    /// Gateway software version.
    pub version: String,
    /// When this snapshot was taken; relative times ("3 min ago") count from it.
    pub generated_at: DateTime<Utc>,
    /// State of the link to the cloud.
    pub uplink: UplinkView,
    /// Known printers, in the order they should be shown.
    pub printers: Vec<PrinterView>,
    /// Orders waiting to be sent or already sent, in the order they should be shown.
    pub orders: Vec<OrderView>,
    /// The gateway's own health: polling, disk, clock, alerts.
    #[serde(default)]
    pub health: HealthView,
}

/// What tells the site's IT whether the box itself is well.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthView {
    /// When a printer last answered a poll.
    pub last_poll_at: Option<DateTime<Utc>>,
    /// Free space where the database lives; `None` when it cannot be read.
    pub disk_free_bytes: Option<u64>,
    /// Whether the clock is known to be right (NTP): forecasts and order
    /// dates depend on it.
    pub clock_synchronised: bool,
    /// Seconds since the gateway started.
    pub uptime_secs: u64,
    /// Alerts no person has acknowledged yet.
    pub open_alerts: u64,
    /// Polls answered since start.
    #[serde(default)]
    pub polls_ok: u64,
    /// Polls unanswered (or unreadable) since start.
    #[serde(default)]
    pub polls_failed: u64,
    /// What the site's IT must know about the box's set-up: not
    /// provisioned (nothing is ordered), a first-boot file rejected.
    #[serde(default)]
    pub notice: Option<String>,
    /// Why the database cannot be written (disk full, read-only, I/O
    /// errors), while it cannot.
    #[serde(default)]
    pub storage_problem: Option<String>,
}

/// State of the MQTT uplink.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UplinkView {
    /// Whether the broker connection is up right now.
    pub connected: bool,
    /// Broker address as configured (`host:port`).
    pub broker: String,
    /// Messages buffered locally, waiting for the uplink.
    pub outbox_depth: u64,
    /// When a message was last acknowledged by the broker.
    pub last_sent_at: Option<DateTime<Utc>>,
    /// Why the gateway cannot reach the broker (certificate refused, bad
    /// password, unreachable…), while it cannot.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Since when the link is up (or down); `None` before the first attempt.
    #[serde(default)]
    pub since: Option<DateTime<Utc>>,
    /// When the oldest message still waiting was made.
    #[serde(default)]
    pub outbox_oldest_at: Option<DateTime<Utc>>,
    /// Level messages merged by the outbox budget (history has gaps).
    #[serde(default)]
    pub levels_thinned: u64,
    /// Level messages dropped past the outbox budget.
    #[serde(default)]
    pub levels_dropped: u64,
}

/// One printer and its supplies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrinterView {
    /// Serial number (the printer's identity).
    pub serial: String,
    /// Model name.
    pub model: String,
    /// Network address it was last polled at.
    pub address: String,
    /// Site the printer belongs to.
    pub site: String,
    /// Person who receives supplies for this printer.
    pub contact: String,
    /// Last successful poll.
    pub last_seen: Option<DateTime<Utc>>,
    /// Whether the last poll succeeded.
    pub reachable: bool,
    /// Why the last poll failed, if it did.
    pub last_error: Option<String>,
    /// Total impressions.
    pub page_count: Option<u64>,
    /// How long the last poll took, in seconds (this run only).
    #[serde(default)]
    pub last_poll_seconds: Option<f64>,
    /// The protocol its last poll was read over (this run only).
    #[serde(default)]
    pub read_over: Option<asr_protocols::printer::ReportSource>,
    /// Supplies, in printer order.
    pub supplies: Vec<SupplyView>,
    /// Delivery details and ordering eligibility.
    #[serde(default)]
    pub registration: Registration,
}

/// What the site's IT keeps right for a printer (the customer guide asks
/// them to): where supplies go, who receives them, whether it is ordered for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    /// Shipping address (street, postcode, city).
    pub postal_address: Option<String>,
    /// The contact's e-mail.
    pub contact_email: Option<String>,
    /// The contact's phone.
    pub contact_phone: Option<String>,
    /// Never ordered for automatically.
    pub excluded: bool,
    /// Why supplies are not ordered automatically, when they are not:
    /// `excluded`, `no_site_or_contact` or `no_level_no_counter`.
    pub ineligible: Option<String>,
    /// How it is read: `auto`, `snmp` or `ipp`.
    #[serde(default = "auto")]
    pub protocol: String,
}

fn auto() -> String {
    "auto".into()
}

/// One printer with the history the detail page charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrinterDetail {
    /// When this was read; relative times count from it.
    pub generated_at: DateTime<Utc>,
    /// The printer as the overview shows it.
    pub printer: PrinterView,
    /// Level history per supply, oldest first, down-sampled for a chart.
    pub history: Vec<SupplyHistory>,
    /// The page counter over the same period, oldest first, down-sampled.
    #[serde(default)]
    pub page_counts: Vec<(DateTime<Utc>, u64)>,
    /// This printer's recent alerts, newest first.
    #[serde(default)]
    pub alerts: Vec<AlertView>,
    /// Recent orders with a line for this printer, newest first.
    #[serde(default)]
    pub orders: Vec<OrderView>,
}

/// The levels of one supply over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupplyHistory {
    /// prtMarkerSuppliesTable row index.
    pub index: u32,
    /// (when, percent) pairs, oldest first; only honest percentages.
    pub points: Vec<(DateTime<Utc>, f64)>,
}

/// One supply (cartridge, drum, waste bottle…) of a printer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupplyView {
    /// prtMarkerSuppliesTable row index.
    pub index: u32,
    /// Description as reported by the printer.
    pub description: String,
    /// RFC 3805 supply type name (`toner`, `wasteToner`, `ink`, `opc`…).
    pub kind: String,
    /// Colour name (`black`, `cyan`…), when the supply has one.
    pub colorant: Option<String>,
    /// Level in percent; for a receptacle, the space left. `None` when not honest.
    pub percent: Option<f64>,
    /// How far `percent` can be trusted:
    /// `exact`, `stepped`, `some_remaining`, `unknown` or `out_of_range`.
    pub gauge: String,
    /// `consumed` (the level falls as it is used) or `receptacle` (waste bottle:
    /// the level is the space left).
    pub class: String,
    /// Forecast date the supply runs out (receptacle: is full).
    pub forecast_empty_at: Option<DateTime<Utc>>,
    /// Earliest plausible date it runs out.
    pub forecast_pessimistic_at: Option<DateTime<Utc>>,
    /// Spare units already delivered to the site.
    pub spares_on_site: u32,
    /// Spare units ordered and on their way.
    pub spares_in_transit: u32,
}

/// One consolidated order (one per site and contact).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderView {
    /// Order identifier.
    pub order_id: String,
    /// When the order was created.
    pub created_at: DateTime<Utc>,
    /// Delivery site.
    pub site: String,
    /// Delivery contact.
    pub contact: String,
    /// `waiting` (not yet acknowledged upstream), `sent`, then what the
    /// supplier reports: `accepted`, `shipped`, `partly_delivered`,
    /// `delivered`, `cancelled`.
    pub status: String,
    /// Carrier and tracking number, once shipped.
    #[serde(default)]
    pub tracking: Option<String>,
    /// What is ordered.
    pub lines: Vec<OrderLineView>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLineView {
    /// Serial of the printer the supply is for.
    pub printer: String,
    /// Supply row index on that printer.
    pub supply_index: u32,
    /// Supply type (`toner`, `wasteToner`…), or its description.
    pub supply_type: String,
    /// Colour, when the supply has one.
    pub colorant: Option<String>,
    /// Units ordered.
    pub quantity: u32,
    /// Forecast date the supply runs out, which motivated the order.
    pub predicted_empty_at: Option<DateTime<Utc>>,
}

/// One alert as the alerts page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertView {
    /// The alert's id (the one `ack_alert` takes).
    pub id: String,
    /// `printer_silent`, `printer_back`, `habitual_poweroff`,
    /// `premature_replacement`, `usage_spike` (others shown as they are).
    pub kind: String,
    /// The printer's serial.
    pub printer: String,
    /// When it was raised.
    pub at: DateTime<Utc>,
    /// The supply concerned (early swaps).
    pub supply_index: Option<u32>,
    /// Percent left in a cartridge taken out early.
    pub level_left_percent: Option<f64>,
    /// Print volume against the usual day (spikes).
    pub factor: Option<f64>,
    /// The engine's explanation.
    pub message: Option<String>,
    /// When a person acknowledged it.
    pub acked_at: Option<DateTime<Utc>>,
}

/// What the settings page shows: the values in force, secrets only as
/// "set" or "not set" (write-only: never shown back, not even to the admin).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    /// Time between two polls of a printer, as the file writes it (`900s`).
    pub poll_interval: String,
    /// Default SNMP version (`1`, `2c`, `3`).
    pub snmp_version: String,
    /// Whether a v1/v2c community is set.
    pub community_set: bool,
    /// SNMPv3 user (a name, not a secret).
    pub snmp_user: Option<String>,
    /// SNMPv3 authentication protocol.
    pub auth_proto: Option<String>,
    /// Whether an authentication pass phrase is set.
    pub auth_pass_set: bool,
    /// SNMPv3 privacy protocol.
    pub priv_proto: Option<String>,
    /// Whether a privacy pass phrase is set.
    pub priv_pass_set: bool,
    /// The cloud link as configured, without secrets.
    pub cloud: CloudView,
    /// Credentials for one address or subnet, without their secrets.
    #[serde(default)]
    pub scoped: Vec<ScopedCredentialsView>,
}

/// One address's or subnet's SNMP credentials, as the page lists them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScopedCredentialsView {
    /// `192.168.10.21` or `192.168.10.0/24`.
    pub scope: String,
    /// `1`, `2c` or `3`.
    pub version: String,
    /// SNMPv3 user, when v3.
    pub user: Option<String>,
}

/// The MQTT link's settings, read-only on the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CloudView {
    /// `host:port`.
    pub broker: String,
    /// `tcp` or `websocket`.
    pub transport: String,
    /// Whether the link is encrypted.
    pub tls: bool,
    /// MQTT client id.
    pub client_id: String,
    /// MQTT user name, if any.
    pub username: Option<String>,
}

/// One supplier catalogue the gateway keeps, as the settings page and
/// `GET /api/v1/catalog` show it: the site's IT can check which part
/// numbers and cartridge lives the forecasts and orders rest on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogView {
    /// `fleet` (published for every gateway on `asr/v1/catalog`) or
    /// `gateway` (on this gateway's own topic; it wins for the supplies it
    /// names). Others are shown as they are.
    pub scope: String,
    /// The supplier's version: only a higher one replaces it.
    pub version: u64,
    /// Who keeps the catalogue, when it says.
    pub supplier: Option<String>,
    /// When the supplier issued it, when it says.
    pub issued_at: Option<DateTime<Utc>>,
    /// When this gateway took it in.
    pub received_at: DateTime<Utc>,
    /// The entries as the supplier sent them (the MQTT contract's shape).
    pub entries: Vec<asr_cloud_sync::CatalogEntry>,
}

/// The cartridge life one supply's forecast rests on, so a forecast that
/// looks odd can be traced to the figure behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupplyLife {
    /// prtMarkerSuppliesTable row index.
    pub supply_index: u32,
    /// Pages a cartridge lasts, as the forecast reckons it.
    pub life_pages: f64,
    /// Where the figure comes from: `printer`, `site`, `catalog_learned`,
    /// `catalog_rated`, `sibling` or `stated` (others shown as they are).
    pub life_source: String,
}
