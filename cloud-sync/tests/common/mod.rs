//! Shared helpers of the uplink integration tests: a real broker on a free
//! loopback port, an MQTT subscriber, and an uplink running in a task.

#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use asr_cloud_sync::outbox::testing::MemoryOutbox;
use asr_cloud_sync::{
    Command, EmbeddedBroker, GatewayId, StatusPayload, Uplink, UplinkConfig, UplinkState,
    free_local_addr,
};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, Publish, QoS};
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

pub fn free_addr() -> SocketAddr {
    free_local_addr(LOOPBACK).expect("free port")
}

pub fn start_broker() -> EmbeddedBroker {
    EmbeddedBroker::start(free_addr()).expect("embedded broker")
}

/// Fast timings so tests do not wait for production delays.
pub fn fast_config(addr: SocketAddr, gateway: &str) -> UplinkConfig {
    let mut config = UplinkConfig::new(
        addr.ip().to_string(),
        addr.port(),
        GatewayId::new(gateway).expect("gateway id"),
    );
    config.keep_alive = Duration::from_secs(5);
    config.poll_interval = Duration::from_millis(200);
    config.retry_min = Duration::from_millis(100);
    config.retry_max = Duration::from_millis(400);
    config.max_inflight = 8;
    config.batch = 4;
    config.status_min_interval = Duration::from_millis(100);
    config.status_heartbeat = Duration::from_secs(30);
    config
}

/// A running uplink and the handles a gateway would hold.
pub struct Running {
    pub task: JoinHandle<Result<(), asr_cloud_sync::UplinkError>>,
    pub shutdown: CancellationToken,
    pub wake: Arc<Notify>,
    pub status: watch::Sender<StatusPayload>,
    pub commands: mpsc::Receiver<Command>,
    pub state: watch::Receiver<UplinkState>,
    /// The side door for messages the gateway could not store.
    pub memory: asr_cloud_sync::MemorySender,
}

pub fn spawn_uplink(config: UplinkConfig, outbox: Arc<MemoryOutbox>) -> Running {
    let mut initial = StatusPayload::new(config.gateway_id.as_str(), "0.1.0-test");
    initial.printers = 3;
    let (status, status_rx) = watch::channel(initial);
    let (command_tx, commands) = mpsc::channel(16);
    let wake = Arc::new(Notify::new());
    let shutdown = CancellationToken::new();
    let uplink = Uplink::new(config).expect("valid config");
    let state = uplink.state();
    let memory = uplink.memory_sender();
    let task = tokio::spawn(uplink.run(
        outbox,
        Arc::clone(&wake),
        status_rx,
        command_tx,
        shutdown.clone(),
    ));
    Running {
        task,
        shutdown,
        wake,
        status,
        commands,
        state,
        memory,
    }
}

/// Waits until `state` satisfies `pred`.
pub async fn wait_state(
    state: &mut watch::Receiver<UplinkState>,
    within: Duration,
    pred: impl Fn(&UplinkState) -> bool,
) -> UplinkState {
    tokio::time::timeout(within, state.wait_for(|s| pred(s)))
        .await
        .expect("uplink state not reached in time")
        .expect("uplink state channel open")
        .clone()
}

/// A plain MQTT client collecting every publish it receives.
pub struct Subscriber {
    pub client: AsyncClient,
    pub messages: mpsc::UnboundedReceiver<Publish>,
    task: JoinHandle<()>,
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Subscriber {
    /// Connects and subscribes to `filters`, returning once the broker acked
    /// every subscription.
    pub async fn connect(addr: SocketAddr, client_id: &str, filters: &[&str]) -> Subscriber {
        let mut options = MqttOptions::new(client_id, addr.ip().to_string(), addr.port());
        options.set_keep_alive(Duration::from_secs(5));
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        for filter in filters {
            client
                .subscribe(*filter, QoS::AtLeastOnce)
                .await
                .expect("subscribe request");
        }
        let (tx, messages) = mpsc::unbounded_channel();
        let (acked_tx, mut acked_rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let _ = tx.send(p);
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        let _ = acked_tx.send(());
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        for _ in filters {
            tokio::time::timeout(Duration::from_secs(5), acked_rx.recv())
                .await
                .expect("suback in time")
                .expect("suback");
        }
        Subscriber {
            client,
            messages,
            task,
        }
    }

    /// Next publish, or `None` after `within`.
    pub async fn next(&mut self, within: Duration) -> Option<Publish> {
        tokio::time::timeout(within, self.messages.recv())
            .await
            .ok()
            .flatten()
    }

    /// Receives until a publish on `topic` satisfies `pred`.
    pub async fn wait_for(
        &mut self,
        topic: &str,
        within: Duration,
        pred: impl Fn(&Publish) -> bool,
    ) -> Publish {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let p = self
                .next(left)
                .await
                .unwrap_or_else(|| panic!("no matching publish on {topic} within {within:?}"));
            if p.topic == topic && pred(&p) {
                return p;
            }
        }
    }
}

pub fn status_of(p: &Publish) -> StatusPayload {
    StatusPayload::from_json(&p.payload).expect("status JSON")
}
