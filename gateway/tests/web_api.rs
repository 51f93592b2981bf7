//! `/api/v1/…` against its own OpenAPI document, over real TCP: every
//! documented operation is called and its answer checked against the
//! schema the document gives for that status; every refusal (no session,
//! no CSRF header, not JSON, bad body, unknown printer or alert, unknown
//! route or method, source down) is a documented JSON error; and a running
//! demo gateway's real answers (forecasts, orders, alerts) match too.

#[path = "web_fixture.rs"]
mod fixture;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use asr_gateway::cli::DemoArgs;
use asr_gateway::commands::demo::Demo;
use asr_gateway::web::{PageChange, StatusSource};
use fixture::{FailingSource, cookie_for, recording, start};
use jsonschema::Validator;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The served document, and the answers checked against it.
struct Contract {
    doc: Value,
    base: String,
    cookie: String,
    csrf: String,
}

/// What one call sends.
struct Call<'a> {
    method: Method,
    path: &'a str,
    body: Option<Value>,
    csrf: bool,
    content_type: Option<&'a str>,
    cookie: bool,
}

impl<'a> Call<'a> {
    fn get(path: &'a str) -> Self {
        Call {
            method: Method::GET,
            path,
            body: None,
            csrf: false,
            content_type: None,
            cookie: true,
        }
    }

    fn change(method: Method, path: &'a str, body: Value) -> Self {
        Call {
            method,
            path,
            body: Some(body),
            csrf: true,
            content_type: Some("application/json"),
            cookie: true,
        }
    }
}

/// `~` and `/` escaped for a JSON pointer, `{}` for the URI fragment.
fn pointer_token(s: &str) -> String {
    s.replace('~', "~0")
        .replace('/', "~1")
        .replace('{', "%7B")
        .replace('}', "%7D")
}

impl Contract {
    async fn load(base: &str, cookie: String) -> Contract {
        let client = reqwest::Client::new();
        let doc: Value = client
            .get(format!("{base}/api/v1/openapi.json"))
            .header("Cookie", &cookie)
            .send()
            .await
            .expect("GET openapi.json")
            .json()
            .await
            .expect("the document is JSON");
        assert!(
            doc["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1")),
            "an OpenAPI 3.1 document"
        );
        let session: Value = client
            .get(format!("{base}/api/v1/session"))
            .header("Cookie", &cookie)
            .send()
            .await
            .expect("GET session")
            .json()
            .await
            .expect("session JSON");
        let csrf = session["csrf"].as_str().expect("a csrf token").to_owned();
        Contract {
            doc,
            base: base.to_owned(),
            cookie,
            csrf,
        }
    }

    /// The document's template for a concrete path (`/api/v1/printers/X`
    /// → `/api/v1/printers/{serial}`).
    fn template(&self, path: &str) -> String {
        let path = path.split('?').next().unwrap_or(path);
        let parts: Vec<&str> = path.split('/').collect();
        self.doc["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .find(|t| {
                let tp: Vec<&str> = t.split('/').collect();
                tp.len() == parts.len()
                    && tp
                        .iter()
                        .zip(&parts)
                        .all(|(t, p)| t == p || t.starts_with('{'))
            })
            .unwrap_or_else(|| panic!("{path} is in the document"))
            .clone()
    }

    /// A validator for the schema of `status` answers of `method template`.
    fn validator(&self, method: &Method, template: &str, status: StatusCode) -> Validator {
        let op = &self.doc["paths"][template][method.as_str().to_lowercase()];
        assert!(op.is_object(), "{method} {template} is documented");
        let code = status.as_str();
        assert!(
            op["responses"][code]["content"]["application/json"]["schema"].is_object(),
            "{method} {template} documents a JSON {code} answer"
        );
        let mut root = self.doc.clone();
        root["$ref"] = json!(format!(
            "#/paths/{}/{}/responses/{code}/content/application~1json/schema",
            pointer_token(template),
            method.as_str().to_lowercase()
        ));
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("schema of {method} {template} {code}: {e}"))
    }

    /// Sends `call`, checks the status is `expected` and the body matches
    /// the document; the body.
    async fn check(&self, call: Call<'_>, expected: StatusCode) -> Value {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let mut request =
            client.request(call.method.clone(), format!("{}{}", self.base, call.path));
        if call.cookie {
            request = request.header("Cookie", &self.cookie);
        }
        if call.csrf {
            request = request.header("X-CSRF-Token", &self.csrf);
        }
        if let Some(ct) = call.content_type {
            request = request.header("Content-Type", ct);
        }
        if let Some(body) = &call.body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        assert_eq!(status, expected, "{} {}: {text}", call.method, call.path);
        assert!(
            headers["content-type"]
                .to_str()
                .expect("ascii")
                .starts_with("application/json"),
            "{} {} answers JSON",
            call.method,
            call.path
        );
        let body: Value = serde_json::from_str(&text).expect("JSON body");
        if call.path.ends_with("/openapi.json") {
            return body;
        }
        assert_eq!(headers["cache-control"], "no-store");
        let template = self.template(call.path);
        let validator = self.validator(&call.method, &template, status);
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{} {} ({status}) does not match the document: {errors:?}\n{body}",
            call.method,
            call.path
        );
        body
    }

    /// Every (method, template) the document lists.
    fn operations(&self) -> Vec<(Method, String)> {
        let mut ops = Vec::new();
        for (template, item) in self.doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                ops.push((method, template.clone()));
            }
        }
        ops
    }
}

#[tokio::test]
async fn every_documented_operation_answers_as_documented() {
    let source = recording();
    let server = start(Arc::clone(&source) as Arc<dyn StatusSource>).await;
    let base = server.url("");
    let contract = Contract::load(&base, cookie_for(&base).expect("logged in")).await;
    let mut called = Vec::new();
    for (method, template) in contract.operations() {
        let path = template
            .replace("{serial}", "CNB1K2L3M4")
            .replace("{id}", "al-2");
        let (call, expected) = match (method.as_str(), template.as_str()) {
            ("GET", _) => (Call::get(&path), StatusCode::OK),
            ("PATCH", "/api/v1/printers/{serial}") => (
                Call::change(
                    method.clone(),
                    &path,
                    json!({ "site": "Lyon", "contact": "Marie Curie", "excluded": false }),
                ),
                StatusCode::OK,
            ),
            ("POST", "/api/v1/printers/{serial}/orders") => (
                Call::change(
                    method.clone(),
                    &path,
                    json!({ "supply_index": 1, "quantity": 2 }),
                ),
                StatusCode::ACCEPTED,
            ),
            ("POST", "/api/v1/alerts/{id}/ack") => (
                Call::change(method.clone(), &path, json!({})),
                StatusCode::OK,
            ),
            other => panic!("no test call for {other:?}: add one"),
        };
        contract.check(call, expected).await;
        called.push(format!("{method} {template}"));
    }
    assert!(called.len() >= 11, "every operation called: {called:?}");
    let changes = source.changes.lock().expect("lock").clone();
    assert!(changes.contains(&PageChange::OrderNow {
        serial: "CNB1K2L3M4".into(),
        supply_index: 1,
        quantity: 2
    }));
    assert!(changes.contains(&PageChange::AckAlert {
        alert_id: "al-2".into()
    }));
    assert!(changes.iter().any(|c| matches!(
        c,
        PageChange::SetPrinter { serial, changes } if serial == "CNB1K2L3M4"
            && changes.site.as_deref() == Some("Lyon")
            && changes.postal_address.is_none()
    )));

    // An order filter.
    let shipped = contract
        .check(Call::get("/api/v1/orders?status=shipped"), StatusCode::OK)
        .await;
    assert!(
        shipped
            .as_array()
            .expect("list")
            .iter()
            .all(|o| o["status"] == "shipped")
    );
}

#[tokio::test]
async fn refusals_are_documented_json_errors_and_change_nothing() {
    let source = recording();
    let server = start(Arc::clone(&source) as Arc<dyn StatusSource>).await;
    let base = server.url("");
    let contract = Contract::load(&base, cookie_for(&base).expect("logged in")).await;
    let patch = |path, body| Call::change(Method::PATCH, path, body);
    let post = |path, body| Call::change(Method::POST, path, body);
    let cases: Vec<(Call, StatusCode, &str)> = vec![
        (
            Call {
                cookie: false,
                ..Call::get("/api/v1/printers")
            },
            StatusCode::UNAUTHORIZED,
            "login required",
        ),
        (
            Call {
                cookie: false,
                ..patch("/api/v1/printers/CNB1K2L3M4", json!({ "site": "x" }))
            },
            StatusCode::UNAUTHORIZED,
            "login required",
        ),
        (
            Call {
                csrf: false,
                ..patch("/api/v1/printers/CNB1K2L3M4", json!({ "site": "x" }))
            },
            StatusCode::FORBIDDEN,
            "X-CSRF-Token",
        ),
        (
            Call {
                content_type: Some("application/x-www-form-urlencoded"),
                ..patch("/api/v1/printers/CNB1K2L3M4", json!({ "site": "x" }))
            },
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        (
            Call {
                content_type: None,
                ..post(
                    "/api/v1/printers/CNB1K2L3M4/orders",
                    json!({ "supply_index": 1 }),
                )
            },
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        (
            patch("/api/v1/printers/CNB1K2L3M4", json!({ "colour": "red" })),
            StatusCode::BAD_REQUEST,
            "unknown field `colour`",
        ),
        (
            patch("/api/v1/printers/CNB1K2L3M4", json!({})),
            StatusCode::BAD_REQUEST,
            "nothing to change",
        ),
        (
            patch(
                "/api/v1/printers/CNB1K2L3M4",
                json!({ "contact": "nobody" }),
            ),
            StatusCode::BAD_REQUEST,
            "nobody is not accepted",
        ),
        (
            patch("/api/v1/printers/NOPE", json!({ "site": "x" })),
            StatusCode::NOT_FOUND,
            "no printer",
        ),
        (
            post(
                "/api/v1/printers/CNB1K2L3M4/orders",
                json!({ "supply_index": 99 }),
            ),
            StatusCode::BAD_REQUEST,
            "no supply 99",
        ),
        (
            post(
                "/api/v1/printers/CNB1K2L3M4/orders",
                json!({ "supply_index": -1 }),
            ),
            StatusCode::BAD_REQUEST,
            "supply_index",
        ),
        (
            post("/api/v1/printers/NOPE/orders", json!({ "supply_index": 1 })),
            StatusCode::NOT_FOUND,
            "no printer",
        ),
        (
            post("/api/v1/alerts/al-404/ack", json!({})),
            StatusCode::NOT_FOUND,
            "no alert",
        ),
        (
            Call {
                csrf: false,
                ..post("/api/v1/alerts/al-1/ack", json!({}))
            },
            StatusCode::FORBIDDEN,
            "X-CSRF-Token",
        ),
        (
            Call::get("/api/v1/printers/NOPE"),
            StatusCode::NOT_FOUND,
            "no printer",
        ),
        (
            Call::get("/api/v1/orders?status=lost"),
            StatusCode::BAD_REQUEST,
            "one of waiting, sent",
        ),
    ];
    for (call, expected, says) in cases {
        let what = format!("{} {}", call.method, call.path);
        let body = contract.check(call, expected).await;
        let message = body["error"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{what}: {message:?} says {says:?}");
    }
    // A body that is not JSON at all.
    let answer = reqwest::Client::new()
        .patch(format!("{base}/api/v1/printers/CNB1K2L3M4"))
        .header("Cookie", &contract.cookie)
        .header("X-CSRF-Token", &contract.csrf)
        .header("Content-Type", "application/json")
        .body("{\"site\": ")
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body: Value = answer.json().await.expect("JSON error");
    assert!(body["error"].as_str().expect("error").contains("not valid"));
    assert!(
        source.changes.lock().expect("lock").is_empty(),
        "no refused call changed anything"
    );

    // Unknown routes and methods under the API answer JSON too.
    for (method, path, status) in [
        (Method::GET, "/api/v1/nothing-here", StatusCode::NOT_FOUND),
        (
            Method::DELETE,
            "/api/v1/printers/CNB1K2L3M4",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ] {
        let answer = reqwest::Client::new()
            .request(method, format!("{base}{path}"))
            .header("Cookie", &contract.cookie)
            .send()
            .await
            .expect("request");
        assert_eq!(answer.status(), status, "{path}");
        let body: Value = answer.json().await.expect("JSON");
        assert!(body["error"].is_string());
    }
}

#[tokio::test]
async fn a_failing_source_is_a_documented_503_with_retry_after() {
    let server = start(Arc::new(FailingSource("database is locked".into()))).await;
    let base = server.url("");
    let contract = Contract::load(&base, cookie_for(&base).expect("logged in")).await;
    for path in ["/api/v1/status", "/api/v1/printers", "/api/v1/orders"] {
        let body = contract
            .check(Call::get(path), StatusCode::SERVICE_UNAVAILABLE)
            .await;
        assert_eq!(body["error"], "database is locked");
    }
    let answer = reqwest::Client::new()
        .get(format!("{base}/api/v1/status"))
        .header("Cookie", &contract.cookie)
        .send()
        .await
        .expect("request");
    assert!(answer.headers().contains_key("retry-after"));
}

/// Logs in to a running gateway's page with `password`.
async fn log_in(http: SocketAddr, password: &str) -> String {
    let base = format!("http://{http}");
    let (status, session) = fixture::login(&base, password).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    format!("asr_session={}", session.expect("a session"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_gateway_answers_as_documented() {
    let dir = tempfile::tempdir().expect("dir");
    let mqtt = asr_cloud_sync::free_local_addr(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST))
        .expect("a free port");
    let args = DemoArgs {
        speed: 200_000.0,
        mqtt_port: mqtt.port(),
        http: SocketAddr::from(([127, 0, 0, 1], 0)),
        printers: 6,
        snmp_port: 16_231,
        ipp_port: asr_cloud_sync::free_local_addr(std::net::IpAddr::V4(
            std::net::Ipv4Addr::LOCALHOST,
        ))
        .unwrap()
        .port(),
        fleet_ip: Ipv4Addr::new(127, 0, 0, 231),
        data_dir: Some(dir.path().to_path_buf()),
        seed: 11,
        duration: None,
        admin_password: Some(fixture::ADMIN_PASSWORD.into()),
        https: false,
        gateway_id: "demo".into(),
        broker: None,
        some_remaining: 0,
    };
    let broker = asr_cloud_sync::EmbeddedBroker::start(mqtt).expect("broker");
    let demo = Demo::start_with_broker(&args, broker)
        .await
        .expect("demo starts");
    let http = demo.gateway.http_addr().expect("page served");
    let cookie = log_in(http, fixture::ADMIN_PASSWORD).await;
    let contract = Contract::load(&format!("http://{http}"), cookie).await;

    // A few simulated months: forecasts, orders and alerts exist.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let status = contract
            .check(Call::get("/api/v1/status"), StatusCode::OK)
            .await;
        let forecasts = status["printers"]
            .as_array()
            .expect("printers")
            .iter()
            .flat_map(|p| p["supplies"].as_array().cloned().unwrap_or_default())
            .filter(|s| s["forecast_empty_at"].is_string())
            .count();
        if status["orders"].as_array().is_some_and(|o| !o.is_empty()) && forecasts > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "orders and forecasts within a minute: {status}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let printers = contract
        .check(Call::get("/api/v1/printers"), StatusCode::OK)
        .await;
    let serial = printers[0]["serial"].as_str().expect("serial").to_owned();
    let index = printers[0]["supplies"][0]["index"]
        .as_u64()
        .expect("a supply");
    let detail_path = format!("/api/v1/printers/{serial}");
    let detail = contract
        .check(Call::get(&detail_path), StatusCode::OK)
        .await;
    assert!(
        detail["history"].as_array().is_some_and(|h| h
            .iter()
            .any(|s| s["points"].as_array().is_some_and(|p| !p.is_empty()))),
        "a level history: {detail}"
    );
    for path in [
        "/api/v1/orders",
        "/api/v1/orders?status=sent",
        "/api/v1/alerts",
        "/api/v1/settings",
    ] {
        contract.check(Call::get(path), StatusCode::OK).await;
    }

    // Changes go through the gateway: stored, and seen on the next read.
    let updated = contract
        .check(
            Call::change(
                Method::PATCH,
                &detail_path,
                json!({ "postal_address": "1 rue de la Paix\n75002 Paris", "contact_phone": "+33 1 23 45 67 89" }),
            ),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        updated["registration"]["postal_address"],
        "1 rue de la Paix\n75002 Paris"
    );
    let stored = demo
        .gateway
        .store()
        .printer(&serial)
        .expect("read")
        .expect("known");
    assert_eq!(
        stored.postal_address.as_deref(),
        Some("1 rue de la Paix\n75002 Paris")
    );
    contract
        .check(
            Call::change(
                Method::PATCH,
                &detail_path,
                json!({ "contact_email": "not an address" }),
            ),
            StatusCode::BAD_REQUEST,
        )
        .await;
    let orders_path = format!("{detail_path}/orders");
    contract
        .check(
            Call::change(Method::POST, &orders_path, json!({ "supply_index": index })),
            StatusCode::ACCEPTED,
        )
        .await;
    contract
        .check(
            Call::change(
                Method::POST,
                &orders_path,
                json!({ "supply_index": index, "quantity": 11 }),
            ),
            StatusCode::BAD_REQUEST,
        )
        .await;
    let alerts = contract
        .check(Call::get("/api/v1/alerts"), StatusCode::OK)
        .await;
    if let Some(open) = alerts
        .as_array()
        .expect("list")
        .iter()
        .find(|a| a["acked_at"].is_null())
    {
        let id = open["id"].as_str().expect("id");
        let acked = contract
            .check(
                Call::change(Method::POST, &format!("/api/v1/alerts/{id}/ack"), json!({})),
                StatusCode::OK,
            )
            .await;
        assert!(acked["acked_at"].is_string());
    }
    demo.stop().await;
}
