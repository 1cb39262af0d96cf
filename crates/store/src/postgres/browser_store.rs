//! The browser sign-in traits for [`PgStore`], one call per method.

use std::time::Duration;

use tessera_core::model::{
    AuthorizationCode, ClientId, CodeOutcome, Consent, Jti, LoginSession, LoginSessionId,
    LogoutNotice, NoticeId, NoticeOutcome, RefreshRecord, Session, Timestamp, UserId,
};
use tessera_core::store::{CodeStore, ConsentStore, Fut, LoginSessionStore, OutboxStore};

use super::PgStore;
use super::browser;

impl LoginSessionStore for PgStore {
    fn create_login_session(&self, session: &LoginSession) -> impl Fut<()> {
        browser::create_login_session(&self.pool, session)
    }

    fn login_session_by_secret(&self, secret_hash: &[u8]) -> impl Fut<Option<LoginSession>> {
        browser::login_session_by_secret(&self.pool, secret_hash)
    }

    fn login_session_by_id(&self, id: &LoginSessionId) -> impl Fut<Option<LoginSession>> {
        browser::login_session_by_id(&self.pool, id)
    }

    fn touch_login_session(
        &self,
        id: &LoginSessionId,
        now: Timestamp,
        idle_expires_at: Timestamp,
    ) -> impl Fut<()> {
        browser::touch_login_session(&self.pool, id, now, idle_expires_at)
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
        browser::reauthenticate(&self.pool, id, secret_hash, amr, acr, now, idle_expires_at)
    }

    fn login_sessions_of(&self, user: &UserId, now: Timestamp) -> impl Fut<Vec<LoginSession>> {
        browser::login_sessions_of(&self.pool, user, now)
    }

    fn note_login_client(
        &self,
        id: &LoginSessionId,
        client: &ClientId,
        now: Timestamp,
    ) -> impl Fut<()> {
        browser::note_login_client(&self.pool, id, client, now)
    }

    fn login_session_clients(&self, id: &LoginSessionId) -> impl Fut<Vec<ClientId>> {
        browser::login_session_clients(&self.pool, id)
    }

    fn end_login_session(
        &self,
        id: &LoginSessionId,
        now: Timestamp,
        notices: &[LogoutNotice],
    ) -> impl Fut<bool> {
        browser::end_login_session(&self.pool, id, now, notices)
    }
}

impl CodeStore for PgStore {
    fn create_code(&self, code: &AuthorizationCode) -> impl Fut<()> {
        browser::create_code(&self.pool, code)
    }

    fn code_by_hash(&self, hash: &[u8], now: Timestamp) -> impl Fut<Option<AuthorizationCode>> {
        browser::code_by_hash(&self.pool, hash, now)
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
        browser::exchange_code(&self.pool, hash, now, session, first, jti, exp)
    }
}

impl ConsentStore for PgStore {
    fn consent_of(&self, user: &UserId, client: &ClientId) -> impl Fut<Option<Consent>> {
        browser::consent_of(&self.pool, user, client)
    }

    fn save_consent(&self, consent: &Consent) -> impl Fut<()> {
        browser::save_consent(&self.pool, consent)
    }
}

impl OutboxStore for PgStore {
    fn claim_logout_notices(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> impl Fut<Vec<LogoutNotice>> {
        browser::claim_logout_notices(&self.pool, now, lease, limit)
    }

    fn finish_logout_notice(
        &self,
        id: &NoticeId,
        outcome: &NoticeOutcome,
        now: Timestamp,
    ) -> impl Fut<()> {
        browser::finish_logout_notice(&self.pool, id, outcome, now)
    }

    fn pending_logout_notices(&self) -> impl Fut<Vec<LogoutNotice>> {
        browser::pending_logout_notices(&self.pool)
    }
}
