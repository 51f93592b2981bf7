//! `/api/v1/…`: the pages' data as JSON, for the site's scripts and
//! monitoring. The handlers read the same view models as the HTML pages
//! (through the same [`StatusSource`]) and change things through the same
//! [`PageChange`]s, so the API and the pages cannot drift apart.
//!
//! The contract is the OpenAPI 3.1 document served at
//! `/api/v1/openapi.json` (`openapi.json` beside this file); a test checks
//! real answers against it. Every answer is JSON, errors included
//! (`{"error": "…"}`). Changes need the session's CSRF token in the
//! `X-CSRF-Token` header (read it from `GET /api/v1/session`) and a JSON
//! body (`415` otherwise): a page elsewhere cannot forge either.

use std::sync::Arc;

use asr_cloud_sync::PrinterChanges;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::auth::http::SessionInfo;
use super::routes::on_source;
use super::source::{PageChange, StatusSource};
use super::view::{PrinterDetail, SupplyLife};

/// The OpenAPI document, as served.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The order states `GET /api/v1/orders?status=` takes.
pub const ORDER_STATES: [&str; 7] = [
    "waiting",
    "sent",
    "accepted",
    "shipped",
    "partly_delivered",
    "delivered",
    "cancelled",
];

/// The header carrying the session's CSRF token on changes.
pub const CSRF_HEADER: &str = "x-csrf-token";

type Source = Arc<dyn StatusSource>;

/// The API's routes, to be nested under `/api/v1`.
pub(super) fn routes(source: Source) -> Router {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/session", get(session))
        .route("/status", get(status))
        .route("/printers", get(printers))
        .route("/printers/{serial}", get(printer).patch(patch_printer))
        .route("/printers/{serial}/orders", post(order_now))
        .route("/orders", get(orders))
        .route("/alerts", get(alerts))
        .route("/alerts/{id}/ack", post(ack_alert))
        .route("/settings", get(settings))
        .route("/catalog", get(catalog))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such API route") })
        .method_not_allowed_fallback(|| async {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this route",
            )
        })
        .with_state(source)
}

/// A JSON answer that is never cached (the data is live).
fn json_response(status: StatusCode, body: impl serde::Serialize) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn error(status: StatusCode, message: &str) -> Response {
    let mut response = json_response(status, json!({ "error": message }));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(super::page::REFRESH_SECONDS),
        );
    }
    response
}

/// A source failure: the gateway is alive but cannot answer now.
fn unavailable(reason: &str) -> Response {
    tracing::warn!(%reason, "API unavailable");
    error(StatusCode::SERVICE_UNAVAILABLE, reason)
}

/// Reads from the source and answers the value as JSON (`200`).
async fn read<T: serde::Serialize + Send + 'static>(
    source: Source,
    f: impl FnOnce(&dyn StatusSource) -> Result<T, String> + Send + 'static,
) -> Response {
    match on_source(source, f).await {
        Ok(value) => json_response(StatusCode::OK, value),
        Err(reason) => unavailable(&reason),
    }
}

async fn openapi() -> Response {
    let mut response = (StatusCode::OK, OPENAPI).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

async fn session(session: Option<axum::Extension<SessionInfo>>) -> Response {
    match session {
        Some(axum::Extension(s)) => json_response(StatusCode::OK, json!({ "csrf": s.csrf })),
        None => error(StatusCode::UNAUTHORIZED, "login required"),
    }
}

async fn status(State(source): State<Source>) -> Response {
    read(source, |s| s.snapshot()).await
}

async fn printers(State(source): State<Source>) -> Response {
    read(source, |s| s.snapshot().map(|v| v.printers)).await
}

/// A printer's detail with the cartridge life each supply's forecast rests
/// on, beside it (the lives come from the engine, not the printer's record).
#[derive(Serialize)]
struct PrinterAnswer {
    #[serde(flatten)]
    detail: PrinterDetail,
    lives: Vec<SupplyLife>,
}

async fn printer(State(source): State<Source>, Path(serial): Path<String>) -> Response {
    let read = on_source(source, move |s| {
        let Some(detail) = s.printer(&serial)? else {
            return Ok(None);
        };
        let lives = s.supply_lives(&serial)?;
        Ok(Some(PrinterAnswer { detail, lives }))
    });
    match read.await {
        Ok(Some(answer)) => json_response(StatusCode::OK, answer),
        Ok(None) => error(StatusCode::NOT_FOUND, "no printer has this serial"),
        Err(reason) => unavailable(&reason),
    }
}

async fn orders(
    State(source): State<Source>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let Ok(Query(pairs)) = query else {
        return error(StatusCode::BAD_REQUEST, "the query string cannot be read");
    };
    let wanted: Vec<&String> = pairs
        .iter()
        .filter(|(k, _)| k == "status")
        .map(|(_, v)| v)
        .collect();
    let status = match wanted.as_slice() {
        [] => None,
        [one] if ORDER_STATES.contains(&one.as_str()) => Some((*one).clone()),
        [other] => {
            let message = format!(
                "unknown order status {other:?}: one of {}",
                ORDER_STATES.join(", ")
            );
            return error(StatusCode::BAD_REQUEST, &message);
        }
        _ => return error(StatusCode::BAD_REQUEST, "give `status` once"),
    };
    read(source, move |s| {
        let view = s.snapshot()?;
        Ok(view
            .orders
            .into_iter()
            .filter(|o| status.as_ref().is_none_or(|st| &o.status == st))
            .collect::<Vec<_>>())
    })
    .await
}

async fn alerts(State(source): State<Source>) -> Response {
    read(source, |s| s.alerts()).await
}

async fn settings(State(source): State<Source>) -> Response {
    read(source, |s| s.settings()).await
}

/// `GET /api/v1/catalog`: the supplier catalogues kept, whole (the settings
/// page lists only their first entries).
async fn catalog(State(source): State<Source>) -> Response {
    read(source, |s| s.catalogs()).await
}

/// The checks every change passes before its body is read: a session, its
/// CSRF token in the header, a JSON body. `Err` is the answer to give.
fn change_allowed(session: Option<&SessionInfo>, headers: &HeaderMap) -> Result<(), Box<Response>> {
    csrf_checked(session, headers)?;
    json_checked(headers)
}

/// A session whose CSRF token is in the `X-CSRF-Token` header.
fn csrf_checked(session: Option<&SessionInfo>, headers: &HeaderMap) -> Result<(), Box<Response>> {
    let Some(session) = session else {
        return Err(Box::new(error(StatusCode::UNAUTHORIZED, "login required")));
    };
    let token = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if session.csrf_ok(token) {
        Ok(())
    } else {
        Err(Box::new(error(
            StatusCode::FORBIDDEN,
            "missing or stale X-CSRF-Token header: read it from GET /api/v1/session",
        )))
    }
}

/// A body said to be JSON.
fn json_checked(headers: &HeaderMap) -> Result<(), Box<Response>> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if json {
        Ok(())
    } else {
        Err(Box::new(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the body as application/json",
        )))
    }
}

/// The body as `T`, or a `400` naming the field that is wrong and why.
fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Box<Response>> {
    let refuse = |message: String| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            &format!("the body is not valid: {message}"),
        ))
    };
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            refuse(e.inner().to_string())
        } else {
            refuse(format!("`{path}`: {}", e.inner()))
        }
    })?;
    json.end().map_err(|e| refuse(e.to_string()))?;
    Ok(value)
}

/// `PATCH /api/v1/printers/{serial}`: delivery details and eligibility, as
/// the printer page's form; answers the printer as it is now.
async fn patch_printer(
    State(source): State<Source>,
    Path(serial): Path<String>,
    session: Option<axum::Extension<SessionInfo>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    if let Err(answer) = change_allowed(session.as_ref().map(|s| &s.0), &headers) {
        return *answer;
    }
    let changes: PrinterChanges = match body(&bytes) {
        Ok(c) => c,
        Err(answer) => return *answer,
    };
    if changes == PrinterChanges::default() {
        return error(StatusCode::BAD_REQUEST, "nothing to change");
    }
    let outcome = on_source(source, move |s| {
        if s.printer(&serial)?.is_none() {
            return Ok(None);
        }
        let change = PageChange::SetPrinter {
            serial: serial.clone(),
            changes,
        };
        Ok(Some(s.apply(change).and_then(|()| {
            s.printer(&serial)?
                .map(|d| d.printer)
                .ok_or_else(|| "the printer was forgotten meanwhile".to_owned())
        })))
    })
    .await;
    match outcome {
        Ok(Some(Ok(printer))) => json_response(StatusCode::OK, printer),
        Ok(Some(Err(reason))) => error(StatusCode::BAD_REQUEST, &reason),
        Ok(None) => error(StatusCode::NOT_FOUND, "no printer has this serial"),
        Err(reason) => unavailable(&reason),
    }
}

/// The body of "order one now".
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderNow {
    supply_index: u32,
    #[serde(default = "one")]
    quantity: u32,
}

fn one() -> u32 {
    1
}

/// `POST /api/v1/printers/{serial}/orders`: cartridges of one supply with
/// the next shipment of the printer's site and contact (`202`: the order
/// goes out with the engine's next consolidation).
async fn order_now(
    State(source): State<Source>,
    Path(serial): Path<String>,
    session: Option<axum::Extension<SessionInfo>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    if let Err(answer) = change_allowed(session.as_ref().map(|s| &s.0), &headers) {
        return *answer;
    }
    let order: OrderNow = match body(&bytes) {
        Ok(o) => o,
        Err(answer) => return *answer,
    };
    let answer = json!({
        "printer": serial,
        "supply_index": order.supply_index,
        "quantity": order.quantity,
    });
    let outcome = on_source(source, move |s| {
        if s.printer(&serial)?.is_none() {
            return Ok(None);
        }
        Ok(Some(s.apply(PageChange::OrderNow {
            serial,
            supply_index: order.supply_index,
            quantity: order.quantity,
        })))
    })
    .await;
    match outcome {
        Ok(Some(Ok(()))) => json_response(StatusCode::ACCEPTED, answer),
        Ok(Some(Err(reason))) => error(StatusCode::BAD_REQUEST, &reason),
        Ok(None) => error(StatusCode::NOT_FOUND, "no printer has this serial"),
        Err(reason) => unavailable(&reason),
    }
}

/// `POST /api/v1/alerts/{id}/ack` (no body needed; an empty JSON object is
/// fine): answers the alert as it is now.
async fn ack_alert(
    State(source): State<Source>,
    Path(id): Path<String>,
    session: Option<axum::Extension<SessionInfo>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    if let Err(answer) = csrf_checked(session.as_ref().map(|s| &s.0), &headers) {
        return *answer;
    }
    if !bytes.is_empty() {
        if let Err(answer) = json_checked(&headers) {
            return *answer;
        }
        if let Err(answer) = body::<serde_json::Map<String, serde_json::Value>>(&bytes) {
            return *answer;
        }
    }
    let outcome = on_source(source, move |s| {
        if !s.alerts()?.iter().any(|a| a.id == id) {
            return Ok(None);
        }
        let applied = s.apply(PageChange::AckAlert {
            alert_id: id.clone(),
        });
        Ok(Some(applied.and_then(|()| {
            s.alerts()?
                .into_iter()
                .find(|a| a.id == id)
                .ok_or_else(|| "the alert is gone".to_owned())
        })))
    })
    .await;
    match outcome {
        Ok(Some(Ok(alert))) => json_response(StatusCode::OK, alert),
        Ok(Some(Err(reason))) => error(StatusCode::BAD_REQUEST, &reason),
        Ok(None) => error(StatusCode::NOT_FOUND, "no alert has this id"),
        Err(reason) => unavailable(&reason),
    }
}
