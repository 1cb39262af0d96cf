//! Access tokens (RFC 9068), ID tokens, and the token endpoint's response.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_jose::jws::Header;
use tessera_jose::{Claims, Validator, jwt};

use super::{Authority, OAuthError};
use crate::keys::KeyRing;
use crate::model::{Client, Session, Timestamp, User};
use crate::scope::{OPENID, Scope};
use crate::secrets::random_jti;
use crate::store::Store;

/// The `typ` of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// A successful token endpoint response (RFC 6749 §5.1). `Debug` hides the tokens.
#[derive(Clone, Deserialize, Eq, PartialEq, Serialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The access token (a JWT).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The refresh token, for grants that give one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The granted scope, when not empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The OpenID Connect ID token, when `openid` was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| ".."))
            .field("scope", &self.scope)
            .field("id_token", &self.id_token.as_ref().map(|_| ".."))
            .finish_non_exhaustive()
    }
}

/// The verified claims of one of our access tokens.
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
#[non_exhaustive]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// Subject: a user id, or the client id for client credentials.
    pub sub: String,
    /// Audiences.
    pub aud: Vec<String>,
    /// Expiry.
    pub exp: Timestamp,
    /// Issue time.
    pub iat: Timestamp,
    /// Token id.
    pub jti: String,
    /// The client it was issued to.
    pub client_id: String,
    /// Granted scope, space-separated.
    pub scope: String,
    /// The user's roles.
    pub roles: Vec<String>,
    /// The session, for tokens issued to a user.
    pub sid: Option<String>,
}

impl AccessClaims {
    /// True when `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }

    /// True when the user has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// True when the token was issued to a user (not to a client for itself).
    pub fn is_user(&self) -> bool {
        self.sid.is_some()
    }
}

/// The private claims of an access token, as signed.
#[derive(Deserialize)]
struct AccessExtra {
    client_id: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    sid: Option<String>,
}

/// Who an access token is about.
pub(super) struct Subject<'a> {
    pub(super) sub: &'a str,
    pub(super) roles: &'a [String],
    pub(super) sid: Option<&'a str>,
}

impl<S: Store> Authority<S> {
    /// Signs an access token for `client` and returns it with its lifetime in seconds.
    pub(super) fn sign_access_token(
        &self,
        client: &Client,
        subject: &Subject<'_>,
        scope: &Scope,
        now: Timestamp,
    ) -> Result<String, OAuthError> {
        let mut claims = Claims::new()
            .with_issuer(self.config.issuer.as_str())
            .with_subject(subject.sub)
            .with_expiry(now.saturating_add(self.access_lifetime()))
            .with_issued_at(now)
            .with_jwt_id(random_jti()?);
        claims.aud = self.audiences(client);
        let extra = &mut claims.extra;
        extra.insert("client_id".into(), client.id.as_str().into());
        if !scope.is_empty() {
            extra.insert("scope".into(), scope.to_string().into());
        }
        if !subject.roles.is_empty() {
            extra.insert("roles".into(), Value::from(subject.roles.to_vec()));
        }
        if let Some(sid) = subject.sid {
            extra.insert("sid".into(), sid.into());
        }
        self.sign(&claims, ACCESS_TOKEN_TYP)
    }

    /// Signs an OpenID Connect ID token for `user` in `session`.
    pub(super) fn sign_id_token(
        &self,
        client: &Client,
        user: &User,
        session: &Session,
        now: Timestamp,
    ) -> Result<String, OAuthError> {
        let mut claims = Claims::new()
            .with_issuer(self.config.issuer.as_str())
            .with_subject(user.id.as_str())
            .with_audience(client.id.as_str())
            .with_expiry(now.saturating_add(self.access_lifetime()))
            .with_issued_at(now);
        let extra = &mut claims.extra;
        extra.insert("auth_time".into(), session.created_at.into());
        extra.insert("sid".into(), session.id.as_str().into());
        extra.insert("preferred_username".into(), user.username.as_str().into());
        if let Some(email) = &user.email {
            extra.insert("email".into(), email.as_str().into());
        }
        self.sign(&claims, "JWT")
    }

    /// The response for a user's grant: an access token, an ID token if `openid` was
    /// granted, and the refresh token if the client may use it.
    pub(super) fn user_response(
        &self,
        client: &Client,
        user: &User,
        session: &Session,
        scope: &Scope,
        refresh_token: Option<String>,
    ) -> Result<TokenResponse, OAuthError> {
        let now = self.now();
        let subject = Subject {
            sub: &user.id,
            roles: &user.roles,
            sid: Some(&session.id),
        };
        let access_token = self.sign_access_token(client, &subject, scope, now)?;
        let id_token = if scope.contains(OPENID) {
            Some(self.sign_id_token(client, user, session, now)?)
        } else {
            None
        };
        Ok(self.response(access_token, refresh_token, scope, id_token))
    }

    pub(super) fn response(
        &self,
        access_token: String,
        refresh_token: Option<String>,
        scope: &Scope,
        id_token: Option<String>,
    ) -> TokenResponse {
        TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: self.access_lifetime(),
            refresh_token,
            scope: (!scope.is_empty()).then(|| scope.to_string()),
            id_token,
        }
    }

    /// Verifies an access token for a protected endpoint: our keys, `typ: at+jwt`, our
    /// issuer, not expired, not revoked, and its session (if any) still live.
    ///
    /// # Errors
    /// `invalid_token` for anything wrong with the token; `temporarily_unavailable` when
    /// the store cannot be asked.
    pub async fn verify_access_token(&self, token: &str) -> Result<AccessClaims, OAuthError> {
        let claims = self.decode_access_token(token)?;
        if self.store.is_revoked(&claims.jti).await? {
            return Err(OAuthError::invalid_token("the access token was revoked"));
        }
        if let Some(sid) = &claims.sid {
            let live = self
                .store
                .session_by_id(sid)
                .await?
                .is_some_and(|s| s.revoked_at.is_none() && s.expires_at > self.now());
            if !live {
                return Err(OAuthError::invalid_token("the session has ended"));
            }
        }
        Ok(claims)
    }

    /// Checks an access token's signature, header and claims, without asking the store.
    /// A token that passed before under the same key ring and has not expired is not
    /// checked again (see [`super::verified`]).
    pub(super) fn decode_access_token(&self, token: &str) -> Result<AccessClaims, OAuthError> {
        let ring = self.key_ring();
        let now = self.now();
        if let Some(claims) = self.verified.get(token, &ring, now) {
            return Ok(claims);
        }
        let claims = self.check_access_token(token, &ring)?;
        self.verified.insert(token, &claims, &ring, now);
        Ok(claims)
    }

    /// The full check of [`Self::decode_access_token`], signature included.
    fn check_access_token(&self, token: &str, ring: &KeyRing) -> Result<AccessClaims, OAuthError> {
        let validator = Validator::builder()
            .issuer(self.config.issuer.as_str())
            .typ(ACCESS_TOKEN_TYP)
            .algorithms(ring.algorithms())
            .require("sub")
            .require("jti")
            .require("iat")
            .require("client_id")
            .clock(self.clock.clone())
            .build();
        let verified = validator.verify(token, ring.key_set()).map_err(|err| {
            let description = match err.code() {
                "jwt_expired" => "the access token expired",
                _ => "the access token is invalid",
            };
            OAuthError::invalid_token(description).with_internal(err.code())
        })?;
        let claims = verified.claims;
        let extra: AccessExtra = claims
            .custom()
            .map_err(|_| OAuthError::invalid_token("the access token is invalid"))?;
        // `require` above guarantees these; an absent one still fails closed.
        let missing = || OAuthError::invalid_token("the access token is invalid");
        Ok(AccessClaims {
            iss: claims.iss.ok_or_else(missing)?,
            sub: claims.sub.ok_or_else(missing)?,
            aud: claims.aud,
            exp: claims.exp.ok_or_else(missing)?,
            iat: claims.iat.ok_or_else(missing)?,
            jti: claims.jti.ok_or_else(missing)?,
            client_id: extra.client_id,
            scope: extra.scope,
            roles: extra.roles,
            sid: extra.sid,
        })
    }

    fn sign(&self, claims: &Claims, typ: &str) -> Result<String, OAuthError> {
        let ring = self.key_ring();
        let key = ring.signing_key();
        let header = Header::new(key.algorithm())
            .with_typ(typ)
            .with_kid(key.kid());
        jwt::sign_with_header(&header, claims, key)
            .map_err(|err| OAuthError::server(format!("signing: {}", err.code())))
    }

    fn audiences(&self, client: &Client) -> Vec<String> {
        if !client.audiences.is_empty() {
            return client.audiences.clone();
        }
        vec![
            self.config
                .default_audience
                .clone()
                .unwrap_or_else(|| self.config.issuer.clone()),
        ]
    }
}
