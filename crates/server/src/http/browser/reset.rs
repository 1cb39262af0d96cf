//! `/ui/reset`: setting a new password through a reset link an administrator made in the
//! console. The link's token travels in the query once, then as a hidden form field; the
//! page is never cached and sends no referrer.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tessera_core::Store;
use tessera_core::error::AccountError;
use tessera_core::model::User;

use super::super::blocking::on_blocking_pool;
use super::super::params::Params;
use super::super::{ApiError, AppState};
use super::page::{Browser, Page, bad_request, cross_site, query_params, same_origin};
use super::unavailable;

/// The purpose of the reset form's anti-CSRF token.
const PURPOSE: &str = "reset";

/// `GET /ui/reset?token=…`: the form to choose a new password, while the link works.
#[utoipa::path(get, path = "/ui/reset", tag = "browser",
    params(("token" = String, Query, description = "the reset link's token")),
    responses(
        (status = 200, description = "the new-password form", content_type = "text/html"),
        (status = 400, description = "the link does not work: expired, used, or malformed", content_type = "text/html"),
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
    let token = params.get("token").unwrap_or("");
    match state.authority().reset_link_user(token).await {
        Ok(Some(user)) => password_form(&state, &browser, &user, token, None),
        Ok(None) => link_refused(&state, &browser),
        Err(_) => unavailable(),
    }
}

/// `POST /ui/reset`: set the new password; every session of the account ends.
#[utoipa::path(post, path = "/ui/reset", tag = "browser",
    request_body(content = crate::openapi::ResetForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "the password is set: a page saying so, with the way to sign in", content_type = "text/html"),
        (status = 400, description = "the link does not work, the password is refused, or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site (Origin)", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn submit<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let Some(browser) = Browser::read(&state, &headers) else {
        return unavailable();
    };
    if !same_origin(&state, &headers) {
        return cross_site(&state, &browser);
    }
    let form = form.ok().filter(|form| {
        let token = form.get("csrf_token").unwrap_or("");
        state
            .authority()
            .check_browser_token(PURPOSE, &browser.binding, token)
    });
    let Some(form) = form else {
        let locale = browser.locale(None);
        let page = Page::error(
            &state,
            &browser,
            locale,
            StatusCode::BAD_REQUEST,
            "form_expired",
            None,
        );
        return page.into_response();
    };
    let token = form.get("token").unwrap_or("").to_owned();
    let new = form.get("new_password").unwrap_or("").to_owned();
    let authority = Arc::clone(state.authority());
    let for_reset = token.clone();
    let result = on_blocking_pool(move || async move {
        Ok::<_, ApiError>(authority.reset_password(&for_reset, &new).await)
    })
    .await;
    match result {
        Ok(Ok(_)) => {
            state.logout_notices().notify_one();
            let locale = browser.locale(None);
            let ui = state.ui();
            let values = serde_json::json!({
                "title": ui.text(locale, "reset_title"),
                "done": true,
            });
            Page::render(
                &state,
                &browser,
                locale,
                StatusCode::OK,
                "reset.html",
                &values,
            )
            .into_response()
        }
        Ok(Err(AccountError::BadPassword(_))) => {
            match state.authority().reset_link_user(&token).await {
                Ok(Some(user)) => {
                    password_form(&state, &browser, &user, &token, Some("bad_new_password"))
                }
                Ok(None) => link_refused(&state, &browser),
                Err(_) => unavailable(),
            }
        }
        Ok(Err(AccountError::ResetLinkInvalid)) => link_refused(&state, &browser),
        Ok(Err(_)) | Err(_) => unavailable(),
    }
}

/// The new-password form for `user`, saying `error` (400) if there is one.
fn password_form<S: Store>(
    state: &AppState<S>,
    browser: &Browser,
    user: &User,
    token: &str,
    error: Option<&str>,
) -> Response {
    let locale = browser.locale(None);
    let ui = state.ui();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let values = serde_json::json!({
        "title": ui.text(locale, "reset_title"),
        "username": user.username,
        "token": token,
        "error": error.map(|key| ui.text(locale, key)),
        "csrf": state.authority().browser_token(PURPOSE, &browser.binding),
    });
    Page::render(state, browser, locale, status, "reset.html", &values).into_response()
}

/// The 400 page for a link that does not work.
fn link_refused<S: Store>(state: &AppState<S>, browser: &Browser) -> Response {
    let locale = browser.locale(None);
    Page::error(
        state,
        browser,
        locale,
        StatusCode::BAD_REQUEST,
        "reset_link_invalid",
        None,
    )
    .into_response()
}
