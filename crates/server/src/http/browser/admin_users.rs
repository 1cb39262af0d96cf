//! The operator console's account forms: create, disable, enable and delete, each done
//! by the authority with the signed-in administrator as the actor, then back to the
//! accounts page (303 with a notice), or the page again with the error (4xx).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use tessera_core::Store;
use tessera_core::error::AdminError;
use tessera_core::model::Actor;

use super::super::params::Params;
use super::super::{ApiError, AppState};
use super::admin_console::{Admin, Outcome, PURPOSE, Search, render, signed_in_admin};
use super::page::{Browser, Page, cross_site, same_origin, see_other};
use super::unavailable;
use axum::response::IntoResponse;

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
    let (admin, form) = match checked(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let username = form.get("username").unwrap_or("").to_owned();
    let password = form.get("password").unwrap_or("");
    let email = form.get("email").map(str::trim).filter(|e| !e.is_empty());
    let roles: Vec<String> = form
        .get("roles")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    let by = Actor::User(admin.user.id.clone());
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
    let (admin, form) = match checked(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    if form.get("confirm") != Some("yes") {
        let outcome = Outcome::Error("admin_confirm_delete", None, StatusCode::BAD_REQUEST);
        return render(&state, &admin, &Search::default(), outcome).await;
    }
    let by = Actor::User(admin.user.id.clone());
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
    let (admin, _) = match checked(state, headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let by = Actor::User(admin.user.id.clone());
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
    let (key, detail, status) = match result {
        Ok(()) => return see_other(&format!("/ui/admin?notice={notice}"), Vec::new()),
        Err(AdminError::Invalid(why)) => (
            "admin_invalid",
            Some(why.into_owned()),
            StatusCode::BAD_REQUEST,
        ),
        Err(AdminError::Conflict(_)) => ("admin_taken", None, StatusCode::CONFLICT),
        Err(AdminError::NotFound(_)) => ("admin_not_found", None, StatusCode::NOT_FOUND),
        Err(AdminError::LastAdmin) => ("admin_last_admin", None, StatusCode::FORBIDDEN),
        Err(_) => return unavailable(),
    };
    let outcome = Outcome::Error(key, detail, status);
    render(state, admin, &Search::default(), outcome).await
}

/// The administrator and the form of a console POST whose origin, session, role and
/// anti-CSRF token check out.
async fn checked<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
    form: Result<Params, ApiError>,
) -> Result<(Admin, Params), Response> {
    let Some(browser) = Browser::read(state, headers) else {
        return Err(unavailable());
    };
    if !same_origin(state, headers) {
        return Err(cross_site(state, &browser));
    }
    let binding = browser.binding.clone();
    let admin = signed_in_admin(state, browser).await?;
    let form = form.ok().filter(|form| {
        let token = form.get("csrf_token").unwrap_or("");
        state
            .authority()
            .check_browser_token(PURPOSE, &binding, token)
    });
    let Some(form) = form else {
        let locale = admin.browser.locale(None);
        let page = Page::error(
            state,
            &admin.browser,
            locale,
            StatusCode::BAD_REQUEST,
            "form_expired",
            None,
        );
        return Err(page.into_response());
    };
    Ok((admin, form))
}
