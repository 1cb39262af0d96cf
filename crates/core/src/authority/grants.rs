//! The grants of the token endpoint: password, refresh token, client credentials.

use std::net::IpAddr;

use super::both::both;
use super::tokens::Subject;
use super::{Authority, TokenResponse};
use crate::error::{DpopRefused, GrantError, InternalError, ScopeRefused, ServiceError};
use crate::events::SecurityEvent;
use crate::model::{
    Client, EventKind, Grant, NewEvent, RefreshRecord, RotateOutcome, Session, SessionId,
    Timestamp, User,
};
use crate::scope::{OPENID, Scope};
use crate::secrets::{IdKind, TOKEN_LEN, new_id, random_token, sha256};
use crate::store::Store;

impl<S: Store> Authority<S> {
    /// The resource owner password grant (RFC 6749 §4.3): checks the credentials, starts a
    /// session, and answers with an access token, a refresh token (if the client may use
    /// them) and, when `openid` is asked for, an ID token.
    ///
    /// Failed logins are counted per account (the username, case-insensitively) under the
    /// configured [`LockoutPolicy`](crate::lockout::LockoutPolicy); a locked account is
    /// refused before its password is checked.
    ///
    /// # Errors
    /// [`GrantError::GrantNotAllowed`]; [`GrantError::Scope`]; [`GrantError::Malformed`] for
    /// a missing username or password; [`GrantError::Locked`]; [`GrantError::BadCredentials`]
    /// with the same cost for an unknown username, a disabled account or a wrong password.
    pub async fn password_grant(
        &self,
        client: &Client,
        username: &str,
        password: &str,
        scope: Option<&str>,
    ) -> Result<TokenResponse, GrantError> {
        self.password_grant_dpop(client, username, password, scope, None, None)
            .await
    }

    /// [`Self::password_grant`] with the access token bound to the DPoP key `jkt` (from
    /// [`Self::token_request_dpop`]), and for a public client the refresh family too; `ip`
    /// (the request's address) goes into the audit trail.
    ///
    /// # Errors
    /// As [`Self::password_grant`].
    pub async fn password_grant_dpop(
        &self,
        client: &Client,
        username: &str,
        password: &str,
        scope: Option<&str>,
        jkt: Option<&str>,
        ip: Option<IpAddr>,
    ) -> Result<TokenResponse, GrantError> {
        require_grant(client, Grant::Password)?;
        let scope = requested_scope(client, scope, true)?;
        let signed_in = self
            .authenticate(username, password, Some(&client.id), ip)
            .await?;
        if self.has_second_factor(&signed_in.user.id).await? {
            return Err(GrantError::SecondFactorRequired);
        }
        self.clear_failures(&signed_in.lockout).await?;
        let user = signed_in.user;
        let now = self.now();
        let family_key = refresh_binding(client, jkt);
        let started = self.start_session(client, &user, &scope, now, family_key);
        let (started, _) = both(started, self.audit(signed_in.record)).await;
        let (session, refresh_token) = started?;
        let refresh_token = client
            .grants
            .contains(&Grant::RefreshToken)
            .then_some(refresh_token);
        Ok(self.user_response(client, &user, &session, None, &scope, refresh_token, jkt)?)
    }

    /// The refresh token grant (RFC 6749 §6) with rotation (RFC 9700 §4.14): the token is
    /// exchanged for a new one; presented again within the grace window it gets the same
    /// successor; presented again later, its whole session is revoked.
    ///
    /// # Errors
    /// [`GrantError::GrantNotAllowed`]; [`GrantError::Scope`] for a scope beyond the
    /// session's; [`GrantError::BadRefreshToken`] for an unknown, expired, reused or foreign
    /// token, or when the account is disabled or the session has ended.
    pub async fn refresh_grant(
        &self,
        client: &Client,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Result<TokenResponse, GrantError> {
        self.refresh_grant_dpop(client, refresh_token, scope, None)
            .await
    }

    /// [`Self::refresh_grant`] with the new access token bound to the DPoP key `jkt`. A
    /// family bound to a key (RFC 9449 §5) is refreshed only with a proof of that key,
    /// checked before the token is spent.
    ///
    /// # Errors
    /// As [`Self::refresh_grant`]; [`GrantError::Dpop`] when the family is bound to
    /// another key than `jkt`, or `jkt` is none for a bound family.
    pub async fn refresh_grant_dpop(
        &self,
        client: &Client,
        refresh_token: &str,
        scope: Option<&str>,
        jkt: Option<&str>,
    ) -> Result<TokenResponse, GrantError> {
        require_grant(client, Grant::RefreshToken)?;
        if !looks_like_token(refresh_token) {
            return Err(GrantError::BadRefreshToken);
        }
        let hash = sha256(refresh_token.as_bytes());
        let session = self
            .store
            .session_by_refresh(&hash)
            .await?
            .filter(|s| s.client_id == client.id)
            .ok_or(GrantError::BadRefreshToken)?;
        if !super::dpop::refresh_key_fits(session.dpop_jkt.as_deref(), jkt) {
            return Err(DpopRefused::RefreshKeyMismatch.into());
        }
        let scope = narrowed_scope(&session.scope, scope)?;
        // Every read comes before the rotation: once it commits, the presented token is spent,
        // so nothing after it may fail on the store (a 503 then would cost the client its
        // session on retry).
        let user = self
            .store
            .user_by_id(&session.user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(GrantError::BadRefreshToken)?;
        let (session, next_token) = self.rotate(client, &hash, &session).await?;
        let browser = match &session.login_session_id {
            Some(id) => self.store.login_session_by_id(id).await?,
            None => None,
        };
        let next = Some(next_token);
        Ok(self.user_response(client, &user, &session, browser.as_ref(), &scope, next, jkt)?)
    }

    /// The client credentials grant (RFC 6749 §4.4): an access token whose `sub` is the
    /// client itself; no refresh token, no session.
    ///
    /// # Errors
    /// [`GrantError::PublicClient`] or [`GrantError::GrantNotAllowed`]; [`GrantError::Scope`].
    pub async fn client_credentials_grant(
        &self,
        client: &Client,
        scope: Option<&str>,
    ) -> Result<TokenResponse, GrantError> {
        self.client_credentials_grant_dpop(client, scope, None)
            .await
    }

    /// [`Self::client_credentials_grant`] with the access token bound to the DPoP key
    /// `jkt`.
    ///
    /// # Errors
    /// As [`Self::client_credentials_grant`].
    pub async fn client_credentials_grant_dpop(
        &self,
        client: &Client,
        scope: Option<&str>,
        jkt: Option<&str>,
    ) -> Result<TokenResponse, GrantError> {
        require_grant(client, Grant::ClientCredentials)?;
        if client.is_public() {
            return Err(GrantError::PublicClient(Grant::ClientCredentials));
        }
        let scope = requested_scope(client, scope, false)?;
        let subject = Subject {
            sub: client.id.as_str(),
            roles: &[],
            sid: None,
            jkt,
            acr: None,
        };
        let access_token = self.sign_access_token(client, &subject, &scope, self.now())?;
        Ok(self
            .response(access_token, None, &scope, None)
            .bound(jkt.is_some()))
    }

    /// Creates a session with its first refresh token.
    pub(super) async fn start_session(
        &self,
        client: &Client,
        user: &User,
        scope: &Scope,
        now: Timestamp,
        dpop_jkt: Option<&str>,
    ) -> Result<(Session, String), ServiceError> {
        let session = Session {
            id: SessionId::new(new_id(IdKind::Session)?),
            user_id: user.id.clone(),
            client_id: client.id.clone(),
            scope: scope.clone(),
            login_session_id: None,
            created_at: now,
            expires_at: now.plus(self.config.refresh_absolute_lifetime),
            last_used_at: now,
            revoked_at: None,
            dpop_jkt: dpop_jkt.map(str::to_owned),
        };
        let token = random_token()?;
        let first = self.refresh_record(&session, &token, now, false)?;
        self.store.create_session(&session, &first).await?;
        Ok((session, token))
    }

    /// Exchanges the refresh token with digest `hash` through the store.
    async fn rotate(
        &self,
        client: &Client,
        hash: &[u8],
        session: &Session,
    ) -> Result<(Session, String), GrantError> {
        let now = self.now();
        let next_token = random_token()?;
        let next = self.refresh_record(session, &next_token, now, true)?;
        let grace = self.config.refresh_grace;
        match self.store.rotate_refresh(hash, &next, now, grace).await? {
            RotateOutcome::Rotated(session) => Ok((session, next_token)),
            RotateOutcome::Retried {
                session,
                successor_sealed,
            } => {
                let plain = self
                    .master
                    .open(&successor_sealed, &successor_aad(&session.id))
                    .map_err(InternalError::from)?;
                let token = String::from_utf8(plain.to_vec())
                    .map_err(|_| InternalError::Malformed("sealed refresh token"))?;
                Ok((session, token))
            }
            RotateOutcome::Replayed {
                session_id,
                user_id,
            } => {
                let event = NewEvent::new(EventKind::RefreshReplayed).user(&user_id);
                self.audit(event.client(&client.id)).await;
                self.emit(SecurityEvent::RefreshReplayed {
                    session_id: session_id.clone(),
                    user_id,
                    client_id: client.id.clone(),
                    at: now,
                });
                self.end_browser_session_of_family(&session_id).await?;
                Err(GrantError::BadRefreshToken)
            }
            RotateOutcome::Invalid => Err(GrantError::BadRefreshToken),
        }
    }

    /// The record of a new refresh token of `session`; a successor carries its own token
    /// sealed, for the store to keep on the token it replaces (see `Store::rotate_refresh`).
    pub(super) fn refresh_record(
        &self,
        session: &Session,
        token: &str,
        now: Timestamp,
        successor: bool,
    ) -> Result<RefreshRecord, ServiceError> {
        let idle_end = now.plus(self.config.refresh_idle_lifetime);
        let successor_sealed = if successor {
            Some(
                self.master
                    .seal(token.as_bytes(), &successor_aad(&session.id))?,
            )
        } else {
            None
        };
        Ok(RefreshRecord {
            hash: sha256(token.as_bytes()),
            session_id: session.id.clone(),
            created_at: now,
            expires_at: idle_end.min(session.expires_at),
            used_at: None,
            successor_sealed,
        })
    }
}

impl<S: Store> Authority<S> {
    /// Ends the browser session a replayed refresh family came from, if any: a stolen token
    /// means the whole sign-in may be compromised.
    async fn end_browser_session_of_family(&self, family: &SessionId) -> Result<(), ServiceError> {
        let Some(login) = self
            .store
            .session_by_id(family)
            .await?
            .and_then(|s| s.login_session_id)
        else {
            return Ok(());
        };
        if let Some(session) = self.store.login_session_by_id(&login).await? {
            self.end_browser_session(&session, crate::events::EndReason::Replay)
                .await?;
        }
        Ok(())
    }
}

/// The associated data binding a sealed refresh token to its session.
fn successor_aad(session_id: &SessionId) -> Vec<u8> {
    [
        b"tessera/refresh-successor/".as_slice(),
        session_id.as_str().as_bytes(),
    ]
    .concat()
}

/// The key a new refresh family is bound to: a public client's proof key (RFC 9449 §5). A
/// confidential client's refresh tokens are already bound to it by its authentication.
pub(super) fn refresh_binding<'a>(client: &Client, jkt: Option<&'a str>) -> Option<&'a str> {
    jkt.filter(|_| client.is_public())
}

pub(super) fn require_grant(client: &Client, grant: Grant) -> Result<(), GrantError> {
    if client.grants.contains(&grant) {
        Ok(())
    } else {
        Err(GrantError::GrantNotAllowed(grant))
    }
}

/// The scope to grant: the request's, which must be within the client's (plus `openid`
/// for a user's grant), or all of the client's when none is asked for.
pub(super) fn requested_scope(
    client: &Client,
    requested: Option<&str>,
    user: bool,
) -> Result<Scope, GrantError> {
    let allowed =
        Scope::from_tokens(&client.scopes).map_err(|_| InternalError::Malformed("client scope"))?;
    let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
        return Ok(allowed);
    };
    let scope = Scope::parse(requested).map_err(|_| ScopeRefused::Malformed)?;
    let permitted = |token: &String| allowed.contains(token) || (user && token == OPENID);
    if scope.tokens().iter().all(permitted) {
        Ok(scope)
    } else {
        Err(ScopeRefused::ExceedsClient.into())
    }
}

/// The scope of a refreshed token: the session's, or a part of it (RFC 6749 §6).
fn narrowed_scope(granted: &Scope, requested: Option<&str>) -> Result<Scope, ScopeRefused> {
    let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
        return Ok(granted.clone());
    };
    let scope = Scope::parse(requested).map_err(|_| ScopeRefused::Malformed)?;
    if scope.is_subset_of(granted) {
        Ok(scope)
    } else {
        Err(ScopeRefused::ExceedsGrant)
    }
}

/// True when `token` has the shape of our refresh tokens (43 base64url characters).
pub(super) fn looks_like_token(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(scopes: &[&str]) -> Client {
        Client {
            id: "c_1".into(),
            name: "app".into(),
            secret_hash: None,
            grants: vec![Grant::Password],
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            audiences: Vec::new(),
            created_at: Timestamp::EPOCH,
            web: crate::model::ClientWeb::default(),
        }
    }

    #[test]
    fn scope_defaults_to_the_clients_and_allows_openid_for_users() {
        let c = client(&["a", "b"]);
        assert_eq!(
            requested_scope(&c, None, true).expect("ok").to_string(),
            "a b"
        );
        assert_eq!(
            requested_scope(&c, Some("openid b"), true)
                .expect("ok")
                .to_string(),
            "openid b"
        );
        let err = requested_scope(&c, Some("openid"), false).expect_err("no user");
        assert!(matches!(
            err,
            GrantError::Scope(ScopeRefused::ExceedsClient)
        ));
        let err = requested_scope(&c, Some("a c"), true).expect_err("c not allowed");
        assert!(matches!(
            err,
            GrantError::Scope(ScopeRefused::ExceedsClient)
        ));
    }

    #[test]
    fn refresh_scope_may_only_narrow() {
        let granted = Scope::parse("openid a b").expect("valid");
        assert_eq!(
            narrowed_scope(&granted, Some("a")).expect("ok").to_string(),
            "a"
        );
        assert_eq!(narrowed_scope(&granted, None).expect("ok"), granted);
        assert!(narrowed_scope(&granted, Some("c")).is_err());
    }

    #[test]
    fn token_shape() {
        assert!(looks_like_token(&"A".repeat(43)));
        assert!(!looks_like_token(&"A".repeat(42)));
        assert!(!looks_like_token(&format!("{}=", "A".repeat(42))));
        assert!(!looks_like_token("a.b.c"));
    }
}
