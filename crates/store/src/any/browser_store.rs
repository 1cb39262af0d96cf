//! The browser sign-in traits for [`AnyStore`]: every method forwards to the backend inside.

use std::time::Duration;

use tessera_core::model::{
    AuthorizationCode, ClientId, CodeOutcome, Consent, Jti, LoginSession, LoginSessionId,
    LogoutNotice, NoticeId, NoticeOutcome, RefreshRecord, Session, Timestamp, UserId,
};
use tessera_core::store::{CodeStore, ConsentStore, Fut, LoginSessionStore, OutboxStore};

use super::AnyStore;

impl LoginSessionStore for AnyStore {
    fn create_login_session(&self, session: &LoginSession) -> impl Fut<()> {
        dispatch!(self, s => s.create_login_session(session))
    }

    fn login_session_by_secret(&self, secret_hash: &[u8]) -> impl Fut<Option<LoginSession>> {
        dispatch!(self, s => s.login_session_by_secret(secret_hash))
    }

    fn login_session_by_id(&self, id: &LoginSessionId) -> impl Fut<Option<LoginSession>> {
        dispatch!(self, s => s.login_session_by_id(id))
    }

    fn touch_login_session(
        &self,
        id: &LoginSessionId,
        now: Timestamp,
        idle_expires_at: Timestamp,
    ) -> impl Fut<()> {
        dispatch!(self, s => s.touch_login_session(id, now, idle_expires_at))
    }

    fn reauthenticate(
        &self,
        id: &LoginSessionId,
        secret_hash: &[u8],
        amr: &[String],
        acr: Option<&str>,
        now: Timestamp,
        idle_expires_at: Timestamp,
    ) -> impl Fut<bool> {
        dispatch!(self, s => s.reauthenticate(id, secret_hash, amr, acr, now, idle_expires_at))
    }

    fn login_sessions_of(&self, user: &UserId, now: Timestamp) -> impl Fut<Vec<LoginSession>> {
        dispatch!(self, s => s.login_sessions_of(user, now))
    }

    fn note_login_client(
        &self,
        id: &LoginSessionId,
        client: &ClientId,
        now: Timestamp,
    ) -> impl Fut<()> {
        dispatch!(self, s => s.note_login_client(id, client, now))
    }

    fn login_session_clients(&self, id: &LoginSessionId) -> impl Fut<Vec<ClientId>> {
        dispatch!(self, s => s.login_session_clients(id))
    }

    fn end_login_session(
        &self,
        id: &LoginSessionId,
        now: Timestamp,
        notices: &[LogoutNotice],
    ) -> impl Fut<bool> {
        dispatch!(self, s => s.end_login_session(id, now, notices))
    }
}

impl CodeStore for AnyStore {
    fn create_code(&self, code: &AuthorizationCode) -> impl Fut<()> {
        dispatch!(self, s => s.create_code(code))
    }

    fn code_by_hash(&self, hash: &[u8], now: Timestamp) -> impl Fut<Option<AuthorizationCode>> {
        dispatch!(self, s => s.code_by_hash(hash, now))
    }

    fn exchange_code(
        &self,
        hash: &[u8],
        now: Timestamp,
        session: &Session,
        first: &RefreshRecord,
        jti: &Jti,
        exp: Timestamp,
    ) -> impl Fut<CodeOutcome> {
        dispatch!(self, s => s.exchange_code(hash, now, session, first, jti, exp))
    }
}

impl ConsentStore for AnyStore {
    fn consent_of(&self, user: &UserId, client: &ClientId) -> impl Fut<Option<Consent>> {
        dispatch!(self, s => s.consent_of(user, client))
    }

    fn save_consent(&self, consent: &Consent) -> impl Fut<()> {
        dispatch!(self, s => s.save_consent(consent))
    }
}

impl OutboxStore for AnyStore {
    fn claim_logout_notices(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> impl Fut<Vec<LogoutNotice>> {
        dispatch!(self, s => s.claim_logout_notices(now, lease, limit))
    }

    fn finish_logout_notice(
        &self,
        id: &NoticeId,
        outcome: &NoticeOutcome,
        now: Timestamp,
    ) -> impl Fut<()> {
        dispatch!(self, s => s.finish_logout_notice(id, outcome, now))
    }

    fn pending_logout_notices(&self) -> impl Fut<Vec<LogoutNotice>> {
        dispatch!(self, s => s.pending_logout_notices())
    }
}
