//! Access tokens (RFC 9068), ID tokens, and the token endpoint's response.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_jose::jws::Header;
use tessera_jose::{Claims, Validator, jwt};

use super::Authority;
use super::factors::{ACR_MFA, ACR_PASSWORD};
use crate::error::{InternalError, ServiceError, TokenError};
use crate::keys::KeyRing;
use crate::model::{
    Client, ClientId, Jti, LoginSession, Session, SessionId, Timestamp, User, UserId,
};
use crate::scope::{OPENID, Scope};
use crate::secrets::random_jti;
use crate::store::Store;

/// The `typ` of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// The `token_type` of an access token anyone holding it may use.
const BEARER: &str = "Bearer";
/// The `token_type` of an access token bound to a DPoP key (RFC 9449 §5).
const DPOP: &str = "DPoP";

/// A successful token endpoint response (RFC 6749 §5.1). `Debug` hides the tokens.
#[derive(Clone, Deserialize, Eq, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[non_exhaustive]
pub struct TokenResponse {
    /// The access token (a JWT).
    pub access_token: String,
    /// `DPoP` when the access token is bound to the key of the request's DPoP proof
    /// (RFC 9449 §5), else `Bearer`.
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
    /// What token exchange issued (RFC 8693 §2.2.1): always an access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<String>,
}

impl TokenResponse {
    /// Says `DPoP` as the token type when the access token is bound to a key.
    pub(super) fn bound(mut self, bound: bool) -> Self {
        if bound {
            DPOP.clone_into(&mut self.token_type);
        }
        self
    }
}

/// The `token_type` of an access token with these claims: `DPoP` when bound, else `Bearer`.
pub(super) fn token_type_of(claims: &AccessClaims) -> &'static str {
    if claims.cnf_jkt.is_some() {
        DPOP
    } else {
        BEARER
    }
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
    /// Subject: a user id, or the client id for client credentials (see
    /// [`AccessClaims::user_id`]).
    pub sub: String,
    /// Audiences.
    pub aud: Vec<String>,
    /// Expiry.
    pub exp: Timestamp,
    /// Issue time.
    pub iat: Timestamp,
    /// Token id.
    pub jti: Jti,
    /// The client it was issued to.
    pub client_id: ClientId,
    /// Granted scope, space-separated.
    pub scope: String,
    /// The user's roles.
    pub roles: Vec<String>,
    /// The session, for tokens issued to a user.
    pub sid: Option<SessionId>,
    /// `cnf.jkt`: the thumbprint of the DPoP key the token is bound to (RFC 9449 §6.1).
    pub cnf_jkt: Option<String>,
    /// `act` (RFC 8693 §4.1): who acts for the subject, for a token from token exchange.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act: Option<Value>,
}

impl AccessClaims {
    /// True when `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }

    /// The user the token speaks for, when it was issued to a user.
    pub fn user_id(&self) -> Option<UserId> {
        self.is_user().then(|| UserId::new(self.sub.clone()))
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
    #[serde(default)]
    cnf: Option<Confirmation>,
    #[serde(default)]
    act: Option<Value>,
}

/// The `cnf` claim of a DPoP-bound token (RFC 9449 §6.1): only `jkt` is ever issued.
#[derive(Deserialize)]
struct Confirmation {
    jkt: String,
}

/// What an ID token says about the authentication behind it.
pub(super) struct IdTokenFacts<'a> {
    /// When the user authenticated.
    pub(super) auth_time: Timestamp,
    /// The session it belongs to: the browser session for the code flow, the refresh
    /// family for the password grant.
    pub(super) sid: &'a str,
    /// The request's `nonce`.
    pub(super) nonce: Option<&'a str>,
    /// How the user authenticated.
    pub(super) amr: &'a [String],
    /// The authentication context class reached.
    pub(super) acr: Option<&'a str>,
}

/// `at_hash` (OpenID Connect Core §3.1.3.6): the left half of the hash of the access token
/// with the hash of the ID token's algorithm (SHA-512 for EdDSA on Ed25519), as base64url.
fn left_half_hash(alg: tessera_jose::Algorithm, token: &str) -> String {
    use aws_lc_rs::digest::{SHA256, SHA384, SHA512, digest};
    use tessera_jose::Algorithm;
    let hash = match alg {
        Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 | Algorithm::HS384 => &SHA384,
        Algorithm::RS512 | Algorithm::PS512 | Algorithm::ES512 | Algorithm::HS512 => &SHA512,
        Algorithm::EdDSA => &SHA512,
        _ => &SHA256,
    };
    let full = digest(hash, token.as_bytes());
    let bytes = full.as_ref();
    tessera_jose::b64::encode(&bytes[..bytes.len() / 2])
}

/// Who an access token is about.
pub(super) struct Subject<'a> {
    pub(super) sub: &'a str,
    pub(super) roles: &'a [String],
    pub(super) sid: Option<&'a str>,
    /// The thumbprint of the DPoP key the token is bound to, if any.
    pub(super) jkt: Option<&'a str>,
    /// The `acr` to state: only [`ACR_MFA`], when a second factor was used, so that a
    /// resource server can require it.
    pub(super) acr: Option<&'a str>,
}

impl<S: Store> Authority<S> {
    /// Signs an access token for `client` with a new `jti`.
    pub(super) fn sign_access_token(
        &self,
        client: &Client,
        subject: &Subject<'_>,
        scope: &Scope,
        now: Timestamp,
    ) -> Result<String, ServiceError> {
        let jti = Jti::new(random_jti()?);
        self.sign_access_token_as(client, subject, scope, now, &jti)
    }

    /// Signs an access token for `client` with this `jti` (expiring after the access token
    /// lifetime, see [`Self::access_expiry`]).
    pub(super) fn sign_access_token_as(
        &self,
        client: &Client,
        subject: &Subject<'_>,
        scope: &Scope,
        now: Timestamp,
        jti: &Jti,
    ) -> Result<String, ServiceError> {
        let claims = self.access_claims(client, subject, scope, now, jti);
        self.sign(&claims, ACCESS_TOKEN_TYP)
    }

    /// The claims of an access token (RFC 9068) for `client` about `subject`: its audiences,
    /// the access token lifetime, `client_id`, `scope`, `roles`, `sid` and `cnf`.
    pub(super) fn access_claims(
        &self,
        client: &Client,
        subject: &Subject<'_>,
        scope: &Scope,
        now: Timestamp,
        jti: &Jti,
    ) -> Claims {
        let mut claims = Claims::new()
            .with_issuer(self.config.issuer.as_str())
            .with_subject(subject.sub)
            .with_expiry(self.access_expiry(now).secs())
            .with_issued_at(now.secs())
            .with_jwt_id(jti.as_str());
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
        if let Some(jkt) = subject.jkt {
            extra.insert("cnf".into(), serde_json::json!({ "jkt": jkt }));
        }
        if let Some(acr) = subject.acr {
            extra.insert("acr".into(), acr.into());
        }
        claims
    }

    /// When an access token issued at `now` expires.
    pub(super) fn access_expiry(&self, now: Timestamp) -> Timestamp {
        now.plus_secs(self.access_lifetime())
    }

    /// Signs an OpenID Connect ID token for `user` (OpenID Connect Core §2), with
    /// `at_hash` of the access token it comes with.
    pub(super) fn sign_id_token(
        &self,
        client: &Client,
        user: &User,
        facts: &IdTokenFacts<'_>,
        access_token: &str,
        now: Timestamp,
    ) -> Result<String, ServiceError> {
        let mut claims = Claims::new()
            .with_issuer(self.config.issuer.as_str())
            .with_subject(user.id.as_str())
            .with_audience(client.id.as_str())
            .with_expiry(now.plus_secs(self.access_lifetime()).secs())
            .with_issued_at(now.secs());
        let ring = self.key_ring();
        let extra = &mut claims.extra;
        extra.insert("auth_time".into(), facts.auth_time.secs().into());
        extra.insert("sid".into(), facts.sid.into());
        if let Some(nonce) = facts.nonce {
            extra.insert("nonce".into(), nonce.into());
        }
        extra.insert("amr".into(), Value::from(facts.amr.to_vec()));
        if let Some(acr) = facts.acr {
            extra.insert("acr".into(), acr.into());
        }
        extra.insert("azp".into(), client.id.as_str().into());
        extra.insert(
            "at_hash".into(),
            left_half_hash(ring.signing_key().algorithm(), access_token).into(),
        );
        extra.insert("preferred_username".into(), user.username.as_str().into());
        if let Some(email) = &user.email {
            extra.insert("email".into(), email.as_str().into());
        }
        self.sign_with(&ring, &claims, Some("JWT"))
    }

    /// The response for a password or refresh grant: an access token, an ID token if
    /// `openid` was granted, and the refresh token if the client may use it. `browser` is
    /// the sign-in the refresh family came from (code flow): its `amr`, `acr`, `auth_time`
    /// and `sid` carry over; without one, the user signed in with a password.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn user_response(
        &self,
        client: &Client,
        user: &User,
        session: &Session,
        browser: Option<&LoginSession>,
        scope: &Scope,
        refresh_token: Option<String>,
        jkt: Option<&str>,
    ) -> Result<TokenResponse, ServiceError> {
        let now = self.now();
        let jti = Jti::new(random_jti()?);
        let password = ["pwd".to_owned()];
        let facts = match browser {
            Some(signed_in) => IdTokenFacts {
                auth_time: signed_in.auth_time,
                sid: signed_in.id.as_str(),
                nonce: None,
                amr: &signed_in.amr,
                acr: signed_in.acr.as_deref(),
            },
            None => IdTokenFacts {
                auth_time: session.created_at,
                sid: session.id.as_str(),
                nonce: None,
                amr: &password,
                acr: Some(ACR_PASSWORD),
            },
        };
        self.tokens_for(
            client,
            user,
            session,
            scope,
            refresh_token,
            &facts,
            &jti,
            now,
            jkt,
        )
    }

    /// The access token (with `jti`), the ID token if `openid` was granted (with `facts`),
    /// and the refresh token if given, as one token response.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn tokens_for(
        &self,
        client: &Client,
        user: &User,
        session: &Session,
        scope: &Scope,
        refresh_token: Option<String>,
        facts: &IdTokenFacts<'_>,
        jti: &Jti,
        now: Timestamp,
        jkt: Option<&str>,
    ) -> Result<TokenResponse, ServiceError> {
        let subject = Subject {
            sub: user.id.as_str(),
            roles: &user.roles,
            sid: Some(session.id.as_str()),
            jkt,
            acr: facts.acr.filter(|acr| *acr == ACR_MFA),
        };
        let access_token = self.sign_access_token_as(client, &subject, scope, now, jti)?;
        let id_token = if scope.contains(OPENID) {
            let signed = self.sign_id_token(client, user, facts, &access_token, now)?;
            Some(self.id_token_for(client, signed)?)
        } else {
            None
        };
        let response = self.response(access_token, refresh_token, scope, id_token);
        Ok(response.bound(jkt.is_some()))
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
            token_type: BEARER.into(),
            expires_in: self.access_lifetime(),
            refresh_token,
            scope: (!scope.is_empty()).then(|| scope.to_string()),
            id_token,
            issued_token_type: None,
        }
    }

    /// Verifies an access token for a protected endpoint: our keys, `typ: at+jwt`, our
    /// issuer, not expired, not revoked, and its session (if any) still live.
    ///
    /// # Errors
    /// A [`TokenError`] refusal for anything wrong with the token; [`TokenError::Store`]
    /// when the store cannot be asked.
    pub async fn verify_access_token(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let claims = self.decode_access_token(token)?;
        if self.store.is_revoked(&claims.jti).await? {
            return Err(TokenError::Revoked);
        }
        if let Some(sid) = &claims.sid {
            let now = self.now();
            let live = self
                .store
                .session_by_id(sid)
                .await?
                .is_some_and(|s| s.is_live(now));
            if !live {
                return Err(TokenError::SessionEnded);
            }
        }
        Ok(claims)
    }

    /// Checks an access token's signature, header and claims, without asking the store.
    /// A token that passed before under the same key ring and has not expired is not
    /// checked again (see [`super::verified`]).
    pub(super) fn decode_access_token(&self, token: &str) -> Result<AccessClaims, TokenError> {
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
    fn check_access_token(&self, token: &str, ring: &KeyRing) -> Result<AccessClaims, TokenError> {
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
        let verified = validator
            .verify(token, ring.key_set())
            .map_err(|err| match err.code() {
                "jwt_expired" => TokenError::Expired,
                _ => TokenError::Invalid(Some(err)),
            })?;
        let claims = verified.claims;
        let extra: AccessExtra = claims
            .custom()
            .map_err(|err| TokenError::Invalid(Some(err)))?;
        // `require` above guarantees these; an absent one still fails closed.
        let missing = || TokenError::Invalid(None);
        Ok(AccessClaims {
            iss: claims.iss.ok_or_else(missing)?,
            sub: claims.sub.ok_or_else(missing)?,
            aud: claims.aud,
            exp: Timestamp::from_secs(claims.exp.ok_or_else(missing)?),
            iat: Timestamp::from_secs(claims.iat.ok_or_else(missing)?),
            jti: Jti::new(claims.jti.ok_or_else(missing)?),
            client_id: ClientId::new(extra.client_id),
            scope: extra.scope,
            roles: extra.roles,
            sid: extra.sid.map(SessionId::new),
            cnf_jkt: extra.cnf.map(|cnf| cnf.jkt),
            act: extra.act,
        })
    }

    pub(super) fn sign(&self, claims: &Claims, typ: &str) -> Result<String, ServiceError> {
        self.sign_with(&self.key_ring(), claims, Some(typ))
    }

    /// Signs with the current key and no `typ` (a userinfo answer: OpenID Connect names none).
    pub(super) fn sign_untyped(&self, claims: &Claims) -> Result<String, ServiceError> {
        self.sign_with(&self.key_ring(), claims, None)
    }

    fn sign_with(
        &self,
        ring: &KeyRing,
        claims: &Claims,
        typ: Option<&str>,
    ) -> Result<String, ServiceError> {
        let key = ring.signing_key();
        let mut header = Header::new(key.algorithm());
        if let Some(typ) = typ {
            header = header.with_typ(typ);
        }
        let header = header.with_kid(key.kid());
        jwt::sign_with_header(&header, claims, key)
            .map_err(|err| InternalError::Signing(err).into())
    }

    pub(super) fn audiences(&self, client: &Client) -> Vec<String> {
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
