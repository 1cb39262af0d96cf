//! Token revocation (RFC 7009) and introspection (RFC 7662).

use serde::Serialize;

use super::grants::looks_like_token;
use super::{AccessClaims, Authority};
use crate::error::{RevokeError, TokenError};
use crate::model::{
    Client, ClientId, EventKind, Jti, NewEvent, RefreshRecord, Session, SessionId, Timestamp,
};
use crate::secrets::sha256;
use crate::store::Store;

/// The `token_type_hint` of RFC 7009 §2.1 and RFC 7662 §2.1.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum TokenTypeHint {
    /// `access_token`.
    AccessToken,
    /// `refresh_token`.
    RefreshToken,
}

impl TokenTypeHint {
    /// Parses a hint; an unknown one is ignored, as RFC 7009 §2.1 allows.
    pub fn parse(hint: &str) -> Option<Self> {
        match hint {
            "access_token" => Some(Self::AccessToken),
            "refresh_token" => Some(Self::RefreshToken),
            _ => None,
        }
    }
}

/// An introspection response (RFC 7662 §2.2). Inactive tokens say nothing else.
#[derive(Clone, Debug, Default, Eq, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[non_exhaustive]
pub struct Introspection {
    /// True when the token is valid now.
    pub active: bool,
    /// Granted scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client it was issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    /// `Bearer` or `DPoP` (bound to a key) for access tokens, `refresh_token` for refresh
    /// tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<Timestamp>,
    /// Issue time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<Timestamp>,
    /// Subject (user id, or client id for client credentials).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Audiences.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aud: Vec<String>,
    /// Issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Token id (access tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<Jti>,
    /// Session id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<SessionId>,
    /// Roles (access tokens of users).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The DPoP key the token is bound to (RFC 9449 §6.2), for access tokens with
    /// `cnf.jkt` and refresh tokens of a bound family.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// The confirmation claim (RFC 7800) of a DPoP-bound token: its key's thumbprint.
#[derive(Clone, Debug, Default, Eq, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Confirmation {
    /// The RFC 7638 SHA-256 thumbprint of the DPoP key, base64url.
    pub jkt: String,
}

impl Confirmation {
    fn of(jkt: Option<String>) -> Option<Self> {
        jkt.map(|jkt| Self { jkt })
    }
}

impl Introspection {
    /// The answer for anything invalid, expired, revoked or unknown.
    pub fn inactive() -> Self {
        Self::default()
    }
}

impl<S: Store> Authority<S> {
    /// Revokes a token (RFC 7009). A refresh token ends its whole session; an access token
    /// is denied by `jti` until it expires. Unknown, invalid and expired tokens are a
    /// success (§2.2). The token's shape decides what it is; the hint is not needed.
    ///
    /// # Errors
    /// [`RevokeError::NotYours`] when the token was issued to another client;
    /// [`RevokeError::Store`] when the store cannot be asked.
    pub async fn revoke(
        &self,
        client: &Client,
        token: &str,
        _hint: Option<TokenTypeHint>,
    ) -> Result<(), RevokeError> {
        if looks_like_token(token) {
            return self.revoke_refresh(client, token).await;
        }
        let Ok(claims) = self.decode_access_token(token) else {
            return Ok(());
        };
        if claims.client_id != client.id {
            return Err(RevokeError::NotYours);
        }
        if !self.store.is_revoked(&claims.jti).await? {
            self.store.revoke_jti(&claims.jti, claims.exp).await?;
            let mut event = NewEvent::new(EventKind::TokenRevoked).client(&client.id);
            event.user = claims.user_id();
            self.audit(event.detail("access_token")).await;
        }
        Ok(())
    }

    async fn revoke_refresh(&self, client: &Client, token: &str) -> Result<(), RevokeError> {
        let hash = sha256(token.as_bytes());
        match self.store.session_by_refresh(&hash).await? {
            None => Ok(()),
            Some(session) if session.client_id != client.id => Err(RevokeError::NotYours),
            Some(session) => {
                if self.store.revoke_session(&session.id, self.now()).await? {
                    let event = NewEvent::new(EventKind::TokenRevoked).client(&client.id);
                    let event = event.user(&session.user_id).detail("refresh_token");
                    self.audit(event).await;
                }
                Ok(())
            }
        }
    }

    /// Introspects a token (RFC 7662) for an authenticated confidential client. Access
    /// tokens get the full check of [`Self::verify_access_token`]; refresh tokens are
    /// active while unused, unexpired and in a live session, and only their own client
    /// sees them as active.
    ///
    /// # Errors
    /// [`RevokeError::PublicClient`] for a public client; [`RevokeError::Store`] when the
    /// store cannot be asked (never for a bad token, which is simply inactive).
    pub async fn introspect(
        &self,
        client: &Client,
        token: &str,
        _hint: Option<TokenTypeHint>,
    ) -> Result<Introspection, RevokeError> {
        if client.is_public() {
            return Err(RevokeError::PublicClient);
        }
        if looks_like_token(token) {
            return self.introspect_refresh(client, token).await;
        }
        match self.verify_access_token(token).await {
            Ok(claims) => Ok(self.access_introspection(claims)),
            Err(TokenError::Store(err)) => Err(err.into()),
            Err(_refused) => Ok(Introspection::inactive()),
        }
    }

    fn access_introspection(&self, claims: AccessClaims) -> Introspection {
        let token_type = super::tokens::token_type_of(&claims);
        Introspection {
            active: true,
            scope: (!claims.scope.is_empty()).then_some(claims.scope),
            client_id: Some(claims.client_id),
            token_type: Some(token_type.into()),
            exp: Some(claims.exp),
            iat: Some(claims.iat),
            sub: Some(claims.sub),
            aud: claims.aud,
            iss: Some(claims.iss),
            jti: Some(claims.jti),
            sid: claims.sid,
            roles: claims.roles,
            cnf: Confirmation::of(claims.cnf_jkt),
        }
    }

    async fn introspect_refresh(
        &self,
        client: &Client,
        token: &str,
    ) -> Result<Introspection, RevokeError> {
        let now = self.now();
        let hash = sha256(token.as_bytes());
        let Some(record) = self.store.refresh_record(&hash).await? else {
            return Ok(Introspection::inactive());
        };
        if record.used_at.is_some() || record.expires_at <= now {
            return Ok(Introspection::inactive());
        }
        let session = self.store.session_by_id(&record.session_id).await?;
        match session {
            Some(session) if session.client_id == client.id && session.is_live(now) => {
                Ok(self.refresh_introspection(&record, session))
            }
            _ => Ok(Introspection::inactive()),
        }
    }

    fn refresh_introspection(&self, record: &RefreshRecord, session: Session) -> Introspection {
        Introspection {
            active: true,
            scope: (!session.scope.is_empty()).then(|| session.scope.to_string()),
            client_id: Some(session.client_id),
            token_type: Some("refresh_token".into()),
            exp: Some(record.expires_at),
            iat: Some(record.created_at),
            sub: Some(session.user_id.into_string()),
            iss: Some(self.config.issuer.clone()),
            cnf: Confirmation::of(session.dpop_jkt),
            sid: Some(session.id),
            ..Introspection::default()
        }
    }
}
