//! The HTTP routes of the status page and their error answers.
//!
//! | Route            | Answer                                             |
//! |------------------|----------------------------------------------------|
//! | `GET /`          | the HTML status page                               |
//! | `GET /api/status`| the [`StatusView`] as JSON (kept for old scripts: `/api/v1/status`) |
//! | `/api/v1/…`      | the JSON API, described at `/api/v1/openapi.json` (see `api`) |
//! | `GET /healthz`   | `200 ok`, or `503 storage full: …` when the database cannot be written; version in `X-Gateway-Version` |
//! | `GET /metrics`   | Prometheus text format (behind the login unless `[http] metrics_public`) |
//! | `GET /printers/{serial}`, `POST` same | a printer's page; its delivery-details form |
//! | `POST /printers/{serial}/order` | "order one now" for a supply |
//! | `GET /registration`, `POST /printers/{serial}/forget` | printers to assign; forgetting one |
//! | `GET /settings`, `POST /settings/{polling,snmp,password}` | the settings page |
//! | `/login`, `/logout`, `/setup` | access control: see `auth::http` |
//! | other paths      | `404` with a small HTML page                       |
//! | other methods    | `405` with an `Allow` header                       |
//!
//! Query parameters of `/`: `lang=en|fr` (case-insensitive, a region such as
//! `fr-CA` is accepted). Any other `lang` value, a repeated `lang` or an
//! undecodable query string is a `400` with a message naming the valid values:
//! a wrong link should be visible, not silently shown in another language.
//! Unknown parameters are ignored (cache busters, tracking tags).
//! When the status source fails, is too slow or panics, `/` and `/api/status`
//! answer `503` with the reason and `Retry-After`, and the server keeps running.

use std::sync::Arc;
use std::time::Duration;

use asr_cloud_sync::PrinterChanges;
use axum::Form;
use axum::Router;
use axum::extract::Path;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::auth::http::see_other;
use super::auth::{Auth, http};

use super::alerts_page;
use super::i18n::{self, Lang, Msg};
use super::metrics;
use super::overview_table::TableQuery;
use super::page;
use super::printer_page::{self, FormValues, Notice};
use super::source::PageChange;
use super::source::StatusSource;
use super::view::StatusView;

/// How long a snapshot may take before the request gets a 503.
pub const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct AppState {
    source: Arc<dyn StatusSource>,
}

/// The status page application, ready to be served (or tested in-process):
/// every route but `/healthz`, `/login` and `/setup` behind [`Auth`].
pub fn router(source: Arc<dyn StatusSource>, auth: Arc<Auth>) -> Router {
    let login = Router::new()
        .route("/login", get(http::login_form).post(http::login_submit))
        .route("/logout", post(http::logout))
        .route("/setup", get(http::setup_form).post(http::setup_submit))
        .with_state(Arc::clone(&auth));
    Router::new()
        .route("/", get(status_page))
        .route("/api/status", get(api_status))
        .route("/healthz", get(healthz))
        .route(page::LOCAL_TIME_PATH, get(local_time_js))
        .route("/metrics", get(metrics_text))
        .route(
            "/printers/{serial}",
            get(printer_detail).post(printer_update),
        )
        .route("/printers/{serial}/order", post(printer_order))
        .route("/orders", get(orders_list))
        .route("/alerts", get(alerts_list))
        .route("/alerts/{id}/ack", post(alert_ack))
        .with_state(AppState {
            source: Arc::clone(&source),
        })
        .nest("/api/v1", super::api::routes(Arc::clone(&source)))
        .merge(super::admin_routes::routes(source, Arc::clone(&auth)))
        .merge(login)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            auth,
            http::require_login,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            super::limits::MAX_BODY_BYTES,
        ))
        .layer(axum::middleware::from_fn(
            super::limits::refuse_large_bodies,
        ))
}

/// Runs `f` against the source on a blocking thread, so a source reading
/// SQLite does not stall the async runtime, and turns slowness and panics
/// into errors.
async fn with_source<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn StatusSource) -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    on_source(Arc::clone(&state.source), f).await
}

/// [`with_source`] for routers with a state of their own.
pub(super) async fn on_source<T: Send + 'static>(
    source: Arc<dyn StatusSource>,
    f: impl FnOnce(&dyn StatusSource) -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    let task = tokio::task::spawn_blocking(move || f(source.as_ref()));
    match tokio::time::timeout(SNAPSHOT_TIMEOUT, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) if join.is_panic() => Err("the status source crashed".to_owned()),
        Ok(Err(_)) => Err("the status source was cancelled".to_owned()),
        Err(_) => Err(format!(
            "the status source did not answer within {} s",
            SNAPSHOT_TIMEOUT.as_secs()
        )),
    }
}

async fn snapshot(state: &AppState) -> Result<StatusView, String> {
    with_source(state, |source| source.snapshot()).await
}

fn negotiated(headers: &HeaderMap) -> Lang {
    Lang::negotiate(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// The page language: `?lang=` if valid, else negotiated. `Err` carries the
/// 400 message, in the negotiated language.
pub(super) fn choose_lang(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: &HeaderMap,
) -> Result<Lang, (Lang, String)> {
    let fallback = negotiated(headers);
    let Query(pairs) =
        query.map_err(|e| (fallback, i18n::bad_query_message(fallback, &e.body_text())))?;
    let mut langs = pairs.iter().filter(|(k, _)| k == "lang").map(|(_, v)| v);
    let Some(value) = langs.next() else {
        return Ok(fallback);
    };
    if langs.next().is_some() {
        return Err((fallback, i18n::repeated_lang_message(fallback).to_owned()));
    }
    Lang::from_param(value).ok_or_else(|| (fallback, i18n::bad_lang_message(fallback, value)))
}

/// Headers every HTML answer carries: no caching (the data is live), no
/// sniffing, no framing, nothing loaded from elsewhere.
pub(super) fn html_response(
    status: StatusCode,
    lang: Lang,
    body: String,
    script_nonce: Option<&str>,
) -> Response {
    // Same-origin scripts only (the local-time one), plus the overview's
    // inline refresh script by its nonce: never arbitrary inline code.
    let script =
        script_nonce.map_or_else(|| "'self'".to_owned(), |n| format!("'self' 'nonce-{n}'"));
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src {script}; connect-src 'self'; \
         img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

fn retry_after(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(page::REFRESH_SECONDS),
    );
    response
}

async fn status_page(
    State(state): State<AppState>,
    session: Option<axum::Extension<http::SessionInfo>>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let table = query
        .as_ref()
        .map(|q| TableQuery::from_pairs(&q.0))
        .unwrap_or_default();
    let lang = match choose_lang(query, &headers) {
        Ok(lang) => lang,
        Err((lang, message)) => {
            let body = page::message_page(lang, Msg::BadRequestTitle, &message, None, false);
            return html_response(StatusCode::BAD_REQUEST, lang, body, None);
        }
    };
    match snapshot(&state).await {
        Ok(view) => {
            let nonce = format!("{:032x}", rand::random::<u128>());
            let csrf = session.as_ref().map(|s| s.0.csrf.as_str());
            let body = page::status_page(&view, lang, &nonce, csrf, &table);
            html_response(StatusCode::OK, lang, body, Some(&nonce))
        }
        Err(reason) => {
            tracing::warn!(%reason, "status page unavailable");
            let body = page::message_page(
                lang,
                Msg::UnavailableTitle,
                lang.tr(Msg::UnavailableBody),
                Some(&reason),
                true,
            );
            retry_after(html_response(
                StatusCode::SERVICE_UNAVAILABLE,
                lang,
                body,
                None,
            ))
        }
    }
}

async fn api_status(State(state): State<AppState>) -> Response {
    let no_store = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    match snapshot(&state).await {
        Ok(view) => (no_store, axum::Json(view)).into_response(),
        Err(reason) => {
            tracing::warn!(%reason, "status API unavailable");
            let body = axum::Json(serde_json::json!({ "error": reason }));
            retry_after((StatusCode::SERVICE_UNAVAILABLE, no_store, body).into_response())
        }
    }
}

pub(super) fn unavailable(lang: Lang, reason: &str) -> Response {
    tracing::warn!(%reason, "status page unavailable");
    let body = page::message_page(
        lang,
        Msg::UnavailableTitle,
        lang.tr(Msg::UnavailableBody),
        Some(reason),
        true,
    );
    retry_after(html_response(
        StatusCode::SERVICE_UNAVAILABLE,
        lang,
        body,
        None,
    ))
}

pub(super) fn bad_request(lang: Lang, message: &str) -> Response {
    let body = page::message_page(lang, Msg::BadRequestTitle, message, None, false);
    html_response(StatusCode::BAD_REQUEST, lang, body, None)
}

/// Renders one printer's page, `None` (404) when no printer has that serial.
async fn render_printer(
    state: &AppState,
    serial: String,
    lang: Lang,
    csrf: Option<&str>,
    notice: Option<Notice>,
    values: Option<FormValues>,
    status: StatusCode,
) -> Response {
    let read = with_source(state, move |source| {
        let Some(detail) = source.printer(&serial)? else {
            return Ok(None);
        };
        // The lives only explain the forecasts: the page goes without them
        // rather than fail.
        let lives = source.supply_lives(&serial).unwrap_or_else(|reason| {
            tracing::warn!(%reason, "cartridge lives unavailable");
            Vec::new()
        });
        Ok(Some((detail, lives)))
    });
    match read.await {
        Ok(Some((detail, lives))) => {
            let values = values.unwrap_or_else(|| FormValues::of(&detail.printer));
            let body = printer_page::printer_page_with_lives(
                &detail,
                &lives,
                detail.generated_at,
                lang,
                csrf,
                notice.as_ref(),
                &values,
            );
            html_response(status, lang, body, None)
        }
        Ok(None) => {
            let body = page::message_page(
                lang,
                Msg::NotFoundTitle,
                lang.tr(Msg::PrinterNotFound),
                None,
                false,
            );
            html_response(StatusCode::NOT_FOUND, lang, body, None)
        }
        Err(reason) => unavailable(lang, &reason),
    }
}

/// `GET /printers/{serial}` (`?saved=1` after a change went through).
async fn printer_detail(
    State(state): State<AppState>,
    Path(serial): Path<String>,
    session: Option<axum::Extension<http::SessionInfo>>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let flag = |name: &str| {
        query
            .as_ref()
            .is_ok_and(|q| q.0.iter().any(|(k, v)| k == name && v == "1"))
    };
    let notice = if flag("saved") {
        Some(Notice::Saved)
    } else if flag("ordered") {
        Some(Notice::Ordered)
    } else {
        None
    };
    let lang = match choose_lang(query, &headers) {
        Ok(lang) => lang,
        Err((lang, message)) => return bad_request(lang, &message),
    };
    let csrf = session.as_ref().map(|s| s.0.csrf.as_str());
    render_printer(&state, serial, lang, csrf, notice, None, StatusCode::OK).await
}

/// The fields of the printer form.
#[derive(Debug, Deserialize)]
struct PrinterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    postal_address: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    contact_phone: String,
    /// Present (`on`) when the box is ticked.
    excluded: Option<String>,
    /// `auto`, `snmp` or `ipp`; absent on forms without the choice.
    #[serde(default)]
    protocol: Option<String>,
    /// `registration` when the form was on the registration page.
    #[serde(default)]
    return_to: String,
}

impl PrinterForm {
    fn values(&self) -> FormValues {
        FormValues {
            site: self.site.trim().to_owned(),
            contact: self.contact.trim().to_owned(),
            // Browsers send a textarea's line breaks as CRLF.
            postal_address: self.postal_address.replace("\r\n", "\n").trim().to_owned(),
            contact_email: self.contact_email.trim().to_owned(),
            contact_phone: self.contact_phone.trim().to_owned(),
            excluded: self.excluded.is_some(),
            protocol: self.protocol.clone().unwrap_or_else(|| "auto".into()),
        }
    }
}

/// `POST /printers/{serial}`: saves the delivery details, then back to the
/// page (303); a refused change shows the page again with the reason and
/// what was typed (400).
async fn printer_update(
    State(state): State<AppState>,
    Path(serial): Path<String>,
    session: Option<axum::Extension<http::SessionInfo>>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    form: Result<Form<PrinterForm>, FormRejection>,
) -> Response {
    let lang = choose_lang(query, &headers).unwrap_or_else(|(lang, _)| lang);
    let Some(axum::Extension(session)) = session else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Ok(Form(form)) = form else {
        return bad_request(lang, lang.tr(Msg::StaleForm));
    };
    let values = form.values();
    if !session.csrf_ok(&form.csrf) {
        let notice = Notice::Refused(lang.tr(Msg::StaleForm).to_owned());
        return render_printer(
            &state,
            serial,
            lang,
            Some(&session.csrf),
            Some(notice),
            Some(values),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let changes = PrinterChanges {
        site: Some(values.site.clone()),
        contact: Some(values.contact.clone()),
        postal_address: Some(values.postal_address.clone()),
        contact_email: Some(values.contact_email.clone()),
        contact_phone: Some(values.contact_phone.clone()),
        excluded: Some(values.excluded),
        protocol: form.protocol.clone(),
    };
    let change = PageChange::SetPrinter {
        serial: serial.clone(),
        changes,
    };
    let back_to_registration = form.return_to == "registration";
    match with_source(&state, move |source| source.apply(change)).await {
        Ok(()) if back_to_registration => {
            see_other(&format!("/registration?lang={}&saved=1", lang.code()))
        }
        Ok(()) => see_other(&format!(
            "/printers/{}?lang={}&saved=1",
            printer_page::encode_segment(&serial),
            lang.code()
        )),
        Err(reason) => {
            render_printer(
                &state,
                serial,
                lang,
                Some(&session.csrf),
                Some(Notice::Refused(reason)),
                Some(values),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

/// The fields of an "order one now" form.
#[derive(Debug, Deserialize)]
struct OrderForm {
    #[serde(default)]
    csrf: String,
    supply_index: u32,
    #[serde(default = "one")]
    quantity: u32,
}

fn one() -> u32 {
    1
}

/// `POST /printers/{serial}/order`: "order one now" for a supply.
async fn printer_order(
    State(state): State<AppState>,
    Path(serial): Path<String>,
    session: Option<axum::Extension<http::SessionInfo>>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    form: Result<Form<OrderForm>, FormRejection>,
) -> Response {
    let lang = choose_lang(query, &headers).unwrap_or_else(|(lang, _)| lang);
    let Some(axum::Extension(session)) = session else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Ok(Form(form)) = form else {
        return bad_request(lang, "supply_index must be a supply's number");
    };
    let refused = |notice: String, status: StatusCode| {
        let state = state.clone();
        let serial = serial.clone();
        let csrf = session.csrf.clone();
        async move {
            render_printer(
                &state,
                serial,
                lang,
                Some(&csrf),
                Some(Notice::OrderRefused(notice)),
                None,
                status,
            )
            .await
        }
    };
    if !session.csrf_ok(&form.csrf) {
        return refused(lang.tr(Msg::StaleForm).to_owned(), StatusCode::FORBIDDEN).await;
    }
    let change = PageChange::OrderNow {
        serial: serial.clone(),
        supply_index: form.supply_index,
        quantity: form.quantity,
    };
    match with_source(&state, move |source| source.apply(change)).await {
        Ok(()) => see_other(&format!(
            "/printers/{}?lang={}&ordered=1",
            printer_page::encode_segment(&serial),
            lang.code()
        )),
        Err(reason) => refused(reason, StatusCode::BAD_REQUEST).await,
    }
}

/// `GET /metrics`: the snapshot in the Prometheus text format.
async fn metrics_text(State(state): State<AppState>) -> Response {
    match snapshot(&state).await {
        Ok(view) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            metrics::render(&view),
        )
            .into_response(),
        Err(reason) => {
            tracing::warn!(%reason, "metrics unavailable");
            retry_after((StatusCode::SERVICE_UNAVAILABLE, reason).into_response())
        }
    }
}

/// `GET /orders` (`?status=` one state only).
async fn orders_list(
    State(state): State<AppState>,
    session: Option<axum::Extension<http::SessionInfo>>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let status = query.as_ref().ok().and_then(|q| {
        q.0.iter()
            .find(|(k, _)| k == "status")
            .map(|(_, v)| v.clone())
    });
    let lang = match choose_lang(query, &headers) {
        Ok(lang) => lang,
        Err((lang, message)) => return bad_request(lang, &message),
    };
    let csrf = session.as_ref().map(|s| s.0.csrf.clone());
    match snapshot(&state).await {
        Ok(view) => html_response(
            StatusCode::OK,
            lang,
            page::orders_page(&view, lang, csrf.as_deref(), status.as_deref()),
            None,
        ),
        Err(reason) => unavailable(lang, &reason),
    }
}

/// `GET /alerts`.
async fn alerts_list(
    State(state): State<AppState>,
    session: Option<axum::Extension<http::SessionInfo>>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let lang = match choose_lang(query, &headers) {
        Ok(lang) => lang,
        Err((lang, message)) => return bad_request(lang, &message),
    };
    let csrf = session.as_ref().map(|s| s.0.csrf.clone());
    render_alerts(&state, lang, csrf.as_deref(), None, StatusCode::OK).await
}

async fn render_alerts(
    state: &AppState,
    lang: Lang,
    csrf: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    match with_source(state, |source| {
        Ok((source.alerts()?, source.snapshot()?.generated_at))
    })
    .await
    {
        Ok((alerts, now)) => html_response(
            status,
            lang,
            alerts_page::alerts_page(&alerts, now, lang, csrf, error),
            None,
        ),
        Err(reason) => unavailable(lang, &reason),
    }
}

/// `POST /alerts/{id}/ack`: a person saw it.
async fn alert_ack(
    State(state): State<AppState>,
    Path(id): Path<String>,
    session: Option<axum::Extension<http::SessionInfo>>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    Form(form): Form<http::CsrfForm>,
) -> Response {
    let lang = choose_lang(query, &headers).unwrap_or_else(|(lang, _)| lang);
    let Some(axum::Extension(session)) = session else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    if !session.csrf_ok(form.token()) {
        let message = lang.tr(Msg::StaleForm);
        return render_alerts(
            &state,
            lang,
            Some(&session.csrf),
            Some(message),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let change = PageChange::AckAlert { alert_id: id };
    match with_source(&state, move |source| source.apply(change)).await {
        Ok(()) => see_other(&format!("/alerts?lang={}", lang.code())),
        Err(reason) => {
            render_alerts(
                &state,
                lang,
                Some(&session.csrf),
                Some(&reason),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

/// The script showing times in the browser's zone (cached a day: it only
/// changes with the gateway's version).
async fn local_time_js() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=86400"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        page::LOCAL_TIME_JS,
    )
}

/// Alive, and which version: the updater waits for the new version here
/// before it keeps an update. A database that cannot be written is not
/// healthy, whatever else works: 503 with the reason.
async fn healthz(State(state): State<AppState>) -> Response {
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        ),
        (
            header::HeaderName::from_static(crate::update::health::VERSION_HEADER),
            HeaderValue::from_static(env!("CARGO_PKG_VERSION")),
        ),
    ];
    match state.source.storage_problem() {
        None => (headers, "ok").into_response(),
        Some(problem) => (
            StatusCode::SERVICE_UNAVAILABLE,
            headers,
            format!("storage {problem}"),
        )
            .into_response(),
    }
}

async fn not_found(headers: HeaderMap) -> Response {
    let lang = negotiated(&headers);
    let body = page::message_page(
        lang,
        Msg::NotFoundTitle,
        lang.tr(Msg::NotFoundBody),
        None,
        false,
    );
    html_response(StatusCode::NOT_FOUND, lang, body, None)
}

async fn method_not_allowed(headers: HeaderMap) -> Response {
    let lang = negotiated(&headers);
    let body = page::message_page(
        lang,
        Msg::MethodNotAllowedTitle,
        lang.tr(Msg::MethodNotAllowedBody),
        None,
        false,
    );
    html_response(StatusCode::METHOD_NOT_ALLOWED, lang, body, None)
}
