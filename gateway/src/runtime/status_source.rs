//! The status page's view: printers and supplies from the store, forecasts
//! from the engine, orders with their delivery state, the uplink's health.

use std::collections::HashMap;
use std::sync::Arc;

use asr_engine::SupplyForecast;

use super::clock::Clock;
use super::engine_task::EngineOutputs;
use super::uplink_glue::UplinkState;
use crate::store::{OrderRow, OrderStatus, Store, SupplyRow};
use crate::web::{
    OrderLineView, OrderView, PrinterView, StatusSource, StatusView, SupplyView, UplinkView,
};

/// Orders shown on the page.
const ORDERS_SHOWN: usize = 50;

/// Builds [`StatusView`]s on request.
pub(crate) struct GatewayStatus {
    pub gateway_id: String,
    pub store: Arc<Store>,
    pub outputs: Arc<EngineOutputs>,
    pub uplink: Arc<UplinkState>,
    pub clock: Arc<dyn Clock>,
}

impl StatusSource for GatewayStatus {
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
                broker: link.broker,
                outbox_depth: outbox.depth,
                outbox_oldest_at: outbox.oldest_created_at,
                levels_thinned: outbox.levels_thinned,
                levels_dropped: outbox.levels_dropped,
                last_sent_at: link.last_sent_at,
            },
            printers: printers
                .into_iter()
                .map(|p| PrinterView {
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
                })
                .collect(),
            orders: orders.iter().map(order_view).collect(),
        })
    }
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
