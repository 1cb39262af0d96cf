//! `GET /admin/events`: the audit trail, filtered and paged by cursor.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde::Serialize;
use tessera_core::Store;
use tessera_core::model::{AuditEvent, EventKind, EventQuery, MAX_EVENT_PAGE, UnixMillis};

use super::AppState;
use super::bearer::Admin;
use super::browser::page::query_params;
use super::error::ApiError;
use super::params::{Params, printable};

/// The query parameters `GET /admin/events` reads.
const FILTERS: &[&str] = &["type", "user", "client", "since", "until", "after", "limit"];

/// An event as the API shows it (the JSON of [`AuditEvent`]; for the API document only).
#[derive(utoipa::ToSchema)]
#[schema(as = AuditEvent)]
#[allow(dead_code)]
pub struct EventSchema {
    /// Its place in the trail (the pagination cursor).
    id: i64,
    /// What happened (`login_failed`, `user_created`, …).
    #[schema(rename = "type")]
    kind: String,
    /// When, RFC 3339 in UTC with milliseconds.
    time: String,
    /// The account it concerns.
    user: Option<String>,
    /// The client involved.
    client: Option<String>,
    /// The address of the request that caused it.
    ip: Option<String>,
    /// Who made the change: an account id, `cli` or `system`.
    actor: Option<String>,
    /// A reason code or name (`wrong_password`, a `kid`).
    detail: Option<String>,
}

/// One page of the audit trail.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EventPage {
    /// The events, oldest first.
    #[schema(value_type = Vec<EventSchema>)]
    pub events: Vec<AuditEvent>,
    /// Pass as `after` for the next page: the id of the last event here, or the `after`
    /// given when there was none.
    pub cursor: i64,
    /// True when the page is full: more events may follow at once.
    pub more: bool,
}

/// `GET /admin/events`: security events, oldest first. Filters: `type` (comma-separated
/// names), `user` (an account id), `client`, `since` and `until` (RFC 3339), `after` (the
/// previous page's `cursor`), `limit` (1 to 1000, default 1000).
#[utoipa::path(get, path = "/admin/events", tag = "admin", security(("bearer" = [])),
    params(
        ("type" = Option<String>, Query, description = "event types, comma-separated (login_failed,logout)"),
        ("user" = Option<String>, Query, description = "an account id"),
        ("client" = Option<String>, Query, description = "a client_id"),
        ("since" = Option<String>, Query, description = "RFC 3339: events at or after"),
        ("until" = Option<String>, Query, description = "RFC 3339: events before"),
        ("after" = Option<i64>, Query, description = "the cursor of the previous page"),
        ("limit" = Option<u32>, Query, description = "1 to 1000 (default 1000)")),
    responses((status = 200, description = "a page of events", body = EventPage),
        (status = 400, description = "invalid_request: an unknown parameter or a malformed value", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_token: no valid access token", body = crate::http::error::ErrorBody),
        (status = 403, description = "insufficient_scope: the admin role is required", body = crate::http::error::ErrorBody)))]
#[tracing::instrument(skip_all, fields(admin = %claims.sub))]
pub async fn list_events<S: Store>(
    State(state): State<AppState<S>>,
    Admin(claims): Admin,
    uri: Uri,
) -> Result<Response, ApiError> {
    let query = event_query(&query_params(&uri)?)?;
    let events = state.authority().events(&query).await?;
    let more = u32::try_from(events.len()).is_ok_and(|n| n == query.page_size());
    let cursor = events.last().map_or(query.after, |e| e.id);
    let page = EventPage {
        events,
        cursor,
        more,
    };
    Ok(super::admin::json_no_store(StatusCode::OK, &page))
}

/// Reads the filters, refusing unknown parameters (a misspelt filter must not widen the
/// answer to every event).
fn event_query(params: &Params) -> Result<EventQuery, ApiError> {
    if let Some(unknown) = params.names().find(|name| !FILTERS.contains(name)) {
        return Err(ApiError::invalid_request(format!(
            "unknown parameter {}; the filters are {}",
            printable(unknown),
            FILTERS.join(", ")
        )));
    }
    let time = |name: &'static str| -> Result<Option<UnixMillis>, ApiError> {
        params
            .get(name)
            .map(|text| {
                UnixMillis::parse_rfc3339(text).ok_or_else(|| {
                    ApiError::invalid_request(format!(
                        "{name} must be an RFC 3339 time (2026-12-07T10:00:00Z)"
                    ))
                })
            })
            .transpose()
    };
    let number = |name: &'static str, max: i64| -> Result<i64, ApiError> {
        match params.get(name) {
            None => Ok(0),
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid_request(format!("{name} must be a number from 0 to {max}"))
                }),
        }
    };
    Ok(EventQuery {
        after: number("after", i64::MAX)?,
        kinds: kinds(params.get("type"))?,
        user: params.get("user").map(Into::into),
        client: params.get("client").map(Into::into),
        since: time("since")?,
        until: time("until")?,
        limit: u32::try_from(number("limit", i64::from(MAX_EVENT_PAGE))?).unwrap_or(0),
    })
}

/// Parses `type`: event names separated by commas.
fn kinds(list: Option<&str>) -> Result<Vec<EventKind>, ApiError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    let mut kinds = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let kind = name.parse::<EventKind>().map_err(|_| {
            let known: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
            ApiError::invalid_request(format!(
                "unknown event type {}; known types: {}",
                printable(name),
                known.join(", ")
            ))
        })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::params::strict_pairs;

    fn parse(query: &str) -> Result<EventQuery, ApiError> {
        event_query(&Params::from_pairs(strict_pairs(query.as_bytes())?)?)
    }

    #[test]
    fn filters_are_read_and_junk_is_refused() {
        let query = parse(
            "type=login_failed,logout,logout&user=u_1&since=2026-12-07T10:00:00Z&after=5&limit=20",
        )
        .expect("parsed");
        assert_eq!(query.kinds, [EventKind::LoginFailed, EventKind::Logout]);
        assert_eq!(query.user.as_ref().map(|u| u.as_str()), Some("u_1"));
        assert_eq!((query.after, query.limit), (5, 20));
        assert!(query.since.is_some() && query.until.is_none());
        for junk in [
            "types=logout",
            "type=login",
            "since=yesterday",
            "limit=1001",
            "limit=-1",
            "after=x",
            "type=logout&type=logout",
        ] {
            assert!(parse(junk).is_err(), "{junk} was accepted");
        }
        assert_eq!(parse("").expect("no filter"), EventQuery::default());
    }
}
