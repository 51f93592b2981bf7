//! The configuration file's shape. Every field has a default that is right for
//! a typical office, so a minimal file only names the gateway and the broker.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration::serde_str;

/// The whole configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Identity and local storage.
    pub gateway: GatewaySection,
    /// The upstream broker.
    pub mqtt: MqttSection,
    /// The local status page.
    pub http: HttpSection,
    /// How printers are polled.
    pub snmp: SnmpSection,
    /// How printers are found.
    pub discovery: DiscoverySection,
    /// Replenishment policy.
    pub engine: EngineSection,
    /// Remote updates.
    pub update: UpdateSection,
    /// Per-printer assignments (site, contact) and credentials, keyed by serial.
    pub printers: Vec<PrinterSection>,
}

/// `[gateway]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GatewaySection {
    /// Unique id of this box upstream; becomes part of every MQTT topic.
    pub id: String,
    /// Where the SQLite database lives (`gateway.db` inside).
    pub data_dir: PathBuf,
    /// Time between two polls of one printer.
    #[serde(with = "serde_str")]
    pub poll_interval: Duration,
    /// Printers polled at once (each printer is only ever polled once at a time).
    pub max_concurrent_polls: usize,
    /// Bytes the outbox may hold while the broker is unreachable, in MiB.
    /// Past 80 % level telemetry is thinned, past 100 % the oldest levels
    /// are dropped; orders and alerts never are. 1 GiB is weeks of a large
    /// site on a 16 GB card.
    pub outbox_max_mb: u64,
    /// Days raw supply readings are kept; older ones are folded into one
    /// row per supply and day (lowest, highest, last level, page counter).
    pub readings_days: u32,
    /// Site given to a printer seen for the first time that no
    /// `[[printers]]` entry assigns (with `default_contact`): a one-site
    /// office then orders without anyone registering each printer.
    pub default_site: Option<String>,
    /// Contact person given with `default_site`.
    pub default_contact: Option<String>,
    /// A file whose existence says the clock is synchronised: until then
    /// readings are kept but nothing is ordered or alerted silent.
    /// systemd-timesyncd's flag by default; point it at another NTP
    /// client's (chrony, ntpd) where the image uses one.
    pub clock_sync_flag: PathBuf,
}

impl Default for GatewaySection {
    fn default() -> Self {
        Self {
            id: String::new(),
            data_dir: PathBuf::from("/var/lib/asr-gateway"),
            poll_interval: Duration::from_secs(15 * 60),
            max_concurrent_polls: 16,
            outbox_max_mb: 1024,
            readings_days: 90,
            default_site: None,
            default_contact: None,
            clock_sync_flag: PathBuf::from(crate::runtime::clock::TIMESYNC_FLAG),
        }
    }
}

/// `[mqtt]` — the supplier's broker. Secrets are never printed: see the
/// manual `Debug` impl.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MqttSection {
    /// Broker host name (a DNS name when TLS is on: the certificate names it).
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// TLS on or off; unset means on for ports 8883 and 443.
    pub tls: Option<bool>,
    /// PEM file of the CA that signed the broker's certificate; unset means
    /// the system's roots.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate (mutual TLS).
    pub client_cert_file: Option<PathBuf>,
    /// PEM private key of the client certificate.
    pub client_key_file: Option<PathBuf>,
    /// Client id; defaults to the gateway id.
    pub client_id: Option<String>,
    /// Optional user name.
    pub username: Option<String>,
    /// Optional password (never logged).
    pub password: Option<String>,
    /// A file holding the password (first line), instead of `password`.
    pub password_file: Option<PathBuf>,
    /// `tcp` (MQTT on its own port) or `ws` (MQTT over WebSockets, e.g. 443).
    pub transport: String,
    /// HTTP path of the WebSocket endpoint.
    pub ws_path: String,
    /// MQTT keep-alive.
    #[serde(with = "serde_str")]
    pub keep_alive: Duration,
}

impl MqttSection {
    /// Whether TLS is on, the default applied.
    pub fn tls_enabled(&self) -> bool {
        self.tls.unwrap_or(matches!(self.port, 8883 | 443))
    }
}

impl Default for MqttSection {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 1883,
            tls: None,
            ca_file: None,
            client_cert_file: None,
            client_key_file: None,
            client_id: None,
            username: None,
            password: None,
            password_file: None,
            transport: "tcp".into(),
            ws_path: "/mqtt".into(),
            keep_alive: Duration::from_secs(30),
        }
    }
}

impl std::fmt::Debug for MqttSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttSection")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("ca_file", &self.ca_file)
            .field("client_cert_file", &self.client_cert_file)
            .field("client_key_file", &self.client_key_file)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("password_file", &self.password_file)
            .field("transport", &self.transport)
            .field("ws_path", &self.ws_path)
            .finish_non_exhaustive()
    }
}

/// `[http]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSection {
    /// Address of the status page; empty string disables it.
    pub listen: Option<SocketAddr>,
    /// The admin password as an Argon2 PHC string (`asr-gateway
    /// hash-password` makes one). Without it, the first visit from the LAN
    /// chooses the password on a one-time setup page.
    pub admin_password_hash: Option<String>,
    /// Serve `/metrics` without a login (for a Prometheus server on the LAN).
    pub metrics_public: bool,
    /// Serve the page over HTTPS: with `tls_cert_file` and `tls_key_file`
    /// when given, else with a self-signed certificate made on first start
    /// in the data directory.
    pub tls: bool,
    /// The site's certificate chain (PEM), with `tls_key_file`.
    pub tls_cert_file: Option<PathBuf>,
    /// Its private key (PEM).
    pub tls_key_file: Option<PathBuf>,
}

impl Default for HttpSection {
    fn default() -> Self {
        Self {
            listen: Some(SocketAddr::from(([0, 0, 0, 0], 8080))),
            admin_password_hash: None,
            metrics_public: false,
            tls: false,
            tls_cert_file: None,
            tls_key_file: None,
        }
    }
}

/// `[update]` — remote updates. The gateway only hands a signed package
/// over to the updater (a separate root service); this is where both find
/// the public key packages must be signed with.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct UpdateSection {
    /// The ed25519 public key (base64, as `asr-gateway update-key generate`
    /// writes it) baked into the image. Without this file the `update`
    /// command is refused.
    pub key_file: PathBuf,
    /// A CA certificate (PEM) trusted for package downloads besides the
    /// system's: the supplier's own package server.
    pub ca_file: Option<PathBuf>,
}

impl Default for UpdateSection {
    fn default() -> Self {
        Self {
            key_file: PathBuf::from("/etc/asr-gateway/update-key.pub"),
            ca_file: None,
        }
    }
}

/// `[snmp]` — defaults for every printer; `[[printers]]` may override.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SnmpSection {
    /// Default credentials.
    #[serde(flatten)]
    pub credentials: SnmpCredentials,
    /// Per-request timeout.
    #[serde(with = "serde_str")]
    pub timeout: Duration,
    /// Retries after a timeout (with backoff).
    pub retries: u32,
    /// UDP port printers answer on.
    pub port: u16,
}

impl Default for SnmpSection {
    fn default() -> Self {
        Self {
            credentials: SnmpCredentials::default(),
            timeout: Duration::from_secs(2),
            retries: 2,
            port: 161,
        }
    }
}

/// SNMP credentials as written in the file. Secrets are never printed: see
/// the manual `Debug` impl.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SnmpCredentials {
    /// `1`, `2c` or `3`.
    pub version: String,
    /// v1/v2c community.
    pub community: String,
    /// v3 user.
    pub user: Option<String>,
    /// v3 authentication protocol (`SHA`, `SHA-256`, `MD5`, …).
    pub auth_proto: Option<String>,
    /// v3 authentication pass phrase.
    pub auth_pass: Option<String>,
    /// v3 privacy protocol (`AES`, `DES`).
    pub priv_proto: Option<String>,
    /// v3 privacy pass phrase.
    pub priv_pass: Option<String>,
    /// v3 context name.
    pub context: Option<String>,
}

impl Default for SnmpCredentials {
    fn default() -> Self {
        Self {
            version: "2c".into(),
            community: "public".into(),
            user: None,
            auth_proto: None,
            auth_pass: None,
            priv_proto: None,
            priv_pass: None,
            context: None,
        }
    }
}

impl std::fmt::Debug for SnmpCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnmpCredentials")
            .field("version", &self.version)
            .field("community", &"<redacted>")
            .field("user", &self.user)
            .field("auth_proto", &self.auth_proto)
            .field("priv_proto", &self.priv_proto)
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

/// `[discovery]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DiscoverySection {
    /// Browse mDNS/DNS-SD for printers.
    pub mdns: bool,
    /// Addresses polled whatever discovery finds (`host` or `host:port`).
    #[serde(rename = "static")]
    pub static_targets: Vec<String>,
    /// Opt-in: an IPv4 network swept over SNMP for printers (at most a /16),
    /// at start and once a day.
    pub sweep: Option<String>,
    /// SNMP requests per second during a sweep: printers are fragile.
    pub sweep_rate: u32,
    /// The IPP port tried on a printer that does not answer SNMP and was
    /// not announced over mDNS (which gives its own).
    pub ipp_port: u16,
}

impl Default for DiscoverySection {
    fn default() -> Self {
        Self {
            mdns: true,
            static_targets: Vec::new(),
            sweep: None,
            sweep_rate: 10,
            ipp_port: 631,
        }
    }
}

/// `[engine]` — the replenishment policy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EngineSection {
    /// Days from order to delivery.
    pub lead_time_days: f64,
    /// Order this many days before the forecast empty date.
    pub horizon_days: f64,
    /// Each order covers this many days of consumption.
    pub supply_days: f64,
    /// A printer silent this long raises `printer_silent`.
    #[serde(with = "serde_str")]
    pub silent_after: Duration,
    /// Hour (UTC, 0–23) of the daily order run: what falls due during a day
    /// goes out together then; only a cartridge that may run out before goods
    /// could arrive is ordered at once.
    pub order_hour_utc: u32,
}

impl Default for EngineSection {
    fn default() -> Self {
        Self {
            lead_time_days: 5.0,
            horizon_days: 21.0,
            supply_days: 30.0,
            silent_after: Duration::from_secs(24 * 3600),
            order_hour_utc: asr_engine::EngineConfig::default().order_hour_utc,
        }
    }
}

/// `[[printers]]` — who a printer belongs to, keyed by its serial.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrinterSection {
    /// Serial number as the printer reports it.
    pub serial: String,
    /// Site (delivery address) name.
    pub site: String,
    /// Contact person at the site who receives supplies.
    pub contact: String,
    /// Never order for this printer.
    #[serde(default)]
    pub excluded: bool,
    /// Credentials for this printer only.
    #[serde(default)]
    pub snmp: Option<SnmpCredentials>,
    /// How it is read: `auto` (SNMP, else IPP), `snmp` or `ipp`.
    #[serde(default)]
    pub protocol: Protocol,
}

/// How a printer is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// SNMP; IPP when SNMP does not answer or reports no supplies.
    #[default]
    Auto,
    /// SNMP only.
    Snmp,
    /// IPP only (SNMP switched off on the printer).
    Ipp,
}

impl Protocol {
    /// The name in the file, on the page and in commands.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Auto => "auto",
            Protocol::Snmp => "snmp",
            Protocol::Ipp => "ipp",
        }
    }
}
