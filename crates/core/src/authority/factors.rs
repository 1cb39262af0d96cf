//! Second factors: enrolling an authenticator app (TOTP, RFC 6238) with its recovery codes,
//! checking a code at the second sign-in step, and removing factors. Every change ends the
//! user's other sessions and goes into the audit trail.
//!
//! The TOTP secret is sealed with the master key, bound to the user id, as private signing
//! keys are. Recovery codes are kept only as MACs under the master key, so a copy of the
//! database alone does not let anyone test guesses offline.

use std::net::IpAddr;

use zeroize::Zeroizing;

use super::Authority;
use crate::error::{AdminError, FactorError, InternalError, ServiceError, StoreError};
use crate::events::{EndReason, LoginFailure, SecurityEvent};
use crate::model::{
    Actor, ClientId, EventKind, LockoutKey, LoginSessionId, NewEvent, Timestamp, TotpFactor, User,
    UserId,
};
use crate::secrets::random_from_alphabet;
use crate::store::Store;
use crate::totp;

/// How many recovery codes a user gets at a time.
pub const RECOVERY_CODES: usize = 10;

/// The characters of a recovery code: lower-case letters and digits without the ones that
/// are easily confused (`0`/`o`, `1`/`l`/`i`).
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// The characters of a recovery code (about 49 bits of entropy), shown as two groups of
/// five.
const RECOVERY_CODE_CHARS: usize = 10;

/// The `amr` values (RFC 8176) a second factor adds to a password sign-in.
pub const SECOND_FACTOR_AMR: [&str; 2] = ["otp", "mfa"];

/// The `acr` of a sign-in with a password only.
pub const ACR_PASSWORD: &str = "urn:tessera:acr:pwd";

/// The `acr` of a sign-in with a second factor; a client asks for it in `acr_values`.
pub const ACR_MFA: &str = "urn:tessera:acr:mfa";

/// An authenticator app being set up: what the user scans or types. Shown once.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TotpEnrollment {
    /// The secret in base32, for typing into the app.
    pub secret: Zeroizing<String>,
    /// The `otpauth://` URI, for the QR code.
    pub uri: Zeroizing<String>,
}

/// What factors an account has (never their secrets).
#[derive(Clone, Debug, Default, Eq, PartialEq)]
#[non_exhaustive]
pub struct FactorSummary {
    /// When the authenticator app was confirmed, if the account has one.
    pub totp_since: Option<Timestamp>,
    /// When it last gave a code that was accepted.
    pub totp_last_used: Option<Timestamp>,
    /// An authenticator app set up but not yet confirmed by a first code.
    pub totp_pending: bool,
    /// Unspent recovery codes.
    pub recovery_codes_left: u32,
}

impl FactorSummary {
    /// True when a password alone no longer signs the user in.
    pub fn has_second_factor(&self) -> bool {
        self.totp_since.is_some()
    }
}

/// How a second factor was shown.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum FactorUsed {
    /// A code of the authenticator app.
    Totp,
    /// A recovery code (now spent).
    RecoveryCode,
}

impl FactorUsed {
    fn detail(self) -> &'static str {
        match self {
            Self::Totp => "otp",
            Self::RecoveryCode => "recovery_code",
        }
    }
}

impl<S: Store> Authority<S> {
    /// The factors `user` has.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn factors_of(&self, user: &UserId) -> Result<FactorSummary, StoreError> {
        let totp = self.store.totp_of(user).await?;
        let recovery_codes_left = self.store.recovery_codes_left(user).await?;
        Ok(FactorSummary {
            totp_since: totp.as_ref().and_then(|t| t.confirmed_at),
            totp_last_used: totp.as_ref().and_then(|t| t.last_used_at),
            totp_pending: totp.as_ref().is_some_and(|t| !t.is_confirmed()),
            recovery_codes_left,
        })
    }

    /// True when `user` has a confirmed second factor (and so is always asked for it).
    ///
    /// # Errors
    /// The store's errors.
    pub async fn has_second_factor(&self, user: &UserId) -> Result<bool, StoreError> {
        Ok(self
            .store
            .totp_of(user)
            .await?
            .is_some_and(|t| t.is_confirmed()))
    }

    /// True when the policy asks `user` for a second factor in the browser whatever the
    /// client: they hold one of the configured roles (none by default).
    pub fn role_requires_second_factor(&self, user: &User) -> bool {
        user.roles
            .iter()
            .any(|role| self.config.second_factor_roles.contains(role))
    }

    /// True when the policy asks `user`, an administrator, for a second factor in the
    /// operator console: always by default, else as for any client.
    pub fn console_requires_second_factor(&self, user: &User) -> bool {
        self.config.console_second_factor || self.role_requires_second_factor(user)
    }

    /// Starts setting up an authenticator app for `user`: a new secret, stored sealed and
    /// unconfirmed (replacing an unfinished set-up), and what the app needs.
    ///
    /// # Errors
    /// [`FactorError::AlreadyEnrolled`] when the user has a confirmed authenticator; the
    /// store's errors and ours.
    pub async fn begin_totp(&self, user: &User) -> Result<TotpEnrollment, FactorError> {
        self.new_totp(user)
            .await?
            .ok_or(FactorError::AlreadyEnrolled)
    }

    /// Stores a new unconfirmed authenticator for `user`; `None` when a confirmed one is
    /// there (left alone).
    async fn new_totp(&self, user: &User) -> Result<Option<TotpEnrollment>, ServiceError> {
        let secret = totp::new_secret().map_err(InternalError::from)?;
        let sealed = self
            .master
            .seal(&secret, &totp_aad(&user.id))
            .map_err(InternalError::from)?;
        let factor = TotpFactor::pending(user.id.clone(), sealed, self.now());
        if !self.store.begin_totp(&factor).await? {
            return Ok(None);
        }
        Ok(Some(self.enrollment(&secret, user)))
    }

    /// The set-up in progress of `user`'s authenticator app (to show it again after a wrong
    /// first code), if there is one.
    ///
    /// # Errors
    /// The store's errors and ours.
    pub async fn pending_totp(&self, user: &User) -> Result<Option<TotpEnrollment>, FactorError> {
        let Some(factor) = self.store.totp_of(&user.id).await? else {
            return Ok(None);
        };
        if factor.is_confirmed() {
            return Ok(None);
        }
        let secret = self.open_totp_secret(&factor)?;
        Ok(Some(self.enrollment(&secret, user)))
    }

    fn enrollment(&self, secret: &[u8], user: &User) -> TotpEnrollment {
        let issuer_name = self.totp_issuer_name();
        TotpEnrollment {
            secret: Zeroizing::new(totp::base32(secret)),
            uri: Zeroizing::new(totp::otpauth_uri(secret, &issuer_name, &user.username)),
        }
    }

    /// Confirms the authenticator `user` is setting up with its first `code`, and returns
    /// their new recovery codes (shown once). Every other session of the user ends except
    /// `keep` (the browser that did it).
    ///
    /// # Errors
    /// [`FactorError::NotEnrolling`] without a set-up in progress; [`FactorError::WrongCode`];
    /// the store's errors and ours.
    pub async fn confirm_totp(
        &self,
        user: &UserId,
        code: &str,
        keep: Option<&LoginSessionId>,
    ) -> Result<Vec<String>, FactorError> {
        let factor = self
            .store
            .totp_of(user)
            .await?
            .filter(|t| !t.is_confirmed())
            .ok_or(FactorError::NotEnrolling)?;
        let secret = self.open_totp_secret(&factor)?;
        let now = self.now();
        let step = totp::verify(&secret, code.trim(), now.secs(), None, totp::Hash::Sha1)
            .ok_or(FactorError::WrongCode)?;
        let (codes, macs) = self.new_recovery_codes(user)?;
        if !self.store.confirm_totp(user, step, now, &macs).await? {
            return Err(FactorError::NotEnrolling);
        }
        self.factors_changed(user, keep, EventKind::FactorAdded, "totp", None)
            .await?;
        Ok(codes)
    }

    /// Replaces `user`'s recovery codes with new ones (shown once). Only for a user with a
    /// confirmed authenticator.
    ///
    /// # Errors
    /// [`FactorError::NotEnrolling`] without an authenticator; the store's errors and ours.
    pub async fn regenerate_recovery_codes(
        &self,
        user: &UserId,
        keep: Option<&LoginSessionId>,
    ) -> Result<Vec<String>, FactorError> {
        if !self.has_second_factor(user).await? {
            return Err(FactorError::NotEnrolling);
        }
        let (codes, macs) = self.new_recovery_codes(user)?;
        self.store.replace_recovery_codes(user, &macs).await?;
        self.factors_changed(user, keep, EventKind::FactorAdded, "recovery_codes", None)
            .await?;
        Ok(codes)
    }

    /// Removes `user`'s authenticator and recovery codes at their own request (the account
    /// page); other sessions end. True when there was anything to remove.
    ///
    /// # Errors
    /// The store's errors and ours.
    pub async fn remove_own_factors(
        &self,
        user: &UserId,
        keep: Option<&LoginSessionId>,
    ) -> Result<bool, FactorError> {
        let removed = self.store.remove_factors(user).await?;
        if removed {
            self.factors_changed(user, keep, EventKind::FactorRemoved, "totp", None)
                .await?;
        }
        Ok(removed)
    }

    /// The factors of the account `username` (admin API, CLI, console).
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown username; the store's errors.
    pub async fn user_factors(&self, username: &str) -> Result<(User, FactorSummary), AdminError> {
        let user = self.user_named(username).await?;
        let factors = self.factors_of(&user.id).await?;
        Ok((user, factors))
    }

    /// Removes every factor of the account `username`, for a user who lost them, and ends
    /// all of its sessions. True when there was anything to remove.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown username; the store's errors and ours.
    pub async fn reset_factors(&self, username: &str, by: &Actor) -> Result<bool, AdminError> {
        let user = self.user_named(username).await?;
        let removed = self.store.remove_factors(&user.id).await?;
        if removed {
            self.factors_changed(&user.id, None, EventKind::FactorRemoved, "all", Some(by))
                .await?;
        }
        Ok(removed)
    }

    /// Sets up an authenticator app for the account `username` at once, without a first
    /// code (an operator's scripted enrollment), and returns its `otpauth://` URI.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown username; [`AdminError::Conflict`] when the
    /// account already has one; the store's errors and ours.
    pub async fn enroll_totp_for(
        &self,
        username: &str,
        by: &Actor,
    ) -> Result<Zeroizing<String>, AdminError> {
        let user = self.user_named(username).await?;
        let Some(enrollment) = self.new_totp(&user).await? else {
            return Err(AdminError::Conflict(
                "the account already has an authenticator app; remove it first with \
                 `tessera user mfa reset`"
                    .into(),
            ));
        };
        // Step 0: the first code the app shows is accepted, as after any enrollment.
        if !self
            .store
            .confirm_totp(&user.id, 0, self.now(), &[])
            .await?
        {
            return Err(AdminError::Conflict(
                "the account's authenticator changed meanwhile; try again".into(),
            ));
        }
        self.factors_changed(&user.id, None, EventKind::FactorAdded, "totp", Some(by))
            .await?;
        Ok(enrollment.uri)
    }

    /// Checks the second factor `code` of `user` (a code of their authenticator app, or one
    /// of their recovery codes, which is spent), under the account's lock-out: a wrong code
    /// counts as a failed login. The outcome goes into the audit trail.
    ///
    /// # Errors
    /// [`FactorError::Locked`]; [`FactorError::WrongCode`]; [`FactorError::NoAccount`] for
    /// an account that is gone or disabled; the store's errors and ours.
    pub async fn check_second_factor(
        &self,
        user: &UserId,
        code: &str,
        client: Option<&ClientId>,
        ip: Option<IpAddr>,
    ) -> Result<FactorUsed, FactorError> {
        let account = self
            .store
            .user_by_id(user)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(FactorError::NoAccount)?;
        let lockout = LockoutKey::for_username(&account.username);
        if let Some(locked) = self.lock_of(&lockout).await? {
            return Err(FactorError::Locked(locked));
        }
        let event = |kind| {
            let event = NewEvent::new(kind).ip(ip).user(user);
            match client {
                Some(client) => event.client(client),
                None => event,
            }
        };
        if let Some(used) = self.try_code(user, code).await? {
            self.clear_failures(&lockout).await?;
            self.audit(event(EventKind::LoginSucceeded).detail(used.detail()))
                .await;
            return Ok(used);
        }
        self.emit(SecurityEvent::LoginFailed {
            client_id: client.cloned().unwrap_or_else(|| ClientId::new("-")),
            user_id: Some(user.clone()),
            reason: LoginFailure::WrongCode,
        });
        let failure = event(EventKind::LoginFailed).detail(LoginFailure::WrongCode.code());
        self.audit(failure).await;
        if self.count_failure(&lockout).await? {
            let lock = event(EventKind::LoginThrottled).detail("account_locked");
            self.audit(lock).await;
        }
        Err(FactorError::WrongCode)
    }

    /// The factor `code` is, if it is valid now; spends it.
    async fn try_code(&self, user: &UserId, code: &str) -> Result<Option<FactorUsed>, FactorError> {
        let code: String = code
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .take(64)
            .collect::<String>()
            .to_ascii_lowercase();
        if code.len() == totp::DIGITS as usize {
            let Some(factor) = self.store.totp_of(user).await? else {
                return Ok(None);
            };
            if !factor.is_confirmed() {
                return Ok(None);
            }
            let secret = self.open_totp_secret(&factor)?;
            let now = self.now();
            let last = Some(factor.last_step);
            let Some(step) = totp::verify(&secret, &code, now.secs(), last, totp::Hash::Sha1)
            else {
                return Ok(None);
            };
            // Another instance may have taken this step since we read the factor.
            let fresh = self.store.use_totp_step(user, step, now).await?;
            return Ok(fresh.then_some(FactorUsed::Totp));
        }
        if code.len() == RECOVERY_CODE_CHARS && code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))
        {
            let mac = self.recovery_mac(user, &code);
            let spent = self.store.use_recovery_code(user, &mac).await?;
            return Ok(spent.then_some(FactorUsed::RecoveryCode));
        }
        Ok(None)
    }

    /// Ends the user's other sessions (browsers and refresh families, but `keep` and what
    /// was issued through it) and records a change of their factors.
    async fn factors_changed(
        &self,
        user: &UserId,
        keep: Option<&LoginSessionId>,
        kind: EventKind,
        detail: &'static str,
        by: Option<&Actor>,
    ) -> Result<(), ServiceError> {
        self.end_browser_sessions_of(user, keep, EndReason::FactorsChanged)
            .await?;
        // Refresh families opened without a browser (the password grant, before the factor
        // was set up) end too; those of the kept browser stay with it.
        let now = self.now();
        for family in self.store.sessions_of(user, now).await? {
            let kept = keep.is_some() && family.login_session_id.as_ref() == keep;
            if !kept {
                self.store.revoke_session(&family.id, now).await?;
            }
        }
        let actor = by.cloned().unwrap_or_else(|| Actor::User(user.clone()));
        let event = NewEvent::new(kind).user(user).by(&actor).detail(detail);
        self.audit(event).await;
        let change = match (kind, detail) {
            (EventKind::FactorRemoved, _) => "removed",
            (_, "recovery_codes") => "recovery_codes",
            _ => "totp_added",
        };
        self.emit(SecurityEvent::FactorsChanged {
            user_id: user.clone(),
            change,
        });
        Ok(())
    }

    fn open_totp_secret(&self, factor: &TotpFactor) -> Result<Zeroizing<Vec<u8>>, FactorError> {
        self.master
            .open(&factor.sealed_secret, &totp_aad(&factor.user_id))
            .map_err(|err| FactorError::Internal(InternalError::from(err)))
    }

    /// New recovery codes for `user`, as shown (`abcde-fghjk`) and as stored (MACs).
    fn new_recovery_codes(
        &self,
        user: &UserId,
    ) -> Result<(Vec<String>, Vec<Vec<u8>>), FactorError> {
        let mut shown = Vec::with_capacity(RECOVERY_CODES);
        let mut macs = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            let code = random_from_alphabet(RECOVERY_ALPHABET, RECOVERY_CODE_CHARS)
                .map_err(InternalError::from)?;
            macs.push(self.recovery_mac(user, &code));
            shown.push(format!("{}-{}", &code[..5], &code[5..]));
        }
        Ok((shown, macs))
    }

    fn recovery_mac(&self, user: &UserId, code: &str) -> Vec<u8> {
        let data = [user.as_str().as_bytes(), b"\0", code.as_bytes()].concat();
        self.master.mac("recovery-code", &data).to_vec()
    }

    /// The name authenticator apps show above the code: the issuer's host.
    fn totp_issuer_name(&self) -> String {
        let issuer = self.config.issuer.as_str();
        let host = issuer
            .split_once("://")
            .map_or(issuer, |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or(issuer);
        format!("Tessera ({host})")
    }
}

/// The additional data a TOTP secret is sealed with: it opens only as this user's.
fn totp_aad(user: &UserId) -> Vec<u8> {
    [b"tessera/totp/".as_slice(), user.as_str().as_bytes()].concat()
}
