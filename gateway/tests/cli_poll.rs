//! `asr-gateway poll` through the real binary against simulated printers
//! serving real recordings over UDP.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::net::Ipv4Addr;
use std::path::PathBuf;

use asr_protocols::sim::SimFleet;
use serde_json::Value;

fn recordings() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/printers/snmprec")
}

async fn poll(args: &[String]) -> std::process::Output {
    let args = args.to_vec();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_asr-gateway"))
            .arg("poll")
            .args(&args)
            .output()
            .expect("run asr-gateway poll")
    })
    .await
    .expect("join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_one_per_target_and_an_unreachable_one_fails_alone() {
    let fleet = SimFleet::from_recordings(&recordings(), Ipv4Addr::new(127, 55, 0, 1), 16_262)
        .await
        .expect("fleet");
    let brother = fleet
        .members()
        .iter()
        .find(|m| m.name == "brother")
        .expect("brother recording");
    let xerox = fleet
        .members()
        .iter()
        .find(|m| m.name == "xerox")
        .expect("xerox recording");
    // Nothing listens on this address: the poll must time out and say so.
    let silent = "127.55.1.250:16262".to_string();
    let args = vec![
        brother.addr().to_string(),
        silent.clone(),
        xerox.addr().to_string(),
        "--json".into(),
        "--timeout".into(),
        "0.3".into(),
        "--retries".into(),
        "0".into(),
    ];
    let out = poll(&args).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "one target failed, so the exit status is not 0"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 3, "one line per target, in order: {stdout}");

    let b = &lines[0];
    assert_eq!(b["serial"], "000A5J431816");
    assert_eq!(b["error"], Value::Null);
    let toner = b["supplies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["index"] == 1)
        .expect("toner row");
    assert_eq!(toner["kind"], "toner");
    assert_eq!(
        toner["gauge"], "some_remaining",
        "-3 is never shown as a number"
    );
    assert_eq!(toner["percent"], Value::Null);
    for key in [
        "target",
        "model",
        "sys_descr",
        "sys_object_id",
        "page_count",
        "status",
        "alerts",
    ] {
        assert!(b.get(key).is_some(), "field {key} present");
    }

    let s = &lines[1];
    assert_eq!(s["target"], silent);
    assert!(
        s["error"]
            .as_str()
            .is_some_and(|e| e.contains("127.55.1.250")),
        "error names the target: {s}"
    );

    let x = &lines[2];
    let parts: Vec<&str> = x["supplies"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["part_number"].as_str())
        .collect();
    assert!(
        !parts.is_empty(),
        "Xerox part numbers are split off the description"
    );
    assert!(
        x["supplies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| !s["description"].as_str().unwrap().contains(", PN"))
    );

    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn human_output_and_bad_arguments() {
    let fleet = SimFleet::from_recordings(&recordings(), Ipv4Addr::new(127, 55, 2, 1), 16_263)
        .await
        .expect("fleet");
    let epson = fleet
        .members()
        .iter()
        .find(|m| m.name == "epson")
        .expect("epson");
    let out = poll(&[epson.addr().to_string()]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("X3B8022793"), "{text}");
    assert!(text.contains("ink"), "{text}");

    let out = poll(&["bad host!".to_string(), "--json".into()]).await;
    assert_eq!(out.status.code(), Some(1));
    let line: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        line["error"]
            .as_str()
            .is_some_and(|e| e.contains("bad host"))
    );

    let out = poll(&[
        epson.addr().to_string(),
        "--v3-user".into(),
        "u".into(),
        "--auth-proto".into(),
        "ROT13".into(),
        "--auth-pass".into(),
        "password1".into(),
    ])
    .await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "bad protocol name is a usage error"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("auth_proto"));
    fleet.shutdown().await;
}
