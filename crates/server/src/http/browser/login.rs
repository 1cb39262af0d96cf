//! `GET/POST /ui/login`: the sign-in page. Posted credentials go through the same address
//! throttle and account lock-out as the password grant, and a wrong password and an unknown
//! user get the same page. After signing in, a pending authorization request goes on;
//! without one, the browser lands on the account page.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tessera_core::authority::PasswordStep;
use tessera_core::model::{ClientId, UserId};
use tessera_core::{GrantError, Store};

use super::super::blocking::on_blocking_pool;
use super::super::params::Params;
use super::super::{ApiError, AppState, ClientIp};
use super::authorize::{Pending, current_session, proceed, respond};
use super::page::{Browser, Page, bad_request, cross_site, query_params, same_origin, see_other};
use super::second_factor::{self, HOME, safe_next};
use super::unavailable;

/// The purpose of the sign-in form's anti-CSRF token.
pub(crate) const PURPOSE: &str = "login";

/// What the sign-in page shows besides the form.
#[derive(Debug, Serialize)]
pub(crate) struct LoginPage<'a> {
    /// The client the user signs in to, if any.
    pub(crate) client_name: Option<&'a str>,
    /// The username to prefill (a `login_hint`, or what was typed).
    pub(crate) username: &'a str,
    /// An error to show, already in the page's language.
    pub(crate) error: Option<String>,
    /// Where to go after signing in without a client (a page of ours; the account page
    /// when `None`).
    pub(crate) next: Option<&'a str>,
}

/// The sign-in page, with `pending` sealed into it when there is one.
pub(crate) fn page<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    locale: &str,
    status: StatusCode,
    values: &LoginPage<'_>,
    pending: &Pending,
) -> Page {
    let request = if pending.params.client_id.is_some() {
        match pending.seal(state, browser) {
            Some(sealed) => Some(sealed),
            None => return Page::plain(StatusCode::SERVICE_UNAVAILABLE, "try again"),
        }
    } else {
        None
    };
    let context = serde_json::json!({
        "title": state.ui().text(locale, "login_title"),
        "client_name": values.client_name,
        "username": values.username,
        "error": values.error,
        "csrf": state.authority().browser_token(PURPOSE, &browser.binding),
        "request": request,
        "next": values.next,
        "for_device": values.next.is_some_and(|next| next.starts_with("/ui/device")),
    });
    Page::render(state, browser, locale, status, "login.html", &context)
}

/// `GET /ui/login`: the sign-in page on its own (to reach the account page, or the page
/// `next` names).
#[utoipa::path(get, path = "/ui/login", tag = "browser",
    params(("next" = Option<String>, Query, description = "a page of ours under `/ui/` to go to after signing in (else the account page)")),
    responses(
        (status = 200, description = "the sign-in page", content_type = "text/html"),
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
    let locale = browser.locale(None);
    let values = LoginPage {
        client_name: None,
        username: "",
        error: None,
        next: params.get("next").map(|next| safe_next(Some(next))),
    };
    page(
        &state,
        &browser,
        locale,
        StatusCode::OK,
        &values,
        &Pending::default(),
    )
    .into_response()
}

/// `POST /ui/login`.
#[utoipa::path(post, path = "/ui/login", tag = "browser",
    request_body(content = crate::openapi::LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "signed in: the consent page, or a page that posts the response to the client", content_type = "text/html"),
        (status = 303, description = "signed in: back to the client (or, without a pending request, to the page `next` names, else `/ui/account`); cancelled: back to the client with `error=access_denied`", headers(("Location" = String), ("Set-Cookie" = String))),
        (status = 400, description = "the form expired (anti-CSRF token or sealed request not valid): the sign-in page again", content_type = "text/html"),
        (status = 401, description = "wrong username or password: the sign-in page again", content_type = "text/html"),
        (status = 403, description = "posted from another site (Origin)", content_type = "text/html"),
        (status = 429, description = "too many failed sign-ins: the sign-in page again", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn submit<S: Store>(
    State(state): State<AppState<S>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (browser, form, pending) = match posted(&state, &headers, form) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let token = form.get("csrf_token").unwrap_or("");
    if !state
        .authority()
        .check_browser_token(PURPOSE, &browser.binding, token)
    {
        return expired(&state, &browser, &pending);
    }
    if form.get("action") == Some("cancel") {
        return cancel(&state, &browser, &pending).await;
    }
    let current = match current_session(&state, &browser).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let username = form.get("username").unwrap_or("").to_owned();
    let password = form.get("password").unwrap_or("").to_owned();
    let next = form.get("next").map(|next| safe_next(Some(next)));
    let locale = browser.locale(pending.params.ui_locales.as_deref());
    let failed = |key| failed(&state, &browser, locale, &pending, &username, next, key);
    if state.throttle().check_ip(ip, Instant::now()).is_err() {
        state.metrics().login_throttled();
        return failed("locked").await;
    }
    let client = pending.params.client_id.as_deref().map(ClientId::from);
    let authority = Arc::clone(state.authority());
    let attempt = on_blocking_pool({
        let username = username.clone();
        move || async move {
            let result = authority
                .sign_in(&username, &password, client.as_ref(), current.as_ref(), ip)
                .await;
            Ok::<_, ApiError>(result)
        }
    })
    .await;
    let signed_in = match attempt {
        Ok(Ok(PasswordStep::SignedIn(signed_in))) => signed_in,
        Ok(Ok(PasswordStep::SecondFactor(user))) => {
            let next = next.unwrap_or(HOME);
            return second_factor_page(&state, &browser, &user, &pending, next).await;
        }
        Ok(Err(GrantError::Locked(_))) => {
            state.metrics().login_throttled();
            return failed("locked").await;
        }
        Ok(Err(GrantError::BadCredentials | GrantError::Malformed(_))) => {
            state.metrics().login_failed();
            state.throttle().record_ip_failure(ip, Instant::now());
            return failed("bad_credentials").await;
        }
        Ok(Err(_)) | Err(_) => return unavailable(),
    };
    let cookie = browser.session_cookie(&signed_in.cookie_secret);
    if pending.params.client_id.is_none() {
        return see_other(next.unwrap_or(HOME), vec![cookie]);
    }
    let pending = Pending {
        params: pending.params,
        signed_in_at: Some(signed_in.session.auth_time.secs()),
    };
    proceed(
        &state,
        &browser,
        &pending,
        Some(&signed_in.session),
        vec![cookie],
    )
    .await
}

/// The browser, form and pending request (if any) of a sign-in step's POST from our own
/// origin; else the answer: 403 from another site, the sign-in page saying the form expired
/// for a body that cannot be read or a sealed request that does not open.
pub(crate) fn posted<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
    form: Result<Params, ApiError>,
) -> Result<(Browser, Params, Pending), Box<Response>> {
    let Some(browser) = Browser::read(state, headers) else {
        return Err(Box::new(unavailable()));
    };
    if !same_origin(state, headers) {
        return Err(Box::new(cross_site(state, &browser)));
    }
    let Ok(form) = form else {
        return Err(Box::new(expired(state, &browser, &Pending::default())));
    };
    let pending = match form.get("request") {
        Some(sealed) => match Pending::open(state, &browser, sealed) {
            Some(pending) => pending,
            None => return Err(Box::new(expired(state, &browser, &Pending::default()))),
        },
        None => Pending::default(),
    };
    Ok((browser, form, pending))
}

/// The second-factor page after a right password, for the pending request's client.
async fn second_factor_page<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    user: &UserId,
    pending: &Pending,
    next: &str,
) -> Response {
    let checked = match pending.params.client_id {
        Some(_) => state
            .authority()
            .check_authorization(&pending.params)
            .await
            .ok(),
        None => None,
    };
    let client_name = checked.as_ref().map(|(_, client)| client.name.as_str());
    let mut page = second_factor::ask(state, browser, user, client_name, next, pending);
    if let Some((request, _)) = &checked {
        page = page.allow_form_target(&request.redirect_uri);
    }
    page.into_response()
}

/// The sign-in page again, with an error: 401 for credentials, 429 for a lock-out.
async fn failed<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    locale: &str,
    pending: &Pending,
    username: &str,
    next: Option<&str>,
    key: &str,
) -> Response {
    let status = if key == "locked" {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::UNAUTHORIZED
    };
    let checked = match pending.params.client_id {
        Some(_) => state
            .authority()
            .check_authorization(&pending.params)
            .await
            .ok(),
        None => None,
    };
    let values = LoginPage {
        client_name: checked.as_ref().map(|(_, client)| client.name.as_str()),
        username,
        error: Some(state.ui().text(locale, key)),
        next,
    };
    let mut response = page(state, browser, locale, status, &values, pending);
    if let Some((request, _)) = &checked {
        response = response.allow_form_target(&request.redirect_uri);
    }
    response.into_response()
}

/// A form that cannot be trusted (no binding, wrong token, stale request): the sign-in
/// page again, saying so, with a fresh token.
pub(crate) fn expired<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    pending: &Pending,
) -> Response {
    let locale = browser.locale(pending.params.ui_locales.as_deref());
    let values = LoginPage {
        client_name: None,
        username: "",
        error: Some(state.ui().text(locale, "form_expired")),
        next: None,
    };
    page(
        state,
        browser,
        locale,
        StatusCode::BAD_REQUEST,
        &values,
        pending,
    )
    .into_response()
}

/// "Cancel": the client hears `access_denied` (when the request still checks out).
async fn cancel<S: Store>(state: &AppState<S>, browser: &Browser, pending: &Pending) -> Response {
    let locale = browser.locale(pending.params.ui_locales.as_deref());
    match state.authority().check_authorization(&pending.params).await {
        Ok((request, _)) => {
            let denied = state.authority().deny(&request);
            respond(state, browser, locale, &denied, Vec::new())
        }
        Err(_) => see_other("/ui/login", Vec::new()),
    }
}
