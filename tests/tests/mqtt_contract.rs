//! The MQTT contract cannot drift from the code: every payload the running
//! gateway (`demo`: simulated printers, embedded broker) publishes — status,
//! orders, levels, alerts, events, command answers, order-status answers —
//! and every command body a supplier sends is validated against the JSON
//! Schemas of `docs/asyncapi.yaml`. A field added, renamed or retyped on
//! one side and not the other fails here.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use asr_gateway::cli::DemoArgs;
use asr_gateway::commands::demo::Demo;
use asr_system_tests::contract::check;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{Value, json};

/// Which schema a topic's payloads follow.
fn schema_of(topic: &str) -> Option<&'static str> {
    let rest = topic.strip_prefix("asr/v1/demo/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    Some(match parts.as_slice() {
        ["status"] => "Status",
        ["orders"] => "Order",
        ["alerts"] => "Alert",
        ["levels"] => "Levels",
        ["events"] => "Event",
        ["lives"] => "Lives",
        ["cmd", _, _, "res"] | ["orders", _, "status", "res"] | ["catalog", "res"] => {
            "CommandResult"
        }
        _ => return None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_payload_and_command_matches_the_asyncapi_schemas() {
    let names = [
        "Status",
        "Order",
        "Alert",
        "Levels",
        "Event",
        "CommandResult",
        "PollNow",
        "SetPrinter",
        "ForgetPrinter",
        "SetConfig",
        "AckAlert",
        "NoParameters",
        "OrderStatus",
        "Lives",
        "Catalog",
    ];
    let validators = asr_system_tests::contract::validators(&names);

    // The bodies a supplier sends, as docs/mqtt.md shows them.
    let commands: Vec<(&str, &str, Value)> = vec![
        ("poll_now", "PollNow", json!({})),
        (
            "set_config",
            "SetConfig",
            json!({ "key": "engine.lead_time_days", "value": 5 }),
        ),
        (
            "set_config",
            "SetConfig",
            json!({ "key": "gateway.poll_interval", "value": "10m" }),
        ),
        ("get_config", "NoParameters", json!({})),
        ("get_status", "NoParameters", json!({})),
        ("get_diagnostics", "NoParameters", json!({})),
        ("rescan", "NoParameters", json!({})),
        (
            "ack_alert",
            "AckAlert",
            json!({ "alert_id": "alert-0-unknown" }),
        ),
        (
            "set_printer",
            "SetPrinter",
            json!({ "serial": "NOT-A-PRINTER", "site": "HQ", "postal_address": "1 rue de la Paix, 75002 Paris" }),
        ),
        (
            "forget_printer",
            "ForgetPrinter",
            json!({ "serial": "NOT-A-PRINTER" }),
        ),
    ];
    for (name, schema, body) in &commands {
        check(&validators, schema, &format!("{name} body"), body);
    }
    // A catalogue as docs/mqtt.md shows it, and what the gateway parses.
    let catalogue = json!({
        "catalog_version": 7,
        "supplier": "Supplies & Co",
        "entries": [
            {"model": "HP LaserJet Pro M404dn", "supply_type": "toner", "colorant": "black",
             "part_numbers": ["CF259A", "CF259X"], "description": "HP 59A black toner",
             "rated_yield_pages": 3000,
             "learned": {"median_pages": 2700, "low_pages": 2300, "count": 42, "sites": 9}},
            {"model": "Brother MFC-L8900CDW", "supply_type": "wasteToner", "part_numbers": ["WT-229CL"]}
        ]
    });
    check(&validators, "Catalog", "catalogue", &catalogue);
    asr_cloud_sync::parse_catalog(catalogue.to_string().as_bytes()).expect("the gateway takes it");

    let broker_addr = asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let args = DemoArgs {
        speed: 200_000.0,
        mqtt_port: broker_addr.port(),
        http: SocketAddr::from(([127, 0, 0, 1], 0)),
        printers: 12,
        snmp_port: 16_197,
        ipp_port: asr_cloud_sync::free_local_addr(std::net::IpAddr::V4(
            std::net::Ipv4Addr::LOCALHOST,
        ))
        .unwrap()
        .port(),
        fleet_ip: Ipv4Addr::new(127, 0, 0, 200),
        data_dir: Some(dir.path().to_path_buf()),
        seed: 7,
        duration: None,
        admin_password: Some(asr_system_tests::page::ADMIN_PASSWORD.into()),
        https: false,
        gateway_id: "demo".into(),
        broker: None,
        some_remaining: 0,
    };
    let broker = asr_cloud_sync::EmbeddedBroker::start(broker_addr).unwrap();
    let mut options = MqttOptions::new("contract-watcher", "127.0.0.1", broker_addr.port());
    options.set_keep_alive(Duration::from_secs(5));
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut events) = AsyncClient::new(options, 100);
    client
        .subscribe("asr/v1/demo/#", QoS::AtLeastOnce)
        .await
        .unwrap();
    loop {
        if let Event::Incoming(Packet::SubAck(_)) = events.poll().await.unwrap() {
            break;
        }
    }
    let demo = Demo::start_with_broker(&args, broker).await.unwrap();

    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut answers: HashSet<String> = HashSet::new();
    let mut commands_sent = false;
    let mut order_status_sent = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let done = |seen: &BTreeMap<&str, usize>, answers: &HashSet<String>| {
        ["Status", "Order", "Levels"]
            .iter()
            .all(|k| seen.contains_key(k))
            && answers.len() == commands.len() + 1
    };
    while !done(&seen, &answers) {
        let Ok(polled) = tokio::time::timeout_at(deadline, events.poll()).await else {
            panic!("within 90 s: seen {seen:?}, answers {answers:?}");
        };
        let event = polled.unwrap();
        let Event::Incoming(Packet::Publish(p)) = event else {
            continue;
        };
        if p.payload.is_empty() {
            continue;
        }
        let Some(schema) = schema_of(&p.topic) else {
            continue; // what the test itself sends (cmd/…, orders/<id>/status)
        };
        let payload: Value = serde_json::from_slice(&p.payload).unwrap();
        check(&validators, schema, &p.topic, &payload);
        *seen.entry(schema).or_default() += 1;
        if schema == "CommandResult"
            && matches!(payload["status"].as_str(), Some("successful" | "failed"))
        {
            answers.insert(p.topic.clone());
        }
        if !commands_sent && schema == "Status" {
            commands_sent = true;
            for (i, (name, _, body)) in commands.iter().enumerate() {
                client
                    .publish(
                        format!("asr/v1/demo/cmd/{name}/c{i}"),
                        QoS::AtLeastOnce,
                        false,
                        body.to_string(),
                    )
                    .await
                    .unwrap();
            }
        }
        if !order_status_sent && schema == "Order" {
            order_status_sent = true;
            let order_id = payload["order_id"].as_str().unwrap();
            let body = json!({ "id": "st-1", "order_id": order_id, "status": "accepted" });
            check(&validators, "OrderStatus", "order status body", &body);
            client
                .publish(
                    format!("asr/v1/demo/orders/{order_id}/status"),
                    QoS::AtLeastOnce,
                    false,
                    body.to_string(),
                )
                .await
                .unwrap();
        }
    }
    demo.stop().await;
}
