//! `/ui/admin/keys`: the operator console's signing keys with their state (published,
//! signing, retiring, retired), the form to rotate now (optionally to another algorithm),
//! and a form per key to retire it.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde::Serialize;
use tessera_core::Store;
use tessera_core::keys::{ALLOWED_ALGS, parse_alg};

use super::super::params::Params;
use super::super::{ApiError, AppState};
use super::admin_console::{Admin, Outcome, admin_form, admin_page, console_page, segment, utc};
use super::page::see_other;

/// The notices a redirect back to the keys page may name (`?notice=`).
const NOTICES: [&str; 2] = ["admin_keys_rotated", "admin_key_retired"];

#[derive(Serialize)]
struct KeyRow {
    kid: String,
    path: String,
    alg: String,
    state: &'static str,
    created: String,
    activates: String,
    retired: Option<String>,
    can_retire: bool,
}

/// `GET /ui/admin/keys`.
#[utoipa::path(get, path = "/ui/admin/keys", tag = "browser",
    params(("notice" = Option<String>, Query, description = "what the previous form did (admin_keys_rotated, admin_key_retired)")),
    responses(
        (status = 200, description = "the signing keys with their state, and the rotate and retire forms", content_type = "text/html"),
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

/// `POST /ui/admin/keys/rotate`: a new key signs from now (`alg`: empty for the
/// configured algorithm); the previous one starts retiring.
#[utoipa::path(post, path = "/ui/admin/keys/rotate", tag = "browser",
    request_body(content = crate::openapi::AdminRotateForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "rotated: back to the keys page", headers(("Location" = String))),
        (status = 400, description = "an algorithm Tessera does not sign with, or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, or not an administrator", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn rotate<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    form: Result<Params, ApiError>,
) -> Response {
    let (admin, form) = match admin_form(&state, &headers, form).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let alg = match form.get("alg").filter(|a| !a.is_empty()).map(parse_alg) {
        None => None,
        Some(Ok(alg)) => Some(alg),
        Some(Err(err)) => {
            let outcome = Outcome::Error(
                "admin_invalid",
                Some(err.to_string()),
                StatusCode::BAD_REQUEST,
            );
            return render(&state, &admin, outcome).await;
        }
    };
    let result = state.authority().rotate_keys_now(alg, &admin.actor()).await;
    answer(&state, &admin, result.map(|_| ()), "admin_keys_rotated").await
}

/// `POST /ui/admin/keys/{kid}/retire`: take a key out of the JWKS now, once confirmed
/// (not the one that signs).
#[utoipa::path(post, path = "/ui/admin/keys/{kid}/retire", tag = "browser",
    params(("kid" = String, Path, description = "the key id")),
    request_body(content = crate::openapi::AdminDeleteForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "retired: back to the keys page", headers(("Location" = String))),
        (status = 400, description = "not confirmed, or the form expired", content_type = "text/html"),
        (status = 403, description = "posted from another site, or not an administrator", content_type = "text/html"),
        (status = 404, description = "no such key, or already retired", content_type = "text/html"),
        (status = 409, description = "the key signs now: rotate first", content_type = "text/html"),
        (status = 503, description = "the service is unavailable; Retry-After", content_type = "text/html"),
    ))]
pub async fn retire<S: Store>(
    State(state): State<AppState<S>>,
    Path(kid): Path<String>,
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
    let result = state.authority().retire_key(&kid, &admin.actor()).await;
    answer(&state, &admin, result.map(|_| ()), "admin_key_retired").await
}

async fn answer<S: Store>(
    state: &AppState<S>,
    admin: &Admin,
    result: Result<(), tessera_core::error::AdminError>,
    notice: &str,
) -> Response {
    match result {
        Ok(()) => see_other(&format!("/ui/admin/keys?notice={notice}"), Vec::new()),
        Err(err) => match Outcome::refusal(err) {
            Some(outcome) => render(state, admin, outcome).await,
            None => super::unavailable(),
        },
    }
}

async fn render<S: Store>(state: &AppState<S>, admin: &Admin, outcome: Outcome) -> Response {
    let Ok(keys) = state.authority().list_keys().await else {
        return super::unavailable();
    };
    let rows: Vec<KeyRow> = keys
        .iter()
        .rev()
        .map(|k| KeyRow {
            kid: k.kid.to_string(),
            path: format!("/ui/admin/keys/{}", segment(k.kid.as_str())),
            alg: k.alg.to_string(),
            state: k.state.as_str(),
            created: utc(k.created_at),
            activates: utc(k.activates_at),
            retired: k.retired_at.map(utc),
            can_retire: matches!(
                k.state,
                tessera_core::model::KeyState::Published | tessera_core::model::KeyState::Retiring
            ),
        })
        .collect();
    let algs: Vec<String> = ALLOWED_ALGS.iter().map(ToString::to_string).collect();
    let values = serde_json::json!({ "keys": rows, "algs": algs });
    console_page(
        state,
        admin,
        "admin_keys.html",
        "admin_keys",
        outcome,
        values,
    )
}
