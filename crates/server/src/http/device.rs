//! `POST /oauth/device_authorization` (RFC 8628 §3.1–3.2): a device without a browser asks
//! for a device code to poll with and a user code for its user to approve at `/ui/device`.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tessera_core::Store;

use super::AppState;
use super::client_auth::ClientCredentials;
use super::error::ApiError;
use super::params::Params;
use super::token::no_store;

/// The page where a user types a device's code.
pub const VERIFICATION_PATH: &str = "/ui/device";

/// The answer to a device (RFC 8628 §3.2).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeviceAuthorizationResponse {
    /// The code the device polls the token endpoint with (grant type
    /// `urn:ietf:params:oauth:grant-type:device_code`).
    pub device_code: String,
    /// The code the user types at `verification_uri` (`BCDF-GHJK`).
    pub user_code: String,
    /// Where the user goes: the issuer's `/ui/device`.
    pub verification_uri: String,
    /// The same with the user code filled in (for a QR code).
    pub verification_uri_complete: String,
    /// Seconds until both codes expire.
    pub expires_in: i64,
    /// Seconds to wait between two polls.
    pub interval: i64,
}

/// `POST /oauth/device_authorization`.
#[utoipa::path(
    post,
    path = "/oauth/device_authorization",
    tag = "oauth",
    request_body(content = crate::openapi::DeviceAuthorizationRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "a device code and a user code", body = DeviceAuthorizationResponse),
        (status = 400, description = "invalid_request, invalid_scope, unauthorized_client (the client may not use the device grant)", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_client", body = crate::http::error::ErrorBody),
    )
)]
pub async fn start<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    let credentials = ClientCredentials::from_request(&headers, &params)?;
    let client = credentials.authenticate(state.authority()).await?;
    let started = state
        .authority()
        .start_device_authorization(&client, params.get("scope"))
        .await?;
    let issuer = state.authority().config().issuer.trim_end_matches('/');
    let verification_uri = format!("{issuer}{VERIFICATION_PATH}");
    let answer = DeviceAuthorizationResponse {
        verification_uri_complete: format!("{verification_uri}?user_code={}", started.user_code),
        verification_uri,
        device_code: started.device_code,
        user_code: started.user_code,
        expires_in: started.expires_in,
        interval: started.interval,
    };
    let mut response = Json(answer).into_response();
    no_store(response.headers_mut());
    Ok(response)
}
