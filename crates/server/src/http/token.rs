//! `POST /oauth/token` (RFC 6749 §3.2): the password, refresh token, authorization code
//! (with PKCE), client credentials, token exchange (RFC 8693) and device (RFC 8628) grants,
//! with client authentication and the login throttle.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tessera_core::authority::ExchangeRequest;
use tessera_core::model::{Client, Grant};
use tessera_core::{DpopRequest, GrantError, Store, TokenResponse};

use super::blocking::on_blocking_pool;
use super::client_auth::ClientCredentials;
use super::context::in_request;
use super::error::ApiError;
use super::params::Params;
use super::{AppState, ClientIp};

/// The token endpoint's path: `htu` of a proof sent to it is the issuer followed by it.
pub const TOKEN_PATH: &str = "/oauth/token";

/// `POST /oauth/token`.
#[utoipa::path(
    post,
    path = "/oauth/token",
    tag = "oauth",
    request_body(content = crate::openapi::TokenRequest, content_type = "application/x-www-form-urlencoded",
        description = "form-encoded (or the same members as a JSON object)"),
    params(("DPoP" = Option<String>, Header, description = "a DPoP proof (RFC 9449) for POST to the token endpoint's URL: the tokens are bound to its key (token_type DPoP, cnf.jkt); required for clients registered with require_dpop")),
    responses(
        (status = 200, description = "tokens issued (token_type Bearer, or DPoP with a proof)", body = tessera_core::TokenResponse),
        (status = 400, description = "invalid_request, invalid_grant, invalid_scope, invalid_target, unauthorized_client, unsupported_grant_type, invalid_dpop_proof; for the device grant authorization_pending, slow_down, expired_token, access_denied", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_client", body = crate::http::error::ErrorBody),
        (status = 429, description = "too many failed logins; see Retry-After", body = crate::http::error::ErrorBody),
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
    let proofs = super::dpop::proofs(&headers)?;
    let request = DpopRequest {
        proofs: &proofs,
        method: "POST",
        path: TOKEN_PATH,
    };
    let jkt = state
        .authority()
        .token_request_dpop(&client, &request)
        .await?;
    let jkt = jkt.as_deref();
    // Each grant's future is boxed: inline, the largest of them (the password grant's) sized
    // this handler's future at several KiB, copied whole at every await of the router's
    // layers for every grant; boxed, a request pays one allocation of its own grant's size.
    let response = match grant {
        Grant::Password => Box::pin(password(&state, client, ip, &params, jkt)).await?,
        Grant::RefreshToken => {
            let refresh = params.require("refresh_token")?;
            let scope = params.get("scope");
            let authority = state.authority();
            Box::pin(authority.refresh_grant_dpop(&client, refresh, scope, jkt)).await?
        }
        Grant::AuthorizationCode => {
            let code = params.require("code")?;
            Box::pin(state.authority().code_grant_dpop(
                &client,
                code,
                params.get("redirect_uri"),
                params.get("code_verifier"),
                jkt,
            ))
            .await?
        }
        Grant::ClientCredentials => {
            let scope = params.get("scope");
            let authority = state.authority();
            Box::pin(authority.client_credentials_grant_dpop(&client, scope, jkt)).await?
        }
        Grant::DeviceCode => {
            let device_code = params.require("device_code")?;
            let authority = state.authority();
            Box::pin(authority.device_code_grant(&client, device_code, jkt)).await?
        }
        Grant::TokenExchange => {
            let request = ExchangeRequest {
                subject_token: params.require("subject_token")?,
                subject_token_type: params.require("subject_token_type")?,
                actor_token: params.get("actor_token"),
                actor_token_type: params.get("actor_token_type"),
                audience: params.get("audience"),
                resource: params.get("resource"),
                scope: params.get("scope"),
                requested_token_type: params.get("requested_token_type"),
            };
            let authority = state.authority();
            Box::pin(authority.token_exchange(&client, &request, jkt)).await?
        }
    };
    state.metrics().token_issued(grant.as_str());
    Ok(token_response(&response))
}

/// The password grant behind the address throttle (the authority applies the per-account
/// lock-out); Argon2 runs on the hashing threads.
async fn password<S: Store>(
    state: &AppState<S>,
    client: Client,
    ip: Option<std::net::IpAddr>,
    params: &Params,
    jkt: Option<&str>,
) -> Result<TokenResponse, ApiError> {
    let username = params.credential("username")?.to_owned();
    let password = params.credential("password")?.to_owned();
    let scope = params.get("scope").map(str::to_owned);
    let client_id = client.id.clone();
    let jkt = jkt.map(str::to_owned);
    if let Err(locked) = state.throttle().check_ip(ip, std::time::Instant::now()) {
        return Err(throttled(state, &client_id, locked.retry_after_secs()));
    }
    let authority = std::sync::Arc::clone(state.authority());
    let result = on_blocking_pool(move || async move {
        let answer = authority
            .password_grant_dpop(
                &client,
                &username,
                &password,
                scope.as_deref(),
                jkt.as_deref(),
                ip,
            )
            .await;
        Ok::<_, ApiError>(answer)
    })
    .await?;
    match result {
        Ok(response) => Ok(response),
        Err(GrantError::BadCredentials) => {
            state.metrics().login_failed();
            state
                .throttle()
                .record_ip_failure(ip, std::time::Instant::now());
            Err(GrantError::BadCredentials.into())
        }
        Err(GrantError::Locked(locked)) => {
            Err(throttled(state, &client_id, locked.retry_after_secs()))
        }
        Err(other) => Err(other.into()),
    }
}

/// A login refused by a lock-out: counted, logged as a security event, answered 429.
fn throttled<S: Store>(
    state: &AppState<S>,
    client_id: &tessera_core::model::ClientId,
    retry_after: u64,
) -> ApiError {
    state.metrics().login_throttled();
    in_request(|| {
        tracing::warn!(
            event = "login_throttled",
            client_id = %client_id,
            retry_after,
            "password login refused by the throttle"
        )
    });
    ApiError::throttled(retry_after)
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
