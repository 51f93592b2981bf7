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
    /// Upstream acknowledged it.
    Sent,
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
}

const COLUMNS: &str = "order_id, created_at, site, contact, payload, status, sent_at";

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
        })
    }

    fn into_row(self) -> Result<OrderRow, StoreError> {
        let status = match self.status.as_str() {
            "queued" => OrderStatus::Queued,
            "sent" => OrderStatus::Sent,
            other => {
                return Err(StoreError::InvalidValue {
                    column: "orders.status",
                    value: other.to_owned(),
                });
            }
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
        })
    }
}
