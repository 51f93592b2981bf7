//! The supplier's news about orders (`accepted`, `shipped`, `delivered`,
//! `cancelled`), applied to the `orders` table with the transitions that
//! make sense, in one transaction with the message that carried it, so a
//! message is applied once whatever happens around it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::orders::OrderStatus;
use super::time::to_db;
use super::{Store, StoreError};

/// What the supplier says happened to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupplierStatus {
    /// The order was taken.
    Accepted,
    /// It left the warehouse.
    Shipped,
    /// Some or all of it arrived.
    Delivered,
    /// It will not be shipped.
    Cancelled,
}

/// Quantities of one order line: which printer's supply, how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineQuantity {
    /// Printer serial.
    pub printer: String,
    /// Supply index on that printer.
    pub supply_index: u32,
    /// How many.
    pub quantity: u32,
}

/// One order-status message to apply.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderUpdate {
    /// The sender's stable id for this message.
    pub message_id: String,
    /// The order.
    pub order_id: String,
    /// What happened.
    pub status: SupplierStatus,
    /// When.
    pub at: DateTime<Utc>,
    /// Carrier, for a shipment.
    pub carrier: Option<String>,
    /// Tracking number, for a shipment.
    pub tracking: Option<String>,
    /// What arrived, for a delivery; `None` is everything still due.
    pub lines: Option<Vec<LineQuantity>>,
    /// The message as received, kept as the record.
    pub payload: serde_json::Value,
}

/// What applying a message did.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderUpdateOutcome {
    /// Applied: the order's new status, and what this message delivered
    /// or cancelled (for the engine's spare ledger).
    Applied {
        /// Status after the message.
        status: OrderStatus,
        /// Lines delivered by this message.
        delivered: Vec<LineQuantity>,
        /// Lines that will not come (a cancellation).
        cancelled: Vec<LineQuantity>,
    },
    /// This message was applied before: nothing done again.
    Duplicate {
        /// Current status.
        status: OrderStatus,
    },
    /// The message makes no sense for this order; nothing changed.
    Refused(String),
}

impl Store {
    /// Applies one order-status message in one durable transaction.
    pub fn apply_order_update(&self, u: &OrderUpdate) -> Result<OrderUpdateOutcome, StoreError> {
        self.durable_transaction(|tx| apply(tx, u))
    }
}

fn apply(tx: &Transaction<'_>, u: &OrderUpdate) -> Result<OrderUpdateOutcome, StoreError> {
    let row: Option<(String, String, Option<String>)> = tx
        .prepare_cached("SELECT status, payload, delivered FROM orders WHERE order_id = ?1")?
        .query_row([&u.order_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((status_text, payload, delivered_text)) = row else {
        return Ok(OrderUpdateOutcome::Refused(format!(
            "unknown order `{}`",
            u.order_id
        )));
    };
    let current = OrderStatus::parse(&status_text)?;
    let seen: bool = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM order_updates WHERE order_id = ?1 AND message_id = ?2)",
        )?
        .query_row(params![u.order_id, u.message_id], |r| r.get(0))?;
    if seen {
        return Ok(OrderUpdateOutcome::Duplicate { status: current });
    }
    let ordered = order_lines(&payload)?;
    let mut delivered: Vec<LineQuantity> = match &delivered_text {
        Some(t) => serde_json::from_str(t).map_err(|source| StoreError::Json {
            column: "orders.delivered",
            source,
        })?,
        None => Vec::new(),
    };
    let due = remaining(&ordered, &delivered);
    use OrderStatus as S;
    let open = matches!(current, S::Queued | S::Sent | S::Accepted);
    let refuse = |why: String| Ok(OrderUpdateOutcome::Refused(why));
    let (next, delivered_now, cancelled) = match u.status {
        SupplierStatus::Accepted => {
            if !open {
                return refuse(format!(
                    "order `{}` is already {}; it cannot be accepted now",
                    u.order_id,
                    current.as_str()
                ));
            }
            (S::Accepted, Vec::new(), Vec::new())
        }
        SupplierStatus::Shipped => {
            if !(open || matches!(current, S::Shipped | S::PartlyDelivered)) {
                return refuse(format!(
                    "order `{}` is already {}; it cannot be shipped now",
                    u.order_id,
                    current.as_str()
                ));
            }
            let next = if current == S::PartlyDelivered {
                S::PartlyDelivered
            } else {
                S::Shipped
            };
            (next, Vec::new(), Vec::new())
        }
        SupplierStatus::Delivered => {
            if matches!(current, S::Delivered | S::Cancelled) {
                return refuse(format!(
                    "order `{}` is already {}; nothing more can be delivered",
                    u.order_id,
                    current.as_str()
                ));
            }
            let now = match &u.lines {
                None => due.clone(),
                Some(lines) => {
                    let mut left = due.clone();
                    for line in lines {
                        let Some(d) = left.iter_mut().find(|d| {
                            d.printer == line.printer && d.supply_index == line.supply_index
                        }) else {
                            return refuse(format!(
                                "order `{}` has no line for printer `{}` supply {} still due",
                                u.order_id, line.printer, line.supply_index
                            ));
                        };
                        if line.quantity > d.quantity {
                            return refuse(format!(
                                "order `{}`: {} delivered for printer `{}` supply {}, only {} due",
                                u.order_id,
                                line.quantity,
                                line.printer,
                                line.supply_index,
                                d.quantity
                            ));
                        }
                        d.quantity -= line.quantity;
                    }
                    lines.clone()
                }
            };
            for line in &now {
                match delivered
                    .iter_mut()
                    .find(|d| d.printer == line.printer && d.supply_index == line.supply_index)
                {
                    Some(d) => d.quantity += line.quantity,
                    None => delivered.push(line.clone()),
                }
            }
            let complete = remaining(&ordered, &delivered).is_empty();
            let next = if complete {
                S::Delivered
            } else {
                S::PartlyDelivered
            };
            (next, now, Vec::new())
        }
        SupplierStatus::Cancelled => {
            if !open {
                return refuse(format!(
                    "order `{}` is already {}; it can no longer be cancelled",
                    u.order_id,
                    current.as_str()
                ));
            }
            (S::Cancelled, Vec::new(), due)
        }
    };
    let delivered_json = if delivered.is_empty() {
        None
    } else {
        Some(
            serde_json::to_string(&delivered).map_err(|source| StoreError::Json {
                column: "orders.delivered",
                source,
            })?,
        )
    };
    tx.prepare_cached(
        "UPDATE orders SET status = ?2, status_at = ?3,
                carrier = coalesce(?4, carrier), tracking = coalesce(?5, tracking),
                delivered = ?6
         WHERE order_id = ?1",
    )?
    .execute(params![
        u.order_id,
        next.as_str(),
        to_db(u.at),
        u.carrier,
        u.tracking,
        delivered_json
    ])?;
    tx.prepare_cached(
        "INSERT INTO order_updates (order_id, message_id, status, at, payload)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        u.order_id,
        u.message_id,
        next.as_str(),
        to_db(u.at),
        u.payload.to_string()
    ])?;
    Ok(OrderUpdateOutcome::Applied {
        status: next,
        delivered: delivered_now,
        cancelled,
    })
}

/// The lines of an order payload (the engine's `Order` JSON).
fn order_lines(payload: &str) -> Result<Vec<LineQuantity>, StoreError> {
    #[derive(Deserialize)]
    struct Lines {
        #[serde(default)]
        lines: Vec<LineQuantity>,
    }
    let lines: Lines = serde_json::from_str(payload).map_err(|source| StoreError::Json {
        column: "orders.payload",
        source,
    })?;
    // One order may name a printer's supply once; merge defensively.
    let mut merged: Vec<LineQuantity> = Vec::new();
    for l in lines.lines {
        match merged
            .iter_mut()
            .find(|m| m.printer == l.printer && m.supply_index == l.supply_index)
        {
            Some(m) => m.quantity += l.quantity,
            None => merged.push(l),
        }
    }
    Ok(merged)
}

/// What is still due: ordered minus delivered, lines with nothing left dropped.
fn remaining(ordered: &[LineQuantity], delivered: &[LineQuantity]) -> Vec<LineQuantity> {
    let got: HashMap<(&str, u32), u32> = delivered
        .iter()
        .map(|d| ((d.printer.as_str(), d.supply_index), d.quantity))
        .collect();
    ordered
        .iter()
        .filter_map(|o| {
            let left = o
                .quantity
                .saturating_sub(*got.get(&(o.printer.as_str(), o.supply_index)).unwrap_or(&0));
            (left > 0).then(|| LineQuantity {
                quantity: left,
                ..o.clone()
            })
        })
        .collect()
}
