//! Time you can trust, through the runtime's clock abstraction: a gateway
//! whose clock is not synchronised keeps polling but decides nothing — an
//! order asked for waits, no printer is alerted silent — until the clock is
//! synchronised and jumps 90 days ahead; the order then goes out stamped
//! with the right time. A synchronised clock that jumps a day ahead and is
//! pulled back makes no printer silent.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use asr_gateway::runtime::Gateway;
use asr_gateway::runtime::clock::Clock as _;
use asr_protocols::sim::{SimFleet, demo_fleet};
use asr_system_tests::{ManualClock, page, settings};
use serde_json::Value;
use tokio::sync::mpsc;

const STEP: Duration = Duration::from_secs(3600);

fn watch(port: u16) -> mpsc::UnboundedReceiver<(String, Value)> {
    let mut options = rumqttc::MqttOptions::new("clock-trust-watch", "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = rumqttc::AsyncClient::new(options, 100);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut subscribed = false;
        loop {
            match events.poll().await {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_))) if !subscribed => {
                    subscribed = true;
                    let _ = client
                        .subscribe("asr/v1/test-gw/#", rumqttc::QoS::AtLeastOnce)
                        .await;
                }
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => {
                    if let Ok(v) = serde_json::from_slice::<Value>(&p.payload) {
                        let _ = tx.send((p.topic.clone(), v));
                    }
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    rx
}

fn drain(rx: &mut mpsc::UnboundedReceiver<(String, Value)>) -> Vec<(String, Value)> {
    let mut got = Vec::new();
    while let Ok(m) = rx.try_recv() {
        got.push(m);
    }
    got
}

fn of_kind<'a>(got: &'a [(String, Value)], suffix: &str) -> Vec<&'a Value> {
    got.iter()
        .filter(|(t, _)| t.ends_with(suffix))
        .map(|(_, v)| v)
        .collect()
}

fn silent(got: &[(String, Value)]) -> usize {
    of_kind(got, "/alerts")
        .iter()
        .filter(|v| v["kind"] == "printer_silent")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_decided_on_an_untrusted_clock_nor_across_a_jump() {
    let specs: Vec<_> = demo_fleet(61).into_iter().take(3).collect();
    let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 0, 0, 244), 16_403, 0.0)
        .await
        .unwrap();
    let targets: Vec<SocketAddr> = fleet.members().iter().map(|m| m.addr()).collect();
    let broker_addr = asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    let _broker = asr_cloud_sync::EmbeddedBroker::start(broker_addr).unwrap();
    let mut messages = watch(broker_addr.port());
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Booted 90 days behind, not synchronised.
    let right = chrono::Utc::now();
    let clock = ManualClock::new(right - chrono::Duration::days(90));
    clock.set_synchronised(false);
    let dir = tempfile::tempdir().unwrap();
    let gateway = Gateway::start(settings(
        targets,
        &specs,
        &dir.path().join("gateway.db"),
        broker_addr.port(),
        clock.clone(),
        Duration::from_secs(3600),
    ))
    .await
    .unwrap();
    let http = gateway.http_addr().unwrap();
    let step = || async {
        clock.advance(STEP);
        gateway.poll_now();
        tokio::time::sleep(Duration::from_millis(150)).await;
        gateway.flush().await;
    };
    let serial = specs[0].serial.clone();
    let path = format!("/printers/{serial}?lang=en");
    for _ in 0..50 {
        if page::get(http, &path).await.status().as_u16() == 200 {
            break;
        }
        step().await;
    }
    assert_eq!(
        page::get(http, &path).await.status().as_u16(),
        200,
        "polled"
    );
    let asked = page::submit(
        http,
        &path,
        &format!("/printers/{serial}/order?lang=en"),
        &[("supply_index", "1"), ("quantity", "1")],
    )
    .await;
    assert_eq!(asked.status().as_u16(), 303);
    // Three days of untrusted time pass, the printers polled hourly, then
    // all fall silent for two days: nothing is decided.
    for _ in 0..(3 * 24) {
        step().await;
    }
    fleet.shutdown().await;
    for _ in 0..48 {
        clock.advance(STEP);
        gateway.poll_now();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    gateway.flush().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let untrusted = drain(&mut messages);
    assert!(of_kind(&untrusted, "/orders").is_empty(), "no order");
    assert_eq!(silent(&untrusted), 0, "no silence decided");
    assert!(
        of_kind(&untrusted, "/levels")
            .iter()
            .all(|v| v["clock_synced"] == false)
    );

    // NTP answers: synchronised, 90 days ahead.
    clock.jump(chrono::Duration::days(90));
    clock.set_synchronised(true);
    let synced_at = clock.now();
    gateway.poll_now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    gateway.flush().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let trusted = drain(&mut messages);
    let orders = of_kind(&trusted, "/orders");
    assert_eq!(orders.len(), 1, "the order asked for goes out: {orders:?}");
    let created: chrono::DateTime<chrono::Utc> =
        orders[0]["created_at"].as_str().unwrap().parse().unwrap();
    // Decided once the clock is right, stamped with the right time (not
    // 90 days in the past).
    let off = (synced_at - created).num_seconds().abs();
    assert!(
        off < 3600,
        "stamped on the right timeline: {created} vs {synced_at}"
    );
    assert_eq!(orders[0]["clock_synced"], true);
    // The printers have been silent for two days of real time: that is
    // decided now, on the right clock, and only once.
    let silences = silent(&trusted);
    assert!(silences <= specs.len(), "{silences} silence alerts");

    // Synchronised, then a day ahead, then pulled back: no new silence.
    clock.jump(chrono::Duration::days(1));
    gateway.poll_now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    clock.jump(chrono::Duration::days(-1));
    gateway.poll_now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    gateway.flush().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let jumps = drain(&mut messages);
    assert_eq!(silent(&jumps), 0, "no printer silent because of the jumps");
    assert!(of_kind(&jumps, "/orders").is_empty());
    gateway.shutdown().await;
}
