//! Access control of the status page over real TCP: who gets in, who is
//! sent to the login page, and what wrong passwords, stale forms, expired
//! sessions and a first start without a password get.

#[path = "web_fixture.rs"]
mod fixture;

use std::sync::Arc;
use std::time::Duration;

use asr_gateway::web::Auth;
use fixture::{
    ADMIN_PASSWORD, FixedSource, admin_hash, csrf_field, login, sample_view, set_cookie, start_with,
};
use reqwest::StatusCode;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http client")
}

fn source() -> Arc<FixedSource> {
    Arc::new(FixedSource(sample_view()))
}

fn protected() -> Arc<Auth> {
    Arc::new(Auth::new(Some(admin_hash()), None))
}

#[tokio::test]
async fn without_a_session_pages_go_to_login_and_the_api_says_401() {
    let server = start_with(source(), protected()).await;
    let c = no_redirects();
    let page = c.get(server.url("/?lang=fr")).send().await.expect("GET /");
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/login?next=/%3Flang%3Dfr");
    let api = c
        .get(server.url("/api/status"))
        .send()
        .await
        .expect("GET api");
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = api.json().await.expect("json");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("login")));
    let forged = c
        .get(server.url("/api/status"))
        .header("Cookie", "asr_session=00000000000000000000000000000000")
        .send()
        .await
        .expect("GET api");
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let health = c.get(server.url("/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), StatusCode::OK, "monitoring needs no login");
}

#[tokio::test]
async fn the_right_password_opens_a_strict_http_only_session_and_logout_ends_it() {
    let server = start_with(source(), protected()).await;
    let base = format!("http://{}", server.addr);
    let c = no_redirects();
    // Logging in by hand to see the cookie's attributes.
    let form = c
        .get(format!("{base}/login?next=/api/status"))
        .send()
        .await
        .expect("form");
    assert_eq!(form.status(), StatusCode::OK);
    let form_cookie = set_cookie(form.headers(), "asr_form").expect("form cookie");
    let html = form.text().await.expect("html");
    assert!(html.contains("name=\"password\"") && html.contains("value=\"/api/status\""));
    let csrf = csrf_field(&html).expect("csrf");
    let answer = c
        .post(format!("{base}/login"))
        .header("Cookie", format!("asr_form={form_cookie}"))
        .form(&[
            ("password", ADMIN_PASSWORD),
            ("csrf", &csrf),
            ("next", "/api/status"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()["location"], "/api/status");
    let raw = answer.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        raw.contains("HttpOnly") && raw.contains("SameSite=Strict"),
        "{raw}"
    );
    let session = set_cookie(answer.headers(), "asr_session").expect("session");
    let cookie = format!("asr_session={session}");
    let api = c
        .get(format!("{base}/api/status"))
        .header("Cookie", &cookie)
        .send()
        .await
        .expect("api");
    assert_eq!(api.status(), StatusCode::OK);
    // The page carries the logout form with the session's token.
    let page = c
        .get(format!("{base}/"))
        .header("Cookie", &cookie)
        .send()
        .await
        .expect("page");
    let page = page.text().await.expect("html");
    let token = csrf_field(&page).expect("logout form token");
    // Logout without the token is refused; with it the session ends.
    let refused = c
        .post(format!("{base}/logout"))
        .header("Cookie", &cookie)
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .expect("logout");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let out = c
        .post(format!("{base}/logout"))
        .header("Cookie", &cookie)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = c
        .get(format!("{base}/api/status"))
        .header("Cookie", &cookie)
        .send()
        .await
        .expect("api");
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_passwords_stale_forms_and_a_lockout() {
    let server = start_with(source(), protected()).await;
    let base = format!("http://{}", server.addr);
    let c = no_redirects();
    // A form token sent without its cookie is refused, and spent; a fresh
    // one serves once.
    let form = c.get(format!("{base}/login")).send().await.expect("form");
    let form_cookie = set_cookie(form.headers(), "asr_form").expect("cookie");
    let csrf = csrf_field(&form.text().await.expect("html")).expect("csrf");
    let post = |cookie: Option<String>, csrf: String| {
        let mut request = c.post(format!("{base}/login"));
        if let Some(cookie) = cookie {
            request = request.header("Cookie", format!("asr_form={cookie}"));
        }
        request
            .form(&[("password", ADMIN_PASSWORD), ("csrf", csrf.as_str())])
            .send()
    };
    let status = |r: reqwest::Result<reqwest::Response>| r.expect("post").status();
    assert_eq!(
        status(post(None, csrf.clone()).await),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(post(Some(form_cookie.clone()), csrf).await),
        StatusCode::FORBIDDEN,
        "spent by the attempt without its cookie"
    );
    let form = c
        .get(format!("{base}/login"))
        .header("Cookie", format!("asr_form={form_cookie}"))
        .send()
        .await
        .expect("form");
    let form_cookie = set_cookie(form.headers(), "asr_form").expect("cookie");
    let csrf = csrf_field(&form.text().await.expect("html")).expect("csrf");
    assert_eq!(
        status(post(Some(form_cookie.clone()), csrf.clone()).await),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        status(post(Some(form_cookie), csrf).await),
        StatusCode::FORBIDDEN,
        "a form token serves once"
    );
    // Wrong passwords: 401 four times, then the address is locked out (429),
    // even for the right password.
    for _ in 0..4 {
        let (status, session) = login(&base, "not the password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(session.is_none());
    }
    let (status, _) = login(&base, "still not it").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, session) = login(&base, ADMIN_PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(session.is_none());
}

#[tokio::test]
async fn an_idle_session_expires() {
    let auth = Arc::new(Auth::with_lifetimes(
        Some(admin_hash()),
        None,
        Duration::from_secs(1),
        Duration::from_secs(60),
    ));
    let server = start_with(source(), auth).await;
    let base = format!("http://{}", server.addr);
    let (_, session) = login(&base, ADMIN_PASSWORD).await;
    let cookie = format!("asr_session={}", session.expect("session"));
    let c = no_redirects();
    let ok = c
        .get(format!("{base}/api/status"))
        .header("Cookie", &cookie)
        .send()
        .await
        .expect("api");
    assert_eq!(ok.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let expired = c
        .get(format!("{base}/"))
        .header("Cookie", &cookie)
        .send()
        .await
        .expect("page");
    assert_eq!(expired.status(), StatusCode::SEE_OTHER);
    assert!(
        expired.headers()["location"]
            .to_str()
            .expect("ascii")
            .starts_with("/login")
    );
}

#[tokio::test]
async fn the_first_start_sets_the_password_once_then_asks_for_it() {
    let stored = Arc::new(std::sync::Mutex::new(None::<String>));
    let keep = Arc::clone(&stored);
    let auth = Arc::new(Auth::new(
        None,
        Some(Arc::new(move |h: &str| {
            *keep.lock().expect("lock") = Some(h.to_owned());
            Ok(())
        })),
    ));
    let server = start_with(source(), auth).await;
    let base = format!("http://{}", server.addr);
    let c = no_redirects();
    let page = c.get(format!("{base}/")).send().await.expect("GET /");
    assert_eq!(page.headers()["location"], "/setup");
    let login_page = c
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("GET /login");
    assert_eq!(login_page.headers()["location"], "/setup");
    let setup = |password: &'static str, confirm: &'static str| {
        let c = c.clone();
        let base = base.clone();
        async move {
            let form = c.get(format!("{base}/setup")).send().await.expect("setup");
            assert_eq!(form.status(), StatusCode::OK, "loopback is the LAN");
            let fc = set_cookie(form.headers(), "asr_form").expect("cookie");
            let csrf = csrf_field(&form.text().await.expect("html")).expect("csrf");
            c.post(format!("{base}/setup"))
                .header("Cookie", format!("asr_form={fc}"))
                .form(&[
                    ("password", password),
                    ("confirm", confirm),
                    ("csrf", csrf.as_str()),
                ])
                .send()
                .await
                .expect("post setup")
        }
    };
    assert_eq!(
        setup("short", "short").await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        setup("long enough password", "another long password")
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    let done = setup("long enough password", "long enough password").await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert!(
        set_cookie(done.headers(), "asr_session").is_some(),
        "logged in at once"
    );
    let hash = stored
        .lock()
        .expect("lock")
        .clone()
        .expect("stored before use");
    assert!(hash.starts_with("$argon2id$"));
    // Setup is closed now; the login page asks for the new password.
    let again = c.get(format!("{base}/setup")).send().await.expect("setup");
    assert_eq!(again.headers()["location"], "/login");
    let (status, session) = login(&base, "long enough password").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(session.is_some());
}
