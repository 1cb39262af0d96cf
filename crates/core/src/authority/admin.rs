//! Administration of accounts: create, list, set a password or the roles, disable, delete.

use super::Authority;
use crate::error::{AdminError, Entity, StoreError};
use crate::events::{EndReason, SecurityEvent};
use crate::model::{Actor, EventKind, NewEvent, User, UserId};
use crate::password::check_new_password;
use crate::secrets::{IdKind, new_id};
use crate::store::Store;

/// The role that administers the deployment; one enabled account keeps it.
const ADMIN_ROLE: &str = "admin";

/// The most accounts one [`Authority::search_users`] page answers.
pub const MAX_USER_PAGE: u32 = 500;

/// The most roles an account may have.
const MAX_ROLES: usize = 64;

/// The longest email address accepted (RFC 5321 path limit), in bytes.
const MAX_EMAIL_LEN: usize = 254;

impl<S: Store> Authority<S> {
    /// Creates an account, recording `by` in the audit trail.
    ///
    /// # Errors
    /// [`AdminError::Invalid`] for a malformed username, email, role or password;
    /// [`AdminError::Conflict`] when the username is taken.
    pub async fn create_user(
        &self,
        username: &str,
        password: &str,
        email: Option<&str>,
        roles: &[String],
        by: &Actor,
    ) -> Result<User, AdminError> {
        check_username(username)?;
        if let Some(email) = email {
            check_email(email)?;
        }
        check_roles(roles)?;
        let related: Vec<&str> = [Some(username), email].into_iter().flatten().collect();
        check_new_password(password, self.config.min_password_chars, &related)?;
        let now = self.now();
        let user = User {
            id: UserId::new(new_id(IdKind::User)?),
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
                StoreError::Conflict(_) => AdminError::Conflict("the username is taken".into()),
                other => other.into(),
            })?;
        self.audit(NewEvent::new(EventKind::UserCreated).user(&user.id).by(by))
            .await;
        Ok(user)
    }

    /// Every account, by username (without password hashes when serialized).
    ///
    /// # Errors
    /// The store's errors.
    pub async fn list_users(&self) -> Result<Vec<User>, AdminError> {
        Ok(self.store.list_users().await?)
    }

    /// At most `limit` (capped at [`MAX_USER_PAGE`]) accounts whose username starts with
    /// `prefix`, case-insensitively, after `after` (the last username of the previous
    /// page), ordered by the case-folded username.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn search_users(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<User>, AdminError> {
        let limit = limit.clamp(1, MAX_USER_PAGE);
        Ok(self.store.search_users(prefix, after, limit).await?)
    }

    /// Sets a user's password and ends all their sessions.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown username; [`AdminError::Invalid`] for a
    /// password outside the limits.
    pub async fn set_password(
        &self,
        username: &str,
        password: &str,
        by: &Actor,
    ) -> Result<(), AdminError> {
        let user = self.user_named(username).await?;
        let related: Vec<&str> = [Some(user.username.as_str()), user.email.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        check_new_password(password, self.config.min_password_chars, &related)?;
        let hash = self.passwords.hash(password)?;
        self.end_browser_sessions_of(&user.id, None, EndReason::Admin)
            .await?;
        self.store
            .set_password(&user.id, &hash, self.now(), None)
            .await?;
        self.audit(
            NewEvent::new(EventKind::PasswordChanged)
                .user(&user.id)
                .by(by),
        )
        .await;
        self.emit(SecurityEvent::PasswordChanged { user_id: user.id });
        Ok(())
    }

    /// Disables (ending all sessions) or re-enables an account.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown username; [`AdminError::LastAdmin`] to
    /// disable the last enabled account with the `admin` role.
    pub async fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
        by: &Actor,
    ) -> Result<(), AdminError> {
        let user = self.user_named(username).await?;
        if disabled {
            self.keep_an_admin(&user).await?;
            self.end_browser_sessions_of(&user.id, None, EndReason::Admin)
                .await?;
        }
        self.store
            .set_disabled(&user.id, disabled, self.now())
            .await?;
        let state = if disabled { "disabled" } else { "enabled" };
        let event = NewEvent::new(EventKind::UserUpdated).user(&user.id);
        self.audit(event.by(by).detail(state)).await;
        Ok(())
    }

    /// Replaces an account's roles. Its sessions go on: tokens issued from now on (a
    /// refresh included) carry the new roles, those already issued keep theirs until they
    /// expire.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown username; [`AdminError::Invalid`] for a
    /// malformed role; [`AdminError::LastAdmin`] to take the `admin` role from the last
    /// enabled account that has it.
    pub async fn set_user_roles(
        &self,
        username: &str,
        roles: &[String],
        by: &Actor,
    ) -> Result<(), AdminError> {
        check_roles(roles)?;
        let user = self.user_named(username).await?;
        if !roles.iter().any(|role| role == ADMIN_ROLE) {
            self.keep_an_admin(&user).await?;
        }
        let mut unique: Vec<String> = Vec::with_capacity(roles.len());
        for role in roles {
            if !unique.contains(role) {
                unique.push(role.clone());
            }
        }
        self.store.set_roles(&user.id, &unique).await?;
        let event = NewEvent::new(EventKind::UserUpdated).user(&user.id);
        self.audit(event.by(by).detail("roles")).await;
        Ok(())
    }

    /// Deletes an account and everything of theirs.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown username; [`AdminError::LastAdmin`] for the
    /// last enabled account with the `admin` role.
    pub async fn delete_user(&self, username: &str, by: &Actor) -> Result<(), AdminError> {
        let user = self.user_named(username).await?;
        self.keep_an_admin(&user).await?;
        self.end_browser_sessions_of(&user.id, None, EndReason::Admin)
            .await?;
        self.store.delete_user(&user.id).await?;
        self.audit(NewEvent::new(EventKind::UserDeleted).user(&user.id).by(by))
            .await;
        Ok(())
    }

    /// Refuses to take `user` away when it is the last enabled account with the `admin`
    /// role. (Two administrators removing each other at the same instant could both pass;
    /// the CLI, which works on the store directly, can always make a new one.)
    async fn keep_an_admin(&self, user: &User) -> Result<(), AdminError> {
        if user.disabled || !user.roles.iter().any(|role| role == ADMIN_ROLE) {
            return Ok(());
        }
        if self
            .store
            .someone_else_has_role(ADMIN_ROLE, &user.id)
            .await?
        {
            Ok(())
        } else {
            Err(AdminError::LastAdmin)
        }
    }

    /// The user with this username (case-insensitively).
    pub(super) async fn user_named(&self, username: &str) -> Result<User, AdminError> {
        self.store
            .user_by_name(username)
            .await?
            .ok_or(AdminError::NotFound(Entity::User))
    }
}

/// The username profile (see [`crate::username`]).
fn check_username(username: &str) -> Result<(), AdminError> {
    crate::username::check(username).map_err(AdminError::invalid)
}

fn check_email(email: &str) -> Result<(), AdminError> {
    let ok = email.len() <= MAX_EMAIL_LEN
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if ok {
        Ok(())
    } else {
        Err(AdminError::invalid("the email address is malformed"))
    }
}

fn check_roles(roles: &[String]) -> Result<(), AdminError> {
    if roles.len() > MAX_ROLES {
        return Err(AdminError::invalid("an account has at most 64 roles"));
    }
    let ok = roles.iter().all(|role| {
        !role.is_empty() && role.len() <= 64 && role.bytes().all(|b| b.is_ascii_graphic())
    });
    if ok {
        Ok(())
    } else {
        Err(AdminError::invalid(
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
        assert!(check_roles(&vec!["r".to_owned(); MAX_ROLES]).is_ok());
        assert!(check_roles(&vec!["r".to_owned(); MAX_ROLES + 1]).is_err());
    }
}
