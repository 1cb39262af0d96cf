//! `/ui/admin/webhooks`: the operator console's security-event receivers: each with its
//! delivery state (position in the trail, failed attempts, last error, dead letters), a
//! form to send its dead letters again and one to remove it; and the form to add one.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde::Serialize;
use tessera_core::Store;
use tessera_core::error::AdminError;
use tessera_core::model::EventKind;

use super::super::params::Params;
use super::super::{ApiError, AppState};
use super::admin_console::{Admin, Outcome, admin_form, admin_page, console_page, segment, utc};
use super::page::see_other;

/// The notices a redirect back to the page may name (`?notice=`).
const NOTICES: [&str; 3] = [
    "admin_webhook_added",
    "admin_webhook_removed",
    "admin_webhook_replayed",
];

#[derive(Serialize)]
struct WebhookRow {
    id: String,
    path: String,
    url: String,
    events: String,
    created: String,
    cursor: i64,
    attempts: u32,
    last_error: Option<String>,
    dead_letters: usize,
}

/// `GET /ui/admin/webhooks`.
#[utoipa::path(get, path = "/ui/admin/webhooks", tag = "browser",
    params(("notice" = Option<String>, Query, description = "what the previous form did (admin_webhook_added, …)")),
    responses(
        (status = 200, description = "the receivers with their delivery state and dead letters, and the forms", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 400, description = "the query cannot be read (a repeated or malformed parameter)", content_type = "text/html"),
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
    render(&state, &admin, Outcome::from_notice(&params, &NOTICES)).await
}

/// `POST /ui/admin/webhooks`: add a receiver (`url`; `events`, the types it receives,
/// empty for every type).
#[utoipa::path(post, path = "/ui/admin/webhooks", tag = "browser",
    request_body(content = crate::openapi::AdminWebhookForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "added: back to the page", headers(("Location" = String))),
        (status = 400, description = "the URL is refused (https, or http to a loopback host), an unknown event type, too many receivers, or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, or not an administrator", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn add<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (admin, form) = match admin_form(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let mut kinds = Vec::new();
    for name in form.get("events").unwrap_or("").split([' ', ',']) {
        match name.parse::<EventKind>() {
            Ok(kind) => kinds.push(kind),
            Err(_) if name.is_empty() => {}
            Err(_) => {
                let detail = Some(name.chars().take(64).collect());
                let outcome =
                    Outcome::Error("admin_events_bad_type", detail, StatusCode::BAD_REQUEST);
                return render(&state, &admin, outcome).await;
            }
        }
    }
    let url = form.get("url").unwrap_or("").trim();
    let result = state
        .authority()
        .add_webhook(url, &kinds, &admin.actor())
        .await;
    answer(&state, &admin, result.map(|_| ()), "admin_webhook_added").await
}

/// `POST /ui/admin/webhooks/{id}/replay`: send the receiver's dead letters again, in order.
#[utoipa::path(post, path = "/ui/admin/webhooks/{id}/replay", tag = "browser",
    params(("id" = String, Path, description = "the receiver's id")),
    request_body(content = crate::openapi::AdminUserForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "queued again: back to the page", headers(("Location" = String))),
        (status = 400, description = "the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, or not an administrator", content_type = "text/html"),
        (status = 404, description = "no such receiver", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn replay<S: Store>(
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (admin, _) = match admin_form(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let result = state.authority().replay_webhook(&id).await;
    answer(&state, &admin, result.map(|_| ()), "admin_webhook_replayed").await
}

/// `POST /ui/admin/webhooks/{id}/delete`: remove the receiver, once confirmed.
#[utoipa::path(post, path = "/ui/admin/webhooks/{id}/delete", tag = "browser",
    params(("id" = String, Path, description = "the receiver's id")),
    request_body(content = crate::openapi::AdminDeleteForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "removed: back to the page", headers(("Location" = String))),
        (status = 400, description = "not confirmed, or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, or not an administrator", content_type = "text/html"),
        (status = 404, description = "no such receiver", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn delete<S: Store>(
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (admin, form) = match admin_form(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    if form.get("confirm") != Some("yes") {
        let outcome = Outcome::Error("admin_confirm_missing", None, StatusCode::BAD_REQUEST);
        return render(&state, &admin, outcome).await;
    }
    let result = state.authority().remove_webhook(&id, &admin.actor()).await;
    answer(&state, &admin, result, "admin_webhook_removed").await
}

async fn answer<S: Store>(
    state: &AppState<S>,
    admin: &Admin,
    result: Result<(), AdminError>,
    notice: &str,
) -> Response {
    match result {
        Ok(()) => see_other(&format!("/ui/admin/webhooks?notice={notice}"), Vec::new()),
        Err(err) => match Outcome::refusal(err) {
            Some(outcome) => render(state, admin, outcome).await,
            None => super::unavailable(),
        },
    }
}

async fn render<S: Store>(state: &AppState<S>, admin: &Admin, outcome: Outcome) -> Response {
    let Ok(webhooks) = state.authority().webhooks().await else {
        return super::unavailable();
    };
    let rows: Vec<WebhookRow> = webhooks
        .iter()
        .map(|w| WebhookRow {
            id: w.id.to_string(),
            path: format!("/ui/admin/webhooks/{}", segment(w.id.as_str())),
            url: w.url.clone(),
            events: w
                .kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            created: utc(w.created_at),
            cursor: w.cursor,
            attempts: w.attempts,
            last_error: w.last_error.clone(),
            dead_letters: w.dead_letters.len(),
        })
        .collect();
    let kinds: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
    let values = serde_json::json!({ "webhooks": rows, "kinds": kinds });
    console_page(
        state,
        admin,
        "admin_webhooks.html",
        "admin_webhooks",
        outcome,
        values,
    )
}
