//! The client against misbehaving simulated printers over real UDP: silence,
//! slowness, sleep, endless tables and backwards walks must all end in
//! bounded time with a bounded result or a clear error.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use asr_protocols::mib::{MibTree, Value};
use asr_protocols::sim::{
    Misbehaviour, SimAgent, SimAgentConfig, SimError, SyntheticPrinter, demo_fleet,
};
use asr_protocols::snmp::{
    AuthProtocol, Credentials, FetchPlan, PollOptions, PrivProtocol, SnmpError, TruncationReason,
    V3Credentials, fetch,
};

const LEVEL: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9];
const ALERT_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 8];

fn user() -> V3Credentials {
    V3Credentials::auth_priv(
        "poller",
        AuthProtocol::Sha256,
        "authpass-123",
        PrivProtocol::Aes128,
        "privpass-456",
    )
}

/// A colour printer with a waste bottle, served on 127.77.2.`host`.
async fn printer(host: u8) -> SimAgent {
    let spec = demo_fleet(5).into_iter().nth(3).expect("demo printer");
    let tree = SyntheticPrinter::new(spec).tree();
    let addr = SocketAddr::from((Ipv4Addr::new(127, 77, 2, host), 16161));
    SimAgent::start(SimAgentConfig::new(addr).with_user(user()), tree)
        .await
        .expect("start agent")
}

fn fast() -> PollOptions {
    PollOptions {
        timeout: Duration::from_millis(300),
        retries: 2,
        backoff: Duration::from_millis(50),
        ..PollOptions::default()
    }
}

#[tokio::test]
async fn silent_printer_times_out_within_budget_naming_it_then_recovers() {
    let agent = printer(10).await;
    agent.set_misbehaviour(Misbehaviour::Timeout);
    let opts = fast();
    let plan = FetchPlan::printer_baseline();
    let started = Instant::now();
    let err = fetch(
        agent.local_addr(),
        &Credentials::v2c("public"),
        &plan,
        &opts,
    )
    .await
    .unwrap_err();
    let took = started.elapsed();
    match &err {
        SnmpError::Timeout {
            target, attempts, ..
        } => {
            assert_eq!(*target, agent.local_addr());
            assert_eq!(*attempts, 3);
        }
        other => panic!("expected a timeout, got {other}"),
    }
    assert!(err.to_string().contains("127.77.2.10:16161"), "{err}");
    assert!(
        took >= Duration::from_millis(900),
        "gave up too early: {took:?}"
    );
    assert!(
        took <= opts.request_budget() + Duration::from_millis(400),
        "{took:?}"
    );

    agent.set_misbehaviour(Misbehaviour::None);
    let ok = fetch(
        agent.local_addr(),
        &Credentials::v2c("public"),
        &plan,
        &opts,
    )
    .await
    .unwrap();
    assert!(ok.tree.column(LEVEL).count() >= 4);
    agent.shutdown().await;
}

#[tokio::test]
async fn slow_printer_is_waited_for() {
    let agent = printer(11).await;
    agent.set_misbehaviour(Misbehaviour::Slow(Duration::from_millis(150)));
    let started = Instant::now();
    let got = fetch(
        agent.local_addr(),
        &Credentials::v2c("public"),
        &FetchPlan::printer_baseline(),
        &PollOptions::default(),
    )
    .await
    .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(got.round_trips, 1);
    assert!(got.tree.column(LEVEL).count() >= 4);
    agent.shutdown().await;
}

/// A printer whose agent answers after 3 s (printing, or waking from
/// sleep) is read with the default settings: the first attempt's 2 s wait
/// runs out, the resend waits twice as long (RFC 6298-style) and gets its
/// answer — a slow printer is not an offline one.
#[tokio::test]
async fn a_printer_answering_after_three_seconds_is_read_with_default_settings() {
    let agent = printer(16).await;
    agent.set_misbehaviour(Misbehaviour::Slow(Duration::from_secs(3)));
    let started = Instant::now();
    let got = fetch(
        agent.local_addr(),
        &Credentials::v2c("public"),
        &FetchPlan::printer_baseline(),
        &PollOptions::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("a slow printer is read: {e}"));
    let took = started.elapsed();
    assert!(got.tree.column(LEVEL).count() >= 4);
    assert!(took >= Duration::from_secs(3), "{took:?}");
    assert!(took < Duration::from_secs(12), "{took:?}");
    assert!(got.round_trips <= 2, "{}", got.round_trips);
    // What it learned: the next poll waits long enough from the first
    // attempt (as the live poller does), so nothing is sent twice.
    assert!(got.wait > Duration::from_secs(3), "{:?}", got.wait);
    let next = PollOptions {
        timeout: got.wait,
        ..PollOptions::default()
    };
    let started = Instant::now();
    let again = fetch(
        agent.local_addr(),
        &Credentials::v2c("public"),
        &FetchPlan::printer_baseline(),
        &next,
    )
    .await
    .expect("read again");
    let took = started.elapsed();
    assert!(again.tree.column(LEVEL).count() >= 4);
    assert!(
        took < Duration::from_millis(4500),
        "one attempt, about 3 s: {took:?}"
    );
    agent.shutdown().await;
}

#[tokio::test]
async fn backwards_walks_terminate_with_v2c_and_v1() {
    let agent = printer(12).await;
    agent.set_misbehaviour(Misbehaviour::Backwards);
    let plan = FetchPlan::printer_baseline();
    for creds in [Credentials::v2c("public"), Credentials::v1("public")] {
        let started = Instant::now();
        let got = fetch(agent.local_addr(), &creds, &plan, &fast())
            .await
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(3));
        let loops = got
            .truncated
            .iter()
            .filter(|t| matches!(t.reason, TruncationReason::NonIncreasing { .. }))
            .count();
        assert!(loops >= 5, "{creds}: {:?}", got.truncated);
        // A loop between rows 1 and 2 yields those two rows, no more.
        assert!(got.tree.column(LEVEL).count() <= 2, "{creds}");
        assert!(
            got.round_trips <= 10,
            "{creds}: {} round trips",
            got.round_trips
        );
    }
    agent.shutdown().await;
}

#[tokio::test]
async fn huge_table_is_bounded_by_max_rows_and_max_bindings() {
    let agent = printer(13).await;
    agent.set_misbehaviour(Misbehaviour::HugeTable(5000));
    let plan = FetchPlan::printer_baseline();
    let opts = PollOptions {
        max_rows: 100,
        ..fast()
    };
    for creds in [Credentials::v2c("public"), Credentials::V3(user())] {
        let got = fetch(agent.local_addr(), &creds, &plan, &opts)
            .await
            .unwrap();
        assert_eq!(got.tree.column(ALERT_DESCR).count(), 100, "{creds}");
        assert!(
            got.truncated
                .iter()
                .any(|t| t.subtree.arcs() == ALERT_DESCR
                    && t.reason == TruncationReason::RowLimit(100)),
            "{creds}: {:?}",
            got.truncated
        );
        assert!(got.tree.column(LEVEL).count() >= 4, "other columns intact");
    }
    let v1 = PollOptions {
        max_rows: 30,
        ..fast()
    };
    let got = fetch(agent.local_addr(), &Credentials::v1("public"), &plan, &v1)
        .await
        .unwrap();
    assert_eq!(got.tree.column(ALERT_DESCR).count(), 30);

    let tight = PollOptions {
        max_rows: 100_000,
        max_bindings: 300,
        ..fast()
    };
    let got = fetch(
        agent.local_addr(),
        &Credentials::v2c("public"),
        &plan,
        &tight,
    )
    .await
    .unwrap();
    assert!(got.tree.len() <= 300, "{} bindings kept", got.tree.len());
    assert!(
        got.truncated
            .iter()
            .any(|t| t.reason == TruncationReason::BindingLimit(300))
    );
    agent.shutdown().await;
}

#[tokio::test]
async fn asleep_printer_reports_unknown_levels() {
    let agent = printer(14).await;
    let plan = FetchPlan::printer_baseline();
    let awake = fetch(
        agent.local_addr(),
        &Credentials::v2c("public"),
        &plan,
        &fast(),
    )
    .await
    .unwrap();
    assert!(
        awake
            .tree
            .column(LEVEL)
            .all(|(_, v)| matches!(v, Value::Integer(l) if *l >= 0))
    );
    agent.set_misbehaviour(Misbehaviour::Asleep);
    for creds in [Credentials::v2c("public"), Credentials::V3(user())] {
        let got = fetch(agent.local_addr(), &creds, &plan, &fast())
            .await
            .unwrap();
        let levels: Vec<_> = got.tree.column(LEVEL).map(|(_, v)| v.clone()).collect();
        assert_eq!(levels.len(), awake.tree.column(LEVEL).count());
        assert!(
            levels.iter().all(|v| *v == Value::Integer(-2)),
            "{levels:?}"
        );
    }
    agent.shutdown().await;
}

#[tokio::test]
async fn a_taken_address_is_a_clear_error() {
    let agent = printer(15).await;
    let again = SimAgent::start(
        SimAgentConfig::new(agent.local_addr()),
        Arc::new(RwLock::new(MibTree::new())),
    )
    .await
    .unwrap_err();
    assert!(matches!(again, SimError::AddrInUse { .. }), "{again}");
    assert!(again.to_string().contains("127.77.2.15:16161"), "{again}");
    agent.shutdown().await;
    // After a clean shutdown the address is free again.
    let reborn = SimAgent::start(
        SimAgentConfig::new(SocketAddr::from((Ipv4Addr::new(127, 77, 2, 15), 16161))),
        Arc::new(RwLock::new(MibTree::new())),
    )
    .await
    .unwrap();
    reborn.shutdown().await;
}

#[tokio::test]
async fn nothing_listening_is_a_timeout_too() {
    let addr = SocketAddr::from((Ipv4Addr::new(127, 77, 2, 99), 16161));
    let opts = PollOptions {
        timeout: Duration::from_millis(100),
        retries: 1,
        backoff: Duration::from_millis(10),
        ..PollOptions::default()
    };
    let err = fetch(
        addr,
        &Credentials::v2c("public"),
        &FetchPlan::printer_baseline(),
        &opts,
    )
    .await
    .unwrap_err();
    // Linux answers a closed loopback port with ICMP: a network error or a
    // timeout are both honest; either must name the target.
    assert!(err.to_string().contains("127.77.2.99:16161"), "{err}");
    assert_eq!(err.target(), addr);
}
