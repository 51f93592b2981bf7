//! The status page as the whole-system tests read it: behind the admin
//! password, so each gateway the tests start is logged in to once.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};

/// The admin password of every gateway the tests start.
pub const ADMIN_PASSWORD: &str = "system test password";

/// Its Argon2 hash, for `Settings::admin_password_hash` or `[http]
/// admin_password_hash` (made once: Argon2 is slow on purpose).
pub fn admin_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        asr_gateway::web::auth::hash_password(ADMIN_PASSWORD).expect("hash the test password")
    })
    .clone()
}

fn sessions() -> &'static Mutex<HashMap<SocketAddr, String>> {
    static S: OnceLock<Mutex<HashMap<SocketAddr, String>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

/// A cookie's value among a response's `Set-Cookie` headers.
fn set_cookie(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Logs in to the page at `http` through its login form; the session cookie.
pub async fn log_in(http: SocketAddr) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    let form = client
        .get(format!("http://{http}/login"))
        .send()
        .await
        .expect("GET /login");
    let form_cookie = set_cookie(form.headers(), "asr_form").expect("form cookie");
    let html = form.text().await.expect("login page");
    let csrf = csrf_of(&html).expect("csrf field");
    let csrf = csrf.as_str();
    let answer = client
        .post(format!("http://{http}/login"))
        .header("Cookie", format!("asr_form={form_cookie}"))
        .form(&[("password", ADMIN_PASSWORD), ("csrf", csrf)])
        .send()
        .await
        .expect("POST /login");
    let session = set_cookie(answer.headers(), "asr_session").expect("logged in");
    format!("asr_session={session}")
}

fn csrf_of(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    Some(html[start..start + html[start..].find('"')?].to_owned())
}

/// Opens the page at `page` and posts `fields` to `action` with the page's
/// CSRF token, as a person submitting one of its forms would; the answer,
/// redirects not followed.
pub async fn submit(
    http: SocketAddr,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = get(http, page).await.text().await.expect("form page");
    let csrf = csrf_of(&page).expect("the page has a form token");
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
        .post(format!("http://{http}{action}"))
        .header("Cookie", session(http).await)
        .form(&form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {action}: {e}"))
}

/// The session cookie for `http`, logging in the first time.
async fn session(http: SocketAddr) -> String {
    let known = sessions()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&http)
        .cloned();
    match known {
        Some(c) => c,
        None => {
            let c = log_in(http).await;
            sessions()
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(http, c.clone());
            c
        }
    }
}

/// `GET http://{http}{path}` with a session (logging in the first time).
pub async fn get(http: SocketAddr, path: &str) -> reqwest::Response {
    let cookie = session(http).await;
    reqwest::Client::new()
        .get(format!("http://{http}{path}"))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}
