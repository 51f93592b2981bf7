//! A small driver for Debian's Chromium over the DevTools protocol, for the
//! browser tests (included with `#[path]`): launch headless, go to a URL,
//! type into a form and submit it like a person, read the DOM, let virtual
//! time run, take screenshots. Nothing is installed here: the project's test
//! script installs the `chromium` package.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

const CHROMIUM: &str = "/usr/bin/chromium";

/// How long one protocol call or page load may take before the test fails.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// A headless Chromium with one page, driven over its DevTools socket.
pub struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Events read while waiting for an answer, oldest first.
    events: Vec<Value>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromium() -> &'static Path {
    let path = Path::new(CHROMIUM);
    assert!(
        path.exists(),
        "{CHROMIUM} is missing: run the project's test script, which installs the \
         `chromium` Debian package (or run `apt-get install -y chromium` as root)"
    );
    path
}

impl Browser {
    /// Starts Chromium with a fresh profile and a `width`×`height` window.
    pub async fn launch(width: u32, height: u32) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let child = Command::new(chromium())
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
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(format!("--window-size={width},{height}"))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        let port = devtools_port(profile.path()).await;
        let pages: Value = reqwest::get(format!("http://127.0.0.1:{port}/json/list"))
            .await
            .expect("DevTools page list")
            .json()
            .await
            .expect("page list JSON");
        let url = pages
            .as_array()
            .and_then(|p| p.iter().find(|t| t["type"] == "page"))
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("a page target")
            .to_owned();
        let (ws, _) = connect_async(url.as_str()).await.expect("DevTools socket");
        let mut browser = Browser {
            child,
            _profile: profile,
            ws,
            next_id: 0,
            events: Vec::new(),
        };
        browser.call("Page.enable", json!({})).await;
        browser
    }

    /// Sends a protocol command and returns its result; a protocol error fails the test.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let request = json!({ "id": id, "method": method, "params": params });
        self.ws
            .send(Message::text(request.to_string()))
            .await
            .expect("send to Chromium");
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let message = self.next_message(deadline).await;
            if message["id"] == id {
                assert!(
                    message.get("error").is_none(),
                    "{method} failed: {}",
                    message["error"]
                );
                return message["result"].clone();
            }
            if message.get("method").is_some() {
                self.events.push(message);
            }
        }
    }

    async fn next_message(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = tokio::time::timeout(left, self.ws.next())
            .await
            .expect("Chromium answered in time")
            .expect("DevTools socket open")
            .expect("DevTools frame");
        match frame {
            Message::Text(text) => serde_json::from_str(&text).expect("DevTools JSON"),
            _ => Value::Null,
        }
    }

    /// Waits for the event `method` (one seen earlier counts).
    pub async fn wait_event(&mut self, method: &str) -> Value {
        if let Some(pos) = self.events.iter().position(|e| e["method"] == method) {
            return self.events.remove(pos);
        }
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let message = self.next_message(deadline).await;
            if message["method"] == method {
                return message;
            }
        }
    }

    /// Evaluates `expression` in the page (promises awaited) and returns its value.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await;
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression} threw: {}",
            result["exceptionDetails"]
        );
        result["result"]["value"].clone()
    }

    /// Loads `url` and waits for its load event.
    pub async fn goto(&mut self, url: &str) {
        self.forget("Page.loadEventFired");
        self.call("Page.navigate", json!({ "url": url })).await;
        self.wait_event("Page.loadEventFired").await;
    }

    fn forget(&mut self, method: &str) {
        self.events.retain(|e| e["method"] != method);
    }

    /// The path the page is at now.
    pub async fn path(&mut self) -> String {
        self.eval("location.pathname + location.search")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Types `value` into the field `selector` (as a person would: the
    /// field's value, then an input event).
    pub async fn fill(&mut self, selector: &str, value: &str) {
        let script = format!(
            "(() => {{ const f = document.querySelector({sel}); f.focus(); f.value = {val}; \
             f.dispatchEvent(new Event('input', {{bubbles: true}})); return true; }})()",
            sel = json!(selector),
            val = json!(value),
        );
        assert_eq!(self.eval(&script).await, json!(true), "field {selector}");
    }

    /// Clicks `selector` and waits for the page it leads to.
    pub async fn click_and_wait(&mut self, selector: &str) {
        self.forget("Page.loadEventFired");
        let script = format!(
            "(() => {{ document.querySelector({}).click(); return true; }})()",
            json!(selector)
        );
        assert_eq!(self.eval(&script).await, json!(true), "click {selector}");
        self.wait_event("Page.loadEventFired").await;
    }

    /// The document as HTML.
    pub async fn dom(&mut self) -> String {
        self.eval("document.documentElement.outerHTML")
            .await
            .as_str()
            .expect("outerHTML is a string")
            .to_owned()
    }

    /// Lets `ms` of virtual time pass (timers fire, fetches complete)
    /// without waiting that long for real.
    pub async fn run_virtual_time(&mut self, ms: u64) {
        self.forget("Emulation.virtualTimeBudgetExpired");
        self.call(
            "Emulation.setVirtualTimePolicy",
            json!({ "policy": "pauseIfNetworkFetchesPending", "budget": ms }),
        )
        .await;
        self.wait_event("Emulation.virtualTimeBudgetExpired").await;
    }

    /// Saves a PNG of the viewport to `path`.
    pub async fn screenshot(&mut self, path: &PathBuf) {
        let shot = self
            .call("Page.captureScreenshot", json!({ "format": "png" }))
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("image data"))
            .expect("base64 image");
        std::fs::write(path, bytes).expect("write screenshot");
    }
}

/// The DevTools port Chromium chose, from the file it writes in its profile.
async fn devtools_port(profile: &Path) -> u16 {
    let file = profile.join("DevToolsActivePort");
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        if let Some(port) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|s| s.lines().next().and_then(|l| l.trim().parse().ok()))
        {
            return port;
        }
        assert!(
            Instant::now() < deadline,
            "Chromium opened its DevTools port in time"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
