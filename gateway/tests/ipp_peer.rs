//! IPP against a real third-party server: CUPS' `ippeveprinter` (Debian
//! `cups-ipp-utils`), whose supply levels change live through its
//! `/supplies` page. It needs avahi on D-Bus even with `-r off`: each run
//! gets a private bus and, in its own mount namespace, a private
//! `/run/avahi-daemon` (so a host's avahi is left alone).

#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::net::{IpAddr, Ipv4Addr};
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use asr_protocols::ipp::{IppClient, IppError, IppUrl, read_printer};
use asr_protocols::printer::{Gauge, ReportSource, SupplyClass};
use serde_json::Value;

/// An ippeveprinter and its avahi and D-Bus, stopped (whole process group) on drop.
struct Peer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

fn start_peer() -> Peer {
    for tool in ["ippeveprinter", "avahi-daemon", "dbus-daemon", "unshare"] {
        assert!(
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .stdout(Stdio::null())
                .status()
                .unwrap()
                .success(),
            "{tool} is missing (scripts/test.sh installs cups-ipp-utils, avahi-daemon, dbus)"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("avahi.conf"),
        "[server]\nhost-name=asr-ipp-test\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=lo\nenable-dbus=yes\n\
         [publish]\npublish-addresses=no\npublish-hinfo=no\npublish-workstation=no\n[reflector]\n[rlimits]\n",
    )
    .unwrap();
    std::fs::create_dir_all(d.join("keys")).unwrap();
    let port = asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST))
        .unwrap()
        .port();
    let script = format!(
        r#"set -e
mkdir -p /run/avahi-daemon
mount -t tmpfs tmpfs /run/avahi-daemon
export DBUS_SYSTEM_BUS_ADDRESS=unix:path={d}/bus
dbus-daemon --config-file=/usr/share/dbus-1/system.conf --address="$DBUS_SYSTEM_BUS_ADDRESS" --nofork --nopidfile &
for i in $(seq 50); do [ -S {d}/bus ] && break; sleep 0.1; done
avahi-daemon -f {d}/avahi.conf --no-drop-root --no-chroot --no-rlimits > {d}/avahi.log 2>&1 &
for i in $(seq 50); do grep -q 'Server startup complete' {d}/avahi.log && break; sleep 0.1; done
exec ippeveprinter -n localhost -p {port} -r off -K {d}/keys "ASR Test Printer" > {d}/ipp.log 2>&1
"#,
        d = d.display()
    );
    let child = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .process_group(0)
        .spawn()
        .unwrap();
    let peer = Peer {
        child,
        port,
        _dir: dir,
    };
    // Ready when it answers HTTP.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return peer;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = |f: &str| std::fs::read_to_string(peer._dir.path().join(f)).unwrap_or_default();
    panic!(
        "ippeveprinter did not start: {}\n{}",
        log("ipp.log"),
        log("avahi.log")
    );
}

fn poll_json(url: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_asr-gateway"))
        .args(["poll", "--json", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn supply<'a>(report: &'a Value, kind: &str) -> &'a Value {
    report["supplies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {report}"))
}

fn set_levels(port: u16, query: &str) {
    let status = Command::new("curl")
        .args(["-fsS", "-o", "/dev/null"])
        .arg(format!("http://127.0.0.1:{port}/supplies?{query}"))
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn levels_are_read_over_ipp_and_a_change_is_seen_on_the_next_poll() {
    let peer = start_peer();
    let url = format!("ipp://localhost:{}/ipp/print", peer.port);
    let report = poll_json(&url);
    assert_eq!(report["source"], "ipp");
    assert_eq!(report["error"], Value::Null);
    assert!(
        report["uuid"].as_str().is_some_and(|u| u.len() == 36),
        "{report}"
    );
    assert_eq!(report["model"], "Example Printer");
    let toner = supply(&report, "toner");
    assert_eq!(toner["colorant"], "black");
    assert_eq!(toner["class"], "consumed");
    assert_eq!(toner["description"], "Black Toner");
    let waste = supply(&report, "wasteToner");
    assert_eq!(waste["class"], "receptacle");
    let (toner_before, waste_before) = (toner["percent"].clone(), waste["percent"].clone());
    assert!(
        toner_before.is_number() && waste_before.is_number(),
        "{report}"
    );

    // The printer's own page moves the levels; the next poll sees it.
    set_levels(peer.port, "supply0=60&supply1=7");
    let report = poll_json(&url);
    let percent = |kind: &str| supply(&report, kind)["percent"].as_f64().unwrap();
    assert!((percent("wasteToner") - 60.0).abs() < 1e-9, "{report}");
    assert!((percent("toner") - 7.0).abs() < 1e-9, "{report}");
    // 7 % is no coarse step: the gauge is exact.
    assert_eq!(supply(&report, "toner")["gauge"], "exact");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipps_certificates_are_pinned_and_a_change_is_refused() {
    let peer = start_peer();
    let url = IppUrl::parse(&format!("ipps://localhost:{}/ipp/print", peer.port)).unwrap();
    let client = IppClient::new(Duration::from_secs(10)).unwrap();
    let (report, certificate) = read_printer(&client, &url, None).await.unwrap();
    assert_eq!(report.source, ReportSource::Ipp);
    let pin = certificate.expect("a certificate over IPPS");
    assert_eq!(pin.len(), 64);
    let toner = report.supplies.iter().find(|s| s.kind == "toner").unwrap();
    assert_eq!(toner.class, SupplyClass::Consumed);
    // ippeveprinter starts at 25 % and 75 %: quarter steps, as SNMP would say.
    assert_eq!(toner.percent, Some(75.0));
    assert_eq!(toner.gauge, Gauge::Stepped);

    // The same certificate: accepted; another one: refused, not trusted.
    read_printer(&client, &url, Some(&pin)).await.unwrap();
    let other = "0".repeat(64);
    let err = read_printer(&client, &url, Some(&other)).await.unwrap_err();
    assert!(
        matches!(&err, IppError::CertificateChanged { pinned, seen, .. } if pinned == &other && seen == &pin),
        "{err}"
    );
}
