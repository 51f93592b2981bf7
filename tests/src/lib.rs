//! Helpers shared by the whole-system tests in `tests/`: gateway settings
//! pointing at simulated printers, a clock the test moves by hand.

pub mod certs;
pub mod contract;
pub mod mosquitto;
pub mod mqtt_watch;
pub mod page;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asr_gateway::runtime::clock::Clock;
use asr_gateway::runtime::{Assignment, MqttSettings, Settings};
use asr_protocols::sim::SyntheticSpec;
use asr_protocols::snmp::{Credentials, PollOptions};
use chrono::{DateTime, Utc};

/// A clock that only moves when the test says so: time passes with
/// [`ManualClock::advance`], the wall clock alone jumps with
/// [`ManualClock::jump`], and it is synchronised until told otherwise.
#[derive(Debug)]
pub struct ManualClock(Mutex<ManualTime>);

#[derive(Debug)]
struct ManualTime {
    wall: DateTime<Utc>,
    mono: Duration,
    synced: bool,
}

impl ManualClock {
    /// Starts at `at`, truncated to whole seconds (the store keeps
    /// milliseconds, so comparisons with stored times stay exact).
    pub fn new(at: DateTime<Utc>) -> Arc<Self> {
        let at = DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at);
        Arc::new(Self(Mutex::new(ManualTime {
            wall: at,
            mono: Duration::ZERO,
            synced: true,
        })))
    }

    /// Moves time forward.
    pub fn advance(&self, d: Duration) {
        let mut t = self.0.lock().expect("clock lock");
        t.wall += chrono::Duration::from_std(d).expect("duration");
        t.mono += d;
    }

    /// Moves the wall clock alone, either way (an NTP step, a wrong RTC).
    pub fn jump(&self, by: chrono::Duration) {
        self.0.lock().expect("clock lock").wall += by;
    }

    /// Whether the clock says it is synchronised.
    pub fn set_synchronised(&self, synced: bool) {
        self.0.lock().expect("clock lock").synced = synced;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().expect("clock lock").wall
    }

    fn speed(&self) -> f64 {
        1.0
    }

    fn synchronised(&self) -> bool {
        self.0.lock().expect("clock lock").synced
    }

    fn monotonic(&self) -> Duration {
        self.0.lock().expect("clock lock").mono
    }
}

/// Settings for a gateway polling `targets` with v2c "public", its database
/// in `db`, its broker on 127.0.0.1:`mqtt_port`, its page on a free port.
pub fn settings(
    targets: Vec<std::net::SocketAddr>,
    specs: &[SyntheticSpec],
    db: &std::path::Path,
    mqtt_port: u16,
    clock: Arc<dyn Clock>,
    poll_interval: Duration,
) -> Settings {
    Settings {
        gateway_id: "test-gw".into(),
        db_path: db.to_path_buf(),
        poll_interval,
        max_concurrent_polls: 4,
        targets: targets.into_iter().map(Into::into).collect(),
        credentials: vec![Credentials::v2c("public")],
        poll_options: PollOptions {
            timeout: Duration::from_millis(300),
            retries: 0,
            ..PollOptions::default()
        },
        mqtt: MqttSettings {
            host: "127.0.0.1".into(),
            port: mqtt_port,
            client_id: format!("test-gw-{mqtt_port}"),
            username: None,
            password: None,
            keep_alive: Duration::from_secs(5),
            transport: asr_cloud_sync::TransportSettings::tcp(),
        },
        http: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
        admin_password_hash: Some(page::admin_hash()),
        metrics_public: false,
        http_tls: None,
        engine: asr_engine::EngineConfig::default(),
        assignments: specs.iter().map(Assignment::from).collect(),
        default_assignment: None,
        clock,
        tick_every: Duration::from_millis(100),
        outbox_max_bytes: 64 << 20,
        readings_days: 90,
        housekeeping_every: Duration::from_secs(1),
        mdns: None,
        snmp_port: 161,
        ipp_port: 631,
        sweep: None,
        config: None,
    }
}
