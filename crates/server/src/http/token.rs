//! `POST /oauth/token` (RFC 6749 §3.2): the password, refresh token and client credentials
//! grants, with client authentication and the login throttle.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tessera_core::model::{Client, Grant};
use tessera_core::{ErrorCode, OAuthError, Store, TokenResponse};

use super::blocking::on_blocking_pool;
use super::client_auth::ClientCredentials;
use super::context::in_request;
use super::error::ApiError;
use super::params::Params;
use super::{AppState, ClientIp};

/// `POST /oauth/token`.
#[utoipa::path(
    post,
    path = "/oauth/token",
    tag = "oauth",
    request_body(content = crate::openapi::TokenRequest, content_type = "application/x-www-form-urlencoded",
        description = "form-encoded (or the same members as a JSON object)"),
    responses(
        (status = 200, description = "tokens issued", body = crate::openapi::TokenBody),
        (status = 400, description = "invalid_request, invalid_grant, invalid_scope, unauthorized_client, unsupported_grant_type", body = crate::openapi::ErrorBody),
        (status = 401, description = "invalid_client", body = crate::openapi::ErrorBody),
        (status = 429, description = "too many failed logins; see Retry-After", body = crate::openapi::ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(client_id, grant_type))]
pub async fn token<S: Store>(
    State(state): State<AppState<S>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    let credentials = ClientCredentials::from_request(&headers, &params)?;
    let grant_type = params.require("grant_type")?;
    let span = tracing::Span::current();
    span.record("client_id", credentials.client_id.as_str());
    let Some(grant) = Grant::parse(grant_type) else {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "the grant type is not supported",
        ));
    };
    span.record("grant_type", grant.as_str());
    let client = credentials.authenticate(state.authority()).await?;
    let response = match grant {
        Grant::Password => password(&state, client, ip, &params).await?,
        Grant::RefreshToken => {
            let refresh = params.require("refresh_token")?;
            let scope = params.get("scope");
            state
                .authority()
                .refresh_grant(&client, refresh, scope)
                .await?
        }
        Grant::ClientCredentials => {
            let scope = params.get("scope");
            state
                .authority()
                .client_credentials_grant(&client, scope)
                .await?
        }
    };
    state.metrics().token_issued(grant.as_str());
    Ok(token_response(&response))
}

/// The password grant behind the throttle; Argon2 runs on the blocking pool.
async fn password<S: Store>(
    state: &AppState<S>,
    client: Client,
    ip: Option<std::net::IpAddr>,
    params: &Params,
) -> Result<TokenResponse, ApiError> {
    let username = params.credential("username")?.to_owned();
    let password = params.credential("password")?.to_owned();
    let scope = params.get("scope").map(str::to_owned);
    let store = state.authority().store();
    let verdict = state
        .throttle()
        .check(store, &username, ip)
        .await
        .map_err(OAuthError::from)?;
    if let Err(locked) = verdict {
        state.metrics().login_throttled();
        in_request(|| {
            tracing::warn!(
                event = "login_throttled",
                client_id = %client.id,
                retry_after = locked.retry_after_secs(),
                "password login refused by the throttle"
            )
        });
        return Err(ApiError::throttled(locked.retry_after_secs()));
    }
    let authority = std::sync::Arc::clone(state.authority());
    let user = username.clone();
    let result = on_blocking_pool(move || async move {
        authority
            .password_grant(&client, &user, &password, scope.as_deref())
            .await
    })
    .await;
    let counted = match &result {
        Ok(_) => state.throttle().record_success(store, &username).await,
        Err(err) if err.code() == ErrorCode::InvalidGrant.as_str() => {
            state.metrics().login_failed();
            state.throttle().record_failure(store, &username, ip).await
        }
        Err(_) => Ok(()),
    };
    if let Err(err) = counted {
        in_request(|| tracing::warn!(error = %err, "cannot update the failed-login counter"));
    }
    result
}

/// A token response with `Cache-Control: no-store` (RFC 6749 §5.1).
pub fn token_response(response: &TokenResponse) -> Response {
    let mut http = Json(response).into_response();
    no_store(http.headers_mut());
    http
}

/// Marks a response as not cacheable (it carries tokens or personal data).
pub fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}
