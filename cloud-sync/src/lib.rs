//! The MQTT uplink of the gateway: a typed topic schema, payload conventions,
//! the outbox contract, the uplink task (at-least-once delivery, retained
//! health status with a last will, remote commands) and an embedded broker
//! for demos and tests.

pub mod broker;
pub mod commands;
mod inflight;
pub mod outbox;
pub mod payload;
pub mod topics;
pub mod uplink;

pub use broker::{BrokerError, EmbeddedBroker, free_local_addr};
pub use commands::{
    Command, CommandAction, CommandError, CommandReply, CommandResponse, CommandStatus,
    CommandUpdate,
};
pub use outbox::{MessageKind, Outbox, OutboxError, OutboxMessage};
pub use payload::{PayloadError, StatusPayload};
pub use topics::{CommandId, CommandName, GatewayId, Topic, TopicError, TopicSchema};
pub use uplink::{Credentials, Uplink, UplinkConfig, UplinkError, UplinkState};
