//! The operator console's account forms: create, disable, enable and delete, each done
//! by the authority with the signed-in administrator as the actor, then back to the
//! accounts page (303 with a notice), or the page again with the error (4xx).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use tessera_core::Store;
use tessera_core::error::AdminError;

use super::super::params::Params;
use super::super::{ApiError, AppState};
use super::admin_console::{Admin, Outcome, Search, admin_form, render};
use super::admin_user::comma_list;
use super::page::see_other;

/// `POST /ui/admin/users`: create an account.
#[utoipa::path(post, path = "/ui/admin/users", tag = "browser",
    request_body(content = crate::openapi::AdminCreateUserForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "created, or not signed in: to `/ui/admin` (or `/ui/login`)", headers(("Location" = String))),
        (status = 400, description = "a malformed username, email, role or password, or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, or the account lacks the admin role", content_type = "text/html"),
        (status = 409, description = "the username is taken", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn create<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (admin, form) = match admin_form(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let username = form.get("username").unwrap_or("").to_owned();
    let password = form.get("password").unwrap_or("");
    let email = form.get("email").map(str::trim).filter(|e| !e.is_empty());
    let roles = comma_list(form.get("roles").unwrap_or(""));
    let by = admin.actor();
    let result = state
        .authority()
        .create_user(&username, password, email, &roles, &by)
        .await
        .map(|_| ());
    answer(&state, &admin, result, "admin_user_created").await
}

/// `POST /ui/admin/users/{username}/disable`: disable an account (ending its sessions).
#[utoipa::path(post, path = "/ui/admin/users/{username}/disable", tag = "browser",
    params(("username" = String, Path, description = "the account")),
    request_body(content = crate::openapi::AdminUserForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "disabled, or not signed in: to `/ui/admin` (or `/ui/login`)", headers(("Location" = String))),
        (status = 400, description = "the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, the account lacks the admin role, or this is the last administrator", content_type = "text/html"),
        (status = 404, description = "no such account", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn disable<S: Store>(
    State(state): State<AppState<S>>,
    Path(username): Path<String>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    set_disabled(&state, &headers, form, &username, true).await
}

/// `POST /ui/admin/users/{username}/enable`: enable a disabled account.
#[utoipa::path(post, path = "/ui/admin/users/{username}/enable", tag = "browser",
    params(("username" = String, Path, description = "the account")),
    request_body(content = crate::openapi::AdminUserForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "enabled, or not signed in: to `/ui/admin` (or `/ui/login`)", headers(("Location" = String))),
        (status = 400, description = "the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, or the account lacks the admin role", content_type = "text/html"),
        (status = 404, description = "no such account", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn enable<S: Store>(
    State(state): State<AppState<S>>,
    Path(username): Path<String>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    set_disabled(&state, &headers, form, &username, false).await
}

/// `POST /ui/admin/users/{username}/delete`: delete an account, once confirmed.
#[utoipa::path(post, path = "/ui/admin/users/{username}/delete", tag = "browser",
    params(("username" = String, Path, description = "the account")),
    request_body(content = crate::openapi::AdminDeleteForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "deleted, or not signed in: to `/ui/admin` (or `/ui/login`)", headers(("Location" = String))),
        (status = 400, description = "not confirmed, or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, the account lacks the admin role, or this is the last administrator", content_type = "text/html"),
        (status = 404, description = "no such account", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn delete<S: Store>(
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
        let outcome = Outcome::Error("admin_confirm_delete", None, StatusCode::BAD_REQUEST);
        return render(&state, &admin, &Search::default(), outcome).await;
    }
    let by = admin.actor();
    let result = state.authority().delete_user(&username, &by).await;
    answer(&state, &admin, result, "admin_user_deleted").await
}

async fn set_disabled<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
    form: Result<Params, ApiError>,
    username: &str,
    disabled: bool,
) -> Response {
    let (admin, _) = match admin_form(state, headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let by = admin.actor();
    let result = state
        .authority()
        .set_user_disabled(username, disabled, &by)
        .await;
    let notice = if disabled {
        "admin_user_disabled"
    } else {
        "admin_user_enabled"
    };
    answer(state, &admin, result, notice).await
}

/// Back to the accounts page with `notice`, or the page with the error.
async fn answer<S: Store>(
    state: &AppState<S>,
    admin: &Admin,
    result: Result<(), AdminError>,
    notice: &str,
) -> Response {
    let outcome = match result {
        Ok(()) => return see_other(&format!("/ui/admin?notice={notice}"), Vec::new()),
        Err(err) => match Outcome::refusal(err) {
            Some(outcome) => outcome,
            None => return super::unavailable(),
        },
    };
    render(state, admin, &Search::default(), outcome).await
}
