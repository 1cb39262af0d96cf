//! Password sign-in, shared by the password grant and the login page: the account lock-out,
//! one cost for every failure, and the audit record of each outcome.

use std::net::IpAddr;

use super::Authority;
use super::both::both;
use crate::error::{GrantError, StoreError};
use crate::events::{LoginFailure, SecurityEvent};
use crate::model::{ClientId, EventKind, LockoutKey, NewEvent, User, UserId};
use crate::password::check_password;
use crate::store::Store;

/// The longest username accepted, in bytes.
pub(super) const MAX_USERNAME_LEN: usize = 128;

/// A user whose password was right, and the audit record of the sign-in, for the caller to
/// write together with the session it starts (one commit for both).
pub(super) struct Authenticated {
    /// The user.
    pub(super) user: User,
    /// `login_succeeded`, with the client and address.
    pub(super) record: NewEvent,
    /// The account's lock-out counter, for the caller to clear once the sign-in is
    /// complete (after the second factor, for a user who has one: a right password alone
    /// must not reset the count of wrong codes).
    pub(super) lockout: LockoutKey,
}

/// Why a password did not sign its user in.
struct Failed {
    user: Option<UserId>,
    reason: LoginFailure,
}

impl<S: Store> Authority<S> {
    /// Signs `username` in with `password` through `client` (none for the login page
    /// before a client is known), from `ip`. A locked account is refused before its password
    /// is checked; a failure is counted under the lock-out policy. Failures and the start of
    /// a lock-out go into the audit trail (a refusal while locked does not: it would let
    /// anyone write rows at will); a success's record is returned, for the caller to write
    /// with its session.
    ///
    /// # Errors
    /// [`GrantError::Malformed`]; [`GrantError::Locked`]; [`GrantError::BadCredentials`]
    /// with the same cost for an unknown username, a disabled account or a wrong password.
    pub(super) async fn authenticate(
        &self,
        username: &str,
        password: &str,
        client: Option<&ClientId>,
        ip: Option<IpAddr>,
    ) -> Result<Authenticated, GrantError> {
        if username.is_empty() || username.len() > MAX_USERNAME_LEN {
            return Err(GrantError::Malformed("a username is required".into()));
        }
        check_password(password)?;
        let account = LockoutKey::for_username(username);
        if let Some(locked) = self.lock_of(&account).await? {
            return Err(GrantError::Locked(locked));
        }
        let event = |kind| {
            let event = NewEvent::new(kind).ip(ip);
            match client {
                Some(client) => event.client(client),
                None => event,
            }
        };
        match self.check_login(username, password).await? {
            Ok(user) => {
                let record = event(EventKind::LoginSucceeded).user(&user.id);
                Ok(Authenticated {
                    user,
                    record,
                    lockout: account,
                })
            }
            Err(failed) => {
                self.emit(SecurityEvent::LoginFailed {
                    client_id: client.cloned().unwrap_or_else(|| ClientId::new("-")),
                    user_id: failed.user.clone(),
                    reason: failed.reason,
                });
                let mut failure = event(EventKind::LoginFailed).detail(failed.reason.code());
                failure.user = failed.user.clone();
                let (locked, _) = both(self.count_failure(&account), self.audit(failure)).await;
                let locked = locked?;
                if locked {
                    let mut lock = event(EventKind::LoginThrottled).detail("account_locked");
                    lock.user = failed.user;
                    self.audit(lock).await;
                }
                Err(GrantError::BadCredentials)
            }
        }
    }

    /// Finds the user and checks the password, at the same cost whatever fails.
    async fn check_login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Result<User, Failed>, StoreError> {
        let Some(user) = self.store.user_by_name(username).await? else {
            self.passwords.verify_dummy(password);
            return Ok(Err(Failed {
                user: None,
                reason: LoginFailure::UnknownUser,
            }));
        };
        let check = self.passwords.verify(password, &user.password_hash);
        let reason = match (check.matches, user.disabled) {
            (true, false) => {
                if check.needs_rehash {
                    self.rehash(&user, password).await;
                }
                return Ok(Ok(user));
            }
            (true, true) => LoginFailure::Disabled,
            (false, _) => LoginFailure::WrongPassword,
        };
        Ok(Err(Failed {
            user: Some(user.id),
            reason,
        }))
    }

    /// Stores a hash under the current policy. A failure is not the user's problem: the
    /// login goes on and the next one tries again.
    async fn rehash(&self, user: &User, password: &str) {
        if let Ok(hash) = self.passwords.hash(password) {
            let _ignored = self.store.rehash_password(&user.id, &hash).await;
        }
    }
}
