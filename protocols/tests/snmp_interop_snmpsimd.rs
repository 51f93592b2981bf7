//! Interoperability with an SNMP agent we did not write: Debian's `snmpsimd`
//! serving a shared recording. Skipped (with a message) where snmpsimd is not
//! installed.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use asr_protocols::mib::{MibTree, Oid, Value};
use asr_protocols::snmp::{
    AuthProtocol, Credentials, FetchPlan, PollOptions, PrivProtocol, V3Credentials, fetch,
};
use asr_protocols::snmprec;

const SNMPSIMD: &str = "/usr/bin/snmpsimd";

/// Kills the simulator we started when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// snmpsimd serving `text` (community and v3 context "printer") on every
/// address of `endpoints`, with `extra` arguments; its data and cache live
/// in the returned directory.
fn serve(text: &str, endpoints: &[SocketAddr], extra: &[&str]) -> (tempfile::TempDir, Running) {
    let work = tempfile::tempdir().expect("tempdir");
    let (data, cache) = (work.path().join("data"), work.path().join("cache"));
    std::fs::create_dir_all(&data).expect("data dir");
    std::fs::create_dir_all(&cache).expect("cache dir");
    std::fs::write(data.join("printer.snmprec"), text).expect("copy");
    // snmpsimd drops privileges to nobody: it must read data and write cache.
    for dir in [work.path(), &data, &cache] {
        let _ = Command::new("chmod").arg("777").arg(dir).status();
    }
    let _ = Command::new("chmod")
        .arg("644")
        .arg(data.join("printer.snmprec"))
        .status();
    let mut cmd = Command::new(SNMPSIMD);
    cmd.args(["--process-user=nobody", "--process-group=nogroup"])
        .args(extra)
        .arg(format!("--data-dir={}", data.display()))
        .arg(format!("--cache-dir={}", cache.display()));
    for addr in endpoints {
        cmd.arg(format!("--agent-udpv4-endpoint={addr}"));
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start snmpsimd");
    (work, Running(child))
}

/// Waits until `addr` answers a GET of sysDescr: snmpsimd takes seconds to start.
async fn wait_until_answers(addr: SocketAddr, creds: &Credentials, within: Duration) {
    let quick = PollOptions {
        timeout: Duration::from_millis(500),
        retries: 0,
        ..PollOptions::default()
    };
    let probe = FetchPlan {
        scalars: vec![Oid::parse("1.3.6.1.2.1.1.1.0").expect("oid")],
        subtrees: Vec::new(),
    };
    let started = Instant::now();
    loop {
        match fetch(addr, creds, &probe, &quick).await {
            Ok(f) if !f.tree.is_empty() => return,
            _ if started.elapsed() > within => panic!("snmpsimd never answered on {addr}"),
            _ => tokio::time::sleep(Duration::from_millis(300)).await,
        }
    }
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

#[tokio::test]
async fn client_reads_a_recording_served_by_snmpsimd() {
    if !Path::new(SNMPSIMD).exists() {
        eprintln!("snmpsimd not installed (apt-get install snmpsim): interop test skipped");
        return;
    }
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/printers/snmprec/konica.snmprec");
    let text = std::fs::read_to_string(&fixture).expect("fixture");
    let recorded = snmprec::parse(&text).tree;

    let addr = SocketAddr::from((Ipv4Addr::new(127, 77, 5, 11), 16161));
    let (_work, _running) = serve(
        &text,
        &[addr],
        &[
            "--v3-engine-id=auto",
            "--v3-user=poller",
            "--v3-auth-key=authpass-123",
            "--v3-auth-proto=SHA",
            "--v3-priv-key=privpass-456",
            "--v3-priv-proto=AES",
        ],
    );
    // The file name is the community (and the v3 context).
    let v2c = Credentials::v2c("printer");
    wait_until_answers(addr, &v2c, Duration::from_secs(40)).await;

    let plan = FetchPlan::printer_baseline();
    let expected = plan.expected_from(&recorded);
    let opts = PollOptions::default();
    let v1_expected: MibTree = expected
        .iter()
        .filter(|(_, v)| !matches!(v, Value::Counter64(_)))
        .map(|(o, v)| (o.clone(), v.clone()))
        .collect();
    // snmpsimd (pysnmp 4.4) pads AES-encrypted scoped PDUs, which
    // async-snmp 0.18 alone rejects; the poll's repair makes v3 work.
    let mut v3 = V3Credentials::auth_priv(
        "poller",
        AuthProtocol::Sha1,
        "authpass-123",
        PrivProtocol::Aes128,
        "privpass-456",
    );
    v3.context = "printer".into();
    let v3 = Credentials::V3(v3);
    for (creds, want) in [
        (v2c.clone(), &expected),
        (Credentials::v1("printer"), &v1_expected),
        (v3.clone(), &expected),
    ] {
        let got = fetch(addr, &creds, &plan, &opts)
            .await
            .unwrap_or_else(|e| panic!("{creds}: {e}"));
        assert!(
            got.tree == *want,
            "{creds} differs:\n{}",
            diff(&got.tree, want)
        );
        println!(
            "snmpsimd {}: {} bindings in {} round trips",
            creds.version_name(),
            got.tree.len(),
            got.round_trips
        );
    }

    // A wrong privacy password: pysnmp cannot decrypt the request and stays
    // silent, so the client can only report silence, naming the device and
    // never the secret.
    let Credentials::V3(mut bad) = v3 else {
        unreachable!("v3 credentials")
    };
    bad.privacy = Some((PrivProtocol::Aes128, "not-the-priv-pass".into()));
    let quick = PollOptions {
        timeout: Duration::from_millis(500),
        retries: 0,
        ..PollOptions::default()
    };
    let err = fetch(addr, &Credentials::V3(bad), &plan, &quick)
        .await
        .unwrap_err();
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
    assert!(!err.to_string().contains("not-the-priv-pass"), "{err}");
    println!("snmpsimd v3 with a wrong privacy password: {err}");
}

/// One slow shared agent serving 200 printers (one snmpsimd process, 200
/// addresses), read as the gateway reads a site: 16 polls in flight, the
/// default timeouts. Every printer is read, and none needed more requests
/// on the wire than a printer polled alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_printers_behind_one_snmpsimd_are_all_read_with_default_settings() {
    if !Path::new(SNMPSIMD).exists() {
        eprintln!("snmpsimd not installed (apt-get install snmpsim): interop test skipped");
        return;
    }
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/printers/snmprec/konica.snmprec");
    let text = std::fs::read_to_string(&fixture).expect("fixture");
    let addrs: Vec<SocketAddr> = (1..=200u8)
        .map(|i| SocketAddr::from((Ipv4Addr::new(127, 77, 6, i), 16161)))
        .collect();
    let (_work, _running) = serve(&text, &addrs, &[]);

    let v2c = Credentials::v2c("printer");
    for addr in [addrs[0], addrs[199]] {
        wait_until_answers(addr, &v2c, Duration::from_secs(60)).await;
    }

    let plan = FetchPlan::printer_baseline();
    let alone = fetch(addrs[0], &v2c, &plan, &PollOptions::default())
        .await
        .expect("one printer alone");
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = Vec::new();
    for addr in addrs.clone() {
        let (plan, v2c, permits) = (plan.clone(), v2c.clone(), permits.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await.expect("permit");
            fetch(addr, &v2c, &plan, &PollOptions::default()).await
        }));
    }
    let started = Instant::now();
    let mut read = 0;
    let mut worst = 0;
    for (task, addr) in tasks.into_iter().zip(&addrs) {
        match task.await.expect("task") {
            Ok(f) => {
                read += 1;
                worst = worst.max(f.round_trips);
                assert_eq!(f.tree.len(), alone.tree.len(), "{addr}: a whole poll");
            }
            Err(e) => eprintln!("{addr}: {e}"),
        }
    }
    println!(
        "200 printers behind one snmpsimd: {read} read in {:.1} s, at most {worst} round trips each ({} alone)",
        started.elapsed().as_secs_f64(),
        alone.round_trips
    );
    assert_eq!(read, 200, "every printer read");
    assert!(
        worst <= alone.round_trips,
        "no printer needed more requests than one polled alone ({worst} > {})",
        alone.round_trips
    );
}
