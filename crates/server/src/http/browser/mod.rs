//! Browser sign-in over HTTP: the authorization endpoint, the sign-in, consent and account
//! pages, and RP-initiated logout. Every rule is the authority's; this layer reads cookies
//! and forms, checks the anti-CSRF tokens, and renders the pages (`crate::ui`).
//!
//! Conventions outside tests rely on (DESIGN.md): every state-changing form carries a
//! hidden `csrf_token`, a MAC of the browser's own random binding cookie; every cookie is
//! `HttpOnly` and `SameSite=Lax` (and `__Host-`/`Secure` over https); error pages answer
//! 4xx; pages are never cached or framed.

pub mod account;
pub mod account_factors;
pub mod admin_clients;
pub mod admin_console;
pub mod admin_events;
pub mod admin_keys;
pub mod admin_user;
pub mod admin_users;
pub mod admin_webhooks;
pub mod authorize;
pub mod consent;
pub mod device;
pub mod login;
pub mod logout;
pub(crate) mod page;
pub mod reset;
pub mod second_factor;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tessera_core::Store;

use super::AppState;

/// The routes of browser sign-in.
pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route(
            "/oauth/authorize",
            get(authorize::get::<S>).post(authorize::post::<S>),
        )
        .route("/ui/login", get(login::show::<S>).post(login::submit::<S>))
        .route(
            "/ui/second-factor",
            axum::routing::post(second_factor::submit::<S>),
        )
        .route("/ui/consent", axum::routing::post(consent::submit::<S>))
        .route(
            "/ui/device",
            get(device::show::<S>).post(device::submit::<S>),
        )
        .route(
            "/oauth/logout",
            get(logout::get::<S>).post(logout::post::<S>),
        )
        .route("/ui/account", get(account::show::<S>))
        .route(
            "/ui/account/password",
            axum::routing::post(account::change_password::<S>),
        )
        .route(
            "/ui/account/sessions",
            axum::routing::post(account::end_session::<S>),
        )
        .route("/ui/account/totp", post(account_factors::begin::<S>))
        .route(
            "/ui/account/totp/confirm",
            post(account_factors::confirm::<S>),
        )
        .route(
            "/ui/account/totp/remove",
            post(account_factors::remove::<S>),
        )
        .route(
            "/ui/account/recovery-codes",
            post(account_factors::recovery_codes::<S>),
        )
        .route("/ui/admin", get(admin_console::show::<S>))
        .route("/ui/admin/events", get(admin_events::show::<S>))
        .route(
            "/ui/admin/users",
            axum::routing::post(admin_users::create::<S>),
        )
        .route(
            "/ui/admin/users/{username}/disable",
            axum::routing::post(admin_users::disable::<S>),
        )
        .route(
            "/ui/admin/users/{username}/enable",
            axum::routing::post(admin_users::enable::<S>),
        )
        .route(
            "/ui/admin/users/{username}/delete",
            axum::routing::post(admin_users::delete::<S>),
        )
        .merge(console_routes::<S>())
        .route("/ui/reset", get(reset::show::<S>).post(reset::submit::<S>))
        .route("/ui/static/tessera.css", get(style_sheet::<S>))
        .route("/ui/static/logo", get(logo::<S>))
}

/// The operator console's pages and forms beyond the accounts list.
fn console_routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/ui/admin/users/{username}", get(admin_user::show::<S>))
        .route(
            "/ui/admin/users/{username}/roles",
            post(admin_user::roles::<S>),
        )
        .route(
            "/ui/admin/users/{username}/unlock",
            post(admin_user::unlock::<S>),
        )
        .route(
            "/ui/admin/users/{username}/factors/reset",
            post(admin_user::reset_factors::<S>),
        )
        .route(
            "/ui/admin/users/{username}/reset",
            post(admin_user::reset::<S>),
        )
        .route(
            "/ui/admin/users/{username}/sessions",
            post(admin_user::end_sessions::<S>),
        )
        .route(
            "/ui/admin/clients",
            get(admin_clients::list::<S>).post(admin_clients::create::<S>),
        )
        .route(
            "/ui/admin/clients/{id}",
            get(admin_clients::show::<S>).post(admin_clients::update::<S>),
        )
        .route(
            "/ui/admin/clients/{id}/secret",
            post(admin_clients::rotate_secret::<S>),
        )
        .route(
            "/ui/admin/clients/{id}/delete",
            post(admin_clients::delete::<S>),
        )
        .route("/ui/admin/keys", get(admin_keys::show::<S>))
        .route("/ui/admin/keys/rotate", post(admin_keys::rotate::<S>))
        .route("/ui/admin/keys/{kid}/retire", post(admin_keys::retire::<S>))
        .route(
            "/ui/admin/webhooks",
            get(admin_webhooks::show::<S>).post(admin_webhooks::add::<S>),
        )
        .route(
            "/ui/admin/webhooks/{id}/replay",
            post(admin_webhooks::replay::<S>),
        )
        .route(
            "/ui/admin/webhooks/{id}/delete",
            post(admin_webhooks::delete::<S>),
        )
}

/// `GET /ui/static/tessera.css`.
#[utoipa::path(get, path = "/ui/static/tessera.css", tag = "browser",
    responses((status = 200, description = "the pages' style sheet (the embedded one and the configured extra CSS)", content_type = "text/css", body = String)))]
pub(crate) async fn style_sheet<S: Store>(State(state): State<AppState<S>>) -> Response {
    let mut response = state.ui().css().to_owned().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// `GET /ui/static/logo`: the configured logo, or 404.
#[utoipa::path(get, path = "/ui/static/logo", tag = "browser",
    responses(
        (status = 200, description = "the configured logo", content(
            ("image/png"), ("image/svg+xml"), ("image/jpeg"), ("image/webp"))),
        (status = 404, description = "not_found: no logo is configured", body = crate::http::error::ErrorBody),
    ))]
pub(crate) async fn logo<S: Store>(State(state): State<AppState<S>>) -> Response {
    let Some((kind, bytes)) = state.ui().logo() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = bytes.to_vec().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    // An SVG opened on its own must not run anything.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}

/// The answer when the store (or the random source) fails: 503, plain, retry later.
pub(crate) fn unavailable() -> Response {
    let mut response = page::Page::plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "The service is unavailable right now. Please try again shortly.",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}
