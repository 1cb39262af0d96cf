//! The Bearer-protected endpoints of the token's own user: `/userinfo`, `/logout`,
//! `/account/sessions[/{id}]` and `/account/password`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tessera_core::model::{ClientId, Session, SessionId, Timestamp};
use tessera_core::{AccountError, Store};

use super::bearer::Bearer;
use super::blocking::on_blocking_pool;
use super::context::in_request;
use super::error::ApiError;
use super::params::Params;
use super::token::no_store;
use super::{AppState, ClientIp};

/// `GET /userinfo` (POST too, as OpenID Connect allows): who the token's user is.
#[utoipa::path(
    method(get, post),
    path = "/userinfo",
    tag = "account",
    security(("bearer" = [])),
    params(("DPoP" = Option<String>, Header, description = "with `Authorization: DPoP <token>` for a DPoP-bound token: a proof of its key for this request, with ath (RFC 9449 §7)")),
    responses(
        (status = 200, description = "sub, preferred_username, email, roles (JSON; or `application/jwt`, signed and perhaps encrypted, for a client that registered it)",
            content((tessera_core::UserInfo = "application/json"), (String = "application/jwt"))),
        (status = 400, description = "invalid_request: a malformed or repeated Authorization header", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_token (WWW-Authenticate: Bearer); invalid_dpop_proof or invalid_token for the DPoP scheme, or a DPoP-bound token sent as Bearer (WWW-Authenticate: DPoP … algs=\"…\")", body = crate::http::error::ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(sub = %claims.sub))]
pub async fn userinfo<S: Store>(
    State(state): State<AppState<S>>,
    Bearer(claims): Bearer,
) -> Result<Response, ApiError> {
    super::cors::note_client(&claims.client_id);
    let info = state.authority().userinfo(&claims).await?;
    let mut response = super::userinfo_jwt::answer(&state, &claims, info).await?;
    no_store(response.headers_mut());
    Ok(response)
}

/// `POST /logout`: ends the token's session and revokes the token.
#[utoipa::path(
    post,
    path = "/logout",
    tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "the session is over"),
        (status = 401, description = "invalid_token", body = crate::http::error::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(sub = %claims.sub))]
pub async fn logout<S: Store>(
    State(state): State<AppState<S>>,
    Bearer(claims): Bearer,
) -> Result<StatusCode, ApiError> {
    state.authority().logout(&claims).await?;
    state.metrics().revoked();
    in_request(|| {
        tracing::info!(
            event = "logout",
            sid = claims.sid.as_deref().unwrap_or("-"),
            "logged out"
        )
    });
    Ok(StatusCode::NO_CONTENT)
}

/// One live session, as its user sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    /// Session id.
    #[schema(value_type = String)]
    pub id: SessionId,
    /// The client it was opened through.
    #[schema(value_type = String)]
    pub client_id: ClientId,
    /// Granted scope.
    pub scope: String,
    /// Login time.
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    /// Last refresh.
    #[schema(value_type = i64)]
    pub last_used_at: Timestamp,
    /// Absolute end.
    #[schema(value_type = i64)]
    pub expires_at: Timestamp,
    /// True for the session of the token that asks.
    pub current: bool,
}

impl SessionView {
    fn new(session: Session, current: Option<&SessionId>) -> Self {
        Self {
            current: current == Some(&session.id),
            id: session.id,
            client_id: session.client_id,
            scope: session.scope.to_string(),
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            expires_at: session.expires_at,
        }
    }
}

/// The list of sessions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionList {
    /// Live sessions, as the store orders them.
    pub sessions: Vec<SessionView>,
}

/// `GET /account/sessions`: the user's live sessions.
#[utoipa::path(
    get,
    path = "/account/sessions",
    tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "live sessions", body = SessionList),
        (status = 401, description = "invalid_token", body = crate::http::error::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(sub = %claims.sub))]
pub async fn sessions<S: Store>(
    State(state): State<AppState<S>>,
    Bearer(claims): Bearer,
) -> Result<Response, ApiError> {
    require_user(&claims)?;
    let sessions = state.authority().list_sessions(&claims).await?;
    let current = claims.sid.as_ref();
    let list = SessionList {
        sessions: sessions
            .into_iter()
            .map(|s| SessionView::new(s, current))
            .collect(),
    };
    let mut response = Json(list).into_response();
    no_store(response.headers_mut());
    Ok(response)
}

/// `DELETE /account/sessions/{id}`: ends one of the user's sessions.
#[utoipa::path(
    delete,
    path = "/account/sessions/{id}",
    tag = "account",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "session id")),
    responses(
        (status = 204, description = "ended"),
        (status = 401, description = "invalid_token", body = crate::http::error::ErrorBody),
        (status = 404, description = "no such live session of this user", body = crate::http::error::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(sub = %claims.sub))]
pub async fn end_session<S: Store>(
    State(state): State<AppState<S>>,
    Bearer(claims): Bearer,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_user(&claims)?;
    if id.len() > 128 {
        return Err(ApiError::not_found());
    }
    state
        .authority()
        .end_session(&claims, &SessionId::new(id))
        .await?;
    state.metrics().revoked();
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /account/password` with `current_password` and `new_password`: every other
/// session of the user ends. A wrong current password counts against the login throttle.
#[utoipa::path(
    post,
    path = "/account/password",
    tag = "account",
    security(("bearer" = [])),
    request_body(content = crate::openapi::PasswordChange, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 204, description = "changed; other sessions ended"),
        (status = 400, description = "invalid_request (missing or unacceptable password)", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_token", body = crate::http::error::ErrorBody),
        (status = 403, description = "access_denied: the current password is wrong", body = crate::http::error::ErrorBody),
        (status = 429, description = "too many wrong passwords", body = crate::http::error::ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(sub = %claims.sub))]
pub async fn change_password<S: Store>(
    State(state): State<AppState<S>>,
    ClientIp(ip): ClientIp,
    Bearer(claims): Bearer,
    params: Params,
) -> Result<StatusCode, ApiError> {
    require_user(&claims)?;
    let current = params.credential("current_password")?.to_owned();
    let new = params.credential("new_password")?.to_owned();
    if let Err(locked) = state.throttle().check_ip(ip, std::time::Instant::now()) {
        state.metrics().login_throttled();
        return Err(ApiError::throttled(locked.retry_after_secs()));
    }
    let authority = Arc::clone(state.authority());
    let result = on_blocking_pool(move || async move {
        let answer = authority.change_password(&claims, &current, &new).await;
        Ok::<_, ApiError>(answer)
    })
    .await?;
    match result {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(AccountError::WrongPassword) => {
            state.metrics().login_failed();
            state
                .throttle()
                .record_ip_failure(ip, std::time::Instant::now());
            Err(AccountError::WrongPassword.into())
        }
        Err(AccountError::Locked(locked)) => {
            state.metrics().login_throttled();
            Err(ApiError::throttled(locked.retry_after_secs()))
        }
        Err(other) => Err(other.into()),
    }
}

/// The account endpoints are for users' tokens, not a client's own.
fn require_user(claims: &tessera_core::AccessClaims) -> Result<(), ApiError> {
    if claims.is_user() {
        Ok(())
    } else {
        Err(ApiError::invalid_token("the token is not a user's"))
    }
}
