//! The remote `update` command end to end, without systemd or a container:
//! a real broker, a real gateway process (`asr-gateway run`) that hands the
//! command over, the real updater (`asr-gateway apply-update`) run as a
//! second process, real packages (`dpkg-deb`) downloaded over HTTPS and
//! installed by dpkg into a scratch root, and a restart script playing
//! systemd: it stops the running gateway and starts the installed one
//! (a package built "broken" starts a gateway that cannot come up).

#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use asr_gateway::web::tls::{CertSource, GENERATED_CERT, TlsListener, server_config};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use serde_json::{Value, json};

const GATEWAY: &str = "upd-test";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A `.deb` named asr-gateway at `version` whose only file says how the
/// restart script should start the gateway.
fn build_package(dir: &Path, name: &str, version: &str, mode: &str) -> PathBuf {
    let tree = dir.join(format!("{name}-tree"));
    std::fs::create_dir_all(tree.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(tree.join("usr/share/asr-gateway-test")).unwrap();
    std::fs::write(
        tree.join("DEBIAN/control"),
        format!(
            "Package: asr-gateway\nVersion: {version}\nArchitecture: all\n\
             Maintainer: ASR tests <tests@example.invalid>\nDescription: update test package\n"
        ),
    )
    .unwrap();
    std::fs::write(tree.join("usr/share/asr-gateway-test/mode"), mode).unwrap();
    let deb = dir.join(format!("{name}.deb"));
    let status = Command::new("dpkg-deb")
        .args(["--root-owner-group", "-Zgzip", "--build"])
        .arg(&tree)
        .arg(&deb)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("dpkg-deb (Debian's dpkg) is needed by this test");
    assert!(status.success());
    deb
}

/// Serves `dir` over HTTPS with a self-signed certificate for localhost;
/// the certificate's path (the updater's `--ca-file`).
async fn serve_packages(dir: PathBuf) -> (SocketAddr, PathBuf) {
    let tls_dir = dir.join("tls");
    std::fs::create_dir_all(&tls_dir).unwrap();
    let config = server_config(
        &CertSource::SelfSigned {
            dir: tls_dir.clone(),
        },
        &["localhost".into()],
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/{file}",
        axum::routing::get(
            move |axum::extract::Path(file): axum::extract::Path<String>| {
                let dir = dir.clone();
                async move {
                    match std::fs::read(dir.join(&file)) {
                        Ok(bytes) if file.ends_with(".deb") => Ok(bytes),
                        _ => Err(axum::http::StatusCode::NOT_FOUND),
                    }
                }
            },
        ),
    );
    let listener = TlsListener::new(listener, config).unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, tls_dir.join(GENERATED_CERT))
}

fn gateway_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_asr-gateway"))
        .args(args)
        .output()
        .unwrap()
}

fn sign(key: &Path, package: &Path) -> String {
    let out = gateway_cli(&[
        "update-key",
        "sign",
        "--key",
        key.to_str().unwrap(),
        package.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

struct Site {
    dir: tempfile::TempDir,
    config: PathBuf,
    root: PathBuf,
    work: PathBuf,
    restart: PathBuf,
    ca: PathBuf,
    http: SocketAddr,
    packages: SocketAddr,
    key: PathBuf,
}

impl Site {
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pid(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("gateway.pid"))
            .unwrap()
            .trim()
            .to_string()
    }

    fn installed_version(&self) -> String {
        let out = Command::new("dpkg-query")
            .arg(format!(
                "--admindir={}",
                self.root.join("var/lib/dpkg").display()
            ))
            .args(["--show", "--showformat=${Version}", "asr-gateway"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }

    fn restart_gateway(&self) {
        let status = Command::new("sh").arg(&self.restart).status().unwrap();
        assert!(status.success());
    }

    /// The updater, as the path unit starts it; its exit status.
    async fn apply_update(&self) -> i32 {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_asr-gateway"))
            .args(["apply-update", "--config"])
            .arg(&self.config)
            .arg("--work-dir")
            .arg(&self.work)
            .arg("--dpkg-root")
            .arg(&self.root)
            .arg("--restart-command")
            .arg(format!("sh {}", self.restart.display()))
            .arg("--ca-file")
            .arg(&self.ca)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        tokio::time::timeout(Duration::from_secs(120), child.wait())
            .await
            .expect("the updater finishes")
            .unwrap()
            .code()
            .unwrap_or(-1)
    }

    fn url(&self, package: &str) -> String {
        format!("https://localhost:{}/{package}", self.packages.port())
    }

    async fn healthz(&self) -> Option<String> {
        let answer = reqwest::get(format!("http://{}/healthz", self.http))
            .await
            .ok()?;
        answer
            .status()
            .is_success()
            .then(|| answer.headers().get("x-gateway-version").cloned())
            .flatten()
            .and_then(|v| v.to_str().ok().map(str::to_string))
    }

    async fn wait_healthy(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while self.healthz().await.as_deref() != Some(VERSION) {
            assert!(tokio::time::Instant::now() < deadline, "gateway healthy");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn setup(broker: SocketAddr) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = d.join("root");
    let work = d.join("work");
    for sub in ["var/lib/dpkg/updates", "var/lib/dpkg/info"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
    std::fs::create_dir_all(&work).unwrap();
    let served = d.join("served");
    std::fs::create_dir_all(&served).unwrap();

    // The image's state: version VERSION installed, its package kept.
    let first = build_package(&served, "first", VERSION, "good");
    let out = Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .args(["--force-not-root", "--force-script-chrootless", "--install"])
        .arg(&first)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    std::fs::copy(&first, work.join("installed.deb")).unwrap();

    let key = d.join("update.key");
    let public = d.join("update-key.pub");
    let out = gateway_cli(&[
        "update-key",
        "generate",
        "--private",
        key.to_str().unwrap(),
        "--public",
        public.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");

    let http = asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    let config = d.join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            "[gateway]\nid = \"{GATEWAY}\"\ndata_dir = \"{}\"\n\
             [mqtt]\nhost = \"127.0.0.1\"\nport = {}\n\
             [http]\nlisten = \"{http}\"\n\
             [discovery]\nmdns = false\n\
             [update]\nkey_file = \"{}\"\n",
            d.join("data").display(),
            broker.port(),
            public.display()
        ),
    )
    .unwrap();
    // systemd's part: stop the running gateway, start what is installed.
    let restart = d.join("restart.sh");
    std::fs::write(
        &restart,
        format!(
            r#"set -e
pidfile="{d}/gateway.pid"
if [ -f "$pidfile" ]; then
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
fi
if [ "$(cat "{root}/usr/share/asr-gateway-test/mode")" = good ]; then
  config="{config}"
else
  config="{d}/no-such-config.toml"
fi
setsid "{bin}" run --config "$config" >> "{d}/gateway.log" 2>&1 < /dev/null &
echo $! > "$pidfile"
"#,
            d = d.display(),
            root = root.display(),
            config = config.display(),
            bin = env!("CARGO_BIN_EXE_asr-gateway"),
        ),
    )
    .unwrap();
    let (packages, ca) = serve_packages(served).await;
    Site {
        dir,
        config,
        root,
        work,
        restart,
        ca,
        http,
        packages,
        key,
    }
}

/// Publishes command `update/<id>`.
async fn send_update(client: &AsyncClient, id: &str, body: Value) {
    client
        .publish(
            format!("asr/v1/{GATEWAY}/cmd/update/{id}"),
            QoS::AtLeastOnce,
            false,
            serde_json::to_vec(&body).unwrap(),
        )
        .await
        .unwrap();
}

type Messages = tokio::sync::mpsc::UnboundedReceiver<(String, Value)>;

/// Keeps the watcher's connection alive and hands its messages over.
fn collect(mut events: EventLoop) -> Messages {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if let Ok(value) = serde_json::from_slice(&p.payload) {
                        let _ = tx.send((p.topic.clone(), value));
                    }
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    rx
}

/// Waits for a message on `topic` matching `wanted`.
async fn wait_for(events: &mut Messages, topic: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (got, value) = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("no matching message on {topic}"))
            .unwrap();
        if got == topic && wanted(&value) {
            return value;
        }
    }
}

fn res(id: &str) -> String {
    format!("asr/v1/{GATEWAY}/cmd/update/{id}/res")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_updates_install_bad_ones_are_refused_and_broken_ones_roll_back() {
    let broker = asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
    let _broker = asr_cloud_sync::EmbeddedBroker::start(broker).unwrap();
    let site = setup(broker).await;
    let mut options = MqttOptions::new("update-watcher", "127.0.0.1", broker.port());
    options.set_keep_alive(Duration::from_secs(5));
    let (client, events) = AsyncClient::new(options, 50);
    let mut events = collect(events);
    for topic in [
        format!("asr/v1/{GATEWAY}/cmd/update/+/res"),
        format!("asr/v1/{GATEWAY}/events"),
    ] {
        client.subscribe(topic, QoS::AtLeastOnce).await.unwrap();
    }
    site.restart_gateway();
    site.wait_healthy().await;
    let is = |status: &'static str| move |v: &Value| v["status"] == status;

    // 1. A good, signed package: installed, restarted, healthy, kept.
    let served = site.dir.path().join("served");
    let second = build_package(&served, "second", VERSION, "good");
    send_update(
        &client,
        "u1",
        json!({"url": site.url("second.deb"), "version": VERSION, "signature": sign(&site.key, &second)}),
    )
    .await;
    wait_for(&mut events, &res("u1"), is("executing")).await;
    assert!(asr_gateway::update::handover::request_path(&site.data()).exists());
    let before = site.pid();
    assert_eq!(site.apply_update().await, 0);
    let done = wait_for(&mut events, &res("u1"), is("successful")).await;
    assert_eq!(done["result"]["from"], VERSION);
    assert_eq!(done["result"]["to"], VERSION);
    assert_ne!(site.pid(), before, "the gateway was restarted");
    assert_eq!(
        std::fs::read(site.work.join("installed.deb")).unwrap(),
        std::fs::read(&second).unwrap(),
        "the new package is the one a rollback would reinstall"
    );
    assert!(!asr_gateway::update::handover::request_path(&site.data()).exists());
    // The restarted gateway records the outcome and tells it upstream.
    let event = wait_for(&mut events, &format!("asr/v1/{GATEWAY}/events"), |v| {
        v["event"] == "update_finished"
    })
    .await;
    assert_eq!(event["command_id"], "u1");
    assert_eq!(event["status"], "successful");

    // 2. A package not signed by the baked-in key: nothing installed, the
    //    gateway not even restarted.
    let third = build_package(&served, "third", "9.9.9", "good");
    let stranger = site.dir.path().join("stranger.key");
    let out = gateway_cli(&[
        "update-key",
        "generate",
        "--private",
        stranger.to_str().unwrap(),
        "--public",
        site.dir.path().join("stranger.pub").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    site.wait_healthy().await;
    let before = site.pid();
    send_update(
        &client,
        "u2",
        json!({"url": site.url("third.deb"), "version": "9.9.9", "signature": sign(&stranger, &third)}),
    )
    .await;
    wait_for(&mut events, &res("u2"), is("executing")).await;
    // While it waits, a second update is refused.
    send_update(
        &client,
        "u2b",
        json!({"url": site.url("third.deb"), "version": "9.9.9", "signature": sign(&site.key, &third)}),
    )
    .await;
    let refused = wait_for(&mut events, &res("u2b"), is("failed")).await;
    assert!(
        refused["reason"].as_str().unwrap().contains("u2"),
        "{refused}"
    );
    assert_eq!(site.apply_update().await, 1);
    let failed = wait_for(&mut events, &res("u2"), is("failed")).await;
    let reason = failed["reason"].as_str().unwrap();
    assert!(
        reason.contains("not signed by a trusted key") && reason.contains("nothing was installed"),
        "{reason}"
    );
    assert_eq!(site.installed_version(), VERSION);
    assert_eq!(site.pid(), before, "not restarted");

    // 3. A signed package whose gateway does not come up: rolled back.
    let broken_version = format!("{VERSION}+broken1");
    let broken = build_package(&served, "broken", &broken_version, "broken");
    send_update(
        &client,
        "u3",
        json!({"url": site.url("broken.deb"), "version": broken_version,
               "signature": sign(&site.key, &broken), "health_timeout_seconds": 10}),
    )
    .await;
    wait_for(&mut events, &res("u3"), is("executing")).await;
    assert_eq!(site.apply_update().await, 1);
    let failed = wait_for(&mut events, &res("u3"), is("failed")).await;
    let reason = failed["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!(
            "{broken_version} did not come up healthy within 10 s"
        )) && reason.contains(&format!("rolled back to {VERSION}, healthy again")),
        "{reason}"
    );
    assert_eq!(site.installed_version(), VERSION);
    assert_eq!(site.healthz().await.as_deref(), Some(VERSION));
    assert_eq!(
        std::fs::read(site.work.join("installed.deb")).unwrap(),
        std::fs::read(&second).unwrap()
    );

    // 4. A redelivered command is answered from the record, not run again.
    let event = wait_for(&mut events, &format!("asr/v1/{GATEWAY}/events"), |v| {
        v["event"] == "update_finished" && v["command_id"] == "u3"
    })
    .await;
    assert_eq!(event["status"], "failed");
    send_update(
        &client,
        "u1",
        json!({"url": site.url("second.deb"), "version": VERSION, "signature": sign(&site.key, &second)}),
    )
    .await;
    wait_for(&mut events, &res("u1"), is("successful")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!asr_gateway::update::handover::request_path(&site.data()).exists());

    let pid = site.pid();
    let _ = Command::new("kill").arg(&pid).status();
}
