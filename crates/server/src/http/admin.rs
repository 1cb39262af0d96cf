//! The admin endpoints (Bearer token whose roles contain `admin`): users, clients, signing
//! keys.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tessera_core::authority::FactorSummary;
use tessera_core::keys::{KeyInfo, parse_alg};
use tessera_core::model::{Client, ClientId, ClientWeb, Grant, Timestamp, User};
use tessera_core::{KeyChange, Store};

use super::AppState;
use super::bearer::{Admin, admin_actor};
use super::blocking::on_blocking_pool;
use super::client_jose::ClientJoseFields;
use super::context::in_request;
use super::error::ApiError;
use super::json::{JsonBody, OptionalJson};
use super::params::MAX_CREDENTIAL_LEN;
use super::token::no_store;

/// A JSON answer that must not be cached.
pub(crate) fn json_no_store<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let mut response = (status, Json(value)).into_response();
    no_store(response.headers_mut());
    response
}

/// `GET /admin/users`: every account (no password hashes).
#[utoipa::path(get, path = "/admin/users", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "accounts", body = [tessera_core::model::User]),
        (status = 401, description = "invalid_token: no valid access token", body = crate::http::error::ErrorBody),
        (status = 403, description = "insufficient_scope: the admin role is required", body = crate::http::error::ErrorBody)))]
#[tracing::instrument(skip_all, fields(admin = %claims.sub))]
pub async fn list_users<S: Store>(
    State(state): State<AppState<S>>,
    Admin(claims): Admin,
) -> Result<Response, ApiError> {
    let users: Vec<User> = state.authority().list_users().await?;
    Ok(json_no_store(StatusCode::OK, &users))
}

/// The body of `POST /admin/users`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Initial password.
    pub password: String,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Roles (`admin` opens these endpoints).
    #[serde(default)]
    pub roles: Vec<String>,
}

/// `POST /admin/users`: creates an account (201).
#[utoipa::path(post, path = "/admin/users", tag = "admin", security(("bearer" = [])),
    request_body = NewUser,
    responses((status = 201, description = "created", body = tessera_core::model::User),
        (status = 400, description = "invalid_request", body = crate::http::error::ErrorBody),
        (status = 409, description = "conflict: the username is taken", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_token: no valid access token", body = crate::http::error::ErrorBody),
        (status = 403, description = "insufficient_scope: the admin role is required", body = crate::http::error::ErrorBody)))]
#[tracing::instrument(skip_all, fields(admin = %claims.sub))]
pub async fn create_user<S: Store>(
    State(state): State<AppState<S>>,
    Admin(claims): Admin,
    JsonBody(new): JsonBody<NewUser>,
) -> Result<Response, ApiError> {
    if new.username.len() > MAX_CREDENTIAL_LEN || new.password.len() > MAX_CREDENTIAL_LEN {
        return Err(ApiError::invalid_request(
            "the username or password is too long",
        ));
    }
    let authority = Arc::clone(state.authority());
    let by = admin_actor(&claims);
    let user = on_blocking_pool(move || async move {
        authority
            .create_user(
                &new.username,
                &new.password,
                new.email.as_deref(),
                &new.roles,
                &by,
            )
            .await
    })
    .await?;
    in_request(|| tracing::info!(event = "user_created", user_id = %user.id, "account created"));
    Ok(json_no_store(StatusCode::CREATED, &user))
}

/// The body of `PATCH /admin/users/{username}`.
#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    /// Disable (ending all sessions) or re-enable the account.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// A new password (ends all sessions).
    #[serde(default)]
    pub password: Option<String>,
    /// The account's roles, replacing the ones it has (tokens issued from now on carry
    /// them; the last enabled administrator keeps `admin`).
    #[serde(default)]
    pub roles: Option<Vec<String>>,
}

/// `PATCH /admin/users/{username}`: disables/enables an account, sets its password or
/// replaces its roles.
#[utoipa::path(patch, path = "/admin/users/{username}", tag = "admin", security(("bearer" = [])),
    params(("username" = String, Path)), request_body = UserUpdate,
    responses((status = 204, description = "updated"),
        (status = 400, description = "invalid_request", body = crate::http::error::ErrorBody),
        (status = 404, description = "not_found", body = crate::http::error::ErrorBody),
        (status = 409, description = "last_admin: the last enabled administrator keeps the admin role", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_token: no valid access token", body = crate::http::error::ErrorBody),
        (status = 403, description = "insufficient_scope: the admin role is required", body = crate::http::error::ErrorBody)))]
#[tracing::instrument(skip_all, fields(admin = %claims.sub))]
pub async fn update_user<S: Store>(
    State(state): State<AppState<S>>,
    Admin(claims): Admin,
    Path(username): Path<String>,
    JsonBody(update): JsonBody<UserUpdate>,
) -> Result<StatusCode, ApiError> {
    if update
        .password
        .as_ref()
        .is_some_and(|p| p.len() > MAX_CREDENTIAL_LEN)
    {
        return Err(ApiError::invalid_request("the password is too long"));
    }
    let by = admin_actor(&claims);
    if let Some(password) = update.password {
        let authority = Arc::clone(state.authority());
        let (name, by) = (username.clone(), by.clone());
        on_blocking_pool(
            move || async move { authority.set_password(&name, &password, &by).await },
        )
        .await?;
    }
    if let Some(roles) = &update.roles {
        state
            .authority()
            .set_user_roles(&username, roles, &by)
            .await?;
    }
    if let Some(disabled) = update.disabled {
        state
            .authority()
            .set_user_disabled(&username, disabled, &by)
            .await?;
    }
    in_request(|| tracing::info!(event = "user_updated", "account updated"));
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /admin/users/{username}`: deletes an account and its sessions.
#[utoipa::path(delete, path = "/admin/users/{username}", tag = "admin", security(("bearer" = [])),
    params(("username" = String, Path)),
    responses((status = 204, description = "deleted"),
        (status = 404, description = "not_found", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_token: no valid access token", body = crate::http::error::ErrorBody),
        (status = 403, description = "insufficient_scope: the admin role is required", body = crate::http::error::ErrorBody)))]
#[tracing::instrument(skip_all, fields(admin = %claims.sub))]
pub async fn delete_user<S: Store>(
    State(state): State<AppState<S>>,
    Admin(claims): Admin,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .authority()
        .delete_user(&username, &admin_actor(&claims))
        .await?;
    in_request(|| tracing::info!(event = "user_deleted", "account deleted"));
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /admin/users/{username}/unlock`: lifts the user's failed-login lock-out and
/// forgets their failed logins (204, whether or not they were locked).
#[utoipa::path(post, path = "/admin/users/{username}/unlock", tag = "admin", security(("bearer" = [])),
    params(("username" = String, Path)),
    responses((status = 204, description = "unlocked"),
        (status = 404, description = "not_found", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_token: no valid access token", body = crate::http::error::ErrorBody),
        (status = 403, description = "insufficient_scope: the admin role is required", body = crate::http::error::ErrorBody)))]
#[tracing::instrument(skip_all, fields(admin = %claims.sub))]
pub async fn unlock_user<S: Store>(
    State(state): State<AppState<S>>,
    Admin(claims): Admin,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    let lifted = state
        .authority()
        .unlock_user(&username, &admin_actor(&claims))
        .await?;
    in_request(|| tracing::info!(event = "user_unlocked", lifted, "failed logins forgotten"));
    Ok(StatusCode::NO_CONTENT)
}

/// An account's authenticator app, as the admin API shows it (never its secret).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TotpView {
    /// When it was confirmed (RFC 3339), or null while it is being set up.
    #[schema(format = DateTime, required = true)]
    pub confirmed_at: Option<String>,
    /// When it last gave a code that was accepted (RFC 3339), or null.
    #[schema(format = DateTime, required = true)]
    pub last_used_at: Option<String>,
    /// True while it is set up but not yet confirmed by a first code (it is not asked for
    /// until then).
    pub pending: bool,
}

/// An account's second factors, as `GET /admin/users/{username}/factors` shows them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FactorsView {
    /// The authenticator app (TOTP), or null when the account has none.
    #[schema(required = true)]
    pub totp: Option<TotpView>,
    /// How many of the account's recovery codes are unspent.
    pub recovery_codes_left: u32,
}

impl From<&FactorSummary> for FactorsView {
    fn from(factors: &FactorSummary) -> Self {
        let rfc3339 = |at: Option<Timestamp>| at.map(|at| at.to_millis().to_rfc3339());
        let has_totp = factors.totp_since.is_some() || factors.totp_pending;
        Self {
            totp: has_totp.then(|| TotpView {
                confirmed_at: rfc3339(factors.totp_since),
                last_used_at: rfc3339(factors.totp_last_used),
                pending: factors.totp_pending,
            }),
            recovery_codes_left: factors.recovery_codes_left,
        }
    }
}

/// `GET /admin/users/{username}/factors`: the account's second factors (never secrets).
#[utoipa::path(get, path = "/admin/users/{username}/factors", tag = "admin", security(("bearer" = [])),
    params(("username" = String, Path)),
    responses((status = 200, description = "the account's factors", body = FactorsView),
        (status = 404, description = "not_found", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_token: no valid access token", body = crate::http::error::ErrorBody),
        (status = 403, description = "insufficient_scope: the admin role is required", body = crate::http::error::ErrorBody),
        (status = 503, description = "temporarily_unavailable: the store does not answer; Retry-After", body = crate::http::error::ErrorBody)))]
#[tracing::instrument(skip_all, fields(admin = %claims.sub))]
pub async fn user_factors<S: Store>(
    State(state): State<AppState<S>>,
    Admin(claims): Admin,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let (_, factors) = state.authority().user_factors(&username).await?;
    Ok(json_no_store(StatusCode::OK, &FactorsView::from(&factors)))
}

/// `DELETE /admin/users/{username}/factors`: removes the account's authenticator app and
/// recovery codes (for a user who lost them) and signs the user out of every browser; 204
/// whether or not it had any.
#[utoipa::path(delete, path = "/admin/users/{username}/factors", tag = "admin", security(("bearer" = [])),
    params(("username" = String, Path)),
    responses((status = 204, description = "no second factor left"),
        (status = 404, description = "not_found", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_token: no valid access token", body = crate::http::error::ErrorBody),
        (status = 403, description = "insufficient_scope: the admin role is required", body = crate::http::error::ErrorBody),
        (status = 503, description = "temporarily_unavailable: the store does not answer; Retry-After", body = crate::http::error::ErrorBody)))]
#[tracing::instrument(skip_all, fields(admin = %claims.sub))]
pub async fn reset_user_factors<S: Store>(
    State(state): State<AppState<S>>,
    Admin(claims): Admin,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    let removed = state
        .authority()
        .reset_factors(&username, &admin_actor(&claims))
        .await?;
    in_request(|| tracing::info!(event = "factors_reset", removed, "second factors reset"));
    Ok(StatusCode::NO_CONTENT)
}

/// A client as the admin API shows it; the secret only in the creation answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClientView {
    /// The `client_id`.
    #[schema(value_type = String)]
    pub client_id: ClientId,
    /// The secret, shown once at creation (absent for public clients and in listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Display name.
    pub name: String,
    /// Grants it may use.
    pub grants: Vec<Grant>,
    /// Scopes it may request.
    pub scopes: Vec<String>,
    /// Audiences of its tokens.
    pub audiences: Vec<String>,
    /// True for a public client (no secret).
    pub public: bool,
    /// Creation time.
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    /// Redirect URIs (authorization code flow).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub post_logout_redirect_uris: Vec<String>,
    /// Back-channel logout receiver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    /// First party: no consent page.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub first_party: bool,
    /// Allowed browser origins (CORS).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_origins: Vec<String>,

    /// Its public keys (a JWK Set), when registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<tessera_jose::JwkSet>,
    /// JWE `alg` of its ID tokens, when they are encrypted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token_encrypted_response_alg: Option<String>,
    /// JWE `enc` of its ID tokens, when they are encrypted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token_encrypted_response_enc: Option<String>,
    /// The algorithm of its signed userinfo answers, when registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_signed_response_alg: Option<String>,
    /// JWE `alg` of its userinfo answers, when they are encrypted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_encrypted_response_alg: Option<String>,
    /// JWE `enc` of its userinfo answers, when they are encrypted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_encrypted_response_enc: Option<String>,
    /// Every token request must carry a DPoP proof (RFC 9449).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub require_dpop: bool,
    /// Users signing in to it must give a second factor.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub require_second_factor: bool,
}

impl ClientView {
    fn new(client: Client, secret: Option<String>) -> Self {
        let jose = ClientJoseFields::view(&client.web.jose);
        Self {
            public: client.is_public(),
            client_id: client.id,
            client_secret: secret,
            name: client.name,
            grants: client.grants,
            scopes: client.scopes,
            audiences: client.audiences,
            created_at: client.created_at,
            redirect_uris: client.web.redirect_uris,
            post_logout_redirect_uris: client.web.post_logout_redirect_uris,
            backchannel_logout_uri: client.web.backchannel_logout_uri,
            first_party: client.web.first_party,
            allowed_origins: client.web.allowed_origins,

            jwks: jose.jwks,
            id_token_encrypted_response_alg: jose.id_token_encrypted_response_alg,
            id_token_encrypted_response_enc: jose.id_token_encrypted_response_enc,
            userinfo_signed_response_alg: jose.userinfo_signed_response_alg,
            userinfo_encrypted_response_alg: jose.userinfo_encrypted_response_alg,
            userinfo_encrypted_response_enc: jose.userinfo_encrypted_response_enc,
            require_dpop: client.web.require_dpop,
            require_second_factor: client.web.require_second_factor,
        }
    }
}

/// `GET /admin/clients`.
#[utoipa::path(get, path = "/admin/clients", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "clients", body = [ClientView]),
        (status = 401, description = "invalid_token: no valid access token", body = crate::http::error::ErrorBody),
        (status = 403, description = "insufficient_scope: the admin role is required", body = crate::http::error::ErrorBody)))]
#[tracing::instrument(skip_all, fields(admin = %claims.sub))]
pub async fn list_clients<S: Store>(
    State(state): State<AppState<S>>,
    Admin(claims): Admin,
) -> Result<Response, ApiError> {
    let clients = state.authority().list_clients().await?;
    let views: Vec<ClientView> = clients
        .into_iter()
        .map(|c| ClientView::new(c, None))
        .collect();
    Ok(json_no_store(StatusCode::OK, &views))
}

/// The body of `POST /admin/clients`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    /// Display name.
    pub name: String,
    /// Grants: `authorization_code`, `refresh_token`, `client_credentials`, `password`.
    pub grants: Vec<Grant>,
    /// Scopes it may request.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Audiences of its tokens.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// A public client has no secret.
    #[serde(default)]
    pub public: bool,
    /// Redirect URIs of the authorization code flow (exact match; a loopback URI's port may
    /// differ). Needed with the `authorization_code` grant.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Where logout may send the browser afterwards (exact match).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// The OpenID Connect back-channel logout receiver.
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// A first-party application: no consent page.
    #[serde(default)]
    pub first_party: bool,
    /// Browser origins allowed to call the token, revocation, userinfo and JWKS endpoints.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Every token request must carry a DPoP proof (RFC 9449); its tokens are always bound.
    #[serde(default)]
    pub require_dpop: bool,
    /// Users signing in to it must give a second factor (its ID tokens' `acr` is then
    /// `urn:tessera:acr:mfa`); not with the `password` grant, which cannot ask for one.
    #[serde(default)]
    pub require_second_factor: bool,

    /// The client's public keys (a JWK Set), to encrypt its ID tokens and userinfo to.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<tessera_jose::JwkSet>,
    /// JWE `alg` of its ID tokens (`RSA-OAEP-256`, `RSA-OAEP`, `ECDH-ES`, `ECDH-ES+A128KW`,
    /// `ECDH-ES+A256KW`).
    #[serde(default)]
    pub id_token_encrypted_response_alg: Option<String>,
    /// JWE `enc` of its ID tokens (`A128CBC-HS256` when only the `alg` is given).
    #[serde(default)]
    pub id_token_encrypted_response_enc: Option<String>,
    /// Userinfo answers as a JWT signed with this algorithm (the server's).
    #[serde(default)]
    pub userinfo_signed_response_alg: Option<String>,
    /// JWE `alg` of its userinfo answers (signed, then encrypted).
    #[serde(default)]
    pub userinfo_encrypted_response_alg: Option<String>,
    /// JWE `enc` of its userinfo answers.
    #[serde(default)]
    pub userinfo_encrypted_response_enc: Option<String>,
}

impl NewClient {
    /// The encryption settings, as the client views show them.
    fn jose_fields(&mut self) -> ClientJoseFields {
        ClientJoseFields {
            jwks: self.jwks.take(),
            id_token_encrypted_response_alg: self.id_token_encrypted_response_alg.take(),
            id_token_encrypted_response_enc: self.id_token_encrypted_response_enc.take(),
            userinfo_signed_response_alg: self.userinfo_signed_response_alg.take(),
            userinfo_encrypted_response_alg: self.userinfo_encrypted_response_alg.take(),
            userinfo_encrypted_response_enc: self.userinfo_encrypted_response_enc.take(),
        }
    }
}

/// `POST /admin/clients`: registers a client (201); the secret is in this answer only.
#[utoipa::path(post, path = "/admin/clients", tag = "admin", security(("bearer" = [])),
    request_body = NewClient,
    responses((status = 201, description = "created, with its secret (shown once)", body = ClientView),
        (status = 400, description = "invalid_request", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_token: no valid access token", body = crate::http::error::ErrorBody),
        (status = 403, description = "insufficient_scope: the admin role is required", body = crate::http::error::ErrorBody)))]
#[tracing::instrument(skip_all, fields(admin = %claims.sub))]
pub async fn create_client<S: Store>(
    State(state): State<AppState<S>>,
    Admin(claims): Admin,
    JsonBody(mut new): JsonBody<NewClient>,
) -> Result<Response, ApiError> {
    let jose = new.jose_fields().parse()?;
    let registration = tessera_core::NewClient::new(new.name.as_str(), &new.grants)
        .with_scopes(&new.scopes)
        .with_audiences(&new.audiences)
        .public(new.public)
        .with_web(ClientWeb {
            redirect_uris: new.redirect_uris,
            post_logout_redirect_uris: new.post_logout_redirect_uris,
            backchannel_logout_uri: new.backchannel_logout_uri,
            first_party: new.first_party,
            allowed_origins: new.allowed_origins,
            require_dpop: new.require_dpop,
            require_second_factor: new.require_second_factor,

            jose,
        });
    let (client, secret) = state
        .authority()
        .register_client(&registration, &admin_actor(&claims))
        .await?;
    in_request(
        || tracing::info!(event = "client_created", client_id = %client.id, "client registered"),
    );
    Ok(json_no_store(
        StatusCode::CREATED,
        &ClientView::new(client, secret),
    ))
}

/// `DELETE /admin/clients/{id}`: removes a client and ends its sessions.
#[utoipa::path(delete, path = "/admin/clients/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "client_id")),
    responses((status = 204, description = "removed"),
        (status = 404, description = "not_found", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_token: no valid access token", body = crate::http::error::ErrorBody),
        (status = 403, description = "insufficient_scope: the admin role is required", body = crate::http::error::ErrorBody)))]
#[tracing::instrument(skip_all, fields(admin = %claims.sub))]
pub async fn delete_client<S: Store>(
    State(state): State<AppState<S>>,
    Admin(claims): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .authority()
        .delete_client(&id, &admin_actor(&claims))
        .await?;
    in_request(|| tracing::info!(event = "client_removed", client_id = %id, "client removed"));
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /admin/keys`: every signing key ever made, without key material.
#[utoipa::path(get, path = "/admin/keys", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "keys, oldest first", body = [tessera_core::keys::KeyInfo]),
        (status = 401, description = "invalid_token: no valid access token", body = crate::http::error::ErrorBody),
        (status = 403, description = "insufficient_scope: the admin role is required", body = crate::http::error::ErrorBody)))]
#[tracing::instrument(skip_all, fields(admin = %claims.sub))]
pub async fn list_keys<S: Store>(
    State(state): State<AppState<S>>,
    Admin(claims): Admin,
) -> Result<Response, ApiError> {
    let keys: Vec<KeyInfo> = state.authority().list_keys().await?;
    Ok(json_no_store(StatusCode::OK, &keys))
}

/// The optional body of `POST /admin/keys/rotate`.
#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotate {
    /// The new key's algorithm (default: the configured one).
    #[serde(default)]
    pub alg: Option<String>,
}

/// `POST /admin/keys/rotate`: a new key signs from now; the old ones start retiring.
#[utoipa::path(post, path = "/admin/keys/rotate", tag = "admin", security(("bearer" = [])),
    request_body(content = Option<Rotate>, description = "optional"),
    responses((status = 200, description = "the key changes", body = [tessera_core::KeyChange]),
        (status = 400, description = "invalid_request: unknown or unsupported algorithm", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_token: no valid access token", body = crate::http::error::ErrorBody),
        (status = 403, description = "insufficient_scope: the admin role is required", body = crate::http::error::ErrorBody)))]
#[tracing::instrument(skip_all, fields(admin = %claims.sub))]
pub async fn rotate_keys<S: Store>(
    State(state): State<AppState<S>>,
    Admin(claims): Admin,
    OptionalJson(rotate): OptionalJson<Rotate>,
) -> Result<Response, ApiError> {
    let alg = match rotate.alg.as_deref() {
        Some(name) => {
            Some(parse_alg(name).map_err(|err| ApiError::invalid_request(err.to_string()))?)
        }
        None => None,
    };
    let changes: Vec<KeyChange> = state
        .authority()
        .rotate_keys_now(alg, &admin_actor(&claims))
        .await?;
    in_request(|| tracing::info!(event = "keys_rotated", "signing key rotated"));
    Ok(json_no_store(StatusCode::OK, &changes))
}

/// `DELETE /admin/keys/{kid}`: retires a key at once (not the one that signs now).
#[utoipa::path(delete, path = "/admin/keys/{kid}", tag = "admin", security(("bearer" = [])),
    params(("kid" = String, Path)),
    responses((status = 200, description = "the change", body = tessera_core::KeyChange),
        (status = 400, description = "invalid_request: the key signs now", body = crate::http::error::ErrorBody),
        (status = 404, description = "not_found", body = crate::http::error::ErrorBody),
        (status = 401, description = "invalid_token: no valid access token", body = crate::http::error::ErrorBody),
        (status = 403, description = "insufficient_scope: the admin role is required", body = crate::http::error::ErrorBody)))]
#[tracing::instrument(skip_all, fields(admin = %claims.sub))]
pub async fn retire_key<S: Store>(
    State(state): State<AppState<S>>,
    Admin(claims): Admin,
    Path(kid): Path<String>,
) -> Result<Response, ApiError> {
    let change = state
        .authority()
        .retire_key(&kid, &admin_actor(&claims))
        .await?;
    in_request(|| tracing::info!(event = "key_retired", kid = %kid, "signing key retired"));
    Ok(json_no_store(StatusCode::OK, &change))
}
