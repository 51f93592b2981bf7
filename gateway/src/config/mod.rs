//! Gateway configuration: a TOML file (see `gateway/gateway.example.toml`),
//! every key overridable by an `ASR_<SECTION>_<KEY>` environment variable.

pub mod duration;
mod error;
pub mod link;
mod load;
mod model;
pub mod provisioning;
pub mod remote;
mod validate;

pub use error::ConfigError;
pub use load::{from_str, load};
pub use model::{
    Config, DiscoverySection, EngineSection, GatewaySection, HttpSection, MqttSection,
    PrinterSection, Protocol, SnmpCredentials, SnmpSection, UpdateSection,
};
pub use validate::validate;
