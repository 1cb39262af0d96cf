//! Authorization server metadata (RFC 8414, served at both discovery paths) and the JWKS.

use std::sync::{Arc, Mutex, PoisonError};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tessera_core::authority::{ACR_MFA, ACR_PASSWORD};
use tessera_core::keys::KeyRing;
use tessera_core::{Authority, Store};

use super::AppState;

/// The metadata document (RFC 8414 §2; the OpenID Connect Discovery names where they agree).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Metadata {
    /// The issuer (`iss` of every token).
    pub issuer: String,
    /// The authorization endpoint (authorization code flow with PKCE).
    pub authorization_endpoint: String,
    /// The token endpoint.
    pub token_endpoint: String,
    /// The revocation endpoint (RFC 7009).
    pub revocation_endpoint: String,
    /// The introspection endpoint (RFC 7662).
    pub introspection_endpoint: String,
    /// The userinfo endpoint.
    pub userinfo_endpoint: String,
    /// The JWKS.
    pub jwks_uri: String,
    /// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
    pub end_session_endpoint: String,
    /// The device authorization endpoint (RFC 8628 §4).
    pub device_authorization_endpoint: String,
    /// Grants the token endpoint serves.
    pub grant_types_supported: Vec<&'static str>,
    /// Response types of the authorization endpoint: `code` only (OAuth 2.1).
    pub response_types_supported: Vec<&'static str>,
    /// How authorization responses travel: the query string or a posted form.
    pub response_modes_supported: Vec<&'static str>,
    /// PKCE methods: `S256` only (RFC 7636, RFC 9700 §2.1.1).
    pub code_challenge_methods_supported: Vec<&'static str>,
    /// Every authorization response carries `iss` (RFC 9207).
    pub authorization_response_iss_parameter_supported: bool,
    /// `prompt` values understood.
    pub prompt_values_supported: Vec<&'static str>,
    /// Languages of the sign-in pages.
    pub ui_locales_supported: Vec<&'static str>,
    /// Request objects are not supported.
    pub request_parameter_supported: bool,
    /// Request objects by reference are not supported.
    pub request_uri_parameter_supported: bool,
    /// Back-channel logout tokens are sent (OpenID Connect Back-Channel Logout 1.0).
    pub backchannel_logout_supported: bool,
    /// Logout tokens carry `sid`.
    pub backchannel_logout_session_supported: bool,
    /// Client authentication methods at the token endpoint.
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Client authentication methods at the revocation endpoint.
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Client authentication methods at the introspection endpoint.
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Algorithms of ID tokens (and access tokens).
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// Scopes with a meaning of their own.
    pub scopes_supported: Vec<&'static str>,
    /// Subject identifier types.
    pub subject_types_supported: Vec<&'static str>,
    /// Claims the userinfo endpoint and ID tokens may carry.
    pub claims_supported: Vec<&'static str>,
    /// Authentication context classes of ID tokens' `acr`: a password alone, or with a
    /// second factor (which a client asks for in `acr_values`).
    pub acr_values_supported: Vec<&'static str>,

    /// JWE `alg` values for the ID tokens of clients that registered encryption.
    pub id_token_encryption_alg_values_supported: Vec<&'static str>,
    /// JWE `enc` values for their ID tokens.
    pub id_token_encryption_enc_values_supported: Vec<&'static str>,
    /// Algorithms of signed userinfo answers (the server's signing algorithms).
    pub userinfo_signing_alg_values_supported: Vec<String>,
    /// JWE `alg` values for userinfo answers.
    pub userinfo_encryption_alg_values_supported: Vec<&'static str>,
    /// JWE `enc` values for userinfo answers.
    pub userinfo_encryption_enc_values_supported: Vec<&'static str>,
    /// Algorithms a DPoP proof may be signed with (RFC 9449 §5.1).
    pub dpop_signing_alg_values_supported: Vec<&'static str>,
}

const AUTH_METHODS: [&str; 3] = ["client_secret_basic", "client_secret_post", "none"];

/// The metadata for the authority's issuer.
pub fn metadata_for<S: Store>(state: &AppState<S>) -> Metadata {
    let authority = state.authority();
    let issuer = authority.config().issuer.clone();
    let at = |path: &str| format!("{issuer}{path}");
    let mut algs: Vec<String> = authority
        .key_ring()
        .algorithms()
        .iter()
        .map(|alg| alg.as_str().to_owned())
        .collect();
    let configured = authority.config().rotation.algorithm.as_str().to_owned();
    if !algs.contains(&configured) {
        algs.push(configured);
    }
    Metadata {
        authorization_endpoint: at("/oauth/authorize"),
        token_endpoint: at("/oauth/token"),
        revocation_endpoint: at("/oauth/revoke"),
        introspection_endpoint: at("/oauth/introspect"),
        userinfo_endpoint: at("/userinfo"),
        jwks_uri: at("/.well-known/jwks.json"),
        end_session_endpoint: at("/oauth/logout"),
        device_authorization_endpoint: at("/oauth/device_authorization"),
        issuer,
        grant_types_supported: vec![
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "password",
            tessera_core::model::TOKEN_EXCHANGE_GRANT,
            tessera_core::model::DEVICE_CODE_GRANT,
        ],
        response_types_supported: vec!["code"],
        response_modes_supported: vec!["query", "form_post"],
        code_challenge_methods_supported: vec!["S256"],
        authorization_response_iss_parameter_supported: true,
        prompt_values_supported: vec!["none", "login", "consent", "select_account"],
        ui_locales_supported: crate::ui::LOCALES.to_vec(),
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
        token_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
        revocation_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
        introspection_endpoint_auth_methods_supported: AUTH_METHODS[..2].to_vec(),
        id_token_signing_alg_values_supported: algs.clone(),
        scopes_supported: vec!["openid"],
        subject_types_supported: vec!["public"],
        claims_supported: vec![
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "sid",
            "amr",
            "acr",
            "azp",
            "at_hash",
            "preferred_username",
            "email",
            "roles",
        ],
        acr_values_supported: vec![ACR_PASSWORD, ACR_MFA],

        id_token_encryption_alg_values_supported: encryption_algs(),
        id_token_encryption_enc_values_supported: encryption_encs(),
        userinfo_signing_alg_values_supported: algs,
        userinfo_encryption_alg_values_supported: encryption_algs(),
        userinfo_encryption_enc_values_supported: encryption_encs(),
        dpop_signing_alg_values_supported: tessera_core::authority::DPOP_ALGORITHMS
            .iter()
            .map(|alg| alg.as_str())
            .collect(),
    }
}

/// The JWE `alg` values a client may register.
fn encryption_algs() -> Vec<&'static str> {
    tessera_core::authority::CLIENT_ENCRYPTION_ALGS
        .iter()
        .map(|alg| alg.as_str())
        .collect()
}

/// The JWE `enc` values.
fn encryption_encs() -> Vec<&'static str> {
    tessera_jose::jwe::ContentEncryption::ALL
        .iter()
        .map(|enc| enc.as_str())
        .collect()
}

/// `GET /.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`.
#[utoipa::path(
    get,
    path = "/.well-known/openid-configuration",
    tag = "discovery",
    responses((status = 200, description = "RFC 8414 metadata", body = Metadata))
)]
#[tracing::instrument(skip_all)]
pub async fn metadata<S: Store>(State(state): State<AppState<S>>) -> Response {
    let mut response = Json(metadata_for(&state)).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// `GET /.well-known/jwks.json`: the public keys, with the rotation policy's Cache-Control.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "discovery",
    responses((status = 200, description = "JWK Set (RFC 7517), public keys only", content_type = "application/json"))
)]
pub async fn jwks<S: Store>(State(state): State<AppState<S>>) -> Response {
    let (body, cache_control) = state.jwks().document(state.authority());
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, cache_control),
        ],
        body,
    )
        .into_response()
}

/// The JWKS response, rendered once per key ring: a request then costs two reference
/// counts, not a copy of the document and a header parse.
#[derive(Debug, Default)]
pub struct JwksCache {
    rendered: Mutex<Option<Rendered>>,
}

#[derive(Debug)]
struct Rendered {
    ring: Arc<KeyRing>,
    body: Bytes,
    cache_control: HeaderValue,
}

impl JwksCache {
    /// The body and `Cache-Control` of the JWKS of `authority`'s current key ring,
    /// rendered again when the ring has changed (rotation, retirement, a reload).
    pub fn document<S: Store>(&self, authority: &Authority<S>) -> (Bytes, HeaderValue) {
        let ring = authority.key_ring();
        let mut rendered = self.rendered.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(current) = rendered.as_ref().filter(|r| Arc::ptr_eq(&r.ring, &ring)) {
            return (current.body.clone(), current.cache_control.clone());
        }
        let body = Bytes::from(ring.jwks_json().to_owned());
        let cache_control = HeaderValue::from_str(&authority.jwks_cache_control())
            .unwrap_or_else(|_| HeaderValue::from_static("public, max-age=60"));
        let answer = (body.clone(), cache_control.clone());
        *rendered = Some(Rendered {
            ring,
            body,
            cache_control,
        });
        answer
    }
}
