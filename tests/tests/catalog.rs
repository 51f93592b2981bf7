//! The supplier catalogue through real parts: the demo's simulated printers
//! over SNMP, the embedded broker, the gateway with its SQLite file. A
//! catalogue published retained on `asr/v1/catalog` is answered on the
//! gateway's `catalog/res`, the next orders carry its part numbers where the
//! printer reports none and the site's postal address; a malformed, an
//! oversized and an older catalogue are refused and the one in use stays.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use asr_gateway::cli::DemoArgs;
use asr_gateway::commands::demo::Demo;
use asr_protocols::sim::{SupplyKind, demo_fleet};
use asr_system_tests::mqtt_watch::Watcher;
use rumqttc::{AsyncClient, QoS};
use serde_json::{Value, json};

const GW: &str = "cat";

/// RFC 3805 name of a simulated supply's type.
fn type_name(kind: SupplyKind) -> &'static str {
    match kind {
        SupplyKind::Toner => "toner",
        SupplyKind::WasteToner => "wasteToner",
        SupplyKind::Ink => "ink",
        SupplyKind::Drum => "opc",
        SupplyKind::WasteInk => "wasteInk",
    }
}

/// A catalogue for every supply of the demo's models, part numbers `CAT-…`.
fn catalogue(version: u64) -> Value {
    let mut entries = Vec::new();
    for spec in demo_fleet(7) {
        for (i, s) in spec.supplies.iter().enumerate() {
            let mut e = json!({
                "model": format!("{} {}", spec.vendor, spec.model),
                "supply_type": type_name(s.kind),
                "part_numbers": [format!("CAT-{}-{}", spec.serial, i + 1)],
                "rated_yield_pages": s.yield_pages,
            });
            if !s.colorant.is_empty() {
                e["colorant"] = json!(s.colorant);
            }
            entries.push(e);
        }
    }
    json!({"catalog_version": version, "supplier": "Supplies & Co", "entries": entries})
}

fn is_final(v: &Value) -> bool {
    v["status"] == "successful" || v["status"] == "failed"
}

async fn publish_catalogue(client: &AsyncClient, body: Vec<u8>) {
    client
        .publish("asr/v1/catalog", QoS::AtLeastOnce, true, body)
        .await
        .unwrap();
}

/// Publishes `catalogue` and waits for the gateway's `failed` answer,
/// whose reason must say `says`.
async fn refused(events: &mut Watcher, client: &AsyncClient, catalogue: &Value, says: &str) {
    publish_catalogue(client, serde_json::to_vec(catalogue).unwrap()).await;
    let answer = events
        .next(&format!("asr/v1/{GW}/catalog/res"), 20, |v| {
            v["status"] == "failed"
        })
        .await;
    assert!(
        answer["reason"].as_str().is_some_and(|r| r.contains(says)),
        "{answer} should say {says:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_carry_the_catalogues_part_numbers_and_a_bad_catalogue_changes_nothing() {
    let broker_addr =
        asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST)).expect("free port");
    let dir = tempfile::tempdir().unwrap();
    let broker = asr_cloud_sync::EmbeddedBroker::start(broker_addr).unwrap();
    let mut events = Watcher::connect(
        broker_addr.port(),
        "catalog-test",
        &[&format!("asr/v1/{GW}/#")],
    )
    .await;
    let client = events.client.clone();
    // The supplier's catalogue is on the broker before the gateway starts.
    publish_catalogue(&client, serde_json::to_vec(&catalogue(1)).unwrap()).await;

    let args = DemoArgs {
        speed: 200_000.0,
        mqtt_port: broker_addr.port(),
        http: SocketAddr::from(([127, 0, 0, 1], 0)),
        printers: 12,
        snmp_port: 16_171,
        ipp_port: asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST))
            .unwrap()
            .port(),
        fleet_ip: Ipv4Addr::new(127, 0, 0, 70),
        data_dir: Some(dir.path().to_path_buf()),
        seed: 7,
        duration: None,
        admin_password: Some(asr_system_tests::page::ADMIN_PASSWORD.into()),
        https: false,
        gateway_id: GW.into(),
        broker: None,
        some_remaining: 2,
    };
    let demo = Demo::start_with_broker(&args, broker).await.unwrap();
    let answers = format!("asr/v1/{GW}/catalog/res");
    let first = events.next(&answers, 20, is_final).await;
    assert_eq!(first["status"], "successful", "{first}");
    assert_eq!(first["result"]["catalog_version"], 1, "{first}");
    assert_eq!(first["result"]["scope"], "fleet", "{first}");

    // Every printer's postal address and contact details, set remotely once
    // each has answered.
    let status = format!("asr/v1/{GW}/status");
    events
        .next(&status, 30, |v| {
            v["printers"].as_u64().is_some_and(|n| n >= 12)
        })
        .await;
    let specs = demo_fleet(7);
    for (n, spec) in specs.iter().enumerate() {
        let body = json!({
            "serial": spec.serial,
            "postal_address": format!("{} rue de la Paix, 75002 Paris", n + 1),
            "contact_email": "it@example.org",
            "contact_phone": "+33 1 23 45 67 89",
        });
        client
            .publish(
                format!("asr/v1/{GW}/cmd/set_printer/addr-{n}"),
                QoS::AtLeastOnce,
                false,
                serde_json::to_vec(&body).unwrap(),
            )
            .await
            .unwrap();
    }
    for n in 0..specs.len() {
        let topic = format!("asr/v1/{GW}/cmd/set_printer/addr-{n}/res");
        let answer = events.next(&topic, 20, is_final).await;
        assert_eq!(answer["status"], "successful", "{answer}");
    }

    // Orders placed from now on ship as they are.
    let orders = format!("asr/v1/{GW}/orders");
    let mut sources: HashMap<String, usize> = HashMap::new();
    let mut addressed = false;
    let deadline = Instant::now() + Duration::from_secs(60);
    while sources.get("catalog").copied().unwrap_or(0) < 3 {
        assert!(
            Instant::now() < deadline,
            "no catalogue part numbers: {sources:?}"
        );
        let order = events.next(&orders, 60, |_| true).await;
        let ship_to = &order["ship_to"];
        // Orders placed before the addresses were set (the first ones go
        // out a simulated day or two after start) have none.
        if ship_to["postal_address"].is_null() && !addressed {
            continue;
        }
        addressed = true;
        assert!(
            ship_to["postal_address"]
                .as_str()
                .is_some_and(|a| a.contains("75002 Paris")),
            "{order}"
        );
        assert_eq!(ship_to["contact_email"], "it@example.org", "{order}");
        for line in order["lines"].as_array().unwrap() {
            let source = line["part_number_source"].as_str().unwrap_or("none");
            *sources.entry(source.to_string()).or_default() += 1;
            assert!(line["part_number"].is_string(), "every part known: {line}");
            if source == "catalog" {
                let serial = line["printer"].as_str().unwrap();
                let index = line["supply_index"].as_u64().unwrap();
                // The entry of this printer's model and supply, matched on
                // the model the printer reports.
                let spec = specs
                    .iter()
                    .find(|s| serial.starts_with(&s.serial))
                    .unwrap();
                assert_eq!(
                    line["part_number"],
                    format!("CAT-{}-{index}", spec.serial),
                    "{line}"
                );
            }
        }
    }

    // A malformed catalogue (a yield of -5 pages), an oversized one,
    // broken JSON and an older version are refused; the one in use stays.
    let mut bad = catalogue(2);
    bad["entries"][0]["rated_yield_pages"] = json!(-5);
    refused(&mut events, &client, &bad, "rated_yield_pages").await;
    // Oversized: 300 KiB of descriptions the gateway will not parse.
    let mut big = catalogue(3);
    let filler: Vec<Value> = (0..1200)
        .map(|i| {
            json!({"model": format!("Filler {i}"), "supply_type": "toner",
                   "part_numbers": ["F"], "description": "y".repeat(250)})
        })
        .collect();
    big["entries"].as_array_mut().unwrap().extend(filler);
    assert!(big.to_string().len() > 256 * 1024);
    refused(&mut events, &client, &big, "larger than").await;
    publish_catalogue(&client, b"{\"catalog_version\": 3, \"entries\": [".to_vec()).await;
    let garbage = events.next(&answers, 20, |v| v["status"] == "failed").await;
    assert!(
        garbage["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not valid JSON")),
        "{garbage}"
    );
    let mut newer = catalogue(5);
    newer["entries"][0]["part_numbers"] = json!(["NEWER"]);
    publish_catalogue(&client, serde_json::to_vec(&newer).unwrap()).await;
    let applied = events
        .next(&answers, 20, |v| v["status"] == "successful")
        .await;
    assert_eq!(applied["result"]["catalog_version"], 5, "{applied}");
    refused(&mut events, &client, &catalogue(4), "older").await;

    // Orders go on with the catalogue in use (version 5): still all named.
    let order = events.next(&orders, 60, |_| true).await;
    for line in order["lines"].as_array().unwrap() {
        assert!(line["part_number"].is_string(), "{line}");
    }
    let kept = demo.gateway.store().catalogs().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].catalog.catalog_version, 5);
    demo.stop().await;
}
