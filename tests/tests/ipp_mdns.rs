//! The whole path for a printer with SNMP switched off: announced over mDNS
//! (`_ipp._tcp` with its port), found by the running gateway's discovery,
//! polled over IPP (SNMP does not answer) and ordered for like the others.
//!
//! mDNS stays inside a network namespace this test creates (its own
//! loopback): the outer test re-runs this binary in it for the inner,
//! `#[ignore]`d one. Needs root and `ip netns` (CI runs as root).
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;
use std::time::Duration;

use asr_gateway::runtime::Gateway;
use asr_protocols::discovery::BrowseOptions;
use asr_protocols::sim::{
    AdvertisedPrinter, Advertiser, FleetOptions, Misbehaviour, SimFleet, demo_fleet,
};
use asr_system_tests::{ManualClock, settings};

const STEP: Duration = Duration::from_secs(6 * 3600);

#[test]
fn a_printer_announced_over_mdns_with_snmp_off_is_ordered_for() {
    let ns = format!("asripp{}", std::process::id());
    let ip = |args: &[&str]| {
        let status = Command::new("ip").args(args).status().unwrap();
        assert!(
            status.success(),
            "`ip {}` failed: this test needs root and `ip netns` (CI runs as root)",
            args.join(" ")
        );
    };
    let _ = Command::new("ip").args(["netns", "del", &ns]).status();
    ip(&["netns", "add", &ns]);
    struct Cleanup(String);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
        }
    }
    let _cleanup = Cleanup(ns.clone());
    ip(&["-n", &ns, "link", "set", "lo", "up"]);
    ip(&["-n", &ns, "link", "set", "lo", "multicast", "on"]);
    let out = Command::new("ip")
        .args(["netns", "exec", &ns])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "inner_mdns_ipp_order",
            "--nocapture",
        ])
        .env("ASR_IPP_MDNS_INNER", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "inner test failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "the inner test ran"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run inside a namespace by `a_printer_announced_over_mdns_with_snmp_off_is_ordered_for`"]
async fn inner_mdns_ipp_order() {
    assert!(
        std::env::var_os("ASR_IPP_MDNS_INNER").is_some(),
        "run by the outer test"
    );
    let specs: Vec<_> = demo_fleet(41).into_iter().take(3).collect();
    let opts = FleetOptions {
        ipp_port: Some(8631),
        ..FleetOptions::default()
    };
    let fleet = SimFleet::start_with(
        specs.clone(),
        Ipv4Addr::new(127, 0, 0, 20),
        1161,
        0.0,
        &opts,
    )
    .await
    .unwrap();
    fleet.members()[0]
        .agent
        .set_misbehaviour(Misbehaviour::Timeout);
    let printers: Vec<AdvertisedPrinter> = fleet
        .members()
        .iter()
        .map(AdvertisedPrinter::from_member)
        .collect();
    let advertiser = Advertiser::start(&printers, Some(vec!["lo".into()])).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mqtt_port = asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST))
        .unwrap()
        .port();
    let clock = ManualClock::new(chrono::Utc::now());
    let mut s = settings(
        Vec::new(),
        &specs,
        &dir.path().join("gateway.db"),
        mqtt_port,
        clock.clone(),
        Duration::from_secs(3600),
    );
    s.mdns = Some(BrowseOptions {
        interfaces: Some(vec!["lo".into()]),
        ..BrowseOptions::default()
    });
    s.snmp_port = 1161;
    let gateway = Gateway::start(s).await.unwrap();

    let serial = specs[0].serial.clone();
    let mut ordered = false;
    for _ in 0..600 {
        fleet.advance(STEP);
        clock.advance(STEP);
        gateway.poll_now();
        tokio::time::sleep(Duration::from_millis(120)).await;
        gateway.flush().await;
        ordered = gateway
            .store()
            .recent_orders(1000)
            .unwrap()
            .iter()
            .any(|o| {
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
        .expect("found over mDNS");
    assert!(row.last_poll_ok, "{row:?}");
    assert!(ordered, "an order names the printer with SNMP off");
    gateway.shutdown().await;
    advertiser.shutdown().await;
    fleet.shutdown().await;
}
