//! `POST /ui/consent`: the user allows or denies what a client asked for.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tessera_core::Store;

use super::super::params::Params;
use super::super::{ApiError, AppState};
use super::authorize::{Pending, current_session, proceed, respond};
use super::page::{Browser, Page, cross_site, same_origin};
use super::unavailable;

/// The purpose of the consent form's anti-CSRF token.
pub(crate) const PURPOSE: &str = "consent";

/// `POST /ui/consent`.
#[utoipa::path(post, path = "/ui/consent", tag = "browser",
    request_body(content = crate::openapi::ConsentForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "the next page (sign-in again, or a page that posts the response to the client)", content_type = "text/html"),
        (status = 303, description = "back to the client with `code`, or with `error=access_denied` when denied", headers(("Location" = String))),
        (status = 400, description = "the form expired", content_type = "text/html"),
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
    let locale = browser.locale(None);
    let expired = |state: &AppState<S>, browser: &Browser| {
        Page::error(
            state,
            browser,
            locale,
            StatusCode::BAD_REQUEST,
            "form_expired",
            None,
        )
        .into_response()
    };
    if !same_origin(&state, &headers) {
        return cross_site(&state, &browser);
    }
    let Ok(form) = form else {
        return expired(&state, &browser);
    };
    let token = form.get("csrf_token").unwrap_or("");
    let pending = form
        .get("request")
        .and_then(|sealed| Pending::open(&state, &browser, sealed));
    let trusted = state
        .authority()
        .check_browser_token(PURPOSE, &browser.binding, token);
    let (Some(pending), true) = (pending, trusted) else {
        return expired(&state, &browser);
    };
    let session = match current_session(&state, &browser).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let locale = browser.locale(pending.params.ui_locales.as_deref());
    let Some(session) = session else {
        // Signed out meanwhile: start again, which shows the sign-in page.
        return proceed(&state, &browser, &pending, None, Vec::new()).await;
    };
    let Ok((request, _)) = state.authority().check_authorization(&pending.params).await else {
        return proceed(&state, &browser, &pending, Some(&session), Vec::new()).await;
    };
    if form.get("decision") != Some("allow") {
        let denied = state.authority().deny(&request);
        return respond(&state, &browser, locale, &denied, Vec::new());
    }
    if state
        .authority()
        .grant_consent(&request, &session)
        .await
        .is_err()
    {
        return unavailable();
    }
    proceed(&state, &browser, &pending, Some(&session), Vec::new()).await
}
