//! The device authorization grant (RFC 8628): a device without a browser (a command line, a
//! TV) asks for a code, shows it to its user, and polls the token endpoint while the user
//! approves the request in a browser elsewhere, at `/ui/device`.

use super::Authority;
use super::grants::{refresh_binding, requested_scope, require_grant};
use super::tokens::IdTokenFacts;
use crate::TokenResponse;
use crate::error::{GrantError, InternalError, StoreError};
use crate::model::{
    Client, DeviceApproval, DeviceAuthorization, DeviceState, EventKind, Grant, Jti, LoginSession,
    NewEvent,
};
use crate::secrets::{random_from_alphabet, random_jti, sha256};
use crate::store::Store;

/// How long a device code and its user code live, in seconds (ten minutes).
pub const DEVICE_CODE_LIFETIME_SECS: i64 = 600;

/// The least time between two polls, in seconds, until a `slow_down` adds to it.
pub const DEVICE_POLL_INTERVAL_SECS: i64 = 5;

/// What a `slow_down` adds to the interval (RFC 8628 §3.5).
const SLOW_DOWN_SECS: i64 = 5;

/// The letters of a user code: consonants only (RFC 8628 §6.1), so that no code spells a
/// word and none is mistaken for a digit.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Letters in a user code: 20^8, about 2.6e10 codes (34 bits), against guesses that the
/// page throttles and a ten-minute lifetime.
const USER_CODE_LEN: usize = 8;

/// How many user codes to draw before giving up on a collision with a live one.
const USER_CODE_TRIES: usize = 4;

/// What the device is given (RFC 8628 §3.2).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DeviceStart {
    /// The device code (256 random bits), for polling; only its digest is stored.
    pub device_code: String,
    /// The user code as shown: `BCDF-GHJK`.
    pub user_code: String,
    /// Seconds until both codes expire.
    pub expires_in: i64,
    /// Seconds to wait between polls.
    pub interval: i64,
}

impl<S: Store> Authority<S> {
    /// Starts a device authorization for `client` (`POST /oauth/device_authorization`).
    ///
    /// # Errors
    /// [`GrantError::GrantNotAllowed`] when the client may not use the device grant;
    /// [`GrantError::Scope`]; the store's errors and ours.
    pub async fn start_device_authorization(
        &self,
        client: &Client,
        scope: Option<&str>,
    ) -> Result<DeviceStart, GrantError> {
        require_grant(client, Grant::DeviceCode)?;
        let scope = requested_scope(client, scope, true)?;
        let device_code = random_jti()?;
        let now = self.now();
        for _ in 0..USER_CODE_TRIES {
            let user_code = random_from_alphabet(USER_CODE_ALPHABET, USER_CODE_LEN)?;
            let request = DeviceAuthorization::pending(
                sha256(device_code.as_bytes()),
                user_code.clone(),
                client.id.clone(),
                scope.clone(),
                now,
                now.plus_secs(DEVICE_CODE_LIFETIME_SECS),
                DEVICE_POLL_INTERVAL_SECS,
            );
            match self.store.create_device_authorization(&request).await {
                Ok(()) => {
                    return Ok(DeviceStart {
                        device_code,
                        user_code: shown_user_code(&user_code),
                        expires_in: DEVICE_CODE_LIFETIME_SECS,
                        interval: DEVICE_POLL_INTERVAL_SECS,
                    });
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(InternalError::Malformed("no free user code").into())
    }

    /// The pending request whose user code `typed` is (in any case, with or without its
    /// dash or spaces), and its client; `None` for a code that is unknown, expired, decided
    /// or not code-shaped.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn device_request(
        &self,
        typed: &str,
    ) -> Result<Option<(DeviceAuthorization, Client)>, StoreError> {
        let Some(user_code) = normalize_user_code(typed) else {
            return Ok(None);
        };
        let now = self.now();
        let Some(request) = self
            .store
            .pending_device_by_user_code(&user_code, now)
            .await?
        else {
            return Ok(None);
        };
        let client = self.store.client_by_id(&request.client_id).await?;
        Ok(client.map(|client| (request, client)))
    }

    /// The user of `session` allows (`allow`) or denies the pending request `user_code`
    /// (as [`Self::device_request`] returned it). True when this decided it; false when it
    /// was decided or expired meanwhile. The decision goes into the audit trail.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn decide_device(
        &self,
        request: &DeviceAuthorization,
        session: &LoginSession,
        allow: bool,
    ) -> Result<bool, StoreError> {
        let approval = DeviceApproval {
            user_id: session.user_id.clone(),
            auth_time: session.auth_time,
            amr: session.amr.clone(),
            acr: session.acr.clone(),
        };
        let approval = allow.then_some(&approval);
        let decided = self
            .store
            .decide_device(&request.user_code, approval, self.now())
            .await?;
        if decided {
            let detail = if allow { "allowed" } else { "denied" };
            let event = NewEvent::new(EventKind::DeviceDecided)
                .user(&session.user_id)
                .client(&request.client_id);
            self.audit(event.detail(detail)).await;
        }
        Ok(decided)
    }

    /// The device grant at the token endpoint (RFC 8628 §3.4–3.5): tokens once the user
    /// allowed the request, else why not yet.
    ///
    /// # Errors
    /// [`GrantError::GrantNotAllowed`]; [`GrantError::AuthorizationPending`];
    /// [`GrantError::SlowDown`] for a poll sooner than the interval (which then grows);
    /// [`GrantError::ExpiredToken`]; [`GrantError::AccessDenied`];
    /// [`GrantError::BadDeviceCode`] for an unknown, redeemed or foreign device code, or a
    /// user who is gone or disabled; the store's errors and ours.
    pub async fn device_code_grant(
        &self,
        client: &Client,
        device_code: &str,
        jkt: Option<&str>,
    ) -> Result<TokenResponse, GrantError> {
        require_grant(client, Grant::DeviceCode)?;
        if device_code.is_empty() || device_code.len() > 128 {
            return Err(GrantError::BadDeviceCode);
        }
        let hash = sha256(device_code.as_bytes());
        let now = self.now();
        let request = self
            .store
            .poll_device(&hash, now)
            .await?
            .filter(|r| r.client_id == client.id)
            .ok_or(GrantError::BadDeviceCode)?;
        if request.expires_at <= now {
            return Err(GrantError::ExpiredToken);
        }
        match request.state {
            DeviceState::Denied => return Err(GrantError::AccessDenied),
            DeviceState::Redeemed => return Err(GrantError::BadDeviceCode),
            DeviceState::Pending | DeviceState::Approved => {}
        }
        let too_soon = request
            .last_polled_at
            .is_some_and(|last| now.secs_since(last) < request.interval_secs);
        if too_soon {
            self.store.slow_device_down(&hash, SLOW_DOWN_SECS).await?;
            return Err(GrantError::SlowDown);
        }
        let (DeviceState::Approved, Some(approval)) = (request.state, &request.approval) else {
            return Err(GrantError::AuthorizationPending);
        };
        if !self.store.redeem_device(&hash).await? {
            return Err(GrantError::BadDeviceCode);
        }
        self.device_tokens(client, &request, approval, jkt).await
    }

    /// The tokens of an approved request: a new refresh family (not tied to the browser
    /// that approved it: signing out there does not sign the device out).
    async fn device_tokens(
        &self,
        client: &Client,
        request: &DeviceAuthorization,
        approval: &DeviceApproval,
        jkt: Option<&str>,
    ) -> Result<TokenResponse, GrantError> {
        let user = self
            .store
            .user_by_id(&approval.user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(GrantError::BadDeviceCode)?;
        let now = self.now();
        let family_key = refresh_binding(client, jkt);
        let (session, refresh_token) = self
            .start_session(client, &user, &request.scope, now, family_key)
            .await?;
        let refresh = client
            .grants
            .contains(&Grant::RefreshToken)
            .then_some(refresh_token);
        let facts = IdTokenFacts {
            auth_time: approval.auth_time,
            sid: session.id.as_str(),
            nonce: None,
            amr: &approval.amr,
            acr: approval.acr.as_deref(),
        };
        let jti = Jti::new(random_jti()?);
        let record = NewEvent::new(EventKind::LoginSucceeded)
            .user(&user.id)
            .client(&client.id)
            .detail("device_code");
        self.audit(record).await;
        Ok(self.tokens_for(
            client,
            &user,
            &session,
            &request.scope,
            refresh,
            &facts,
            &jti,
            now,
            jkt,
        )?)
    }
}

/// A normalized user code as people read it (and the device shows it): two groups of four.
pub fn shown_user_code(code: &str) -> String {
    match (code.get(..4), code.get(4..)) {
        (Some(first), Some(rest)) if !rest.is_empty() => format!("{first}-{rest}"),
        _ => code.to_owned(),
    }
}

/// A typed user code in its stored form (upper case, without dashes or spaces), if it can
/// be one.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .take(USER_CODE_LEN + 1)
        .collect::<String>()
        .to_ascii_uppercase();
    (code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)))
        .then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_consonants_shown_in_two_groups_and_read_back_in_any_form() {
        for _ in 0..100 {
            let code = random_from_alphabet(USER_CODE_ALPHABET, USER_CODE_LEN).expect("random");
            assert_eq!(code.len(), 8);
            assert!(
                code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)),
                "{code}"
            );
            let shown = shown_user_code(&code);
            assert_eq!(shown.len(), 9);
            assert_eq!(normalize_user_code(&shown).as_deref(), Some(code.as_str()));
            let typed = format!(" {} ", shown.to_lowercase().replace('-', " "));
            assert_eq!(normalize_user_code(&typed).as_deref(), Some(code.as_str()));
        }
        for junk in [
            "",
            "BCDF",
            "BCDF-GHJKL",
            "BCDF-GHJ1",
            "AEIO-UBCD",
            "ßCDF-GHJK",
        ] {
            assert_eq!(normalize_user_code(junk), None, "{junk}");
        }
    }
}
