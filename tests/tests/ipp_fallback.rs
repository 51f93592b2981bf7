//! A printer whose SNMP is switched off, polled over IPP by the running
//! gateway (`auto`: SNMP first, IPP when SNMP does not answer) and ordered
//! for like the others, on a hand-moved clock.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use asr_gateway::runtime::Gateway;
use asr_protocols::sim::{FleetOptions, Misbehaviour, SimFleet, demo_fleet};
use asr_system_tests::{ManualClock, settings};

const STEP: Duration = Duration::from_secs(6 * 3600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printer_with_snmp_off_is_read_over_ipp_and_ordered_for() {
    let specs: Vec<_> = demo_fleet(31).into_iter().take(3).collect();
    let opts = FleetOptions {
        ipp_port: Some(16_831),
        ..FleetOptions::default()
    };
    let fleet = SimFleet::start_with(
        specs.clone(),
        Ipv4Addr::new(127, 0, 0, 200),
        16_375,
        0.0,
        &opts,
    )
    .await
    .unwrap();
    let off = &fleet.members()[0];
    off.agent.set_misbehaviour(Misbehaviour::Timeout);
    let dir = tempfile::tempdir().unwrap();
    let targets: Vec<SocketAddr> = fleet.members().iter().map(|m| m.addr()).collect();
    let mqtt_port = asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST))
        .unwrap()
        .port();
    let clock = ManualClock::new(chrono::Utc::now());
    let mut s = settings(
        targets,
        &specs,
        &dir.path().join("gateway.db"),
        mqtt_port,
        clock.clone(),
        Duration::from_secs(3600),
    );
    s.ipp_port = 16_831;
    let gateway = Gateway::start(s).await.unwrap();

    let serial = specs[0].serial.clone();
    let mut ordered = false;
    for _ in 0..400 {
        fleet.advance(STEP);
        clock.advance(STEP);
        gateway.poll_now();
        tokio::time::sleep(Duration::from_millis(120)).await;
        gateway.flush().await;
        let orders = gateway.store().recent_orders(1000).unwrap();
        ordered = orders.iter().any(|o| {
            o.payload["lines"]
                .as_array()
                .is_some_and(|lines| lines.iter().any(|l| l["printer"] == serial.as_str()))
        });
        if ordered {
            break;
        }
    }
    let row = gateway
        .store()
        .printer(&serial)
        .unwrap()
        .expect("known by its serial");
    assert!(row.last_poll_ok, "{row:?}");
    assert!(ordered, "an order names the printer read over IPP");
    gateway.shutdown().await;
    fleet.shutdown().await;
}

/// `set_printer {"protocol": "ipp"}` over MQTT: the printer answers SNMP,
/// yet it is read over IPP from the next poll, and the page says so; the
/// choice survives in the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protocol_chosen_remotely_is_used_from_the_next_poll() {
    let specs: Vec<_> = demo_fleet(33).into_iter().take(2).collect();
    let opts = FleetOptions {
        ipp_port: Some(16_832),
        ..FleetOptions::default()
    };
    let fleet = SimFleet::start_with(
        specs.clone(),
        Ipv4Addr::new(127, 0, 0, 210),
        16_376,
        0.0,
        &opts,
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let targets: Vec<SocketAddr> = fleet.members().iter().map(|m| m.addr()).collect();
    let broker_addr = asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    let _broker = asr_cloud_sync::EmbeddedBroker::start(broker_addr).unwrap();
    let clock = ManualClock::new(chrono::Utc::now());
    let mut s = settings(
        targets,
        &specs,
        &dir.path().join("gateway.db"),
        broker_addr.port(),
        clock.clone(),
        Duration::from_secs(3600),
    );
    s.ipp_port = 16_832;
    let gateway = Gateway::start(s).await.unwrap();
    let http = gateway.http_addr().unwrap();
    let serial = specs[0].serial.clone();
    let read_over = |api: &serde_json::Value| {
        api["printers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["serial"] == serial.as_str())
            .map(|p| {
                (
                    p["read_over"].clone(),
                    p["registration"]["protocol"].clone(),
                )
            })
    };
    let status = || async {
        asr_system_tests::page::get(http, "/api/status")
            .await
            .json::<serde_json::Value>()
            .await
            .unwrap()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while read_over(&status().await) != Some(("snmp".into(), "auto".into())) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "read over SNMP first"
        );
        gateway.poll_now();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let mut options = rumqttc::MqttOptions::new("protocol-setter", "127.0.0.1", broker_addr.port());
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = rumqttc::AsyncClient::new(options, 10);
    client
        .publish(
            "asr/v1/test-gw/cmd/set_printer/p1",
            rumqttc::QoS::AtLeastOnce,
            false,
            format!(r#"{{"serial":"{serial}","protocol":"ipp"}}"#),
        )
        .await
        .unwrap();
    tokio::spawn(async move { while events.poll().await.is_ok() {} });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while read_over(&status().await) != Some(("ipp".into(), "ipp".into())) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "read over IPP once chosen"
        );
        gateway.poll_now();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        gateway
            .store()
            .meta_get(&format!("protocol:{serial}"))
            .unwrap()
            .as_deref(),
        Some("ipp")
    );
    gateway.shutdown().await;
    fleet.shutdown().await;
}
