//! Password reset links: an administrator makes one for an account and hands it over (the
//! server sends nothing); whoever opens it sets a new password once. A link is
//! `{user id}.{expiry}.{MAC}`, the MAC (from the master key, so every instance accepts it)
//! covering the id, the expiry and the account's current password hash: setting a
//! password by any means, the link itself included, makes it worthless. Nothing is stored.

use std::time::Duration;

use tessera_jose::b64;

use super::Authority;
use crate::error::{AccountError, AdminError};
use crate::events::{EndReason, SecurityEvent};
use crate::model::{Actor, EventKind, NewEvent, Timestamp, User, UserId};
use crate::secrets::constant_time_eq;
use crate::store::Store;

/// How long a reset link works after it is made.
pub const RESET_LINK_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest link token read, in characters (a real one is about 80).
const MAX_TOKEN_LEN: usize = 256;

/// The MAC purpose of reset links.
const PURPOSE: &str = "password-reset";

/// A password reset link's secret part and when it stops working.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct ResetLink {
    /// The token, for the `token` query parameter of `/ui/reset`.
    pub token: String,
    /// When it stops working.
    pub expires_at: Timestamp,
}

impl<S: Store> Authority<S> {
    /// Makes a reset link for an account, recording `by` in the audit trail. The account
    /// and its sessions are unchanged until the link is used.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown username.
    pub async fn password_reset_link(
        &self,
        username: &str,
        by: &Actor,
    ) -> Result<ResetLink, AdminError> {
        let user = self.user_named(username).await?;
        let expires_at = self.now().plus(RESET_LINK_LIFETIME);
        let mac = self.reset_mac(&user, expires_at);
        let token = format!("{}.{}.{}", user.id, expires_at.secs(), b64::encode(&mac));
        let event = NewEvent::new(EventKind::PasswordResetIssued).user(&user.id);
        self.audit(event.by(by)).await;
        Ok(ResetLink { token, expires_at })
    }

    /// The account a reset token opens, while it works: made here, not expired, and the
    /// password not set since; `None` otherwise.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn reset_link_user(&self, token: &str) -> Result<Option<User>, AccountError> {
        let Some((id, expires_at, mac)) = parse(token) else {
            return Ok(None);
        };
        if expires_at <= self.now() {
            return Ok(None);
        }
        let Some(user) = self.store.user_by_id(&UserId::from(id)).await? else {
            return Ok(None);
        };
        let expected = self.reset_mac(&user, expires_at);
        Ok(constant_time_eq(&expected, &mac).then_some(user))
    }

    /// Sets a new password through a reset link: every session of the account ends (its
    /// back-channel notices queued), and the link stops working.
    ///
    /// # Errors
    /// [`AccountError::ResetLinkInvalid`] for a link that does not work (any reason);
    /// [`AccountError::BadPassword`] for a password the policy refuses.
    pub async fn reset_password(&self, token: &str, new: &str) -> Result<User, AccountError> {
        let user = self
            .reset_link_user(token)
            .await?
            .ok_or(AccountError::ResetLinkInvalid)?;
        let related: Vec<&str> = [Some(user.username.as_str()), user.email.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        crate::password::check_new_password(new, self.config.min_password_chars, &related)?;
        let hash = self.passwords.hash(new)?;
        self.end_browser_sessions_of(&user.id, None, EndReason::PasswordChanged)
            .await?;
        self.store
            .set_password(&user.id, &hash, self.now(), None)
            .await?;
        let event = NewEvent::new(EventKind::PasswordChanged).user(&user.id);
        let by = Actor::User(user.id.clone());
        self.audit(event.by(&by).detail("reset_link")).await;
        self.emit(SecurityEvent::PasswordChanged {
            user_id: user.id.clone(),
        });
        Ok(user)
    }

    fn reset_mac(&self, user: &User, expires_at: Timestamp) -> [u8; 32] {
        let mut data = Vec::with_capacity(128);
        data.extend_from_slice(user.id.as_str().as_bytes());
        data.push(0);
        data.extend_from_slice(expires_at.secs().to_string().as_bytes());
        data.push(0);
        data.extend_from_slice(user.password_hash.as_bytes());
        self.master.mac(PURPOSE, &data)
    }
}

/// The user id, expiry and MAC of a token; `None` when it is not of that form.
fn parse(token: &str) -> Option<(&str, Timestamp, Vec<u8>)> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let mut parts = token.split('.');
    let (id, expiry, mac) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || id.is_empty() {
        return None;
    }
    let expiry = expiry.parse::<i64>().ok()?;
    let mac = b64::decode(mac.as_bytes())?;
    (mac.len() == 32).then_some((id, Timestamp::from_secs(expiry), mac))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parse_takes_only_the_three_part_form() {
        let mac = tessera_jose::b64::encode(&[1u8; 32]);
        assert!(parse(&format!("u_x.100.{mac}")).is_some());
        assert!(parse(&format!("u_x.100.{mac}.x")).is_none());
        assert!(parse(&format!(".100.{mac}")).is_none());
        assert!(parse(&format!("u_x.soon.{mac}")).is_none());
        assert!(parse("u_x.100.AAAA").is_none());
        assert!(parse(&format!("u_x.100.{mac}{}", "A".repeat(300))).is_none());
        assert!(parse("").is_none());
    }
}
