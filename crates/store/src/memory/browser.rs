//! Browser sign-in in memory: login sessions, codes, consents and the logout outbox, with
//! the semantics the traits document and the databases keep.

use std::collections::HashMap;
use std::time::Duration;

use tessera_core::StoreError;
use tessera_core::model::{
    AuthorizationCode, ClientId, CodeOutcome, Consent, Jti, LoginSession, LoginSessionId,
    LogoutNotice, NoticeId, NoticeOutcome, RefreshRecord, Session, SessionId, Timestamp, UserId,
};
use tessera_core::store::{CodeStore, ConsentStore, Fut, LoginSessionStore, OutboxStore};

use super::MemoryStore;

/// How long codes, delivered and given-up notices stay after they are settled (seconds), as
/// the databases' purge keeps them.
const CODE_KEPT: u64 = 3_600;
const DELIVERED_KEPT: u64 = 86_400;
const GIVEN_UP_KEPT: u64 = 604_800;

/// Browser sign-in's records.
#[derive(Clone, Debug, Default)]
pub(super) struct Browser {
    sessions: HashMap<LoginSessionId, LoginSession>,
    /// `(session, client, noted at)`, in the order noted.
    clients: Vec<(LoginSessionId, ClientId, Timestamp)>,
    codes: HashMap<Vec<u8>, StoredCode>,
    consents: HashMap<(UserId, ClientId), Consent>,
    outbox: Vec<OutboxEntry>,
}

/// A code and, once exchanged, what the exchange issued.
#[derive(Clone, Debug)]
struct StoredCode {
    code: AuthorizationCode,
    spent: Option<(SessionId, Jti, Timestamp)>,
}

/// A notice and its delivery state.
#[derive(Clone, Debug)]
struct OutboxEntry {
    notice: LogoutNotice,
    leased_until: Option<Timestamp>,
    delivered_at: Option<Timestamp>,
    gave_up_at: Option<Timestamp>,
}

impl OutboxEntry {
    fn is_pending(&self) -> bool {
        self.delivered_at.is_none() && self.gave_up_at.is_none()
    }

    fn is_due(&self, now: Timestamp) -> bool {
        self.is_pending()
            && self.notice.next_attempt_at <= now
            && self.leased_until.is_none_or(|until| until <= now)
    }
}

impl Browser {
    /// Drops what belongs to a deleted user (its notices stay, as on the databases).
    pub(super) fn forget_user(&mut self, user: &UserId) {
        self.sessions.retain(|_, s| s.user_id != *user);
        let sessions = &self.sessions;
        self.clients.retain(|(id, _, _)| sessions.contains_key(id));
        self.codes.retain(|_, c| c.code.user_id != *user);
        self.consents.retain(|(u, _), _| u != user);
    }

    /// Drops what belongs to a deleted client.
    pub(super) fn forget_client(&mut self, client: &ClientId) {
        self.clients.retain(|(_, c, _)| c != client);
        self.codes.retain(|_, c| c.code.client_id != *client);
        self.consents.retain(|(_, c), _| c != client);
        self.outbox.retain(|e| e.notice.client_id != *client);
    }

    /// Deletes what the databases' purge deletes; answers how many records went.
    pub(super) fn purge(&mut self, now: Timestamp) -> usize {
        let before = self.len();
        self.sessions.retain(|_, s| s.is_live(now));
        let sessions = &self.sessions;
        self.clients.retain(|(id, _, _)| sessions.contains_key(id));
        let codes_before = now.minus(Duration::from_secs(CODE_KEPT));
        self.codes.retain(|_, c| c.code.expires_at > codes_before);
        let delivered_before = now.minus(Duration::from_secs(DELIVERED_KEPT));
        let given_up_before = now.minus(Duration::from_secs(GIVEN_UP_KEPT));
        self.outbox.retain(|e| {
            e.delivered_at.is_none_or(|at| at > delivered_before)
                && e.gave_up_at.is_none_or(|at| at > given_up_before)
        });
        before - self.len()
    }

    fn len(&self) -> usize {
        self.sessions.len() + self.clients.len() + self.codes.len() + self.outbox.len()
    }

    fn live_mut(&mut self, id: &LoginSessionId, now: Timestamp) -> Option<&mut LoginSession> {
        self.sessions.get_mut(id).filter(|s| s.is_live(now))
    }
}

impl LoginSessionStore for MemoryStore {
    fn create_login_session(&self, session: &LoginSession) -> impl Fut<()> {
        self.with(|s| {
            if !s.users.iter().any(|u| u.id == session.user_id) {
                return Err(StoreError::NotFound);
            }
            let taken = s
                .browser
                .sessions
                .values()
                .any(|x| x.id == session.id || x.secret_hash == session.secret_hash);
            if taken {
                return Err(StoreError::Conflict(format!(
                    "login session {}",
                    session.id
                )));
            }
            s.browser
                .sessions
                .insert(session.id.clone(), session.clone());
            Ok(())
        })
    }

    fn login_session_by_secret(&self, secret_hash: &[u8]) -> impl Fut<Option<LoginSession>> {
        self.with(|s| {
            let sessions = s.browser.sessions.values();
            Ok(sessions
                .into_iter()
                .find(|x| x.secret_hash == secret_hash)
                .cloned())
        })
    }

    fn login_session_by_id(&self, id: &LoginSessionId) -> impl Fut<Option<LoginSession>> {
        self.with(|s| Ok(s.browser.sessions.get(id).cloned()))
    }

    fn touch_login_session(
        &self,
        id: &LoginSessionId,
        now: Timestamp,
        idle_expires_at: Timestamp,
    ) -> impl Fut<()> {
        self.with(|s| {
            if let Some(session) = s.browser.live_mut(id, now) {
                session.last_seen_at = now;
                session.idle_expires_at = idle_expires_at.min(session.expires_at);
            }
            Ok(())
        })
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
        self.with(|s| {
            let Some(session) = s.browser.live_mut(id, now) else {
                return Ok(false);
            };
            session.secret_hash = secret_hash.to_vec();
            session.auth_time = now;
            session.amr = amr.to_vec();
            session.acr = acr.map(str::to_owned);
            session.last_seen_at = now;
            session.idle_expires_at = idle_expires_at.min(session.expires_at);
            Ok(true)
        })
    }

    fn login_sessions_of(&self, user: &UserId, now: Timestamp) -> impl Fut<Vec<LoginSession>> {
        self.with(|s| {
            let mut found: Vec<LoginSession> = s
                .browser
                .sessions
                .values()
                .filter(|x| x.user_id == *user && x.is_live(now))
                .cloned()
                .collect();
            found.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            Ok(found)
        })
    }

    fn note_login_client(
        &self,
        id: &LoginSessionId,
        client: &ClientId,
        now: Timestamp,
    ) -> impl Fut<()> {
        self.with(|s| {
            let known =
                s.browser.sessions.contains_key(id) && s.clients.iter().any(|c| c.id == *client);
            if !known {
                return Err(StoreError::NotFound);
            }
            let clients = &mut s.browser.clients;
            if !clients.iter().any(|(i, c, _)| i == id && c == client) {
                clients.push((id.clone(), client.clone(), now));
            }
            Ok(())
        })
    }

    fn login_session_clients(&self, id: &LoginSessionId) -> impl Fut<Vec<ClientId>> {
        self.with(|s| {
            let mut noted: Vec<_> = s
                .browser
                .clients
                .iter()
                .filter(|(i, _, _)| i == id)
                .collect();
            noted.sort_by(|a, b| (a.2, &a.1).cmp(&(b.2, &b.1)));
            Ok(noted.into_iter().map(|(_, c, _)| c.clone()).collect())
        })
    }

    fn end_login_session(
        &self,
        id: &LoginSessionId,
        now: Timestamp,
        notices: &[LogoutNotice],
    ) -> impl Fut<bool> {
        self.with(|s| {
            let Some(session) = s.browser.live_mut(id, now) else {
                return Ok(false);
            };
            session.ended_at = Some(now);
            s.end_sessions(now, |x| x.login_session_id.as_ref() == Some(id));
            s.browser
                .outbox
                .extend(notices.iter().map(|notice| OutboxEntry {
                    notice: notice.clone(),
                    leased_until: None,
                    delivered_at: None,
                    gave_up_at: None,
                }));
            Ok(true)
        })
    }
}

impl CodeStore for MemoryStore {
    fn create_code(&self, code: &AuthorizationCode) -> impl Fut<()> {
        self.with(|s| {
            if s.browser.codes.contains_key(&code.hash) {
                return Err(StoreError::Conflict("authorization code".into()));
            }
            let stored = StoredCode {
                code: code.clone(),
                spent: None,
            };
            s.browser.codes.insert(code.hash.clone(), stored);
            Ok(())
        })
    }

    fn code_by_hash(&self, hash: &[u8], now: Timestamp) -> impl Fut<Option<AuthorizationCode>> {
        self.with(|s| {
            let found = s.browser.codes.get(hash);
            let usable = found.filter(|c| c.spent.is_none() && c.code.expires_at > now);
            Ok(usable.map(|c| c.code.clone()))
        })
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
        self.with(|s| {
            let Some(stored) = s.browser.codes.get(hash) else {
                return Ok(CodeOutcome::Invalid);
            };
            if let Some((session_id, jti, exp)) = &stored.spent {
                return Ok(CodeOutcome::Replayed {
                    session_id: session_id.clone(),
                    jti: jti.clone(),
                    exp: *exp,
                });
            }
            if stored.code.expires_at <= now {
                return Ok(CodeOutcome::Invalid);
            }
            let code = stored.code.clone();
            s.create_session(session, first)?;
            if let Some(stored) = s.browser.codes.get_mut(hash) {
                stored.spent = Some((session.id.clone(), jti.clone(), exp));
            }
            Ok(CodeOutcome::Exchanged(Box::new(code)))
        })
    }
}

impl ConsentStore for MemoryStore {
    fn consent_of(&self, user: &UserId, client: &ClientId) -> impl Fut<Option<Consent>> {
        self.with(|s| {
            let key = (user.clone(), client.clone());
            Ok(s.browser.consents.get(&key).cloned())
        })
    }

    fn save_consent(&self, consent: &Consent) -> impl Fut<()> {
        self.with(|s| {
            let known = s.users.iter().any(|u| u.id == consent.user_id)
                && s.clients.iter().any(|c| c.id == consent.client_id);
            if !known {
                return Err(StoreError::NotFound);
            }
            let key = (consent.user_id.clone(), consent.client_id.clone());
            s.browser.consents.insert(key, consent.clone());
            Ok(())
        })
    }
}

impl OutboxStore for MemoryStore {
    fn claim_logout_notices(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> impl Fut<Vec<LogoutNotice>> {
        self.with(|s| {
            let mut due: Vec<&mut OutboxEntry> = s
                .browser
                .outbox
                .iter_mut()
                .filter(|e| e.is_due(now))
                .collect();
            due.sort_by(|a, b| {
                let key = |e: &OutboxEntry| (e.notice.next_attempt_at, e.notice.created_at);
                key(a)
                    .cmp(&key(b))
                    .then_with(|| a.notice.id.cmp(&b.notice.id))
            });
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            Ok(due
                .into_iter()
                .take(limit)
                .map(|entry| {
                    entry.leased_until = Some(now.plus(lease));
                    entry.notice.attempts += 1;
                    entry.notice.clone()
                })
                .collect())
        })
    }

    fn finish_logout_notice(
        &self,
        id: &NoticeId,
        outcome: &NoticeOutcome,
        now: Timestamp,
    ) -> impl Fut<()> {
        self.with(|s| {
            // A notice that is gone (its client deleted meanwhile) needs nothing more.
            if let Some(entry) = s.browser.outbox.iter_mut().find(|e| e.notice.id == *id) {
                entry.leased_until = None;
                match outcome {
                    NoticeOutcome::Delivered => entry.delivered_at = Some(now),
                    NoticeOutcome::RetryAt(at) => entry.notice.next_attempt_at = *at,
                    NoticeOutcome::GiveUp => entry.gave_up_at = Some(now),
                }
            }
            Ok(())
        })
    }

    fn pending_logout_notices(&self) -> impl Fut<Vec<LogoutNotice>> {
        self.with(|s| {
            let mut pending: Vec<LogoutNotice> = s
                .browser
                .outbox
                .iter()
                .filter(|e| e.is_pending())
                .map(|e| e.notice.clone())
                .collect();
            pending.sort_by(|a, b| {
                (a.next_attempt_at, a.created_at, &a.id).cmp(&(
                    b.next_attempt_at,
                    b.created_at,
                    &b.id,
                ))
            });
            Ok(pending)
        })
    }
}
