//! The supplier's side scaled out: two reference consumers (`upstream`) in
//! one MQTT 5 shared-subscription group on a real Mosquitto, fed by three
//! gateways' uplinks, plus a burst of duplicate deliveries (what a gateway
//! resending after a lost PubAck looks like). Every order is processed
//! exactly once across the two — both take a share — every duplicate is
//! dropped, and every order gets its `accepted` status back at its gateway.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use asr_cloud_sync::consumer::{self, ConsumerConfig, ConsumerStats, Ledger};
use asr_cloud_sync::outbox::testing::MemoryOutbox;
use asr_cloud_sync::{
    Command, CommandAction, GatewayId, MessageKind, OrderState, StatusPayload, TransportSettings,
    Uplink, UplinkConfig,
};
use asr_system_tests::mosquitto::Mosquitto;
use rumqttc::{AsyncClient, MqttOptions, QoS};
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc, watch};
use tokio_util::sync::CancellationToken;

const GATEWAYS: [&str; 3] = ["site-a", "site-b", "site-c"];
const ORDERS_EACH: usize = 60;
const DUPLICATES: usize = 45;

fn free_port() -> u16 {
    asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST))
        .unwrap()
        .port()
}

fn order_id(gateway: &str, i: usize) -> String {
    format!("{gateway}-ord-{i:03}")
}

fn start_consumer(
    port: u16,
    name: &str,
    dir: &Path,
    shutdown: &CancellationToken,
) -> watch::Receiver<ConsumerStats> {
    let config = ConsumerConfig {
        host: "127.0.0.1".into(),
        port,
        transport: TransportSettings::tcp(),
        credentials: None,
        group: "backoffice".into(),
        client_id: format!("upstream-{name}"),
        ledger: dir.join("ledger.sqlite"),
        out: Some(dir.join(format!("{name}.jsonl"))),
        respond: Some(OrderState::Accepted),
        session_expiry: Duration::from_secs(3600),
        catalog: Default::default(),
    };
    let (tx, rx) = watch::channel(ConsumerStats::default());
    let token = shutdown.clone();
    tokio::spawn(async move { consumer::run(config, tx, token).await.unwrap() });
    rx
}

/// A gateway uplink with `ORDERS_EACH` orders waiting; returns the commands
/// (order statuses) it receives.
fn start_gateway(
    port: u16,
    gateway: &str,
    shutdown: &CancellationToken,
) -> mpsc::Receiver<Command> {
    let mut config = UplinkConfig::new("127.0.0.1", port, GatewayId::new(gateway).unwrap());
    config.retry_min = Duration::from_millis(200);
    config.poll_interval = Duration::from_millis(100);
    let uplink = Uplink::new(config).unwrap();
    let outbox = Arc::new(MemoryOutbox::new());
    for i in 0..ORDERS_EACH {
        let id = order_id(gateway, i);
        outbox.push(
            MessageKind::Order,
            json!({ "id": id, "order_id": id, "lines": [{ "printer": "SN1", "quantity": 1 }] })
                .to_string()
                .into_bytes(),
        );
    }
    let (status_tx, status_rx) = watch::channel(StatusPayload::new(gateway, "test"));
    let (commands, commands_rx) = mpsc::channel(1024);
    let token = shutdown.clone();
    tokio::spawn(async move {
        let _keep = status_tx;
        let _ = uplink
            .run(outbox, Arc::new(Notify::new()), status_rx, commands, token)
            .await;
    });
    commands_rx
}

async fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_consumers_in_one_group_process_every_order_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _broker = Mosquitto::start(&dir.path().join("broker"), port, "");
    let shutdown = CancellationToken::new();

    let one = start_consumer(port, "one", dir.path(), &shutdown);
    let two = start_consumer(port, "two", dir.path(), &shutdown);
    wait_until("both consumers subscribed", Duration::from_secs(10), || {
        one.borrow().subscribed && two.borrow().subscribed
    })
    .await;

    let mut gateways: HashMap<&str, mpsc::Receiver<Command>> = GATEWAYS
        .iter()
        .map(|g| (*g, start_gateway(port, g, &shutdown)))
        .collect();

    let total = GATEWAYS.len() * ORDERS_EACH;
    wait_until(
        "every order handled by the group",
        Duration::from_secs(30),
        || one.borrow().received + two.borrow().received >= total as u64,
    )
    .await;

    // Then duplicates, as a gateway resending after a lost PubAck sends them.
    let mut options = MqttOptions::new("resender", "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(5));
    let (resender, mut events) = AsyncClient::new(options, 100);
    tokio::spawn(async move { while events.poll().await.is_ok() {} });
    for i in 0..DUPLICATES {
        let gateway = GATEWAYS[i % GATEWAYS.len()];
        let id = order_id(gateway, i);
        resender
            .publish(
                format!("asr/v1/{gateway}/orders"),
                QoS::AtLeastOnce,
                false,
                json!({ "id": id, "order_id": id, "lines": [] }).to_string(),
            )
            .await
            .unwrap();
    }
    let expected_deliveries = (total + DUPLICATES) as u64;
    wait_until(
        "every duplicate handled by the group",
        Duration::from_secs(30),
        || one.borrow().received + two.borrow().received >= expected_deliveries,
    )
    .await;

    let (a, b) = (one.borrow().clone(), two.borrow().clone());
    // Exactly once across the group, and the load is shared.
    assert_eq!(a.orders + b.orders, total as u64, "{a:?} {b:?}");
    assert_eq!(
        a.duplicates + b.duplicates,
        DUPLICATES as u64,
        "{a:?} {b:?}"
    );
    assert!(
        a.orders > 0 && b.orders > 0,
        "both take a share: {a:?} {b:?}"
    );
    assert_eq!(a.malformed + b.malformed, 0);

    // The ledger and the JSON lines agree: each order once, in one file.
    let ledger = Ledger::open(&dir.path().join("ledger.sqlite")).unwrap();
    assert_eq!(ledger.count("order").unwrap(), total as u64);
    let mut seen = HashSet::new();
    for name in ["one", "two"] {
        for line in lines(&dir.path().join(format!("{name}.jsonl"))) {
            let key = format!(
                "{}/{}",
                line["gateway"].as_str().unwrap(),
                line["message"]["id"].as_str().unwrap()
            );
            assert!(seen.insert(key.clone()), "{key} processed twice");
            assert_eq!(
                ledger.processed_by(&key).unwrap().as_deref(),
                Some(format!("upstream-{name}").as_str())
            );
            // The gateway's envelope came through.
            assert_eq!(
                line["message"]["schema_version"],
                asr_cloud_sync::SCHEMA_VERSION
            );
            assert_eq!(line["message"]["gateway_id"], line["gateway"]);
        }
    }
    assert_eq!(seen.len(), total);

    // Every order's `accepted` came back down to its own gateway.
    for (gateway, commands) in &mut gateways {
        let mut accepted = HashSet::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while accepted.len() < ORDERS_EACH {
            let command = tokio::time::timeout_at(deadline, commands.recv())
                .await
                .unwrap_or_else(|_| panic!("{gateway}: {} accepted", accepted.len()))
                .unwrap();
            if let CommandAction::OrderStatus(update) = &command.action {
                assert_eq!(update.status, OrderState::Accepted);
                assert!(update.order_id.starts_with(gateway), "{update:?}");
                accepted.insert(update.order_id.clone());
            }
        }
    }
    shutdown.cancel();
}
