//! Everything the live gateway needs to start, already validated. Built from
//! a [`Config`](crate::config::Config) by `run`, or directly by `demo` and
//! the tests, so neither has to fake a config file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use asr_engine::EngineConfig;
use asr_protocols::snmp::{Credentials, PollOptions};

use super::clock::Clock;
use crate::target::Target;

/// Who a printer belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Printer serial.
    pub serial: String,
    /// Model, when known before the first poll.
    pub model: String,
    /// Site (delivery address).
    pub site: String,
    /// Contact person at the site.
    pub contact: String,
    /// Never order for it.
    pub excluded: bool,
}

impl From<&asr_protocols::sim::SyntheticSpec> for Assignment {
    /// A simulated printer carries its own site and contact, so the demo and
    /// the tests assign it the way an operator would in the config file.
    fn from(spec: &asr_protocols::sim::SyntheticSpec) -> Self {
        Self {
            serial: spec.serial.clone(),
            model: spec.model.clone(),
            site: spec.site.clone(),
            contact: spec.contact.clone(),
            excluded: false,
        }
    }
}

/// The broker the uplink talks to.
#[derive(Clone)]
pub struct MqttSettings {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// MQTT client id.
    pub client_id: String,
    /// Optional user name.
    pub username: Option<String>,
    /// Optional password (never logged).
    pub password: Option<String>,
    /// Keep-alive.
    pub keep_alive: Duration,
}

impl std::fmt::Debug for MqttSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Start-up settings of the live gateway.
pub struct Settings {
    /// Id of this gateway upstream.
    pub gateway_id: String,
    /// The SQLite file.
    pub db_path: PathBuf,
    /// Real time between two polls of one printer.
    pub poll_interval: Duration,
    /// Printers polled at once.
    pub max_concurrent_polls: usize,
    /// Printers to poll.
    pub targets: Vec<Target>,
    /// Credentials tried in order on a printer until one answers; the first
    /// that works is remembered for that address.
    pub credentials: Vec<Credentials>,
    /// Timeouts and retries.
    pub poll_options: PollOptions,
    /// The upstream broker.
    pub mqtt: MqttSettings,
    /// The status page address, if any.
    pub http: Option<SocketAddr>,
    /// Replenishment policy.
    pub engine: EngineConfig,
    /// Printer assignments known at start.
    pub assignments: Vec<Assignment>,
    /// The clock (scaled in the demo).
    pub clock: Arc<dyn Clock>,
    /// Real time between two engine ticks.
    pub tick_every: Duration,
    /// Browse mDNS for printers (None: the static targets only).
    pub mdns: Option<asr_protocols::discovery::BrowseOptions>,
    /// SNMP port of printers found by discovery.
    pub snmp_port: u16,
    /// Opt-in SNMP sweep: the network and the request rate.
    pub sweep: Option<(String, u32)>,
}
