//! The MQTT uplink of the gateway: a typed topic schema, payload conventions,
//! the outbox contract, the uplink task (at-least-once delivery, retained
//! health status with a last will, remote commands) and an embedded broker
//! for demos and tests.

pub mod broker;
pub mod catalog;
pub mod commands;
pub mod consumer;
mod inflight;
pub mod lives;
pub mod memory_messages;
pub mod one_shot;
pub mod order_status;
pub mod outbox;
pub mod payload;
pub mod topics;
pub mod transport;
pub mod update_order;
pub mod uplink;

pub use broker::{BrokerError, EmbeddedBroker, free_local_addr};
pub use catalog::{Catalog, CatalogEntry, CatalogError, CatalogScope, LearnedLife, parse_catalog};
pub use commands::{
    Command, CommandAction, CommandError, CommandReply, CommandResponse, CommandStatus,
    CommandUpdate, MAX_COMMAND_BYTES, PROTOCOLS, PrinterChanges, parse_order_status,
};
pub use lives::{LivesReport, ModelLives, parse_lives};
pub use memory_messages::{MemoryMessage, MemorySender};
pub use one_shot::{OneShotError, publish_retained};
pub use order_status::{DeliveredLine, OrderState, OrderStatusUpdate};
pub use outbox::{MessageKind, Outbox, OutboxError, OutboxMessage, OutboxStats};
pub use payload::{PayloadError, SCHEMA_VERSION, StatusPayload};
pub use topics::{
    CommandId, CommandName, FLEET_CATALOG_TOPIC, GatewayId, OrderId, Topic, TopicError,
    TopicSchema, parse_any,
};
pub use transport::{CaSource, Carrier, TlsSettings, TransportError, TransportSettings};
pub use update_order::UpdateOrder;
pub use uplink::{Credentials, Uplink, UplinkConfig, UplinkError, UplinkState};
