//! Browser sign-in sessions (single sign-on): signing in with a password, finding the
//! session a browser's cookie names, and ending sessions with their back-channel logout
//! notices queued in the same transaction.

use std::net::IpAddr;

use tessera_jose::b64;

use super::Authority;
use super::both::both;
use super::factors::{ACR_MFA, ACR_PASSWORD, SECOND_FACTOR_AMR};
use crate::error::{FactorError, GrantError, ServiceError, StoreError};
use crate::events::{EndReason, SecurityEvent};
use crate::model::{
    Actor, ClientId, EventKind, Jti, LoginSession, LoginSessionId, LogoutNotice, NewEvent,
    NoticeId, Timestamp, UserId,
};
use crate::secrets::{IdKind, fill_random, new_id, random_jti, sha256};
use crate::store::Store;

/// Bytes of randomness in a session cookie (128 bits).
const COOKIE_SECRET_BYTES: usize = 16;
/// A session's `last_seen_at` is written at most this often (seconds): a page view is not a
/// database write.
const TOUCH_EVERY: i64 = 60;

/// A browser signed in: the session, and the secret its cookie must hold from now on.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SignedIn {
    /// The session (new, or the browser's own, re-authenticated).
    pub session: LoginSession,
    /// The cookie value (shown once; only its SHA-256 is stored).
    pub cookie_secret: String,
}

/// What a right password leads to in the browser.
#[derive(Clone, Debug)]
pub enum PasswordStep {
    /// Signed in: the user has no second factor.
    SignedIn(SignedIn),
    /// The user has a second factor and must give it now ([`Authority::seal_challenge`]
    /// carries this to the second-factor page).
    SecondFactor(UserId),
}

/// How long the second-factor page waits for a code after the password, in seconds.
pub const CHALLENGE_LIFETIME_SECS: i64 = 300;

/// The purpose of a sealed second-factor challenge.
const CHALLENGE_PURPOSE: &str = "second-factor";

impl<S: Store> Authority<S> {
    /// Signs a browser in with a password, under the same lock-out rule and with the same
    /// answer for every failure as the password grant. A user with a second factor is not
    /// signed in yet: the answer says to ask for it. `current` is the session the browser's
    /// cookie already names: re-authenticating its own user keeps the session (and its
    /// `sid`) with a new cookie secret; another user's session is ended and replaced. The
    /// cookie secret changes either way, so a cookie planted before sign-in is worthless
    /// after it (session fixation). `ip`, the browser's address, goes into the audit trail.
    ///
    /// # Errors
    /// [`GrantError::Malformed`]; [`GrantError::Locked`]; [`GrantError::BadCredentials`] for
    /// an unknown username, a disabled account or a wrong password; the store's errors.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        client: Option<&ClientId>,
        current: Option<&LoginSession>,
        ip: Option<IpAddr>,
    ) -> Result<PasswordStep, GrantError> {
        let signed_in = self.authenticate(username, password, client, ip).await?;
        if self.has_second_factor(&signed_in.user.id).await? {
            // The sign-in succeeds, and is recorded, only with the second factor.
            return Ok(PasswordStep::SecondFactor(signed_in.user.id));
        }
        self.clear_failures(&signed_in.lockout).await?;
        let amr = vec!["pwd".to_owned()];
        let acr = Some(ACR_PASSWORD.to_owned());
        let opened = self.open_browser_session(&signed_in.user.id, amr, acr, current);
        let (opened, _) = both(opened, self.audit(signed_in.record)).await;
        Ok(PasswordStep::SignedIn(opened?))
    }

    /// Finishes a sign-in with the second factor `code` of `user` (whose password was
    /// right), or steps up `current`, the browser's own session of `user`, to a second
    /// factor. The session's `amr` gains `otp` and `mfa` and its `acr` becomes
    /// [`ACR_MFA`].
    ///
    /// # Errors
    /// [`FactorError::WrongCode`]; [`FactorError::Locked`]; [`FactorError::NoAccount`];
    /// the store's errors and ours.
    pub async fn sign_in_second_factor(
        &self,
        user: &UserId,
        code: &str,
        client: Option<&ClientId>,
        current: Option<&LoginSession>,
        ip: Option<IpAddr>,
    ) -> Result<SignedIn, FactorError> {
        self.check_second_factor(user, code, client, ip).await?;
        let mut amr = match current.filter(|s| s.user_id == *user && s.is_live(self.now())) {
            Some(own) => own.amr.clone(),
            None => vec!["pwd".to_owned()],
        };
        for method in SECOND_FACTOR_AMR {
            if !amr.iter().any(|m| m == method) {
                amr.push(method.to_owned());
            }
        }
        let signed_in = self
            .open_browser_session(user, amr, Some(ACR_MFA.to_owned()), current)
            .await?;
        Ok(signed_in)
    }

    /// The second-factor page's hidden state: that `user` gave a right password (or holds
    /// this browser's session) just now, sealed and bound to the browser's `binding`.
    ///
    /// # Errors
    /// [`crate::InternalError`] if sealing fails.
    pub fn seal_challenge(
        &self,
        user: &UserId,
        binding: &str,
    ) -> Result<String, crate::InternalError> {
        let body = format!("{}\n{}", self.now().secs(), user.as_str());
        self.seal_browser_state(CHALLENGE_PURPOSE, binding, body.as_bytes())
    }

    /// The user of a challenge [`Self::seal_challenge`] made for this browser, while it is
    /// fresh; `None` for anything else.
    pub fn open_challenge(&self, binding: &str, sealed: &str) -> Option<UserId> {
        let body = self.open_browser_state(CHALLENGE_PURPOSE, binding, sealed)?;
        let text = std::str::from_utf8(&body).ok()?;
        let (at, user) = text.split_once('\n')?;
        let at = Timestamp::from_secs(at.parse().ok()?);
        let age = self.now().secs_since(at);
        ((0..=CHALLENGE_LIFETIME_SECS).contains(&age) && !user.is_empty())
            .then(|| UserId::new(user))
    }

    /// Starts (or re-authenticates) the browser's session for `user` after it authenticated
    /// with `amr` (and reached `acr`).
    pub(super) async fn open_browser_session(
        &self,
        user: &UserId,
        amr: Vec<String>,
        acr: Option<String>,
        current: Option<&LoginSession>,
    ) -> Result<SignedIn, ServiceError> {
        let now = self.now();
        let cookie_secret = cookie_secret()?;
        let secret_hash = sha256(cookie_secret.as_bytes());
        let idle_end = self.idle_end(now);
        if let Some(own) = current.filter(|s| s.user_id == *user && s.is_live(now)) {
            let renewed = self
                .store
                .reauthenticate(&own.id, &secret_hash, &amr, acr.as_deref(), now, idle_end)
                .await?;
            if renewed {
                let session = LoginSession {
                    secret_hash,
                    auth_time: now,
                    amr,
                    acr,
                    last_seen_at: now,
                    idle_expires_at: idle_end.min(own.expires_at),
                    ..own.clone()
                };
                return Ok(SignedIn {
                    session,
                    cookie_secret,
                });
            }
        }
        if let Some(other) = current.filter(|s| s.is_live(now)) {
            self.end_browser_session(other, EndReason::Replaced).await?;
        }
        let session = LoginSession {
            id: LoginSessionId::new(format!("ls_{}", random_jti()?)),
            secret_hash,
            user_id: user.clone(),
            auth_time: now,
            amr,
            acr,
            created_at: now,
            last_seen_at: now,
            idle_expires_at: idle_end,
            expires_at: now.plus(self.config.browser_absolute_lifetime),
            ended_at: None,
        };
        self.store.create_login_session(&session).await?;
        Ok(SignedIn {
            session,
            cookie_secret,
        })
    }

    /// The live session a browser's cookie names, if any, for a user who may still sign in;
    /// its idle lifetime is moved forward (at most one write a minute).
    ///
    /// # Errors
    /// The store's errors.
    pub async fn browser_session(
        &self,
        cookie_secret: &str,
    ) -> Result<Option<LoginSession>, StoreError> {
        if cookie_secret.is_empty() || cookie_secret.len() > 64 {
            return Ok(None);
        }
        let now = self.now();
        let hash = sha256(cookie_secret.as_bytes());
        let Some(session) = self.store.login_session_by_secret(&hash).await? else {
            return Ok(None);
        };
        if !session.is_live(now) {
            return Ok(None);
        }
        let user_ok = self
            .store
            .user_by_id(&session.user_id)
            .await?
            .is_some_and(|u| !u.disabled);
        if !user_ok {
            return Ok(None);
        }
        if now.secs_since(session.last_seen_at) >= TOUCH_EVERY {
            let idle_end = self.idle_end(now);
            self.store
                .touch_login_session(&session.id, now, idle_end)
                .await?;
            return Ok(Some(LoginSession {
                last_seen_at: now,
                idle_expires_at: idle_end.min(session.expires_at),
                ..session
            }));
        }
        Ok(Some(session))
    }

    /// Ends a browser session and everything issued from it (its refresh families), and
    /// queues a back-channel logout notice for every client it authorized that registered a
    /// receiver, in the same store transaction. Ending an ended session does nothing.
    ///
    /// # Errors
    /// The store's errors, or ours (the random source).
    pub async fn end_browser_session(
        &self,
        session: &LoginSession,
        reason: EndReason,
    ) -> Result<bool, ServiceError> {
        self.end_browser_session_by(session, reason, None).await
    }

    /// [`Self::end_browser_session`], recording `by` (an administrator) as the actor.
    pub(super) async fn end_browser_session_by(
        &self,
        session: &LoginSession,
        reason: EndReason,
        by: Option<&Actor>,
    ) -> Result<bool, ServiceError> {
        let now = self.now();
        let notices = self.logout_notices(session, now).await?;
        let ended = self
            .store
            .end_login_session(&session.id, now, &notices)
            .await?;
        if ended {
            let kind = match reason {
                EndReason::Logout => EventKind::Logout,
                _ => EventKind::SessionEnded,
            };
            let mut event = NewEvent::new(kind).user(&session.user_id);
            if let Some(by) = by {
                event = event.by(by);
            }
            self.audit(event.detail(reason.to_string())).await;
            self.emit(SecurityEvent::BrowserSessionEnded {
                login_session_id: session.id.clone(),
                user_id: session.user_id.clone(),
                reason,
            });
        }
        Ok(ended)
    }

    /// Ends every live browser session of `user` but `except`.
    ///
    /// # Errors
    /// The store's errors, or ours (the random source).
    pub async fn end_browser_sessions_of(
        &self,
        user: &UserId,
        except: Option<&LoginSessionId>,
        reason: EndReason,
    ) -> Result<usize, ServiceError> {
        let mut ended = 0;
        for session in self.store.login_sessions_of(user, self.now()).await? {
            if Some(&session.id) != except && self.end_browser_session(&session, reason).await? {
                ended += 1;
            }
        }
        Ok(ended)
    }

    /// The user a browser session belongs to (the account page names them).
    ///
    /// # Errors
    /// The store's errors.
    pub async fn browser_user(
        &self,
        session: &LoginSession,
    ) -> Result<Option<crate::model::User>, StoreError> {
        self.store.user_by_id(&session.user_id).await
    }

    /// The live browser sessions of `user`, oldest first (the account page lists them).
    ///
    /// # Errors
    /// The store's errors.
    pub async fn browser_sessions_of(
        &self,
        user: &UserId,
    ) -> Result<Vec<LoginSession>, StoreError> {
        self.store.login_sessions_of(user, self.now()).await
    }

    /// The notices to queue when `session` ends: one per client it authorized that has a
    /// back-channel logout receiver.
    async fn logout_notices(
        &self,
        session: &LoginSession,
        now: Timestamp,
    ) -> Result<Vec<LogoutNotice>, ServiceError> {
        let mut notices = Vec::new();
        for client_id in self.store.login_session_clients(&session.id).await? {
            let Some(client) = self.store.client_by_id(&client_id).await? else {
                continue;
            };
            let Some(uri) = client.web.backchannel_logout_uri else {
                continue;
            };
            notices.push(LogoutNotice {
                id: NoticeId::new(new_id(IdKind::Notice)?),
                client_id,
                uri,
                login_session_id: session.id.clone(),
                user_id: session.user_id.clone(),
                jti: Jti::new(random_jti()?),
                created_at: now,
                attempts: 0,
                next_attempt_at: now,
            });
        }
        Ok(notices)
    }

    fn idle_end(&self, now: Timestamp) -> Timestamp {
        now.plus(self.config.browser_idle_lifetime)
    }
}

/// A new cookie secret: 128 random bits as base64url (22 characters).
fn cookie_secret() -> Result<String, crate::secrets::RandomError> {
    let mut bytes = [0u8; COOKIE_SECRET_BYTES];
    fill_random(&mut bytes)?;
    Ok(b64::encode(&bytes))
}
