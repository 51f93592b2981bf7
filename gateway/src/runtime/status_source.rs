//! The status page's view: printers and supplies from the store, forecasts
//! from the engine, orders with their delivery state, the uplink's health.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use asr_engine::SupplyForecast;
use chrono::{DateTime, Utc};

use super::clock::Clock;
use super::command_handler::Handler;
use super::engine_task::EngineOutputs;
use super::poll_times::PollTimes;
use super::uplink_glue::UplinkState;
use crate::store::{OrderRow, OrderStatus, Store, SupplyRow};
use crate::web::{
    AlertView, HealthView, OrderLineView, OrderView, PageChange, PrinterDetail, PrinterView,
    Registration, StatusSource, StatusView, SupplyHistory, SupplyView, UplinkView,
};

/// Orders shown on the page.
const ORDERS_SHOWN: usize = 50;

/// Alerts on the alerts page.
const ALERTS_SHOWN: usize = 200;
/// How far back the printer page charts levels.
const HISTORY_DAYS: i64 = 90;
/// Points per supply at most on that chart (a year of 15-minute readings
/// is 35 000; the chart is a few hundred pixels wide).
const HISTORY_POINTS: usize = 360;

/// Builds [`StatusView`]s on request and carries out the page's changes.
pub(crate) struct GatewayStatus {
    pub gateway_id: String,
    pub store: Arc<Store>,
    pub outputs: Arc<EngineOutputs>,
    pub uplink: Arc<UplinkState>,
    pub clock: Arc<dyn Clock>,
    /// The command handler, once it runs (the page starts before it).
    pub changes: OnceLock<Arc<Handler>>,
    /// The runtime the handler's async work runs on (the page calls in
    /// from a blocking thread).
    pub runtime: tokio::runtime::Handle,
    /// How long polls take.
    pub poll_times: Arc<PollTimes>,
}

impl GatewayStatus {
    /// What the site's IT must know about the box's set-up and its last
    /// starts (provisioning, earlier failures), one line.
    fn notice(&self) -> Option<String> {
        let lines: Vec<String> = [
            crate::commands::run::NOTICE_KEY,
            crate::commands::run::FAILURES_KEY,
        ]
        .iter()
        .filter_map(|k| self.store.meta_get(k).ok().flatten())
        .filter(|n| !n.is_empty())
        .collect();
        (!lines.is_empty()).then(|| lines.join("; "))
    }

    /// The store's key of the printer the page calls `serial`.
    fn printer_key(&self, serial: &str) -> Result<Option<String>, String> {
        Ok(self
            .store
            .printers()
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|p| p.serial.as_deref().unwrap_or(&p.key) == serial)
            .map(|p| p.key))
    }

    /// A source over `store` alone (no engine, no uplink): what the page
    /// benchmark measures, the store reads and the rendering.
    pub(crate) fn over_store(store: Arc<Store>, clock: Arc<dyn Clock>) -> Self {
        let mqtt = super::MqttSettings {
            host: "127.0.0.1".into(),
            port: 1883,
            client_id: "bench".into(),
            username: None,
            password: None,
            keep_alive: std::time::Duration::from_secs(30),
            transport: asr_cloud_sync::TransportSettings::tcp(),
        };
        Self {
            gateway_id: "bench".into(),
            store,
            outputs: Arc::new(EngineOutputs::default()),
            uplink: Arc::new(UplinkState::new(&mqtt)),
            clock,
            changes: OnceLock::new(),
            runtime: tokio::runtime::Handle::current(),
            poll_times: Arc::new(PollTimes::default()),
        }
    }
}

impl StatusSource for GatewayStatus {
    fn storage_problem(&self) -> Option<String> {
        let health = self.store.storage();
        let state = health.state();
        (state != crate::store::StorageState::Ok).then(|| {
            format!(
                "{}: {}",
                state.as_str(),
                health.reason().unwrap_or_default()
            )
        })
    }

    fn snapshot(&self) -> Result<StatusView, String> {
        let printers = self.store.printers().map_err(|e| e.to_string())?;
        let supplies = self.store.all_supplies().map_err(|e| e.to_string())?;
        let orders = self
            .store
            .recent_orders(ORDERS_SHOWN)
            .map_err(|e| e.to_string())?;
        let outbox = self.store.outbox_figures().map_err(|e| e.to_string())?;
        let forecasts: HashMap<(String, u32), SupplyForecast> = self
            .outputs
            .forecasts
            .read()
            .map(|f| {
                f.iter()
                    .map(|f| ((f.printer.clone(), f.supply_index), f.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let mut by_printer: HashMap<String, Vec<SupplyView>> = HashMap::new();
        for s in supplies {
            let forecast = forecasts.get(&(s.printer_key.clone(), s.index));
            by_printer
                .entry(s.printer_key.clone())
                .or_default()
                .push(supply_view(&s, forecast));
        }
        let link = self.uplink.link();
        let last_poll_at = printers
            .iter()
            .filter(|p| p.last_poll_ok)
            .map(|p| p.last_seen)
            .max();
        let polls = self.poll_times.counts();
        let open_alerts = self.store.open_alert_count().map_err(|e| e.to_string())?;
        Ok(StatusView {
            gateway_id: self.gateway_id.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            generated_at: self.clock.now(),
            uplink: UplinkView {
                last_error: if link.connected {
                    None
                } else {
                    link.last_error
                },
                connected: link.connected,
                since: link.since,
                broker: link.broker,
                outbox_depth: outbox.depth,
                outbox_oldest_at: outbox.oldest_created_at,
                levels_thinned: outbox.levels_thinned,
                levels_dropped: outbox.levels_dropped,
                last_sent_at: link.last_sent_at,
            },
            printers: printers
                .into_iter()
                .map(|p| {
                    let mut view = PrinterView {
                        supplies: by_printer.remove(&p.key).unwrap_or_default(),
                        serial: p.serial.clone().unwrap_or_else(|| p.key.clone()),
                        model: p.model.clone().unwrap_or_default(),
                        address: p.address.clone(),
                        site: p.site.clone().unwrap_or_default(),
                        contact: p.contact.clone().unwrap_or_default(),
                        last_seen: Some(p.last_seen),
                        reachable: p.last_poll_ok,
                        last_error: p.last_error.clone(),
                        page_count: p.page_count,
                        last_poll_seconds: self.poll_times.last(&p.key),
                        read_over: self.poll_times.source(&p.key),
                        registration: Registration::default(),
                    };
                    view.registration = registration(&p, &view);
                    view.registration.protocol = self
                        .changes
                        .get()
                        .and_then(|h| super::poller::chosen_protocol(&h.poller, &p.key))
                        .unwrap_or_default()
                        .as_str()
                        .to_owned();
                    view
                })
                .collect(),
            orders: orders.iter().map(order_view).collect(),
            health: HealthView {
                last_poll_at,
                disk_free_bytes: self.store.storage_available(),
                clock_synchronised: self.clock.synchronised(),
                uptime_secs: crate::diagnostics::uptime_secs(),
                open_alerts,
                polls_ok: polls.ok,
                polls_failed: polls.failed,
                notice: self.notice(),
                storage_problem: self.storage_problem(),
            },
        })
    }

    fn catalogs(&self) -> Result<Vec<crate::web::CatalogView>, String> {
        let kept = self.store.catalogs().map_err(|e| e.to_string())?;
        Ok(kept
            .iter()
            .map(|k| crate::web::CatalogView::kept(k.scope, &k.catalog, k.received_at))
            .collect())
    }

    fn supply_lives(&self, serial: &str) -> Result<Vec<crate::web::SupplyLife>, String> {
        let Some(key) = self.printer_key(serial)? else {
            return Ok(Vec::new());
        };
        Ok(self
            .outputs
            .forecasts
            .read()
            .map(|f| {
                f.iter()
                    .filter(|f| f.printer == key)
                    .filter_map(crate::web::SupplyLife::of)
                    .collect()
            })
            .unwrap_or_default())
    }

    fn printer(&self, serial: &str) -> Result<Option<PrinterDetail>, String> {
        let view = self.snapshot()?;
        let Some(printer) = view.printers.iter().find(|p| p.serial == serial).cloned() else {
            return Ok(None);
        };
        let Some(key) = self.printer_key(serial)? else {
            return Ok(None);
        };
        let since = self.clock.now() - chrono::Duration::days(HISTORY_DAYS);
        let readings = self
            .store
            .readings_since(&key, since)
            .map_err(|e| e.to_string())?;
        let history = printer
            .supplies
            .iter()
            .map(|s| SupplyHistory {
                index: s.index,
                points: down_sample(
                    readings
                        .iter()
                        .filter(|r| r.supply_index == s.index)
                        .filter_map(|r| r.percent.map(|p| (r.observed_at, p))),
                    HISTORY_POINTS,
                ),
            })
            .collect();
        // One counter value per poll (every supply row of a poll has it).
        let mut counts: Vec<(DateTime<Utc>, f64)> = Vec::new();
        for r in &readings {
            if let Some(count) = r.page_count
                && counts.last().is_none_or(|(t, _)| *t != r.observed_at)
            {
                counts.push((r.observed_at, count as f64));
            }
        }
        let page_counts = down_sample(counts.into_iter(), HISTORY_POINTS)
            .into_iter()
            .map(|(t, v)| (t, v.round() as u64))
            .collect();
        let alerts = self
            .store
            .recent_alerts(ALERTS_SHOWN)
            .map_err(|e| e.to_string())?
            .iter()
            .filter_map(alert_view)
            .filter(|a| a.printer == key || a.printer == serial)
            .collect();
        let orders = view
            .orders
            .iter()
            .filter(|o| {
                o.lines
                    .iter()
                    .any(|l| l.printer == serial || l.printer == key)
            })
            .cloned()
            .collect();
        Ok(Some(PrinterDetail {
            generated_at: view.generated_at,
            printer,
            history,
            page_counts,
            alerts,
            orders,
        }))
    }

    fn alerts(&self) -> Result<Vec<AlertView>, String> {
        let rows = self
            .store
            .recent_alerts(ALERTS_SHOWN)
            .map_err(|e| e.to_string())?;
        Ok(rows.iter().filter_map(alert_view).collect())
    }

    fn settings(&self) -> Result<crate::web::SettingsView, String> {
        self.changes
            .get()
            .ok_or_else(|| "the gateway is still starting: try again in a moment".to_owned())?
            .settings_view()
    }

    fn apply(&self, change: PageChange) -> Result<(), String> {
        let handler = self
            .changes
            .get()
            .cloned()
            .ok_or_else(|| "the gateway is still starting: try again in a moment".to_owned())?;
        self.runtime.block_on(handler.page_change(change))
    }
}

/// An alert row as the page shows it; rows without an id (none are
/// written so) are skipped: they could not be acknowledged.
fn alert_view(row: &crate::store::AlertRow) -> Option<AlertView> {
    let p = &row.payload;
    let text = |k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    Some(AlertView {
        id: text("id")?,
        kind: row.kind.clone(),
        printer: text("printer")
            .or_else(|| row.printer.clone())
            .unwrap_or_default(),
        at: row.at,
        supply_index: p
            .get("supply_index")
            .and_then(|v| v.as_u64())
            .and_then(|v| u32::try_from(v).ok()),
        level_left_percent: p.get("level_left_percent").and_then(|v| v.as_f64()),
        factor: p.get("factor").and_then(|v| v.as_f64()),
        message: text("message"),
        acked_at: row.acked_at,
    })
}

/// A printer's delivery details, and why it is not ordered for when it is not.
fn registration(row: &crate::store::PrinterRow, view: &PrinterView) -> Registration {
    let blind = view.page_count.is_none() && view.supplies.iter().all(|s| s.percent.is_none());
    let ineligible = if row.excluded {
        Some("excluded")
    } else if view.site.trim().is_empty() || view.contact.trim().is_empty() {
        Some("no_site_or_contact")
    } else if blind {
        Some("no_level_no_counter")
    } else {
        None
    };
    Registration {
        postal_address: row.postal_address.clone(),
        contact_email: row.contact_email.clone(),
        contact_phone: row.contact_phone.clone(),
        excluded: row.excluded,
        ineligible: ineligible.map(str::to_owned),
        protocol: "auto".into(),
    }
}

/// At most `max` points spread evenly over the series' time span: the
/// last point of each time bucket (the newest level is always kept).
fn down_sample(
    points: impl Iterator<Item = (DateTime<Utc>, f64)>,
    max: usize,
) -> Vec<(DateTime<Utc>, f64)> {
    let all: Vec<_> = points.collect();
    let (Some(first), Some(last)) = (all.first(), all.last()) else {
        return all;
    };
    if all.len() <= max || max == 0 {
        return all;
    }
    let span = (last.0 - first.0).num_milliseconds().max(1) as f64;
    let bucket = |t: DateTime<Utc>| {
        let share = (t - first.0).num_milliseconds() as f64 / span;
        ((share * max as f64) as usize).min(max - 1)
    };
    let mut out: Vec<(DateTime<Utc>, f64)> = Vec::with_capacity(max);
    let mut current = None;
    for p in &all {
        let b = bucket(p.0);
        if current == Some(b) {
            if let Some(slot) = out.last_mut() {
                *slot = *p;
            }
        } else {
            out.push(*p);
            current = Some(b);
        }
    }
    out
}

fn supply_view(s: &SupplyRow, f: Option<&SupplyForecast>) -> SupplyView {
    SupplyView {
        index: s.index,
        description: s.description.clone(),
        kind: s.kind.clone(),
        colorant: s.colorant.clone(),
        percent: s.percent,
        gauge: enum_name(&s.gauge),
        class: enum_name(&s.class),
        forecast_empty_at: f.and_then(|f| f.p50_empty_at),
        forecast_pessimistic_at: f.and_then(|f| f.pessimistic_empty_at),
        spares_on_site: f.map_or(0, |f| f.spares_on_site),
        spares_in_transit: f.map_or(0, |f| f.spares_in_transit),
    }
}

fn order_view(o: &OrderRow) -> OrderView {
    let lines = o
        .payload
        .get("lines")
        .and_then(|l| l.as_array())
        .map(|lines| {
            lines
                .iter()
                .map(|l| OrderLineView {
                    printer: l
                        .get("printer")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string(),
                    supply_index: l
                        .get("supply_index")
                        .and_then(|v| v.as_u64())
                        .and_then(|v| u32::try_from(v).ok())
                        .unwrap_or(0),
                    supply_type: l
                        .get("supply_type")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string(),
                    colorant: l
                        .get("colorant")
                        .and_then(|v| v.as_str())
                        .map(str::to_string),
                    quantity: l
                        .get("quantity")
                        .and_then(|v| v.as_u64())
                        .and_then(|v| u32::try_from(v).ok())
                        .unwrap_or(0),
                    predicted_empty_at: l
                        .get("predicted_empty_at")
                        .and_then(|v| v.as_str())
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                        .map(|t| t.with_timezone(&chrono::Utc)),
                })
                .collect()
        })
        .unwrap_or_default();
    OrderView {
        tracking: match (&o.carrier, &o.tracking) {
            (Some(c), Some(t)) => Some(format!("{c} {t}")),
            (None, Some(t)) => Some(t.clone()),
            (Some(c), None) => Some(c.clone()),
            (None, None) => None,
        },
        order_id: o.order_id.clone(),
        created_at: o.created_at,
        site: o.site.clone().unwrap_or_default(),
        contact: o.contact.clone().unwrap_or_default(),
        status: match o.status {
            OrderStatus::Queued => "waiting".into(),
            other => other.as_str().into(),
        },
        lines,
    }
}

/// The snake_case name serde gives a unit enum variant (`some_remaining`).
fn enum_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn down_sampling_keeps_the_span_and_the_newest_level() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let year: Vec<_> = (0..35_040)
            .map(|i| {
                (
                    t0 + chrono::Duration::minutes(15 * i),
                    100.0 - i as f64 / 400.0,
                )
            })
            .collect();
        let out = down_sample(year.iter().copied(), 360);
        assert!(out.len() <= 360 && out.len() >= 350, "{}", out.len());
        assert_eq!(out.last(), year.last());
        assert!(out.windows(2).all(|w| w[0].0 < w[1].0));
        let few = down_sample(year[..10].iter().copied(), 360);
        assert_eq!(few, year[..10].to_vec());
    }
}
