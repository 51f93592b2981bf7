//! The status page in a real browser (headless Chromium): the DOM it builds
//! lists every printer with French labels, the inline script runs under the
//! Content-Security-Policy, and screenshots are taken for a visual check.
//!
//! Chromium is installed by the project's test script (Debian package
//! `chromium`); this test does not install anything.

#[path = "web_fixture.rs"]
mod fixture;

#[path = "cdp.rs"]
mod cdp;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cdp::Browser;
use fixture::{
    ADMIN_PASSWORD, FixedSource, RecordingSource, Running, SequenceSource, sample_view, start,
};

/// A browser that logged in to `server` through its login page, as a person
/// would: opening `path` sends it to `/login`, the form brings it back there
/// (the page under test is the first one it loads with a session).
async fn logged_in(server: &Running, path: &str, width: u32, height: u32) -> Browser {
    let mut browser = Browser::launch(width, height).await;
    browser.goto(&server.url(path)).await;
    let at = browser.path().await;
    assert!(
        at.starts_with("/login?next="),
        "sent to the login page, not {at}"
    );
    browser.fill("#password", ADMIN_PASSWORD).await;
    browser.click_and_wait("form.auth button").await;
    assert_eq!(browser.path().await, path, "back where it was sent from");
    browser
}

/// Where screenshots go: the target's temporary directory, kept after the
/// run so a person can look at them.
fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-screenshots");
    std::fs::create_dir_all(&dir).expect("create screenshot dir");
    dir
}

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).expect("screenshot written");
    assert!(
        bytes.len() > 10_000,
        "{} is too small to be a real page ({} bytes)",
        path.display(),
        bytes.len()
    );
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is a PNG",
        path.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_renders_the_french_page() {
    let server = start(Arc::new(FixedSource(sample_view()))).await;
    let mut browser = logged_in(&server, "/?lang=fr", 1280, 900).await;
    let dom = browser.dom().await;

    assert!(
        dom.contains("<html lang=\"fr\""),
        "French document: {}",
        &dom[..dom.len().min(300)]
    );
    for printer in &sample_view().printers {
        assert!(
            dom.contains(&printer.serial),
            "DOM lists printer {}",
            printer.serial
        );
    }
    for order in &sample_view().orders {
        assert!(
            dom.contains(&order.order_id),
            "DOM lists order {}",
            order.order_id
        );
    }
    for label in [
        "Consommables des imprimantes",
        "Imprimantes",
        "Injoignable",
        "En attente d’envoi",
    ] {
        assert!(dom.contains(label), "DOM shows {label:?}");
    }
    // A printer's page shows every supply in words.
    browser
        .goto(&server.url("/printers/CNB1K2L3M4?lang=fr"))
        .await;
    let page = browser.dom().await;
    for label in [
        "Encore disponible",
        "Espace libre",
        "Jaune",
        "Historique des niveaux",
    ] {
        assert!(page.contains(label), "printer page shows {label:?}");
    }
    // A browser in Paris sees Paris times (the server writes UTC).
    browser
        .call(
            "Emulation.setTimezoneOverride",
            serde_json::json!({ "timezoneId": "Europe/Paris" }),
        )
        .await;
    browser.goto(&server.url("/?lang=fr")).await;
    let dom = browser.dom().await;
    // The hostile model is text, not an element, and did not run.
    assert!(dom.contains("&lt;script&gt;alert(\"pwned\")&lt;/script&gt;"));
    assert_eq!(
        dom.matches("<script").count(),
        2,
        "only our own script elements (refresh, local time)"
    );
    // Local times: the last message was sent at 09:28 UTC, 10:28 in Paris
    // in March; the footer names the zone.
    assert!(
        dom.contains("data-local-time=\"on\""),
        "local-time script ran"
    );
    let sent = browser
        .eval("document.querySelector('time[datetime=\"2026-03-12T09:28:00Z\"]').textContent")
        .await;
    let sent = sent.as_str().unwrap_or_default().to_owned();
    assert!(sent.contains("10:28") && !sent.contains("UTC"), "{sent:?}");
    assert!(dom.contains("<span id=\"tz-name\">Europe/Paris</span>"));
    // Our inline script ran (the CSP nonce works): it marks the document.
    assert!(
        dom.contains("data-refresh=\"on\""),
        "the refresh script ran"
    );
    // The "stale" banner stays hidden while the server answers.
    assert!(dom.contains("id=\"stale\" class=\"stale\" role=\"status\" hidden"));
    drop(server);
}

/// The pictures the README shows, made from this test's screenshots when
/// `ASR_README_SCREENSHOTS` names the directory to write them to (see
/// `scripts/screenshots.sh`): (screenshot, README file).
const README_SHOTS: [(&str, &str); 4] = [
    ("status-en-1280.png", "status-page.png"),
    ("printer-fr-1280.png", "printer-page-fr.png"),
    ("registration-en-1280.png", "registration-page.png"),
    ("settings-fr-1280.png", "settings-page-fr.png"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_screenshots_every_page_on_laptop_and_phone() {
    // The sample fleet with one printer found but not assigned yet, so the
    // registration page has something to show.
    let mut view = sample_view();
    view.printers[2].site = String::new();
    view.printers[2].contact = String::new();
    let source = Arc::new(RecordingSource {
        view,
        changes: std::sync::Mutex::new(Vec::new()),
    });
    let server = start(source).await;
    let dir = screenshot_dir();
    // The login page, as a first visit shows it.
    let mut browser = Browser::launch(1280, 900).await;
    browser.goto(&server.url("/login?lang=fr")).await;
    let file = dir.join("login-fr-1280.png");
    browser.screenshot(&file).await;
    assert_png(&file);
    drop(browser);
    let shots = [
        ("status-fr-1280.png", "/?lang=fr", (1280, 900)),
        ("status-en-1280.png", "/?lang=en", (1280, 900)),
        ("status-en-390.png", "/?lang=en", (390, 844)),
        (
            "printer-fr-1280.png",
            "/printers/CNB1K2L3M4?lang=fr",
            (1280, 900),
        ),
        (
            "printer-fr-390.png",
            "/printers/CNB1K2L3M4?lang=fr",
            (390, 844),
        ),
        (
            "registration-en-1280.png",
            "/registration?lang=en",
            (1280, 900),
        ),
        ("settings-fr-1280.png", "/settings?lang=fr", (1280, 900)),
        ("settings-en-390.png", "/settings?lang=en", (390, 844)),
        ("orders-en-1280.png", "/orders?lang=en", (1280, 900)),
        ("alerts-fr-1280.png", "/alerts?lang=fr", (1280, 900)),
    ];
    for (name, path, (width, height)) in shots {
        let file = dir.join(name);
        let _ = std::fs::remove_file(&file);
        let mut browser = logged_in(&server, path, width, height).await;
        // Fixed zone, so the pictures do not depend on the machine's.
        browser
            .call(
                "Emulation.setTimezoneOverride",
                serde_json::json!({ "timezoneId": "Europe/Paris" }),
            )
            .await;
        browser.goto(&server.url(path)).await;
        browser.screenshot(&file).await;
        assert_png(&file);
    }
    drop(server);
    if let Some(readme_dir) = std::env::var_os("ASR_README_SCREENSHOTS") {
        let readme_dir = PathBuf::from(readme_dir);
        for (shot, name) in README_SHOTS {
            std::fs::copy(dir.join(shot), readme_dir.join(name)).expect("copy a README picture");
        }
        eprintln!("README pictures written to {}", readme_dir.display());
    }
}

/// The DOM of `path` after `budget_ms` of virtual time, so the 10 s refresh
/// timer fires without the test waiting 10 real seconds.
async fn dom_after(server: &Running, path: &str, budget_ms: u64) -> String {
    let mut browser = logged_in(server, path, 1280, 900).await;
    browser.run_virtual_time(budget_ms).await;
    browser.dom().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_refreshes_itself() {
    let source = Arc::new(SequenceSource::new(None));
    let server = start(source.clone()).await;
    let dom = dom_after(&server, "/?lang=en", 15_000).await;
    let calls = source.calls.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        calls >= 2,
        "the script fetched the page again ({calls} calls)"
    );
    // The live parts show the latest snapshot, not the first one.
    assert!(
        !dom.contains("gw-call-1<"),
        "the first snapshot was replaced"
    );
    assert!(
        dom.contains(&format!("<strong>gw-call-{calls}</strong>")),
        "header shows the last snapshot"
    );
    assert!(
        dom.contains("<main id=\"main\""),
        "exactly one main element remains"
    );
    assert_eq!(dom.matches("<main").count(), 1);
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_says_when_the_gateway_stops_answering() {
    let source = Arc::new(SequenceSource::new(Some(1)));
    let server = start(source.clone()).await;
    let dom = dom_after(&server, "/?lang=fr", 15_000).await;
    assert!(source.calls.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    // The last good data stays on screen, flagged as possibly stale.
    assert!(dom.contains("gw-call-1"));
    assert!(
        dom.contains("id=\"stale\" class=\"stale\" role=\"status\">La passerelle ne répond pas"),
        "the stale banner is shown"
    );
    drop(server);
}

/// The site's IT person's journey, in a real browser: log in, find a
/// printer in the table, open its page and chart, fix its delivery details,
/// see them saved, switch to French. Screenshots of each page are kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_open_a_printer_fix_its_details_and_switch_to_french() {
    let source = fixture::recording();
    let server = start(source.clone()).await;
    let dir = screenshot_dir();
    let mut browser = logged_in(&server, "/?lang=en", 1280, 900).await;
    // Every printer is in the table; filter it down to one.
    let dom = browser.dom().await;
    for p in &sample_view().printers {
        assert!(dom.contains(&p.serial), "table lists {}", p.serial);
    }
    browser.screenshot(&dir.join("overview-en-1280.png")).await;
    browser.fill("#q", "cnb1k").await;
    browser.click_and_wait("form.filter button").await;
    let dom = browser.dom().await;
    assert!(dom.contains("1 shown of 3"), "filtered");
    // Open the printer's page from the table.
    browser
        .click_and_wait("a[href^=\"/printers/CNB1K2L3M4\"]")
        .await;
    assert_eq!(browser.path().await, "/printers/CNB1K2L3M4?lang=en");
    let charts = browser
        .eval("document.querySelectorAll('svg.chart:not(.counter) polyline').length")
        .await;
    assert_eq!(
        charts,
        serde_json::json!(1),
        "the black toner's history is drawn"
    );
    let width = browser
        .eval("document.querySelector('svg.chart:not(.counter)').getBoundingClientRect().width")
        .await;
    assert!(
        width.as_f64().is_some_and(|w| w > 300.0),
        "the chart is visible: {width}"
    );
    // Fix the delivery details.
    browser.fill("#site", "Paris — Siège").await;
    browser.fill("#contact", "Marie Curie").await;
    browser
        .fill("#postal_address", "3 place Vendôme\n75001 Paris")
        .await;
    browser.fill("#contact_email", "marie@example.fr").await;
    browser.click_and_wait("form.edit button").await;
    assert_eq!(browser.path().await, "/printers/CNB1K2L3M4?lang=en&saved=1");
    assert!(browser.dom().await.contains("Saved: the change is applied"));
    browser.screenshot(&dir.join("printer-en-1280.png")).await;
    let changes = source.changes.lock().expect("lock").clone();
    assert_eq!(changes.len(), 1);
    let asr_gateway::web::PageChange::SetPrinter { serial, changes } = &changes[0] else {
        panic!("a printer change: {changes:?}");
    };
    assert_eq!(serial, "CNB1K2L3M4");
    assert_eq!(changes.contact.as_deref(), Some("Marie Curie"));
    assert_eq!(
        changes.postal_address.as_deref(),
        Some("3 place Vendôme\n75001 Paris")
    );
    // Switch to French.
    browser.click_and_wait("nav.lang a[hreflang=\"fr\"]").await;
    let dom = browser.dom().await;
    assert!(dom.contains("<html lang=\"fr\""));
    assert!(dom.contains("Historique des niveaux"));
    browser.screenshot(&dir.join("printer-fr-1280.png")).await;
    for name in [
        "overview-en-1280.png",
        "printer-en-1280.png",
        "printer-fr-1280.png",
    ] {
        assert_png(&dir.join(name));
    }
}
