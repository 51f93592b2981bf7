//! The data directory on a small filesystem that fills up: the gateway
//! says so everywhere at once (`/healthz` 503 with the reason, the retained
//! status's `storage`, an alert upstream, a banner on the page), keeps
//! polling, still gets an order to the broker, and recovers by itself once
//! space returns with nothing decided lost. Mounts a 4 MiB tmpfs (needs
//! root; CI runs as root).
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use asr_gateway::runtime::Gateway;
use asr_protocols::sim::{SimFleet, demo_fleet};
use asr_system_tests::{ManualClock, page, settings};

const STEP: Duration = Duration::from_secs(3 * 3600);

/// A tmpfs mounted on a fresh directory, unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "mounting a tmpfs needs root (CI runs as root)"
        );
        SmallDisk { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Fills the filesystem of `dir` with a file until no byte is left.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("ballast");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 4096];
    while file.write_all(&chunk).is_ok() {}
    let _ = file.flush();
    path
}

/// The next message on a topic ending with `suffix` that `pred` accepts.
async fn next_on(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(String, serde_json::Value)>,
    suffix: &str,
    pred: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (topic, v) = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no matching message on …{suffix} in 30 s"))
            .unwrap();
        if topic.ends_with(suffix) && pred(&v) {
            return v;
        }
    }
}

async fn healthz(http: SocketAddr) -> (u16, String) {
    let answer = reqwest::get(format!("http://{http}/healthz"))
        .await
        .unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_said_everywhere_and_recovery_is_automatic() {
    let disk = SmallDisk::mount("4m");
    let specs: Vec<_> = demo_fleet(51).into_iter().take(3).collect();
    let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 0, 0, 220), 16_377, 0.0)
        .await
        .unwrap();
    let targets: Vec<SocketAddr> = fleet.members().iter().map(|m| m.addr()).collect();
    let broker_addr = asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    let _broker = asr_cloud_sync::EmbeddedBroker::start(broker_addr).unwrap();
    let mut options = rumqttc::MqttOptions::new("storage-watch", "127.0.0.1", broker_addr.port());
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = rumqttc::AsyncClient::new(options, 50);
    client
        .subscribe("asr/v1/test-gw/#", rumqttc::QoS::AtLeastOnce)
        .await
        .unwrap();
    let (status_tx, mut statuses) = tokio::sync::mpsc::unbounded_channel();
    let (other_tx, mut others) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match events.poll().await {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => {
                    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&p.payload) {
                        if p.topic.ends_with("/status") {
                            let _ = status_tx.send(v);
                        } else {
                            let _ = other_tx.send((p.topic.clone(), v));
                        }
                    }
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    let clock = ManualClock::new(chrono::Utc::now());
    let gateway = Gateway::start(settings(
        targets,
        &specs,
        &disk.path().join("gateway.db"),
        broker_addr.port(),
        clock.clone(),
        Duration::from_secs(3600),
    ))
    .await
    .unwrap();
    let http = gateway.http_addr().unwrap();
    let step = || async {
        fleet.advance(STEP);
        clock.advance(STEP);
        gateway.poll_now();
        tokio::time::sleep(Duration::from_millis(150)).await;
        gateway.flush().await;
    };
    // Every printer known before the disk fills.
    for spec in &specs {
        let path = format!("/printers/{}?lang=en", spec.serial);
        for _ in 0..50 {
            if page::get(http, &path).await.status().as_u16() == 200 {
                break;
            }
            step().await;
        }
        assert_eq!(
            page::get(http, &path).await.status().as_u16(),
            200,
            "{path}"
        );
    }
    assert_eq!(healthz(http).await.0, 200);

    // The disk fills up: the next writes fail.
    let ballast = fill(disk.path());
    let mut answer = (200, String::new());
    for _ in 0..100 {
        step().await;
        answer = healthz(http).await;
        if answer.0 == 503 {
            break;
        }
    }
    assert_eq!(answer.0, 503, "{answer:?}");
    assert!(answer.1.starts_with("storage full"), "{answer:?}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(45);
    loop {
        let status = tokio::time::timeout_at(deadline, statuses.recv())
            .await
            .expect("a status saying the storage is full")
            .unwrap();
        if status["storage"] == "full" {
            break;
        }
    }
    // Said upstream as an alert, and on every page.
    let alert = next_on(&mut others, "/alerts", |v| v["kind"] == "storage_failure").await;
    assert_eq!(alert["storage"], "full", "{alert}");
    let overview = page::get(http, "/?lang=en").await.text().await.unwrap();
    assert!(
        overview.contains("id=\"storage-banner\""),
        "the page shows a banner"
    );

    // An order decided while the disk is full still reaches the broker.
    let serial = specs[0].serial.clone();
    let submitted = page::submit(
        http,
        &format!("/printers/{serial}?lang=en"),
        &format!("/printers/{serial}/order?lang=en"),
        &[("supply_index", "1"), ("quantity", "1")],
    )
    .await;
    assert_eq!(submitted.status().as_u16(), 303, "order one now accepted");
    let order = next_on(&mut others, "/orders", |v| {
        v["lines"]
            .as_array()
            .is_some_and(|l| l.iter().any(|line| line["printer"] == serial.as_str()))
    })
    .await;
    let order_id = order["order_id"].as_str().unwrap().to_owned();
    assert_eq!(healthz(http).await.0, 503, "still full");
    let polls_before = gateway.polls();

    // Space returns: everything resumes by itself.
    std::fs::remove_file(&ballast).unwrap();
    for _ in 0..100 {
        step().await;
        answer = healthz(http).await;
        if answer.0 == 200 {
            break;
        }
    }
    assert_eq!(answer, (200, "ok".to_owned()));
    assert!(gateway.polls().0 > polls_before.0, "polling went on");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        step().await;
        let status = tokio::time::timeout_at(deadline, statuses.recv())
            .await
            .expect("a status saying the storage is fine again")
            .unwrap();
        if status["storage"] == "ok" {
            break;
        }
    }
    let recovered = next_on(&mut others, "/alerts", |v| v["kind"] == "storage_recovered").await;
    assert_eq!(recovered["storage"], "ok", "{recovered}");
    // Nothing decided was lost: the order made while full is on record.
    let orders = page::get(http, "/orders?lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert!(orders.contains(&order_id), "{order_id} kept");
    assert!(
        disk.path().join("gateway.db-reserve").exists(),
        "the reserve is back"
    );
    gateway.shutdown().await;
    fleet.shutdown().await;
}
