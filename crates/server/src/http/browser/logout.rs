//! `GET/POST /oauth/logout`: OpenID Connect RP-initiated logout, and the sign-out button of
//! the account page. A request that proves it comes from the session's client (a valid
//! `id_token_hint` for the signed-in user) signs out at once; any other asks the user first,
//! so that a third-party page cannot sign users out. Signing out ends the whole single
//! sign-on session, and the clients that took part hear of it over the back channel.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tessera_core::Store;
use tessera_core::authority::{LogoutParams, LogoutPlan};
use tessera_core::events::EndReason;
use tessera_core::model::LoginSession;

use super::super::params::Params;
use super::super::{ApiError, AppState};
use super::authorize::current_session;
use super::page::{Browser, Page, bad_request, cross_site, query_params, same_origin, see_other};
use super::unavailable;

/// The purpose of the sign-out form's anti-CSRF token.
pub(crate) const PURPOSE: &str = "logout";
/// The purpose the logout request is sealed for in the confirmation page.
const SEALED: &str = "logout";

/// `GET /oauth/logout`.
#[utoipa::path(get, path = "/oauth/logout", tag = "browser",
    params(tessera_core::authority::LogoutParams),
    responses(
        (status = 200, description = "the confirmation page (the request proves nothing), or the signed-out page", content_type = "text/html"),
        (status = 303, description = "signed out: to the registered `post_logout_redirect_uri` with `state`", headers(("Location" = String), ("Set-Cookie" = String))),
        (status = 400, description = "an error page (repeated parameter, encrypted `id_token_hint`)", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn get<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    match query_params(&uri) {
        Ok(params) => request(&state, &headers, &params).await,
        Err(err) => bad_request(&state, &headers, err.description()),
    }
}

/// `POST /oauth/logout`: a relying party's request (form-encoded), or our own confirmation
/// form (it carries `csrf_token`).
#[utoipa::path(post, path = "/oauth/logout", tag = "browser",
    request_body(content = crate::openapi::LogoutForm, content_type = "application/x-www-form-urlencoded",
        description = "a relying party's request (the parameters of GET), or the confirmation form (`csrf_token`, `request`, `action`)"),
    responses(
        (status = 200, description = "the confirmation page, or the signed-out page", content_type = "text/html"),
        (status = 303, description = "signed out: to the registered `post_logout_redirect_uri`; cancelled: to `/ui/account`", headers(("Location" = String), ("Set-Cookie" = String))),
        (status = 400, description = "the confirmation form expired, a repeated parameter, or an encrypted `id_token_hint`", content_type = "text/html"),
        (status = 403, description = "the confirmation was posted from another site (Origin)", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn post<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    match form {
        Ok(form) if form.get("csrf_token").is_some() => confirmed(&state, &headers, &form).await,
        Ok(form) => request(&state, &headers, &form).await,
        Err(err) => bad_request(&state, &headers, err.description()),
    }
}

fn logout_params(params: &Params) -> LogoutParams {
    let get = |name: &str| params.get(name).map(str::to_owned);
    let mut parsed = LogoutParams::default();
    parsed.id_token_hint = get("id_token_hint");
    parsed.client_id = get("client_id");
    parsed.post_logout_redirect_uri = get("post_logout_redirect_uri");
    parsed.state = get("state");
    parsed.ui_locales = get("ui_locales");
    parsed
}

/// Why an encrypted `id_token_hint` is refused.
const ENCRYPTED_HINT: &str = "id_token_hint is an encrypted ID token, which only the client \
    can decrypt: send the signed ID token inside it, or no hint";

/// True for a hint in the JWE compact form (five parts): an ID token encrypted to the
/// client's own key, which the server cannot open.
fn is_encrypted(hint: &str) -> bool {
    hint.split('.').count() == 5
}

/// A relying party's logout request.
async fn request<S: Store>(state: &AppState<S>, headers: &HeaderMap, params: &Params) -> Response {
    if params.get("id_token_hint").is_some_and(is_encrypted) {
        return bad_request(state, headers, ENCRYPTED_HINT);
    }
    let Some(browser) = Browser::read(state, headers) else {
        return unavailable();
    };
    let params = logout_params(params);
    let locale = browser.locale(params.ui_locales.as_deref());
    let Ok(plan) = state.authority().check_logout(&params).await else {
        return unavailable();
    };
    let session = match current_session(state, &browser).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let Some(session) = session else {
        return finish(state, &browser, locale, &plan);
    };
    if plan.proves(&session.user_id) {
        return sign_out(state, &browser, locale, &session, &plan).await;
    }
    let Ok(json) = serde_json::to_vec(&params) else {
        return unavailable();
    };
    let Ok(sealed) = state
        .authority()
        .seal_browser_state(SEALED, &browser.binding, &json)
    else {
        return unavailable();
    };
    let values = serde_json::json!({
        "title": state.ui().text(locale, "logout_title"),
        "csrf": state.authority().browser_token(PURPOSE, &browser.binding),
        "request": sealed,
    });
    let mut page = Page::render(
        state,
        &browser,
        locale,
        StatusCode::OK,
        "logout.html",
        &values,
    );
    if let Some(uri) = &plan.redirect {
        page = page.allow_form_target(uri);
    }
    page.into_response()
}

/// The confirmation form (or the account page's button) was submitted.
async fn confirmed<S: Store>(state: &AppState<S>, headers: &HeaderMap, form: &Params) -> Response {
    let Some(browser) = Browser::read(state, headers) else {
        return unavailable();
    };
    if !same_origin(state, headers) {
        return cross_site(state, &browser);
    }
    let params: LogoutParams = form
        .get("request")
        .and_then(|sealed| {
            state
                .authority()
                .open_browser_state(SEALED, &browser.binding, sealed)
        })
        .and_then(|json| serde_json::from_slice(&json).ok())
        .unwrap_or_default();
    let locale = browser.locale(params.ui_locales.as_deref());
    let token = form.get("csrf_token").unwrap_or("");
    if !state
        .authority()
        .check_browser_token(PURPOSE, &browser.binding, token)
    {
        let page = Page::error(
            state,
            &browser,
            locale,
            StatusCode::BAD_REQUEST,
            "form_expired",
            None,
        );
        return page.into_response();
    }
    let Ok(plan) = state.authority().check_logout(&params).await else {
        return unavailable();
    };
    let session = match current_session(state, &browser).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    match session {
        Some(session) if form.get("action") != Some("cancel") => {
            sign_out(state, &browser, locale, &session, &plan).await
        }
        Some(_) => see_other("/ui/account", Vec::new()),
        None => finish(state, &browser, locale, &plan),
    }
}

/// Ends the session (and its families, queuing back-channel notices), clears the cookie,
/// wakes the deliverer, and goes on.
async fn sign_out<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    locale: &str,
    session: &LoginSession,
    plan: &LogoutPlan,
) -> Response {
    if state
        .authority()
        .end_browser_session(session, EndReason::Logout)
        .await
        .is_err()
    {
        return unavailable();
    }
    state.logout_notices().notify_one();
    let clear = browser.clear_session_cookie();
    match &plan.redirect {
        Some(uri) => see_other(uri, vec![clear]),
        None => logged_out(state, browser, locale)
            .with_cookie(clear)
            .into_response(),
    }
}

/// Nothing (more) to end: back to the client, or the signed-out page.
fn finish<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    locale: &str,
    plan: &LogoutPlan,
) -> Response {
    match &plan.redirect {
        Some(uri) => see_other(uri, vec![browser.clear_session_cookie()]),
        None => logged_out(state, browser, locale)
            .with_cookie(browser.clear_session_cookie())
            .into_response(),
    }
}

fn logged_out<S: Store>(state: &AppState<S>, browser: &Browser, locale: &str) -> Page {
    let values = serde_json::json!({ "title": state.ui().text(locale, "logged_out_title") });
    Page::render(
        state,
        browser,
        locale,
        StatusCode::OK,
        "logged_out.html",
        &values,
    )
}
