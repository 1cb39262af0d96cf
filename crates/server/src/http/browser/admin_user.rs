//! `/ui/admin/users/{username}`: one account in the operator console: its details, its
//! roles (editable), its live sessions (each can be ended, or all), and the forms to lift
//! a lock-out and to make a password reset link (shown once, never sent anywhere).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde::Serialize;
use tessera_core::Store;
use tessera_core::authority::{ResetLink, UserSessions};
use tessera_core::error::AdminError;

use super::super::params::Params;
use super::super::{ApiError, AppState};
use super::admin_console::{Admin, Outcome, admin_form, admin_page, console_page, segment, utc};
use super::page::see_other;

/// The notices a redirect back to the account's page may name (`?notice=`).
const NOTICES: [&str; 5] = [
    "admin_roles_saved",
    "admin_factors_removed",
    "admin_user_unlocked",
    "admin_session_ended",
    "admin_sessions_ended",
];

#[derive(Serialize)]
struct BrowserRow {
    id: String,
    signed_in: String,
    last_seen: String,
    methods: String,
}

#[derive(Serialize)]
struct FamilyRow {
    id: String,
    client: String,
    started: String,
    last_used: String,
}

/// `GET /ui/admin/users/{username}`.
#[utoipa::path(get, path = "/ui/admin/users/{username}", tag = "browser",
    params(("username" = String, Path, description = "the account"),
        ("notice" = Option<String>, Query, description = "what the previous form did (admin_roles_saved, …)")),
    responses(
        (status = 200, description = "the account: details, roles form, sessions, unlock and reset-link forms", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 400, description = "the query cannot be read (a repeated or malformed parameter)", content_type = "text/html"),
        (status = 403, description = "the account lacks the admin role", content_type = "text/html"),
        (status = 404, description = "no such account", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn show<S: Store>(
    State(state): State<AppState<S>>,
    Path(username): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (params, admin) = match admin_page(&state, &headers, &uri).await {
        Ok(page) => page,
        Err(response) => return response,
    };
    let outcome = Outcome::from_notice(&params, &NOTICES);
    render(&state, &admin, &username, outcome, None).await
}

/// `POST /ui/admin/users/{username}/roles`: replace the account's roles.
#[utoipa::path(post, path = "/ui/admin/users/{username}/roles", tag = "browser",
    params(("username" = String, Path, description = "the account")),
    request_body(content = crate::openapi::AdminRolesForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "saved: back to the account's page", headers(("Location" = String))),
        (status = 400, description = "a malformed role, or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, not an administrator, or the last administrator would lose the role", content_type = "text/html"),
        (status = 404, description = "no such account", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn roles<S: Store>(
    State(state): State<AppState<S>>,
    Path(username): Path<String>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (admin, form) = match admin_form(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let roles = comma_list(form.get("roles").unwrap_or(""));
    let result = state
        .authority()
        .set_user_roles(&username, &roles, &admin.actor())
        .await;
    back(&state, &admin, &username, result, "admin_roles_saved").await
}

/// `POST /ui/admin/users/{username}/unlock`: lift the account's lock-out.
#[utoipa::path(post, path = "/ui/admin/users/{username}/unlock", tag = "browser",
    params(("username" = String, Path, description = "the account")),
    request_body(content = crate::openapi::AdminUserForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "unlocked (whether or not it was locked): back to the account's page", headers(("Location" = String))),
        (status = 400, description = "the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, or not an administrator", content_type = "text/html"),
        (status = 404, description = "no such account", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn unlock<S: Store>(
    State(state): State<AppState<S>>,
    Path(username): Path<String>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (admin, _) = match admin_form(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let result = state
        .authority()
        .unlock_user(&username, &admin.actor())
        .await
        .map(|_| ());
    back(&state, &admin, &username, result, "admin_user_unlocked").await
}

/// `POST /ui/admin/users/{username}/reset`: make a password reset link, shown once.
#[utoipa::path(post, path = "/ui/admin/users/{username}/reset", tag = "browser",
    params(("username" = String, Path, description = "the account")),
    request_body(content = crate::openapi::AdminUserForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "the account's page showing the link (valid 24 hours, until used)", content_type = "text/html"),
        (status = 303, description = "not signed in: to `/ui/login`", headers(("Location" = String))),
        (status = 400, description = "the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, or not an administrator", content_type = "text/html"),
        (status = 404, description = "no such account", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn reset<S: Store>(
    State(state): State<AppState<S>>,
    Path(username): Path<String>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (admin, _) = match admin_form(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let result = state
        .authority()
        .password_reset_link(&username, &admin.actor())
        .await;
    match result {
        Ok(link) => {
            let notice = Outcome::Notice("admin_reset_made");
            render(&state, &admin, &username, notice, Some(link)).await
        }
        Err(err) => refused(&state, &admin, &username, err).await,
    }
}

/// `POST /ui/admin/users/{username}/sessions`: end one session (`session` = its id) or
/// every session (`session` = `all`) of the account.
#[utoipa::path(post, path = "/ui/admin/users/{username}/sessions", tag = "browser",
    params(("username" = String, Path, description = "the account")),
    request_body(content = crate::openapi::AdminEndSessionForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "ended: back to the account's page", headers(("Location" = String))),
        (status = 400, description = "the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, or not an administrator", content_type = "text/html"),
        (status = 404, description = "no such account, or no such live session of it", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn end_sessions<S: Store>(
    State(state): State<AppState<S>>,
    Path(username): Path<String>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (admin, form) = match admin_form(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let authority = state.authority();
    let by = admin.actor();
    let (result, notice) = match form.get("session").unwrap_or("") {
        "all" => (
            authority
                .end_user_sessions(&username, &by)
                .await
                .map(|_| ()),
            "admin_sessions_ended",
        ),
        id => (
            authority.end_user_session(&username, id, &by).await,
            "admin_session_ended",
        ),
    };
    if result.is_ok() {
        state.logout_notices().notify_one();
    }
    back(&state, &admin, &username, result, notice).await
}

/// `POST /ui/admin/users/{username}/factors/reset`: remove every second factor of the
/// account (a user who lost them) and end its sessions; the `confirm` box must be ticked.
#[utoipa::path(post, path = "/ui/admin/users/{username}/factors/reset", tag = "browser",
    params(("username" = String, Path, description = "the account")),
    request_body(content = crate::openapi::AdminDeleteForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "removed (whether or not there were any): back to the account's page", headers(("Location" = String))),
        (status = 400, description = "not confirmed, or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, or not an administrator", content_type = "text/html"),
        (status = 404, description = "no such account", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn reset_factors<S: Store>(
    State(state): State<AppState<S>>,
    Path(username): Path<String>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (admin, form) = match admin_form(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    if form.get("confirm") != Some("yes") {
        let outcome = Outcome::Error("admin_confirm_missing", None, StatusCode::BAD_REQUEST);
        return render(&state, &admin, &username, outcome, None).await;
    }
    let result = state
        .authority()
        .reset_factors(&username, &admin.actor())
        .await
        .map(|_| ());
    if result.is_ok() {
        state.logout_notices().notify_one();
    }
    back(&state, &admin, &username, result, "admin_factors_removed").await
}

/// Back to the account's page with `notice`, or the page with the error.
async fn back<S: Store>(
    state: &AppState<S>,
    admin: &Admin,
    username: &str,
    result: Result<(), AdminError>,
    notice: &str,
) -> Response {
    match result {
        Ok(()) => see_other(&user_path(username, Some(notice)), Vec::new()),
        Err(err) => refused(state, admin, username, err).await,
    }
}

/// The account's page saying what was refused (the accounts page when the account is gone).
async fn refused<S: Store>(
    state: &AppState<S>,
    admin: &Admin,
    username: &str,
    err: AdminError,
) -> Response {
    match Outcome::refusal(err) {
        Some(outcome) => render(state, admin, username, outcome, None).await,
        None => super::unavailable(),
    }
}

/// Renders the account's page, with a reset link made just now if there is one.
async fn render<S: Store>(
    state: &AppState<S>,
    admin: &Admin,
    username: &str,
    outcome: Outcome,
    link: Option<ResetLink>,
) -> Response {
    let sessions = match state.authority().user_sessions(username).await {
        Ok(sessions) => sessions,
        Err(err) => {
            let outcome = match Outcome::refusal(err) {
                Some(outcome) => outcome,
                None => return super::unavailable(),
            };
            let search = super::admin_console::Search::default();
            return super::admin_console::render(state, admin, &search, outcome).await;
        }
    };
    let issuer = state.authority().config().issuer.trim_end_matches('/');
    let reset = link.map(|link| {
        serde_json::json!({
            "url": format!("{issuer}/ui/reset?token={}", link.token),
            "expires": utc(link.expires_at),
        })
    });
    let Ok(factors) = state.authority().factors_of(&sessions.user.id).await else {
        return super::unavailable();
    };
    let mut values = user_values(&sessions);
    values["reset"] = serde_json::json!(reset);
    values["factors"] = super::account::factor_values(&factors);
    console_page(
        state,
        admin,
        "admin_user.html",
        "admin_user_title",
        outcome,
        values,
    )
}

fn user_values(sessions: &UserSessions) -> serde_json::Value {
    let user = &sessions.user;
    let browsers: Vec<BrowserRow> = sessions
        .browsers
        .iter()
        .map(|s| BrowserRow {
            id: s.id.to_string(),
            signed_in: utc(s.auth_time),
            last_seen: utc(s.last_seen_at),
            methods: s.amr.join(", "),
        })
        .collect();
    let families: Vec<FamilyRow> = sessions
        .families
        .iter()
        .map(|s| FamilyRow {
            id: s.id.to_string(),
            client: s.client_id.to_string(),
            started: utc(s.created_at),
            last_used: utc(s.last_used_at),
        })
        .collect();
    serde_json::json!({
        "user": {
            "id": user.id.to_string(),
            "username": user.username,
            "email": user.email,
            "roles": user.roles.join(", "),
            "disabled": user.disabled,
            "created": utc(user.created_at),
            "password_changed": utc(user.password_changed_at),
        },
        "path": user_path(&user.username, None),
        "browsers": browsers,
        "families": families,
    })
}

/// `/ui/admin/users/{username}`, escaped, with a notice.
pub(crate) fn user_path(username: &str, notice: Option<&str>) -> String {
    let path = format!("/ui/admin/users/{}", segment(username));
    match notice {
        Some(notice) => format!("{path}?notice={notice}"),
        None => path,
    }
}

/// The non-empty, trimmed items of a comma-separated field.
pub(crate) fn comma_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}
