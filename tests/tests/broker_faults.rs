//! The broker killed with SIGKILL in the middle of a stream of orders and
//! alerts, then restarted with its persistence file: every order, alert and
//! command answer the gateway made reaches a consumer with a persistent
//! session, orders in the order they were decided, each at least once and,
//! after the consumer drops duplicates by id, exactly once. A command sent
//! while the gateway was cut off waits at the broker and is answered.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use asr_gateway::runtime::Gateway;
use asr_protocols::sim::{SimFleet, demo_fleet};
use asr_system_tests::mosquitto::Mosquitto;
use asr_system_tests::{ManualClock, settings};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;
use tokio::sync::mpsc;

const STEP: Duration = Duration::from_secs(6 * 3600);

async fn step(fleet: &SimFleet, clock: &ManualClock, gateway: &Gateway) {
    fleet.advance(STEP);
    clock.advance(STEP);
    gateway.poll_now();
    tokio::time::sleep(Duration::from_millis(60)).await;
    gateway.flush().await;
}

/// A back office with a persistent session: what arrives while it is
/// connected, and what the broker kept for it while it was not.
fn consumer(port: u16) -> (AsyncClient, mpsc::UnboundedReceiver<(String, Value)>) {
    let mut options = MqttOptions::new("broker-faults-consumer", "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(5));
    options.set_clean_session(false);
    let (client, mut events) = AsyncClient::new(options, 100);
    let (tx, rx) = mpsc::unbounded_channel();
    let subscriber = client.clone();
    tokio::spawn(async move {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(ack))) if !ack.session_present => {
                    for topic in [
                        "asr/v1/test-gw/orders",
                        "asr/v1/test-gw/alerts",
                        "asr/v1/test-gw/cmd/+/+/res",
                    ] {
                        let _ = subscriber.try_subscribe(topic, QoS::AtLeastOnce);
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if let Ok(v) = serde_json::from_slice::<Value>(&p.payload)
                        && tx.send((p.topic.clone(), v)).is_err()
                    {
                        return;
                    }
                }
                Ok(_) => {}
                // The broker is down: rumqttc reconnects on the next poll.
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    });
    (client, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_killed_mid_stream_loses_no_order_alert_or_answer() {
    let dir = tempfile::tempdir().unwrap();
    let port = asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST))
        .unwrap()
        .port();
    let mut broker = Mosquitto::start(&dir.path().join("broker"), port, "");
    let (cloud, mut received) = consumer(port);

    let specs = demo_fleet(23);
    let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 0, 0, 160), 16_191, 0.0)
        .await
        .unwrap();
    let targets: Vec<SocketAddr> = fleet.members().iter().map(|m| m.addr()).collect();
    let clock = ManualClock::new(chrono::Utc::now());
    let gateway = Gateway::start(settings(
        targets,
        &specs,
        &dir.path().join("gw.db"),
        port,
        clock.clone(),
        Duration::from_secs(3600),
    ))
    .await
    .unwrap();

    // The stream starts; a command is answered around the kill.
    let mut steps = 0;
    while gateway.store().recent_orders(100).unwrap().len() < 2 {
        step(&fleet, &clock, &gateway).await;
        steps += 1;
        assert!(steps < 200, "orders within 50 simulated days");
    }
    cloud
        .publish(
            "asr/v1/test-gw/cmd/get_status/before-kill",
            QoS::AtLeastOnce,
            false,
            "{}",
        )
        .await
        .unwrap();
    step(&fleet, &clock, &gateway).await;
    broker.kill9();

    // Decisions go on while the broker is gone.
    let during = gateway.store().recent_orders(1000).unwrap().len();
    for _ in 0..60 {
        step(&fleet, &clock, &gateway).await;
    }
    assert!(
        gateway.store().outbox_depth().unwrap() > 0,
        "buffered while down"
    );

    // Back with its persistence file; a command sent before the gateway is
    // back waits in the gateway's persistent session.
    broker.restart();
    cloud
        .publish(
            "asr/v1/test-gw/cmd/get_status/while-away",
            QoS::AtLeastOnce,
            false,
            "{}",
        )
        .await
        .unwrap();
    for _ in 0..20 {
        step(&fleet, &clock, &gateway).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while gateway.store().outbox_depth().unwrap() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "outbox drained within 60 s of the restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Everything decided reached the back office.
    let orders = gateway.store().recent_orders(10_000).unwrap();
    assert!(
        orders.len() > during,
        "orders decided while the broker was down"
    );
    let mut want_orders: Vec<(chrono::DateTime<chrono::Utc>, String)> = orders
        .iter()
        .map(|o| (o.created_at, o.order_id.clone()))
        .collect();
    want_orders.sort();
    let want_alerts: HashSet<String> = gateway
        .store()
        .recent_alerts(10_000)
        .unwrap()
        .into_iter()
        .filter_map(|a| a.payload["id"].as_str().map(str::to_string))
        .collect();
    let mut first_seen: Vec<String> = Vec::new();
    let mut copies = 0usize;
    let mut alerts: HashSet<String> = HashSet::new();
    let mut answers: HashSet<String> = HashSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while first_seen.len() < want_orders.len()
        || !alerts.is_superset(&want_alerts)
        || answers.len() < 2
    {
        let (topic, v) = tokio::time::timeout_at(deadline, received.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "missing after the restart: {} of {} orders, {} of {} alerts, answers {answers:?}",
                    first_seen.len(),
                    want_orders.len(),
                    alerts.len(),
                    want_alerts.len()
                )
            })
            .unwrap();
        if topic.ends_with("/orders") {
            copies += 1;
            let id = v["order_id"].as_str().unwrap().to_string();
            if !first_seen.contains(&id) {
                first_seen.push(id);
            }
        } else if topic.ends_with("/alerts") {
            alerts.insert(v["id"].as_str().unwrap().to_string());
        } else if v["status"] == "successful" {
            answers.insert(v["id"].as_str().unwrap().to_string());
        }
    }
    let in_decision_order: Vec<String> = want_orders.into_iter().map(|(_, id)| id).collect();
    assert_eq!(
        first_seen, in_decision_order,
        "each order once after dedupe, in the order decided"
    );
    assert!(copies >= first_seen.len());
    assert!(answers.contains("before-kill") && answers.contains("while-away"));
    eprintln!(
        "{} orders ({copies} copies), {} alerts, answers {answers:?}",
        first_seen.len(),
        alerts.len()
    );
    gateway.shutdown().await;
    fleet.shutdown().await;
}
