//! Every shared printer recording, served by a simulated agent over real
//! UDP, must come back through the client exactly as recorded (restricted to
//! the plan), with v2c, v1 and v3 authPriv, and in few round trips.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use asr_protocols::mib::{MibTree, Value};
use asr_protocols::sim::SimFleet;
use asr_protocols::sim::fleet::FleetOptions;
use asr_protocols::snmp::{
    AuthProtocol, Credentials, FetchPlan, PollOptions, PrivProtocol, V3Credentials, fetch,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/printers/snmprec")
}

fn v3_user() -> V3Credentials {
    V3Credentials::auth_priv(
        "poller",
        AuthProtocol::Sha1,
        "authpass-123",
        PrivProtocol::Aes128,
        "privpass-456",
    )
}

/// What a v1 client can see of `tree`: no Counter64 (SNMPv1 cannot carry it).
fn without_counter64(tree: &MibTree) -> MibTree {
    tree.iter()
        .filter(|(_, v)| !matches!(v, Value::Counter64(_)))
        .map(|(o, v)| (o.clone(), v.clone()))
        .collect()
}

fn supply_rows(tree: &MibTree) -> usize {
    tree.column(&[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9]).count()
}

fn diff(a: &MibTree, b: &MibTree) -> String {
    let mut out = String::new();
    for (o, v) in a.iter() {
        if b.get(o) != Some(v) {
            out.push_str(&format!("  fetched {o} = {v:?}, expected {:?}\n", b.get(o)));
        }
    }
    for (o, v) in b.iter() {
        if a.get(o).is_none() {
            out.push_str(&format!("  missing {o} = {v:?}\n"));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_recording_round_trips_with_v2c_v1_and_v3() {
    let opts = FleetOptions {
        users: vec![v3_user()],
        ..FleetOptions::default()
    };
    let fleet =
        SimFleet::from_recordings_with(&fixtures(), Ipv4Addr::new(127, 77, 1, 10), 16161, &opts)
            .await
            .unwrap();
    assert!(
        fleet.members().len() >= 10,
        "fixtures not found in {}",
        fixtures().display()
    );
    let plan = FetchPlan::printer_baseline();
    let poll = PollOptions::default();
    let (mut max_v2c, mut max_v1, mut max_v3) = (0, 0, 0);
    let mut v2c_time = std::time::Duration::ZERO;
    let mut report = String::new();
    for m in fleet.members() {
        let full = m.agent.tree().read().unwrap().clone();
        let expected = plan.expected_from(&full);
        assert!(!expected.is_empty(), "{}: plan covers nothing", m.name);

        let t0 = std::time::Instant::now();
        let v2c = fetch(m.addr(), &Credentials::v2c("public"), &plan, &poll)
            .await
            .unwrap();
        v2c_time += t0.elapsed();
        assert!(
            v2c.tree == expected,
            "{} v2c differs:\n{}",
            m.name,
            diff(&v2c.tree, &expected)
        );
        assert!(v2c.truncated.is_empty(), "{}: {:?}", m.name, v2c.truncated);
        if supply_rows(&full) <= 20 {
            assert!(
                v2c.round_trips <= 3,
                "{}: {} v2c round trips",
                m.name,
                v2c.round_trips
            );
        }
        max_v2c = max_v2c.max(v2c.round_trips);

        let v1 = fetch(m.addr(), &Credentials::v1("public"), &plan, &poll)
            .await
            .unwrap();
        let expected_v1 = without_counter64(&expected);
        assert!(
            v1.tree == expected_v1,
            "{} v1 differs:\n{}",
            m.name,
            diff(&v1.tree, &expected_v1)
        );
        max_v1 = max_v1.max(v1.round_trips);

        let v3 = fetch(m.addr(), &Credentials::V3(v3_user()), &plan, &poll)
            .await
            .unwrap();
        assert!(
            v3.tree == expected,
            "{} v3 differs:\n{}",
            m.name,
            diff(&v3.tree, &expected)
        );
        assert!(
            v3.round_trips > v2c.round_trips,
            "v3 counts engine discovery"
        );
        max_v3 = max_v3.max(v3.round_trips);
        report.push_str(&format!(
            "{:28} bindings {:4} round trips v2c {} v1 {:2} v3 {}\n",
            m.name,
            expected.len(),
            v2c.round_trips,
            v1.round_trips,
            v3.round_trips
        ));
    }
    println!("{report}max round trips: v2c {max_v2c}, v1 {max_v1}, v3 {max_v3}");
    println!(
        "v2c fetch: {:?} on average over {} recordings",
        v2c_time / u32::try_from(fleet.members().len()).expect("count"),
        fleet.members().len()
    );
    fleet.shutdown().await;
}

#[tokio::test]
async fn wrong_community_times_out_and_wrong_v3_password_fails_auth() {
    let opts = FleetOptions {
        users: vec![v3_user()],
        ..FleetOptions::default()
    };
    let fleet =
        SimFleet::from_recordings_with(&fixtures(), Ipv4Addr::new(127, 77, 4, 10), 16161, &opts)
            .await
            .unwrap();
    let m = &fleet.members()[0];
    let plan = FetchPlan::printer_baseline();
    let poll = PollOptions {
        timeout: std::time::Duration::from_millis(200),
        retries: 0,
        ..PollOptions::default()
    };
    let err = fetch(m.addr(), &Credentials::v2c("wrong"), &plan, &poll)
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    let mut bad = v3_user();
    bad.auth = Some((AuthProtocol::Sha1, "not-the-password".into()));
    let err = fetch(m.addr(), &Credentials::V3(bad), &plan, &poll)
        .await
        .unwrap_err();
    let text = err.to_string();
    // The simulated agent (like many printers) silently drops messages that
    // fail authentication, so the client can only see silence.
    assert!(
        matches!(
            err,
            asr_protocols::snmp::SnmpError::AuthFailed { .. }
                | asr_protocols::snmp::SnmpError::Timeout { .. }
        ),
        "{text}"
    );
    assert!(text.contains(&m.addr().to_string()), "{text}");
    assert!(
        !text.contains("not-the-password") && !text.contains("privpass"),
        "{text}"
    );
    let mut short = v3_user();
    short.auth = Some((AuthProtocol::Sha1, "short".into()));
    let err = fetch(m.addr(), &Credentials::V3(short), &plan, &poll)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            asr_protocols::snmp::SnmpError::InvalidCredentials { .. }
        ),
        "{err}"
    );
    assert!(!err.to_string().contains("short\""), "{err}");
    fleet.shutdown().await;
}
