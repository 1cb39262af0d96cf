//! `POST /oauth/revoke` (RFC 7009) and `POST /oauth/introspect` (RFC 7662).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use tessera_core::model::Client;
use tessera_core::{Store, TokenTypeHint};

use super::AppState;
use super::client_auth::ClientCredentials;
use super::error::ApiError;
use super::params::Params;
use super::token::no_store;

/// `POST /oauth/revoke`: 200 for any token, known or not (RFC 7009 §2.2).
#[utoipa::path(
    post,
    path = "/oauth/revoke",
    tag = "oauth",
    request_body(content = crate::openapi::TokenParam, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "revoked, or unknown"),
        (status = 400, description = "invalid_request, unauthorized_client", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_client", body = crate::http::error::ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(client_id))]
pub async fn revoke<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    let (client, token, hint) = token_request(&state, &headers, &params).await?;
    state.authority().revoke(&client, token, hint).await?;
    state.metrics().revoked();
    let mut response = ().into_response();
    no_store(response.headers_mut());
    Ok(response)
}

/// `POST /oauth/introspect`: for authenticated confidential clients.
#[utoipa::path(
    post,
    path = "/oauth/introspect",
    tag = "oauth",
    request_body(content = crate::openapi::TokenParam, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "RFC 7662 response; inactive tokens say only active=false", body = tessera_core::Introspection),
        (status = 400, description = "invalid_request, unauthorized_client (public client)", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_client", body = crate::http::error::ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(client_id))]
pub async fn introspect<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    let (client, token, hint) = token_request(&state, &headers, &params).await?;
    let answer = state.authority().introspect(&client, token, hint).await?;
    let mut response = Json(answer).into_response();
    no_store(response.headers_mut());
    Ok(response)
}

/// The common part of RFC 7009 and RFC 7662 requests: the authenticated client, the `token`
/// parameter and the optional `token_type_hint`.
async fn token_request<'p, S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
    params: &'p Params,
) -> Result<(Client, &'p str, Option<TokenTypeHint>), ApiError> {
    let credentials = ClientCredentials::from_request(headers, params)?;
    tracing::Span::current().record("client_id", credentials.client_id.as_str());
    let client = credentials.authenticate(state.authority()).await?;
    let token = params.require("token")?;
    let hint = params.get("token_type_hint").and_then(TokenTypeHint::parse);
    Ok((client, token, hint))
}
