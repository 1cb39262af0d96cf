//! `GET/POST /oauth/authorize`: the authorization code flow's front door. A valid request
//! from a signed-in browser that needs no page goes straight back to the client with a
//! code; otherwise the sign-in or consent page is shown, carrying the request sealed.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tessera_core::Store;
use tessera_core::authority::{
    AuthorizationParams, AuthorizationResponse, AuthorizeNext, ResponseMode,
};
use tessera_core::error::AuthorizeError;
use tessera_core::model::{Client, LoginSession};

use super::super::AppState;
use super::super::params::Params;
use super::page::{Browser, Page, bad_request, query_params, see_other};
use super::{login, unavailable};

/// The purpose the pending request is sealed for.
pub(crate) const PENDING: &str = "authorize";

/// A request waiting for the user, sealed into the page's `request` field.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct Pending {
    /// The request as the client sent it (checked again on every step).
    pub(crate) params: AuthorizationParams,
    /// The `auth_time` of the sign-in that happened in this flow, if one did.
    #[serde(default)]
    pub(crate) signed_in_at: Option<i64>,
}

impl Pending {
    /// Seals the pending request for `browser`.
    pub(crate) fn seal<S: Store>(&self, state: &AppState<S>, browser: &Browser) -> Option<String> {
        let json = serde_json::to_vec(self).ok()?;
        state
            .authority()
            .seal_browser_state(PENDING, &browser.binding, &json)
            .ok()
    }

    /// Opens what [`Pending::seal`] made for this browser.
    pub(crate) fn open<S: Store>(
        state: &AppState<S>,
        browser: &Browser,
        sealed: &str,
    ) -> Option<Self> {
        let json = state
            .authority()
            .open_browser_state(PENDING, &browser.binding, sealed)?;
        serde_json::from_slice(&json).ok()
    }
}

/// `GET /oauth/authorize`.
#[utoipa::path(get, path = "/oauth/authorize", tag = "browser",
    params(tessera_core::authority::AuthorizationParams),
    responses(
        (status = 200, description = "the sign-in or consent page, or (response_mode=form_post) a page that posts the response to the client", content_type = "text/html"),
        (status = 303, description = "back to the client's redirect URI with `code`, `state` and `iss`, or with `error`", headers(("Location" = String))),
        (status = 400, description = "an error page: a request that cannot be sent back to a client (unknown client, unregistered redirect URI, repeated parameter)", content_type = "text/html"),
        (status = 503, description = "the store cannot be reached; Retry-After", content_type = "text/html"),
    ))]
pub async fn get<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    match query_params(&uri) {
        Ok(params) => start(&state, &headers, &params).await,
        Err(err) => bad_request(&state, &headers, err.description()),
    }
}

/// `POST /oauth/authorize` (the same parameters, form-encoded).
#[utoipa::path(post, path = "/oauth/authorize", tag = "browser",
    request_body(content = tessera_core::authority::AuthorizationParams, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "the sign-in or consent page, or (response_mode=form_post) a page that posts the response to the client", content_type = "text/html"),
        (status = 303, description = "back to the client's redirect URI with `code`, `state` and `iss`, or with `error`", headers(("Location" = String))),
        (status = 400, description = "an error page: a request that cannot be sent back to a client", content_type = "text/html"),
        (status = 503, description = "the store cannot be reached; Retry-After", content_type = "text/html"),
    ))]
pub async fn post<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    params: Result<Params, super::super::ApiError>,
) -> Response {
    match params {
        Ok(params) => start(&state, &headers, &params).await,
        Err(err) => bad_request(&state, &headers, err.description()),
    }
}

async fn start<S: Store>(state: &AppState<S>, headers: &HeaderMap, params: &Params) -> Response {
    let Some(browser) = Browser::read(state, headers) else {
        return unavailable();
    };
    let pending = Pending {
        params: authorization_params(params),
        signed_in_at: None,
    };
    let session = match current_session(state, &browser).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    proceed(state, &browser, &pending, session.as_ref(), Vec::new()).await
}

/// The request's parameters as the authority reads them.
fn authorization_params(params: &Params) -> AuthorizationParams {
    let get = |name: &str| params.get(name).map(str::to_owned);
    let mut parsed = AuthorizationParams::default();
    parsed.response_type = get("response_type");
    parsed.client_id = get("client_id");
    parsed.redirect_uri = get("redirect_uri");
    parsed.scope = get("scope");
    parsed.state = get("state");
    parsed.nonce = get("nonce");
    parsed.code_challenge = get("code_challenge");
    parsed.code_challenge_method = get("code_challenge_method");
    parsed.response_mode = get("response_mode");
    parsed.prompt = get("prompt");
    parsed.max_age = get("max_age");
    parsed.login_hint = get("login_hint");
    parsed.ui_locales = get("ui_locales");
    parsed.acr_values = get("acr_values");
    parsed.request = get("request");
    parsed.request_uri = get("request_uri");
    parsed
}

/// The browser's live session, if its cookie names one.
pub(crate) async fn current_session<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
) -> Result<Option<LoginSession>, Response> {
    let Some(secret) = &browser.session_secret else {
        return Ok(None);
    };
    state
        .authority()
        .browser_session(secret)
        .await
        .map_err(|_| unavailable())
}

/// Takes a pending request one step further for `session`: an error page, a redirect back
/// to the client, or the sign-in or consent page. `cookies` go on whatever is answered.
pub(crate) async fn proceed<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    pending: &Pending,
    session: Option<&LoginSession>,
    cookies: Vec<String>,
) -> Response {
    let locale = browser.locale(pending.params.ui_locales.as_deref());
    let authority = state.authority();
    let (request, client) = match authority.check_authorization(&pending.params).await {
        Ok(checked) => checked,
        Err(err) => return refused(state, browser, locale, err, cookies),
    };
    let just_signed_in = match (session, pending.signed_in_at) {
        (Some(session), Some(at)) => session.auth_time.secs() == at,
        _ => false,
    };
    match authority
        .authorize(&request, &client, session, just_signed_in)
        .await
    {
        Ok(AuthorizeNext::Respond(response)) => respond(state, browser, locale, &response, cookies),
        Ok(AuthorizeNext::SignIn) => {
            let values = login::LoginPage {
                client_name: Some(client.name.as_str()),
                username: request.login_hint.as_deref().unwrap_or(""),
                error: None,
                next: None,
            };
            let page = login::page(state, browser, locale, StatusCode::OK, &values, pending);
            with_cookies(page.allow_form_target(&request.redirect_uri), cookies)
        }
        Ok(AuthorizeNext::Consent { client, scope }) => {
            let Some(session) = session else {
                return unavailable();
            };
            let pending = Pending {
                params: pending.params.clone(),
                signed_in_at: just_signed_in.then(|| session.auth_time.secs()),
            };
            let page =
                consent_page(state, browser, locale, &client, &scope, session, &pending).await;
            with_cookies(page.allow_form_target(&request.redirect_uri), cookies)
        }
        Ok(AuthorizeNext::SecondFactor) => {
            let Some(session) = session else {
                return unavailable();
            };
            let pending = Pending {
                params: pending.params.clone(),
                signed_in_at: None,
            };
            let page = super::second_factor::ask(
                state,
                browser,
                &session.user_id,
                Some(client.name.as_str()),
                "/ui/account",
                &pending,
            );
            with_cookies(page.allow_form_target(&request.redirect_uri), cookies)
        }
        Ok(AuthorizeNext::SetUpSecondFactor) => {
            let page = set_up_second_factor(state, browser, locale, Some(&client.name));
            with_cookies(page, cookies)
        }
        Ok(_) => unavailable(),
        Err(err) => refused(state, browser, locale, err, cookies),
    }
}

/// 403: a second factor is required (by `client`, or by the console when `None`) and the
/// user has none; the page sends them to set one up on their account page.
pub(crate) fn set_up_second_factor<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    locale: &str,
    client: Option<&str>,
) -> Page {
    let values = serde_json::json!({
        "title": state.ui().text(locale, "second_factor_setup_title"),
        "client_name": client,
    });
    Page::render(
        state,
        browser,
        locale,
        StatusCode::FORBIDDEN,
        "second_factor_setup.html",
        &values,
    )
}

fn with_cookies(mut page: Page, cookies: Vec<String>) -> Response {
    for cookie in cookies {
        page = page.with_cookie(cookie);
    }
    page.into_response()
}

/// Each scope of `scope` in words, as the consent and device pages list them.
pub(crate) fn scope_texts<S: Store>(
    state: &AppState<S>,
    locale: &str,
    scope: &tessera_core::scope::Scope,
) -> Vec<String> {
    let ui = state.ui();
    scope
        .tokens()
        .iter()
        .map(|token| {
            let key = format!("scope_{token}");
            let text = ui.text(locale, &key);
            if text == key {
                ui.text(locale, "scope_other").replace("{scope}", token)
            } else {
                text
            }
        })
        .collect()
}

/// What the consent page shows: the client, each scope in words, and who is signed in.
async fn consent_page<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    locale: &str,
    client: &Client,
    scope: &tessera_core::scope::Scope,
    session: &LoginSession,
    pending: &Pending,
) -> Page {
    let ui = state.ui();
    let scopes = scope_texts(state, locale, scope);
    let username = match state.authority().browser_user(session).await {
        Ok(Some(user)) => user.username,
        _ => String::new(),
    };
    let Some(sealed) = pending.seal(state, browser) else {
        return Page::plain(StatusCode::SERVICE_UNAVAILABLE, "try again");
    };
    let values = serde_json::json!({
        "title": ui.text(locale, "consent_title"),
        "client_name": client.name,
        "scopes": scopes,
        "username": username,
        "csrf": state.authority().browser_token(super::consent::PURPOSE, &browser.binding),
        "request": sealed,
    });
    Page::render(
        state,
        browser,
        locale,
        StatusCode::OK,
        "consent.html",
        &values,
    )
}

/// Sends the browser back to the client with `response`: a redirect, or a page that posts
/// the form (`response_mode=form_post`).
pub(crate) fn respond<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    locale: &str,
    response: &AuthorizationResponse,
    cookies: Vec<String>,
) -> Response {
    match response.mode {
        ResponseMode::Query => see_other(&response.location(), cookies),
        ResponseMode::FormPost => {
            let values = serde_json::json!({
                "title": state.ui().text(locale, "continue"),
                "action": response.redirect_uri,
                "params": response.params,
            });
            let page = Page::render(
                state,
                browser,
                locale,
                StatusCode::OK,
                "form_post.html",
                &values,
            )
            .allow_form_target(&response.redirect_uri);
            with_cookies(page, cookies)
        }
    }
}

/// A request that cannot go on: back to the client when it can be trusted with the answer,
/// else an error page.
fn refused<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    locale: &str,
    err: AuthorizeError,
    cookies: Vec<String>,
) -> Response {
    match err {
        AuthorizeError::Redirect(response) => respond(state, browser, locale, &response, cookies),
        AuthorizeError::Page(why) => with_cookies(
            Page::error(
                state,
                browser,
                locale,
                StatusCode::BAD_REQUEST,
                "error_bad_request",
                Some(why),
            ),
            cookies,
        ),
        other => {
            tracing::warn!(error = %tessera_core::error::chain(&other), "authorization failed");
            unavailable()
        }
    }
}
