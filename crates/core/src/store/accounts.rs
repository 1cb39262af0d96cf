//! Accounts: users and their password hashes.

use super::Fut;
use crate::model::{SessionId, Timestamp, User, UserId};

/// Where users live.
pub trait AccountStore: Send + Sync {
    /// Inserts a user. [`StoreError::Conflict`](crate::StoreError::Conflict) when the id or
    /// the username (case-insensitively) exists.
    fn create_user(&self, user: &User) -> impl Fut<()>;
    /// Finds a user by username, case-insensitively.
    fn user_by_name(&self, username: &str) -> impl Fut<Option<User>>;
    /// Finds a user by id.
    fn user_by_id(&self, id: &UserId) -> impl Fut<Option<User>>;
    /// All users, by username.
    fn list_users(&self) -> impl Fut<Vec<User>>;
    /// At most `limit` users whose case-folded username starts with the case-folded
    /// `prefix` and comes after the case-folded `after` (the last of the previous page),
    /// ordered by the case-folded username.
    fn search_users(&self, prefix: &str, after: Option<&str>, limit: u32) -> impl Fut<Vec<User>>;
    /// Replaces the password hash, stamps `password_changed_at = now`, and ends every
    /// session of the user except `keep_session`. `NotFound` for an unknown user.
    fn set_password(
        &self,
        user: &UserId,
        hash: &str,
        now: Timestamp,
        keep_session: Option<&SessionId>,
    ) -> impl Fut<()>;
    /// Whether an enabled account other than `except` has `role` (read without loading
    /// every account, so that it stays cheap at millions of them).
    fn someone_else_has_role(&self, role: &str, except: &UserId) -> impl Fut<bool>;
    /// Replaces a password hash after a parameter upgrade (sessions untouched).
    fn rehash_password(&self, user: &UserId, hash: &str) -> impl Fut<()>;
    /// Disables or enables a user; disabling ends all their sessions. `NotFound` for an
    /// unknown user.
    fn set_disabled(&self, user: &UserId, disabled: bool, now: Timestamp) -> impl Fut<()>;
    /// Replaces a user's roles (sessions untouched: tokens issued from now on carry the new
    /// roles). `NotFound` for an unknown user.
    fn set_roles(&self, user: &UserId, roles: &[String]) -> impl Fut<()>;
    /// Deletes a user and everything of theirs. `NotFound` for an unknown user.
    fn delete_user(&self, user: &UserId) -> impl Fut<()>;
}
