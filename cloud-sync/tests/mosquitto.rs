//! The uplink against a real Mosquitto: delivery, retained status, last will
//! and a broker restart mid-way. Skipped (loudly) if `mosquitto` is absent.

mod common;

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asr_cloud_sync::outbox::testing::MemoryOutbox;
use asr_cloud_sync::{MessageKind, Outbox};
use common::*;

fn find_mosquitto() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|dir| dir.join("mosquitto"))
        .find(|candidate| candidate.is_file())
}

/// A Mosquitto process killed on drop.
struct Mosquitto {
    child: Child,
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_mosquitto(binary: &Path, dir: &Path, addr: SocketAddr) -> Mosquitto {
    let conf = dir.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!(
            "listener {} {}\nallow_anonymous true\nlog_dest stderr\npersistence false\n",
            addr.port(),
            addr.ip()
        ),
    )
    .expect("write config");
    // Run as root, Mosquitto switches to its own user: let it read the config.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod dir");
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o644)).expect("chmod conf");
    let child = Command::new(binary)
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn mosquitto");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
        assert!(
            Instant::now() < deadline,
            "mosquitto did not start on {addr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Mosquitto { child }
}

fn row(n: usize) -> Vec<u8> {
    format!(r#"{{"order_id":"mq-{n}","qty":1}}"#).into_bytes()
}

/// The order id of a published order (the uplink adds envelope fields).
fn order_id(payload: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(payload).expect("JSON order");
    assert_eq!(v["gateway_id"], "gw-mq", "envelope: {v}");
    v["order_id"].as_str().expect("order_id").to_string()
}

async fn collect(sub: &mut Subscriber, want: usize) -> Vec<String> {
    let mut got = Vec::new();
    while got.len() < want {
        let p = sub
            .next(Duration::from_secs(10))
            .await
            .expect("orders from mosquitto within 10 s");
        if p.topic.ends_with("/orders") {
            got.push(order_id(&p.payload));
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_status_will_and_restart_with_mosquitto() {
    let Some(binary) = find_mosquitto() else {
        eprintln!(
            "!!!!! SKIPPED: `mosquitto` binary not found (apt-get install -y mosquitto) !!!!!"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let addr = free_addr();
    let broker = start_mosquitto(&binary, dir.path(), addr);
    let status_topic = "asr/v1/gw-mq/status";
    let mut sub = Subscriber::connect(addr, "test-mq-sub", &["asr/v1/gw-mq/#"]).await;

    let outbox = Arc::new(MemoryOutbox::new());
    for n in 0..30 {
        outbox.push(MessageKind::Order, row(n));
    }
    let mut running = spawn_uplink(fast_config(addr, "gw-mq"), Arc::clone(&outbox));
    let got = collect(&mut sub, 30).await;
    for n in 0..30 {
        assert!(got.contains(&format!("mq-{n}")), "order {n} missing");
    }
    wait_state(&mut running.state, Duration::from_secs(5), |s| {
        s.delivered == 30
    })
    .await;
    assert_eq!(outbox.depth().expect("depth"), 0);

    // Retained status is online.
    let mut watcher = Subscriber::connect(addr, "test-mq-watch", &[status_topic]).await;
    watcher
        .wait_for(status_topic, Duration::from_secs(5), |p| {
            status_of(p).online
        })
        .await;

    // The broker dies; rows written meanwhile stay pending.
    drop(broker);
    drop(sub);
    drop(watcher);
    wait_state(&mut running.state, Duration::from_secs(5), |s| !s.connected).await;
    for n in 30..40 {
        outbox.push(MessageKind::Order, row(n));
    }
    running.wake.notify_one();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        outbox.depth().expect("depth"),
        10,
        "nothing marked sent while down"
    );
    let error = running
        .state
        .borrow()
        .last_error
        .clone()
        .expect("error recorded");
    assert!(error.contains(&addr.to_string()), "{error}");

    // It comes back on the same port: the backlog is delivered.
    let _broker = start_mosquitto(&binary, dir.path(), addr);
    let mut sub = Subscriber::connect(addr, "test-mq-sub2", &["asr/v1/gw-mq/orders"]).await;
    wait_state(&mut running.state, Duration::from_secs(10), |s| {
        s.delivered == 40
    })
    .await;
    // The subscriber may have connected after part of the backlog went out;
    // whatever it saw must be from the backlog.
    while let Some(p) = sub.next(Duration::from_millis(300)).await {
        let id = order_id(&p.payload);
        assert!((30..40).any(|n| format!("mq-{n}") == id), "{id}");
    }

    // Crash: Mosquitto publishes the will.
    let mut watcher = Subscriber::connect(addr, "test-mq-watch2", &[status_topic]).await;
    watcher
        .wait_for(status_topic, Duration::from_secs(5), |p| {
            status_of(p).online
        })
        .await;
    running.task.abort();
    watcher
        .wait_for(status_topic, Duration::from_secs(10), |p| {
            !status_of(p).online
        })
        .await;
}
