//! A Raspberry Pi without a battery-backed clock, under libfaketime: the
//! real `asr-gateway run` starts 90 days behind with no synchronisation
//! flag. It keeps polling, but decides nothing: an order asked for on the
//! page waits, no printer is alerted silent, messages say
//! `clock_synced: false`. Then the clock is synchronised (the flag appears,
//! the time jumps 90 days ahead): the order goes out stamped with the right
//! time. Then the synchronised clock is pushed a day ahead and pulled back:
//! still no silent printer and no order but the one asked for.
//!
//! Needs `faketime` (Debian `faketime`, installed by scripts/test.sh).

#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

#[path = "web_fixture.rs"]
mod fixture;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use asr_protocols::sim::{SimFleet, demo_fleet};
use chrono::{DateTime, Utc};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;
use tokio::sync::mpsc;

/// libfaketime's preload library, wherever the distribution put it.
fn libfaketime() -> PathBuf {
    let candidates = [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/faketime/libfaketime.so.1",
    ];
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("libfaketime (apt-get install faketime; scripts/test.sh does)")
}

/// Sets the faked offset (libfaketime re-reads the file on every call).
fn set_offset(file: &Path, offset: &str) {
    std::fs::write(file, format!("{offset}\n")).unwrap();
}

/// Every message of the gateway, with its topic.
fn watch(port: u16) -> mpsc::UnboundedReceiver<(String, Value)> {
    let mut options = MqttOptions::new("clock-watch", "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = AsyncClient::new(options, 100);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let _client = client.clone();
        let mut subscribed = false;
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) if !subscribed => {
                    subscribed = true;
                    let _ = client
                        .subscribe("asr/v1/clock-gw/#", QoS::AtLeastOnce)
                        .await;
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if let Ok(v) = serde_json::from_slice::<Value>(&p.payload) {
                        let _ = tx.send((p.topic.clone(), v));
                    }
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    rx
}

/// What arrived within `wait`.
async fn collect(
    rx: &mut mpsc::UnboundedReceiver<(String, Value)>,
    wait: Duration,
) -> Vec<(String, Value)> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut got = Vec::new();
    while let Ok(Some(m)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        got.push(m);
    }
    got
}

fn silent_alerts(messages: &[(String, Value)]) -> Vec<&Value> {
    messages
        .iter()
        .filter(|(t, v)| t.ends_with("/alerts") && v["kind"] == "printer_silent")
        .map(|(_, v)| v)
        .collect()
}

fn orders(messages: &[(String, Value)]) -> Vec<&Value> {
    messages
        .iter()
        .filter(|(t, _)| t.ends_with("/orders"))
        .map(|(_, v)| v)
        .collect()
}

async fn ask_order(base: &str, serial: &str) {
    let (_, session) = fixture::login(base, fixture::ADMIN_PASSWORD).await;
    let cookie = format!("asr_session={}", session.expect("logged in"));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(format!("{base}/printers/{serial}?lang=en"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = fixture::csrf_field(&page).expect("the printer page has a form");
    let answer = client
        .post(format!("{base}/printers/{serial}/order?lang=en"))
        .header("Cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("supply_index", "1"),
            ("quantity", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 303, "order one now accepted");
}

/// Polls answered so far, from `/metrics`.
async fn polls_ok(base: &str) -> u64 {
    let (_, session) = fixture::login(base, fixture::ADMIN_PASSWORD).await;
    let text = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .header("Cookie", format!("asr_session={}", session.unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("asr_polls_total{result=\"ok\"} "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

async fn printer_known(base: &str, serial: &str) -> bool {
    let (_, Some(session)) = fixture::login(base, fixture::ADMIN_PASSWORD).await else {
        return false;
    };
    reqwest::Client::new()
        .get(format!("{base}/printers/{serial}"))
        .header("Cookie", format!("asr_session={session}"))
        .send()
        .await
        .is_ok_and(|r| r.status().as_u16() == 200)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_decision_on_an_unsynchronised_clock_and_none_across_jumps() {
    let preload = libfaketime();
    let specs: Vec<_> = demo_fleet(33).into_iter().take(3).collect();
    let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 0, 0, 236), 16_391, 0.0)
        .await
        .unwrap();
    let broker_addr = asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    let _broker = asr_cloud_sync::EmbeddedBroker::start(broker_addr).unwrap();
    let http: SocketAddr =
        asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    let base = format!("http://{http}");
    let mut messages = watch(broker_addr.port());

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
        "[gateway]\nid = \"clock-gw\"\ndata_dir = \"{}\"\npoll_interval = \"1s\"\n\
         [mqtt]\nhost = \"127.0.0.1\"\nport = {}\n[http]\nlisten = \"{http}\"\nadmin_password_hash = \"{hash}\"\n\
         [discovery]\nmdns = false\nstatic = [{}]\n{printers}",
        dir.path().join("data").display(),
        broker_addr.port(),
        targets.join(", "),
        hash = fixture::admin_hash(),
    );
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, config).unwrap();
    let offset = dir.path().join("faketime");
    set_offset(&offset, "-90d");
    let flag = dir.path().join("synchronized");

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_asr-gateway"))
        .args(["run", "--config", path.to_str().unwrap()])
        .env("LD_PRELOAD", &preload)
        .env("FAKETIME_TIMESTAMP_FILE", &offset)
        .env("FAKETIME_NO_CACHE", "1")
        // The monotonic clock stays real: it is how jumps are seen.
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .env("ASR_GATEWAY_CLOCK_SYNC_FLAG", &flag)
        .env("RUST_LOG", "info")
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    // 90 days behind, not synchronised: polling goes on…
    let serial = specs[0].serial.clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the gateway serves its page"
        );
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the gateway exited under libfaketime: {status}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    while !printer_known(&base, &serial).await {
        assert!(tokio::time::Instant::now() < deadline, "printer polled");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // …a person asks for a cartridge, and nothing is decided yet.
    ask_order(&base, &serial).await;
    let early = collect(&mut messages, Duration::from_secs(6)).await;
    assert!(orders(&early).is_empty(), "no order on a wrong clock");
    assert!(
        silent_alerts(&early).is_empty(),
        "no silence on a wrong clock"
    );
    let levels: Vec<&Value> = early
        .iter()
        .filter(|(t, _)| t.ends_with("/levels"))
        .map(|(_, v)| v)
        .collect();
    assert!(!levels.is_empty(), "readings kept and sent");
    assert!(levels.iter().all(|v| v["clock_synced"] == false));
    let status = early
        .iter()
        .rev()
        .find(|(t, _)| t.ends_with("/status"))
        .map(|(_, v)| v.clone())
        .expect("a status");
    assert_eq!(status["clock_synced"], false, "{status}");

    // NTP answers: the flag appears and the time jumps 90 days ahead.
    set_offset(&offset, "+0");
    std::fs::write(&flag, b"").unwrap();
    let synced_at = Utc::now();
    let after = collect(&mut messages, Duration::from_secs(8)).await;
    let placed = orders(&after);
    assert_eq!(placed.len(), 1, "the order asked for goes out: {placed:?}");
    let created: DateTime<Utc> = placed[0]["created_at"].as_str().unwrap().parse().unwrap();
    let off = (created - synced_at).num_seconds().abs();
    assert!(
        off < 120,
        "stamped with the right time, re-based: {created} vs {synced_at}"
    );
    assert_eq!(placed[0]["clock_synced"], true);
    assert!(silent_alerts(&after).is_empty(), "no silence from the jump");

    // Synchronised, then a day ahead, then pulled back.
    set_offset(&offset, "+1d");
    let ahead = collect(&mut messages, Duration::from_secs(5)).await;
    set_offset(&offset, "+0");
    let back = collect(&mut messages, Duration::from_secs(5)).await;
    for (phase, got) in [("a day ahead", &ahead), ("pulled back", &back)] {
        assert!(silent_alerts(got).is_empty(), "{phase}: no silent printer");
        assert!(orders(got).is_empty(), "{phase}: no order");
    }
    let first = polls_ok(&base).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        polls_ok(&base).await > first,
        "polling goes on after the jumps"
    );
    let _ = child.start_kill();
    let _ = child.wait().await;
    fleet.shutdown().await;
}
