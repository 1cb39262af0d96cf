//! A signed-in user's own requests: userinfo, logout, sessions, password changes.

use serde::Serialize;

use super::{AccessClaims, Authority};
use crate::error::{AccountError, TokenError};
use crate::events::{EndReason, SecurityEvent};
use crate::model::{
    Actor, EventKind, LockoutKey, LoginSession, LoginSessionId, NewEvent, Session, SessionId, User,
    UserId,
};
use crate::store::Store;

/// What `/userinfo` tells about the token's user.
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[non_exhaustive]
pub struct UserInfo {
    /// The user id.
    pub sub: UserId,
    /// The username.
    pub preferred_username: String,
    /// The email address, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Role names.
    pub roles: Vec<String>,
}

impl<S: Store> Authority<S> {
    /// The user behind a verified access token.
    ///
    /// # Errors
    /// [`TokenError::NotAUser`] or [`TokenError::AccountUnavailable`] when the token is not a
    /// live user's; the store's errors.
    pub async fn userinfo(&self, claims: &AccessClaims) -> Result<UserInfo, TokenError> {
        let user = self.token_user(claims).await?;
        Ok(UserInfo {
            sub: user.id,
            preferred_username: user.username,
            email: user.email,
            roles: user.roles,
        })
    }

    /// Ends the token's session (its refresh family) and revokes the token itself.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn logout(&self, claims: &AccessClaims) -> Result<(), AccountError> {
        if let Some(sid) = &claims.sid {
            self.store.revoke_session(sid, self.now()).await?;
        }
        if !self.store.is_revoked(&claims.jti).await? {
            self.store.revoke_jti(&claims.jti, claims.exp).await?;
        }
        let mut event = NewEvent::new(EventKind::Logout).client(&claims.client_id);
        event.user = claims.user_id();
        self.audit(event).await;
        Ok(())
    }

    /// The live sessions of the token's user.
    ///
    /// # Errors
    /// [`TokenError::NotAUser`] for a client's own token; the store's errors.
    pub async fn list_sessions(&self, claims: &AccessClaims) -> Result<Vec<Session>, AccountError> {
        let user = claims.user_id().ok_or(TokenError::NotAUser)?;
        Ok(self.store.sessions_of(&user, self.now()).await?)
    }

    /// Ends one of the token user's sessions.
    ///
    /// # Errors
    /// [`AccountError::NoSuchSession`] when the user has no live session with this id.
    pub async fn end_session(
        &self,
        claims: &AccessClaims,
        session_id: &SessionId,
    ) -> Result<(), AccountError> {
        let user = claims.user_id().ok_or(TokenError::NotAUser)?;
        let owned = self
            .store
            .session_by_id(session_id)
            .await?
            .is_some_and(|s| s.user_id == user);
        if owned && self.store.revoke_session(session_id, self.now()).await? {
            let event = NewEvent::new(EventKind::SessionEnded).user(&user);
            self.audit(event.by(&Actor::User(user.clone()))).await;
            Ok(())
        } else {
            Err(AccountError::NoSuchSession)
        }
    }

    /// Changes the token user's password after checking the current one, and ends every
    /// other session of theirs (the token's own session goes on). Wrong current passwords
    /// are counted under the lock-out policy, apart from the user's logins (so that a stolen
    /// token cannot lock its user out of logging in).
    ///
    /// # Errors
    /// [`AccountError::Locked`]; [`AccountError::WrongPassword`];
    /// [`AccountError::BadPassword`] for a new password outside the limits;
    /// [`AccountError::Token`] when the token is not a live user's.
    pub async fn change_password(
        &self,
        claims: &AccessClaims,
        old: &str,
        new: &str,
    ) -> Result<(), AccountError> {
        let user = self.token_user(claims).await?;
        let family = match &claims.sid {
            Some(sid) => self.store.session_by_id(sid).await?,
            None => None,
        };
        let keep_login = family.as_ref().and_then(|f| f.login_session_id.clone());
        self.replace_password(&user, old, new, claims.sid.as_ref(), keep_login.as_ref())
            .await
    }

    /// Changes the password of a browser session's user after checking the current one
    /// (the account page), and ends every other session of theirs.
    ///
    /// # Errors
    /// As [`Self::change_password`].
    pub async fn change_password_in_browser(
        &self,
        session: &LoginSession,
        old: &str,
        new: &str,
    ) -> Result<(), AccountError> {
        let user = self
            .store
            .user_by_id(&session.user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(TokenError::AccountUnavailable)?;
        self.replace_password(&user, old, new, None, Some(&session.id))
            .await
    }

    /// Checks `old` under the password-change lock-out, then ends the user's other browser
    /// sessions (their back-channel notices queued) and sets `new`, which ends the other
    /// refresh families. Sessions end first: a crash in between leaves the user signed out
    /// with the old password, never signed in elsewhere with a changed one.
    async fn replace_password(
        &self,
        user: &User,
        old: &str,
        new: &str,
        keep_family: Option<&SessionId>,
        keep_login: Option<&LoginSessionId>,
    ) -> Result<(), AccountError> {
        let account = LockoutKey::for_password_change(&user.id);
        if let Some(locked) = self.lock_of(&account).await? {
            return Err(AccountError::Locked(locked));
        }
        if !self.passwords.verify(old, &user.password_hash).matches {
            self.count_failure(&account).await?;
            return Err(AccountError::WrongPassword);
        }
        let related: Vec<&str> = [Some(user.username.as_str()), user.email.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        crate::password::check_new_password(new, self.config.min_password_chars, &related)?;
        let hash = self.passwords.hash(new)?;
        self.end_browser_sessions_of(&user.id, keep_login, EndReason::PasswordChanged)
            .await?;
        self.store
            .set_password(&user.id, &hash, self.now(), keep_family)
            .await?;
        let event = NewEvent::new(EventKind::PasswordChanged).user(&user.id);
        self.audit(event.by(&Actor::User(user.id.clone()))).await;
        self.emit(SecurityEvent::PasswordChanged {
            user_id: user.id.clone(),
        });
        Ok(())
    }

    /// The live, enabled user a token was issued to.
    async fn token_user(&self, claims: &AccessClaims) -> Result<User, TokenError> {
        let id = claims.user_id().ok_or(TokenError::NotAUser)?;
        self.store
            .user_by_id(&id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(TokenError::AccountUnavailable)
    }
}
