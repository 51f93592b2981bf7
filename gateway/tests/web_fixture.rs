//! Fixed status data and fake status sources shared by the `web_*` tests
//! (included with `#[path]`; compiled alone it is an empty test crate).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asr_gateway::web::auth::hash_password;
use asr_gateway::web::{
    AlertView, Auth, CloudView, PageChange, PrinterDetail, Registration, ScopedCredentialsView,
    SettingsView, SupplyHistory,
};
use asr_gateway::web::{
    HealthView, OrderLineView, OrderView, PrinterView, StatusSource, StatusView, SupplyView,
    UplinkView, WebServer,
};
use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::oneshot;

/// The model of the hostile printer: must be shown as text, never run.
pub const EVIL_MODEL: &str = "<script>alert(\"pwned\")</script>";

pub fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("valid fixture date")
}

fn supply(
    index: u32,
    description: &str,
    kind: &str,
    colorant: Option<&str>,
    percent: Option<f64>,
    gauge: &str,
    class: &str,
) -> SupplyView {
    SupplyView {
        index,
        description: description.to_owned(),
        kind: kind.to_owned(),
        colorant: colorant.map(str::to_owned),
        percent,
        gauge: gauge.to_owned(),
        class: class.to_owned(),
        forecast_empty_at: None,
        forecast_pessimistic_at: None,
        spares_on_site: 0,
        spares_in_transit: 0,
    }
}

/// A realistic site: a colour MFP with every gauge kind, an unreachable mono
/// printer, a printer with a hostile model name, and two orders.
pub fn sample_view() -> StatusView {
    let now = at(2026, 3, 12, 9, 30);
    let mut black = supply(
        1,
        "Black Toner Cartridge 415A",
        "toner",
        Some("black"),
        Some(62.0),
        "exact",
        "consumed",
    );
    black.forecast_empty_at = Some(at(2026, 5, 2, 0, 0));
    black.forecast_pessimistic_at = Some(at(2026, 4, 20, 0, 0));
    black.spares_on_site = 1;
    let mut cyan = supply(
        2,
        "Cyan Toner Cartridge 415A",
        "toner",
        Some("cyan"),
        Some(8.0),
        "exact",
        "consumed",
    );
    cyan.forecast_empty_at = Some(at(2026, 3, 19, 0, 0));
    cyan.forecast_pessimistic_at = Some(at(2026, 3, 16, 0, 0));
    cyan.spares_in_transit = 1;
    let magenta = supply(
        3,
        "Magenta Toner Cartridge 415A",
        "toner",
        Some("magenta"),
        None,
        "some_remaining",
        "consumed",
    );
    let mut yellow = supply(
        4,
        "Yellow Toner Cartridge 415A",
        "toner",
        Some("yellow"),
        Some(40.0),
        "stepped",
        "consumed",
    );
    yellow.forecast_empty_at = Some(at(2026, 4, 28, 0, 0));
    let mut waste = supply(
        5,
        "Toner Collection Unit",
        "wasteToner",
        None,
        Some(70.0),
        "exact",
        "receptacle",
    );
    waste.forecast_empty_at = Some(at(2026, 9, 1, 0, 0));
    let drum = supply(
        6,
        "Imaging Drum",
        "opc",
        None,
        Some(100.0),
        "out_of_range",
        "consumed",
    );

    StatusView {
        gateway_id: "gw-paris-01".to_owned(),
        version: "0.1.0".to_owned(),
        generated_at: now,
        uplink: UplinkView {
            last_error: None,
            outbox_oldest_at: None,
            since: None,
            levels_thinned: 0,
            levels_dropped: 0,
            connected: true,
            broker: "mqtt.example.net:8883".to_owned(),
            outbox_depth: 3,
            last_sent_at: Some(at(2026, 3, 12, 9, 28)),
        },
        printers: vec![
            PrinterView {
                serial: "CNB1K2L3M4".to_owned(),
                model: "HP Color LaserJet Pro MFP M479fdw".to_owned(),
                address: "192.168.10.21".to_owned(),
                site: "Paris — Siège".to_owned(),
                contact: "Accueil, 2e étage".to_owned(),
                last_seen: Some(at(2026, 3, 12, 9, 29)),
                reachable: true,
                last_error: None,
                page_count: Some(48_213),
                last_poll_seconds: Some(0.42),
                read_over: None,
                supplies: vec![black, cyan, magenta, yellow, waste, drum],
                registration: Registration {
                    postal_address: Some("12 rue de la Paix, 75002 Paris".to_owned()),
                    contact_email: Some("accueil@example.fr".to_owned()),
                    contact_phone: Some("+33 1 23 45 67 89".to_owned()),
                    excluded: false,
                    ineligible: None,
                    protocol: "auto".to_owned(),
                },
            },
            PrinterView {
                serial: "E78241K5N123".to_owned(),
                model: "Brother HL-L5100DN".to_owned(),
                address: "192.168.10.35".to_owned(),
                site: "Paris — Siège".to_owned(),
                contact: "Comptabilité".to_owned(),
                last_seen: Some(at(2026, 3, 11, 17, 2)),
                reachable: false,
                last_error: Some("SNMP timeout after 3 attempts".to_owned()),
                page_count: Some(120_440),
                last_poll_seconds: None,
                read_over: Some(asr_protocols::printer::ReportSource::Ipp),
                supplies: vec![supply(
                    1,
                    "Toner TN-3430",
                    "toner",
                    Some("black"),
                    None,
                    "unknown",
                    "consumed",
                )],
                registration: Registration {
                    excluded: true,
                    ineligible: Some("excluded".to_owned()),
                    protocol: "auto".to_owned(),
                    ..Registration::default()
                },
            },
            PrinterView {
                serial: "EVIL-0001".to_owned(),
                model: EVIL_MODEL.to_owned(),
                address: "192.168.10.66".to_owned(),
                site: "Lyon <b>annexe</b>".to_owned(),
                contact: "O'Brien & \"Co\"".to_owned(),
                last_seen: None,
                reachable: true,
                last_error: None,
                page_count: None,
                last_poll_seconds: None,
                read_over: None,
                supplies: Vec::new(),
                registration: Registration {
                    ineligible: Some("no_level_no_counter".to_owned()),
                    protocol: "auto".to_owned(),
                    ..Registration::default()
                },
            },
        ],
        orders: vec![
            OrderView {
                tracking: None,
                order_id: "ORD-2026-0042".to_owned(),
                created_at: at(2026, 3, 12, 8, 0),
                site: "Paris — Siège".to_owned(),
                contact: "Accueil, 2e étage".to_owned(),
                status: "waiting".to_owned(),
                lines: vec![
                    OrderLineView {
                        printer: "CNB1K2L3M4".to_owned(),
                        supply_index: 2,
                        supply_type: "toner".to_owned(),
                        colorant: Some("cyan".to_owned()),
                        quantity: 1,
                        predicted_empty_at: Some(at(2026, 3, 19, 0, 0)),
                    },
                    OrderLineView {
                        printer: "CNB1K2L3M4".to_owned(),
                        supply_index: 3,
                        supply_type: "toner".to_owned(),
                        colorant: Some("magenta".to_owned()),
                        quantity: 2,
                        predicted_empty_at: None,
                    },
                ],
            },
            OrderView {
                tracking: None,
                order_id: "ORD-2026-0039".to_owned(),
                created_at: at(2026, 3, 2, 14, 10),
                site: "Paris — Siège".to_owned(),
                contact: "Comptabilité".to_owned(),
                status: "sent".to_owned(),
                lines: vec![OrderLineView {
                    printer: "E78241K5N123".to_owned(),
                    supply_index: 1,
                    supply_type: "toner".to_owned(),
                    colorant: Some("black".to_owned()),
                    quantity: 1,
                    predicted_empty_at: Some(at(2026, 3, 25, 0, 0)),
                }],
            },
        ],
        health: HealthView {
            last_poll_at: Some(at(2026, 3, 12, 9, 29)),
            disk_free_bytes: Some(12_884_901_888),
            clock_synchronised: true,
            uptime_secs: 86_400 * 3 + 3_600,
            open_alerts: 2,
            polls_ok: 1_204,
            polls_failed: 17,
            notice: None,
            storage_problem: None,
        },
    }
}

/// Serves a fixed view.
pub struct FixedSource(pub StatusView);

impl StatusSource for FixedSource {
    fn snapshot(&self) -> Result<StatusView, String> {
        Ok(self.0.clone())
    }
}

/// The sample fleet, with a history for the first printer's black toner,
/// recording the changes the page asks for (and refusing one contact name).
pub struct RecordingSource {
    pub view: StatusView,
    pub changes: Mutex<Vec<PageChange>>,
}

impl StatusSource for RecordingSource {
    fn snapshot(&self) -> Result<StatusView, String> {
        Ok(self.view.clone())
    }

    fn printer(&self, serial: &str) -> Result<Option<PrinterDetail>, String> {
        let Some(printer) = self.view.printers.iter().find(|p| p.serial == serial) else {
            return Ok(None);
        };
        let start = at(2026, 1, 1, 0, 0);
        // Two cartridges: the first taken out with 13 % left.
        let points = (0..40)
            .map(|d| (start + chrono::Duration::days(d), 60.0 - d as f64 * 1.2))
            .chain((40..70).map(|d| {
                (
                    start + chrono::Duration::days(d),
                    100.0 - (d - 40) as f64 * 1.5,
                )
            }))
            .collect();
        // 120 pages a day.
        let page_counts = (0..70)
            .map(|d| (start + chrono::Duration::days(d), 40_000 + d as u64 * 120))
            .collect();
        let alerts = self
            .alerts()?
            .into_iter()
            .filter(|a| a.printer == serial)
            .collect();
        let orders = self
            .view
            .orders
            .iter()
            .filter(|o| o.lines.iter().any(|l| l.printer == serial))
            .cloned()
            .collect();
        Ok(Some(PrinterDetail {
            generated_at: self.view.generated_at,
            printer: printer.clone(),
            history: vec![SupplyHistory { index: 1, points }],
            page_counts,
            alerts,
            orders,
        }))
    }

    fn alerts(&self) -> Result<Vec<AlertView>, String> {
        let alert = |id: &str, kind: &str, printer: &str| AlertView {
            id: id.to_owned(),
            kind: kind.to_owned(),
            printer: printer.to_owned(),
            at: at(2026, 3, 12, 8, 0),
            supply_index: None,
            level_left_percent: None,
            factor: None,
            message: None,
            acked_at: None,
        };
        Ok(vec![
            AlertView {
                message: Some("<img src=x onerror=alert(1)>".to_owned()),
                ..alert("al-1", "printer_silent", "E78241K5N123")
            },
            AlertView {
                supply_index: Some(2),
                level_left_percent: Some(12.0),
                ..alert("al-2", "premature_replacement", "CNB1K2L3M4")
            },
            AlertView {
                factor: Some(4.2),
                acked_at: Some(at(2026, 3, 12, 9, 0)),
                ..alert("al-3", "usage_spike", "CNB1K2L3M4")
            },
        ])
    }

    fn settings(&self) -> Result<SettingsView, String> {
        Ok(SettingsView {
            poll_interval: "15m".to_owned(),
            snmp_version: "3".to_owned(),
            community_set: true,
            snmp_user: Some("asr-reader".to_owned()),
            auth_proto: Some("SHA-256".to_owned()),
            auth_pass_set: true,
            priv_proto: None,
            priv_pass_set: false,
            cloud: CloudView {
                broker: "mqtt.example.net:8883".to_owned(),
                transport: "tcp".to_owned(),
                tls: true,
                client_id: "gw-paris-01".to_owned(),
                username: Some("gw-paris-01".to_owned()),
            },
            scoped: vec![ScopedCredentialsView {
                scope: "192.168.20.0/24".to_owned(),
                version: "3".to_owned(),
                user: Some("<i>floor2</i>".to_owned()),
            }],
        })
    }

    fn apply(&self, change: PageChange) -> Result<(), String> {
        match &change {
            PageChange::AckAlert { alert_id } if alert_id == "al-404" => {
                return Err("unknown alert id \"al-404\"".to_owned());
            }
            PageChange::SetPrinter { changes, .. }
                if changes.contact.as_deref() == Some("nobody") =>
            {
                return Err("`contact` nobody is not accepted here".to_owned());
            }
            PageChange::OrderNow { supply_index, .. } if *supply_index == 99 => {
                return Err("printer has no supply 99".to_owned());
            }
            _ => {}
        }
        self.changes.lock().expect("lock").push(change);
        Ok(())
    }
}

pub fn recording() -> Arc<RecordingSource> {
    Arc::new(RecordingSource {
        view: sample_view(),
        changes: Mutex::new(Vec::new()),
    })
}

/// Always fails, like a store whose database is locked.
pub struct FailingSource(pub String);

impl StatusSource for FailingSource {
    fn snapshot(&self) -> Result<StatusView, String> {
        Err(self.0.clone())
    }
}

/// Panics, like a buggy implementation.
pub struct PanickingSource;

impl StatusSource for PanickingSource {
    fn snapshot(&self) -> Result<StatusView, String> {
        panic!("fixture source panics on purpose")
    }
}

/// Counts its calls: call `n` (from 1) shows gateway id `gw-call-n`; with
/// `fail_after`, calls after that one fail (a gateway going away).
pub struct SequenceSource {
    pub calls: std::sync::atomic::AtomicUsize,
    pub fail_after: Option<usize>,
}

impl SequenceSource {
    pub fn new(fail_after: Option<usize>) -> Self {
        Self {
            calls: std::sync::atomic::AtomicUsize::new(0),
            fail_after,
        }
    }
}

impl StatusSource for SequenceSource {
    fn snapshot(&self) -> Result<StatusView, String> {
        let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if self.fail_after.is_some_and(|limit| n > limit) {
            return Err(format!("call {n} fails on purpose"));
        }
        let mut view = sample_view();
        view.gateway_id = format!("gw-call-{n}");
        Ok(view)
    }
}

/// Takes longer than the server's timeout.
pub struct SlowSource(pub Duration);

impl StatusSource for SlowSource {
    fn snapshot(&self) -> Result<StatusView, String> {
        std::thread::sleep(self.0);
        Ok(sample_view())
    }
}

/// A server on a free loopback port; dropping it stops the server.
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<Result<(), asr_gateway::web::WebError>>>,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) -> Result<(), asr_gateway::web::WebError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let task = self.task.take().expect("server task present");
        task.await.expect("server task joins")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The admin password of every test server.
pub const ADMIN_PASSWORD: &str = "a test password";

/// Its hash, made once per test binary (Argon2 is slow on purpose).
pub fn admin_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(ADMIN_PASSWORD).expect("hash the test password"))
        .clone()
}

/// Session cookies of the running test servers, by `http://addr`.
fn sessions() -> &'static std::sync::Mutex<std::collections::HashMap<String, String>> {
    static S: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, String>>> =
        std::sync::OnceLock::new();
    S.get_or_init(Default::default)
}

/// The `Cookie` header that logs a request to `url` in (its server was
/// started by [`start`]).
pub fn cookie_for(url: &str) -> Option<String> {
    let map = sessions().lock().unwrap_or_else(|p| p.into_inner());
    map.iter()
        .find(|(base, _)| url.starts_with(base.as_str()))
        .map(|(_, c)| c.clone())
}

/// A value of a `Set-Cookie` header of `response`.
pub fn set_cookie(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The hidden `csrf` field of a form page.
pub fn csrf_field(html: &str) -> Option<String> {
    let start = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_owned())
}

/// Logs in to the server at `base` (`http://addr`) with `password`; returns
/// the status of `POST /login` and the session cookie, if one was set.
pub async fn login(base: &str, password: &str) -> (reqwest::StatusCode, Option<String>) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    let form = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("GET /login");
    let form_cookie = set_cookie(form.headers(), "asr_form").expect("form cookie");
    let csrf = csrf_field(&form.text().await.expect("login page")).expect("csrf field");
    let answer = client
        .post(format!("{base}/login"))
        .header("Cookie", format!("asr_form={form_cookie}"))
        .form(&[("password", password), ("csrf", csrf.as_str())])
        .send()
        .await
        .expect("POST /login");
    let session = set_cookie(answer.headers(), "asr_session").filter(|s| !s.is_empty());
    (answer.status(), session)
}

/// Starts the real server on 127.0.0.1:0 with `source`, behind the admin
/// password, and logs in (see [`cookie_for`]).
pub async fn start(source: Arc<dyn StatusSource>) -> Running {
    start_with(source, Arc::new(Auth::new(Some(admin_hash()), None))).await
}

/// As [`start`] with the access control given.
pub async fn start_with(source: Arc<dyn StatusSource>, auth: Arc<Auth>) -> Running {
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("loopback address");
    let logged_in = auth.password_set();
    let server = WebServer::bind(addr, source, auth)
        .await
        .expect("bind a free port");
    let addr = server.local_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = rx.await;
    }));
    let base = format!("http://{addr}");
    if logged_in {
        let (_, session) = login(&base, ADMIN_PASSWORD).await;
        let session = session.expect("the test password logs in");
        sessions()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(base, format!("asr_session={session}"));
    }
    Running {
        addr,
        stop: Some(tx),
        task: Some(task),
    }
}
