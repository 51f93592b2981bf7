//! The registration and settings pages over real TCP, logged in: printers
//! found but unassigned get their delivery details or are forgotten; the
//! poll interval and SNMP credentials change (secrets never shown back);
//! the admin password changes with the current one, ending other sessions.

#[path = "web_fixture.rs"]
mod fixture;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asr_gateway::web::{Auth, PageChange};
use fixture::{
    ADMIN_PASSWORD, RecordingSource, admin_hash, cookie_for, csrf_field, login, recording,
    sample_view, set_cookie, start, start_with,
};
use reqwest::StatusCode;
use serde_json::json;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http client")
}

async fn get_with(url: &str, cookie: &str) -> (StatusCode, String) {
    let r = client()
        .get(url)
        .header("Cookie", cookie)
        .send()
        .await
        .expect("GET");
    (r.status(), r.text().await.expect("body"))
}

async fn post_with(url: &str, cookie: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    client()
        .post(url)
        .header("Cookie", cookie)
        .form(fields)
        .send()
        .await
        .expect("POST")
}

/// The sample fleet with its third printer found but not assigned.
fn with_unassigned() -> Arc<RecordingSource> {
    let mut view = sample_view();
    view.printers[2].site = String::new();
    view.printers[2].contact = String::new();
    Arc::new(RecordingSource {
        view,
        changes: Mutex::new(Vec::new()),
    })
}

#[tokio::test]
async fn found_printers_are_assigned_or_forgotten_from_the_registration_page() {
    let source = with_unassigned();
    let server = start(source.clone()).await;
    let url = server.url("/registration?lang=en");
    let cookie = cookie_for(&url).expect("session");
    let (status, page) = get_with(&url, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    // The unassigned printer has its own form, coming back here; the
    // assigned ones are listed with a link to edit them.
    let found = page.find("id=\"found-0\"").expect("a found printer");
    assert!(page[found..].contains("EVIL-0001"));
    assert!(page.contains("name=\"return_to\" value=\"registration\""));
    assert!(page.contains("id=\"r0-site\" name=\"site\""));
    assert!(page.contains("action=\"/printers/EVIL-0001/forget?lang=en\""));
    assert!(page.contains("href=\"/printers/CNB1K2L3M4?lang=en#reg-h\""));
    assert!(!page.contains("<b>annexe"), "printer text is escaped");
    let csrf = csrf_field(&page).expect("token");

    let fields = [
        ("csrf", csrf.as_str()),
        ("site", "Lyon — Annexe"),
        ("contact", "Jeanne Martin"),
        ("postal_address", "4 quai Saint-Antoine\r\n69002 Lyon"),
        ("contact_email", "jeanne.martin@example.fr"),
        ("contact_phone", "+33 4 72 00 00 00"),
        ("return_to", "registration"),
    ];
    let r = post_with(&server.url("/printers/EVIL-0001?lang=en"), &cookie, &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/registration?lang=en&saved=1");
    let (_, page) = get_with(&server.url("/registration?lang=en&saved=1"), &cookie).await;
    assert!(page.contains("role=\"status\""));

    // Forgetting needs the token too.
    let forget = server.url("/printers/EVIL-0001/forget?lang=fr");
    let r = post_with(&forget, &cookie, &[("csrf", "forged")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post_with(&forget, &cookie, &[("csrf", csrf.as_str())]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/registration?lang=fr&forgotten=1");
    let (_, page) = get_with(&server.url("/registration?lang=fr&forgotten=1"), &cookie).await;
    assert!(page.contains("Imprimante oubliée."));

    let changes = source.changes.lock().expect("lock").clone();
    assert_eq!(changes.len(), 2, "{changes:?}");
    let PageChange::SetPrinter { serial, changes: c } = &changes[0] else {
        panic!("a printer change first: {changes:?}")
    };
    assert_eq!(serial, "EVIL-0001");
    assert_eq!(c.site.as_deref(), Some("Lyon — Annexe"));
    assert_eq!(
        c.postal_address.as_deref(),
        Some("4 quai Saint-Antoine\n69002 Lyon")
    );
    assert_eq!(
        changes[1],
        PageChange::ForgetPrinter {
            serial: "EVIL-0001".to_owned()
        }
    );

    // Nothing left to register once every printer has a site and contact.
    let all_assigned = start(recording()).await;
    let url = all_assigned.url("/registration?lang=en");
    let (_, page) = get_with(&url, &cookie_for(&url).expect("session")).await;
    assert!(page.contains("Every printer found has a site and a contact."));
}

#[tokio::test]
async fn settings_change_polling_and_snmp_without_ever_showing_a_secret() {
    let source = recording();
    let server = start(source.clone()).await;
    let url = server.url("/settings?lang=en");
    let cookie = cookie_for(&url).expect("session");
    let (status, page) = get_with(&url, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(
            "name=\"poll_interval\" type=\"text\" required maxlength=\"16\" value=\"15m\""
        )
    );
    assert!(
        page.contains("value=\"asr-reader\""),
        "the v3 user is not a secret"
    );
    assert!(page.contains("<option value=\"SHA-256\" selected>"));
    // Secrets: "set" or "not set", and every secret input is empty.
    assert!(page.contains("Community <small>(set)</small>"));
    assert!(page.contains("Privacy pass phrase <small>(not set)</small>"));
    for name in ["community", "auth_pass", "priv_pass"] {
        assert!(
            page.contains(&format!(
                "name=\"{name}\" type=\"password\" maxlength=\"256\" value=\"\""
            )),
            "{name} is write-only"
        );
    }
    // Scoped credentials: listed without secrets, escaped, removable.
    assert!(
        page.contains("<strong>192.168.20.0/24</strong> · SNMP v3 · &lt;i&gt;floor2&lt;/i&gt;")
    );
    assert!(page.contains("name=\"remove\" value=\"192.168.20.0/24\""));
    // The cloud link, read-only.
    assert!(page.contains("mqtt.example.net:8883"));
    assert!(!page.contains("action=\"/settings/cloud"));
    let csrf = csrf_field(&page).expect("token");

    // Out of range, unparsable: refused with the reason, nothing applied.
    let polling = server.url("/settings/polling?lang=en");
    let r = post_with(
        &polling,
        &cookie,
        &[("csrf", &csrf), ("poll_interval", "10s")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.expect("body").contains("out of range"));
    let r = post_with(
        &polling,
        &cookie,
        &[("csrf", &csrf), ("poll_interval", "often")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = post_with(
        &polling,
        &cookie,
        &[("csrf", "stale"), ("poll_interval", "30m")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(source.changes.lock().expect("lock").is_empty());
    let r = post_with(
        &polling,
        &cookie,
        &[("csrf", &csrf), ("poll_interval", "30m")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/settings?lang=en&saved=polling");

    // SNMPv3 with a new privacy pass phrase: empty secrets are kept as set.
    let snmp = server.url("/settings/snmp?lang=en");
    let fields = [
        ("csrf", csrf.as_str()),
        ("version", "3"),
        ("community", ""),
        ("user", "asr-reader"),
        ("auth_proto", "SHA-256"),
        ("auth_pass", ""),
        ("priv_proto", "AES"),
        ("priv_pass", "a new privacy phrase"),
    ];
    let r = post_with(&snmp, &cookie, &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post_with(&snmp, &cookie, &[("csrf", &csrf), ("version", "4")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let scoped = server.url("/settings/scoped?lang=en");
    let r = post_with(
        &scoped,
        &cookie,
        &[
            ("csrf", &csrf),
            ("scope", " 192.168.30.0/24 "),
            ("version", "2c"),
            ("community", "floor3"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post_with(
        &scoped,
        &cookie,
        &[("csrf", &csrf), ("remove", "192.168.20.0/24")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let unknown = post_with(
        &server.url("/settings/cloud?lang=en"),
        &cookie,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);

    let changes = source.changes.lock().expect("lock").clone();
    assert_eq!(
        changes,
        vec![
            PageChange::SetConfig {
                changes: vec![("gateway.poll_interval".to_owned(), json!("30m"))]
            },
            PageChange::SetConfig {
                changes: vec![
                    ("snmp.version".to_owned(), json!("3")),
                    ("snmp.user".to_owned(), json!("asr-reader")),
                    ("snmp.auth_proto".to_owned(), json!("SHA-256")),
                    ("snmp.priv_proto".to_owned(), json!("AES")),
                    ("snmp.priv_pass".to_owned(), json!("a new privacy phrase")),
                ]
            },
            PageChange::SetScopedCredentials {
                scope: "192.168.30.0/24".to_owned(),
                credentials: asr_gateway::config::SnmpCredentials {
                    version: "2c".to_owned(),
                    community: "floor3".to_owned(),
                    user: None,
                    auth_proto: None,
                    auth_pass: None,
                    priv_proto: None,
                    priv_pass: None,
                    context: None,
                },
            },
            PageChange::RemoveScopedCredentials {
                scope: "192.168.20.0/24".to_owned(),
            },
        ]
    );
}

#[tokio::test]
async fn the_admin_password_changes_with_the_current_one_and_ends_other_sessions() {
    let server = start(recording()).await;
    let url = server.url("/settings?lang=en");
    let cookie = cookie_for(&url).expect("session");
    let (_, other) = login(&server.url(""), ADMIN_PASSWORD).await;
    let other = format!("asr_session={}", other.expect("a second session"));
    let (_, page) = get_with(&url, &cookie).await;
    let csrf = csrf_field(&page).expect("token");
    let change = server.url("/settings/password?lang=en");
    let new = "correct horse battery staple";

    let r = post_with(
        &change,
        &cookie,
        &[
            ("csrf", &csrf),
            ("current", "wrong one!"),
            ("new", new),
            ("confirm", new),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("current password is wrong")
    );
    let r = post_with(
        &change,
        &cookie,
        &[
            ("csrf", &csrf),
            ("current", ADMIN_PASSWORD),
            ("new", new),
            ("confirm", "typo"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = post_with(
        &change,
        &cookie,
        &[
            ("csrf", &csrf),
            ("current", ADMIN_PASSWORD),
            ("new", "short"),
            ("confirm", "short"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("at least 10 characters")
    );

    let r = post_with(
        &change,
        &cookie,
        &[
            ("csrf", &csrf),
            ("current", ADMIN_PASSWORD),
            ("new", new),
            ("confirm", new),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let fresh = set_cookie(r.headers(), "asr_session").expect("a new session for the changer");
    let (status, page) = get_with(
        &server.url("/settings?lang=en&saved=password"),
        &format!("asr_session={fresh}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Password changed."));
    // Both old sessions are over; the old password no longer logs in.
    for old in [&cookie, &other] {
        let (status, _) = get_with(&url, old).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "old session ended");
    }
    let (status, session) = login(&server.url(""), ADMIN_PASSWORD).await;
    assert!(session.is_none(), "old password refused ({status})");
    let (_, session) = login(&server.url(""), new).await;
    assert!(session.is_some(), "new password works");
}

#[tokio::test]
async fn a_password_from_the_config_file_is_not_changed_on_the_page() {
    let auth = Auth::new(Some(admin_hash()), None).password_in_file(true);
    let server = start_with(recording(), Arc::new(auth)).await;
    let url = server.url("/settings?lang=en");
    let cookie = cookie_for(&url).expect("session");
    let (_, page) = get_with(&url, &cookie).await;
    assert!(page.contains("[http] admin_password_hash"));
    assert!(!page.contains("name=\"current\""));
    let csrf = csrf_field(&page).expect("token");
    let r = post_with(
        &server.url("/settings/password?lang=en"),
        &cookie,
        &[
            ("csrf", csrf.as_str()),
            ("current", ADMIN_PASSWORD),
            ("new", "another long password"),
            ("confirm", "another long password"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}
