//! The browser sign-in traits for [`SqliteStore`]: each method is one call on the database
//! thread; the writes share the single writer's transaction, which makes each atomic.

use std::time::Duration;

use tessera_core::model::{
    AuthorizationCode, ClientId, CodeOutcome, Consent, Jti, LoginSession, LoginSessionId,
    LogoutNotice, NoticeId, NoticeOutcome, RefreshRecord, Session, Timestamp, UserId,
};
use tessera_core::store::{CodeStore, ConsentStore, Fut, LoginSessionStore, OutboxStore};

use super::SqliteStore;
use super::browser::{self, Exchange, Reauthentication};

impl LoginSessionStore for SqliteStore {
    fn create_login_session(&self, session: &LoginSession) -> impl Fut<()> {
        let session = session.clone();
        self.db
            .write(move |c, _| browser::create_login_session(c, &session))
    }

    fn login_session_by_secret(&self, secret_hash: &[u8]) -> impl Fut<Option<LoginSession>> {
        let secret_hash = secret_hash.to_vec();
        self.db
            .read(move |c, _| browser::login_session_by_secret(c, &secret_hash))
    }

    fn login_session_by_id(&self, id: &LoginSessionId) -> impl Fut<Option<LoginSession>> {
        let id = id.clone();
        self.db
            .read(move |c, _| browser::login_session_by_id(c, &id))
    }

    fn touch_login_session(
        &self,
        id: &LoginSessionId,
        now: Timestamp,
        idle_expires_at: Timestamp,
    ) -> impl Fut<()> {
        let id = id.clone();
        self.db
            .write(move |c, _| browser::touch_login_session(c, &id, now, idle_expires_at))
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
        let (id, secret_hash, amr) = (id.clone(), secret_hash.to_vec(), amr.to_vec());
        let acr = acr.map(str::to_owned);
        self.db.write(move |c, _| {
            let login = Reauthentication {
                secret_hash: &secret_hash,
                amr: &amr,
                acr: acr.as_deref(),
                now,
                idle_expires_at,
            };
            browser::reauthenticate(c, &id, &login)
        })
    }

    fn login_sessions_of(&self, user: &UserId, now: Timestamp) -> impl Fut<Vec<LoginSession>> {
        let user = user.clone();
        self.db
            .read(move |c, _| browser::login_sessions_of(c, &user, now))
    }

    fn note_login_client(
        &self,
        id: &LoginSessionId,
        client: &ClientId,
        now: Timestamp,
    ) -> impl Fut<()> {
        let (id, client) = (id.clone(), client.clone());
        self.db
            .write(move |c, _| browser::note_login_client(c, &id, &client, now))
    }

    fn login_session_clients(&self, id: &LoginSessionId) -> impl Fut<Vec<ClientId>> {
        let id = id.clone();
        self.db
            .read(move |c, _| browser::login_session_clients(c, &id))
    }

    fn end_login_session(
        &self,
        id: &LoginSessionId,
        now: Timestamp,
        notices: &[LogoutNotice],
    ) -> impl Fut<bool> {
        let (id, notices) = (id.clone(), notices.to_vec());
        self.db
            .write(move |c, cache| browser::end_login_session(c, cache, &id, now, &notices))
    }
}

impl CodeStore for SqliteStore {
    fn create_code(&self, code: &AuthorizationCode) -> impl Fut<()> {
        let code = code.clone();
        self.db.write(move |c, _| browser::create_code(c, &code))
    }

    fn code_by_hash(&self, hash: &[u8], now: Timestamp) -> impl Fut<Option<AuthorizationCode>> {
        let hash = hash.to_vec();
        self.db
            .read(move |c, _| browser::code_by_hash(c, &hash, now))
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
        let hash = hash.to_vec();
        let (session, first, jti) = (session.clone(), first.clone(), jti.clone());
        self.db.write(move |c, _| {
            let exchange = Exchange {
                now,
                session: &session,
                first: &first,
                jti: &jti,
                exp,
            };
            browser::exchange_code(c, &hash, &exchange)
        })
    }
}

impl ConsentStore for SqliteStore {
    fn consent_of(&self, user: &UserId, client: &ClientId) -> impl Fut<Option<Consent>> {
        let (user, client) = (user.clone(), client.clone());
        self.db
            .read(move |c, _| browser::consent_of(c, &user, &client))
    }

    fn save_consent(&self, consent: &Consent) -> impl Fut<()> {
        let consent = consent.clone();
        self.db
            .write(move |c, _| browser::save_consent(c, &consent))
    }
}

impl OutboxStore for SqliteStore {
    fn claim_logout_notices(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> impl Fut<Vec<LogoutNotice>> {
        self.db
            .write(move |c, _| browser::claim_logout_notices(c, now, lease, limit))
    }

    fn finish_logout_notice(
        &self,
        id: &NoticeId,
        outcome: &NoticeOutcome,
        now: Timestamp,
    ) -> impl Fut<()> {
        let (id, outcome) = (id.clone(), outcome.clone());
        self.db
            .write(move |c, _| browser::finish_logout_notice(c, &id, &outcome, now))
    }

    fn pending_logout_notices(&self) -> impl Fut<Vec<LogoutNotice>> {
        self.db.read(|c, _| browser::pending_logout_notices(c))
    }
}
