//! Remote-management commands: parsing, validation and status replies.
//!
//! A command arrives on `cmd/<name>/<id>` with a JSON object body
//! (`{"id": "<id>", ...parameters}`; `id` may be omitted, the topic carries
//! it). Its progress is published retained on `cmd/<name>/<id>/res` following
//! `init → executing → successful | failed`, so the sender (or a dashboard
//! subscribing later) always sees the latest state of each command.
//!
//! Bad commands never reach the gateway: the uplink answers `failed` with
//! the parse error as the reason. Good ones are handed over as [`Command`]
//! values carrying a [`CommandReply`] through which the gateway reports.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::sync::mpsc;

use crate::catalog::{Catalog, CatalogError, CatalogScope};
use crate::order_status::{OrderStatusBody, OrderStatusUpdate};
use crate::topics::{CommandName, Topic};
use crate::update_order::{UpdateBody, UpdateOrder};

/// Largest command body accepted: commands are small JSON objects, and
/// anything bigger is refused before it is parsed.
pub const MAX_COMMAND_BYTES: usize = 64 * 1024;

/// Longest free-text field of a command (site, contact, address, ...).
const MAX_FIELD: usize = 512;

/// Changes to one printer's local record; `None` leaves a field as it is,
/// an empty string clears an optional one (address, e-mail, phone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Where the supplies are shipped (street, postcode, city...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_phone: Option<String>,
    /// Never order for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded: Option<bool>,
    /// How it is read: `auto` (SNMP, else IPP), `snmp` or `ipp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

/// The protocols a printer can be read over (`PrinterChanges::protocol`).
pub const PROTOCOLS: [&str; 3] = ["auto", "snmp", "ipp"];

impl PrinterChanges {
    /// Whether only the protocol changes: no delivery detail is touched, so
    /// a printer not registered yet may get it too.
    pub fn only_protocol(&self) -> bool {
        self.protocol.is_some()
            && PrinterChanges {
                protocol: None,
                ..self.clone()
            }
            .is_empty()
    }
}

impl PrinterChanges {
    fn is_empty(&self) -> bool {
        self == &PrinterChanges::default()
    }

    /// The checks `set_printer` applies (non-empty site and contact, field
    /// lengths, a plausible e-mail and phone), for other front ends such as
    /// the status page.
    pub fn validate(&self) -> Result<(), CommandError> {
        check_changes(self)
    }
}

/// The commands the gateway understands, with their validated parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandAction {
    /// Poll printers right away instead of waiting for the next cycle; all
    /// printers when `serial` is `None`.
    PollNow { serial: Option<String> },
    /// Updates the local record of one printer. At least one field is set.
    SetPrinter {
        serial: String,
        changes: PrinterChanges,
    },
    /// Forgets a printer: its record, supplies and history; it comes back
    /// as a new printer if it is still polled.
    ForgetPrinter { serial: String },
    /// Sets one configuration key (`<section>.<key>`, the file's names) to
    /// a scalar value; the gateway validates it against the whole config.
    SetConfig {
        key: String,
        value: serde_json::Value,
    },
    /// Answers the effective configuration, without secrets.
    GetConfig,
    /// Marks an alert as seen by a person.
    AckAlert { alert_id: String },
    /// Looks for printers now (mDNS browse and, when configured, the sweep).
    Rescan,
    /// Answers the gateway's status.
    GetStatus,
    /// Answers recent warnings and errors, versions, uptime, disk, clock.
    GetDiagnostics,
    /// The supplier's news about one order.
    OrderStatus(OrderStatusUpdate),
    /// Installs a signed package; handed to the updater, which answers.
    Update(UpdateOrder),
    /// The supplier's catalogue (sent on its own topic, not as `cmd/`).
    Catalog {
        scope: CatalogScope,
        catalog: Box<Catalog>,
    },
}

impl CommandAction {
    /// Names accepted in the topic, for error messages and documentation.
    pub const NAMES: [&'static str; 11] = [
        "poll_now",
        "set_printer",
        "forget_printer",
        "set_config",
        "get_config",
        "ack_alert",
        "rescan",
        "get_status",
        "get_diagnostics",
        "order_status",
        "update",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            CommandAction::PollNow { .. } => "poll_now",
            CommandAction::SetPrinter { .. } => "set_printer",
            CommandAction::ForgetPrinter { .. } => "forget_printer",
            CommandAction::SetConfig { .. } => "set_config",
            CommandAction::GetConfig => "get_config",
            CommandAction::AckAlert { .. } => "ack_alert",
            CommandAction::Rescan => "rescan",
            CommandAction::GetStatus => "get_status",
            CommandAction::GetDiagnostics => "get_diagnostics",
            CommandAction::OrderStatus(_) => "order_status",
            CommandAction::Update(_) => "update",
            CommandAction::Catalog { .. } => "catalog",
        }
    }
}

/// Why a command was rejected before reaching the gateway.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommandError {
    #[error("unknown command `{0}` (known: {known})", known = CommandAction::NAMES.join(", "))]
    Unknown(String),
    #[error("command body of {0} bytes is over the limit of {MAX_COMMAND_BYTES} bytes")]
    TooLarge(usize),
    #[error("command body is not valid JSON: {0}")]
    BadJson(String),
    #[error("command body must be a JSON object")]
    NotAnObject,
    #[error("command body id `{body}` does not match the topic id `{topic}`")]
    IdMismatch { topic: String, body: String },
    #[error("invalid `{command}` command: {reason}")]
    Invalid {
        command: &'static str,
        reason: String,
    },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PollNowBody {
    #[serde(default, rename = "id")]
    _id: Option<String>,
    serial: Option<String>,
}

/// Spelled out rather than flattening [`PrinterChanges`]: serde ignores
/// `deny_unknown_fields` through `flatten`, and a typo must be an error.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetPrinterBody {
    #[serde(default, rename = "id")]
    _id: Option<String>,
    serial: String,
    site: Option<String>,
    contact: Option<String>,
    postal_address: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    excluded: Option<bool>,
    protocol: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SerialBody {
    #[serde(default, rename = "id")]
    _id: Option<String>,
    serial: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetConfigBody {
    #[serde(default, rename = "id")]
    _id: Option<String>,
    key: String,
    value: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AckAlertBody {
    #[serde(default, rename = "id")]
    _id: Option<String>,
    alert_id: String,
}

/// Commands without parameters take an empty object (or just the id).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyBody {
    #[serde(default, rename = "id")]
    _id: Option<String>,
}

fn invalid(command: &'static str, reason: impl Into<String>) -> CommandError {
    CommandError::Invalid {
        command,
        reason: reason.into(),
    }
}

fn body<T: serde::de::DeserializeOwned>(
    command: &'static str,
    value: serde_json::Value,
) -> Result<T, CommandError> {
    serde_json::from_value(value).map_err(|e| invalid(command, e.to_string()))
}

fn non_empty(command: &'static str, field: &str, value: &str) -> Result<(), CommandError> {
    if value.trim().is_empty() {
        Err(invalid(command, format!("`{field}` must not be empty")))
    } else if value.len() > MAX_FIELD {
        Err(invalid(
            command,
            format!("`{field}` is longer than {MAX_FIELD} bytes"),
        ))
    } else {
        Ok(())
    }
}

fn check_changes(c: &PrinterChanges) -> Result<(), CommandError> {
    const CMD: &str = "set_printer";
    if c.is_empty() {
        return Err(invalid(
            CMD,
            "nothing to change: give at least one of `site`, `contact`, `postal_address`, \
             `contact_email`, `contact_phone`, `excluded`, `protocol`",
        ));
    }
    for (field, value) in [("site", &c.site), ("contact", &c.contact)] {
        if let Some(v) = value {
            non_empty(CMD, field, v)?;
        }
    }
    for (field, value) in [
        ("postal_address", &c.postal_address),
        ("contact_email", &c.contact_email),
        ("contact_phone", &c.contact_phone),
    ] {
        if value.as_ref().is_some_and(|v| v.len() > MAX_FIELD) {
            return Err(invalid(
                CMD,
                format!("`{field}` is longer than {MAX_FIELD} bytes"),
            ));
        }
    }
    if let Some(protocol) = c.protocol.as_deref()
        && !PROTOCOLS.contains(&protocol)
    {
        return Err(invalid(
            CMD,
            format!("`protocol` {protocol:?} is not one of auto, snmp, ipp"),
        ));
    }
    if let Some(email) = c.contact_email.as_deref().filter(|e| !e.is_empty()) {
        let plausible = email
            .split_once('@')
            .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
            && !email.chars().any(char::is_whitespace);
        if !plausible {
            return Err(invalid(
                CMD,
                format!("`contact_email` {email:?} is not an e-mail address"),
            ));
        }
    }
    if let Some(phone) = c.contact_phone.as_deref().filter(|p| !p.is_empty()) {
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let allowed = phone
            .chars()
            .all(|ch| ch.is_ascii_digit() || " +-.()/".contains(ch));
        if !allowed || !(4..=20).contains(&digits) {
            return Err(invalid(
                CMD,
                format!("`contact_phone` {phone:?} is not a phone number"),
            ));
        }
    }
    Ok(())
}

/// Parses and validates the body of command `name` received with topic id `id`.
pub fn parse_command(
    name: &CommandName,
    id: &str,
    payload: &[u8],
) -> Result<CommandAction, CommandError> {
    // Unknown names are reported first: the body of a command we do not know
    // says nothing useful.
    if !CommandAction::NAMES.contains(&name.as_str()) {
        return Err(CommandError::Unknown(name.to_string()));
    }
    if payload.len() > MAX_COMMAND_BYTES {
        return Err(CommandError::TooLarge(payload.len()));
    }
    let value: serde_json::Value =
        serde_json::from_slice(payload).map_err(|e| CommandError::BadJson(e.to_string()))?;
    let object = value.as_object().ok_or(CommandError::NotAnObject)?;
    match object.get("id") {
        None => {}
        Some(serde_json::Value::String(body_id)) if body_id == id => {}
        Some(other) => {
            let body = match other {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            return Err(CommandError::IdMismatch {
                topic: id.to_string(),
                body,
            });
        }
    }
    match name.as_str() {
        "poll_now" => {
            let b: PollNowBody = body("poll_now", value)?;
            if let Some(serial) = &b.serial {
                non_empty("poll_now", "serial", serial)?;
            }
            Ok(CommandAction::PollNow { serial: b.serial })
        }
        "set_printer" => {
            let b: SetPrinterBody = body("set_printer", value)?;
            non_empty("set_printer", "serial", &b.serial)?;
            let changes = PrinterChanges {
                site: b.site,
                contact: b.contact,
                postal_address: b.postal_address,
                contact_email: b.contact_email,
                contact_phone: b.contact_phone,
                excluded: b.excluded,
                protocol: b.protocol,
            };
            check_changes(&changes)?;
            Ok(CommandAction::SetPrinter {
                serial: b.serial,
                changes,
            })
        }
        "forget_printer" => {
            let b: SerialBody = body("forget_printer", value)?;
            non_empty("forget_printer", "serial", &b.serial)?;
            Ok(CommandAction::ForgetPrinter { serial: b.serial })
        }
        "set_config" => {
            let b: SetConfigBody = body("set_config", value)?;
            let key_ok = b.key.split_once('.').is_some_and(|(section, key)| {
                !section.is_empty()
                    && !key.is_empty()
                    && b.key.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'
                    })
            });
            if !key_ok {
                return Err(invalid(
                    "set_config",
                    format!(
                        "key `{}` must be `<section>.<key>` in `a-z`, `0-9`, `_` (e.g. `engine.lead_time_days`)",
                        b.key
                    ),
                ));
            }
            if !(b.value.is_string() || b.value.is_number() || b.value.is_boolean()) {
                return Err(invalid(
                    "set_config",
                    "`value` must be a string, a number or a boolean",
                ));
            }
            Ok(CommandAction::SetConfig {
                key: b.key,
                value: b.value,
            })
        }
        "ack_alert" => {
            let b: AckAlertBody = body("ack_alert", value)?;
            non_empty("ack_alert", "alert_id", &b.alert_id)?;
            Ok(CommandAction::AckAlert {
                alert_id: b.alert_id,
            })
        }
        "order_status" => {
            let mut value = value;
            if let Some(object) = value.as_object_mut() {
                object.remove("id");
            }
            let b: OrderStatusBody = body("order_status", value)?;
            b.validate(id, None)
                .map(CommandAction::OrderStatus)
                .map_err(|reason| invalid("order_status", reason))
        }
        "update" => {
            let b: UpdateBody = body("update", value)?;
            b.validate()
                .map(CommandAction::Update)
                .map_err(|reason| invalid("update", reason))
        }
        simple @ ("get_config" | "rescan" | "get_status" | "get_diagnostics") => {
            let command = CommandAction::NAMES
                .into_iter()
                .find(|n| *n == simple)
                .unwrap_or("command");
            let _: EmptyBody = body(command, value)?;
            Ok(match simple {
                "get_config" => CommandAction::GetConfig,
                "rescan" => CommandAction::Rescan,
                "get_status" => CommandAction::GetStatus,
                _ => CommandAction::GetDiagnostics,
            })
        }
        other => Err(CommandError::Unknown(other.to_string())),
    }
}

/// Parses an order-status message received on `orders/<order_id>/status`.
/// Without an `id` in the body, the message id is a digest of the body, so
/// a redelivered copy is still recognised.
pub fn parse_order_status(
    order_id: &str,
    payload: &[u8],
) -> Result<OrderStatusUpdate, CommandError> {
    const CMD: &str = "order_status";
    if payload.len() > MAX_COMMAND_BYTES {
        return Err(CommandError::TooLarge(payload.len()));
    }
    let value: serde_json::Value =
        serde_json::from_slice(payload).map_err(|e| CommandError::BadJson(e.to_string()))?;
    if !value.is_object() {
        return Err(CommandError::NotAnObject);
    }
    let b: OrderStatusBody = body(CMD, value)?;
    if let Some(id) = &b.id {
        non_empty(CMD, "id", id)?;
    }
    let digest = format!("os-{:016x}", fnv1a(payload));
    b.validate(&digest, Some(order_id))
        .map_err(|reason| invalid(CMD, reason))
}

/// FNV-1a: a stable digest for ids (not for security).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The lifecycle of a command, in thin-edge style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    /// Received and valid, queued for the gateway.
    Init,
    /// The gateway started working on it.
    Executing,
    Successful,
    Failed,
}

impl CommandStatus {
    pub fn is_final(self) -> bool {
        matches!(self, CommandStatus::Successful | CommandStatus::Failed)
    }
}

/// The retained body of `cmd/<name>/<id>/res`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandResponse {
    pub id: String,
    pub status: CommandStatus,
    /// Why it failed; only with `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the gateway wants to report; only with `successful`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    pub updated_at: DateTime<Utc>,
}

impl CommandResponse {
    pub fn new(id: &str, status: CommandStatus) -> Self {
        Self {
            id: id.to_string(),
            status,
            reason: None,
            result: None,
            updated_at: Utc::now(),
        }
    }

    pub fn failed(id: &str, reason: impl Into<String>) -> Self {
        Self {
            reason: Some(reason.into()),
            ..Self::new(id, CommandStatus::Failed)
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
}

/// A status change of one command on its way back to the uplink.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandUpdate {
    /// The topic the command came on; its answer goes to
    /// [`Topic::response_of`] it.
    pub request: Topic,
    pub response: CommandResponse,
}

/// How the gateway reports on a [`Command`]. Dropping it without a final
/// answer reports `failed`, so no command stays `executing` forever because
/// a handler returned early.
#[derive(Debug)]
pub struct CommandReply {
    request: Topic,
    id: String,
    tx: mpsc::UnboundedSender<CommandUpdate>,
    finished: bool,
}

impl CommandReply {
    /// Builds a reply handle for the command received on `request`; the
    /// uplink does this, tests may too.
    pub fn new(
        request: Topic,
        id: impl Into<String>,
        tx: mpsc::UnboundedSender<CommandUpdate>,
    ) -> Self {
        Self {
            request,
            id: id.into(),
            tx,
            finished: false,
        }
    }

    fn send(&self, response: CommandResponse) {
        // The uplink may be gone (shutdown); the reply then has nowhere to go
        // and the command will look unanswered upstream, which is accurate.
        let _ = self.tx.send(CommandUpdate {
            request: self.request.clone(),
            response,
        });
    }

    pub fn executing(&self) {
        self.send(CommandResponse::new(&self.id, CommandStatus::Executing));
    }

    pub fn successful(mut self, result: Option<serde_json::Value>) {
        self.finished = true;
        self.send(CommandResponse {
            result,
            ..CommandResponse::new(&self.id, CommandStatus::Successful)
        });
    }

    pub fn failed(mut self, reason: impl Into<String>) {
        self.finished = true;
        self.send(CommandResponse::failed(&self.id, reason));
    }

    /// Gives the final answer up to another process (the updater, which
    /// outlives the gateway it replaces): nothing more is sent from here,
    /// and dropping the handle no longer reports `failed`.
    pub fn hand_over(mut self) {
        self.finished = true;
    }

    /// Answers with a response recorded earlier (a redelivered command
    /// gets its first answer again instead of running twice).
    pub fn replay(mut self, response: CommandResponse) {
        self.finished = true;
        self.send(response);
    }
}

impl Drop for CommandReply {
    fn drop(&mut self) {
        if !self.finished {
            self.send(CommandResponse::failed(
                &self.id,
                "the gateway dropped the command without answering",
            ));
        }
    }
}

/// A validated command handed to the gateway.
#[derive(Debug)]
pub struct Command {
    /// The sender's id (the topic's, or an order-status message's `id`).
    pub id: String,
    /// The command's name, as in its topic.
    pub name: &'static str,
    pub action: CommandAction,
    pub reply: CommandReply,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, body: &str) -> Result<CommandAction, CommandError> {
        parse_command(
            &CommandName::new(name).expect("name"),
            "c1",
            body.as_bytes(),
        )
    }

    #[test]
    fn good_commands_parse() {
        assert_eq!(
            parse("poll_now", "{}"),
            Ok(CommandAction::PollNow { serial: None })
        );
        assert_eq!(
            parse(
                "set_printer",
                r#"{"id":"c1","serial":"S1","excluded":true}"#
            ),
            Ok(CommandAction::SetPrinter {
                serial: "S1".into(),
                changes: PrinterChanges {
                    excluded: Some(true),
                    ..PrinterChanges::default()
                }
            })
        );
        assert_eq!(
            parse("set_config", r#"{"key":"poll.interval_s","value":300}"#),
            Ok(CommandAction::SetConfig {
                key: "poll.interval_s".into(),
                value: serde_json::json!(300)
            })
        );
        let signature = format!("{}==", "Q".repeat(86));
        let update = parse(
            "update",
            &format!(
                r#"{{"url":"https://pkg.example.com/asr-gateway_0.2.0-1_arm64.deb","version":"0.2.0-1","signature":"{signature}"}}"#
            ),
        );
        assert!(
            matches!(&update, Ok(CommandAction::Update(o)) if o.version == "0.2.0-1"),
            "{update:?}"
        );
        let err = parse(
            "update",
            &format!(r#"{{"url":"https://x/a.deb","version":"1","signature":"{signature}","force":true}}"#),
        )
        .expect_err("unknown field");
        assert!(err.to_string().contains("force"), "{err}");
    }

    #[test]
    fn bad_commands_have_clear_errors() {
        assert_eq!(
            parse("reboot", "{}"),
            Err(CommandError::Unknown("reboot".into()))
        );
        assert!(matches!(
            parse("poll_now", "{nope"),
            Err(CommandError::BadJson(_))
        ));
        assert_eq!(parse("poll_now", "[1]"), Err(CommandError::NotAnObject));
        let err = parse("set_printer", r#"{"site":"A"}"#).expect_err("missing serial");
        assert!(err.to_string().contains("missing field `serial`"), "{err}");
        assert!(parse("set_printer", r#"{"serial":"S1"}"#).is_err());
        assert!(parse("set_config", r#"{"key":"a","value":{"x":1}}"#).is_err());
        assert!(parse("set_config", r#"{"key":"A B","value":1}"#).is_err());
        assert!(matches!(
            parse("poll_now", r#"{"id":"other"}"#),
            Err(CommandError::IdMismatch { .. })
        ));
        assert!(parse("poll_now", r#"{"bogus":1}"#).is_err());
        let err = parse("set_printer", r#"{"serial":"S1","sit":"HQ"}"#).expect_err("typo");
        assert!(err.to_string().contains("unknown field `sit`"), "{err}");
        let err = parse("set_printer", r#"{"serial":"S1","contact_email":"nope"}"#)
            .expect_err("bad e-mail");
        assert!(err.to_string().contains("not an e-mail"), "{err}");
        let err = parse(
            "set_printer",
            r#"{"serial":"S1","contact_phone":"call me"}"#,
        )
        .expect_err("bad phone");
        assert!(err.to_string().contains("not a phone"), "{err}");
        assert!(parse("set_printer", r#"{"serial":"S1","site":" "}"#).is_err());
        assert!(parse("set_config", r#"{"key":"lead_time_days","value":3}"#).is_err());
        assert!(parse("get_status", r#"{"verbose":true}"#).is_err());
        assert!(parse("ack_alert", r#"{}"#).is_err());
        let err =
            parse("order_status", r#"{"order_id":"o","status":"lost"}"#).expect_err("bad status");
        assert!(err.to_string().contains("unknown status `lost`"), "{err}");
        let big = format!(r#"{{"serial":"{}"}}"#, "x".repeat(MAX_COMMAND_BYTES));
        assert!(matches!(
            parse("poll_now", &big),
            Err(CommandError::TooLarge(_))
        ));
    }

    #[test]
    fn new_commands_parse() {
        assert_eq!(
            parse(
                "set_printer",
                r#"{"serial":"S1","postal_address":"1 rue de la Paix, 75002 Paris","contact_email":"it@example.com","contact_phone":"+33 1 23 45 67 89"}"#
            ),
            Ok(CommandAction::SetPrinter {
                serial: "S1".into(),
                changes: PrinterChanges {
                    postal_address: Some("1 rue de la Paix, 75002 Paris".into()),
                    contact_email: Some("it@example.com".into()),
                    contact_phone: Some("+33 1 23 45 67 89".into()),
                    ..PrinterChanges::default()
                }
            })
        );
        assert_eq!(
            parse("forget_printer", r#"{"serial":"S1"}"#),
            Ok(CommandAction::ForgetPrinter {
                serial: "S1".into()
            })
        );
        assert_eq!(parse("get_config", "{}"), Ok(CommandAction::GetConfig));
        assert_eq!(parse("rescan", r#"{"id":"c1"}"#), Ok(CommandAction::Rescan));
        assert_eq!(parse("get_status", "{}"), Ok(CommandAction::GetStatus));
        assert_eq!(
            parse("get_diagnostics", "{}"),
            Ok(CommandAction::GetDiagnostics)
        );
        assert_eq!(
            parse("ack_alert", r#"{"alert_id":"alr-1"}"#),
            Ok(CommandAction::AckAlert {
                alert_id: "alr-1".into()
            })
        );
        let Ok(CommandAction::OrderStatus(u)) = parse(
            "order_status",
            r#"{"id":"c1","order_id":"ord-1","status":"accepted"}"#,
        ) else {
            panic!("order_status")
        };
        assert_eq!((u.id.as_str(), u.order_id.as_str()), ("c1", "ord-1"));
    }

    #[test]
    fn order_status_messages_get_a_stable_id() {
        let body = br#"{"status":"shipped","tracking":"T1"}"#;
        let a = parse_order_status("ord-1", body).expect("a");
        let b = parse_order_status("ord-1", body).expect("b");
        assert_eq!(a.id, b.id);
        assert!(a.id.starts_with("os-"));
        let c = parse_order_status("ord-1", br#"{"id":"m7","status":"accepted"}"#).expect("c");
        assert_eq!(c.id, "m7");
        assert!(parse_order_status("ord-1", b"[]").is_err());
    }

    #[test]
    fn dropped_reply_reports_failure() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let reply = CommandReply::new(
            Topic::Command {
                name: CommandName::new("poll_now").expect("name"),
                id: crate::topics::CommandId::new("c1").expect("id"),
            },
            "c1",
            tx,
        );
        reply.executing();
        drop(reply);
        let first = rx.try_recv().expect("executing");
        assert_eq!(first.response.status, CommandStatus::Executing);
        let second = rx.try_recv().expect("failed");
        assert_eq!(second.response.status, CommandStatus::Failed);
        assert!(rx.try_recv().is_err());
    }
}
