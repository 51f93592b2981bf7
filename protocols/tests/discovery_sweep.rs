//! The opt-in SNMP sweep against simulated agents on loopback only
//! (127.88.0.0/28): printers are found, a non-printer agent and silent
//! addresses are not, a second credential is tried, and the rate holds.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use asr_protocols::discovery::{DiscoveryError, SweepOptions, sweep_with};
use asr_protocols::mib::{MibTree, Oid, Value};
use asr_protocols::sim::{SimAgent, SimAgentConfig, SimFleet, SyntheticPrinter, demo_fleet};
use asr_protocols::snmp::{Credentials, PollOptions};

const PORT: u16 = 17161;

fn ip(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 88, 0, last)
}

/// A switch: answers SNMP, but its only hrDevice row is a network device.
fn switch_tree() -> MibTree {
    let mut t = MibTree::new();
    let oid = |s: &str| Oid::parse(s).expect("oid");
    t.insert(
        oid("1.3.6.1.2.1.1.1.0"),
        Value::OctetString(b"Office switch".to_vec().into()),
    );
    t.insert(
        oid("1.3.6.1.2.1.1.2.0"),
        Value::ObjectIdentifier(oid("1.3.6.1.4.1.9.1.1")),
    );
    t.insert(
        oid("1.3.6.1.2.1.25.3.2.1.2.1"),
        Value::ObjectIdentifier(oid("1.3.6.1.2.1.25.3.1.4")),
    );
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweep_finds_exactly_the_simulated_printers() {
    let specs: Vec<_> = demo_fleet(3).into_iter().take(4).collect();
    let fleet = SimFleet::start(specs.clone(), ip(2), PORT, 0.0)
        .await
        .expect("fleet");
    let switch = SimAgent::start(
        SimAgentConfig::new(SocketAddr::new(IpAddr::V4(ip(9)), PORT)),
        Arc::new(RwLock::new(switch_tree())),
    )
    .await
    .expect("switch agent");
    let mut secret_cfg = SimAgentConfig::new(SocketAddr::new(IpAddr::V4(ip(11)), PORT));
    secret_cfg.communities = vec!["s3cret-site".into()];
    let secret_printer = SyntheticPrinter::new(demo_fleet(3).remove(5));
    let secret = SimAgent::start(secret_cfg, secret_printer.tree())
        .await
        .expect("secret agent");

    let creds = [Credentials::v2c("public"), Credentials::v2c("s3cret-site")];
    let poll = PollOptions {
        timeout: Duration::from_millis(250),
        retries: 0,
        ..PollOptions::default()
    };
    let opts = SweepOptions {
        port: PORT,
        rate: 20,
        max_hosts: 64,
    };
    let started = Instant::now();
    let hits = sweep_with("127.88.0.0/28", &creds, &poll, &opts)
        .await
        .expect("sweep");
    let took = started.elapsed();

    let addrs: Vec<SocketAddr> = hits.iter().map(|h| h.addr).collect();
    let want: Vec<SocketAddr> = [2, 3, 4, 5, 11]
        .iter()
        .map(|l| SocketAddr::new(IpAddr::V4(ip(*l)), PORT))
        .collect();
    assert_eq!(addrs, want, "{hits:#?}");
    for h in &hits {
        assert!(h.sys_object_id.is_some(), "{h:?}");
        let want_index = usize::from(h.addr.ip() == IpAddr::V4(ip(11)));
        assert_eq!(h.credentials_index, want_index, "{h:?}");
    }
    // 14 hosts, then a second request to each of the 10 that did not
    // answer "public": 24 requests at 20/s take at least 1.15 s.
    assert!(
        took >= Duration::from_millis(1100),
        "rate not respected: {took:?}"
    );
    assert!(took < Duration::from_secs(5), "sweep too slow: {took:?}");
    println!("swept 127.88.0.0/28 (14 hosts, 2 credentials) at 20 req/s in {took:?}");

    fleet.shutdown().await;
    switch.shutdown().await;
    secret.shutdown().await;
}

#[tokio::test]
async fn sweep_refuses_what_it_must_not_send() {
    let creds = [Credentials::v2c("public")];
    let poll = PollOptions::default();
    let opts = SweepOptions::default();
    let err = sweep_with("10.0.0.0/8", &creds, &poll, &opts)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("larger than a /16"), "{err}");
    let err = sweep_with("192.168.1.0/24x", &creds, &poll, &opts)
        .await
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::Cidr { .. }), "{err}");
    let err = sweep_with("127.88.0.0/16", &creds, &poll, &opts)
        .await
        .unwrap_err();
    assert!(
        matches!(err, DiscoveryError::TooManyHosts { hosts: 65_534, .. }),
        "{err}"
    );
}
