//! The status page in a real browser (headless Chromium): the DOM it builds
//! lists every printer with French labels, the inline script runs under the
//! Content-Security-Policy, and screenshots are taken for a visual check.
//!
//! Chromium is installed by the project's test script (Debian package
//! `chromium`); this test does not install anything.

#[path = "web_fixture.rs"]
mod fixture;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fixture::{FixedSource, SequenceSource, sample_view, start};

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium() -> &'static Path {
    let path = Path::new(CHROMIUM);
    assert!(
        path.exists(),
        "{CHROMIUM} is missing: run the project's test script, which installs the \
         `chromium` Debian package (or run `apt-get install -y chromium` as root)"
    );
    path
}

/// Runs Chromium headless with `args` and returns its stdout, killing it
/// after 90 s so a stuck browser fails the test instead of hanging it.
fn run_chromium(profile: &Path, args: &[String]) -> String {
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        match child.try_wait().expect("poll chromium") {
            Some(_) => break,
            None if Instant::now() > deadline => {
                let _ = child.kill();
                panic!("chromium did not finish within 90 s");
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    let output = child.wait_with_output().expect("chromium output");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("DOM is UTF-8")
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
    chromium();
    let server = start(Arc::new(FixedSource(sample_view()))).await;
    let url = server.url("/?lang=fr");
    let profile = tempfile::tempdir().expect("profile dir");
    let profile_path = profile.path().to_owned();
    let dom = tokio::task::spawn_blocking(move || {
        run_chromium(&profile_path, &["--dump-dom".to_owned(), url])
    })
    .await
    .expect("chromium task");

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
    chromium();
    let server = start(Arc::new(FixedSource(sample_view()))).await;
    let dir = screenshot_dir();
    let shots = [
        ("status-fr-1280.png", "/?lang=fr", "1280,900"),
        ("status-en-1280.png", "/?lang=en", "1280,900"),
        ("status-en-390.png", "/?lang=en", "390,844"),
    ];
    for (name, path, size) in shots {
        let file = dir.join(name);
        let _ = std::fs::remove_file(&file);
        let profile = tempfile::tempdir().expect("profile dir");
        let profile_path = profile.path().to_owned();
        let args = vec![
            format!("--screenshot={}", file.display()),
            format!("--window-size={size}"),
            server.url(path),
        ];
        tokio::task::spawn_blocking(move || run_chromium(&profile_path, &args))
            .await
            .expect("chromium task");
        assert_png(&file);
    }
    drop(server);
}

/// Dumps the DOM after `budget_ms` of virtual time, so the 10 s refresh timer
/// fires without the test waiting 10 real seconds.
async fn dom_after(url: String, budget_ms: u32) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let profile_path = profile.path().to_owned();
    tokio::task::spawn_blocking(move || {
        run_chromium(
            &profile_path,
            &[
                format!("--virtual-time-budget={budget_ms}"),
                "--dump-dom".to_owned(),
                url,
            ],
        )
    })
    .await
    .expect("chromium task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_refreshes_itself() {
    chromium();
    let source = Arc::new(SequenceSource::new(None));
    let server = start(source.clone()).await;
    let dom = dom_after(server.url("/?lang=en"), 15_000).await;
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
    chromium();
    let source = Arc::new(SequenceSource::new(Some(1)));
    let server = start(source.clone()).await;
    let dom = dom_after(server.url("/?lang=fr"), 15_000).await;
    assert!(source.calls.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    // The last good data stays on screen, flagged as possibly stale.
    assert!(dom.contains("gw-call-1"));
    assert!(
        dom.contains("id=\"stale\" class=\"stale\" role=\"status\">La passerelle ne répond pas"),
        "the stale banner is shown"
    );
    drop(server);
}
