//! `/ui/device`: where a signed-in user types the code a device shows (RFC 8628 §3.3), sees
//! which application asks for what, and allows or denies it. Wrong codes count against the
//! address throttle, so that codes cannot be guessed at speed.

use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tessera_core::Store;
use tessera_core::authority::shown_user_code;
use tessera_core::model::{Client, DeviceAuthorization, LoginSession};

use super::super::params::Params;
use super::super::{ApiError, AppState, ClientIp};
use super::authorize::{Pending, current_session, scope_texts, set_up_second_factor};
use super::page::{Browser, Page, bad_request, cross_site, query_params, same_origin, see_other};
use super::{second_factor, unavailable};

/// The purpose of the device forms' anti-CSRF token.
pub(crate) const PURPOSE: &str = "device";

/// The longest user code read from a query or form (a code is nine characters shown).
const MAX_TYPED: usize = 32;

/// `GET /ui/device`: the code entry form (filled in from `user_code`, as the QR code of
/// `verification_uri_complete` opens it); the sign-in page first when nobody is signed in.
#[utoipa::path(get, path = "/ui/device", tag = "browser",
    params(("user_code" = Option<String>, Query, description = "the code the device shows, to fill in")),
    responses(
        (status = 200, description = "the code entry form", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`, coming back here afterwards", headers(("Location" = String))),
        (status = 400, description = "the query cannot be read", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn show<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let params = match query_params(&uri) {
        Ok(params) => params,
        Err(err) => return bad_request(&state, &headers, err.description()),
    };
    let Some(browser) = Browser::read(&state, &headers) else {
        return unavailable();
    };
    let typed = params.get("user_code").unwrap_or("");
    let typed: String = typed.chars().take(MAX_TYPED).collect();
    match current_session(&state, &browser).await {
        Ok(Some(_)) => entry_page(&state, &browser, &typed, None).into_response(),
        Ok(None) => see_other(&login_path(&typed), Vec::new()),
        Err(response) => response,
    }
}

/// `POST /ui/device`: the typed code; `action=continue` shows what the device asks for,
/// `action=allow` or `action=deny` decides (after a second factor when the client or the
/// user's roles require one).
#[utoipa::path(post, path = "/ui/device", tag = "browser",
    request_body(content = crate::openapi::DeviceForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "what the device asks for (allow or deny), or the decision made; or the second-factor page", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 400, description = "the code is unknown, expired or already used, or the form expired: the code entry form again", content_type = "text/html"),
        (status = 403, description = "posted from another site (Origin); or a second factor is required and the user has none", content_type = "text/html"),
        (status = 429, description = "too many wrong codes from this address", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn submit<S: Store>(
    State(state): State<AppState<S>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let Some(browser) = Browser::read(&state, &headers) else {
        return unavailable();
    };
    if !same_origin(&state, &headers) {
        return cross_site(&state, &browser);
    }
    let session = match current_session(&state, &browser).await {
        Ok(Some(session)) => session,
        Ok(None) => return see_other(&login_path(""), Vec::new()),
        Err(response) => return response,
    };
    let authority = state.authority();
    let form = form.ok().filter(|form| {
        let token = form.get("csrf_token").unwrap_or("");
        authority.check_browser_token(PURPOSE, &browser.binding, token)
    });
    let Some(form) = form else {
        return entry_page(
            &state,
            &browser,
            "",
            Some(("form_expired", StatusCode::BAD_REQUEST)),
        )
        .into_response();
    };
    let typed: String = form
        .get("user_code")
        .unwrap_or("")
        .chars()
        .take(MAX_TYPED)
        .collect();
    if state.throttle().check_ip(ip, Instant::now()).is_err() {
        let refusal = Some(("device_throttled", StatusCode::TOO_MANY_REQUESTS));
        return entry_page(&state, &browser, &typed, refusal).into_response();
    }
    let (request, client) = match authority.device_request(&typed).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            state.throttle().record_ip_failure(ip, Instant::now());
            let refusal = Some(("device_unknown_code", StatusCode::BAD_REQUEST));
            return entry_page(&state, &browser, &typed, refusal).into_response();
        }
        Err(_) => return unavailable(),
    };
    let allow = match form.get("action") {
        Some("allow") => true,
        Some("deny") => false,
        _ => return confirm_page(&state, &browser, &session, &request, &client).await,
    };
    decide(&state, &browser, &session, &request, &client, allow).await
}

/// Records the decision (after a second factor when one is required) and says so.
async fn decide<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    session: &LoginSession,
    request: &DeviceAuthorization,
    client: &Client,
    allow: bool,
) -> Response {
    let authority = state.authority();
    let locale = browser.locale(None);
    if allow {
        match authority.client_needs_second_factor(client, session).await {
            Ok(false) => {}
            Ok(true) => return step_up(state, browser, session, request, client).await,
            Err(_) => return unavailable(),
        }
    }
    match authority.decide_device(request, session, allow).await {
        Ok(true) => {
            let key = if allow {
                "device_allowed"
            } else {
                "device_denied"
            };
            let values = serde_json::json!({
                "title": state.ui().text(locale, "device_title"),
                "notice": state.ui().text(locale, key),
                "client_name": client.name,
            });
            Page::render(
                state,
                browser,
                locale,
                StatusCode::OK,
                "device_done.html",
                &values,
            )
            .into_response()
        }
        Ok(false) => {
            let refusal = Some(("device_unknown_code", StatusCode::BAD_REQUEST));
            entry_page(state, browser, "", refusal).into_response()
        }
        Err(_) => unavailable(),
    }
}

/// A second factor is required to allow the device: the second-factor page, coming back to
/// this code's page afterwards; 403 when the user has none yet.
async fn step_up<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    session: &LoginSession,
    request: &DeviceAuthorization,
    client: &Client,
) -> Response {
    match state.authority().has_second_factor(&session.user_id).await {
        Ok(true) => {
            let next = format!(
                "/ui/device?user_code={}",
                shown_user_code(&request.user_code)
            );
            let next = second_factor::safe_next(Some(&next));
            let pending = Pending::default();
            let name = Some(client.name.as_str());
            second_factor::ask(state, browser, &session.user_id, name, next, &pending)
                .into_response()
        }
        Ok(false) => {
            let locale = browser.locale(None);
            set_up_second_factor(state, browser, locale, Some(&client.name)).into_response()
        }
        Err(_) => unavailable(),
    }
}

/// The code entry form, with `user_code` filled in and an error (a catalogue key and the
/// status to answer), if any.
fn entry_page<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    user_code: &str,
    refusal: Option<(&str, StatusCode)>,
) -> Page {
    let locale = browser.locale(None);
    let ui = state.ui();
    let values = serde_json::json!({
        "title": ui.text(locale, "device_title"),
        "user_code": user_code,
        "error": refusal.map(|(key, _)| ui.text(locale, key)),
        "csrf": state.authority().browser_token(PURPOSE, &browser.binding),
    });
    let status = refusal.map_or(StatusCode::OK, |(_, status)| status);
    Page::render(state, browser, locale, status, "device.html", &values)
}

/// What the device asks for, with the allow and deny buttons.
async fn confirm_page<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    session: &LoginSession,
    request: &DeviceAuthorization,
    client: &Client,
) -> Response {
    let locale = browser.locale(None);
    let ui = state.ui();
    let username = match state.authority().browser_user(session).await {
        Ok(Some(user)) => user.username,
        Ok(None) => String::new(),
        Err(_) => return unavailable(),
    };
    let values = serde_json::json!({
        "title": ui.text(locale, "device_title"),
        "client_name": client.name,
        "scopes": scope_texts(state, locale, &request.scope),
        "username": username,
        "user_code": request.user_code,
        "shown_code": shown_user_code(&request.user_code),
        "csrf": state.authority().browser_token(PURPOSE, &browser.binding),
    });
    Page::render(
        state,
        browser,
        locale,
        StatusCode::OK,
        "device_confirm.html",
        &values,
    )
    .into_response()
}

/// The sign-in page, coming back to the code entry (with `typed` when it is a plain code).
fn login_path(typed: &str) -> String {
    let code = tessera_core::authority::normalize_user_code(typed);
    let next = match code {
        Some(code) => format!("/ui/device?user_code={}", shown_user_code(&code)),
        None => "/ui/device".to_owned(),
    };
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("next", &next)
        .finish();
    format!("/ui/login?{query}")
}
