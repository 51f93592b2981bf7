//! The whole gateway through real parts: simulated printers answering SNMP
//! over UDP on 127.0.0.x, the embedded MQTT broker, the gateway with its
//! SQLite file, and the status page over HTTP — exactly what `demo` runs.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use asr_gateway::cli::DemoArgs;
use asr_gateway::commands::demo::Demo;
use asr_protocols::sim::demo_fleet;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;

/// Simulated seconds per real second: a month in about 13 s.
const SPEED: f64 = 200_000.0;

fn demo_args(mqtt_port: u16, fleet_ip: Ipv4Addr, data_dir: &std::path::Path) -> DemoArgs {
    DemoArgs {
        speed: SPEED,
        mqtt_port,
        http: SocketAddr::from(([127, 0, 0, 1], 0)),
        printers: 12,
        snmp_port: 16_161,
        ipp_port: asr_cloud_sync::free_local_addr(std::net::IpAddr::V4(
            std::net::Ipv4Addr::LOCALHOST,
        ))
        .unwrap()
        .port(),
        fleet_ip,
        data_dir: Some(data_dir.to_path_buf()),
        seed: 7,
        duration: None,
        admin_password: Some(asr_system_tests::page::ADMIN_PASSWORD.into()),
        https: false,
        gateway_id: "demo".into(),
        broker: None,
        some_remaining: 0,
    }
}

/// Subscribes to everything the gateway publishes, before it starts.
async fn subscriber(port: u16) -> rumqttc::EventLoop {
    let mut options = MqttOptions::new("e2e-watcher", "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = AsyncClient::new(options, 100);
    client
        .subscribe("asr/v1/demo/#", QoS::AtLeastOnce)
        .await
        .expect("subscribe");
    // Drive the connection until the subscription is acknowledged.
    loop {
        match tokio::time::timeout(Duration::from_secs(5), events.poll()).await {
            Ok(Ok(Event::Incoming(Packet::SubAck(_)))) => break,
            Ok(Ok(_)) => {}
            other => panic!("subscriber could not connect: {other:?}"),
        }
    }
    std::mem::forget(client);
    events
}

/// The status page's JSON.
async fn api_status(http: SocketAddr) -> Value {
    asr_system_tests::page::get(http, "/api/status")
        .await
        .json()
        .await
        .expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consolidated_order_arrives_over_mqtt_and_the_page_lists_every_printer() {
    let broker_addr =
        asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST)).expect("free port");
    let dir = tempfile::tempdir().expect("tempdir");
    let args = demo_args(broker_addr.port(), Ipv4Addr::new(127, 0, 0, 40), dir.path());
    // Broker first, then the subscriber, then the gateway: nothing can be missed.
    let broker = asr_cloud_sync::EmbeddedBroker::start(broker_addr).expect("broker");
    let mut events = subscriber(broker_addr.port()).await;
    let demo = Demo::start_with_broker(&args, broker)
        .await
        .expect("demo starts");

    let fleet = demo_fleet(7);
    let owner: HashMap<String, (String, String)> = fleet
        .iter()
        .map(|s| (s.serial.clone(), (s.site.clone(), s.contact.clone())))
        .collect();

    // Wait for an order (the demo promises one within two minutes at default
    // speed; this runs ~5x faster, so one minute is a generous bound).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut order: Option<Value> = None;
    let mut status: Option<Value> = None;
    while order.is_none() {
        let event = tokio::time::timeout_at(deadline, events.poll())
            .await
            .expect("an order within 60 s")
            .expect("subscriber connection");
        if let Event::Incoming(Packet::Publish(p)) = event {
            let body: Value = serde_json::from_slice(&p.payload).expect("JSON payload");
            if p.topic == "asr/v1/demo/orders" {
                order = Some(body);
            } else if p.topic == "asr/v1/demo/status" {
                status = Some(body);
            }
        }
    }
    let order = order.expect("order");
    let site = order["site"].as_str().expect("site");
    let contact = order["contact"].as_str().expect("contact");
    assert!(
        order["order_id"].as_str().is_some_and(|id| !id.is_empty()),
        "stable order id: {order}"
    );
    assert!(
        order["created_at"].as_str().is_some(),
        "created_at: {order}"
    );
    let lines = order["lines"].as_array().expect("lines");
    assert!(!lines.is_empty());
    for line in lines {
        let serial = line["printer"]
            .as_str()
            .expect("line names the printer serial");
        let (s, c) = owner
            .get(serial)
            .unwrap_or_else(|| panic!("unknown serial {serial}"));
        assert_eq!(
            (s.as_str(), c.as_str()),
            (site, contact),
            "every line belongs to the order's site and contact"
        );
        assert!(line["quantity"].as_u64().is_some_and(|q| q >= 1));
        assert!(line["supply_type"].as_str().is_some());
        // What a supplier needs to ship it without a lookup.
        assert!(
            ["forecast", "manual", "express"].contains(&line["reason"].as_str().unwrap_or("")),
            "{line}"
        );
        assert!(line["printer_model"].as_str().is_some(), "{line}");
        assert!(line["description"].as_str().is_some(), "{line}");
        match line["part_number"].as_str() {
            Some(_) => assert_eq!(line["part_number_source"], "printer", "{line}"),
            None => assert!(line["part_number_source"].is_null(), "{line}"),
        }
    }
    assert_eq!(order["schema_version"], asr_cloud_sync::SCHEMA_VERSION);
    let status = status.expect("retained status received on subscribe");
    assert_eq!(status["online"], Value::Bool(true));

    // The status page lists every printer, by serial, with site and contact.
    // (The printer with SNMP off is known after its first SNMP timeout and
    // IPP read: it may come after the first order.)
    let http = demo.gateway.http_addr().expect("status page");
    let expected: HashSet<String> = owner.keys().cloned().collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let api = loop {
        let api = api_status(http).await;
        let listed: HashSet<String> = api["printers"]
            .as_array()
            .expect("printers")
            .iter()
            .filter_map(|p| p["serial"].as_str().map(str::to_owned))
            .collect();
        if listed == expected {
            break api;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "every simulated printer is listed: {listed:?} vs {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // The demo's first printer has SNMP off: it is read over IPP.
    let read_over = |serial: &str| {
        api["printers"]
            .as_array()
            .expect("printers")
            .iter()
            .find(|p| p["serial"] == serial)
            .map(|p| p["read_over"].clone())
    };
    let members = demo.fleet.members();
    assert_eq!(read_over(&members[0].name), Some(Value::from("ipp")));
    assert_eq!(read_over(&members[1].name), Some(Value::from("snmp")));
    let html = asr_system_tests::page::get(http, "/?lang=fr")
        .await
        .text()
        .await
        .expect("HTML");
    for serial in &expected {
        assert!(html.contains(serial), "page lists {serial}");
    }
    // Acknowledged deliveries are recorded in batches; the page shows the last one.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let api = api_status(http).await;
        if api["uplink"]["last_sent_at"].as_str().is_some() {
            assert_eq!(api["uplink"]["connected"], Value::Bool(true));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the page shows when the broker last acknowledged a message: {}",
            api["uplink"]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        api["orders"].as_array().is_some_and(|o| !o.is_empty()),
        "page shows the order"
    );

    demo.stop().await;
}
