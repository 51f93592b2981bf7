//! Payload conventions of the uplink: the retained health status and the
//! envelope rule of upstream messages.
//!
//! Status: one retained JSON document on `status`. The uplink publishes it
//! with `online: true` on every (re)connect and registers the same document
//! with `online: false` as the MQTT last will, so whoever reads the retained
//! message sees `offline` as soon as the broker notices the gateway is gone.
//!
//! Envelope: delivery is at-least-once, so a receiver must drop duplicates.
//! Every upstream JSON object therefore carries a stable key chosen by the
//! gateway when it wrote the outbox row: `order_id` for orders (the business
//! key the supplier already knows), `id` for everything else.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::outbox::MessageKind;
use crate::topics::GatewayId;

/// Version of the upstream payload shapes: every message carries it as
/// `schema_version`, so a consumer can tell an old gateway from a new one.
/// 3: every order line says `part_number` (with `part_number_source`),
/// `description`, `printer_model` and `reason` (forecast, manual, express).
pub const SCHEMA_VERSION: u32 = 3;

/// The retained health document of a gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusPayload {
    /// [`SCHEMA_VERSION`] of the gateway that wrote it.
    #[serde(default)]
    pub schema_version: u32,
    pub online: bool,
    /// Gateway software version.
    pub version: String,
    pub gateway_id: String,
    /// Printers currently managed.
    pub printers: u32,
    /// Messages still waiting in the outbox when this was published.
    pub outbox_depth: u64,
    /// Creation time of the oldest message still waiting, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox_oldest_at: Option<DateTime<Utc>>,
    /// Bytes of payload waiting in the outbox.
    #[serde(default)]
    pub outbox_bytes: u64,
    /// Level messages merged away to keep the outbox within its byte budget
    /// (since the database was created).
    #[serde(default)]
    pub levels_thinned: u64,
    /// Level messages dropped, oldest first, because thinning was not enough.
    #[serde(default)]
    pub levels_dropped: u64,
    /// Whether the gateway clock was known to be synchronised (a Raspberry
    /// Pi has no battery-backed clock) when this was published.
    #[serde(default)]
    pub clock_synced: bool,
    /// Whether its database can be written: `ok`, `full`, `read_only` or
    /// `error`. A gateway that cannot store is not healthy, even online.
    #[serde(default = "storage_ok")]
    pub storage: String,
    /// Start of the current online (or, in the last will, previous online) period.
    pub since: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn storage_ok() -> String {
    "ok".into()
}

impl StatusPayload {
    /// A status with no printers and an empty outbox, stamped now.
    pub fn new(gateway_id: impl Into<String>, version: impl Into<String>) -> Self {
        let now = Utc::now();
        Self {
            schema_version: SCHEMA_VERSION,
            online: false,
            version: version.into(),
            gateway_id: gateway_id.into(),
            printers: 0,
            outbox_depth: 0,
            outbox_oldest_at: None,
            outbox_bytes: 0,
            levels_thinned: 0,
            levels_dropped: 0,
            clock_synced: false,
            storage: storage_ok(),
            since: now,
            updated_at: now,
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        // Serialising plain fields to a Vec cannot fail; fall back to an empty
        // object rather than panicking if serde ever disagrees.
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, PayloadError> {
        serde_json::from_slice(bytes).map_err(|e| PayloadError::Json(e.to_string()))
    }
}

/// Adds `schema_version` and `gateway_id` to a JSON object payload that
/// lacks them. The rest of the envelope (`id`, `created_at`,
/// `clock_synced`) is written with the message, when it is made; these two
/// are the same for every message of a gateway, so they are added on the
/// way out. Works on the text (a prefix after `{`) instead of parsing the
/// whole payload: this runs for every message of a backlog.
pub fn with_envelope(payload: Vec<u8>, gateway_id: &GatewayId) -> Vec<u8> {
    // Parsed, not patched as bytes: a nested "gateway_id" (a status report
    // inside a command's result) must not hide a missing top-level one.
    let Ok(serde_json::Value::Object(mut map)) = serde_json::from_slice(&payload) else {
        return payload;
    };
    if map.contains_key("schema_version") && map.contains_key("gateway_id") {
        return payload;
    }
    map.entry("schema_version")
        .or_insert_with(|| SCHEMA_VERSION.into());
    map.entry("gateway_id")
        .or_insert_with(|| gateway_id.as_str().into());
    serde_json::to_vec(&map).unwrap_or(payload)
}

/// Why an upstream payload breaks the envelope convention.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PayloadError {
    #[error("payload is not valid JSON: {0}")]
    Json(String),
    #[error("payload is not a JSON object")]
    NotAnObject,
    #[error("{kind} payload lacks its deduplication key `{field}` (a non-empty string or integer)")]
    MissingKey {
        kind: MessageKind,
        field: &'static str,
    },
}

/// The field holding the deduplication key of a message kind.
pub fn key_field(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Order => "order_id",
        MessageKind::Alert | MessageKind::Level | MessageKind::Event | MessageKind::Lives => "id",
    }
}

/// Extracts the deduplication key of an upstream payload; the gateway calls
/// this before writing a row, a receiver to drop duplicates.
pub fn message_key(kind: MessageKind, payload: &[u8]) -> Result<String, PayloadError> {
    let value: serde_json::Value =
        serde_json::from_slice(payload).map_err(|e| PayloadError::Json(e.to_string()))?;
    let object = value.as_object().ok_or(PayloadError::NotAnObject)?;
    let field = key_field(kind);
    match object.get(field) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(serde_json::Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        _ => Err(PayloadError::MissingKey { kind, field }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips() {
        let mut status = StatusPayload::new("gw-1", "0.1.0");
        status.online = true;
        status.printers = 3;
        let back = StatusPayload::from_json(&status.to_json()).expect("parse");
        assert_eq!(back, status);
    }

    #[test]
    fn the_envelope_is_added_once() {
        let gw = GatewayId::new("gw-1").expect("id");
        let out = with_envelope(br#"{"order_id":"o-1"}"#.to_vec(), &gw);
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["schema_version"], SCHEMA_VERSION);
        assert_eq!(v["gateway_id"], "gw-1");
        assert_eq!(v["order_id"], "o-1");
        assert_eq!(with_envelope(out.clone(), &gw), out);
        let empty = with_envelope(b"{}".to_vec(), &gw);
        assert!(serde_json::from_slice::<serde_json::Value>(&empty).is_ok());
        assert_eq!(with_envelope(b"[1]".to_vec(), &gw), b"[1]".to_vec());
    }

    #[test]
    fn keys_follow_the_envelope_rule() {
        assert_eq!(
            message_key(MessageKind::Order, br#"{"order_id":"o-1","id":"x"}"#),
            Ok("o-1".to_string())
        );
        assert_eq!(
            message_key(MessageKind::Level, br#"{"id":42}"#),
            Ok("42".to_string())
        );
        assert!(matches!(
            message_key(MessageKind::Order, br#"{"id":"x"}"#),
            Err(PayloadError::MissingKey {
                field: "order_id",
                ..
            })
        ));
        assert_eq!(
            message_key(MessageKind::Alert, b"[]"),
            Err(PayloadError::NotAnObject)
        );
        assert!(matches!(
            message_key(MessageKind::Event, b"nope"),
            Err(PayloadError::Json(_))
        ));
    }
}
