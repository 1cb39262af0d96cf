//! Accounts: userinfo, logout, sessions, password changes, and the admin helpers.

use serde::Serialize;

use super::grants::MAX_USERNAME_LEN;
use super::{AccessClaims, Authority, ErrorCode, OAuthError};
use crate::events::SecurityEvent;
use crate::model::{Session, User};
use crate::secrets::{IdKind, new_id};
use crate::store::Store;

/// The longest email address accepted (RFC 5321 path limit), in bytes.
const MAX_EMAIL_LEN: usize = 254;

/// What `/userinfo` tells about the token's user.
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
#[non_exhaustive]
pub struct UserInfo {
    /// The user id.
    pub sub: String,
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
    /// `invalid_token` when the token is not a user's or the account is gone or disabled.
    pub async fn userinfo(&self, claims: &AccessClaims) -> Result<UserInfo, OAuthError> {
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
    pub async fn logout(&self, claims: &AccessClaims) -> Result<(), OAuthError> {
        if let Some(sid) = &claims.sid {
            self.store.revoke_session(sid, self.now()).await?;
        }
        if !self.store.is_revoked(&claims.jti).await? {
            self.store.revoke_jti(&claims.jti, claims.exp).await?;
        }
        Ok(())
    }

    /// The live sessions of a user.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn list_sessions(&self, user_id: &str) -> Result<Vec<Session>, OAuthError> {
        Ok(self.store.sessions_of(user_id, self.now()).await?)
    }

    /// Ends one of the user's sessions.
    ///
    /// # Errors
    /// `not_found` when the user has no live session with this id.
    pub async fn end_session(&self, user_id: &str, session_id: &str) -> Result<(), OAuthError> {
        let owned = self
            .store
            .session_by_id(session_id)
            .await?
            .is_some_and(|s| s.user_id == user_id);
        if owned && self.store.revoke_session(session_id, self.now()).await? {
            Ok(())
        } else {
            Err(OAuthError::new(ErrorCode::NotFound, "no such session"))
        }
    }

    /// Changes the token user's password after checking the current one, and ends every
    /// other session of theirs (the token's own session goes on).
    ///
    /// # Errors
    /// `access_denied` for a wrong current password; `invalid_request` for a new password
    /// outside the limits; `invalid_token` when the token is not a live user's.
    pub async fn change_password(
        &self,
        claims: &AccessClaims,
        old: &str,
        new: &str,
    ) -> Result<(), OAuthError> {
        let user = self.token_user(claims).await?;
        if !self.passwords.verify(old, &user.password_hash).matches {
            return Err(OAuthError::new(
                ErrorCode::AccessDenied,
                "the current password is wrong",
            ));
        }
        let hash = self.passwords.hash(new)?;
        self.store
            .set_password(&user.id, &hash, self.now(), claims.sid.as_deref())
            .await?;
        self.emit(SecurityEvent::PasswordChanged { user_id: user.id });
        Ok(())
    }

    /// Creates an account (admin).
    ///
    /// # Errors
    /// `invalid_request` for a malformed username, email, role or password; `conflict` when
    /// the username is taken.
    pub async fn create_user(
        &self,
        username: &str,
        password: &str,
        email: Option<&str>,
        roles: &[String],
    ) -> Result<User, OAuthError> {
        check_username(username)?;
        if let Some(email) = email {
            check_email(email)?;
        }
        check_roles(roles)?;
        let now = self.now();
        let user = User {
            id: new_id(IdKind::User)?,
            username: username.to_owned(),
            email: email.map(str::to_owned),
            roles: roles.to_vec(),
            password_hash: self.passwords.hash(password)?,
            disabled: false,
            created_at: now,
            password_changed_at: now,
        };
        self.store
            .create_user(&user)
            .await
            .map_err(|err| match err {
                crate::StoreError::Conflict(_) => {
                    OAuthError::new(ErrorCode::Conflict, "the username is taken")
                }
                other => other.into(),
            })?;
        Ok(user)
    }

    /// Sets a user's password (admin) and ends all their sessions.
    ///
    /// # Errors
    /// `not_found` for an unknown username; `invalid_request` for a password outside the
    /// limits.
    pub async fn set_password(&self, username: &str, password: &str) -> Result<(), OAuthError> {
        let user = self.user_named(username).await?;
        let hash = self.passwords.hash(password)?;
        self.store
            .set_password(&user.id, &hash, self.now(), None)
            .await?;
        self.emit(SecurityEvent::PasswordChanged { user_id: user.id });
        Ok(())
    }

    /// Disables (ending all sessions) or re-enables an account (admin).
    ///
    /// # Errors
    /// `not_found` for an unknown username.
    pub async fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
    ) -> Result<(), OAuthError> {
        let user = self.user_named(username).await?;
        Ok(self
            .store
            .set_disabled(&user.id, disabled, self.now())
            .await?)
    }

    /// Deletes an account and everything of theirs (admin).
    ///
    /// # Errors
    /// `not_found` for an unknown username.
    pub async fn delete_user(&self, username: &str) -> Result<(), OAuthError> {
        let user = self.user_named(username).await?;
        Ok(self.store.delete_user(&user.id).await?)
    }

    async fn user_named(&self, username: &str) -> Result<User, OAuthError> {
        self.store
            .user_by_name(username)
            .await?
            .ok_or_else(|| OAuthError::new(ErrorCode::NotFound, "no such user"))
    }

    /// The live, enabled user a token was issued to.
    async fn token_user(&self, claims: &AccessClaims) -> Result<User, OAuthError> {
        if !claims.is_user() {
            return Err(OAuthError::invalid_token("the token is not a user's"));
        }
        self.store
            .user_by_id(&claims.sub)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(|| OAuthError::invalid_token("the account is not available"))
    }
}

fn check_username(username: &str) -> Result<(), OAuthError> {
    let ok = !username.is_empty()
        && username.len() <= MAX_USERNAME_LEN
        && username.trim() == username
        && !username.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(OAuthError::invalid_request(
            "a username is 1 to 128 bytes, without control characters or surrounding spaces",
        ))
    }
}

fn check_email(email: &str) -> Result<(), OAuthError> {
    let ok = email.len() <= MAX_EMAIL_LEN
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if ok {
        Ok(())
    } else {
        Err(OAuthError::invalid_request(
            "the email address is malformed",
        ))
    }
}

fn check_roles(roles: &[String]) -> Result<(), OAuthError> {
    let ok = roles.iter().all(|role| {
        !role.is_empty() && role.len() <= 64 && role.bytes().all(|b| b.is_ascii_graphic())
    });
    if ok {
        Ok(())
    } else {
        Err(OAuthError::invalid_request(
            "a role is 1 to 64 printable ASCII characters",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_checks() {
        assert!(check_username("alice").is_ok());
        assert!(check_username(" alice").is_err());
        assert!(check_username("").is_err());
        assert!(check_username("a\nb").is_err());
        assert!(check_email("a@example.com").is_ok());
        assert!(check_email("a@localhost").is_err());
        assert!(check_email("a b@example.com").is_err());
        assert!(check_roles(&["admin".into()]).is_ok());
        assert!(check_roles(&["two words".into()]).is_err());
    }
}
