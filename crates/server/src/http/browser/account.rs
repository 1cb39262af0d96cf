//! `GET /ui/account`: who is signed in in this browser, their signed-in browsers, and the
//! sign-out button.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tessera_core::Store;
use tessera_core::model::Timestamp;
use time::OffsetDateTime;
use time::macros::format_description;

use super::super::AppState;
use super::authorize::current_session;
use super::page::{Browser, Page, see_other};
use super::unavailable;

#[derive(Serialize)]
struct SessionRow {
    started: String,
    last_seen: String,
    current: bool,
}

/// `GET /ui/account`; the sign-in page first when the browser is not signed in.
pub async fn show<S: Store>(State(state): State<AppState<S>>, headers: HeaderMap) -> Response {
    let Some(browser) = Browser::read(&state, &headers) else {
        return unavailable();
    };
    let session = match current_session(&state, &browser).await {
        Ok(Some(session)) => session,
        Ok(None) => return see_other("/ui/login", Vec::new()),
        Err(response) => return response,
    };
    let authority = state.authority();
    let (Ok(Some(user)), Ok(sessions)) = (
        authority.browser_user(&session).await,
        authority.browser_sessions_of(&session.user_id).await,
    ) else {
        return unavailable();
    };
    let locale = browser.locale(None);
    let rows: Vec<SessionRow> = sessions
        .iter()
        .map(|s| SessionRow {
            started: utc(s.created_at),
            last_seen: utc(s.last_seen_at),
            current: s.id == session.id,
        })
        .collect();
    let values = serde_json::json!({
        "title": state.ui().text(locale, "account_title"),
        "username": user.username,
        "sessions": rows,
        "csrf": authority.browser_token(super::logout::PURPOSE, &browser.binding),
    });
    Page::render(
        &state,
        &browser,
        locale,
        StatusCode::OK,
        "account.html",
        &values,
    )
    .into_response()
}

/// `2026-12-07 04:05 UTC`.
fn utc(at: Timestamp) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    OffsetDateTime::from_unix_timestamp(at.secs())
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}
