//! The gateway killed with SIGKILL in the middle of its work, then started
//! again on the same database: nothing it had decided is lost (every order
//! recorded has its outbox message, the engine's memory matches them) and
//! no (printer, supply) is ordered a second time because the new process
//! forgot the first order.
//!
//! A real process is killed: the test runs its own binary again in the
//! `crash_child` role (an ignored test that only runs when asked), which
//! drives simulated printers and the gateway on a hand-moved clock.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use asr_gateway::runtime::Gateway;
use asr_gateway::store::Store;
use asr_protocols::sim::{SimFleet, demo_fleet};
use asr_system_tests::{ManualClock, settings};
use chrono::{DateTime, Utc};

/// Simulated time between two polls.
const STEP: Duration = Duration::from_secs(6 * 3600);
const SEED: u64 = 17;
/// Steps run after the restart: long enough for an engine that forgot its
/// orders to order the same needs again (it does within two days).
const AFTER: u32 = 28;
/// Where the simulated calendar of the child starts (whole seconds).
const ORIGIN: i64 = 1_767_600_000;

fn origin() -> DateTime<Utc> {
    DateTime::from_timestamp(ORIGIN, 0).unwrap()
}

/// The child: printers, gateway and clock in one process, stepping until
/// `ASR_CRASH_STEPS` steps are done (or until it is killed). It resumes at
/// step `ASR_CRASH_FROM`, with the printers moved on as far.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by `a_gateway_killed_mid_burst_loses_nothing_and_orders_nothing_twice`"]
async fn crash_child() {
    let db = std::env::var("ASR_CRASH_DB").expect("ASR_CRASH_DB");
    let port: u16 = std::env::var("ASR_CRASH_PORT").unwrap().parse().unwrap();
    let from: u32 = std::env::var("ASR_CRASH_FROM").unwrap().parse().unwrap();
    let steps: u32 = std::env::var("ASR_CRASH_STEPS").unwrap().parse().unwrap();
    let specs = demo_fleet(SEED);
    let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 0, 0, 150), port, 0.0)
        .await
        .unwrap();
    for _ in 0..from {
        fleet.advance(STEP);
    }
    let clock = ManualClock::new(origin());
    clock.advance(STEP * from);
    let targets: Vec<SocketAddr> = fleet.members().iter().map(|m| m.addr()).collect();
    let mqtt_port = asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST))
        .unwrap()
        .port();
    let gateway = Gateway::start(settings(
        targets,
        &specs,
        Path::new(&db),
        mqtt_port,
        clock.clone(),
        Duration::from_secs(3600),
    ))
    .await
    .unwrap();
    for k in from..steps {
        fleet.advance(STEP);
        clock.advance(STEP);
        gateway.poll_now();
        // Let the polls and the engine's commits run; the parent kills at
        // an arbitrary point of this.
        tokio::time::sleep(Duration::from_millis(150)).await;
        gateway.flush().await;
        println!("STEP {}", k + 1);
    }
    gateway.shutdown().await;
    fleet.shutdown().await;
}

fn spawn_child(db: &Path, port: u16, from: u32, steps: u32) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "crash_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ASR_CRASH_DB", db)
        .env("ASR_CRASH_PORT", port.to_string())
        .env("ASR_CRASH_FROM", from.to_string())
        .env("ASR_CRASH_STEPS", steps.to_string())
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Reads the child's progress lines; returns the last step it reported
/// once `stop(step)` says so (or the child ended).
fn follow(child: &mut Child, stop: impl Fn(u32) -> bool) -> u32 {
    let out = child.stdout.take().unwrap();
    let mut last = 0;
    for line in BufReader::new(out).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("STEP ") {
            last = n.trim().parse().unwrap();
            if stop(last) {
                break;
            }
        }
    }
    last
}

/// (order id → its lines' (printer, supply)) and when each was created.
/// Order id → (decided at, [(printer serial, quantity)]).
type OrderBook = BTreeMap<String, (DateTime<Utc>, Vec<(String, u64)>)>;

fn orders(store: &Store) -> OrderBook {
    store
        .recent_orders(10_000)
        .unwrap()
        .into_iter()
        .map(|o| {
            let lines = o.payload["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    (
                        l["printer"].as_str().unwrap().to_string(),
                        l["supply_index"].as_u64().unwrap(),
                    )
                })
                .collect();
            (o.order_id, (o.created_at, lines))
        })
        .collect()
}

/// Every order has exactly one outbox message, and the outbox names no
/// order that is not recorded: orders and messages were committed together.
fn orders_match_outbox(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let orphans: i64 = conn
        .query_row(
            "SELECT count(*) FROM orders o WHERE (SELECT count(*) FROM outbox m
               WHERE m.kind = 'order' AND m.ref = o.order_id) != 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0, "an order without exactly one outbox message");
    let strays: i64 = conn
        .query_row(
            "SELECT count(*) FROM outbox m WHERE m.kind = 'order'
               AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = m.ref)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(strays, 0, "an order message without its order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_mid_burst_loses_nothing_and_orders_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gw.db");
    let port = 16_190;

    // Run until a few orders exist, then SIGKILL in the middle of a step.
    let mut child = spawn_child(&db, port, 0, 400);
    let db_probe = db.clone();
    let reached = tokio::task::spawn_blocking(move || {
        let last = follow(&mut child, |_| {
            Store::open(&db_probe)
                .ok()
                .and_then(|s| s.recent_orders(100).ok())
                .is_some_and(|o| o.len() >= 3)
        });
        // Kill while the next step's polls and commits are under way.
        std::thread::sleep(Duration::from_millis(60));
        child.kill().unwrap();
        child.wait().unwrap();
        last
    })
    .await
    .unwrap();
    assert!(reached < 400, "orders before the end of the run");

    orders_match_outbox(&db);
    let before = orders(&Store::open(&db).unwrap());
    assert!(before.len() >= 3);

    // Same database, printers moved on as far: a few more steps.
    let resume = reached + 1;
    let mut child = spawn_child(&db, port, resume, resume + AFTER);
    let end = tokio::task::spawn_blocking(move || {
        let last = follow(&mut child, |_| false);
        let status = child.wait().unwrap();
        (last, status)
    })
    .await
    .unwrap();
    assert!(end.1.success(), "the restarted gateway ran to its end");
    assert_eq!(end.0, resume + AFTER);

    orders_match_outbox(&db);
    let after = orders(&Store::open(&db).unwrap());
    eprintln!(
        "killed after step {reached} with {} orders; {} orders after the restart",
        before.len(),
        after.len()
    );
    for id in before.keys() {
        assert!(after.contains_key(id), "order {id} lost across the crash");
    }
    // A need ordered before the crash is not ordered again in the week
    // after it: the new process remembered the order (each covers a month).
    let crash_time = origin() + chrono::Duration::from_std(STEP * reached).unwrap();
    let recent: Vec<&(String, u64)> = before
        .values()
        .filter(|(at, _)| *at > crash_time - chrono::Duration::days(3))
        .flat_map(|(_, lines)| lines)
        .collect();
    for (id, (_, lines)) in after.iter().filter(|(id, _)| !before.contains_key(*id)) {
        for need in lines {
            assert!(
                !recent.contains(&need),
                "{need:?} ordered again by {id} right after the restart"
            );
        }
    }
}
