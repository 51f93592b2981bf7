//! `asr-gateway run --config FILE` as systemd starts it: real printers
//! (simulated over UDP), a real broker, a notify socket and a watchdog
//! (`Type=notify`), then SIGTERM as systemd sends it.

#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

#[path = "web_fixture.rs"]
mod fixture;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use asr_protocols::sim::{SimFleet, demo_fleet};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_polls_configured_printers_reports_online_and_stops_on_sigterm() {
    let specs: Vec<_> = demo_fleet(21).into_iter().take(3).collect();
    let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 0, 0, 180), 16_175, 0.0)
        .await
        .unwrap();
    let broker_addr = asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    let _broker = asr_cloud_sync::EmbeddedBroker::start(broker_addr).unwrap();
    let http = asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let targets: Vec<String> = fleet
        .members()
        .iter()
        .map(|m| format!("\"{}\"", m.addr()))
        .collect();
    let printers: String = specs
        .iter()
        .map(|s| {
            format!(
                "[[printers]]\nserial = \"{}\"\nsite = \"{}\"\ncontact = \"{}\"\n",
                s.serial, s.site, s.contact
            )
        })
        .collect();
    let config = format!(
        "[gateway]\nid = \"run-test\"\ndata_dir = \"{}\"\npoll_interval = \"2s\"\n\
         [mqtt]\nhost = \"127.0.0.1\"\nport = {}\n[http]\nlisten = \"{http}\"\nadmin_password_hash = \"{hash}\"\n\
         [discovery]\nmdns = false\nstatic = [{}]\n{printers}",
        dir.path().join("data").display(),
        broker_addr.port(),
        targets.join(", "),
        hash = fixture::admin_hash(),
    );
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, config).unwrap();

    let mut options = MqttOptions::new("run-test-watcher", "127.0.0.1", broker_addr.port());
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = AsyncClient::new(options, 50);
    client
        .subscribe("asr/v1/run-test/status", QoS::AtLeastOnce)
        .await
        .unwrap();

    // systemd's side of `Type=notify`: a datagram socket collecting messages.
    let notify_path = dir.path().join("notify.sock");
    let notify = std::os::unix::net::UnixDatagram::bind(&notify_path).unwrap();
    notify
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let messages = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let collected = messages.clone();
    let listening = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let still = listening.clone();
    let collector = std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while still.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok(n) = notify.recv(&mut buf) {
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                collected.lock().unwrap().push(text);
            }
        }
    });
    let heard = |what: &str| {
        messages
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.lines().any(|l| l == what))
            .count()
    };

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_asr-gateway"))
        .args(["run", "--config", path.to_str().unwrap()])
        .env("NOTIFY_SOCKET", &notify_path)
        .env("WATCHDOG_USEC", "1000000")
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    // Online, with every configured printer found and polled.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let event = tokio::time::timeout_at(deadline, events.poll())
            .await
            .expect("status in time")
            .unwrap();
        if let Event::Incoming(Packet::Publish(p)) = event {
            let status: Value = serde_json::from_slice(&p.payload).unwrap();
            if status["online"] == Value::Bool(true) && status["printers"] == 3 {
                break;
            }
        }
    }
    // Ready once, then the watchdog pinged every half second while well.
    assert_eq!(heard("READY=1"), 1, "{:?}", messages.lock().unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while heard("WATCHDOG=1") < 3 {
        assert!(tokio::time::Instant::now() < deadline, "watchdog pings");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The page is behind the admin password given in the file.
    let base = format!("http://{http}");
    let (_, session) = fixture::login(&base, fixture::ADMIN_PASSWORD).await;
    let api: Value = reqwest::Client::new()
        .get(format!("{base}/api/status"))
        .header("Cookie", format!("asr_session={}", session.unwrap()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sites: Vec<&str> = api["printers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["site"].as_str())
        .collect();
    assert_eq!(
        sites.len(),
        3,
        "assignments from the config file reach the page: {api}"
    );

    // SIGTERM: a clean stop, exit 0, and the retained status says offline.
    let pid = child.id().unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("stops within 15 s")
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    assert_eq!(heard("STOPPING=1"), 1, "systemd told of the stop");
    listening.store(false, std::sync::atomic::Ordering::Relaxed);
    collector.join().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let event = tokio::time::timeout_at(deadline, events.poll())
            .await
            .expect("offline status")
            .unwrap();
        if let Event::Incoming(Packet::Publish(p)) = event {
            let status: Value = serde_json::from_slice(&p.payload).unwrap();
            if status["online"] == Value::Bool(false) {
                break;
            }
        }
    }
    fleet.shutdown().await;
}

/// A box whose first-boot file was rejected runs on the packaged
/// configuration: it says so in the journal, on the page and upstream
/// (once), and orders nothing. Failed stops systemd reported before this
/// start (`record-exit`, as `ExecStopPost=` runs it) are told the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unprovisioned_box_says_why_on_the_page_in_the_log_and_upstream() {
    let broker_addr = asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    let _broker = asr_cloud_sync::EmbeddedBroker::start(broker_addr).unwrap();
    let http = asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[gateway]\nid = \"unprovisioned\"\ndata_dir = \"{}\"\n[mqtt]\nhost = \"127.0.0.1\"\nport = {}\n\
         [http]\nlisten = \"{http}\"\nadmin_password_hash = \"{hash}\"\n[discovery]\nmdns = false\n",
        dir.path().join("data").display(),
        broker_addr.port(),
        hash = fixture::admin_hash(),
    );
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, config).unwrap();
    std::fs::write(
        dir.path().join("provisioning.json"),
        r#"{"state":"rejected","gateway_id":null,"error":"not valid TOML: line 3, column 12: invalid string","at":"2026-12-04T02:00:00Z"}"#,
    )
    .unwrap();

    // Two failed stops before this start, then a clean one (not counted).
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    for result in ["exit-code", "watchdog", "success"] {
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_asr-gateway"))
            .args(["record-exit", "--data-dir", data.to_str().unwrap()])
            .env("SERVICE_RESULT", result)
            .env("EXIT_CODE", "exited")
            .env("EXIT_STATUS", "1")
            .status()
            .unwrap();
        assert!(status.success());
    }

    let mut options = MqttOptions::new("unprovisioned-watcher", "127.0.0.1", broker_addr.port());
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = AsyncClient::new(options, 50);
    client
        .subscribe("asr/v1/unprovisioned/events", QoS::AtLeastOnce)
        .await
        .unwrap();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_asr-gateway"))
        .args(["run", "--config", path.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut told = std::collections::HashMap::new();
    while told.len() < 2 {
        let event = tokio::time::timeout_at(deadline, events.poll())
            .await
            .expect("the rejection and the failures are told upstream")
            .unwrap();
        if let Event::Incoming(Packet::Publish(p)) = event {
            let body: Value = serde_json::from_slice(&p.payload).unwrap();
            if let Some(name) = body["event"].as_str() {
                told.insert(name.to_owned(), body.clone());
            }
        }
    }
    let event = &told["provisioning_rejected"];
    assert_eq!(told["restarted_after_failure"]["failures"], 2);
    assert_eq!(told["restarted_after_failure"]["last_result"], "watchdog");
    assert_eq!(event["unprovisioned"], true);
    assert!(event["error"].as_str().unwrap().contains("line 3"));

    let base = format!("http://{http}");
    let (_, session) = fixture::login(&base, fixture::ADMIN_PASSWORD).await;
    let cookie = format!("asr_session={}", session.unwrap());
    let status: Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/status"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let notice = status["health"]["notice"].as_str().unwrap_or_default();
    assert!(
        notice.contains("nothing is ordered") && notice.contains("line 3"),
        "{status}"
    );
    assert!(notice.contains("failure 2 time(s)"), "{status}");
    assert!(!data.join("last-failure.json").exists(), "told once");
    let page = reqwest::Client::new()
        .get(format!("{base}/?lang=fr"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"provisioning\"") && page.contains("Mise en service"));

    let pid = child.id().unwrap();
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let out = tokio::time::timeout(Duration::from_secs(15), child.wait_with_output())
        .await
        .expect("stops")
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("not provisioned, nothing is ordered"), "{log}");
}
