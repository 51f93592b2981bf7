//! The cloud link over TLS against a real Mosquitto, with certificates made
//! by the test: TLS with a password, mutual TLS, and secure WebSockets
//! connect and deliver; a wrong CA, an expired server certificate, a wrong
//! password and a missing client certificate are each refused with a reason
//! a person can act on — and the uplink never falls back to plain text.
//! Bad TLS settings in the configuration file name their key.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is the test's verdict

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use asr_cloud_sync::outbox::testing::MemoryOutbox;
use asr_cloud_sync::{
    CaSource, Carrier, Credentials, GatewayId, MessageKind, StatusPayload, TlsSettings,
    TransportSettings, Uplink, UplinkConfig, UplinkState,
};
use asr_system_tests::certs::TestPki;
use asr_system_tests::mosquitto::Mosquitto;
use tokio::sync::{Notify, mpsc, watch};
use tokio_util::sync::CancellationToken;

fn free_port() -> u16 {
    asr_cloud_sync::free_local_addr(IpAddr::V4(Ipv4Addr::LOCALHOST))
        .unwrap()
        .port()
}

fn tls_listener(pki: &TestPki, cert: &Path, key: &Path) -> String {
    format!(
        "cafile {}\ncertfile {}\nkeyfile {}\n",
        pki.ca.display(),
        cert.display(),
        key.display()
    )
}

fn password_file(dir: &Path) -> PathBuf {
    let path = dir.join("passwd");
    std::fs::write(&path, "").unwrap();
    let ok = std::process::Command::new("mosquitto_passwd")
        .args(["-b", path.to_str().unwrap(), "gateway-01", "s3cret-pass"])
        .status()
        .unwrap();
    assert!(ok.success(), "mosquitto_passwd");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    path
}

struct Link {
    state: watch::Receiver<UplinkState>,
    outbox: Arc<MemoryOutbox>,
    shutdown: CancellationToken,
}

/// Starts an uplink to `localhost:port` over `transport` with one order waiting.
fn link(port: u16, transport: TransportSettings, credentials: Option<Credentials>) -> Link {
    let mut config = UplinkConfig::new("localhost", port, GatewayId::new("tls-gw").unwrap());
    config.transport = transport;
    config.credentials = credentials;
    config.retry_min = Duration::from_millis(200);
    config.retry_max = Duration::from_millis(500);
    config.poll_interval = Duration::from_millis(200);
    let uplink = Uplink::new(config).unwrap();
    let state = uplink.state();
    let outbox = Arc::new(MemoryOutbox::new());
    outbox.push(MessageKind::Order, br#"{"order_id":"ord-tls-1"}"#.to_vec());
    let (_status_tx, status_rx) = watch::channel(StatusPayload::new("tls-gw", "test"));
    let (commands, _commands_rx) = mpsc::channel(4);
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    let out = outbox.clone();
    tokio::spawn(async move {
        let _keep = (_status_tx, _commands_rx);
        let _ = uplink
            .run(out, Arc::new(Notify::new()), status_rx, commands, token)
            .await;
    });
    Link {
        state,
        outbox,
        shutdown,
    }
}

fn tls(ca: &Path, identity: Option<(&Path, &Path)>) -> TransportSettings {
    TransportSettings {
        carrier: Carrier::Tcp,
        tls: Some(TlsSettings {
            ca: CaSource::File(ca.to_path_buf()),
            client_identity: identity.map(|(c, k)| (c.to_path_buf(), k.to_path_buf())),
        }),
    }
}

async fn delivered(mut l: Link) {
    let probe = l.state.clone();
    tokio::time::timeout(
        Duration::from_secs(15),
        l.state.wait_for(|s| s.delivered == 1),
    )
    .await
    .unwrap_or_else(|_| panic!("not delivered: {:?}", probe.borrow().last_error))
    .unwrap();
    assert_eq!(l.outbox.depth_now(), 0);
    l.shutdown.cancel();
}

/// Waits for a failure whose reason contains `reason`; checks that the
/// uplink never counted a connection.
async fn refused(mut l: Link, reason: &str) {
    let got = tokio::time::timeout(
        Duration::from_secs(15),
        l.state.wait_for(|s| s.last_error.is_some()),
    )
    .await
    .expect("a failure within 15 s")
    .unwrap()
    .clone();
    // A couple of retries: still refused, still never connected.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let state = l.state.borrow().clone();
    assert_eq!(state.connections, 0, "never connected: {state:?}");
    assert_eq!(state.delivered, 0);
    let error = got.last_error.unwrap();
    assert!(error.contains(reason), "expected {reason:?} in {error:?}");
    l.shutdown.cancel();
}

trait DepthNow {
    fn depth_now(&self) -> u64;
}

impl DepthNow for MemoryOutbox {
    fn depth_now(&self) -> u64 {
        use asr_cloud_sync::Outbox;
        self.depth().unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_a_password_connects_and_refuses_what_it_must() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::generate(&dir.path().join("pki"));
    let passwd = password_file(dir.path());
    let port = free_port();
    let _broker = Mosquitto::start(
        &dir.path().join("broker"),
        port,
        &format!(
            "{}allow_anonymous false\npassword_file {}\n",
            tls_listener(&pki, &pki.server_cert, &pki.server_key),
            passwd.display()
        ),
    );
    let user = |password: &str| {
        Some(Credentials {
            username: "gateway-01".into(),
            password: password.into(),
        })
    };
    delivered(link(port, tls(&pki.ca, None), user("s3cret-pass"))).await;
    refused(
        link(port, tls(&pki.ca, None), user("wrong")),
        "not authorised",
    )
    .await;
    refused(
        link(port, tls(&pki.other_ca, None), user("s3cret-pass")),
        "unknown issuer",
    )
    .await;
    // Plain MQTT to a TLS port is refused too: nothing is ever sent in clear.
    refused(
        link(port, TransportSettings::tcp(), user("s3cret-pass")),
        "closed the connection",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_server_certificate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::generate(&dir.path().join("pki"));
    let port = free_port();
    let _broker = Mosquitto::start(
        &dir.path().join("broker"),
        port,
        &tls_listener(&pki, &pki.expired_cert, &pki.expired_key),
    );
    refused(link(port, tls(&pki.ca, None), None), "expired").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_needs_the_client_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::generate(&dir.path().join("pki"));
    let port = free_port();
    let _broker = Mosquitto::start(
        &dir.path().join("broker"),
        port,
        &format!(
            "{}require_certificate true\nuse_identity_as_username true\n",
            tls_listener(&pki, &pki.server_cert, &pki.server_key)
        ),
    );
    delivered(link(
        port,
        tls(&pki.ca, Some((&pki.client_cert, &pki.client_key))),
        None,
    ))
    .await;
    refused(link(port, tls(&pki.ca, None), None), "client certificate").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_websockets_connect_and_deliver() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::generate(&dir.path().join("pki"));
    let port = free_port();
    // Mosquitto 2.0.11 refuses to start with a WebSocket listener alone
    // ("Unable to start any listening sockets"): a plain one goes with it.
    let _broker = Mosquitto::start(
        &dir.path().join("broker"),
        port,
        &format!(
            "protocol websockets\n{}listener {} 127.0.0.1\n",
            tls_listener(&pki, &pki.server_cert, &pki.server_key),
            free_port()
        ),
    );
    let mut transport = tls(&pki.ca, None);
    transport.carrier = Carrier::WebSocket {
        path: "/mqtt".into(),
    };
    delivered(link(port, transport, None)).await;
}

/// The configuration file's TLS keys: each bad value is refused naming it.
#[test]
fn bad_tls_settings_name_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::generate(&dir.path().join("pki"));
    let junk = dir.path().join("junk.pem");
    std::fs::write(
        &junk,
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "s3cret\n").unwrap();
    let base = "[gateway]\nid = \"gw\"\n[mqtt]\nhost = \"broker.example.net\"\n";
    let p = |path: &Path| path.display().to_string();
    let cases: Vec<(String, &str)> = vec![
        (
            format!(
                "port = 8883\nca_file = \"{}\"\n",
                p(&dir.path().join("missing.pem"))
            ),
            "mqtt.ca_file",
        ),
        (
            format!("port = 8883\nca_file = \"{}\"\n", p(&junk)),
            "mqtt.ca_file",
        ),
        (
            format!(
                "port = 8883\nclient_key_file = \"{}\"\n",
                p(&pki.client_key)
            ),
            "mqtt.client_key_file",
        ),
        (
            format!(
                "port = 8883\nclient_cert_file = \"{}\"\n",
                p(&pki.client_cert)
            ),
            "mqtt.client_cert_file",
        ),
        (
            format!(
                "port = 8883\nclient_cert_file = \"{}\"\nclient_key_file = \"{}\"\n",
                p(&pki.client_cert),
                p(&pki.server_key)
            ),
            "mqtt.client_key_file",
        ),
        (
            format!("port = 1883\ntls = false\nca_file = \"{}\"\n", p(&pki.ca)),
            "mqtt.ca_file",
        ),
        (
            format!("password = \"x\"\npassword_file = \"{}\"\n", p(&pw)),
            "mqtt.password_file",
        ),
        (
            format!("password_file = \"{}\"\n", p(&dir.path().join("nope"))),
            "mqtt.password_file",
        ),
        ("transport = \"udp\"\n".into(), "mqtt.transport"),
        (
            "transport = \"ws\"\nws_path = \"mqtt\"\n".into(),
            "mqtt.ws_path",
        ),
    ];
    for (mqtt, key) in cases {
        let text = format!("{base}{mqtt}");
        let err = asr_gateway::config::from_str(&text, Vec::new())
            .expect_err(key)
            .to_string();
        assert!(err.contains(key), "{key}: {err}");
    }
    // A good one, through environment overrides too; no secret in its summary.
    let text = format!(
        "{base}port = 8883\nusername = \"gw\"\npassword_file = \"{}\"\n",
        p(&pw)
    );
    let config =
        asr_gateway::config::from_str(&text, vec![("ASR_MQTT_CA_FILE".to_string(), p(&pki.ca))])
            .unwrap();
    assert!(config.mqtt.tls_enabled());
    let summary = asr_gateway::config::link::describe(&config.mqtt);
    assert!(
        summary.starts_with("mqtts://broker.example.net:8883"),
        "{summary}"
    );
    assert!(
        summary.contains("ca.crt") && !summary.contains("s3cret"),
        "{summary}"
    );
    assert!(!format!("{config:?}").contains("s3cret"));
    let off = asr_gateway::config::from_str(
        &format!("{base}port = 8883\n"),
        vec![("ASR_MQTT_TLS".to_string(), "false".to_string())],
    )
    .unwrap();
    assert!(!off.mqtt.tls_enabled());
    assert_eq!(
        asr_gateway::config::link::password(&config.mqtt)
            .unwrap()
            .as_deref(),
        Some("s3cret")
    );
}

/// The whole gateway against a TLS broker whose certificate it cannot
/// trust: it keeps running, polls and buffers, never falls back to plain
/// text, and its status page says why the link is down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_shows_why_an_untrusted_broker_is_refused() {
    use asr_gateway::runtime::Gateway;
    use asr_protocols::sim::{SimFleet, demo_fleet};

    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::generate(&dir.path().join("pki"));
    let port = free_port();
    let _broker = Mosquitto::start(
        &dir.path().join("broker"),
        port,
        &tls_listener(&pki, &pki.server_cert, &pki.server_key),
    );
    let specs: Vec<_> = demo_fleet(3).into_iter().take(2).collect();
    let fleet = SimFleet::start(specs.clone(), Ipv4Addr::new(127, 0, 0, 230), 16_199, 0.0)
        .await
        .unwrap();
    let targets = fleet.members().iter().map(|m| m.addr()).collect();
    let clock = asr_system_tests::ManualClock::new(chrono::Utc::now());
    let mut settings = asr_system_tests::settings(
        targets,
        &specs,
        &dir.path().join("gateway.db"),
        port,
        clock,
        Duration::from_millis(300),
    );
    settings.mqtt.host = "localhost".into();
    // Trusts another CA than the one that signed the broker's certificate.
    settings.mqtt.transport = tls(&pki.other_ca, None);
    let gateway = Gateway::start(settings).await.unwrap();
    let http = gateway.http_addr().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        let status: serde_json::Value = asr_system_tests::page::get(http, "/api/status")
            .await
            .json()
            .await
            .unwrap();
        let polled = status["printers"].as_array().is_some_and(|p| p.len() == 2);
        if polled && status["uplink"]["last_error"].is_string() {
            break status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reason on the page: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(status["uplink"]["connected"], false);
    let reason = status["uplink"]["last_error"].as_str().unwrap();
    assert!(reason.contains("unknown issuer"), "{reason}");
    // Still polling and buffering while the link is refused.
    assert!(gateway.store().outbox_depth().unwrap() > 0);
    gateway.shutdown().await;
}
