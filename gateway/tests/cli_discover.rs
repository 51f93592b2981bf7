//! `asr-gateway discover` through the real binary: an opt-in SNMP sweep of a
//! loopback CIDR where simulated printers answer (mDNS restricted to `lo`, so
//! no multicast leaves the machine; the mDNS path itself is covered by the
//! protocols crate's namespace tests).

#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::net::Ipv4Addr;

use asr_protocols::sim::{SimFleet, demo_fleet};
use serde_json::Value;

async fn discover(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_asr-gateway"))
            .arg("discover")
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_finds_the_simulated_printers_and_nothing_else() {
    let specs: Vec<_> = demo_fleet(3).into_iter().take(3).collect();
    let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 66, 1, 1), 17_778, 0.0)
        .await
        .unwrap();
    let args = [
        "--timeout",
        "300ms",
        "--interface",
        "lo",
        "--sweep",
        "127.66.1.0/29",
        "--snmp-port",
        "17778",
        "--json",
    ];
    let out = discover(args.iter().map(ToString::to_string).collect()).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let found: Vec<&str> = lines.iter().filter_map(|l| l["address"].as_str()).collect();
    assert_eq!(
        found,
        ["127.66.1.1:17778", "127.66.1.2:17778", "127.66.1.3:17778"]
    );
    for (line, spec) in lines.iter().zip(&specs) {
        let descr = line["sys_descr"].as_str().unwrap();
        assert!(descr.contains(&spec.model), "{descr} names {}", spec.model);
        assert!(
            line["sys_object_id"]
                .as_str()
                .is_some_and(|o| o.starts_with("1.3.6.1.4.1."))
        );
    }

    let bad = [
        "--timeout",
        "100ms",
        "--interface",
        "lo",
        "--sweep",
        "10.0.0.0/8",
    ];
    let out = discover(bad.iter().map(ToString::to_string).collect()).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "a sweep larger than a /16 is refused before anything is sent"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sweep"));
    fleet.shutdown().await;
}
