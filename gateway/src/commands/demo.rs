//! `asr-gateway demo`: the whole product on one machine — simulated printers
//! on 127.0.0.x, an embedded MQTT broker, the gateway and its status page —
//! with supplies draining on an accelerated clock.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use asr_cloud_sync::EmbeddedBroker;
use asr_protocols::sim::{FleetOptions, Misbehaviour, SimFleet, synthetic_fleet};
use asr_protocols::snmp::{Credentials, PollOptions};
use tracing::info;

use super::CommandError;
use crate::cli::DemoArgs;
use crate::runtime::clock::{Clock, ScaledClock};
use crate::runtime::{Assignment, Gateway, MqttSettings, Settings};

/// Simulated time between two polls of one printer.
const SIMULATED_POLL: Duration = Duration::from_secs(6 * 3600);
/// Real time between two polls at least, whatever the speed.
const MIN_REAL_POLL: Duration = Duration::from_millis(250);

/// Starts everything, prints where to look, runs until Ctrl-C (or `--duration`).
pub async fn run(args: DemoArgs) -> Result<ExitCode, CommandError> {
    let demo = Demo::start(&args).await?;
    print_banner(&args, &demo);
    match args.duration {
        Some(secs) if secs.is_finite() && secs > 0.0 => {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs_f64(secs)) => {}
                () = super::signal::wait_for_stop() => {}
            }
        }
        _ => super::signal::wait_for_stop().await,
    }
    info!("stopping the demo");
    demo.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// A running demo: fleet, broker and gateway.
pub struct Demo {
    /// The simulated printers.
    pub fleet: SimFleet,
    /// The embedded broker (lives as long as the process: rumqttd has no
    /// stop); none when the demo uses a broker given with `--broker`.
    pub broker: Option<EmbeddedBroker>,
    /// The gateway.
    pub gateway: Gateway,
    /// Where the database lives.
    pub data_dir: std::path::PathBuf,
    /// The status page's admin password, when the demo made it up (printed).
    pub generated_password: Option<String>,
}

impl Demo {
    /// Starts the broker, the fleet and the gateway; each failure names its cause.
    pub async fn start(args: &DemoArgs) -> Result<Demo, CommandError> {
        validate(args)?;
        if args.broker.is_some() {
            return Self::start_on(args, None).await;
        }
        let broker_addr = SocketAddr::from(([127, 0, 0, 1], args.mqtt_port));
        // MQTT 5 (for `upstream`'s shared subscriptions) on the next port,
        // when it is free; the demo does not need it to run.
        let v5 = args
            .mqtt_port
            .checked_add(1)
            .map(|p| SocketAddr::from(([127, 0, 0, 1], p)));
        let broker = match EmbeddedBroker::start_with_v5(broker_addr, v5) {
            Ok(broker) => broker,
            Err(e) => {
                tracing::warn!(error = %e, "no MQTT 5 listener for `upstream`");
                EmbeddedBroker::start(broker_addr)
                    .map_err(|e| CommandError::Runtime(format!("MQTT broker: {e}")))?
            }
        };
        Self::start_with_broker(args, broker).await
    }

    /// As [`Demo::start`] with a broker already running on `args.mqtt_port`
    /// (tests subscribe before the gateway exists, so they miss nothing).
    pub async fn start_with_broker(
        args: &DemoArgs,
        broker: EmbeddedBroker,
    ) -> Result<Demo, CommandError> {
        Self::start_on(args, Some(broker)).await
    }

    /// Starts the fleet and the gateway on `broker`, else on `--broker`.
    async fn start_on(
        args: &DemoArgs,
        broker: Option<EmbeddedBroker>,
    ) -> Result<Demo, CommandError> {
        validate(args)?;
        let (mqtt_host, mqtt_port) = match (&broker, &args.broker) {
            (None, Some(url)) => broker_address(url)?,
            _ => ("127.0.0.1".to_string(), args.mqtt_port),
        };
        let data_dir = match &args.data_dir {
            Some(d) => d.clone(),
            None => std::env::temp_dir().join(format!("asr-demo-{}", std::process::id())),
        };
        std::fs::create_dir_all(&data_dir).map_err(|e| {
            CommandError::Runtime(format!("cannot create {}: {e}", data_dir.display()))
        })?;

        let specs = synthetic_fleet(args.seed, args.printers);
        let assignments: Vec<Assignment> = specs.iter().map(Assignment::from).collect();
        let options = FleetOptions {
            ipp_port: Some(args.ipp_port),
            ..FleetOptions::default()
        };
        let fleet =
            SimFleet::start_with(specs, args.fleet_ip, args.snmp_port, args.speed, &options)
                .await
                .map_err(|e| CommandError::Runtime(format!("printer simulator: {e}")))?;
        // One printer of the demo has SNMP switched off, as more and more
        // sites do: the gateway reads it over IPP.
        if let Some(first) = fleet.members().first() {
            first.agent.set_misbehaviour(Misbehaviour::Timeout);
        }
        let count = fleet.members().len();
        for m in fleet
            .members()
            .iter()
            .skip(count.saturating_sub(args.some_remaining).max(1))
        {
            m.agent.set_misbehaviour(Misbehaviour::SomeRemaining);
        }

        let clock: Arc<dyn Clock> = Arc::new(ScaledClock::new(chrono::Utc::now(), args.speed));
        let poll_interval = clock.real_duration(SIMULATED_POLL).max(MIN_REAL_POLL);
        let generated_password = args.admin_password.is_none().then(generate_password);
        let password = args
            .admin_password
            .clone()
            .or_else(|| generated_password.clone())
            .unwrap_or_default();
        let hash = tokio::task::spawn_blocking(move || crate::web::auth::hash_password(&password))
            .await
            .map_err(|e| CommandError::Runtime(format!("hashing the admin password: {e}")))?
            .map_err(|e| CommandError::Usage(format!("--admin-password: {e}")))?;
        let settings = Settings {
            gateway_id: args.gateway_id.clone(),
            admin_password_hash: Some(hash),
            metrics_public: false,
            http_tls: args.https.then(|| crate::web::tls::CertSource::SelfSigned {
                dir: data_dir.clone(),
            }),
            db_path: data_dir.join("gateway.db"),
            poll_interval,
            max_concurrent_polls: 8,
            outbox_max_bytes: 64 << 20,
            readings_days: 90,
            housekeeping_every: Duration::from_secs(10),
            targets: fleet.members().iter().map(|m| m.addr().into()).collect(),
            credentials: vec![Credentials::v2c("public")],
            poll_options: PollOptions {
                timeout: Duration::from_millis(800),
                retries: 1,
                ..PollOptions::default()
            },
            mqtt: MqttSettings {
                host: mqtt_host,
                port: mqtt_port,
                client_id: format!("asr-gateway-{}", args.gateway_id),
                username: None,
                password: None,
                keep_alive: Duration::from_secs(30),
                transport: asr_cloud_sync::TransportSettings::tcp(),
            },
            http: Some(args.http),
            engine: asr_engine::EngineConfig::default(),
            assignments,
            default_assignment: None,
            tick_every: poll_interval,
            clock,
            // The simulated printers are on loopback; no multicast on the LAN.
            mdns: None,
            snmp_port: args.snmp_port,
            ipp_port: args.ipp_port,
            sweep: None,
            config: None,
        };
        let gateway = match Gateway::start(settings).await {
            Ok(g) => g,
            Err(e) => {
                fleet.shutdown().await;
                return Err(CommandError::Runtime(e.to_string()));
            }
        };
        Ok(Demo {
            fleet,
            broker,
            gateway,
            data_dir,
            generated_password,
        })
    }

    /// Stops the gateway (saving its state), then the printers.
    pub async fn stop(self) {
        self.gateway.shutdown().await;
        self.fleet.shutdown().await;
        // The embedded broker has no stop: it ends with the process.
        let _ = self.broker.as_ref().map(EmbeddedBroker::addr);
    }
}

/// Refuses nonsense before anything is started.
/// A password to print for the demo's page: 16 letters and digits (~95 bits).
fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..16)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}

/// Most simulated printers (one loopback address each, 127.0.0.10 onwards).
pub const MAX_PRINTERS: usize = 4096;

fn validate(args: &DemoArgs) -> Result<(), CommandError> {
    if !(args.speed.is_finite() && args.speed > 0.0 && args.speed <= 10_000_000.0) {
        return Err(CommandError::Usage(
            "--speed must be between 0 and 10000000".into(),
        ));
    }
    if args.printers == 0 || args.printers > MAX_PRINTERS {
        return Err(CommandError::Usage(format!(
            "--printers must be between 1 and {MAX_PRINTERS}"
        )));
    }
    asr_cloud_sync::GatewayId::new(args.gateway_id.as_str())
        .map_err(|e| CommandError::Usage(format!("--gateway-id: {e}")))?;
    if let Some(url) = &args.broker {
        broker_address(url)?;
    }
    Ok(())
}

/// Host and port of `--broker` (plain MQTT: the demo's gateways share a local broker).
fn broker_address(url: &str) -> Result<(String, u16), CommandError> {
    let parsed = asr_cloud_sync::consumer::BrokerUrl::parse(url)
        .map_err(|e| CommandError::Usage(e.to_string()))?;
    if parsed.tls || parsed.carrier != asr_cloud_sync::Carrier::Tcp {
        return Err(CommandError::Usage(format!(
            "--broker {url:?}: the demo speaks plain mqtt:// only"
        )));
    }
    Ok((parsed.host, parsed.port))
}

fn print_banner(args: &DemoArgs, demo: &Demo) {
    let (mqtt_host, mqtt_port) = args
        .broker
        .as_deref()
        .and_then(|url| broker_address(url).ok())
        .unwrap_or_else(|| ("127.0.0.1".to_string(), args.mqtt_port));
    let http = demo
        .gateway
        .http_addr()
        .map_or_else(|| args.http.to_string(), |a| a.to_string());
    let first = demo
        .fleet
        .members()
        .first()
        .map(|m| m.addr().to_string())
        .unwrap_or_default();
    println!(
        "\nASR gateway demo is running ({} simulated printers, a simulated month every {:.0} s).\n\n  \
         Status page:   {scheme}://{http}/   (French: {scheme}://{http}/?lang=fr)\n  \
         Admin password: {password}\n  \
         MQTT traffic:  mosquitto_sub -h {mqtt_host} -p {mqtt_port} -t 'asr/#' -v\n  \
         Back office:   cargo run --release -- upstream --broker mqtt://{mqtt_host}:{} --out orders.jsonl --respond accepted\n  \
                        (it also pools the gateways' cartridge lives into the catalogue on asr/v1/catalog)\n  \
         One printer:   cargo run --release -- poll {first}\n  \
         Database:      {}\n\nCtrl-C stops everything.\n",
        demo.fleet.members().len(),
        30.0 * 86_400.0 / args.speed,
        mqtt_port.saturating_add(1),
        demo.data_dir.join("gateway.db").display(),
        scheme = if args.https { "https" } else { "http" },
        mqtt_host = mqtt_host,
        mqtt_port = mqtt_port,
        password = demo
            .generated_password
            .as_deref()
            .unwrap_or("the one given with --admin-password"),
    );
}
