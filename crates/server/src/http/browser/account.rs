//! `/ui/account`: who is signed in in this browser, their signed-in browsers (each can be
//! signed out), the password change form, and the sign-out button.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tessera_core::Store;
use tessera_core::authority::FactorSummary;
use tessera_core::error::AccountError;
use tessera_core::events::EndReason;
use tessera_core::model::LoginSession;

use super::super::blocking::on_blocking_pool;
use super::super::params::Params;
use super::super::{ApiError, AppState};
use super::admin_console::utc;
use super::authorize::current_session;
use super::page::{Browser, Page, cross_site, same_origin, see_other};
use super::unavailable;

/// The purpose of the account forms' anti-CSRF token.
pub(crate) const PURPOSE: &str = "account";

#[derive(Serialize)]
struct SessionRow {
    id: String,
    started: String,
    last_seen: String,
    current: bool,
}

/// What to say above the forms.
pub(crate) enum Outcome {
    /// Nothing.
    None,
    /// A notice (a catalogue key).
    Notice(&'static str),
    /// An error (a catalogue key; `totp_…` ones go with the second-factor forms, the
    /// others with the password form) and the status to answer.
    Error(&'static str, StatusCode),
}

/// `GET /ui/account`; the sign-in page first when the browser is not signed in.
#[utoipa::path(get, path = "/ui/account", tag = "browser",
    responses(
        (status = 200, description = "the account page: the user, their signed-in browsers, the password and sign-out forms", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn show<S: Store>(State(state): State<AppState<S>>, headers: HeaderMap) -> Response {
    let Some(browser) = Browser::read(&state, &headers) else {
        return unavailable();
    };
    match current_session(&state, &browser).await {
        Ok(Some(session)) => render(&state, &browser, &session, Outcome::None).await,
        Ok(None) => see_other("/ui/login", Vec::new()),
        Err(response) => response,
    }
}

/// `POST /ui/account/password`: change the password (the current one is checked under the
/// lock-out); every other browser and refresh family of the user ends.
#[utoipa::path(post, path = "/ui/account/password", tag = "browser",
    request_body(content = crate::openapi::AccountPasswordForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "changed: the account page, saying so", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 400, description = "the current password is wrong, the new one is refused, or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site (Origin)", content_type = "text/html"),
        (status = 429, description = "too many wrong passwords", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn change_password<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (browser, session, form) = match checked(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let current = form.get("current_password").unwrap_or("").to_owned();
    let new = form.get("new_password").unwrap_or("").to_owned();
    let authority = Arc::clone(state.authority());
    let for_change = session.clone();
    let result = on_blocking_pool(move || async move {
        let changed = authority
            .change_password_in_browser(&for_change, &current, &new)
            .await;
        Ok::<_, ApiError>(changed)
    })
    .await;
    let outcome = match result {
        Ok(Ok(())) => {
            state.logout_notices().notify_one();
            Outcome::Notice("password_changed")
        }
        Ok(Err(AccountError::WrongPassword)) => {
            Outcome::Error("wrong_password", StatusCode::BAD_REQUEST)
        }
        Ok(Err(AccountError::Locked(_))) => Outcome::Error("locked", StatusCode::TOO_MANY_REQUESTS),
        Ok(Err(AccountError::BadPassword(_))) => {
            Outcome::Error("bad_new_password", StatusCode::BAD_REQUEST)
        }
        Ok(Err(_)) | Err(_) => return unavailable(),
    };
    render(&state, &browser, &session, outcome).await
}

/// `POST /ui/account/sessions`: sign out another of the user's browsers.
#[utoipa::path(post, path = "/ui/account/sessions", tag = "browser",
    request_body(content = crate::openapi::AccountSessionForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "the account page (an id that is not one of the user's browsers changes nothing)", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 400, description = "the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site (Origin)", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn end_session<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (browser, session, form) = match checked(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let authority = state.authority();
    let Ok(mine) = authority.browser_sessions_of(&session.user_id).await else {
        return unavailable();
    };
    let wanted = form.get("session").unwrap_or("");
    // Only the user's own sessions can be named; an unknown id changes nothing.
    if let Some(other) = mine.iter().find(|s| s.id.as_str() == wanted) {
        if authority
            .end_browser_session(other, EndReason::Logout)
            .await
            .is_err()
        {
            return unavailable();
        }
        state.logout_notices().notify_one();
    }
    render(&state, &browser, &session, Outcome::Notice("session_ended")).await
}

/// The browser, its session and the form of an account POST whose origin, session and
/// anti-CSRF token check out.
pub(crate) async fn checked<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
    form: Result<Params, ApiError>,
) -> Result<(Browser, LoginSession, Params), Response> {
    let Some(browser) = Browser::read(state, headers) else {
        return Err(unavailable());
    };
    if !same_origin(state, headers) {
        return Err(cross_site(state, &browser));
    }
    let session = match current_session(state, &browser).await? {
        Some(session) => session,
        None => return Err(see_other("/ui/login", Vec::new())),
    };
    let form = form.ok().filter(|form| {
        let token = form.get("csrf_token").unwrap_or("");
        state
            .authority()
            .check_browser_token(PURPOSE, &browser.binding, token)
    });
    let Some(form) = form else {
        let locale = browser.locale(None);
        let page = Page::error(
            state,
            &browser,
            locale,
            StatusCode::BAD_REQUEST,
            "form_expired",
            None,
        );
        return Err(page.into_response());
    };
    Ok((browser, session, form))
}

/// The account page with `outcome`.
pub(crate) async fn render<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    session: &LoginSession,
    outcome: Outcome,
) -> Response {
    let authority = state.authority();
    let (Ok(Some(user)), Ok(sessions), Ok(factors)) = (
        authority.browser_user(session).await,
        authority.browser_sessions_of(&session.user_id).await,
        authority.factors_of(&session.user_id).await,
    ) else {
        return unavailable();
    };
    let locale = browser.locale(None);
    let ui = state.ui();
    let rows: Vec<SessionRow> = sessions
        .iter()
        .map(|s| SessionRow {
            id: s.id.as_str().to_owned(),
            started: utc(s.created_at),
            last_seen: utc(s.last_seen_at),
            current: s.id == session.id,
        })
        .collect();
    let (status, notice, error) = match outcome {
        Outcome::None => (StatusCode::OK, None, None),
        Outcome::Notice(key) => (StatusCode::OK, Some(ui.text(locale, key)), None),
        Outcome::Error(key, status) => (status, None, Some(key)),
    };
    let (factor_error, error) = match error {
        Some(key) if key.starts_with("totp") => (Some(ui.text(locale, key)), None),
        Some(key) => (None, Some(ui.text(locale, key))),
        None => (None, None),
    };
    let factors = factor_values(&factors);
    let values = serde_json::json!({
        "title": ui.text(locale, "account_title"),
        "username": user.username,
        "sessions": rows,
        "notice": notice,
        "error": error,
        "factor_error": factor_error,
        "factors": factors,
        "csrf": authority.browser_token(super::logout::PURPOSE, &browser.binding),
        "csrf_account": authority.browser_token(PURPOSE, &browser.binding),
    });
    Page::render(state, browser, locale, status, "account.html", &values).into_response()
}

/// What the account page and the console show of an account's second factors.
pub(crate) fn factor_values(factors: &FactorSummary) -> serde_json::Value {
    serde_json::json!({
        "totp": factors.has_second_factor(),
        "since": factors.totp_since.map(utc),
        "used": factors.totp_last_used.map(utc),
        "codes_left": factors.recovery_codes_left.to_string(),
    })
}
