//! `asr-gateway bench uplink`: drain a backlog from the real outbox (SQLite)
//! through the real uplink to a local Mosquitto with QoS 1, against a
//! baseline in the same run — a bare rumqttc client publishing the same
//! number of same-sized messages with the same in-flight window to the same
//! broker. Reported: messages per second of both and their ratio (what the
//! outbox costs), and the bytes this process wrote to storage per message
//! drained (`write_bytes` of `/proc/self/io`: marking messages sent).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asr_cloud_sync::{
    GatewayId, StatusPayload, TransportSettings, Uplink, UplinkConfig, free_local_addr,
};
use chrono::Utc;
use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, QoS};
use serde_json::json;
use tokio::sync::{Notify, mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::{CommandError, proc_stats};
use crate::runtime::StoreOutbox;
use crate::store::{OutboxKind, Store};

/// Messages in flight, for both runs (the uplink's default).
const INFLIGHT: u16 = 32;

/// What one run measured.
#[derive(Debug, Clone, Copy)]
struct Run {
    elapsed: Duration,
    messages: u64,
    write_bytes: Option<u64>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs the benchmark: `messages` in the backlog, a broker at `broker`
/// (`host:port`) or a Mosquitto started for the run.
pub async fn uplink_command(
    messages: u64,
    broker: Option<String>,
) -> Result<ExitCode, CommandError> {
    if messages == 0 || messages > 10_000_000 {
        return Err(CommandError::Usage("--messages must be 1-10000000".into()));
    }
    let dir = tempfile::tempdir()?;
    let mut own_broker = None;
    let (host, port) = match broker {
        Some(addr) => split_host_port(&addr)?,
        None => {
            let port = free_local_addr(std::net::IpAddr::from([127, 0, 0, 1]))
                .map_err(|e| CommandError::Runtime(e.to_string()))?
                .port();
            own_broker = Some(BrokerProcess::start(dir.path(), port)?);
            ("127.0.0.1".to_string(), port)
        }
    };
    let payload = sample_payload();
    eprintln!(
        "bench uplink: {messages} messages of {} bytes, QoS 1, {INFLIGHT} in flight, broker {host}:{port}",
        payload.len()
    );

    let baseline = bare_publisher(&host, port, messages, &payload).await?;
    eprintln!("  baseline (bare rumqttc): {:.0} msg/s", baseline.rate());

    let store = Arc::new(
        Store::open(&dir.path().join("bench.sqlite"))
            .map_err(|e| CommandError::Runtime(e.to_string()))?,
    );
    let fill_started = Instant::now();
    let value: serde_json::Value =
        serde_json::from_str(&payload).map_err(|e| CommandError::Runtime(e.to_string()))?;
    for _ in 0..messages {
        store
            .outbox_push(OutboxKind::Level, &value, Utc::now())
            .map_err(|e| CommandError::Runtime(e.to_string()))?;
    }
    eprintln!(
        "  backlog of {messages} written in {:.1} s",
        fill_started.elapsed().as_secs_f64()
    );
    let drained = drain(&host, port, store.clone(), messages).await?;
    eprintln!("  outbox + uplink: {:.0} msg/s", drained.rate());
    drop(own_broker);

    let per_message = drained
        .write_bytes
        .map(|b| b as f64 / drained.messages as f64);
    let ratio = drained.rate() / baseline.rate().max(1e-9);
    println!(
        "{}",
        json!({
            "benchmark": "uplink",
            "messages": messages,
            "payload_bytes": payload.len(),
            "inflight": INFLIGHT,
            "baseline_msg_per_s": baseline.rate().round(),
            "uplink_msg_per_s": drained.rate().round(),
            "uplink_vs_baseline": (ratio * 1000.0).round() / 1000.0,
            "storage_bytes_written_per_message": per_message.map(|b| b.round()),
            "target_msg_per_s": 5000,
        })
    );
    Ok(ExitCode::SUCCESS)
}

/// The level message a 4-supply printer queues after a poll, as stored.
fn sample_payload() -> String {
    let supplies: Vec<serde_json::Value> = ["black", "cyan", "magenta", "yellow"]
        .iter()
        .zip(1..)
        .map(|(colorant, i)| {
            json!({
                "index": i, "kind": "toner", "colorant": colorant,
                "part_number": "106R03500", "level": 20 * i, "max_capacity": 100,
                "percent": f64::from(20 * i), "gauge": "exact"
            })
        })
        .collect();
    json!({
        "printer": "XRX-3420-0001",
        "serial": "XRX-3420-0001",
        "model": "Xerox VersaLink C405",
        "address": "10.0.12.34",
        "at": "2026-12-03T08:00:00Z",
        "page_count": 123_456,
        "supplies": supplies,
    })
    .to_string()
}

/// The baseline: publish `messages` copies of `payload` with QoS 1 and wait
/// for every PubAck, nothing stored.
async fn bare_publisher(
    host: &str,
    port: u16,
    messages: u64,
    payload: &str,
) -> Result<Run, CommandError> {
    let mut options = MqttOptions::new("bench-baseline", host, port);
    options.set_inflight(INFLIGHT);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut events) = AsyncClient::new(options, usize::from(INFLIGHT) * 2);
    let started = Instant::now();
    let body = payload.as_bytes().to_vec();
    let publisher = tokio::spawn(async move {
        for _ in 0..messages {
            if client
                .publish("asr/v1/bench/levels", QoS::AtLeastOnce, false, body.clone())
                .await
                .is_err()
            {
                return;
            }
        }
    });
    let mut acked = 0u64;
    while acked < messages {
        match tokio::time::timeout(Duration::from_secs(30), events.poll()).await {
            Ok(Ok(Event::Incoming(Packet::PubAck(_)))) => acked += 1,
            Ok(Ok(Event::Outgoing(Outgoing::Disconnect))) => break,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(CommandError::Runtime(format!("baseline: {e}"))),
            Err(_) => return Err(CommandError::Runtime("baseline: broker went quiet".into())),
        }
    }
    let elapsed = started.elapsed();
    publisher.abort();
    Ok(Run {
        elapsed,
        messages: acked,
        write_bytes: None,
    })
}

/// The measured run: the gateway's uplink drains the store's outbox.
async fn drain(
    host: &str,
    port: u16,
    store: Arc<Store>,
    messages: u64,
) -> Result<Run, CommandError> {
    let gateway = GatewayId::new("bench").map_err(|e| CommandError::Runtime(e.to_string()))?;
    let mut config = UplinkConfig::new(host, port, gateway);
    config.transport = TransportSettings::tcp();
    config.max_inflight = INFLIGHT;
    let uplink = Uplink::new(config).map_err(|e| CommandError::Runtime(e.to_string()))?;
    let mut state = uplink.state();
    let (_status_tx, status_rx) = watch::channel(StatusPayload::new("bench", "bench"));
    let (commands, _commands_rx) = mpsc::channel(8);
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    let outbox = Arc::new(StoreOutbox(store.clone()));
    let written_before = proc_stats::write_bytes();
    let started = Instant::now();
    let task = tokio::spawn(async move {
        uplink
            .run(outbox, Arc::new(Notify::new()), status_rx, commands, token)
            .await
    });
    let done = tokio::time::timeout(
        Duration::from_secs(600),
        state.wait_for(|s| s.delivered >= messages),
    )
    .await
    .map(|r| r.map(|_| ()));
    let elapsed = started.elapsed();
    let written = match (written_before, proc_stats::write_bytes()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    shutdown.cancel();
    let _ = task.await;
    match done {
        Ok(Ok(_)) => {}
        _ => {
            return Err(CommandError::Runtime(format!(
                "the uplink did not drain the backlog: {:?}",
                state.borrow().last_error
            )));
        }
    }
    let left = store
        .outbox_depth()
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    if left != 0 {
        return Err(CommandError::Runtime(format!("{left} messages left")));
    }
    Ok(Run {
        elapsed,
        messages,
        write_bytes: written,
    })
}

fn split_host_port(addr: &str) -> Result<(String, u16), CommandError> {
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or_else(|| CommandError::Usage(format!("--broker {addr:?}: expected HOST:PORT")))?;
    let port = port
        .parse()
        .map_err(|_| CommandError::Usage(format!("--broker {addr:?}: bad port")))?;
    Ok((host.to_string(), port))
}

/// A Mosquitto started for the run (default configuration, loopback only).
struct BrokerProcess(Child);

impl BrokerProcess {
    fn start(dir: &Path, port: u16) -> Result<BrokerProcess, CommandError> {
        let binary = mosquitto_binary().ok_or_else(|| {
            CommandError::Runtime(
                "mosquitto not found (apt-get install mosquitto), or pass --broker HOST:PORT"
                    .into(),
            )
        })?;
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!("listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n"),
        )?;
        let child = Command::new(binary)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
            if Instant::now() > deadline {
                return Err(CommandError::Runtime("mosquitto did not start".into()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(BrokerProcess(child))
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Debian installs the broker in `/usr/sbin`, not always on `PATH`.
fn mosquitto_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join("mosquitto"))
        .find(|candidate| candidate.is_file())
}
