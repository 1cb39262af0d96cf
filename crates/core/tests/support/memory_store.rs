//! A `Store` kept in memory behind one mutex, with the semantics the trait documents.
//! Every method takes the lock once, so each is atomic.

use std::collections::HashMap;
use std::future::{Ready, ready};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tessera_core::StoreError;
use tessera_core::model::{
    Client, KeyRecord, KeyState, RefreshRecord, Revocation, RotateOutcome, Session, Timestamp, User,
};
use tessera_core::store::{Fut, Store};

type Answer<T> = Ready<Result<T, StoreError>>;

/// The in-memory store.
#[derive(Debug, Default)]
pub(crate) struct MemoryStore {
    state: Mutex<State>,
    unavailable: AtomicBool,
    /// Goes down right after the next refresh rotation commits.
    down_after_rotation: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    users: Vec<User>,
    clients: Vec<Client>,
    sessions: HashMap<String, Session>,
    refresh: HashMap<Vec<u8>, RefreshRecord>,
    revocations: Vec<Revocation>,
    last_cursor: i64,
    keys: Vec<KeyRecord>,
}

impl MemoryStore {
    /// An empty store.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Makes every call fail with `Unavailable` (or work again).
    pub(crate) fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// Makes the store go down right after the next refresh rotation has committed.
    pub(crate) fn go_down_after_next_rotation(&self) {
        self.down_after_rotation.store(true, Ordering::SeqCst);
    }

    /// Runs `f` on the state under the lock, unless the store is "down".
    fn with<T>(&self, f: impl FnOnce(&mut State) -> Result<T, StoreError>) -> Answer<T> {
        if self.unavailable.load(Ordering::SeqCst) {
            return ready(Err(StoreError::Unavailable(
                "the test store is down".into(),
            )));
        }
        ready(f(&mut self.lock()))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn user_mut(&mut self, id: &str) -> Result<&mut User, StoreError> {
        self.users
            .iter_mut()
            .find(|u| u.id == id)
            .ok_or(StoreError::NotFound)
    }

    /// Revokes every live session matching `which`.
    fn end_sessions(&mut self, now: Timestamp, which: impl Fn(&Session) -> bool) {
        for session in self.sessions.values_mut() {
            if session.revoked_at.is_none() && which(session) {
                session.revoked_at = Some(now);
            }
        }
    }

    fn rotate(
        &mut self,
        hash: &[u8],
        next: &RefreshRecord,
        now: Timestamp,
        grace: i64,
    ) -> RotateOutcome {
        let Some(record) = self.refresh.get(hash).cloned() else {
            return RotateOutcome::Invalid;
        };
        let Some(session) = self.sessions.get_mut(&record.session_id) else {
            return RotateOutcome::Invalid;
        };
        if session.revoked_at.is_some() || session.expires_at <= now {
            return RotateOutcome::Invalid;
        }
        match record.used_at {
            None if record.expires_at <= now => RotateOutcome::Invalid,
            None => {
                session.last_used_at = now;
                let session = session.clone();
                let old = self.refresh.get_mut(hash).expect("present above");
                old.used_at = Some(now);
                old.successor_sealed = next.successor_sealed.clone();
                let mut next = next.clone();
                next.session_id = record.session_id.clone();
                next.successor_sealed = None;
                self.refresh.insert(next.hash.clone(), next);
                RotateOutcome::Rotated(session)
            }
            Some(used) => match &record.successor_sealed {
                Some(sealed) if grace > 0 && now - used <= grace => RotateOutcome::Retried {
                    session: session.clone(),
                    successor_sealed: sealed.clone(),
                },
                _ => {
                    session.revoked_at = Some(now);
                    RotateOutcome::Replayed {
                        session_id: session.id.clone(),
                        user_id: session.user_id.clone(),
                    }
                }
            },
        }
    }
}

impl Store for MemoryStore {
    fn create_user(&self, user: &User) -> impl Fut<()> {
        self.with(|s| {
            let taken = s.users.iter().any(|u| {
                u.id == user.id || u.username.to_lowercase() == user.username.to_lowercase()
            });
            if taken {
                return Err(StoreError::Conflict("username".into()));
            }
            s.users.push(user.clone());
            Ok(())
        })
    }

    fn user_by_name(&self, username: &str) -> impl Fut<Option<User>> {
        let wanted = username.to_lowercase();
        self.with(|s| {
            Ok(s.users
                .iter()
                .find(|u| u.username.to_lowercase() == wanted)
                .cloned())
        })
    }

    fn user_by_id(&self, id: &str) -> impl Fut<Option<User>> {
        self.with(|s| Ok(s.users.iter().find(|u| u.id == id).cloned()))
    }

    fn list_users(&self) -> impl Fut<Vec<User>> {
        self.with(|s| {
            let mut users = s.users.clone();
            users.sort_by(|a, b| a.username.cmp(&b.username));
            Ok(users)
        })
    }

    fn set_password(
        &self,
        user_id: &str,
        hash: &str,
        now: Timestamp,
        keep_session: Option<&str>,
    ) -> impl Fut<()> {
        self.with(|s| {
            let user = s.user_mut(user_id)?;
            user.password_hash = hash.to_owned();
            user.password_changed_at = now;
            s.end_sessions(now, |x| {
                x.user_id == user_id && Some(x.id.as_str()) != keep_session
            });
            Ok(())
        })
    }

    fn rehash_password(&self, user_id: &str, hash: &str) -> impl Fut<()> {
        self.with(|s| {
            s.user_mut(user_id)?.password_hash = hash.to_owned();
            Ok(())
        })
    }

    fn set_disabled(&self, user_id: &str, disabled: bool, now: Timestamp) -> impl Fut<()> {
        self.with(|s| {
            s.user_mut(user_id)?.disabled = disabled;
            if disabled {
                s.end_sessions(now, |x| x.user_id == user_id);
            }
            Ok(())
        })
    }

    fn delete_user(&self, user_id: &str) -> impl Fut<()> {
        self.with(|s| {
            s.user_mut(user_id)?;
            s.users.retain(|u| u.id != user_id);
            s.sessions.retain(|_, x| x.user_id != user_id);
            let sessions = &s.sessions;
            s.refresh
                .retain(|_, r| sessions.contains_key(&r.session_id));
            Ok(())
        })
    }

    fn create_client(&self, client: &Client) -> impl Fut<()> {
        self.with(|s| {
            if s.clients.iter().any(|c| c.id == client.id) {
                return Err(StoreError::Conflict("client".into()));
            }
            s.clients.push(client.clone());
            Ok(())
        })
    }

    fn client_by_id(&self, id: &str) -> impl Fut<Option<Client>> {
        self.with(|s| Ok(s.clients.iter().find(|c| c.id == id).cloned()))
    }

    fn list_clients(&self) -> impl Fut<Vec<Client>> {
        self.with(|s| Ok(s.clients.clone()))
    }

    fn delete_client(&self, id: &str) -> impl Fut<()> {
        self.with(|s| {
            if !s.clients.iter().any(|c| c.id == id) {
                return Err(StoreError::NotFound);
            }
            s.clients.retain(|c| c.id != id);
            s.sessions.retain(|_, x| x.client_id != id);
            let sessions = &s.sessions;
            s.refresh
                .retain(|_, r| sessions.contains_key(&r.session_id));
            Ok(())
        })
    }

    fn create_session(&self, session: &Session, first: &RefreshRecord) -> impl Fut<()> {
        self.with(|s| {
            if s.sessions.contains_key(&session.id) {
                return Err(StoreError::Conflict("session".into()));
            }
            s.sessions.insert(session.id.clone(), session.clone());
            s.refresh.insert(first.hash.clone(), first.clone());
            Ok(())
        })
    }

    fn rotate_refresh(
        &self,
        hash: &[u8],
        next: &RefreshRecord,
        now: Timestamp,
        grace_secs: i64,
    ) -> impl Fut<RotateOutcome> {
        let answer = self.with(|s| Ok(s.rotate(hash, next, now, grace_secs)));
        if self.down_after_rotation.swap(false, Ordering::SeqCst) {
            self.set_unavailable(true);
        }
        answer
    }

    fn refresh_record(&self, hash: &[u8]) -> impl Fut<Option<RefreshRecord>> {
        self.with(|s| Ok(s.refresh.get(hash).cloned()))
    }

    fn session_by_refresh(&self, hash: &[u8]) -> impl Fut<Option<Session>> {
        self.with(|s| {
            Ok(s.refresh
                .get(hash)
                .and_then(|r| s.sessions.get(&r.session_id))
                .cloned())
        })
    }

    fn session_by_id(&self, id: &str) -> impl Fut<Option<Session>> {
        self.with(|s| Ok(s.sessions.get(id).cloned()))
    }

    fn sessions_of(&self, user_id: &str, now: Timestamp) -> impl Fut<Vec<Session>> {
        self.with(|s| {
            let mut live: Vec<Session> = s
                .sessions
                .values()
                .filter(|x| x.user_id == user_id && x.revoked_at.is_none() && x.expires_at > now)
                .cloned()
                .collect();
            live.sort_by_key(|x| x.created_at);
            Ok(live)
        })
    }

    fn revoke_session(&self, id: &str, now: Timestamp) -> impl Fut<bool> {
        self.with(|s| {
            Ok(match s.sessions.get_mut(id) {
                Some(x) if x.revoked_at.is_none() && x.expires_at > now => {
                    x.revoked_at = Some(now);
                    true
                }
                _ => false,
            })
        })
    }

    fn revoke_jti(&self, jti: &str, exp: Timestamp) -> impl Fut<i64> {
        self.with(|s| {
            s.last_cursor += 1;
            let cursor = s.last_cursor;
            s.revocations.push(Revocation {
                cursor,
                jti: jti.to_owned(),
                exp,
            });
            Ok(cursor)
        })
    }

    fn revocations_since(
        &self,
        cursor: i64,
        now: Timestamp,
        limit: u32,
    ) -> impl Fut<Vec<Revocation>> {
        self.with(|s| {
            Ok(s.revocations
                .iter()
                .filter(|r| r.cursor > cursor && r.exp > now)
                .take(limit as usize)
                .cloned()
                .collect())
        })
    }

    fn is_revoked(&self, jti: &str) -> impl Fut<bool> {
        self.with(|s| Ok(s.revocations.iter().any(|r| r.jti == jti)))
    }

    fn purge_expired(&self, now: Timestamp) -> impl Fut<u64> {
        self.with(|s| {
            let before = s.revocations.len() + s.refresh.len();
            s.revocations.retain(|r| r.exp > now);
            s.refresh.retain(|_, r| r.expires_at > now);
            Ok((before - s.revocations.len() - s.refresh.len()) as u64)
        })
    }

    fn insert_key(&self, key: &KeyRecord) -> impl Fut<()> {
        self.with(|s| {
            if s.keys.iter().any(|k| k.kid == key.kid) {
                return Err(StoreError::Conflict("key".into()));
            }
            s.keys.push(key.clone());
            Ok(())
        })
    }

    fn live_keys(&self) -> impl Fut<Vec<KeyRecord>> {
        self.with(|s| {
            Ok(s.keys
                .iter()
                .filter(|k| k.state != KeyState::Retired)
                .cloned()
                .collect())
        })
    }

    fn all_keys(&self) -> impl Fut<Vec<KeyRecord>> {
        self.with(|s| Ok(s.keys.clone()))
    }

    fn set_key_state(&self, kid: &str, state: KeyState, now: Timestamp) -> impl Fut<()> {
        self.with(|s| {
            let key = s
                .keys
                .iter_mut()
                .find(|k| k.kid == kid)
                .ok_or(StoreError::NotFound)?;
            key.state = state;
            if matches!(state, KeyState::Retiring | KeyState::Retired) && key.retired_at.is_none() {
                key.retired_at = Some(now);
            }
            Ok(())
        })
    }

    fn ping(&self) -> impl Fut<()> {
        self.with(|_| Ok(()))
    }
}
