//! The answers of `get_status` and `get_diagnostics`: what a supplier's
//! operator needs to know about one gateway without visiting it.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};

use super::clock::Clock;
use super::live::LiveConfig;
use super::uplink_glue::UplinkState;
use crate::store::Store;

/// Orders looked at to count those in flight.
const RECENT_ORDERS: usize = 500;

pub(crate) struct StatusReport {
    pub gateway_id: String,
    pub store: Arc<Store>,
    pub uplink: Arc<UplinkState>,
    pub live: Arc<LiveConfig>,
    pub clock: Arc<dyn Clock>,
    pub db_path: PathBuf,
}

impl StatusReport {
    /// Counts and health; each part that cannot be read says why instead
    /// of failing the whole answer.
    pub fn status(&self) -> Value {
        let printers = self.store.printers();
        let (total, answering, eligible) = match &printers {
            Ok(list) => (
                list.len(),
                list.iter().filter(|p| p.last_poll_ok).count(),
                list.iter()
                    .filter(|p| {
                        !p.excluded
                            && p.site.as_deref().is_some_and(|s| !s.is_empty())
                            && p.contact.as_deref().is_some_and(|c| !c.is_empty())
                    })
                    .count(),
            ),
            Err(_) => (0, 0, 0),
        };
        let orders = self.store.recent_orders(RECENT_ORDERS);
        let in_flight = orders
            .as_ref()
            .map(|o| o.iter().filter(|o| o.status.in_flight()).count())
            .unwrap_or(0);
        let link = self.uplink.link();
        json!({
            "gateway_id": self.gateway_id,
            "version": env!("CARGO_PKG_VERSION"),
            "now": self.clock.now(),
            "uptime_secs": crate::diagnostics::uptime_secs(),
            "printers": total,
            "printers_answering": answering,
            "printers_not_answering": total - answering,
            "printers_eligible": eligible,
            "open_alerts": self.store.open_alert_count().ok(),
            "orders_in_flight": in_flight,
            "outbox_depth": self.store.outbox_depth().ok(),
            "link": {
                "broker": link.broker,
                "connected": link.connected,
                "since": link.since,
                "last_error": link.last_error,
                "last_sent_at": link.last_sent_at,
            },
            "poll_interval_secs": self.live.poll_interval().as_secs_f64(),
            "errors": printers.err().map(|e| e.to_string()),
        })
    }

    /// Recent warnings and errors, versions, uptime, disk, clock.
    pub fn diagnostics(&self) -> Value {
        let dir = self
            .db_path
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        let db_bytes = ["", "-wal", "-shm"]
            .iter()
            .filter_map(|suffix| {
                let mut path = self.db_path.clone().into_os_string();
                path.push(suffix);
                std::fs::metadata(path).ok().map(|m| m.len())
            })
            .sum::<u64>();
        json!({
            "gateway_id": self.gateway_id,
            "version": env!("CARGO_PKG_VERSION"),
            "database_schema": crate::store::SCHEMA_VERSION,
            "message_schema": asr_cloud_sync::SCHEMA_VERSION,
            "uptime_secs": crate::diagnostics::uptime_secs(),
            "disk_free_bytes": crate::diagnostics::disk_free(&dir),
            "database_bytes": db_bytes,
            "clock_synced": self.clock.synchronised(),
            "recent_warnings": crate::diagnostics::recent(),
        })
    }
}
