//! The overview table and the printer page over real TCP, logged in: sorting
//! and filtering without JavaScript, eligibility with its reason, the level
//! chart, and the delivery-details form (CSRF, refusals that keep what was
//! typed, success that redirects).

#[path = "web_fixture.rs"]
mod fixture;

use std::sync::Arc;
use std::time::Duration;

use asr_cloud_sync::PrinterChanges;
use asr_gateway::web::PageChange;
use fixture::{cookie_for, csrf_field, recording, sample_view, start};
use reqwest::StatusCode;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http client")
}

async fn get(url: &str) -> (StatusCode, String) {
    let r = client()
        .get(url)
        .header("Cookie", cookie_for(url).expect("session"))
        .send()
        .await
        .expect("GET");
    (r.status(), r.text().await.expect("body"))
}

#[tokio::test]
async fn the_overview_sorts_and_filters_with_plain_links() {
    let server = start(recording()).await;
    let (status, body) = get(&server.url("/?lang=en&sort=site&dir=desc")).await;
    assert_eq!(status, StatusCode::OK);
    // "Paris — Siège" before "Lyon <b>annexe</b>" when descending by site.
    let paris = body.find("CNB1K2L3M4</a>").expect("Paris printer");
    let lyon = body.find("EVIL-0001</a>").expect("Lyon printer");
    assert!(paris < lyon, "descending by site");
    assert!(body.contains("aria-sort=\"descending\""));
    let (_, body) = get(&server.url("/?lang=en&sort=site&dir=asc")).await;
    assert!(body.find("EVIL-0001</a>") < body.find("CNB1K2L3M4</a>"));
    // Filtering is case-insensitive over serial, model, site, contact and address.
    let (_, body) = get(&server.url("/?lang=en&q=LYON")).await;
    assert!(body.contains("EVIL-0001</a>") && !body.contains("CNB1K2L3M4</a>"));
    assert!(body.contains("1 shown of 3"));
    // A hostile filter value is text.
    let (status, body) = get(&server.url("/?q=%3Cscript%3Ealert(1)%3C/script%3E")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
    assert_eq!(
        body.matches("<script").count(),
        2,
        "only the page's own scripts (refresh, local time)"
    );
    // Unknown sort keys fall back to the default order.
    let (status, _) = get(&server.url("/?sort=%27;drop")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_printer_page_shows_its_chart_eligibility_and_form() {
    let server = start(recording()).await;
    let (status, body) = get(&server.url("/printers/CNB1K2L3M4?lang=fr")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<svg class=\"chart\""));
    assert!(
        body.contains("class=\"swap early\""),
        "the early swap is marked"
    );
    assert!(body.contains("13\u{a0}%"), "with the toner left");
    assert!(body.contains("Les consommables sont commandés automatiquement."));
    // The page counter with the recent volume, this printer's alerts (the
    // early swap, with its advice) and its orders.
    assert!(body.contains("<svg class=\"chart counter\""));
    assert!(body.contains("Environ 120 pages par jour"));
    assert!(body.contains("id=\"palerts-h\""));
    assert!(
        body.contains("al-2") && !body.contains("al-1/ack"),
        "only its own alerts"
    );
    assert!(body.contains("id=\"porders-h\"") && body.contains("ORD-2026-0042"));
    assert!(body.contains("value=\"Paris — Siège\""));
    assert!(body.contains("12 rue de la Paix, 75002 Paris</textarea>"));
    assert!(body.contains("value=\"accueil@example.fr\""));
    assert!(body.contains("name=\"csrf\""));
    assert!(
        body.contains("<option value=\"auto\" selected>automatique (SNMP, sinon IPP)</option>"),
        "the protocol choice, current one selected"
    );
    // Why the others are not ordered for.
    let (_, body) = get(&server.url("/printers/E78241K5N123?lang=en")).await;
    assert!(body.contains("Not ordered: excluded from automatic ordering."));
    assert!(body.contains("name=\"excluded\" value=\"on\" checked"));
    assert!(body.contains("does not answer SNMP: its supplies are read over IPP."));
    let (_, body) = get(&server.url("/printers/EVIL-0001?lang=en")).await;
    assert!(!body.contains("read over IPP"));
    assert!(body.contains("Not ordered: level unknown and no page counter."));
    assert!(!body.contains("<script>alert"), "the model is escaped");
    // Unknown serial: 404 with a sentence.
    let (status, body) = get(&server.url("/printers/NOPE?lang=en")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("No printer has this serial number."));
}

#[tokio::test]
async fn the_form_saves_with_its_token_and_keeps_what_was_typed_when_refused() {
    let source = recording();
    let server = start(source.clone()).await;
    let url = server.url("/printers/CNB1K2L3M4?lang=en");
    let cookie = cookie_for(&url).expect("session");
    let (_, page) = get(&url).await;
    let csrf = csrf_field(&page).expect("form token");
    let post = |fields: Vec<(&'static str, String)>| {
        client()
            .post(&url)
            .header("Cookie", cookie.clone())
            .form(&fields)
            .send()
    };
    let fields = |csrf: &str, contact: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("site", "Paris — Siège".to_owned()),
            ("contact", contact.to_owned()),
            (
                "postal_address",
                "  3 place Vendôme\n75001 Paris ".to_owned(),
            ),
            ("contact_email", "reception@example.fr".to_owned()),
            ("contact_phone", "".to_owned()),
            ("excluded", "on".to_owned()),
            ("protocol", "ipp".to_owned()),
        ]
    };
    // Without the session's token: refused, nothing applied, input kept.
    let r = post(fields("forged", "Marie Curie")).await.expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body = r.text().await.expect("body");
    assert!(body.contains("This form has expired"));
    assert!(body.contains("value=\"Marie Curie\""));
    assert!(source.changes.lock().expect("lock").is_empty());
    // Refused by the gateway: 400 with the reason and what was typed.
    let r = post(fields(&csrf, "nobody")).await.expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.expect("body");
    assert!(body.contains("Not saved") && body.contains("nobody is not accepted"));
    assert!(body.contains("3 place Vendôme\n75001 Paris</textarea>"));
    // Accepted: 303 back to the page, which says so.
    let r = post(fields(&csrf, "Marie Curie")).await.expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().expect("ascii").to_owned();
    assert_eq!(location, "/printers/CNB1K2L3M4?lang=en&saved=1");
    let (_, body) = get(&server.url(&location)).await;
    assert!(body.contains("Saved: the change is applied"));
    let changes = source.changes.lock().expect("lock").clone();
    assert_eq!(
        changes,
        vec![PageChange::SetPrinter {
            serial: "CNB1K2L3M4".to_owned(),
            changes: PrinterChanges {
                site: Some("Paris — Siège".to_owned()),
                contact: Some("Marie Curie".to_owned()),
                postal_address: Some("3 place Vendôme\n75001 Paris".to_owned()),
                contact_email: Some("reception@example.fr".to_owned()),
                contact_phone: Some(String::new()),
                excluded: Some(true),
                protocol: Some("ipp".to_owned()),
            },
        }]
    );
}

#[tokio::test]
async fn a_read_only_source_refuses_changes_with_a_reason() {
    let server = start(Arc::new(fixture::FixedSource(sample_view()))).await;
    let url = server.url("/printers/CNB1K2L3M4?lang=en");
    let (_, page) = get(&url).await;
    let csrf = csrf_field(&page).expect("token");
    let r = client()
        .post(&url)
        .header("Cookie", cookie_for(&url).expect("session"))
        .form(&[("csrf", csrf.as_str()), ("site", "A"), ("contact", "B")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.expect("body").contains("read-only"));
}

#[tokio::test]
async fn order_one_now_is_asked_with_the_token_and_refusals_say_why() {
    let source = recording();
    let server = start(source.clone()).await;
    let page_url = server.url("/printers/CNB1K2L3M4?lang=en");
    let (_, page) = get(&page_url).await;
    assert!(page.contains("action=\"/printers/CNB1K2L3M4/order?lang=en\""));
    assert!(page.contains("Order one now"));
    let csrf = csrf_field(&page).expect("token");
    let url = server.url("/printers/CNB1K2L3M4/order?lang=en");
    let cookie = cookie_for(&url).expect("session");
    let order = |csrf: String, index: &'static str| {
        client()
            .post(&url)
            .header("Cookie", cookie.clone())
            .form(&[("csrf", csrf), ("supply_index", index.to_owned())])
            .send()
    };
    let r = order("forged".into(), "2").await.expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = order(csrf.clone(), "99").await.expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.expect("body");
    assert!(body.contains("printer has no supply 99"), "{body}");
    let r = order(csrf.clone(), "not a number").await.expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = order(csrf, "2").await.expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/printers/CNB1K2L3M4?lang=en&ordered=1"
    );
    let (_, body) = get(&server.url("/printers/CNB1K2L3M4?lang=en&ordered=1")).await;
    assert!(body.contains("Ordered: it goes out with the next shipment"));
    assert_eq!(
        source.changes.lock().expect("lock").clone(),
        vec![PageChange::OrderNow {
            serial: "CNB1K2L3M4".to_owned(),
            supply_index: 2,
            quantity: 1,
        }]
    );
    // An excluded printer offers no order button.
    let (_, body) = get(&server.url("/printers/E78241K5N123?lang=en")).await;
    assert!(!body.contains("Order one now"));
}

/// `/metrics` parsed by a real Prometheus text parser: every printer up or
/// down, every honest level, days to empty, the outbox and the link; behind
/// the login unless the site made it public.
#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_stay_behind_the_login_by_default() {
    let server = start(recording()).await;
    let url = server.url("/metrics");
    let anonymous = client().get(&url).send().await.expect("GET");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let r = client()
        .get(&url)
        .header("Cookie", cookie_for(&url).expect("session"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/plain; version=0.0.4")
    );
    let text = r.text().await.expect("body");
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("valid Prometheus text");
    let value = |name: &str, labels: &[(&str, &str)]| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
    };
    assert_eq!(value("asr_printers", &[]), Some(3.0));
    assert_eq!(
        value("asr_printer_up", &[("serial", "CNB1K2L3M4")]),
        Some(1.0)
    );
    assert_eq!(
        value("asr_printer_up", &[("serial", "E78241K5N123")]),
        Some(0.0)
    );
    // The hostile model survives as one label value, its quotes escaped
    // (this parser hands label values back still escaped).
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.labels.get("model") == Some(r#"<script>alert(\"pwned\")</script>"#))
    );
    assert_eq!(
        value(
            "asr_supply_percent",
            &[("serial", "CNB1K2L3M4"), ("colorant", "cyan")]
        ),
        Some(8.0)
    );
    assert!(
        value(
            "asr_supply_days_to_empty",
            &[("serial", "CNB1K2L3M4"), ("supply", "2")]
        )
        .is_some()
    );
    assert_eq!(value("asr_outbox_depth", &[]), Some(3.0));
    assert_eq!(value("asr_cloud_link_up", &[]), Some(1.0));
    assert_eq!(
        value("asr_poll_duration_seconds", &[("serial", "CNB1K2L3M4")]),
        Some(0.42)
    );
    assert_eq!(
        value("asr_polls_total", &[("result", "failed")]),
        Some(17.0)
    );
    assert_eq!(value("asr_disk_free_bytes", &[]), Some(12_884_901_888.0));
    assert_eq!(value("asr_open_alerts", &[]), Some(2.0));

    // Public when the site says so.
    let public = fixture::start_with(
        recording(),
        Arc::new(
            asr_gateway::web::Auth::new(Some(fixture::admin_hash()), None).public_metrics(true),
        ),
    )
    .await;
    let r = client()
        .get(public.url("/metrics"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
    let r = client()
        .get(public.url("/api/status"))
        .send()
        .await
        .expect("GET");
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "only /metrics is public"
    );
}

#[tokio::test]
async fn alerts_give_the_guide_s_advice_and_are_acknowledged_with_the_token() {
    let source = recording();
    let server = start(source.clone()).await;
    let (status, body) = get(&server.url("/alerts?lang=fr")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Alertes (2 ouvertes)"));
    assert!(body.contains("Ne communique plus. Laissez l’imprimante allumée"));
    assert!(body.contains("ne remplacez une cartouche que lorsque l’imprimante la dit vide"));
    assert!(body.contains("12\u{a0}% de toner restant"));
    assert!(body.contains("× 4.2 fois la journée habituelle"));
    assert!(
        body.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "messages are text"
    );
    assert_eq!(
        body.matches("action=\"/alerts/").count(),
        2,
        "acknowledged ones have no button"
    );
    assert!(
        body.contains("href=\"/alerts?lang=fr\""),
        "the top bar links here"
    );
    let csrf = csrf_field(&body).expect("token");
    let ack = |id: &'static str, token: String| {
        let url = server.url(&format!("/alerts/{id}/ack?lang=fr"));
        let cookie = cookie_for(&url).expect("session");
        client()
            .post(url)
            .header("Cookie", cookie)
            .form(&[("csrf", token)])
            .send()
    };
    assert_eq!(
        ack("al-1", "forged".into()).await.expect("post").status(),
        StatusCode::FORBIDDEN
    );
    let r = ack("al-404", csrf.clone()).await.expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.expect("body").contains("unknown alert id"));
    let r = ack("al-1", csrf).await.expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/alerts?lang=fr");
    assert!(
        source
            .changes
            .lock()
            .expect("lock")
            .contains(&PageChange::AckAlert {
                alert_id: "al-1".to_owned()
            })
    );
}

#[tokio::test]
async fn the_summary_cards_lead_to_the_printers_needing_attention() {
    let server = start(recording()).await;
    let (_, body) = get(&server.url("/?lang=en")).await;
    assert!(body.contains("href=\"/?lang=en&amp;only=down\""));
    assert!(body.contains("href=\"/?lang=en&amp;only=ineligible\""));
    assert!(body.contains("Ordered automatically"));
    assert!(
        body.contains("1 / 3"),
        "one of three printers is ordered for"
    );
    let (_, body) = get(&server.url("/?lang=en&only=down")).await;
    assert!(body.contains("E78241K5N123</a>") && !body.contains("CNB1K2L3M4</a>"));
    assert!(body.contains("1 shown of 3"));
    let (_, body) = get(&server.url("/?lang=en&only=ineligible")).await;
    assert!(body.contains("E78241K5N123</a>") && body.contains("EVIL-0001</a>"));
    assert!(!body.contains("CNB1K2L3M4</a>"));
    // Sorting keeps the selection.
    assert!(body.contains("&amp;only=ineligible\""));
}

#[tokio::test]
async fn the_orders_page_lists_every_order_and_filters_by_state() {
    let server = start(recording()).await;
    let orders = sample_view().orders;
    let (status, body) = get(&server.url("/orders?lang=en")).await;
    assert_eq!(status, StatusCode::OK);
    for o in &orders {
        assert!(body.contains(&o.order_id), "{} listed", o.order_id);
    }
    assert!(body.contains("href=\"/orders?lang=en&amp;status=shipped\""));
    let waiting = orders
        .iter()
        .find(|o| o.status == "waiting")
        .expect("a waiting order");
    let others: Vec<_> = orders.iter().filter(|o| o.status != "waiting").collect();
    assert!(!others.is_empty());
    let (_, body) = get(&server.url("/orders?lang=en&status=waiting")).await;
    assert!(body.contains(&waiting.order_id));
    for o in others {
        assert!(!body.contains(&o.order_id), "{} is not waiting", o.order_id);
    }
    assert!(body.contains("aria-current=\"true\">Waiting to be sent</a>"));
    // The top bar links to it from every page.
    let (_, body) = get(&server.url("/?lang=en")).await;
    assert!(body.contains("href=\"/orders?lang=en\""));
}

#[tokio::test]
async fn a_storage_problem_is_a_banner_on_the_overview_in_both_languages() {
    let mut view = sample_view();
    view.health.storage_problem = Some("full: database or disk is full".to_owned());
    let server = start(Arc::new(fixture::RecordingSource {
        view,
        changes: std::sync::Mutex::new(Vec::new()),
    }))
    .await;
    for (path, advice) in [
        ("/?lang=en", "orders and alerts still go out"),
        ("/?lang=fr", "les commandes et les alertes partent toujours"),
    ] {
        let (status, body) = get(&server.url(path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let banner = body
            .split("id=\"storage-banner\"")
            .nth(1)
            .unwrap_or_else(|| panic!("{path} has the storage banner"));
        assert!(banner.contains("full: database or disk is full"), "{path}");
        assert!(banner.contains(advice), "{path}");
    }
    // A healthy store shows none.
    let healthy = start(recording()).await;
    let (_, body) = get(&healthy.url("/?lang=en")).await;
    assert!(!body.contains("storage-banner"));
}
