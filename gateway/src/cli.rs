//! Command-line interface. Each subcommand's work lives in `commands/`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Where the installed package keeps things (shown by `--help`).
pub const WHERE_THINGS_ARE: &str = "\
Installed as a service (Debian package or Raspberry Pi image):
  configuration  /etc/asr-gateway/gateway.toml (every key: /usr/share/doc/asr-gateway/gateway.example.toml)
  data           /var/lib/asr-gateway/gateway.db (SQLite)
  service        systemctl status asr-gateway; logs: journalctl -u asr-gateway
  status page    http://<this box>:8080/ (health: /healthz)";

/// ASR edge gateway: finds office printers, watches their supplies, and orders
/// replacements before they run out.
#[derive(Debug, Parser)]
#[command(name = "asr-gateway", version, about, long_about = None, after_help = WHERE_THINGS_ARE)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Everything in one process: simulated printers, an embedded MQTT broker,
    /// the gateway and its status page.
    Demo(DemoArgs),
    /// The gateway against real printers and a real broker.
    Run(RunArgs),
    /// Check a configuration file and exit (status 2 if it is bad).
    CheckConfig(RunArgs),
    /// First boot: turn the boot partition's asr-gateway.toml into the
    /// configuration in /etc/asr-gateway (0600) and remove it from the card
    /// (status 2 and nothing changed if it is bad).
    Provision(ProvisionArgs),
    /// After the service stops (systemd `ExecStopPost=`): keep a failed
    /// stop's result so the next start reports it.
    #[command(hide = true)]
    RecordExit(RecordExitArgs),
    /// The updater (run as root by asr-gateway-update.service when the
    /// gateway hands over an `update` command): download, check the
    /// signature, install, confirm health, roll back otherwise, report.
    ApplyUpdate(ApplyUpdateArgs),
    /// Update signing keys: make a key pair, sign or verify a package.
    UpdateKey {
        #[command(subcommand)]
        command: UpdateKeyCommand,
    },
    /// Read one or more printers once and print what they say.
    Poll(PollArgs),
    /// Find printers on the LAN (mDNS/DNS-SD, optionally a CIDR sweep) and
    /// confirm them over SNMP.
    Discover(DiscoverArgs),
    /// Serve simulated printers over SNMP (recordings or synthetic).
    Sim(SimArgs),
    /// Replay recorded readings through the replenishment engine (JSON lines on stdout).
    Replay(ReplayArgs),
    /// Generate a synthetic fleet's printers.csv and readings.csv for `replay`.
    SimFleet(SimFleetArgs),
    /// Run the repository's benchmarks and print ratios against their baselines.
    Bench(BenchArgs),
    /// The supplier's side: receive orders and alerts from every gateway
    /// through an MQTT 5 shared subscription (start several with one
    /// --group to split the load), drop duplicates, optionally answer.
    Upstream(UpstreamArgs),
    /// Read a password on standard input and print its Argon2id hash, for
    /// `[http] admin_password_hash`.
    HashPassword,
}

/// `upstream`
#[derive(Debug, Args)]
pub struct UpstreamArgs {
    /// The broker: mqtt://HOST[:PORT], mqtts://…, ws://HOST[:PORT]/PATH or wss://….
    #[arg(long)]
    pub broker: String,
    /// Shared-subscription group: instances of one group split the messages.
    #[arg(long, default_value = "asr-backoffice")]
    pub group: String,
    /// The ledger of processed message ids (SQLite), shared by the group's
    /// instances: a message is processed once across them.
    #[arg(long, default_value = "upstream.sqlite")]
    pub db: std::path::PathBuf,
    /// Append each processed order and alert to this file as a JSON line.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// Answer every order with this status: accepted, shipped or delivered.
    #[arg(long)]
    pub respond: Option<String>,
    /// MQTT client id; keep it stable so the broker keeps this instance's
    /// session while it restarts. Default: derived from the group, the host
    /// and the files used.
    #[arg(long)]
    pub client_id: Option<String>,
    /// CA certificates (PEM) for mqtts:// and wss:// (default: the system's roots).
    #[arg(long)]
    pub ca_file: Option<std::path::PathBuf>,
    /// Broker user name.
    #[arg(long, env = "ASR_UPSTREAM_USERNAME")]
    pub username: Option<String>,
    /// File holding the broker password (never on the command line).
    #[arg(long, env = "ASR_UPSTREAM_PASSWORD_FILE")]
    pub password_file: Option<std::path::PathBuf>,
    /// The supplier's base catalogue (JSON, the format of `asr/v1/catalog`):
    /// part numbers and rated yields, into which the lives learned across
    /// gateways are merged before publishing.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<std::path::PathBuf>,
    /// Least seconds between two catalogue publications: each one makes
    /// every gateway store it and answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub catalog_every: f64,
    /// Neither aggregate lives nor publish the catalogue: for the extra
    /// instances of a group, one of which does it.
    #[arg(long, conflicts_with = "catalog")]
    pub no_catalog: bool,
}

/// `demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Simulated seconds per real second (43200: a month in about a minute).
    #[arg(long, default_value_t = 43_200.0)]
    pub speed: f64,
    /// Port of the embedded MQTT broker on 127.0.0.1.
    #[arg(long, default_value_t = 1883)]
    pub mqtt_port: u16,
    /// Address of the status page.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub http: SocketAddr,
    /// Number of simulated printers.
    #[arg(long, default_value_t = 12)]
    pub printers: usize,
    /// UDP port the simulated printers answer on (each on its own 127.0.0.x).
    #[arg(long, default_value_t = 1161)]
    pub snmp_port: u16,
    /// TCP port the simulated printers answer IPP on; the first printer has
    /// SNMP switched off and is read over IPP.
    #[arg(long, default_value_t = 1631)]
    pub ipp_port: u16,
    /// Address of the first simulated printer; the others follow.
    #[arg(long, default_value = "127.0.0.10")]
    pub fleet_ip: std::net::Ipv4Addr,
    /// Where to keep the database (a fresh temporary directory by default).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Seed of the simulated fleet.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Stop after this many real seconds (runs until Ctrl-C otherwise).
    #[arg(long)]
    pub duration: Option<f64>,
    /// The status page's admin password (at least 10 characters); a random
    /// one is generated and printed when absent.
    #[arg(long, env = "ASR_DEMO_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Serve the status page over HTTPS with a self-signed certificate
    /// (made in the data directory on first start).
    #[arg(long)]
    pub https: bool,
    /// The gateway's id on the broker (its topics are `asr/v1/<id>/…`).
    #[arg(long, default_value = "demo")]
    pub gateway_id: String,
    /// Use this broker (mqtt://HOST[:PORT]) instead of starting one: several
    /// demo gateways and one `upstream` can then share it.
    #[arg(long)]
    pub broker: Option<String>,
    /// How many of the simulated printers (the last ones) report their
    /// gauges only as "some remaining", as printers with third-party
    /// cartridges do.
    #[arg(long, default_value_t = 0)]
    pub some_remaining: usize,
}

/// `run` and `check-config`
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The TOML configuration file.
    #[arg(long, short)]
    pub config: PathBuf,
}

/// `record-exit`
#[derive(Debug, Args)]
pub struct RecordExitArgs {
    /// The gateway's data directory.
    #[arg(long, default_value = "/var/lib/asr-gateway")]
    pub data_dir: PathBuf,
}

/// `apply-update`
#[derive(Debug, Args)]
pub struct ApplyUpdateArgs {
    /// The gateway's configuration (broker, data directory, update key,
    /// status page address).
    #[arg(long, short, default_value = "/etc/asr-gateway/gateway.toml")]
    pub config: PathBuf,
    /// The request the gateway left (default: <data_dir>/update/request.json).
    #[arg(long)]
    pub request: Option<PathBuf>,
    /// Root's own directory: downloads and the installed package's copy
    /// (`installed.deb`) that a rollback reinstalls.
    #[arg(long, default_value = "/var/lib/asr-gateway-update")]
    pub work_dir: PathBuf,
    /// Install into this root instead of / (dpkg --root; tests).
    #[arg(long)]
    pub dpkg_root: Option<PathBuf>,
    /// How to restart the gateway (default: systemctl restart asr-gateway.service).
    #[arg(long)]
    pub restart_command: Option<String>,
    /// A CA certificate (PEM) trusted for downloads besides the system's.
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
}

/// `update-key`
#[derive(Debug, Subcommand)]
pub enum UpdateKeyCommand {
    /// Make a key pair (the private file is created 0600 and never overwritten).
    Generate {
        #[arg(long)]
        private: PathBuf,
        #[arg(long)]
        public: PathBuf,
    },
    /// Print the base64 signature of a package (the `update` command's `signature`).
    Sign {
        #[arg(long)]
        key: PathBuf,
        package: PathBuf,
    },
    /// Check a signature against a public key file.
    Verify {
        #[arg(long)]
        public: PathBuf,
        package: PathBuf,
        #[arg(long)]
        signature: String,
    },
}

/// `provision`
#[derive(Debug, Args)]
pub struct ProvisionArgs {
    /// The provisioning file (a gateway.toml with `mqtt.url`, inline
    /// certificates and password allowed; `gateway.id` optional).
    #[arg(long, default_value = "/boot/firmware/asr-gateway.toml")]
    pub from: PathBuf,
    /// Where the configuration goes.
    #[arg(long, default_value = "/etc/asr-gateway")]
    pub config_dir: PathBuf,
    /// The user that will read the files (the service's), e.g. `asr-gateway`.
    #[arg(long)]
    pub owner: Option<String>,
}

/// `poll`
#[derive(Debug, Args)]
pub struct PollArgs {
    /// Printers to read, as host[:port] (SNMP) or ipp[s]://host[:port]/path (IPP).
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// SNMP v1/v2c community.
    #[arg(long, default_value = "public")]
    pub community: String,
    /// Use SNMPv1 instead of v2c (with --community).
    #[arg(long)]
    pub v1: bool,
    /// SNMPv3 user (switches to v3).
    #[arg(long)]
    pub v3_user: Option<String>,
    /// SNMPv3 authentication protocol (MD5, SHA, SHA-256, …).
    #[arg(long)]
    pub auth_proto: Option<String>,
    /// SNMPv3 authentication pass phrase.
    #[arg(long)]
    pub auth_pass: Option<String>,
    /// SNMPv3 privacy protocol (AES, DES).
    #[arg(long)]
    pub priv_proto: Option<String>,
    /// SNMPv3 privacy pass phrase.
    #[arg(long)]
    pub priv_pass: Option<String>,
    /// SNMPv3 context name.
    #[arg(long)]
    pub context: Option<String>,
    /// Request timeout in seconds.
    #[arg(long, default_value_t = 2.0)]
    pub timeout: f64,
    /// Retries after a timeout.
    #[arg(long, default_value_t = 1)]
    pub retries: u32,
    /// Printers read at once (the gateway's `max_concurrent_polls`): more
    /// at once only makes a shared or slow agent drop requests.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// One JSON object per target per line.
    #[arg(long)]
    pub json: bool,
}

/// `discover`
#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// How long to listen for mDNS answers, e.g. 10s.
    #[arg(long, default_value = "10s")]
    pub timeout: String,
    /// Only browse on these interfaces (repeatable), e.g. --interface eth0.
    #[arg(long = "interface")]
    pub interfaces: Vec<String>,
    /// Also sweep this IPv4 CIDR over SNMP (at most a /16), gently.
    #[arg(long)]
    pub sweep: Option<String>,
    /// SNMP requests per second during a sweep.
    #[arg(long, default_value_t = 20)]
    pub sweep_rate: u32,
    /// SNMP v1/v2c community used to confirm printers.
    #[arg(long, default_value = "public")]
    pub community: String,
    /// UDP port of the printers' SNMP agents.
    #[arg(long, default_value_t = 161)]
    pub snmp_port: u16,
    /// One JSON object per printer per line.
    #[arg(long)]
    pub json: bool,
}

/// `sim`
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Serve every `.snmprec` file of this directory (community = file name).
    #[arg(long)]
    pub recordings: Option<PathBuf>,
    /// Number of synthetic printers (when no recordings are given).
    #[arg(long, default_value_t = 12)]
    pub printers: usize,
    /// First loopback address; the others follow (127.0.0.10, .11, …).
    #[arg(long, default_value = "127.0.0.10")]
    pub base_ip: std::net::Ipv4Addr,
    /// UDP port on each address.
    #[arg(long, default_value_t = 1161)]
    pub port: u16,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Seed of the synthetic fleet.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Also advertise every printer over mDNS (IPP and LPD records); needs
    /// at least one --mdns-interface.
    #[arg(long)]
    pub mdns: bool,
    /// Advertise on this interface only (repeatable), e.g. --mdns-interface lo.
    #[arg(long = "mdns-interface", requires = "mdns")]
    pub mdns_interfaces: Vec<String>,
    /// Also serve IPP (Get-Printer-Attributes) on this TCP port of every
    /// printer's address: ipp://127.0.0.10:PORT/ipp/print.
    #[arg(long)]
    pub ipp_port: Option<u16>,
    /// Switch SNMP off on the first N printers (they answer IPP only; needs --ipp-port).
    #[arg(long, default_value_t = 0, requires = "ipp_port")]
    pub snmp_off: usize,
}

/// `replay`
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// CSV with header serial,model,site,contact.
    #[arg(long)]
    pub printers: PathBuf,
    /// CSV with header observed_at,printer,supply_index,supply_type,supply_class,colorant,unit,max_capacity,level,page_count.
    #[arg(long)]
    pub readings: PathBuf,
    /// Days from order to delivery.
    #[arg(long)]
    pub lead_time_days: Option<f64>,
    /// Silence threshold, e.g. 24h.
    #[arg(long)]
    pub silent_after: Option<String>,
    /// A gateway config file whose [engine] section sets the policy.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `sim-fleet`
#[derive(Debug, Args)]
pub struct SimFleetArgs {
    /// Directory to write printers.csv and readings.csv into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Seed: the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of printers.
    #[arg(long, default_value_t = 36)]
    pub printers: usize,
    /// Days of readings.
    #[arg(long, default_value_t = 365)]
    pub days: i64,
    /// Multiplies every printer's page volume.
    #[arg(long, default_value_t = 1.0)]
    pub usage: f64,
}

/// `bench`
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Which benchmark: `engine`, `poll` (needs `sim-fleet` running; see
    /// scripts/bench-poll.sh), `sim-fleet`, `poll-plan` or `uplink`.
    #[arg(default_value = "engine")]
    pub which: String,
    /// Number of simulated printers for `poll`.
    #[arg(long, default_value_t = 200)]
    pub printers: usize,
    /// Seeds for `engine`.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    pub seeds: Vec<u64>,
    /// `poll`, `sim-fleet`: address of the first simulated printer.
    #[arg(long, default_value = "127.0.1.1")]
    pub base_ip: std::net::Ipv4Addr,
    /// `poll`, `sim-fleet`: UDP port of every simulated printer.
    #[arg(long, default_value_t = 16161)]
    pub port: u16,
    /// `poll`: polls in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// `poll`: times the whole fleet is polled.
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,
    /// `sim-fleet`: serve these `.snmprec` recordings (repeated) instead of synthetic printers.
    #[arg(long)]
    pub recordings: Option<PathBuf>,
    /// `sim-fleet`: stop after this many seconds (Ctrl-C otherwise).
    #[arg(long)]
    pub duration: Option<f64>,
    /// `uplink`: messages in the outbox backlog to drain.
    #[arg(long, default_value_t = 100_000)]
    pub messages: u64,
    /// `uplink`: an MQTT broker HOST:PORT (default: a Mosquitto started for the run).
    #[arg(long)]
    pub broker: Option<String>,
    /// `writes`: real seconds between two polls of a printer (15 simulated minutes).
    #[arg(long, default_value_t = 5.0)]
    pub poll_seconds: f64,
    /// `writes`: where the database goes (a real disk; default: a temporary
    /// directory under the current one).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// `writes`: days of level history put in the database before measuring
    /// (8 changed levels a day per supply), as a gateway that has run that
    /// long holds: the indexes a poll touches are then spread out.
    #[arg(long, default_value_t = 0)]
    pub history_days: u32,
}
