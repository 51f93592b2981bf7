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

    let work = tempfile::tempdir().expect("tempdir");
    let (data, cache) = (work.path().join("data"), work.path().join("cache"));
    std::fs::create_dir_all(&data).expect("data dir");
    std::fs::create_dir_all(&cache).expect("cache dir");
    std::fs::write(data.join("printer.snmprec"), &text).expect("copy");
    // snmpsimd drops privileges to nobody: it must read data and write cache.
    for dir in [work.path(), &data, &cache] {
        let _ = Command::new("chmod").arg("777").arg(dir).status();
    }
    let _ = Command::new("chmod")
        .arg("644")
        .arg(data.join("printer.snmprec"))
        .status();

    let addr = SocketAddr::from((Ipv4Addr::new(127, 77, 5, 11), 16161));
    let child = Command::new(SNMPSIMD)
        .args([
            "--process-user=nobody",
            "--process-group=nogroup",
            "--v3-engine-id=auto",
            "--v3-user=poller",
            "--v3-auth-key=authpass-123",
            "--v3-auth-proto=SHA",
            "--v3-priv-key=privpass-456",
            "--v3-priv-proto=AES",
        ])
        .arg(format!("--data-dir={}", data.display()))
        .arg(format!("--cache-dir={}", cache.display()))
        .arg(format!("--agent-udpv4-endpoint={addr}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start snmpsimd");
    let _running = Running(child);

    // The file name is the community (and the v3 context).
    let v2c = Credentials::v2c("printer");
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
        match fetch(addr, &v2c, &probe, &quick).await {
            Ok(f) if !f.tree.is_empty() => break,
            _ if started.elapsed() > Duration::from_secs(40) => panic!("snmpsimd never answered"),
            _ => tokio::time::sleep(Duration::from_millis(300)).await,
        }
    }

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
    let err = fetch(addr, &Credentials::V3(bad), &plan, &quick)
        .await
        .unwrap_err();
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
    assert!(!err.to_string().contains("not-the-priv-pass"), "{err}");
    println!("snmpsimd v3 with a wrong privacy password: {err}");
}
