//! An embedded MQTT broker (rumqttd) for the demo and the tests.
//!
//! rumqttd's `Broker::start` blocks forever and has no shutdown API, so the
//! broker runs on a dedicated thread and lives until the process exits:
//! dropping an [`EmbeddedBroker`] does *not* stop it. Tests that need a
//! broker to disappear should use a fresh port per test instead.
//!
//! rumqttd only logs (and its listener thread dies) when its port is taken,
//! so [`EmbeddedBroker::start`] checks the port first and then waits until
//! the broker accepts TCP connections before returning.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};
use thiserror::Error;

/// How long [`EmbeddedBroker::start`] waits for the listener to come up.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Error)]
pub enum BrokerError {
    #[error("cannot start the embedded MQTT broker: port in use on {addr}: {source}")]
    PortInUse {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot spawn the embedded MQTT broker thread: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("the embedded MQTT broker on {addr} stopped during startup: {reason}")]
    Died { addr: SocketAddr, reason: String },
    #[error("the embedded MQTT broker on {addr} did not accept connections within {timeout:?}")]
    Timeout { addr: SocketAddr, timeout: Duration },
    #[error("cannot find a free local port: {0}")]
    NoFreePort(#[source] std::io::Error),
}

/// A running rumqttd broker (MQTT 3.1.1, plain TCP, anonymous access).
#[derive(Debug)]
pub struct EmbeddedBroker {
    addr: SocketAddr,
}

impl EmbeddedBroker {
    /// Starts a broker listening on `addr` (port 0 is not supported: rumqttd
    /// does not report the port it picked; use [`free_local_addr`]).
    pub fn start(addr: SocketAddr) -> Result<EmbeddedBroker, BrokerError> {
        Self::start_with_v5(addr, None)
    }

    /// Like [`EmbeddedBroker::start`], with an MQTT 5 listener on `v5` too
    /// (same broker, same topics): what `asr-gateway upstream` connects to,
    /// since shared subscriptions are an MQTT 5 feature.
    pub fn start_with_v5(
        addr: SocketAddr,
        v5: Option<SocketAddr>,
    ) -> Result<EmbeddedBroker, BrokerError> {
        // Probe the ports ourselves: rumqttd would only log the bind error.
        for a in std::iter::once(addr).chain(v5) {
            drop(
                TcpListener::bind(a)
                    .map_err(|source| BrokerError::PortInUse { addr: a, source })?,
            );
        }

        let config = broker_config(addr, v5);
        let handle = thread::Builder::new()
            .name(format!("mqtt-broker-{}", addr.port()))
            .spawn(move || {
                let mut broker = Broker::new(config);
                // Returns only when every listener thread has ended.
                match broker.start() {
                    Ok(()) => "listener stopped (port taken or bind failed?)".to_string(),
                    Err(e) => e.to_string(),
                }
            })
            .map_err(BrokerError::Spawn)?;

        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                tracing::info!(%addr, "embedded MQTT broker accepting connections");
                return Ok(EmbeddedBroker { addr });
            }
            if handle.is_finished() {
                let reason = handle
                    .join()
                    .unwrap_or_else(|_| "broker thread panicked".to_string());
                return Err(BrokerError::Died { addr, reason });
            }
            if Instant::now() >= deadline {
                return Err(BrokerError::Timeout {
                    addr,
                    timeout: STARTUP_TIMEOUT,
                });
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// A currently free TCP address on `ip` (e.g. `127.0.0.1`). Another process
/// could take it before it is used; good enough for tests and demos.
pub fn free_local_addr(ip: std::net::IpAddr) -> Result<SocketAddr, BrokerError> {
    let listener = TcpListener::bind((ip, 0)).map_err(BrokerError::NoFreePort)?;
    listener.local_addr().map_err(BrokerError::NoFreePort)
}

fn broker_config(addr: SocketAddr, v5_addr: Option<SocketAddr>) -> Config {
    // RouterConfig::default() is all zeros, which makes rumqttd refuse every
    // connection and drop every message: size it explicitly.
    let router = RouterConfig {
        max_connections: 1024,
        max_outgoing_packet_count: 200,
        max_segment_size: 16 * 1024 * 1024,
        max_segment_count: 8,
        ..RouterConfig::default()
    };
    let server = ServerSettings {
        name: format!("v4-{}", addr.port()),
        listen: addr,
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 10_000,
            max_payload_size: 1024 * 1024,
            max_inflight_count: 256,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    let v5 = v5_addr.map(|listen| {
        let mut v5 = HashMap::new();
        v5.insert(
            "v5".to_string(),
            ServerSettings {
                name: format!("v5-{}", listen.port()),
                listen,
                ..server.clone()
            },
        );
        v5
    });
    let mut v4 = HashMap::new();
    v4.insert("v4".to_string(), server);
    Config {
        id: 0,
        router,
        v4: Some(v4),
        v5,
        ..Config::default()
    }
}
