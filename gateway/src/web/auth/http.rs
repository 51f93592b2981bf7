//! The HTTP side of access control: the login, logout and setup pages and
//! the middleware that sends everyone without a session to them.
//!
//! | Route          | Answer |
//! |----------------|--------|
//! | `GET /login`   | the login form (fields `password`, `csrf`, optional `next`) |
//! | `POST /login`  | `303` to `next` with the session cookie; `401` wrong password; `403` stale form; `429` locked out |
//! | `POST /logout` | `303` to `/login` (field `csrf`) |
//! | `GET /setup`   | first start without a password: the form to choose one (LAN only) |
//! | `POST /setup`  | fields `password`, `confirm`, `csrf`; logs in on success |
//!
//! Without a session, HTML pages answer `303` to `/login` (or `/setup`), and
//! `/api/…` answers `401` with a JSON error.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::text::T;
use super::{Auth, LoginOutcome};
use crate::web::Lang;
use crate::web::html::{Esc, Html, h, percent_encode};
use crate::web::page;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "asr_session";
/// The cookie binding a login or setup form to its CSRF token.
pub const FORM_COOKIE: &str = "asr_form";

/// The logged-in session of a request, put there by [`require_login`].
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// The session id (the cookie's value).
    pub id: String,
    /// The token every form of this session must carry.
    pub csrf: String,
}

impl SessionInfo {
    /// Whether a submitted token is this session's.
    pub fn csrf_ok(&self, token: &str) -> bool {
        super::sessions::constant_time_eq(&self.csrf, token)
    }
}

/// Paths open without a session.
/// (`/favicon.ico` answers 404 to everyone: a browser asks for it with
/// every page, and sending it to the login page would be noise.)
/// The local-time script is public too: the login page loads it, and it
/// holds nothing but code.
fn public(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/login" | "/setup" | "/favicon.ico" | "/assets/local-time.js"
    )
}

/// A cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The `Set-Cookie` value of a new session (after a password change).
pub fn session_cookie(auth: &Auth, id: &str) -> HeaderValue {
    set_cookie(auth, SESSION_COOKIE, id, None)
}

fn set_cookie(auth: &Auth, name: &str, value: &str, max_age: Option<u64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if auth.secure_cookies {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// `303 See Other` to `location`, never cached.
pub(crate) fn see_other(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Sends requests without a live session to the login (or setup) page.
pub async fn require_login(
    State(auth): State<Arc<Auth>>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    if public(&path) || (path == "/metrics" && auth.public_metrics) {
        return next.run(req).await;
    }
    if let Some(id) = cookie(req.headers(), SESSION_COOKIE)
        && let Some(csrf) = auth.session(&id)
    {
        req.extensions_mut().insert(SessionInfo { id, csrf });
        return next.run(req).await;
    }
    if path.starts_with("/api/") || path == "/metrics" {
        let body = axum::Json(serde_json::json!({
            "error": "login required: POST /login with the admin password, then send the session cookie"
        }));
        let no_store = [(header::CACHE_CONTROL, "no-store")];
        return (StatusCode::UNAUTHORIZED, no_store, body).into_response();
    }
    if !auth.password_set() {
        return see_other("/setup");
    }
    let target = req
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    see_other(&format!("/login?next={}", percent_encode(&target, b"/")))
}

/// Where to go after logging in: a path on this server only (no `//host`,
/// no scheme), else the overview.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn lang_of(headers: &HeaderMap, query_lang: Option<&str>) -> Lang {
    query_lang.and_then(Lang::from_param).unwrap_or_else(|| {
        Lang::negotiate(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    })
}

/// Loopback, private, link-local and unique-local addresses: the site's own network.
pub fn is_lan(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_lan(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

/// The client's address, when the server was started with connect info
/// (else 0.0.0.0: counted for rate limiting, never on the LAN).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip()),
        ))
    }
}

/// An HTML answer of the auth pages, with the page's security headers.
fn page_response(
    status: StatusCode,
    lang: Lang,
    body: String,
    cookie: Option<HeaderValue>,
) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; img-src 'self' data:; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    if let Some(c) = cookie {
        h.insert(header::SET_COOKIE, c);
    }
    r
}

/// Query of `GET /login`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

/// Body of `POST /login`.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

fn login_page(
    auth: &Auth,
    headers: &HeaderMap,
    lang: Lang,
    next: &str,
    error: Option<T>,
    status: StatusCode,
) -> Response {
    let (cookie_value, token) = auth.form_token(cookie(headers, FORM_COOKIE).as_deref());
    let mut body = Html::new();
    h!(body, "<h2>{}</h2>", Esc(T::LoginTitle.tr(lang)));
    if let Some(e) = error {
        h!(
            body,
            "<p class=\"err\" role=\"alert\">{}</p>",
            Esc(e.tr(lang))
        );
    }
    h!(
        body,
        "<form method=\"post\" action=\"/login\" class=\"auth\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <input type=\"hidden\" name=\"next\" value=\"{}\">\
         <label for=\"password\">{}</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required autofocus>\
         <button type=\"submit\">{}</button></form>",
        Esc(&token),
        Esc(next),
        Esc(T::Password.tr(lang)),
        Esc(T::LogIn.tr(lang)),
    );
    let html = page::framed_page(lang, T::LoginTitle.tr(lang), &body.finish());
    let cookie = set_cookie(auth, FORM_COOKIE, &cookie_value, Some(1800));
    page_response(status, lang, html, Some(cookie))
}

/// `GET /login`.
pub async fn login_form(
    State(auth): State<Arc<Auth>>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    if !auth.password_set() {
        return see_other("/setup");
    }
    let lang = lang_of(&headers, q.lang.as_deref());
    let next = safe_next(q.next.as_deref());
    login_page(&auth, &headers, lang, &next, None, StatusCode::OK)
}

/// `POST /login`.
pub async fn login_submit(
    State(auth): State<Arc<Auth>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = lang_of(&headers, None);
    let next = safe_next(form.next.as_deref());
    let form_cookie = cookie(&headers, FORM_COOKIE).unwrap_or_default();
    if !auth.redeem_form(&form_cookie, &form.csrf) {
        return login_page(
            &auth,
            &headers,
            lang,
            &next,
            Some(T::Expired),
            StatusCode::FORBIDDEN,
        );
    }
    let checker = Arc::clone(&auth);
    let outcome = tokio::task::spawn_blocking(move || checker.login(ip, &form.password))
        .await
        .unwrap_or(LoginOutcome::Wrong);
    match outcome {
        LoginOutcome::Session(id) => {
            tracing::info!(%ip, "status page login");
            let mut r = see_other(&next);
            r.headers_mut().insert(
                header::SET_COOKIE,
                set_cookie(&auth, SESSION_COOKIE, &id, None),
            );
            r
        }
        LoginOutcome::Wrong => {
            tracing::warn!(%ip, "status page login: wrong password");
            login_page(
                &auth,
                &headers,
                lang,
                &next,
                Some(T::Wrong),
                StatusCode::UNAUTHORIZED,
            )
        }
        LoginOutcome::Locked(wait) => {
            tracing::warn!(%ip, "status page login: address locked out");
            let mut r = login_page(
                &auth,
                &headers,
                lang,
                &next,
                Some(T::Locked),
                StatusCode::TOO_MANY_REQUESTS,
            );
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(wait.as_secs().max(1)),
            );
            r
        }
        LoginOutcome::NoPassword => see_other("/setup"),
    }
}

/// A form whose only field is its CSRF token (logout, acknowledge).
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

impl CsrfForm {
    /// The submitted token.
    pub fn token(&self) -> &str {
        &self.csrf
    }
}

/// `POST /logout`.
pub async fn logout(
    State(auth): State<Arc<Auth>>,
    session: Option<axum::Extension<SessionInfo>>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let Some(axum::Extension(session)) = session else {
        return see_other("/login");
    };
    if !session.csrf_ok(&form.csrf) {
        return (StatusCode::FORBIDDEN, "stale or missing CSRF token").into_response();
    }
    auth.logout(&session.id);
    let mut r = see_other("/login");
    r.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(&auth, SESSION_COOKIE, "", Some(0)),
    );
    r
}

/// Query of `GET /setup`.
#[derive(Debug, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// Body of `POST /setup`.
#[derive(Debug, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    csrf: String,
}

fn setup_page(
    auth: &Auth,
    headers: &HeaderMap,
    lang: Lang,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let (cookie_value, token) = auth.form_token(cookie(headers, FORM_COOKIE).as_deref());
    let mut body = Html::new();
    h!(
        body,
        "<h2>{}</h2><p>{}</p>",
        Esc(T::SetupTitle.tr(lang)),
        Esc(T::SetupIntro.tr(lang))
    );
    if let Some(e) = error {
        h!(body, "<p class=\"err\" role=\"alert\">{}</p>", Esc(e));
    }
    h!(
        body,
        "<form method=\"post\" action=\"/setup\" class=\"auth\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <label for=\"password\">{}</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" minlength=\"10\" required autofocus>\
         <label for=\"confirm\">{}</label>\
         <input id=\"confirm\" name=\"confirm\" type=\"password\" autocomplete=\"new-password\" minlength=\"10\" required>\
         <button type=\"submit\">{}</button></form>",
        Esc(&token),
        Esc(T::NewPassword.tr(lang)),
        Esc(T::Confirm.tr(lang)),
        Esc(T::Save.tr(lang)),
    );
    let html = page::framed_page(lang, T::SetupTitle.tr(lang), &body.finish());
    let cookie = set_cookie(auth, FORM_COOKIE, &cookie_value, Some(1800));
    page_response(status, lang, html, Some(cookie))
}

fn refuse(lang: Lang, status: StatusCode, text: T) -> Response {
    let mut body = Html::new();
    h!(
        body,
        "<h2>{}</h2><p class=\"err\">{}</p>",
        Esc(T::SetupTitle.tr(lang)),
        Esc(text.tr(lang))
    );
    page_response(
        status,
        lang,
        page::framed_page(lang, T::SetupTitle.tr(lang), &body.finish()),
        None,
    )
}

/// `GET /setup`.
pub async fn setup_form(
    State(auth): State<Arc<Auth>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&headers, q.lang.as_deref());
    if auth.password_set() {
        return see_other("/login");
    }
    if !is_lan(ip) {
        return refuse(lang, StatusCode::FORBIDDEN, T::SetupLanOnly);
    }
    setup_page(&auth, &headers, lang, None, StatusCode::OK)
}

/// `POST /setup`.
pub async fn setup_submit(
    State(auth): State<Arc<Auth>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> Response {
    let lang = lang_of(&headers, None);
    if auth.password_set() {
        return refuse(lang, StatusCode::CONFLICT, T::SetupDone);
    }
    if !is_lan(ip) {
        return refuse(lang, StatusCode::FORBIDDEN, T::SetupLanOnly);
    }
    let form_cookie = cookie(&headers, FORM_COOKIE).unwrap_or_default();
    if !auth.redeem_form(&form_cookie, &form.csrf) {
        return setup_page(
            &auth,
            &headers,
            lang,
            Some(T::Expired.tr(lang)),
            StatusCode::FORBIDDEN,
        );
    }
    if form.password != form.confirm {
        return setup_page(
            &auth,
            &headers,
            lang,
            Some(T::Mismatch.tr(lang)),
            StatusCode::BAD_REQUEST,
        );
    }
    let setter = Arc::clone(&auth);
    let password = form.password.clone();
    let set = tokio::task::spawn_blocking(move || setter.set_password(&password))
        .await
        .unwrap_or_else(|_| Err("the password could not be stored".to_owned()));
    if let Err(reason) = set {
        return setup_page(
            &auth,
            &headers,
            lang,
            Some(&reason),
            StatusCode::BAD_REQUEST,
        );
    }
    tracing::info!(%ip, "admin password set on the setup page");
    let checker = Arc::clone(&auth);
    let outcome = tokio::task::spawn_blocking(move || checker.login(ip, &form.password))
        .await
        .unwrap_or(LoginOutcome::Wrong);
    match outcome {
        LoginOutcome::Session(id) => {
            let mut r = see_other("/");
            r.headers_mut().insert(
                header::SET_COOKIE,
                set_cookie(&auth, SESSION_COOKIE, &id, None),
            );
            r
        }
        _ => see_other("/login"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_server() {
        assert_eq!(safe_next(Some("/printers?x=1")), "/printers?x=1");
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil",
            "evil",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn lan_addresses() {
        for lan in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.9",
            "172.20.0.1",
            "169.254.1.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:192.168.1.2",
        ] {
            assert!(is_lan(lan.parse().unwrap()), "{lan}");
        }
        for wan in ["8.8.8.8", "2001:db8::1", "0.0.0.0", "::ffff:8.8.8.8"] {
            assert!(!is_lan(wan.parse().unwrap()), "{wan}");
        }
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; asr_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
    }
}
