//! Browser sign-in: single sign-on sessions, authorization codes, consents, and the outbox of
//! back-channel logout notifications. Shared by every instance on the database, so that a
//! browser signed in at one instance is signed in at all of them.

use std::time::Duration;

use super::Fut;
use crate::model::{
    AuthorizationCode, ClientId, CodeOutcome, Consent, Jti, LoginSession, LoginSessionId,
    LogoutNotice, NoticeId, NoticeOutcome, RefreshRecord, Session, Timestamp, UserId,
};

/// Where single sign-on sessions live. The cookie's secret is known only by its SHA-256.
pub trait LoginSessionStore: Send + Sync {
    /// Inserts a session. [`StoreError::Conflict`](crate::StoreError::Conflict) when its id or
    /// secret hash exists; [`StoreError::NotFound`](crate::StoreError::NotFound) for an
    /// unknown user.
    fn create_login_session(&self, session: &LoginSession) -> impl Fut<()>;
    /// The session whose cookie secret hashes to `secret_hash` (live or not).
    fn login_session_by_secret(&self, secret_hash: &[u8]) -> impl Fut<Option<LoginSession>>;
    /// The session with this id (live or not).
    fn login_session_by_id(&self, id: &LoginSessionId) -> impl Fut<Option<LoginSession>>;
    /// Records a use: `last_seen_at = now` and `idle_expires_at = idle_expires_at` (never
    /// past `expires_at`), for a live session only.
    fn touch_login_session(
        &self,
        id: &LoginSessionId,
        now: Timestamp,
        idle_expires_at: Timestamp,
    ) -> impl Fut<()>;
    /// A new interactive login in a live session: replaces the cookie secret's hash, sets
    /// `auth_time = now`, `amr` and `acr`, and touches it. False when the session is not live
    /// (nothing changes).
    fn reauthenticate(
        &self,
        id: &LoginSessionId,
        secret_hash: &[u8],
        amr: &[String],
        acr: Option<&str>,
        now: Timestamp,
        idle_expires_at: Timestamp,
    ) -> impl Fut<bool>;
    /// The live sessions of a user at `now`, oldest first.
    fn login_sessions_of(&self, user: &UserId, now: Timestamp) -> impl Fut<Vec<LoginSession>>;
    /// Remembers that `client` was authorized in this session (idempotent), so that it is
    /// told when the session ends.
    fn note_login_client(
        &self,
        id: &LoginSessionId,
        client: &ClientId,
        now: Timestamp,
    ) -> impl Fut<()>;
    /// The clients authorized in this session.
    fn login_session_clients(&self, id: &LoginSessionId) -> impl Fut<Vec<ClientId>>;
    /// Ends a live session, atomically with everything that follows from it: `ended_at =
    /// now`, every refresh family created from it revoked (`revoked_at = now`), and
    /// `notices` put in the outbox. False when it was not live: nothing changes and nothing
    /// is queued.
    fn end_login_session(
        &self,
        id: &LoginSessionId,
        now: Timestamp,
        notices: &[LogoutNotice],
    ) -> impl Fut<bool>;
}

/// Where authorization codes live, by the SHA-256 of the code.
pub trait CodeStore: Send + Sync {
    /// Inserts a code.
    fn create_code(&self, code: &AuthorizationCode) -> impl Fut<()>;
    /// The code with digest `hash`, unused and unexpired at `now`, if there is one (read
    /// only: the token endpoint checks the request against it before exchanging it).
    fn code_by_hash(&self, hash: &[u8], now: Timestamp) -> impl Fut<Option<AuthorizationCode>>;
    /// Exchanges the code with digest `hash`, atomically: at most one caller ever exchanges
    /// a given code, whatever the concurrency.
    /// - unused and `expires_at > now`: mark it used, keep `session.id`, `jti` and `exp` on
    ///   it, create `session` with its `first` refresh token (as
    ///   [`SessionStore::create_session`](super::SessionStore::create_session) does), and
    ///   answer [`CodeOutcome::Exchanged`];
    /// - used before: answer [`CodeOutcome::Replayed`] with what the first exchange kept
    ///   (nothing changes);
    /// - unknown or expired: [`CodeOutcome::Invalid`].
    ///
    /// A used code is kept at least an hour after its expiry, so that a replay is noticed.
    fn exchange_code(
        &self,
        hash: &[u8],
        now: Timestamp,
        session: &Session,
        first: &RefreshRecord,
        jti: &Jti,
        exp: Timestamp,
    ) -> impl Fut<CodeOutcome>;
}

/// Where consents live.
pub trait ConsentStore: Send + Sync {
    /// What `user` allowed `client` so far.
    fn consent_of(&self, user: &UserId, client: &ClientId) -> impl Fut<Option<Consent>>;
    /// Records a consent, replacing the user's earlier one for the client.
    fn save_consent(&self, consent: &Consent) -> impl Fut<()>;
}

/// The durable outbox of back-channel logout notifications. Notices are queued by
/// [`LoginSessionStore::end_login_session`] in the same transaction that ends the session,
/// so a crash never loses one; any instance may deliver them.
pub trait OutboxStore: Send + Sync {
    /// Claims up to `limit` notices that are due at `now` (not delivered, not given up, not
    /// claimed by another deliverer whose lease is still running), oldest first, leasing
    /// them until `now + lease` and counting the attempt. Two concurrent callers never
    /// claim the same notice.
    fn claim_logout_notices(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> impl Fut<Vec<LogoutNotice>>;
    /// Records how an attempt ended (and releases the lease).
    fn finish_logout_notice(
        &self,
        id: &NoticeId,
        outcome: &NoticeOutcome,
        now: Timestamp,
    ) -> impl Fut<()>;
    /// Notices neither delivered nor given up, for operators and tests.
    fn pending_logout_notices(&self) -> impl Fut<Vec<LogoutNotice>>;
}
