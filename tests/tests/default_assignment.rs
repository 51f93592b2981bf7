//! `gateway.default_site` / `default_contact`: printers found that no
//! `[[printers]]` entry names get the site's defaults on their first poll —
//! in the store (page, orders) and in the engine — while configured ones
//! keep theirs.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use asr_gateway::runtime::Gateway;
use asr_protocols::sim::{SimFleet, demo_fleet};
use asr_system_tests::{ManualClock, settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unassigned_printers_get_the_sites_defaults_and_assigned_ones_keep_theirs() {
    let specs: Vec<_> = demo_fleet(5).into_iter().take(3).collect();
    let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 0, 0, 190), 16_275, 0.0)
        .await
        .unwrap();
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
        clock,
        Duration::from_secs(3600),
    );
    // Only the first printer is configured.
    s.assignments.truncate(1);
    s.default_assignment = Some(("Main office".into(), "Front desk".into()));
    let gateway = Gateway::start(s).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        gateway.poll_now();
        tokio::time::sleep(Duration::from_millis(300)).await;
        gateway.flush().await;
        let seen = specs
            .iter()
            .filter(|p| gateway.store().printer(&p.serial).unwrap().is_some())
            .count();
        if seen == specs.len() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "every printer polled"
        );
    }
    let row = |serial: &str| gateway.store().printer(serial).unwrap().unwrap();
    let first = row(&specs[0].serial);
    assert_eq!(first.site.as_deref(), Some(specs[0].site.as_str()));
    assert_eq!(first.contact.as_deref(), Some(specs[0].contact.as_str()));
    for p in &specs[1..] {
        let r = row(&p.serial);
        assert_eq!(r.site.as_deref(), Some("Main office"), "{}", p.serial);
        assert_eq!(r.contact.as_deref(), Some("Front desk"));
    }
    gateway.shutdown().await;
    fleet.shutdown().await;
}
