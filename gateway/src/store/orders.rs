//! The `orders` table: every replenishment order the engine decided, kept
//! for the status page and as the proof of what was asked for. The order id
//! comes from the engine and is the primary key, so recording the same
//! decision twice (a retry, a replay after restart) is harmless.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row};
use serde::Serialize;

use super::outbox::clamp_limit;
use super::time::{from_db, opt_from_db};
use super::{Store, StoreError};

/// An order to record (see [`super::DecisionBatch`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrder {
    /// Stable id chosen by the engine; a second order with the same id is ignored.
    pub order_id: String,
    /// When the engine decided it.
    pub created_at: DateTime<Utc>,
    /// Site it is for.
    pub site: Option<String>,
    /// Contact who receives it.
    pub contact: Option<String>,
    /// The order itself, sent upstream as is (so it should carry `order_id`).
    pub payload: serde_json::Value,
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Recorded and waiting in the outbox.
    Queued,
    /// The broker acknowledged it.
    Sent,
    /// The supplier took it.
    Accepted,
    /// The supplier shipped it.
    Shipped,
    /// Some lines arrived, not all.
    PartlyDelivered,
    /// Everything arrived.
    Delivered,
    /// The supplier will not ship it.
    Cancelled,
}

impl OrderStatus {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Queued => "queued",
            OrderStatus::Sent => "sent",
            OrderStatus::Accepted => "accepted",
            OrderStatus::Shipped => "shipped",
            OrderStatus::PartlyDelivered => "partly_delivered",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub(crate) fn parse(text: &str) -> Result<Self, StoreError> {
        [
            OrderStatus::Queued,
            OrderStatus::Sent,
            OrderStatus::Accepted,
            OrderStatus::Shipped,
            OrderStatus::PartlyDelivered,
            OrderStatus::Delivered,
            OrderStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| StoreError::InvalidValue {
            column: "orders.status",
            value: text.to_owned(),
        })
    }

    /// Goods may still come (the page and `get_status` count these).
    pub fn in_flight(self) -> bool {
        !matches!(self, OrderStatus::Delivered | OrderStatus::Cancelled)
    }
}

/// One recorded order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderRow {
    /// Stable id chosen by the engine.
    pub order_id: String,
    /// When the engine decided it.
    pub created_at: DateTime<Utc>,
    /// Site it is for.
    pub site: Option<String>,
    /// Contact who receives it.
    pub contact: Option<String>,
    /// The order itself.
    pub payload: serde_json::Value,
    /// Queued or sent.
    pub status: OrderStatus,
    /// When upstream acknowledged it.
    pub sent_at: Option<DateTime<Utc>>,
    /// Carrier named by the supplier.
    pub carrier: Option<String>,
    /// Tracking number given by the supplier.
    pub tracking: Option<String>,
    /// When the supplier's last news happened.
    pub status_at: Option<DateTime<Utc>>,
    /// Lines delivered so far.
    pub delivered: Vec<super::LineQuantity>,
}

const COLUMNS: &str = "order_id, created_at, site, contact, payload, status, sent_at, \
     carrier, tracking, status_at, delivered";

impl Store {
    /// The `limit` most recent orders, newest first.
    pub fn recent_orders(&self, limit: usize) -> Result<Vec<OrderRow>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM orders ORDER BY created_at DESC, rowid DESC LIMIT ?1"
        ))?;
        let raw = stmt
            .query_map([clamp_limit(limit)], RawOrder::read)?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter().map(RawOrder::into_row).collect()
    }

    /// One order by id.
    pub fn order(&self, order_id: &str) -> Result<Option<OrderRow>, StoreError> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare_cached(&format!("SELECT {COLUMNS} FROM orders WHERE order_id = ?1"))?;
        stmt.query_row([order_id], RawOrder::read)
            .optional()?
            .map(RawOrder::into_row)
            .transpose()
    }
}

struct RawOrder {
    order_id: String,
    created_at: i64,
    site: Option<String>,
    contact: Option<String>,
    payload: String,
    status: String,
    sent_at: Option<i64>,
    carrier: Option<String>,
    tracking: Option<String>,
    status_at: Option<i64>,
    delivered: Option<String>,
}

impl RawOrder {
    fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            order_id: row.get(0)?,
            created_at: row.get(1)?,
            site: row.get(2)?,
            contact: row.get(3)?,
            payload: row.get(4)?,
            status: row.get(5)?,
            sent_at: row.get(6)?,
            carrier: row.get(7)?,
            tracking: row.get(8)?,
            status_at: row.get(9)?,
            delivered: row.get(10)?,
        })
    }

    fn into_row(self) -> Result<OrderRow, StoreError> {
        let status = OrderStatus::parse(&self.status)?;
        let delivered = match &self.delivered {
            Some(text) => serde_json::from_str(text).map_err(|source| StoreError::Json {
                column: "orders.delivered",
                source,
            })?,
            None => Vec::new(),
        };
        Ok(OrderRow {
            order_id: self.order_id,
            created_at: from_db(self.created_at, "orders.created_at")?,
            site: self.site,
            contact: self.contact,
            payload: serde_json::from_str(&self.payload).map_err(|source| StoreError::Json {
                column: "orders.payload",
                source,
            })?,
            status,
            sent_at: opt_from_db(self.sent_at, "orders.sent_at")?,
            carrier: self.carrier,
            tracking: self.tracking,
            status_at: opt_from_db(self.status_at, "orders.status_at")?,
            delivered,
        })
    }
}
