//! The gateway when things go wrong: broker down at start, restarts, ports in
//! use, unwritable database, a printer that never answers. Real simulated
//! printers over UDP, real SQLite files, the real embedded broker.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use asr_gateway::runtime::{Gateway, RuntimeError};
use asr_gateway::store::OrderStatus;
use asr_protocols::sim::{SimFleet, demo_fleet};
use asr_system_tests::{ManualClock, settings};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;

/// Simulated time between two polls.
const STEP: Duration = Duration::from_secs(6 * 3600);

/// Advances printers and gateway clock by one step, polls everything, and
/// waits until the engine has committed what it saw.
async fn step(fleet: &SimFleet, clock: &ManualClock, gateway: &Gateway) {
    fleet.advance(STEP);
    clock.advance(STEP);
    polled_all(clock, gateway).await;
}

/// Polls now and waits until every known printer has been polled at the
/// clock's current time, then until the engine has committed it all.
async fn polled_all(clock: &ManualClock, gateway: &Gateway) {
    use asr_gateway::runtime::clock::Clock;
    let now = clock.now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        gateway.poll_now();
        tokio::time::sleep(Duration::from_millis(30)).await;
        let printers = gateway.store().printers().unwrap();
        if !printers.is_empty() && printers.iter().all(|p| p.last_poll_at >= now) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "every printer polled within 5 s"
        );
    }
    gateway.flush().await;
}

/// Ids of the orders in the store, newest first.
fn order_ids(gateway: &Gateway) -> Vec<String> {
    gateway
        .store()
        .recent_orders(1000)
        .unwrap()
        .into_iter()
        .map(|o| o.order_id)
        .collect()
}

/// Every (printer, supply) named by an order line, with how often.
fn ordered_needs(gateway: &Gateway) -> std::collections::BTreeMap<(String, u64), usize> {
    let mut needs = std::collections::BTreeMap::new();
    for order in gateway.store().recent_orders(1000).unwrap() {
        for line in order.payload["lines"].as_array().unwrap() {
            let key = (
                line["printer"].as_str().unwrap().to_string(),
                line["supply_index"].as_u64().unwrap(),
            );
            *needs.entry(key).or_insert(0) += 1;
        }
    }
    needs
}

fn free_port() -> u16 {
    asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST))
        .expect("free port")
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_down_at_start_buffers_everything_then_delivers_it() {
    let specs = demo_fleet(11);
    let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 0, 0, 70), 16_171, 0.0)
        .await
        .expect("fleet");
    let mut targets: Vec<SocketAddr> = fleet.members().iter().map(|m| m.addr()).collect();
    // A printer that never answers: polled, reported, never blocking the rest.
    targets.push("127.0.0.99:16171".parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let mqtt_port = free_port();
    let clock = ManualClock::new(chrono::Utc::now());
    let gateway = Gateway::start(settings(
        targets,
        &specs,
        &dir.path().join("gw.db"),
        mqtt_port,
        clock.clone(),
        Duration::from_secs(3600),
    ))
    .await
    .expect("gateway starts although the broker is down");

    let mut steps = 0;
    while gateway.store().recent_orders(100).unwrap().len() < 2 {
        step(&fleet, &clock, &gateway).await;
        steps += 1;
        assert!(steps < 200, "orders within 50 simulated days");
    }
    let orders = gateway.store().recent_orders(100).unwrap();
    assert!(
        orders.iter().all(|o| o.status == OrderStatus::Queued),
        "nothing can be sent yet"
    );
    assert!(gateway.store().outbox_depth().unwrap() > 0);
    let printers = gateway.store().printers().unwrap();
    assert_eq!(
        printers.len(),
        specs.len(),
        "every answering printer is tracked; the silent one does not block them"
    );

    // The broker comes up: everything buffered goes out and is acknowledged.
    let _broker =
        asr_cloud_sync::EmbeddedBroker::start(SocketAddr::from(([127, 0, 0, 1], mqtt_port)))
            .expect("broker");
    let mut options = MqttOptions::new("resilience-watcher", "127.0.0.1", mqtt_port);
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = AsyncClient::new(options, 100);
    client
        .subscribe("asr/v1/test-gw/orders", QoS::AtLeastOnce)
        .await
        .unwrap();
    let watcher = tokio::spawn(async move {
        let mut ids = HashSet::new();
        while let Ok(Ok(event)) = tokio::time::timeout(Duration::from_secs(40), events.poll()).await
        {
            if let Event::Incoming(Packet::Publish(p)) = event {
                let body: Value = serde_json::from_slice(&p.payload).unwrap();
                ids.insert(body["order_id"].as_str().unwrap().to_string());
                if ids.len() >= 1_000 {
                    break;
                }
            }
        }
        ids
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let rows = gateway.store().recent_orders(100).unwrap();
        if rows.iter().all(|o| o.status == OrderStatus::Sent)
            && gateway.store().outbox_depth().unwrap() == 0
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "buffered orders acknowledged within 30 s of the broker coming up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // New decisions made while connected reach a subscriber.
    let before: HashSet<String> = order_ids(&gateway).into_iter().collect();
    let mut steps = 0;
    let new_order = loop {
        step(&fleet, &clock, &gateway).await;
        steps += 1;
        assert!(steps < 200, "another order within 50 simulated days");
        if let Some(id) = order_ids(&gateway)
            .into_iter()
            .find(|id| !before.contains(id))
        {
            break id;
        }
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    client.disconnect().await.ok();
    let seen = watcher.await.unwrap();
    assert!(
        seen.contains(&new_order),
        "order {new_order} published live; seen {seen:?}"
    );

    gateway.shutdown().await;
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_neither_forgets_spares_nor_reorders() {
    let specs = demo_fleet(5);
    let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 0, 0, 110), 16_172, 0.0)
        .await
        .expect("fleet");
    let targets: Vec<SocketAddr> = fleet.members().iter().map(|m| m.addr()).collect();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gw.db");
    let mqtt_port = free_port();
    let clock = ManualClock::new(chrono::Utc::now());
    let make = || {
        settings(
            targets.clone(),
            &specs,
            &db,
            mqtt_port,
            clock.clone(),
            Duration::from_secs(3600),
        )
    };

    let gateway = Gateway::start(make()).await.expect("first start");
    let mut steps = 0;
    while gateway.store().recent_orders(10).unwrap().is_empty() {
        step(&fleet, &clock, &gateway).await;
        steps += 1;
        assert!(steps < 200, "an order within 50 simulated days");
    }
    let spares_before = spares(&gateway).await;
    assert!(
        !spares_before.is_empty(),
        "the ordered supplies show spares in transit"
    );
    let needs_before = ordered_needs(&gateway);
    assert!(
        needs_before.values().all(|&n| n == 1),
        "each need ordered once: {needs_before:?}"
    );
    gateway.shutdown().await;

    // Same database, same printers, nothing changed: a new process must not
    // order again, and must still know the spares.
    let gateway = Gateway::start(make()).await.expect("restart");
    polled_all(&clock, &gateway).await;
    let needs_after = ordered_needs(&gateway);
    for (need, count) in &needs_after {
        assert_eq!(*count, 1, "{need:?} ordered again after the restart");
    }
    let spares_after = spares(&gateway).await;
    for (need, n) in &spares_before {
        assert_eq!(
            spares_after.get(need),
            Some(n),
            "spare for {need:?} survives the restart"
        );
    }
    gateway.shutdown().await;
    fleet.shutdown().await;
}

/// (printer, supply) → spares in transit + on site, from the status page's JSON.
async fn spares(gateway: &Gateway) -> std::collections::BTreeMap<(String, u64), u64> {
    let http = gateway.http_addr().expect("page");
    let api: Value = asr_system_tests::page::get(http, "/api/status")
        .await
        .json()
        .await
        .unwrap();
    let mut out = std::collections::BTreeMap::new();
    for p in api["printers"].as_array().unwrap() {
        for s in p["supplies"].as_array().unwrap() {
            let n =
                s["spares_in_transit"].as_u64().unwrap() + s["spares_on_site"].as_u64().unwrap();
            if n > 0 {
                out.insert(
                    (
                        p["serial"].as_str().unwrap().to_string(),
                        s["index"].as_u64().unwrap(),
                    ),
                    n,
                );
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_errors_name_their_cause() {
    let dir = tempfile::tempdir().unwrap();
    let clock: Arc<ManualClock> = ManualClock::new(chrono::Utc::now());

    // The status page port is taken.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut s = settings(
        vec![],
        &[],
        &dir.path().join("a.db"),
        free_port(),
        clock.clone(),
        Duration::from_secs(60),
    );
    s.http = Some(taken.local_addr().unwrap());
    let err = Gateway::start(s)
        .await
        .err()
        .expect("port in use is an error");
    assert!(matches!(err, RuntimeError::Http { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&taken.local_addr().unwrap().to_string()),
        "{err}"
    );
    assert!(err.to_string().contains("in use"), "{err}");

    // The database cannot be created: its parent is a regular file.
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let db = file.join("gw.db");
    let s = settings(
        vec![],
        &[],
        &db,
        free_port(),
        clock.clone(),
        Duration::from_secs(60),
    );
    let err = Gateway::start(s)
        .await
        .err()
        .expect("unwritable DB is an error");
    assert!(matches!(err, RuntimeError::Store { .. }), "{err}");
    assert!(
        err.to_string().contains("not-a-dir"),
        "names the path: {err}"
    );

    // Not a database at all.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![0x42u8; 8192]).unwrap();
    let s = settings(
        vec![],
        &[],
        &junk,
        free_port(),
        clock,
        Duration::from_secs(60),
    );
    let err = Gateway::start(s)
        .await
        .err()
        .expect("junk file is an error");
    assert!(err.to_string().contains("junk.db"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printer_moved_by_dhcp_stays_one_printer_and_reachable() {
    use asr_protocols::sim::{SimAgent, SimAgentConfig, SyntheticPrinter};
    let spec = demo_fleet(9).remove(0);
    let printer = SyntheticPrinter::new(spec.clone());
    let old: SocketAddr = "127.0.0.150:16173".parse().unwrap();
    let new: SocketAddr = "127.0.0.151:16173".parse().unwrap();
    let agent = SimAgent::start(SimAgentConfig::new(old), printer.tree())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(chrono::Utc::now());
    let gateway = Gateway::start(settings(
        vec![old, new],
        std::slice::from_ref(&spec),
        &dir.path().join("gw.db"),
        free_port(),
        clock.clone(),
        Duration::from_secs(3600),
    ))
    .await
    .unwrap();
    clock.advance(STEP);
    polled_all(&clock, &gateway).await;
    let rows = gateway.store().printers().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].address, old.to_string());

    // DHCP hands the printer a new address.
    agent.shutdown().await;
    let agent = SimAgent::start(SimAgentConfig::new(new), printer.tree())
        .await
        .unwrap();
    for _ in 0..3 {
        clock.advance(STEP);
        polled_all(&clock, &gateway).await;
    }
    let rows = gateway.store().printers().unwrap();
    assert_eq!(rows.len(), 1, "still one printer, keyed by serial");
    assert_eq!(rows[0].key, spec.serial);
    assert_eq!(
        rows[0].address,
        new.to_string(),
        "address follows the printer"
    );
    assert!(
        rows[0].last_poll_ok,
        "the dead old address does not make the printer look silent"
    );
    gateway.shutdown().await;
    agent.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opt_in_sweep_finds_printers_nobody_listed() {
    let specs: Vec<_> = demo_fleet(13).into_iter().take(3).collect();
    let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 0, 0, 161), 16_174, 0.0)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(chrono::Utc::now());
    let mut s = settings(
        vec![],
        &specs,
        &dir.path().join("gw.db"),
        free_port(),
        clock.clone(),
        Duration::from_secs(3600),
    );
    s.sweep = Some(("127.0.0.160/29".into(), 50));
    s.snmp_port = 16_174;
    let gateway = Gateway::start(s).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let keys: HashSet<String> = gateway
            .store()
            .printers()
            .unwrap()
            .into_iter()
            .map(|p| p.key)
            .collect();
        if keys.len() == specs.len() {
            let expected: HashSet<String> = specs.iter().map(|s| s.serial.clone()).collect();
            assert_eq!(keys, expected);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "sweep found {keys:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rows = gateway.store().printers().unwrap();
    assert!(
        rows.iter().all(|p| p.site.is_some()),
        "configured assignments apply to swept printers"
    );
    gateway.shutdown().await;
    fleet.shutdown().await;
}
