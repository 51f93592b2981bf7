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
use fixture::{ADMIN_PASSWORD, FixedSource, Running, SequenceSource, sample_view, start};

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
        "Encore disponible",
        "Espace libre",
        "En attente d’envoi",
    ] {
        assert!(dom.contains(label), "DOM shows {label:?}");
    }
    // The hostile model is text, not an element, and did not run.
    assert!(dom.contains("&lt;script&gt;alert(\"pwned\")&lt;/script&gt;"));
    assert_eq!(
        dom.matches("<script").count(),
        1,
        "only our own script element"
    );
    // Our inline script ran (the CSP nonce works): it marks the document.
    assert!(
        dom.contains("data-refresh=\"on\""),
        "the refresh script ran"
    );
    // The "stale" banner stays hidden while the server answers.
    assert!(dom.contains("id=\"stale\" class=\"stale\" role=\"status\" hidden"));
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_screenshots_laptop_and_phone() {
    let server = start(Arc::new(FixedSource(sample_view()))).await;
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
    ];
    for (name, path, (width, height)) in shots {
        let file = dir.join(name);
        let _ = std::fs::remove_file(&file);
        let mut browser = logged_in(&server, path, width, height).await;
        browser.screenshot(&file).await;
        assert_png(&file);
    }
    drop(server);
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
