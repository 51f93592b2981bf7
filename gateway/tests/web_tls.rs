//! The status page over HTTPS with the self-signed certificate the gateway
//! makes on first start: a real TLS client that trusts only that
//! certificate reads the page; cookies are `Secure`; a plain-HTTP client, a
//! client that never finishes its handshake and a garbage handshake do not
//! stop the server from serving others.

#[path = "web_fixture.rs"]
mod fixture;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use asr_gateway::web::tls::{CertSource, GENERATED_CERT, server_config};
use asr_gateway::web::{Auth, WebServer};
use fixture::{ADMIN_PASSWORD, admin_hash, recording};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Answer {
    status: u16,
    head: String,
    body: String,
}

fn client_config(cert_pem: &[u8]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut &cert_pem[..]) {
        roots.add(cert.expect("PEM")).expect("a CA");
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    // Offer HTTP/2 first, as browsers and curl do: the server must settle
    // on HTTP/1.1, the only one it speaks.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

/// One HTTP/1.1 request over TLS, `Connection: close`, read whole.
async fn request(
    config: &Arc<rustls::ClientConfig>,
    addr: SocketAddr,
    request: &str,
) -> Result<Answer, String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let connector = tokio_rustls::TlsConnector::from(Arc::clone(config));
    let name = ServerName::try_from("localhost").expect("name");
    let mut tls = tokio::time::timeout(Duration::from_secs(10), connector.connect(name, tcp))
        .await
        .map_err(|_| "handshake timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
    if alpn.as_deref() != Some(b"http/1.1".as_slice()) {
        return Err(format!("negotiated {alpn:?} instead of http/1.1"));
    }
    tls.write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    // A close_notify-less end is fine for this test.
    let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut raw)).await;
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or(format!("no answer: {text:?}"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or(format!("no status: {head}"))?;
    Ok(Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    })
}

fn get(path: &str, cookie: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    )
}

fn cookie_value(head: &str, name: &str) -> Option<String> {
    head.lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .map(|l| l[11..].trim().to_owned())
        .find(|c| c.starts_with(&format!("{name}=")))
}

#[tokio::test]
async fn the_page_is_served_over_https_with_its_self_signed_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = CertSource::SelfSigned {
        dir: dir.path().to_path_buf(),
    };
    let tls = server_config(&source, &["localhost".to_owned()]).expect("certificate");
    let auth = Arc::new(Auth::new(Some(admin_hash()), None).secure());
    let server = WebServer::bind("127.0.0.1:0".parse().expect("addr"), recording(), auth)
        .await
        .expect("bind")
        .with_tls(tls);
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let config = client_config(&std::fs::read(dir.path().join(GENERATED_CERT)).expect("cert"));

    // Hostile or confused clients first: a silent connection, plain HTTP,
    // garbage bytes. None of them holds up a real client.
    let _silent = TcpStream::connect(addr).await.expect("connect");
    let mut plain = TcpStream::connect(addr).await.expect("connect");
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut garbage = TcpStream::connect(addr).await.expect("connect");
    garbage
        .write_all(&[0x16, 0x03, 0x01, 0xff, 0xff, 0, 0])
        .await
        .expect("write");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut answer)).await;
    assert!(
        !String::from_utf8_lossy(&answer).contains(" 200 "),
        "no page over plain HTTP"
    );

    let health = request(&config, addr, &get("/healthz", ""))
        .await
        .expect("HTTPS");
    assert_eq!(health.status, 200);
    assert_eq!(health.body, "ok");

    // Log in over HTTPS: every cookie is Secure.
    let form = request(&config, addr, &get("/login", ""))
        .await
        .expect("login page");
    assert_eq!(form.status, 200);
    let form_cookie = cookie_value(&form.head, "asr_form").expect("form cookie");
    assert!(form_cookie.contains("; Secure"), "{form_cookie}");
    let form_value = form_cookie.split(';').next().expect("value").to_owned();
    let marker = "name=\"csrf\" value=\"";
    let start = form.body.find(marker).expect("csrf") + marker.len();
    let csrf = &form.body[start..start + form.body[start..].find('"').expect("end")];
    let fields = format!("password={}&csrf={csrf}", ADMIN_PASSWORD.replace(' ', "+"));
    let post = format!(
        "POST /login HTTP/1.1\r\nHost: localhost\r\nCookie: {form_value}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{fields}",
        fields.len()
    );
    let logged = request(&config, addr, &post).await.expect("login");
    assert_eq!(logged.status, 303, "{}", logged.head);
    let session = cookie_value(&logged.head, "asr_session").expect("session cookie");
    assert!(session.contains("; Secure") && session.contains("HttpOnly"));
    let session = session.split(';').next().expect("value").to_owned();
    let page = request(&config, addr, &get("/?lang=fr", &session))
        .await
        .expect("page");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("CNB1K2L3M4"));

    // A client that does not trust the certificate is refused.
    let stranger = client_config(b"");
    assert!(
        request(&stranger, addr, &get("/healthz", ""))
            .await
            .is_err()
    );

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("stops")
        .expect("joined")
        .expect("clean stop");
}
