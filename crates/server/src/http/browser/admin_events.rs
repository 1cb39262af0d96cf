//! `/ui/admin/events`: the operator console's view of the audit trail, oldest first, in
//! pages of 50 events (the next page starts after the last event shown), filtered by
//! type, account, client and time range.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tessera_core::Store;
use tessera_core::model::{EventKind, EventQuery, UnixMillis};

use super::super::AppState;
use super::super::params::Params;
use super::admin_console::{Admin, admin_page};
use super::page::Page;
use super::unavailable;

/// Events per page.
const PAGE_SIZE: u32 = 50;

/// `GET /ui/admin/events`; the sign-in page first when the browser is not signed in.
#[utoipa::path(get, path = "/ui/admin/events", tag = "browser",
    params(
        ("type" = Option<String>, Query, description = "only events of this type (login_failed, …)"),
        ("user" = Option<String>, Query, description = "only events about this account id"),
        ("client" = Option<String>, Query, description = "only events involving this client_id"),
        ("since" = Option<String>, Query, description = "RFC 3339: only events at or after"),
        ("until" = Option<String>, Query, description = "RFC 3339: only events before"),
        ("after" = Option<i64>, Query, description = "the id of the last event of the previous page")),
    responses(
        (status = 200, description = "a page of the audit trail, oldest first, with the filter form", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 400, description = "an unknown type, a malformed time or cursor", content_type = "text/html"),
        (status = 403, description = "the account lacks the admin role", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn show<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (params, admin) = match admin_page(&state, &headers, &uri).await {
        Ok(page) => page,
        Err(response) => return response,
    };
    let query = match event_query(&params) {
        Ok(query) => query,
        Err(key) => return refused(&state, &admin, key),
    };
    let Ok(events) = state.authority().events(&query).await else {
        return unavailable();
    };
    let next = (u32::try_from(events.len()) == Ok(PAGE_SIZE))
        .then(|| events.last().map(|e| next_link(&params, e.id)))
        .flatten();
    let locale = admin.browser.locale(None);
    let ui = state.ui();
    let values = serde_json::json!({
        "title": ui.text(locale, "admin_events_title"),
        "events": events,
        "kinds": kinds(),
        "type": params.get("type").unwrap_or(""),
        "user": params.get("user").unwrap_or(""),
        "client": params.get("client").unwrap_or(""),
        "since": params.get("since").unwrap_or(""),
        "until": params.get("until").unwrap_or(""),
        "next": next,
    });
    Page::render(
        &state,
        &admin.browser,
        locale,
        StatusCode::OK,
        "admin_events.html",
        &values,
    )
    .into_response()
}

#[derive(Serialize)]
struct Kind {
    name: &'static str,
}

fn kinds() -> Vec<Kind> {
    EventKind::ALL
        .iter()
        .map(|k| Kind { name: k.as_str() })
        .collect()
}

/// The filters; else the catalogue key of what is wrong.
fn event_query(params: &Params) -> Result<EventQuery, &'static str> {
    let kinds = match params.get("type").filter(|t| !t.is_empty()) {
        Some(name) => vec![
            name.parse::<EventKind>()
                .map_err(|_| "admin_events_bad_type")?,
        ],
        None => Vec::new(),
    };
    let time = |name: &str, wrong: &'static str| match params.get(name).filter(|t| !t.is_empty()) {
        Some(text) => UnixMillis::parse_rfc3339(text).map(Some).ok_or(wrong),
        None => Ok(None),
    };
    let since = time("since", "admin_events_bad_since")?;
    let until = time("until", "admin_events_bad_until")?;
    let named = |name: &str| params.get(name).map(str::trim).filter(|v| !v.is_empty());
    let after = match params.get("after") {
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or("error_bad_request")?,
        None => 0,
    };
    Ok(EventQuery {
        after,
        kinds,
        user: named("user").map(Into::into),
        client: named("client").map(Into::into),
        since,
        until,
        limit: PAGE_SIZE,
    })
}

/// The link to the page after event `last`, with the same filters.
fn next_link(params: &Params, last: i64) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for name in ["type", "user", "client", "since", "until"] {
        if let Some(value) = params.get(name) {
            query.append_pair(name, value);
        }
    }
    query.append_pair("after", &last.to_string());
    format!("/ui/admin/events?{}", query.finish())
}

/// The 400 error page saying `key`.
fn refused<S: Store>(state: &AppState<S>, admin: &Admin, key: &str) -> Response {
    let locale = admin.browser.locale(None);
    Page::error(
        state,
        &admin.browser,
        locale,
        StatusCode::BAD_REQUEST,
        key,
        None,
    )
    .into_response()
}
