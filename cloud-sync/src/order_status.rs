//! News about an order sent down by the supplier: `accepted`, `shipped`
//! (carrier, tracking), `delivered` (per line) or `cancelled`.
//!
//! It arrives on `orders/<order_id>/status` (or as the `order_status`
//! command) and is answered like a command. Parsing here checks the shape;
//! whether the transition makes sense for that order is the gateway's call,
//! since only it knows the order.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an order stands as the supplier reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    Accepted,
    Shipped,
    Delivered,
    Cancelled,
}

impl OrderState {
    pub const NAMES: [&'static str; 4] = ["accepted", "shipped", "delivered", "cancelled"];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Accepted => "accepted",
            OrderState::Shipped => "shipped",
            OrderState::Delivered => "delivered",
            OrderState::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<OrderState> {
        [
            OrderState::Accepted,
            OrderState::Shipped,
            OrderState::Delivered,
            OrderState::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }
}

/// One delivered line: which printer's supply, and how many arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveredLine {
    pub printer: String,
    pub supply_index: u32,
    pub quantity: u32,
}

/// A validated order-status message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderStatusUpdate {
    /// Stable id of this message, chosen by the sender: a redelivery with
    /// the same id is answered again but not applied twice.
    pub id: String,
    pub order_id: String,
    pub status: OrderState,
    /// When it happened at the supplier; the gateway's time when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<String>,
    /// Why (a cancellation, mostly).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// With `delivered`: what arrived; absent means every line in full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<DeliveredLine>>,
}

/// The body as sent, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrderStatusBody {
    pub(crate) id: Option<String>,
    pub(crate) order_id: Option<String>,
    pub(crate) status: String,
    pub(crate) at: Option<DateTime<Utc>>,
    pub(crate) carrier: Option<String>,
    pub(crate) tracking: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) lines: Option<Vec<DeliveredLine>>,
}

/// Longest free-text field accepted (carrier, tracking, reason).
const MAX_TEXT: usize = 256;
/// Most lines one delivery may name.
const MAX_LINES: usize = 1000;

impl OrderStatusBody {
    /// Checks the body; `order_id` comes from the topic when the body has
    /// none, and must match it when it has one.
    pub(crate) fn validate(
        self,
        message_id: &str,
        topic_order: Option<&str>,
    ) -> Result<OrderStatusUpdate, String> {
        let order_id = match (self.order_id, topic_order) {
            (Some(body), Some(topic)) if body != topic => {
                return Err(format!(
                    "body order_id `{body}` does not match the topic's `{topic}`"
                ));
            }
            (Some(body), _) => body,
            (None, Some(topic)) => topic.to_string(),
            (None, None) => return Err("missing field `order_id`".into()),
        };
        if order_id.trim().is_empty() {
            return Err("`order_id` must not be empty".into());
        }
        let status = OrderState::parse(&self.status).ok_or_else(|| {
            format!(
                "unknown status `{}` (known: {})",
                self.status,
                OrderState::NAMES.join(", ")
            )
        })?;
        for (field, value) in [
            ("carrier", &self.carrier),
            ("tracking", &self.tracking),
            ("reason", &self.reason),
        ] {
            if value.as_ref().is_some_and(|v| v.len() > MAX_TEXT) {
                return Err(format!("`{field}` is longer than {MAX_TEXT} bytes"));
            }
        }
        if let Some(lines) = &self.lines {
            if status != OrderState::Delivered {
                return Err("`lines` only goes with status `delivered`".into());
            }
            if lines.is_empty() || lines.len() > MAX_LINES {
                return Err(format!("`lines` must hold 1 to {MAX_LINES} lines"));
            }
            if let Some(bad) = lines.iter().find(|l| l.quantity == 0) {
                return Err(format!(
                    "line for printer `{}` supply {} has quantity 0",
                    bad.printer, bad.supply_index
                ));
            }
        }
        Ok(OrderStatusUpdate {
            id: self.id.unwrap_or_else(|| message_id.to_string()),
            order_id,
            status,
            at: self.at,
            carrier: self.carrier,
            tracking: self.tracking,
            reason: self.reason,
            lines: self.lines,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str, topic: Option<&str>) -> Result<OrderStatusUpdate, String> {
        let b: OrderStatusBody = serde_json::from_str(body).map_err(|e| e.to_string())?;
        b.validate("m1", topic)
    }

    #[test]
    fn good_updates_parse() {
        let u = parse(
            r#"{"id":"s1","status":"shipped","carrier":"DHL","tracking":"X1"}"#,
            Some("ord-1"),
        )
        .expect("shipped");
        assert_eq!(
            (u.order_id.as_str(), u.status),
            ("ord-1", OrderState::Shipped)
        );
        let u = parse(
            r#"{"order_id":"ord-1","status":"delivered","lines":[{"printer":"S","supply_index":1,"quantity":1}]}"#,
            None,
        )
        .expect("delivered");
        assert_eq!(u.id, "m1");
        assert_eq!(u.lines.map(|l| l.len()), Some(1));
    }

    #[test]
    fn bad_updates_say_why() {
        let err = |body, topic| parse(body, topic).expect_err("refused");
        assert!(err(r#"{"status":"lost"}"#, Some("o")).contains("unknown status `lost`"));
        assert!(err(r#"{"status":"shipped"}"#, None).contains("order_id"));
        assert!(
            err(r#"{"order_id":"a","status":"shipped"}"#, Some("b")).contains("does not match")
        );
        assert!(
            err(
                r#"{"status":"shipped","lines":[{"printer":"S","supply_index":1,"quantity":1}]}"#,
                Some("o")
            )
            .contains("only goes with")
        );
        assert!(
            err(
                r#"{"status":"delivered","lines":[{"printer":"S","supply_index":1,"quantity":0}]}"#,
                Some("o")
            )
            .contains("quantity 0")
        );
        assert!(err(r#"{"status":"shipped","bogus":1}"#, Some("o")).contains("unknown field"));
    }
}
