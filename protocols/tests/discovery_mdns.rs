//! mDNS discovery over real multicast, confined to network namespaces this
//! test creates (the machine's own LAN interface must never see a query).
//!
//! Each outer test builds its namespaces with `ip netns`, starts the
//! advertisers inside them, and re-runs this test binary inside the
//! browsing namespace to execute one `#[ignore]`d inner test, which does
//! the asserting. Advertisers: python-zeroconf (Debian's
//! `python3-zeroconf`, an implementation independent of mdns-sd) and a
//! second mdns-sd daemon. Needs root (CI runs as root); without it the
//! outer tests fail with a message saying so.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use asr_protocols::discovery::{
    BrowseOptions, Browser, DirectoryEvent, DiscoveredPrinter, DiscoveryUpdate, PrinterDirectory,
    Sighting, browse, confirm_on_port, to_json_line,
};
use asr_protocols::sim::{
    AdvertisedPrinter, Advertiser, SimAgent, SimAgentConfig, SimFleet, SyntheticPrinter, demo_fleet,
};
use asr_protocols::snmp::{Credentials, PollOptions};
use mdns_sd::{IfKind, ServiceDaemon, ServiceInfo};
use serde_json::{Value, json};

const INNER: &str = "ASR_DISCOVERY_INNER";
const IFACE: &str = "ASR_DISCOVERY_IFACE";
const SPEC: &str = "ASR_DISCOVERY_SPEC";
const PYTHON: &str = "/usr/bin/python3";

// ---------------------------------------------------------------- harness

fn run(cmd: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {cmd}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "`{cmd} {}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A network namespace, deleted on drop (even when the test panics).
struct Netns {
    name: String,
}

impl Netns {
    fn create(tag: &str) -> Self {
        let name = format!("asrd{}{tag}", std::process::id());
        let _ = run("ip", &["netns", "del", &name]);
        if let Err(e) = run("ip", &["netns", "add", &name]) {
            panic!(
                "these tests need root and `ip netns` to confine mDNS to a private \
                 namespace (CI runs as root): {e}"
            );
        }
        let ns = Self { name };
        // A fresh namespace's loopback is down and may lack MULTICAST.
        ns.ip(&["link", "set", "lo", "up"]);
        ns.ip(&["link", "set", "lo", "multicast", "on"]);
        ns
    }

    fn ip(&self, args: &[&str]) {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        run("ip", &all).expect("ip command in namespace");
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = run("ip", &["netns", "del", &self.name]);
    }
}

/// Joins two namespaces with a veth pair, `a_addr` and `b_addr` as /24s.
/// Returns the interface name on the `b` side.
fn veth(a: &Netns, a_addr: &str, b: &Netns, b_addr: &str) -> String {
    let (va, vb) = (format!("{}x", a.name), format!("{}y", b.name));
    run(
        "ip",
        &[
            "link", "add", &va, "netns", &a.name, "type", "veth", "peer", "name", &vb, "netns",
            &b.name,
        ],
    )
    .expect("create veth pair");
    a.ip(&["addr", "add", &format!("{a_addr}/24"), "dev", &va]);
    b.ip(&["addr", "add", &format!("{b_addr}/24"), "dev", &vb]);
    a.ip(&["link", "set", &va, "up"]);
    b.ip(&["link", "set", &vb, "up"]);
    vb
}

/// The python-zeroconf responder, stopped on drop.
struct Responder {
    child: Child,
}

impl Responder {
    fn start(ns: &Netns, spec: &Path) -> Self {
        let probe = ns
            .command(PYTHON)
            .args(["-c", "import zeroconf"])
            .output()
            .expect("run python3");
        assert!(
            probe.status.success(),
            "{PYTHON} cannot import zeroconf: install Debian's python3-zeroconf \
             (apt-get install -y python3-zeroconf): {}",
            String::from_utf8_lossy(&probe.stderr)
        );
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/zeroconf_responder.py");
        let mut child = ns
            .command(PYTHON)
            .arg(script)
            .arg(spec)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start zeroconf responder");
        let stdout = child.stdout.take().expect("responder stdout");
        let (tx, rx) = std_mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let mut responder = Self { child };
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) if line.starts_with("READY") => {}
            other => {
                let _ = responder.child.kill();
                panic!("zeroconf responder did not get ready: {other:?}");
            }
        }
        responder
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        // Closing stdin lets it send goodbyes; then make sure it is gone.
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs one inner test of this binary inside `ns` and fails with its output
/// unless it passed.
fn run_inner(ns: &Netns, test: &str, env: &[(&str, &str)]) {
    let exe = std::env::current_exe().expect("current test binary");
    let mut c = ns.command(exe.to_str().expect("utf-8 path"));
    c.args([
        test,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(INNER, "1");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run inner test");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("1 passed"),
        "inner test {test} failed in namespace {}:\n{text}",
        ns.name
    );
    println!("{text}");
}

fn inner_only() {
    assert!(
        std::env::var_os(INNER).is_some(),
        "this test runs only inside the namespace its outer test creates"
    );
}

// ---------------------------------------------------------------- spec

/// Six printers with the TXT keys real printers send: IPP Everywhere
/// records with UUID, raw and LPD services without, a print server with
/// two queues on one host, a USB-style record without `ty`.
fn spec(v4: &[&str], v6: bool) -> Value {
    let addr = |i: usize| {
        let mut a = vec![json!(v4[i % v4.len()])];
        if v6 {
            a.push(json!(format!("fd88::{}", i + 1)));
        }
        a
    };
    let ipp = |model: &str, uuid: &str, note: &str| {
        json!({"type": "_ipp._tcp.local.", "port": 631, "txt": {
            "txtvers": "1", "qtotal": "1", "rp": "ipp/print", "ty": model,
            "product": format!("({model})"), "UUID": uuid, "note": note,
            "adminurl": "http://printer.local./", "pdl": "application/pdf,image/urf",
            "Color": "T", "Duplex": "T"}})
    };
    let raw = |model: &str| {
        json!({"type": "_pdl-datastream._tcp.local.", "port": 9100,
               "txt": {"ty": model, "product": format!("({model})")}})
    };
    let lpd =
        |queue: &str| json!({"type": "_printer._tcp.local.", "port": 515, "txt": {"rp": queue}});
    json!({"interfaces": [v4[0]], "printers": [
        {"name": "Accueil M404", "host": "npi-m404.local.", "addresses": addr(0),
         "services": [ipp("HP LaserJet Pro M404dn", "a1b2c3d4-0000-1000-8000-00000000a404", "Lyon RDC"),
                      raw("HP LaserJet Pro M404dn"), lpd("auto")]},
        {"name": "Compta Color", "host": "brn-l8900.local.", "addresses": addr(1),
         "services": [ipp("Brother MFC-L8900CDW", "e3248000-80ce-11db-8000-30055c8900aa", "Compta"),
                      {"type": "_ipps._tcp.local.", "port": 443, "txt": {"ty": "Brother MFC-L8900CDW",
                       "UUID": "urn:uuid:E3248000-80CE-11DB-8000-30055C8900AA"}}]},
        {"name": "Atelier Kyocera", "host": "kyo-p3145.local.", "addresses": addr(2),
         "services": [raw("Kyocera ECOSYS P3145dn"), lpd("lp")]},
        {"name": "Labo Epson", "host": "epson-wf.local.", "addresses": addr(3),
         "services": [{"type": "_pdl-datastream._tcp.local.", "port": 9100,
                       "txt": {"usb_MFG": "EPSON", "usb_MDL": "WF-C5790 Series"}}]},
        {"name": "Queue A", "host": "printsrv.local.", "addresses": addr(4),
         "services": [ipp("Xerox VersaLink C405", "11111111-2222-3333-4444-55555555aaaa", "Srv A")]},
        {"name": "Queue B", "host": "printsrv.local.", "addresses": addr(4),
         "services": [ipp("Ricoh IM C3000", "11111111-2222-3333-4444-55555555bbbb", "Srv B")]}
    ]})
}

fn write_spec(spec: &Value) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("spec.json");
    std::fs::write(&path, spec.to_string()).expect("write spec");
    (dir, path)
}

/// Waits until every printer of `spec` is found with all its addresses and
/// services, then a little longer to catch duplicates; returns what was
/// found, by id.
async fn collect(
    browser: &mut Browser,
    spec: &Value,
    limit: Duration,
) -> BTreeMap<String, DiscoveredPrinter> {
    let expected: Vec<&Value> = spec["printers"]
        .as_array()
        .expect("printers")
        .iter()
        .collect();
    let complete = |found: &BTreeMap<String, DiscoveredPrinter>| {
        expected.iter().all(|p| {
            found.values().any(|d| {
                d.name == p["name"].as_str().unwrap_or_default()
                    && d.addresses.len() == p["addresses"].as_array().map_or(0, Vec::len)
                    && d.services.len() == p["services"].as_array().map_or(0, Vec::len)
            })
        })
    };
    let mut found = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + limit;
    let mut settle: Option<tokio::time::Instant> = None;
    loop {
        let until = settle.unwrap_or(deadline);
        match tokio::time::timeout_at(until, browser.next()).await {
            Ok(Some(DiscoveryUpdate::Upserted(p))) => {
                found.insert(p.id.clone(), *p);
            }
            Ok(Some(DiscoveryUpdate::Removed { id })) => {
                found.remove(&id);
            }
            Ok(None) | Err(_) => break,
        }
        if settle.is_none() && complete(&found) {
            settle = Some(tokio::time::Instant::now() + Duration::from_millis(1500));
        }
    }
    found
}

/// Every advertised printer found exactly once, with its TXT values,
/// services and addresses (IPv4 and IPv6 merged).
fn assert_matches_spec(found: &BTreeMap<String, DiscoveredPrinter>, spec: &Value) {
    let expected = spec["printers"].as_array().expect("printers");
    let listing: Vec<String> = found.values().map(|p| to_json_line(p, None)).collect();
    assert_eq!(
        found.len(),
        expected.len(),
        "found:\n{}",
        listing.join("\n")
    );
    for p in expected {
        let name = p["name"].as_str().expect("name");
        let hits: Vec<&DiscoveredPrinter> = found.values().filter(|d| d.name == name).collect();
        assert_eq!(
            hits.len(),
            1,
            "{name}: found {} times:\n{}",
            hits.len(),
            listing.join("\n")
        );
        let d = hits[0];
        assert_eq!(d.host, p["host"].as_str().expect("host"), "{name}");
        let want_addrs: BTreeSet<IpAddr> = p["addresses"]
            .as_array()
            .expect("addresses")
            .iter()
            .map(|a| a.as_str().expect("addr").parse().expect("ip"))
            .collect();
        let got_addrs: BTreeSet<IpAddr> = d.addresses.iter().copied().collect();
        assert_eq!(got_addrs, want_addrs, "{name}");
        assert_eq!(
            d.addresses.len(),
            want_addrs.len(),
            "{name}: duplicate address"
        );
        assert!(
            d.addresses[0].is_ipv4(),
            "{name}: IPv4 first: {:?}",
            d.addresses
        );
        let mut want_services: Vec<String> = p["services"]
            .as_array()
            .expect("services")
            .iter()
            .map(|s| {
                s["type"]
                    .as_str()
                    .expect("type")
                    .trim_end_matches(".local.")
                    .to_string()
            })
            .collect();
        want_services.sort();
        assert_eq!(d.services, want_services, "{name}");
        // The IPP record's TXT values (or the first service's) come through.
        let first = &p["services"][0];
        for (k, v) in first["txt"].as_object().expect("txt") {
            assert_eq!(d.txt_value(k), v.as_str(), "{name}: TXT {k}");
        }
        if let Some(u) = first["txt"]["UUID"].as_str() {
            assert_eq!(
                d.uuid.as_deref(),
                Some(u.to_ascii_lowercase().as_str()),
                "{name}"
            );
            assert_eq!(
                d.location.as_deref(),
                first["txt"]["note"].as_str(),
                "{name}"
            );
        }
        let model = first["txt"]["ty"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| "EPSON WF-C5790 Series".to_string());
        assert_eq!(d.model.as_deref(), Some(model.as_str()), "{name}");
    }
}

// ---------------------------------------------------------------- outer tests

#[test]
fn loopback_finds_every_zeroconf_printer_once_with_v4_and_v6() {
    let ns = Netns::create("lo");
    let v4 = [
        "127.0.0.1",
        "127.88.1.2",
        "127.88.1.3",
        "127.88.1.4",
        "127.88.1.5",
    ];
    let (_dir, path) = write_spec(&spec(&v4, true));
    let _responder = Responder::start(&ns, &path);
    let p = path.to_str().expect("utf-8");
    run_inner(
        &ns,
        "inner_browse_matches_spec",
        &[(IFACE, "lo"), (SPEC, p)],
    );
}

#[test]
fn veth_pair_between_two_namespaces() {
    let adv = Netns::create("a");
    let brw = Netns::create("b");
    let iface = veth(&adv, "10.250.0.1", &brw, "10.250.0.2");
    // One address per advertised device, as on a real LAN.
    let v4 = [
        "10.250.0.1",
        "10.250.0.11",
        "10.250.0.12",
        "10.250.0.13",
        "10.250.0.14",
    ];
    for a in &v4[1..] {
        adv.ip(&[
            "addr",
            "add",
            &format!("{a}/24"),
            "dev",
            &format!("{}x", adv.name),
        ]);
    }
    let (_dir, path) = write_spec(&spec(&v4, false));
    let _responder = Responder::start(&adv, &path);
    let p = path.to_str().expect("utf-8");
    run_inner(
        &brw,
        "inner_browse_matches_spec",
        &[(IFACE, &iface), (SPEC, p)],
    );
}

#[test]
fn mdns_sd_advertiser_snmp_confirmation_and_move() {
    let ns = Netns::create("sn");
    run_inner(&ns, "inner_confirm_and_move", &[(IFACE, "lo")]);
}

#[test]
fn sim_fleet_advertiser_found_and_confirmed() {
    let ns = Netns::create("af");
    run_inner(&ns, "inner_sim_fleet_advertised", &[(IFACE, "lo")]);
}

// ---------------------------------------------------------------- inner tests

#[tokio::test]
#[ignore = "run inside a namespace by the outer tests"]
async fn inner_browse_matches_spec() {
    inner_only();
    let iface = std::env::var(IFACE).expect("interface");
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(std::env::var(SPEC).expect("spec")).expect("read spec"),
    )
    .expect("spec json");
    let opts = BrowseOptions {
        interfaces: Some(vec![iface.clone()]),
        ..BrowseOptions::default()
    };
    let started = Instant::now();
    let mut browser = Browser::start(&opts).expect("browser");
    let found = collect(&mut browser, &spec, Duration::from_secs(15)).await;
    let took = started.elapsed();
    browser.shutdown().await;
    assert_matches_spec(&found, &spec);
    println!(
        "found {} printers on {iface} in {took:?} (incl. 1.5 s settle)",
        found.len()
    );

    // The one-shot listing agrees.
    let list = browse(BrowseOptions {
        timeout: Duration::from_secs(3),
        interfaces: Some(vec![iface]),
        ..BrowseOptions::default()
    })
    .await
    .expect("browse");
    let by_id: BTreeMap<String, DiscoveredPrinter> =
        list.into_iter().map(|p| (p.id.clone(), p)).collect();
    assert_matches_spec(&by_id, &spec);
}

fn register(daemon: &ServiceDaemon, name: &str, host: &str, ip: Ipv4Addr, serial_hint: &str) {
    let props = [
        ("ty", "HP LaserJet Pro M404dn"),
        ("UUID", "0badcafe-0000-1000-8000-000000000404"),
        ("note", serial_hint),
        ("rp", "ipp/print"),
    ];
    for (ty, port) in [("_ipp._tcp.local.", 631), ("_printer._tcp.local.", 515)] {
        let info = ServiceInfo::new(ty, name, host, IpAddr::V4(ip), port, &props[..])
            .expect("service info");
        daemon.register(info).expect("register");
    }
}

async fn next_printer(
    browser: &mut Browser,
    want: impl Fn(&DiscoveredPrinter) -> bool,
) -> DiscoveredPrinter {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        match tokio::time::timeout_at(deadline, browser.next()).await {
            Ok(Some(DiscoveryUpdate::Upserted(p))) if want(&p) => return *p,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => panic!("expected printer update did not come"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run inside a namespace by the outer tests"]
async fn inner_confirm_and_move() {
    inner_only();
    let spec = demo_fleet(7).remove(0);
    let serial = spec.serial.clone();
    let printer = SyntheticPrinter::new(spec);
    let port = 1161;
    let old_ip = Ipv4Addr::new(127, 88, 2, 10);
    let new_ip = Ipv4Addr::new(127, 88, 2, 40);
    let agent = SimAgent::start(
        SimAgentConfig::new(SocketAddr::new(IpAddr::V4(old_ip), port)),
        printer.tree(),
    )
    .await
    .expect("agent");

    // The advertiser: a second, independent mdns-sd daemon on lo.
    let adv = ServiceDaemon::new().expect("advertiser daemon");
    adv.disable_interface(IfKind::All).expect("disable");
    adv.enable_interface("lo").expect("enable lo");
    register(&adv, "Accueil M404", "npi-m404.local.", old_ip, "Lyon");

    let mut browser = Browser::start(&BrowseOptions {
        interfaces: Some(vec!["lo".into()]),
        ..BrowseOptions::default()
    })
    .expect("browser");
    let creds = [
        Credentials::v2c("wrong-community"),
        Credentials::v2c("public"),
    ];
    let poll = PollOptions {
        timeout: Duration::from_millis(300),
        retries: 0,
        ..PollOptions::default()
    };
    let mut dir = PrinterDirectory::new();

    let seen = next_printer(&mut browser, |p| {
        p.addresses.contains(&IpAddr::V4(old_ip)) && p.services.len() == 2
    })
    .await;
    assert_eq!(
        seen.uuid.as_deref(),
        Some("0badcafe-0000-1000-8000-000000000404")
    );
    let c = confirm_on_port(&seen, &creds, &poll, port)
        .await
        .expect("confirm");
    assert_eq!(c.serial.as_deref(), Some(serial.as_str()));
    assert_eq!(c.key.as_deref(), Some(serial.as_str()));
    assert_eq!(c.addr, SocketAddr::new(IpAddr::V4(old_ip), port));
    assert_eq!(
        c.credentials_index, 1,
        "the wrong community must not answer"
    );
    let line = to_json_line(&seen, c.serial.as_deref());
    assert!(line.contains(&serial), "{line}");
    let key = c.key.clone().expect("key");
    assert_eq!(
        dir.observe(Sighting {
            key: key.clone(),
            addr: c.addr,
            at: chrono::Utc::now()
        }),
        DirectoryEvent::New {
            key: key.clone(),
            addr: c.addr
        }
    );

    // DHCP moves the printer: same agent data, new address, re-advertised.
    agent.shutdown().await;
    let agent = SimAgent::start(
        SimAgentConfig::new(SocketAddr::new(IpAddr::V4(new_ip), port)),
        printer.tree(),
    )
    .await
    .expect("moved agent");
    register(&adv, "Accueil M404", "npi-m404.local.", new_ip, "Lyon");
    let moved = next_printer(&mut browser, |p| p.addresses.contains(&IpAddr::V4(new_ip))).await;
    assert_eq!(moved.id, seen.id, "same device id after the move");
    let c2 = confirm_on_port(&moved, &creds, &poll, port)
        .await
        .expect("confirm after move");
    assert_eq!(c2.key.as_deref(), Some(serial.as_str()));
    assert_eq!(
        dir.observe(Sighting {
            key: key.clone(),
            addr: c2.addr,
            at: chrono::Utc::now()
        }),
        DirectoryEvent::Moved {
            key: key.clone(),
            from: SocketAddr::new(IpAddr::V4(old_ip), port),
            to: SocketAddr::new(IpAddr::V4(new_ip), port),
        }
    );
    assert_eq!(dir.len(), 1);

    // Withdrawal: goodbyes remove the device.
    for ty in ["_ipp._tcp.local.", "_printer._tcp.local."] {
        let rx = adv
            .unregister(&format!("Accueil M404.{ty}"))
            .expect("unregister");
        let _ = rx.recv_timeout(Duration::from_secs(5));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut removed = false;
    while let Ok(Some(u)) = tokio::time::timeout_at(deadline, browser.next()).await {
        if u == (DiscoveryUpdate::Removed {
            id: seen.id.clone(),
        }) {
            removed = true;
            break;
        }
    }
    assert!(removed, "device not removed after goodbye");
    browser.shutdown().await;
    agent.shutdown().await;
    let _ = adv.shutdown();
}

/// The simulator's own advertiser: a small fleet on the namespace's
/// loopback, announced on `lo`, browsed and confirmed over SNMP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run inside a namespace by the outer tests"]
async fn inner_sim_fleet_advertised() {
    inner_only();
    let iface = std::env::var(IFACE).expect("interface");
    let port = 1161;
    let specs: Vec<_> = demo_fleet(11).into_iter().take(4).collect();
    let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 0, 0, 10), port, 0.0)
        .await
        .expect("fleet");
    let printers: Vec<AdvertisedPrinter> = fleet
        .members()
        .iter()
        .map(AdvertisedPrinter::from_member)
        .collect();
    let started = Instant::now();
    let adv = Advertiser::start(&printers, Some(vec![iface.clone()])).expect("advertiser");
    assert_eq!(adv.service_names().len(), 2 * printers.len());

    let list = browse(BrowseOptions {
        timeout: Duration::from_secs(4),
        interfaces: Some(vec![iface.clone()]),
        ..BrowseOptions::default()
    })
    .await
    .expect("browse");
    let took = started.elapsed();
    let listing: Vec<String> = list.iter().map(|p| to_json_line(p, None)).collect();
    assert_eq!(list.len(), printers.len(), "found:\n{}", listing.join("\n"));

    let creds = [Credentials::v2c("public")];
    let poll = PollOptions {
        timeout: Duration::from_millis(500),
        retries: 1,
        ..PollOptions::default()
    };
    for (want, spec) in printers.iter().zip(&specs) {
        let hits: Vec<&DiscoveredPrinter> = list.iter().filter(|d| d.name == want.name).collect();
        assert_eq!(hits.len(), 1, "{}: {}", want.name, listing.join("\n"));
        let d = hits[0];
        assert_eq!(d.addresses, vec![want.addr], "{}", want.name);
        assert_eq!(d.host, want.host_name);
        assert_eq!(
            d.services,
            vec!["_ipp._tcp", "_printer._tcp"],
            "{}",
            want.name
        );
        assert_eq!(d.ports.get("_ipp._tcp"), Some(&631));
        assert_eq!(d.ports.get("_printer._tcp"), Some(&515));
        let product = format!("({})", want.model);
        assert_eq!(d.txt_value("product"), Some(product.as_str()));
        assert_eq!(d.txt_value("UUID"), Some(want.uuid.as_str()));
        assert_eq!(d.txt_value("rp"), Some("ipp/print"), "IPP values win");
        assert_eq!(d.txt_value("txtvers"), Some("1"));
        assert_eq!(d.uuid.as_deref(), Some(want.uuid.as_str()));
        assert_eq!(d.model.as_deref(), Some(want.model.as_str()));
        assert_eq!(d.location.as_deref(), Some(spec.site.as_str()));
        assert!(
            d.admin_url
                .as_deref()
                .is_some_and(|u| u.starts_with("http://"))
        );
        let c = confirm_on_port(d, &creds, &poll, port)
            .await
            .expect("confirm");
        assert_eq!(c.serial.as_deref(), Some(spec.serial.as_str()));
        assert_eq!(c.addr, SocketAddr::new(want.addr, port));
    }
    println!(
        "{} simulated printers advertised on {iface}, browsed in {took:?} (4 s listen), all confirmed",
        list.len()
    );

    // Shutting the advertiser down sends goodbyes: a browser that saw the
    // printers sees them go.
    let mut browser = Browser::start(&BrowseOptions {
        interfaces: Some(vec![iface]),
        ..BrowseOptions::default()
    })
    .expect("browser");
    let mut ids = BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while ids.len() < printers.len() {
        match tokio::time::timeout_at(deadline, browser.next()).await {
            Ok(Some(DiscoveryUpdate::Upserted(p))) => {
                ids.insert(p.id.clone());
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => panic!("only {} printers seen again", ids.len()),
        }
    }
    adv.shutdown().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !ids.is_empty() {
        match tokio::time::timeout_at(deadline, browser.next()).await {
            Ok(Some(DiscoveryUpdate::Removed { id })) => {
                ids.remove(&id);
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => panic!("{} printers not withdrawn: {ids:?}", ids.len()),
        }
    }
    browser.shutdown().await;
    fleet.shutdown().await;
}
