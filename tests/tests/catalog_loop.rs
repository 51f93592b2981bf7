//! The loop of cartridge lives, through real parts: two demo gateways (their
//! own simulated printers over SNMP, their own SQLite files) and the
//! supplier's `upstream` consumer on one broker. Site A's printers report
//! percent gauges and A measures cartridge lives, which go up on
//! `asr/v1/site-a/lives`; `upstream` pools them into the catalogue it
//! publishes on `asr/v1/catalog`; site B, whose printers of the same models
//! only say "some remaining" and never show a swap, takes the catalogue and
//! orders with the fleet's figure (`life_source: catalog_learned`).
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use asr_cloud_sync::consumer::{self, CatalogSettings, ConsumerConfig, ConsumerStats};
use asr_cloud_sync::{EmbeddedBroker, OrderState, TransportSettings, free_local_addr};
use asr_engine::catalog::{model_match, model_words};
use asr_gateway::cli::DemoArgs;
use asr_gateway::commands::demo::Demo;
use asr_system_tests::contract::{check, validators};
use asr_system_tests::mqtt_watch::Watcher;
use serde_json::Value;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

fn free_port() -> u16 {
    free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST))
        .unwrap()
        .port()
}

fn gateway(id: &str, broker: u16, fleet_ip: Ipv4Addr, dir: &std::path::Path) -> DemoArgs {
    DemoArgs {
        speed: 200_000.0,
        mqtt_port: broker,
        http: SocketAddr::from(([127, 0, 0, 1], 0)),
        printers: 12,
        snmp_port: 16_191,
        ipp_port: free_port(),
        fleet_ip,
        data_dir: Some(dir.to_path_buf()),
        seed: 7,
        duration: None,
        admin_password: Some(asr_system_tests::page::ADMIN_PASSWORD.into()),
        https: false,
        gateway_id: id.into(),
        broker: Some(format!("mqtt://127.0.0.1:{broker}")),
        some_remaining: 0,
    }
}

/// The catalogue's learned figure for a printer's model and supply, if it
/// has one (the printer names its model with its brand, the lives report
/// as the site's records do: matched as the gateway matches them).
fn learned(catalog: &Value, model: &str, supply_type: &str, colorant: Option<&str>) -> Option<f64> {
    let words = model_words(model);
    catalog["entries"].as_array()?.iter().find_map(|e| {
        (model_match(&model_words(e["model"].as_str()?), &words).is_some()
            && e["supply_type"] == supply_type
            && e["colorant"].as_str() == colorant)
            .then(|| e["learned"]["median_pages"].as_f64())
            .flatten()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lives_go_up_a_catalogue_comes_down_and_a_site_that_never_saw_a_swap_orders_with_it() {
    let (mqtt, v5) = (free_port(), free_port());
    let _broker = EmbeddedBroker::start_with_v5(
        SocketAddr::from(([127, 0, 0, 1], mqtt)),
        Some(SocketAddr::from(([127, 0, 0, 1], v5))),
    )
    .unwrap();
    let mut watch_mqtt = Watcher::connect(
        mqtt,
        "loop-test",
        &[
            "asr/v1/+/lives",
            "asr/v1/catalog",
            "asr/v1/site-b/catalog/res",
            "asr/v1/site-b/orders",
        ],
    )
    .await;

    // The supplier's consumer, aggregating lives into the catalogue.
    let dir = tempfile::tempdir().unwrap();
    let (stats_tx, stats) = watch::channel(ConsumerStats::default());
    let stop_upstream = CancellationToken::new();
    let upstream = tokio::spawn(consumer::run(
        ConsumerConfig {
            host: "127.0.0.1".into(),
            port: v5,
            transport: TransportSettings::tcp(),
            credentials: None,
            group: "backoffice".into(),
            client_id: "upstream-loop".into(),
            ledger: dir.path().join("ledger.sqlite"),
            out: None,
            // The back office delivers what is ordered, so spares go on the
            // shelf and needs come back.
            respond: Some(OrderState::Delivered),
            session_expiry: Duration::from_secs(60),
            catalog: CatalogSettings {
                enabled: true,
                base: None,
                min_interval: Duration::from_secs(1),
            },
        },
        stats_tx,
        stop_upstream.clone(),
    ));

    // Site A: percent gauges, swaps seen, lives measured.
    let dir_a = dir.path().join("a");
    let a = Demo::start(&gateway(
        "site-a",
        mqtt,
        Ipv4Addr::new(127, 0, 0, 80),
        &dir_a,
    ))
    .await
    .unwrap();
    let (_, lives) = watch_mqtt
        .next_where(120, |t, v| {
            t == "asr/v1/site-a/lives" && v["lives"].as_array().is_some_and(|l| !l.is_empty())
        })
        .await
        .expect("site A reports the cartridge lives it measured");
    assert_eq!(lives["gateway_id"], "site-a");
    let contract = validators(&["Lives", "Catalog"]);
    check(&contract, "Lives", "site A's lives", &lives);

    // Site B: the same models, every gauge but the IPP printer's says only
    // "some remaining".
    let dir_b = dir.path().join("b");
    let mut args_b = gateway("site-b", mqtt, Ipv4Addr::new(127, 0, 0, 100), &dir_b);
    args_b.some_remaining = 11;
    args_b.seed = 8;
    let b = Demo::start(&args_b).await.unwrap();

    // The catalogue comes down with the fleet's figures, and B takes it.
    let (_, catalog) = watch_mqtt
        .next_where(60, |t, v| {
            t == "asr/v1/catalog"
                && v["entries"]
                    .as_array()
                    .is_some_and(|e| e.iter().any(|e| e["learned"].is_object()))
        })
        .await
        .expect("upstream publishes a catalogue of learned lives");
    check(&contract, "Catalog", "upstream's catalogue", &catalog);
    let version = catalog["catalog_version"].as_u64().unwrap();
    watch_mqtt
        .next_where(30, |t, v| {
            t == "asr/v1/site-b/catalog/res"
                && v["status"] == "successful"
                && v["result"]["catalog_version"].as_u64() >= Some(version)
        })
        .await
        .expect("site B takes the catalogue");

    // B orders for a "some remaining" toner with the fleet's learned figure.
    let (_, line) = loop {
        let (_, order) = watch_mqtt
            .next_where(120, |t, _| t == "asr/v1/site-b/orders")
            .await
            .expect("site B orders");
        let hit = order["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["life_source"] == "catalog_learned");
        if let Some(line) = hit {
            break (order.clone(), line.clone());
        }
    };
    // The figure is the latest catalogue's for that model and supply (one
    // that came after the first may have moved it: compare with any seen).
    let model = line["printer_model"].as_str().unwrap();
    let mut figures = vec![learned(
        &catalog,
        model,
        line["supply_type"].as_str().unwrap(),
        line["colorant"].as_str(),
    )];
    while let Some((_, newer)) = watch_mqtt.next_where(0, |t, _| t == "asr/v1/catalog").await {
        figures.push(learned(
            &newer,
            model,
            line["supply_type"].as_str().unwrap(),
            line["colorant"].as_str(),
        ));
    }
    let life = line["life_pages"].as_f64().unwrap();
    assert!(
        figures.iter().flatten().any(|f| (f - life).abs() < 1.0),
        "line {line} against catalogue figures {figures:?}"
    );
    assert_eq!(
        line["part_number_source"].as_str().is_some(),
        line["part_number"].is_string()
    );

    b.stop().await;
    a.stop().await;
    stop_upstream.cancel();
    let _ = upstream.await;
    let stats = stats.borrow().clone();
    assert!(
        stats.lives_reports >= 1 && stats.catalogs_published >= 1,
        "{stats:?}"
    );
}
