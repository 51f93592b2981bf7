//! Engine tunables. Defaults encode the product promise (order about three weeks
//! before empty, a 30-day supply per order, 24 h before calling a printer silent).

use serde::{Deserialize, Serialize};

/// Everything the engine's rules depend on; serialisable so a site can override it
/// from a config file and so a snapshot carries the configuration it ran with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EngineConfig {
    /// Days between creating an order and the goods being on site.
    pub lead_time_days: f64,
    /// Days an `express` line takes (the replay and the benchmark deliver
    /// express lines after this long; upstream the supplier decides).
    pub express_lead_time_days: f64,
    /// Order when the median forecast says the stock (spares included) runs out
    /// within this many days; never less than three lead times plus the safety
    /// days, so a longer lead time keeps the same margin against bursts.
    pub horizon_days: f64,
    /// Each order line covers this many days of consumption.
    pub supply_days: f64,
    /// Seconds of unexpected silence before `printer_silent` (and before ordering stops).
    pub silent_after_secs: i64,
    /// Extra days on top of the lead time that the pessimistic forecast must clear.
    pub safety_days: f64,
    /// Consolidation window: supplies whose stock runs out within the horizon plus
    /// this many days ride along with an order placed anyway for the same site and
    /// contact, and each line tops the stock up to that window.
    pub can_order_days: f64,
    /// A swap with more than this percentage left is reported as premature
    /// (the customer guide: replace only when the printer says empty, so a
    /// cartridge taken out at 5 % wasted toner too). Coarse gauges need 1.5
    /// of their steps on top: a ten-step gauge cannot tell 5 % from empty.
    pub premature_percent: f64,
    /// Consumption this many times the printer's normal day counts as a usage spike.
    pub spike_factor: f64,
    /// Seconds without a reading after which a printer counts as not answering at all
    /// (covers one or two missed polls).
    pub poll_grace_secs: i64,
    /// Hour (UTC) of the daily order run: lines wait for it so a day's needs
    /// travel together; only a cartridge that may run out before goods could
    /// arrive does not wait.
    pub order_hour_utc: u32,
    /// Orders nothing (forecasts and alerts go on): a box not provisioned
    /// yet must not send orders nobody set it up for. Requests wait.
    pub ordering_paused: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            lead_time_days: 5.0,
            express_lead_time_days: 1.0,
            horizon_days: 21.0,
            supply_days: 30.0,
            silent_after_secs: 24 * 3600,
            safety_days: 5.0,
            // One supply period: the next order cycle.
            can_order_days: 30.0,
            premature_percent: 3.0,
            spike_factor: 3.0,
            poll_grace_secs: 5400,
            // Late afternoon in Europe: the day's consumption is in, and the
            // supplier ships the next morning.
            order_hour_utc: 16,
            ordering_paused: false,
        }
    }
}
