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
    /// How it is read.
    pub protocol: crate::config::Protocol,
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
            protocol: crate::config::Protocol::Auto,
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
    /// TCP or WebSockets, TLS or not.
    pub transport: asr_cloud_sync::TransportSettings,
}

impl std::fmt::Debug for MqttSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("transport", &self.transport)
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
    /// The outbox byte budget (see `gateway.outbox_max_mb`).
    pub outbox_max_bytes: u64,
    /// Real time between two housekeeping rounds (outbox budget, pruning).
    pub housekeeping_every: Duration,
    /// Days raw readings are kept (gateway time); older ones are folded
    /// into daily rows (see `gateway.readings_days`).
    pub readings_days: u32,
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
    /// The status page's admin password (Argon2 PHC); `None`: the one set on
    /// the setup page and kept in the database, or the setup page itself.
    pub admin_password_hash: Option<String>,
    /// `/metrics` readable without a login.
    pub metrics_public: bool,
    /// Serve the page over HTTPS with this certificate.
    pub http_tls: Option<crate::web::tls::CertSource>,
    /// Replenishment policy.
    pub engine: EngineConfig,
    /// Printer assignments known at start.
    pub assignments: Vec<Assignment>,
    /// Site and contact for a new printer no assignment names.
    pub default_assignment: Option<(String, String)>,
    /// The clock (scaled in the demo).
    pub clock: Arc<dyn Clock>,
    /// Real time between two engine ticks.
    pub tick_every: Duration,
    /// Browse mDNS for printers (None: the static targets only).
    pub mdns: Option<asr_protocols::discovery::BrowseOptions>,
    /// SNMP port of printers found by discovery.
    pub snmp_port: u16,
    /// IPP port tried on printers not announced over mDNS.
    pub ipp_port: u16,
    /// Opt-in SNMP sweep: the network and the request rate.
    pub sweep: Option<(String, u32)>,
    /// The configuration these settings came from: the base that remote
    /// `set_config` changes apply to. `None` (the demo, tests) derives one
    /// from the settings themselves.
    pub config: Option<crate::config::Config>,
}

impl Settings {
    /// The configuration remote changes start from.
    pub fn base_config(&self) -> crate::config::Config {
        if let Some(config) = &self.config {
            return config.clone();
        }
        let mut c = crate::config::Config::default();
        c.gateway.id = self.gateway_id.clone();
        if let Some(dir) = self.db_path.parent() {
            c.gateway.data_dir = dir.to_path_buf();
        }
        // Durations in the file are the engine's (simulated in the demo).
        c.gateway.poll_interval = self.poll_interval.mul_f64(self.clock.speed().max(1e-9));
        c.gateway.max_concurrent_polls = self.max_concurrent_polls.clamp(1, 256);
        c.gateway.outbox_max_mb = (self.outbox_max_bytes >> 20).clamp(1, 1_048_576);
        c.gateway.readings_days = self.readings_days.clamp(7, 3650);
        if let Some((site, contact)) = &self.default_assignment {
            c.gateway.default_site = Some(site.clone());
            c.gateway.default_contact = Some(contact.clone());
        }
        c.mqtt.host = self.mqtt.host.clone();
        c.mqtt.port = self.mqtt.port;
        c.mqtt.client_id = Some(self.mqtt.client_id.clone());
        c.mqtt.username = self.mqtt.username.clone();
        c.http.listen = self.http;
        c.http.admin_password_hash = self.admin_password_hash.clone();
        c.http.metrics_public = self.metrics_public;
        c.http.tls = self.http_tls.is_some();
        if let Some(crate::web::tls::CertSource::Files { cert, key }) = &self.http_tls {
            c.http.tls_cert_file = Some(cert.clone());
            c.http.tls_key_file = Some(key.clone());
        }
        c.snmp.timeout = self.poll_options.timeout;
        c.snmp.retries = self.poll_options.retries;
        c.snmp.port = self.snmp_port;
        c.engine.lead_time_days = self.engine.lead_time_days;
        c.engine.horizon_days = self.engine.horizon_days;
        c.engine.supply_days = self.engine.supply_days;
        c.engine.order_hour_utc = self.engine.order_hour_utc;
        c.engine.silent_after =
            Duration::from_secs(u64::try_from(self.engine.silent_after_secs).unwrap_or(0));
        c.discovery.mdns = self.mdns.is_some();
        c
    }
}
