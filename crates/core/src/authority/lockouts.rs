//! The account lock-out rule, applied to password logins and to password changes: the
//! counters live in the store (shared by every instance, kept across restarts), the policy
//! and the clock are the authority's.

use super::Authority;
use crate::error::{AdminError, StoreError};
use crate::lockout::Locked;
use crate::model::{Actor, EventKind, LockoutKey, NewEvent};
use crate::store::Store;

impl<S: Store> Authority<S> {
    /// The lock on `account` now, if any.
    pub(super) async fn lock_of(&self, account: &LockoutKey) -> Result<Option<Locked>, StoreError> {
        let now = self.now_millis();
        let until = self.store.login_locked_until(account).await?;
        Ok(until.filter(|until| *until > now).map(|until| Locked {
            retry_after: now.until(until),
        }))
    }

    /// Counts a failure against `account` and locks it when the policy says so; true when
    /// this failure locked it.
    pub(super) async fn count_failure(&self, account: &LockoutKey) -> Result<bool, StoreError> {
        let policy = &self.config.lockout;
        let now = self.now_millis();
        let expires = now.plus(policy.forget_after);
        let failures = self
            .store
            .count_login_failure(account, now, expires)
            .await?;
        match policy.delay_after(failures) {
            Some(delay) => {
                self.store.lock_login(account, now.plus(delay)).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Forgets `account`'s failures after a success.
    pub(super) async fn clear_failures(&self, account: &LockoutKey) -> Result<bool, StoreError> {
        self.store.clear_login_failures(account).await
    }

    /// Lifts a user's lock-out and forgets their failed logins and failed password changes
    /// (admin). True when there was anything to forget.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown username; the store's errors.
    pub async fn unlock_user(&self, username: &str, by: &Actor) -> Result<bool, AdminError> {
        let user = self.user_named(username).await?;
        let by_name = self
            .clear_failures(&LockoutKey::for_username(&user.username))
            .await?;
        let by_id = self
            .clear_failures(&LockoutKey::for_password_change(&user.id))
            .await?;
        self.audit(NewEvent::new(EventKind::UserUnlocked).user(&user.id).by(by))
            .await;
        Ok(by_name || by_id)
    }
}
