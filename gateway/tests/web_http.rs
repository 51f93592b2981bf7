//! The status page over real TCP: content in both languages, the JSON API,
//! error answers (400/404/405/503), escaping, and startup errors.

#[path = "web_fixture.rs"]
mod fixture;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use asr_gateway::web::{StatusView, WebError, WebServer};
use fixture::{
    EVIL_MODEL, FailingSource, FixedSource, PanickingSource, SlowSource, sample_view, start,
};
use reqwest::StatusCode;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http client")
}

async fn get_text(
    url: &str,
    accept_language: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let mut request = client().get(url);
    if let Some(cookie) = fixture::cookie_for(url) {
        request = request.header("Cookie", cookie);
    }
    if let Some(al) = accept_language {
        request = request.header("Accept-Language", al);
    }
    let response = request.send().await.expect("request succeeds");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.expect("body");
    (status, headers, body)
}

/// Access control with no password yet (setup page): enough where only
/// binding and stopping are tested.
fn open_auth() -> Arc<asr_gateway::web::Auth> {
    Arc::new(asr_gateway::web::Auth::new(None, None))
}

fn fixed() -> Arc<FixedSource> {
    Arc::new(FixedSource(sample_view()))
}

#[tokio::test]
async fn english_page_lists_every_printer_and_order() {
    let server = start(fixed()).await;
    let (status, headers, body) = get_text(&server.url("/"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["content-language"], "en");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(body.starts_with("<!DOCTYPE html>"));
    assert!(body.contains("<html lang=\"en\">"));
    for printer in &sample_view().printers {
        assert!(
            body.contains(&printer.serial),
            "serial {} listed",
            printer.serial
        );
        assert!(
            body.contains(&printer.address),
            "address {} listed",
            printer.address
        );
    }
    for order in &sample_view().orders {
        assert!(
            body.contains(&order.order_id),
            "order {} listed",
            order.order_id
        );
    }
    // The overview is a table linking to each printer's page; the cards
    // with every supply are on those pages.
    assert!(body.contains("href=\"/printers/CNB1K2L3M4?lang=en\""));
    assert!(
        body.contains("title=\"Cyan 8\u{a0}%\""),
        "mini bars say their level"
    );
    let mut body = body;
    for serial in ["CNB1K2L3M4", "E78241K5N123"] {
        let (status, _, page) = get_text(&server.url(&format!("/printers/{serial}")), None).await;
        assert_eq!(status, StatusCode::OK, "{serial}");
        body.push_str(&page);
    }
    for label in [
        "Printer supplies",
        "Unreachable",
        "Reachable",
        "Some remaining",
        "Unknown",
        "Space left",
        "Waiting to be sent",
        "Sent",
        "SNMP timeout after 3 attempts",
        "48,213",
        "Low",
        "at the earliest",
        "out of range",
        "Français",
    ] {
        assert!(body.contains(label), "English page shows {label:?}");
    }
    // Bars carry their width and colour class, and a text label.
    assert!(body.contains("fill c-cyan\" style=\"width:8.0%\""));
    assert!(body.contains("fill hatched c-magenta"));
    assert!(body.contains("class=\"fill c-waste\" style=\"width:70.0%\""));
    // Readable dates with the exact instant in `datetime`.
    assert!(body.contains("<time datetime=\"2026-03-19T00:00:00Z\""));
    assert!(body.contains(">19 Mar 2026</time>"));
    assert!(body.contains("in 6\u{a0}days"));
    // Accessibility basics.
    assert!(body.contains("<th scope=\"col\">Level</th>"));
    assert!(body.contains("<nav class=\"lang\" aria-label=\"Language\">"));
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn french_page_by_query_and_by_accept_language() {
    let server = start(fixed()).await;
    let pages = |path: &'static str, al: Option<&'static str>| {
        let server = &server;
        async move {
            let (status, headers, mut body) = get_text(&server.url(path), al).await;
            for serial in ["CNB1K2L3M4", "E78241K5N123"] {
                let detail = path.replacen('/', &format!("/printers/{serial}"), 1);
                let (code, _, page) = get_text(&server.url(&detail), al).await;
                assert_eq!(code, StatusCode::OK, "{detail}");
                body.push_str(&page);
            }
            (status, headers, body)
        }
    };
    let by_query = pages("/?lang=fr", None).await;
    let by_header = pages("/", Some("de-DE, fr-CH;q=0.8, en;q=0.5")).await;
    for (status, headers, body) in [by_query, by_header] {
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-language"], "fr");
        assert!(body.contains("<html lang=\"fr\">"));
        for printer in &sample_view().printers {
            assert!(body.contains(&printer.serial));
        }
        for label in [
            "Consommables des imprimantes",
            "Injoignable",
            "Encore disponible",
            "Inconnu",
            "Espace libre",
            "En attente d’envoi",
            "Envoyée",
            "Commandes",
            "Dernière erreur",
            "48\u{202f}213",
            "au plus tôt",
            ">19 mars 2026</time>",
            "dans 6\u{a0}jours",
            "Jaune",
        ] {
            assert!(body.contains(label), "French page shows {label:?}");
        }
        assert!(
            !body.contains("Some remaining"),
            "no English left on the French page"
        );
    }
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn query_wins_over_accept_language_and_q_values_count() {
    let server = start(fixed()).await;
    let (_, headers, _) = get_text(&server.url("/?lang=EN"), Some("fr")).await;
    assert_eq!(headers["content-language"], "en");
    let (_, headers, _) = get_text(&server.url("/"), Some("en;q=0.3, fr;q=0.9")).await;
    assert_eq!(headers["content-language"], "fr");
    let (_, headers, _) = get_text(&server.url("/"), Some("fr;q=0, es")).await;
    assert_eq!(headers["content-language"], "en");
    // Unknown parameters are ignored.
    let (status, _, _) = get_text(&server.url("/?lang=fr&_=12345"), None).await;
    assert_eq!(status, StatusCode::OK);
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn bad_lang_parameter_is_a_clear_400() {
    let server = start(fixed()).await;
    let (status, headers, body) = get_text(&server.url("/?lang=xx"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert!(body.contains("Unsupported language"), "{body}");
    assert!(body.contains("?lang=en") && body.contains("?lang=fr"));

    let (status, _, body) = get_text(&server.url("/?lang=%3Cb%3E"), Some("fr")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("Langue non prise en charge « &lt;b&gt; »"),
        "{body}"
    );

    let (status, _, body) = get_text(&server.url("/?lang=fr&lang=en"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("more than once"));

    let (status, _, body) = get_text(&server.url("/?lang=%ZZ"), None).await;
    assert!(
        status == StatusCode::BAD_REQUEST,
        "undecodable query: {status} {body}"
    );
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn api_returns_the_view_as_json() {
    let server = start(fixed()).await;
    let response = client()
        .get(server.url("/api/status"))
        .header(
            "Cookie",
            fixture::cookie_for(&server.url("/api/status")).unwrap_or_default(),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let json: serde_json::Value = response.json().await.expect("json body");
    assert_eq!(json["gateway_id"], "gw-paris-01");
    assert_eq!(json["generated_at"], "2026-03-12T09:30:00Z");
    assert_eq!(json["uplink"]["connected"], true);
    assert_eq!(json["uplink"]["outbox_depth"], 3);
    assert_eq!(json["printers"].as_array().map(Vec::len), Some(3));
    let cyan = &json["printers"][0]["supplies"][1];
    assert_eq!(cyan["colorant"], "cyan");
    assert_eq!(cyan["percent"], 8.0);
    assert_eq!(cyan["gauge"], "exact");
    assert_eq!(cyan["class"], "consumed");
    assert_eq!(cyan["forecast_empty_at"], "2026-03-19T00:00:00Z");
    assert_eq!(cyan["spares_in_transit"], 1);
    assert_eq!(json["printers"][1]["reachable"], false);
    assert_eq!(json["orders"][0]["status"], "waiting");
    assert_eq!(json["orders"][0]["lines"][1]["quantity"], 2);
    assert!(json["orders"][0]["lines"][1]["predicted_empty_at"].is_null());
    // The JSON is exactly the view.
    let back: StatusView = serde_json::from_value(json).expect("JSON deserialises back");
    assert_eq!(back, sample_view());
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn healthz_not_found_and_method_not_allowed() {
    let server = start(fixed()).await;
    let (status, _, body) = get_text(&server.url("/healthz"), None).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));

    let (status, headers, body) = get_text(&server.url("/nope/../admin"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert!(body.contains("Page not found") && body.contains("href=\"/?lang=en\""));
    let (status, _, body) = get_text(&server.url("/api/nothing"), Some("fr-FR")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page introuvable"));

    for path in ["/", "/api/status", "/healthz"] {
        let response = client()
            .post(server.url(path))
            .header(
                "Cookie",
                fixture::cookie_for(&server.url(path)).unwrap_or_default(),
            )
            .body("x")
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "POST {path}"
        );
        let allow = response.headers()["allow"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(allow.contains("GET"), "Allow header lists GET: {allow}");
        let body = response.text().await.expect("body");
        assert!(body.contains("Method not allowed"));
    }
    let response = client()
        .head(server.url("/"))
        .header(
            "Cookie",
            fixture::cookie_for(&server.url("/")).expect("session"),
        )
        .send()
        .await
        .expect("HEAD");
    assert_eq!(response.status(), StatusCode::OK);
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn snapshot_failures_are_503_and_the_server_survives() {
    let failing = start(Arc::new(FailingSource("database is locked".to_owned()))).await;
    let (status, headers, body) = get_text(&failing.url("/"), None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers["retry-after"], "10");
    assert!(body.contains("Status temporarily unavailable"));
    assert!(body.contains("database is locked"));
    assert!(
        body.contains("http-equiv=\"refresh\""),
        "the 503 page retries by itself"
    );
    let response = client()
        .get(failing.url("/api/status"))
        .header(
            "Cookie",
            fixture::cookie_for(&failing.url("/api/status")).unwrap_or_default(),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let json: serde_json::Value = response.json().await.expect("json error");
    assert_eq!(json["error"], "database is locked");
    let (status, _, _) = get_text(&failing.url("/healthz"), None).await;
    assert_eq!(status, StatusCode::OK);
    failing.stop().await.expect("clean stop");

    let panicking = start(Arc::new(PanickingSource)).await;
    for _ in 0..2 {
        let (status, _, body) = get_text(&panicking.url("/?lang=fr"), None).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("État momentanément indisponible"));
        assert!(body.contains("crashed"));
    }
    panicking
        .stop()
        .await
        .expect("server still stops cleanly after panics");
}

#[tokio::test]
async fn a_slow_source_times_out_with_503() {
    let server = start(Arc::new(SlowSource(Duration::from_secs(6)))).await;
    let started = Instant::now();
    let (status, _, body) = get_text(&server.url("/api/status"), None).await;
    let elapsed = started.elapsed();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("did not answer within 5 s"), "{body}");
    assert!(elapsed < Duration::from_secs(7), "answered in {elapsed:?}");
    drop(server);
}

#[tokio::test]
async fn every_dynamic_value_is_escaped() {
    let server = start(fixed()).await;
    let (_, headers, body) = get_text(&server.url("/"), None).await;
    assert!(
        !body.contains(EVIL_MODEL),
        "the hostile model must not appear raw"
    );
    assert!(body.contains("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;"));
    assert!(body.contains("Lyon &lt;b&gt;annexe&lt;/b&gt;"));
    assert!(body.contains("O&#39;Brien &amp; &quot;Co&quot;"));
    assert!(!body.contains("<b>annexe"));
    // Two script elements: the inline refresh, authorised by the CSP
    // nonce, and the same-origin local-time script; nothing else.
    assert_eq!(body.matches("<script").count(), 2);
    assert!(body.contains("<script src=\"/assets/local-time.js\" defer></script>"));
    let csp = headers["content-security-policy"].to_str().expect("ascii");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a script nonce in the CSP");
    assert!(body.contains(&format!("<script nonce=\"{nonce}\">")));
    assert!(csp.contains("default-src 'none'"));
    // A fresh nonce per response.
    let (_, headers2, _) = get_text(&server.url("/"), None).await;
    assert_ne!(
        headers2["content-security-policy"],
        headers["content-security-policy"]
    );
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn empty_gateway_says_so() {
    let mut view = sample_view();
    view.printers.clear();
    view.orders.clear();
    view.uplink.connected = false;
    view.uplink.last_sent_at = None;
    let server = start(Arc::new(FixedSource(view))).await;
    let (status, _, body) = get_text(&server.url("/"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("No printer found yet"));
    assert!(body.contains("No order in progress."));
    assert!(body.contains("Disconnected"));
    assert!(body.contains("never"));
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let addr: SocketAddr = taken.local_addr().expect("address");
    let result = WebServer::bind(addr, fixed(), open_auth()).await;
    let err = result.expect_err("the port is taken");
    assert!(
        matches!(err, WebError::AddrInUse { addr: a, .. } if a == addr),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("already in use"), "{message}");
    assert!(message.contains(&addr.to_string()), "{message}");

    // `serve` reports the same error instead of hanging.
    let err = asr_gateway::web::serve(addr, fixed(), open_auth(), std::future::pending())
        .await
        .expect_err("serve fails fast on a busy port");
    assert!(matches!(err, WebError::AddrInUse { .. }));
    drop(taken);
}

#[tokio::test]
async fn serve_stops_on_shutdown() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = probe.local_addr().expect("address");
    drop(probe);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(asr_gateway::web::serve(
        addr,
        fixed(),
        open_auth(),
        async move {
            let _ = rx.await;
        },
    ));
    // Wait until it answers.
    let url = format!("http://{addr}/healthz");
    let mut up = false;
    for _ in 0..50 {
        if client().get(&url).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "server came up on {addr}");
    tx.send(()).expect("server still waiting");
    let result = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("server stops within 10 s")
        .expect("task joins");
    assert!(result.is_ok(), "{result:?}");
    assert!(
        client().get(&url).send().await.is_err(),
        "nothing listens any more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_make_the_page_hold_much_memory() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let server = start(fixture::recording()).await;
    let url = server.url("/printers/SN1?lang=en");
    let cookie = fixture::cookie_for(&url).expect("logged in");

    // A body far past any form: refused before it is read whole.
    let big = "x".repeat(asr_gateway::web::limits::MAX_BODY_BYTES * 4);
    let answer = client()
        .post(&url)
        .header("Cookie", &cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf=t&site={big}"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // A request head past hyper's bound: 431, or the connection closed.
    let mut raw = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let header = "a".repeat(600 * 1024);
    let request = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {header}\r\n\r\n");
    let _ = raw.write_all(request.as_bytes()).await;
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), raw.read_to_end(&mut reply)).await;
    let reply = String::from_utf8_lossy(&reply);
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 431"),
        "{}",
        &reply[..reply.len().min(200)]
    );

    // Connections past the cap wait for a slot instead of each holding a
    // buffer; the page answers again as soon as one closes.
    let mut idle = Vec::new();
    for _ in 0..asr_gateway::web::limits::MAX_CONNECTIONS {
        idle.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let waiting = tokio::spawn({
        let url = server.url("/healthz");
        async move { client().get(url).send().await.map(|r| r.status()) }
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!waiting.is_finished(), "the connection past the cap waits");
    idle.clear();
    let status = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("served once slots are free")
        .unwrap()
        .expect("an answer");
    assert_eq!(status, StatusCode::OK);
}
