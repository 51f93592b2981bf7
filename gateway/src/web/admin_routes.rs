//! The administrative pages: registration (printers to assign, forgetting
//! one) and settings (polling, SNMP credentials, the cloud link and the
//! supplier catalogue read-only, the admin password). Every change goes
//! through the [`StatusSource`] like the other forms: persisted, applied
//! live and told upstream.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::Value;

use super::auth::http::{self, ClientIp, SessionInfo, see_other};
use super::auth::{Auth, ChangeRefused};
use super::i18n::{Lang, Msg};
use super::registration_page::{RegistrationNotice, registration_page};
use super::routes::{bad_request, choose_lang, html_response, on_source, unavailable};
use super::settings_page::{Section, SettingsNotice, settings_page};
use super::source::{PageChange, StatusSource};

/// Shortest and longest poll interval the page accepts: polling more often
/// loads printers and the SD card for nothing, less often misses swaps.
const POLL_RANGE: (Duration, Duration) = (Duration::from_secs(60), Duration::from_secs(86_400));

#[derive(Clone)]
struct AdminState {
    source: Arc<dyn StatusSource>,
    auth: Arc<Auth>,
}

/// The routes of this module, with their own state.
pub(super) fn routes(source: Arc<dyn StatusSource>, auth: Arc<Auth>) -> Router {
    Router::new()
        .route("/registration", get(registration))
        .route("/printers/{serial}/forget", post(forget))
        .route("/settings", get(settings))
        .route("/settings/{section}", post(settings_submit))
        .with_state(AdminState { source, auth })
}

type Session = Option<axum::Extension<SessionInfo>>;
type Pairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

fn flag(query: &Pairs, name: &str) -> Option<String> {
    query
        .as_ref()
        .ok()
        .and_then(|q| q.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
}

async fn render_registration(
    state: &AdminState,
    lang: Lang,
    csrf: Option<&str>,
    notice: Option<RegistrationNotice>,
    status: StatusCode,
) -> Response {
    match on_source(Arc::clone(&state.source), |s| s.snapshot()).await {
        Ok(view) => html_response(
            status,
            lang,
            registration_page(&view, lang, csrf, notice.as_ref()),
            None,
        ),
        Err(reason) => unavailable(lang, &reason),
    }
}

/// `GET /registration` (`?saved=1`, `?forgotten=1` after a change).
async fn registration(
    State(state): State<AdminState>,
    session: Session,
    headers: HeaderMap,
    query: Pairs,
) -> Response {
    let notice = if flag(&query, "saved").is_some() {
        Some(RegistrationNotice::Saved)
    } else if flag(&query, "forgotten").is_some() {
        Some(RegistrationNotice::Forgotten)
    } else {
        None
    };
    let lang = match choose_lang(query, &headers) {
        Ok(lang) => lang,
        Err((lang, message)) => return bad_request(lang, &message),
    };
    let csrf = session.as_ref().map(|s| s.0.csrf.clone());
    render_registration(&state, lang, csrf.as_deref(), notice, StatusCode::OK).await
}

/// `POST /printers/{serial}/forget`: back to the registration page.
async fn forget(
    State(state): State<AdminState>,
    Path(serial): Path<String>,
    session: Session,
    headers: HeaderMap,
    query: Pairs,
    form: Result<Form<http::CsrfForm>, FormRejection>,
) -> Response {
    let lang = choose_lang(query, &headers).unwrap_or_else(|(lang, _)| lang);
    let Some(axum::Extension(session)) = session else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let token = form.as_ref().map(|f| f.0.token()).unwrap_or_default();
    if !session.csrf_ok(token) {
        let notice = RegistrationNotice::Refused(lang.tr(Msg::StaleForm).to_owned());
        return render_registration(
            &state,
            lang,
            Some(&session.csrf),
            Some(notice),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let change = PageChange::ForgetPrinter { serial };
    match on_source(Arc::clone(&state.source), move |s| s.apply(change)).await {
        Ok(()) => see_other(&format!("/registration?lang={}&forgotten=1", lang.code())),
        Err(reason) => {
            render_registration(
                &state,
                lang,
                Some(&session.csrf),
                Some(RegistrationNotice::Refused(reason)),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

async fn render_settings(
    state: &AdminState,
    lang: Lang,
    csrf: Option<&str>,
    notice: Option<SettingsNotice>,
    status: StatusCode,
) -> Response {
    // A catalogue that cannot be read is said in its card: the settings
    // stay usable.
    let read = on_source(Arc::clone(&state.source), |s| {
        Ok((s.settings()?, s.catalogs()))
    });
    match read.await {
        Ok((view, catalogs)) => html_response(
            status,
            lang,
            settings_page(
                &view,
                &catalogs,
                lang,
                csrf,
                notice.as_ref(),
                state.auth.password_from_file(),
            ),
            None,
        ),
        Err(reason) => unavailable(lang, &reason),
    }
}

/// `GET /settings` (`?saved=polling|snmp|password`).
async fn settings(
    State(state): State<AdminState>,
    session: Session,
    headers: HeaderMap,
    query: Pairs,
) -> Response {
    let notice = flag(&query, "saved")
        .and_then(|s| Section::parse(&s))
        .map(SettingsNotice::Saved);
    let lang = match choose_lang(query, &headers) {
        Ok(lang) => lang,
        Err((lang, message)) => return bad_request(lang, &message),
    };
    let csrf = session.as_ref().map(|s| s.0.csrf.clone());
    render_settings(&state, lang, csrf.as_deref(), notice, StatusCode::OK).await
}

/// Every field any settings form may send; each form uses its own.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SettingsForm {
    csrf: String,
    poll_interval: String,
    version: String,
    community: String,
    user: String,
    auth_proto: String,
    auth_pass: String,
    priv_proto: String,
    priv_pass: String,
    current: String,
    new: String,
    confirm: String,
    /// Address or subnet of scoped credentials (`scoped`).
    scope: String,
    /// The scope whose credentials go (`scoped`, remove button).
    remove: String,
}

/// `POST /settings/{section}`.
async fn settings_submit(
    State(state): State<AdminState>,
    Path(section): Path<String>,
    session: Session,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    query: Pairs,
    form: Result<Form<SettingsForm>, FormRejection>,
) -> Response {
    let lang = choose_lang(query, &headers).unwrap_or_else(|(lang, _)| lang);
    let Some(axum::Extension(session)) = session else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Some(section) = Section::parse(&section) else {
        return bad_request(lang, "unknown settings section (polling, snmp or password)");
    };
    let refused = |reason: String, status: StatusCode| {
        let state = state.clone();
        let csrf = session.csrf.clone();
        async move {
            render_settings(
                &state,
                lang,
                Some(&csrf),
                Some(SettingsNotice::Refused(section, reason)),
                status,
            )
            .await
        }
    };
    let Ok(Form(form)) = form else {
        return refused(lang.tr(Msg::StaleForm).to_owned(), StatusCode::BAD_REQUEST).await;
    };
    if !session.csrf_ok(&form.csrf) {
        return refused(lang.tr(Msg::StaleForm).to_owned(), StatusCode::FORBIDDEN).await;
    }
    let saved = format!("/settings?lang={}&saved={}", lang.code(), section.name());
    if section == Section::Password {
        let auth = Arc::clone(&state.auth);
        // Argon2 takes a moment: off the async threads.
        let outcome = tokio::task::spawn_blocking(move || {
            auth.change_password(ip, &form.current, &form.new, &form.confirm)
        })
        .await
        .unwrap_or_else(|_| Err(ChangeRefused::Storage("the password check crashed".into())));
        return match outcome {
            Ok(id) => {
                tracing::info!(%ip, "admin password changed on the status page");
                let mut r = see_other(&saved);
                r.headers_mut()
                    .insert(header::SET_COOKIE, http::session_cookie(&state.auth, &id));
                r
            }
            Err(why) => {
                let (status, reason) = password_refusal(lang, why);
                refused(reason, status).await
            }
        };
    }
    let change = match section {
        Section::Polling => polling_changes(&form).map(|changes| PageChange::SetConfig { changes }),
        Section::Scoped => Ok(scoped_change(&form)),
        _ => snmp_changes(&form).map(|changes| PageChange::SetConfig { changes }),
    };
    let change = match change {
        Ok(c) => c,
        Err(reason) => return refused(reason, StatusCode::BAD_REQUEST).await,
    };
    match on_source(Arc::clone(&state.source), move |s| s.apply(change)).await {
        Ok(()) => see_other(&saved),
        Err(reason) => refused(reason, StatusCode::BAD_REQUEST).await,
    }
}

fn password_refusal(lang: Lang, why: ChangeRefused) -> (StatusCode, String) {
    let fr = lang == Lang::Fr;
    match why {
        ChangeRefused::InFile => (StatusCode::CONFLICT, lang.tr(Msg::PasswordFromFile).into()),
        ChangeRefused::WrongCurrent => (
            StatusCode::FORBIDDEN,
            if fr {
                "le mot de passe actuel est faux".into()
            } else {
                "the current password is wrong".into()
            },
        ),
        ChangeRefused::Mismatch => (
            StatusCode::BAD_REQUEST,
            if fr {
                "les deux nouveaux mots de passe diffèrent".into()
            } else {
                "the two new passwords differ".into()
            },
        ),
        ChangeRefused::Weak(reason) => (StatusCode::BAD_REQUEST, reason),
        ChangeRefused::Locked(wait) => (
            StatusCode::TOO_MANY_REQUESTS,
            if fr {
                format!(
                    "trop de mots de passe faux : réessayez dans {} min",
                    wait.as_secs().div_ceil(60)
                )
            } else {
                format!(
                    "too many wrong passwords: try again in {} min",
                    wait.as_secs().div_ceil(60)
                )
            },
        ),
        ChangeRefused::Storage(reason) => (StatusCode::INTERNAL_SERVER_ERROR, reason),
    }
}

/// The poll interval, checked against [`POLL_RANGE`] here (the file's own
/// rules are checked again when it is applied).
fn polling_changes(form: &SettingsForm) -> Result<Vec<(String, Value)>, String> {
    let text = form.poll_interval.trim();
    let d = crate::config::duration::parse(text)?;
    if d < POLL_RANGE.0 || d > POLL_RANGE.1 {
        return Err(format!(
            "poll interval {text:?} is out of range: between 1m and 24h"
        ));
    }
    Ok(vec![(
        "gateway.poll_interval".to_owned(),
        Value::String(text.to_owned()),
    )])
}

/// The SNMP keys a submission sets: an empty secret keeps what is set, so
/// nothing is ever echoed back into the form to be resubmitted.
fn snmp_changes(form: &SettingsForm) -> Result<Vec<(String, Value)>, String> {
    let version = form.version.trim();
    if !["1", "2c", "3"].contains(&version) {
        return Err(format!("SNMP version {version:?}: expected 1, 2c or 3"));
    }
    let mut changes = vec![("snmp.version".to_owned(), Value::String(version.into()))];
    let mut set = |key: &str, value: &str| {
        if !value.is_empty() {
            changes.push((format!("snmp.{key}"), Value::String(value.to_owned())));
        }
    };
    set("community", &form.community);
    set("user", form.user.trim());
    set("auth_proto", form.auth_proto.trim());
    set("auth_pass", &form.auth_pass);
    set("priv_proto", form.priv_proto.trim());
    set("priv_pass", &form.priv_pass);
    Ok(changes)
}

/// Adds (or replaces) or removes one scope's credentials; the gateway
/// checks the scope and the credentials.
fn scoped_change(form: &SettingsForm) -> PageChange {
    if !form.remove.trim().is_empty() {
        return PageChange::RemoveScopedCredentials {
            scope: form.remove.trim().to_owned(),
        };
    }
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let secret = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    PageChange::SetScopedCredentials {
        scope: form.scope.trim().to_owned(),
        credentials: crate::config::SnmpCredentials {
            version: form.version.trim().to_owned(),
            community: form.community.clone(),
            user: text(&form.user),
            auth_proto: text(&form.auth_proto),
            auth_pass: secret(&form.auth_pass),
            priv_proto: text(&form.priv_proto),
            priv_pass: secret(&form.priv_pass),
            context: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_secrets_keep_what_is_set() {
        let form = SettingsForm {
            version: "3".into(),
            user: " asr ".into(),
            auth_proto: "SHA-256".into(),
            ..SettingsForm::default()
        };
        let keys: Vec<String> = snmp_changes(&form)
            .expect("valid")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["snmp.version", "snmp.user", "snmp.auth_proto"]);
        let bad = SettingsForm {
            version: "4".into(),
            ..SettingsForm::default()
        };
        assert!(snmp_changes(&bad).is_err());
    }

    #[test]
    fn poll_intervals_are_bounded() {
        let at = |t: &str| {
            polling_changes(&SettingsForm {
                poll_interval: t.into(),
                ..SettingsForm::default()
            })
        };
        assert!(at("15m").is_ok());
        assert!(at("10s").unwrap_err().contains("out of range"));
        assert!(at("2d").is_err());
        assert!(at("soon").is_err());
    }
}
