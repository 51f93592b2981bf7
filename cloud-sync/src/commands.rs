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

use crate::topics::{CommandId, CommandName};

/// The commands the gateway understands, with their validated parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandAction {
    /// Poll printers right away instead of waiting for the next cycle; all
    /// printers when `serial` is `None`.
    PollNow { serial: Option<String> },
    /// Updates the local settings of one printer. At least one field is set.
    SetPrinter {
        serial: String,
        site: Option<String>,
        contact: Option<String>,
        excluded: Option<bool>,
    },
    /// Sets one configuration key to a scalar value (string, number or bool).
    SetConfig {
        key: String,
        value: serde_json::Value,
    },
}

impl CommandAction {
    /// Names accepted in the topic, for error messages and documentation.
    pub const NAMES: [&'static str; 3] = ["poll_now", "set_printer", "set_config"];

    pub fn name(&self) -> &'static str {
        match self {
            CommandAction::PollNow { .. } => "poll_now",
            CommandAction::SetPrinter { .. } => "set_printer",
            CommandAction::SetConfig { .. } => "set_config",
        }
    }
}

/// Why a command was rejected before reaching the gateway.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommandError {
    #[error("unknown command `{0}` (known: poll_now, set_printer, set_config)")]
    Unknown(String),
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PollNowBody {
    #[serde(default, rename = "id")]
    _id: Option<String>,
    serial: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetPrinterBody {
    #[serde(default, rename = "id")]
    _id: Option<String>,
    serial: String,
    site: Option<String>,
    contact: Option<String>,
    excluded: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetConfigBody {
    #[serde(default, rename = "id")]
    _id: Option<String>,
    key: String,
    value: serde_json::Value,
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
    } else {
        Ok(())
    }
}

/// Parses and validates the body of command `name` received with topic id `id`.
pub fn parse_command(
    name: &CommandName,
    id: &CommandId,
    payload: &[u8],
) -> Result<CommandAction, CommandError> {
    // Unknown names are reported first: the body of a command we do not know
    // says nothing useful.
    if !CommandAction::NAMES.contains(&name.as_str()) {
        return Err(CommandError::Unknown(name.to_string()));
    }
    let value: serde_json::Value =
        serde_json::from_slice(payload).map_err(|e| CommandError::BadJson(e.to_string()))?;
    let object = value.as_object().ok_or(CommandError::NotAnObject)?;
    match object.get("id") {
        None => {}
        Some(serde_json::Value::String(body_id)) if body_id == id.as_str() => {}
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
            if b.site.is_none() && b.contact.is_none() && b.excluded.is_none() {
                return Err(invalid(
                    "set_printer",
                    "nothing to change: give at least one of `site`, `contact`, `excluded`",
                ));
            }
            Ok(CommandAction::SetPrinter {
                serial: b.serial,
                site: b.site,
                contact: b.contact,
                excluded: b.excluded,
            })
        }
        "set_config" => {
            let b: SetConfigBody = body("set_config", value)?;
            let key_ok = !b.key.is_empty()
                && b.key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
            if !key_ok {
                return Err(invalid(
                    "set_config",
                    format!("key `{}` must be non-empty `a-z`, `0-9`, `_`, `.`", b.key),
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
        other => Err(CommandError::Unknown(other.to_string())),
    }
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
    pub fn new(id: &CommandId, status: CommandStatus) -> Self {
        Self {
            id: id.to_string(),
            status,
            reason: None,
            result: None,
            updated_at: Utc::now(),
        }
    }

    pub fn failed(id: &CommandId, reason: impl Into<String>) -> Self {
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
    pub name: CommandName,
    pub id: CommandId,
    pub response: CommandResponse,
}

/// How the gateway reports on a [`Command`]. Dropping it without a final
/// answer reports `failed`, so no command stays `executing` forever because
/// a handler returned early.
#[derive(Debug)]
pub struct CommandReply {
    name: CommandName,
    id: CommandId,
    tx: mpsc::UnboundedSender<CommandUpdate>,
    finished: bool,
}

impl CommandReply {
    /// Builds a reply handle; the uplink does this, tests may too.
    pub fn new(name: CommandName, id: CommandId, tx: mpsc::UnboundedSender<CommandUpdate>) -> Self {
        Self {
            name,
            id,
            tx,
            finished: false,
        }
    }

    fn send(&self, response: CommandResponse) {
        // The uplink may be gone (shutdown); the reply then has nowhere to go
        // and the command will look unanswered upstream, which is accurate.
        let _ = self.tx.send(CommandUpdate {
            name: self.name.clone(),
            id: self.id.clone(),
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
    pub id: CommandId,
    pub action: CommandAction,
    pub reply: CommandReply,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, body: &str) -> Result<CommandAction, CommandError> {
        parse_command(
            &CommandName::new(name).expect("name"),
            &CommandId::new("c1").expect("id"),
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
                site: None,
                contact: None,
                excluded: Some(true)
            })
        );
        assert_eq!(
            parse("set_config", r#"{"key":"poll.interval_s","value":300}"#),
            Ok(CommandAction::SetConfig {
                key: "poll.interval_s".into(),
                value: serde_json::json!(300)
            })
        );
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
    }

    #[test]
    fn dropped_reply_reports_failure() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let reply = CommandReply::new(
            CommandName::new("poll_now").expect("name"),
            CommandId::new("c1").expect("id"),
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
