//! The typed MQTT topic schema of the uplink.
//!
//! Every topic lives under `asr/v1/<gateway-id>/`, so one broker can serve a
//! fleet of gateways and a consumer can subscribe to `asr/v1/+/orders`. Topic
//! strings are only ever built and parsed here: the rest of the crate handles
//! [`Topic`] values, which keeps a typo from silently creating a new topic.
//!
//! Layout (relative to the root):
//! - `status`: retained health of the gateway, overwritten by the last will;
//! - `orders`, `alerts`, `levels`, `events`: upstream data from the outbox;
//! - `cmd/<name>/<id>`: remote-management commands sent to the gateway;
//! - `cmd/<name>/<id>/res`: retained status of that command
//!   (`init → executing → successful | failed`), one topic per command so a
//!   late subscriber still sees how each command ended;
//! - `orders/<order_id>/status`: the supplier's news about one order
//!   (`accepted`, `shipped`, `delivered`, `cancelled`), sent down;
//! - `orders/<order_id>/status/res`: retained answer of the gateway to the
//!   last such message (`successful` or `failed` with a reason);
//! - `lives`: retained cartridge lives measured per model and supply;
//! - `catalog`: the supplier's catalogue for this gateway (retained, sent
//!   down), beside the fleet-wide [`FLEET_CATALOG_TOPIC`]; `catalog/res`:
//!   the gateway's retained answer to the last catalogue of either.

use std::fmt;

use thiserror::Error;

use crate::outbox::MessageKind;

/// The protocol prefix, versioned so a future layout can coexist on a broker.
pub const TOPIC_PREFIX: &str = "asr/v1";

/// The supplier's catalogue for every gateway on the broker (retained).
pub const FLEET_CATALOG_TOPIC: &str = "asr/v1/catalog";

/// Longest accepted identifier segment: keeps topics short on constrained brokers.
const MAX_SEGMENT_LEN: usize = 128;

/// Why a topic, gateway id, command name or command id was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TopicError {
    #[error("invalid {what} `{value}`: {reason}")]
    InvalidSegment {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("topic `{0}` is not under `{TOPIC_PREFIX}/<gateway-id>/`")]
    ForeignTopic(String),
    #[error("topic `{0}` belongs to gateway `{1}`, not to this one")]
    OtherGateway(String, String),
    #[error("unknown topic `{0}`")]
    Unknown(String),
}

/// Checks one topic level used as an identifier: MQTT wildcards or a level
/// separator inside an id would change which subscriptions match.
fn validate_segment(what: &'static str, value: &str) -> Result<(), TopicError> {
    let reason = if value.is_empty() {
        Some("must not be empty")
    } else if value.len() > MAX_SEGMENT_LEN {
        Some("is longer than 128 bytes")
    } else if value.contains(['/', '+', '#']) {
        Some("must not contain `/`, `+` or `#`")
    } else if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        Some("must not contain whitespace or control characters")
    } else if value.starts_with('$') {
        Some("must not start with `$` (reserved by brokers)")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(TopicError::InvalidSegment {
            what,
            value: value.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

macro_rules! segment_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates `value` as a single topic level.
            pub fn new(value: impl Into<String>) -> Result<Self, TopicError> {
                let value = value.into();
                validate_segment($what, &value)?;
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = TopicError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }
    };
}

segment_type!(
    /// A gateway identifier, guaranteed usable as one topic level.
    GatewayId,
    "gateway id"
);
segment_type!(
    /// A command identifier chosen by the sender; it names the response topic.
    CommandId,
    "command id"
);
segment_type!(
    /// An order id as it appears in an order-status topic.
    OrderId,
    "order id"
);

/// A command name as it appears in the topic (`cmd/<name>/<id>`). Only lower
/// case ASCII, digits and `_`, so names stay portable and greppable; whether
/// the name is *known* is decided by the command parser, not here, so an
/// unknown command can still be answered with `failed`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandName(String);

impl CommandName {
    pub fn new(value: impl Into<String>) -> Result<Self, TopicError> {
        let value = value.into();
        validate_segment("command name", &value)?;
        if !value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(TopicError::InvalidSegment {
                what: "command name",
                value,
                reason: "must only contain `a-z`, `0-9` and `_`",
            });
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CommandName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One topic of the schema, relative to a gateway root.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    Status,
    Orders,
    Alerts,
    Levels,
    Events,
    Command {
        name: CommandName,
        id: CommandId,
    },
    CommandResponse {
        name: CommandName,
        id: CommandId,
    },
    /// News about one order, sent down by the supplier.
    OrderStatus {
        order_id: OrderId,
    },
    /// The gateway's retained answer to the last order-status message.
    OrderStatusResponse {
        order_id: OrderId,
    },
    /// Cartridge lives measured by the gateway.
    Lives,
    /// The supplier's catalogue for this gateway, sent down.
    Catalog,
    /// The fleet-wide catalogue ([`FLEET_CATALOG_TOPIC`]), outside any gateway root.
    FleetCatalog,
    /// The gateway's answer to the last catalogue (of either scope).
    CatalogResponse,
}

impl Topic {
    /// The data topic an outbox message of `kind` goes to.
    pub fn for_kind(kind: MessageKind) -> Topic {
        match kind {
            MessageKind::Order => Topic::Orders,
            MessageKind::Alert => Topic::Alerts,
            MessageKind::Level => Topic::Levels,
            MessageKind::Event => Topic::Events,
            MessageKind::Lives => Topic::Lives,
        }
    }

    /// The response topic of a command or order-status topic, `None` for
    /// other topics.
    pub fn response_of(&self) -> Option<Topic> {
        match self {
            Topic::Command { name, id } => Some(Topic::CommandResponse {
                name: name.clone(),
                id: id.clone(),
            }),
            Topic::OrderStatus { order_id } => Some(Topic::OrderStatusResponse {
                order_id: order_id.clone(),
            }),
            Topic::Catalog | Topic::FleetCatalog => Some(Topic::CatalogResponse),
            _ => None,
        }
    }
}

/// Builds and parses topic strings for one gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSchema {
    gateway_id: GatewayId,
    root: String,
}

impl TopicSchema {
    pub fn new(gateway_id: GatewayId) -> Self {
        let root = format!("{TOPIC_PREFIX}/{gateway_id}");
        Self { gateway_id, root }
    }

    pub fn gateway_id(&self) -> &GatewayId {
        &self.gateway_id
    }

    /// `asr/v1/<gateway-id>`, without a trailing slash.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The full topic string of `topic`.
    pub fn topic(&self, topic: &Topic) -> String {
        let root = &self.root;
        match topic {
            Topic::Status => format!("{root}/status"),
            Topic::Orders => format!("{root}/orders"),
            Topic::Alerts => format!("{root}/alerts"),
            Topic::Levels => format!("{root}/levels"),
            Topic::Events => format!("{root}/events"),
            Topic::Command { name, id } => format!("{root}/cmd/{name}/{id}"),
            Topic::CommandResponse { name, id } => format!("{root}/cmd/{name}/{id}/res"),
            Topic::OrderStatus { order_id } => format!("{root}/orders/{order_id}/status"),
            Topic::OrderStatusResponse { order_id } => {
                format!("{root}/orders/{order_id}/status/res")
            }
            Topic::Lives => format!("{root}/lives"),
            Topic::Catalog => format!("{root}/catalog"),
            Topic::FleetCatalog => FLEET_CATALOG_TOPIC.to_string(),
            Topic::CatalogResponse => format!("{root}/catalog/res"),
        }
    }

    /// The subscription filter matching every order-status message sent to
    /// this gateway, and no answer.
    pub fn order_status_filter(&self) -> String {
        format!("{}/orders/+/status", self.root)
    }

    /// The subscription filter matching every command addressed to this
    /// gateway, and no response (`+` matches exactly one level).
    pub fn command_filter(&self) -> String {
        format!("{}/cmd/+/+", self.root)
    }

    /// Parses a full topic string back into a [`Topic`] of this gateway.
    pub fn parse(&self, topic: &str) -> Result<Topic, TopicError> {
        if topic == FLEET_CATALOG_TOPIC {
            return Ok(Topic::FleetCatalog);
        }
        let (gateway, rest) = split_root(topic)?;
        if gateway != self.gateway_id.as_str() {
            return Err(TopicError::OtherGateway(
                topic.to_string(),
                gateway.to_string(),
            ));
        }
        parse_relative(topic, rest)
    }
}

/// Parses a full topic of any gateway: what a fleet-side consumer needs.
pub fn parse_any(topic: &str) -> Result<(GatewayId, Topic), TopicError> {
    let (gateway, rest) = split_root(topic)?;
    let gateway = GatewayId::new(gateway)?;
    Ok((gateway, parse_relative(topic, rest)?))
}

fn split_root(topic: &str) -> Result<(&str, &str), TopicError> {
    let foreign = || TopicError::ForeignTopic(topic.to_string());
    let after_prefix = topic
        .strip_prefix(TOPIC_PREFIX)
        .and_then(|rest| rest.strip_prefix('/'))
        .ok_or_else(foreign)?;
    after_prefix.split_once('/').ok_or_else(foreign)
}

fn parse_relative(full: &str, rest: &str) -> Result<Topic, TopicError> {
    let levels: Vec<&str> = rest.split('/').collect();
    let topic = match levels.as_slice() {
        ["status"] => Topic::Status,
        ["orders"] => Topic::Orders,
        ["alerts"] => Topic::Alerts,
        ["levels"] => Topic::Levels,
        ["events"] => Topic::Events,
        ["lives"] => Topic::Lives,
        ["catalog"] => Topic::Catalog,
        ["catalog", "res"] => Topic::CatalogResponse,
        ["cmd", name, id] => Topic::Command {
            name: CommandName::new(*name)?,
            id: CommandId::new(*id)?,
        },
        ["cmd", name, id, "res"] => Topic::CommandResponse {
            name: CommandName::new(*name)?,
            id: CommandId::new(*id)?,
        },
        ["orders", order_id, "status"] => Topic::OrderStatus {
            order_id: OrderId::new(*order_id)?,
        },
        ["orders", order_id, "status", "res"] => Topic::OrderStatusResponse {
            order_id: OrderId::new(*order_id)?,
        },
        _ => return Err(TopicError::Unknown(full.to_string())),
    };
    Ok(topic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_segments_are_rejected() {
        for bad in ["", "a/b", "a+", "#", "a b", "$SYS", "x\n"] {
            assert!(GatewayId::new(bad).is_err(), "{bad:?} accepted");
        }
        assert!(CommandName::new("PollNow").is_err());
        assert!(CommandName::new("poll-now").is_err());
        assert!(CommandName::new("poll_now").is_ok());
    }

    #[test]
    fn unknown_topics_are_errors() {
        let schema = TopicSchema::new(GatewayId::new("gw").expect("id"));
        assert!(matches!(
            schema.parse("asr/v1/gw/nope"),
            Err(TopicError::Unknown(_))
        ));
        assert!(matches!(
            schema.parse("asr/v2/gw/status"),
            Err(TopicError::ForeignTopic(_))
        ));
        assert!(matches!(
            schema.parse("asr/v1/other/status"),
            Err(TopicError::OtherGateway(..))
        ));
        assert!(schema.parse("asr/v1/gw/cmd/a/b/c").is_err());
    }

    #[test]
    fn order_status_topics_round_trip_and_answer_on_their_own_topic() {
        let schema = TopicSchema::new(GatewayId::new("gw").expect("id"));
        let topic = schema
            .parse("asr/v1/gw/orders/ord-1/status")
            .expect("parse");
        assert_eq!(schema.topic(&topic), "asr/v1/gw/orders/ord-1/status");
        let answer = topic.response_of().expect("answer topic");
        assert_eq!(schema.topic(&answer), "asr/v1/gw/orders/ord-1/status/res");
        assert_eq!(
            schema.parse("asr/v1/gw/orders/ord-1/status/res"),
            Ok(answer)
        );
        assert!(schema.parse("asr/v1/gw/orders/a+b/status").is_err());
        assert_eq!(schema.order_status_filter(), "asr/v1/gw/orders/+/status");
    }

    #[test]
    fn catalogues_of_both_scopes_answer_on_the_gateways_topic() {
        let schema = TopicSchema::new(GatewayId::new("gw").expect("id"));
        for (text, topic) in [
            ("asr/v1/catalog", Topic::FleetCatalog),
            ("asr/v1/gw/catalog", Topic::Catalog),
        ] {
            assert_eq!(schema.parse(text), Ok(topic.clone()));
            assert_eq!(schema.topic(&topic), text);
            let answer = topic.response_of().expect("answer");
            assert_eq!(schema.topic(&answer), "asr/v1/gw/catalog/res");
        }
        assert_eq!(schema.parse("asr/v1/gw/lives"), Ok(Topic::Lives));
        assert_eq!(
            schema.topic(&Topic::for_kind(MessageKind::Lives)),
            "asr/v1/gw/lives"
        );
    }
}
