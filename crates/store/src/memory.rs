//! A [`Store`](tessera_core::Store) kept in memory behind one mutex, with the semantics the
//! traits document. Every method takes the lock once, so each is atomic. For tests and
//! examples: nothing is durable.
//!
//! The store contract suite (`tests/contract`) runs on it as on the databases, so that it
//! cannot drift from them.

mod browser;
mod state;

use std::future::{Future, Ready, pending, ready};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tessera_core::StoreError;
use tessera_core::model::{AuditEvent, EventQuery, NewEvent, Webhook, WebhookId};
use tessera_core::model::{
    Client, ClientId, DeviceApproval, DeviceAuthorization, DeviceState, Jti, KeyId, KeyRecord,
    KeyState, LockoutKey, RefreshRecord, Revocation, RotateOutcome, Session, SessionId, Timestamp,
    TotpFactor, UnixMillis, User, UserId,
};
use tessera_core::store::{
    AccountStore, AuditStore, ClientStore, DeviceStore, FactorStore, Fut, KeyStore, LockoutStore,
    MaintenanceStore, ReplayStore, RevocationStore, SessionStore, WebhookStore,
};
use tessera_core::transfer::Snapshot;

use self::state::{Lockout, State};

type Answer<T> = Ready<Result<T, StoreError>>;

/// Every [`tessera_core::Store`] trait, in memory: for tests and examples, never for a
/// deployment (nothing survives the process).
///
/// It keeps the contract the databases keep (the same contract tests run on it), and offers
/// two switches to play a database in trouble: [`MemoryStore::set_unavailable`] and
/// [`MemoryStore::go_down_after_next_rotation`].
///
/// # Examples
///
/// ```
/// use tessera_core::store::ClientStore;
/// use tessera_store::MemoryStore;
///
/// # async fn demo() -> Result<(), tessera_core::StoreError> {
/// let store = MemoryStore::new();
/// assert!(store.list_clients().await?.is_empty());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    unavailable: AtomicBool,
    /// Goes down right after the next refresh rotation commits.
    down_after_rotation: AtomicBool,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every call fail with
    /// [`StoreError::Unavailable`](tessera_core::StoreError::Unavailable) (or work again).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// Makes the store go down (as [`MemoryStore::set_unavailable`] does) right after the
    /// next refresh rotation has committed: the rotation is stored, its caller still hears
    /// back, and every later call fails.
    pub fn go_down_after_next_rotation(&self) {
        self.down_after_rotation.store(true, Ordering::SeqCst);
    }

    /// Runs `f` on the state under the lock, unless the store is "down".
    fn with<T>(&self, f: impl FnOnce(&mut State) -> Result<T, StoreError>) -> Answer<T> {
        if self.unavailable.load(Ordering::SeqCst) {
            return ready(Err(StoreError::unavailable("the test store is down")));
        }
        ready(f(&mut self.lock()))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl AccountStore for MemoryStore {
    fn create_user(&self, user: &User) -> impl Fut<()> {
        self.with(|s| s.insert_user(user))
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

    fn user_by_id(&self, id: &UserId) -> impl Fut<Option<User>> {
        self.with(|s| Ok(s.users.iter().find(|u| u.id == *id).cloned()))
    }

    fn list_users(&self) -> impl Fut<Vec<User>> {
        self.with(|s| {
            let mut users = s.users.clone();
            users.sort_by(|a, b| {
                (a.username.to_lowercase(), &a.username)
                    .cmp(&(b.username.to_lowercase(), &b.username))
            });
            Ok(users)
        })
    }

    fn search_users(&self, prefix: &str, after: Option<&str>, limit: u32) -> impl Fut<Vec<User>> {
        let range = crate::codec::UserRange::new(prefix, after, limit);
        self.with(move |s| {
            let mut found: Vec<(String, User)> = s
                .users
                .iter()
                .map(|u| (u.username.to_lowercase(), u.clone()))
                .filter(|(key, _)| range.contains(key))
                .collect();
            found.sort_by(|a, b| a.0.cmp(&b.0));
            let limit = usize::try_from(range.limit).unwrap_or(usize::MAX);
            Ok(found.into_iter().take(limit).map(|(_, u)| u).collect())
        })
    }

    fn set_password(
        &self,
        user: &UserId,
        hash: &str,
        now: Timestamp,
        keep_session: Option<&SessionId>,
    ) -> impl Fut<()> {
        self.with(|s| {
            let found = s.user_mut(user)?;
            found.password_hash = hash.to_owned();
            found.password_changed_at = now;
            s.end_sessions(now, |x| x.user_id == *user && Some(&x.id) != keep_session);
            Ok(())
        })
    }

    fn rehash_password(&self, user: &UserId, hash: &str) -> impl Fut<()> {
        self.with(|s| {
            s.user_mut(user)?.password_hash = hash.to_owned();
            Ok(())
        })
    }

    fn set_disabled(&self, user: &UserId, disabled: bool, now: Timestamp) -> impl Fut<()> {
        self.with(|s| {
            s.user_mut(user)?.disabled = disabled;
            if disabled {
                s.end_sessions(now, |x| x.user_id == *user);
            }
            Ok(())
        })
    }

    fn someone_else_has_role(&self, role: &str, except: &UserId) -> impl Fut<bool> {
        self.with(|s| {
            Ok(s.users
                .iter()
                .any(|u| u.id != *except && !u.disabled && u.roles.iter().any(|r| r == role)))
        })
    }

    fn set_roles(&self, user: &UserId, roles: &[String]) -> impl Fut<()> {
        self.with(|s| {
            s.user_mut(user)?.roles = roles.to_vec();
            Ok(())
        })
    }

    fn delete_user(&self, user: &UserId) -> impl Fut<()> {
        self.with(|s| {
            s.user_mut(user)?;
            s.users.retain(|u| u.id != *user);
            s.sessions.retain(|_, x| x.user_id != *user);
            s.drop_orphan_tokens();
            s.browser.forget_user(user);
            s.forget_factors(user);
            s.forget_devices_of(user);
            Ok(())
        })
    }
}

impl ClientStore for MemoryStore {
    fn create_client(&self, client: &Client) -> impl Fut<()> {
        self.with(|s| s.insert_client(client))
    }

    fn client_by_id(&self, id: &ClientId) -> impl Fut<Option<Client>> {
        self.with(|s| Ok(s.clients.iter().find(|c| c.id == *id).cloned()))
    }

    fn list_clients(&self) -> impl Fut<Vec<Client>> {
        self.with(|s| Ok(s.clients.clone()))
    }

    fn update_client(&self, client: &Client) -> impl Fut<()> {
        self.with(|s| {
            let stored = s
                .clients
                .iter_mut()
                .find(|c| c.id == client.id)
                .ok_or(StoreError::NotFound)?;
            *stored = Client {
                created_at: stored.created_at,
                ..client.clone()
            };
            Ok(())
        })
    }

    fn delete_client(&self, id: &ClientId) -> impl Fut<()> {
        self.with(|s| {
            if !s.clients.iter().any(|c| c.id == *id) {
                return Err(StoreError::NotFound);
            }
            s.clients.retain(|c| c.id != *id);
            s.sessions.retain(|_, x| x.client_id != *id);
            s.drop_orphan_tokens();
            s.browser.forget_client(id);
            s.devices.retain(|_, d| d.client_id != *id);
            Ok(())
        })
    }
}

impl SessionStore for MemoryStore {
    fn create_session(&self, session: &Session, first: &RefreshRecord) -> impl Fut<()> {
        self.with(|s| s.create_session(session, first))
    }

    fn rotate_refresh(
        &self,
        hash: &[u8],
        next: &RefreshRecord,
        now: Timestamp,
        grace: Duration,
    ) -> impl Fut<RotateOutcome> {
        let answer = self.with(|s| s.rotate(hash, next, now, grace));
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

    fn session_by_id(&self, id: &SessionId) -> impl Fut<Option<Session>> {
        self.with(|s| Ok(s.sessions.get(id).cloned()))
    }

    fn sessions_of(&self, user: &UserId, now: Timestamp) -> impl Fut<Vec<Session>> {
        self.with(|s| {
            let mut live: Vec<Session> = s
                .sessions
                .values()
                .filter(|x| x.user_id == *user && x.is_live(now))
                .cloned()
                .collect();
            live.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            Ok(live)
        })
    }

    fn revoke_session(&self, id: &SessionId, now: Timestamp) -> impl Fut<bool> {
        self.with(|s| {
            Ok(match s.sessions.get_mut(id) {
                Some(x) if x.is_live(now) => {
                    x.revoked_at = Some(now);
                    true
                }
                _ => false,
            })
        })
    }
}

impl RevocationStore for MemoryStore {
    fn revoke_jti(&self, jti: &Jti, exp: Timestamp) -> impl Fut<i64> {
        self.with(|s| Ok(s.revoke(jti, exp)))
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

    fn is_revoked(&self, jti: &Jti) -> impl Fut<bool> {
        self.with(|s| Ok(s.revocations.iter().any(|r| r.jti == *jti)))
    }

    fn revocations_hint(&self) -> impl Future<Output = ()> + Send {
        // One process: it sees its own writes, so there is never news from elsewhere.
        pending()
    }
}

impl LockoutStore for MemoryStore {
    fn count_login_failure(
        &self,
        account: &LockoutKey,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> impl Fut<u32> {
        self.with(|s| {
            let entry = s.lockouts.entry(account.clone()).or_insert(Lockout {
                failures: 0,
                locked_until: None,
                expires_at,
            });
            if entry.expires_at <= now {
                *entry = Lockout {
                    failures: 0,
                    locked_until: None,
                    expires_at,
                };
            }
            entry.failures = entry.failures.saturating_add(1);
            entry.expires_at = expires_at.max(entry.locked_until.unwrap_or_default());
            Ok(entry.failures)
        })
    }

    fn lock_login(&self, account: &LockoutKey, until: UnixMillis) -> impl Fut<()> {
        self.with(|s| {
            if let Some(entry) = s.lockouts.get_mut(account) {
                let until = entry.locked_until.map_or(until, |old| old.max(until));
                entry.locked_until = Some(until);
                entry.expires_at = entry.expires_at.max(until);
            }
            Ok(())
        })
    }

    fn login_locked_until(&self, account: &LockoutKey) -> impl Fut<Option<UnixMillis>> {
        self.with(|s| Ok(s.lockouts.get(account).and_then(|e| e.locked_until)))
    }

    fn clear_login_failures(&self, account: &LockoutKey) -> impl Fut<bool> {
        self.with(|s| Ok(s.lockouts.remove(account).is_some()))
    }
}

impl KeyStore for MemoryStore {
    fn insert_key(&self, key: &KeyRecord) -> impl Fut<()> {
        self.with(|s| s.insert_key(key))
    }

    fn insert_key_after(&self, key: &KeyRecord, newest_seen: Option<&KeyId>) -> impl Fut<bool> {
        self.with(|s| {
            // The keys are kept in creation order: the last is the newest.
            if s.keys.last().map(|k| &k.kid) != newest_seen {
                return Ok(false);
            }
            s.insert_key(key)?;
            Ok(true)
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

    fn set_key_state(&self, kid: &KeyId, state: KeyState, now: Timestamp) -> impl Fut<()> {
        self.with(|s| s.set_key_state(kid, state, now))
    }
}

impl ReplayStore for MemoryStore {
    fn record_dpop_jti(
        &self,
        jti_hash: &[u8],
        expires_at: Timestamp,
        now: Timestamp,
    ) -> impl Fut<bool> {
        self.with(|s| {
            let live = s
                .dpop_jtis
                .get(jti_hash)
                .is_some_and(|expiry| *expiry > now);
            if !live {
                s.dpop_jtis.insert(jti_hash.to_vec(), expires_at);
            }
            Ok(!live)
        })
    }
}

impl WebhookStore for MemoryStore {
    fn create_webhook(&self, webhook: &Webhook) -> impl Fut<()> {
        self.with(|s| {
            if s.webhooks.iter().any(|(w, _)| w.id == webhook.id) {
                return Err(StoreError::Conflict(webhook.id.to_string()));
            }
            s.webhooks.push((webhook.clone(), None));
            Ok(())
        })
    }

    fn webhooks(&self) -> impl Fut<Vec<Webhook>> {
        self.with(|s| Ok(s.webhooks.iter().map(|(w, _)| w.clone()).collect()))
    }

    fn delete_webhook(&self, id: &WebhookId) -> impl Fut<bool> {
        self.with(|s| {
            let before = s.webhooks.len();
            s.webhooks.retain(|(w, _)| w.id != *id);
            Ok(s.webhooks.len() < before)
        })
    }

    fn claim_webhooks(
        &self,
        now: UnixMillis,
        lease_until: UnixMillis,
        limit: u32,
    ) -> impl Fut<Vec<Webhook>> {
        self.with(|s| {
            let mut due: Vec<usize> = (0..s.webhooks.len())
                .filter(|&i| {
                    let (w, lease) = &s.webhooks[i];
                    w.next_attempt_at <= now && lease.is_none_or(|until| until <= now)
                })
                .collect();
            due.sort_by_key(|&i| (s.webhooks[i].0.next_attempt_at, s.webhooks[i].0.id.clone()));
            due.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            Ok(due
                .into_iter()
                .map(|i| {
                    s.webhooks[i].1 = Some(lease_until);
                    s.webhooks[i].0.clone()
                })
                .collect())
        })
    }

    fn update_webhook(
        &self,
        webhook: &Webhook,
        expected_cursor: i64,
        leased_until: Option<UnixMillis>,
    ) -> impl Fut<bool> {
        self.with(|s| {
            let found = s
                .webhooks
                .iter_mut()
                .find(|(w, _)| w.id == webhook.id && w.cursor == expected_cursor);
            Ok(found.is_some_and(|(w, lease)| {
                let (url, kinds, created_at) = (w.url.clone(), w.kinds.clone(), w.created_at);
                *w = Webhook {
                    url,
                    kinds,
                    created_at,
                    ..webhook.clone()
                };
                *lease = leased_until;
                true
            }))
        })
    }
}

impl AuditStore for MemoryStore {
    fn append_event(&self, event: &NewEvent, at: UnixMillis) -> impl Fut<i64> {
        self.with(|s| {
            s.last_event += 1;
            s.events.push(AuditEvent {
                id: s.last_event,
                kind: event.kind,
                at,
                user: event.user.clone(),
                client: event.client.clone(),
                ip: event.ip,
                actor: event.actor.clone(),
                detail: event.detail.clone(),
            });
            Ok(s.last_event)
        })
    }

    fn latest_event_id(&self) -> impl Fut<i64> {
        self.with(|s| Ok(s.events.last().map_or(0, |e| e.id)))
    }

    fn audit_events(&self, query: &EventQuery) -> impl Fut<Vec<AuditEvent>> {
        self.with(|s| {
            let page = usize::try_from(query.page_size()).unwrap_or(usize::MAX);
            Ok(s.events
                .iter()
                .filter(|e| e.id > query.after && query.matches(e))
                .take(page)
                .cloned()
                .collect())
        })
    }

    fn purge_events(&self, before: UnixMillis, keep: u64, batch: u32) -> impl Fut<u64> {
        self.with(|s| {
            let batch = usize::try_from(batch).unwrap_or(usize::MAX);
            let last_dropped = s
                .last_event
                .saturating_sub(i64::try_from(keep).unwrap_or(i64::MAX));
            let mut aged = 0;
            s.events.retain(|e| {
                let drop = e.at < before && aged < batch;
                aged += usize::from(drop);
                !drop
            });
            let mut surplus = 0;
            s.events.retain(|e| {
                let drop = e.id <= last_dropped && surplus < batch;
                surplus += usize::from(drop);
                !drop
            });
            Ok((aged + surplus) as u64)
        })
    }
}

impl FactorStore for MemoryStore {
    fn begin_totp(&self, factor: &TotpFactor) -> impl Fut<bool> {
        self.with(|s| {
            if !s.users.iter().any(|u| u.id == factor.user_id) {
                return Err(StoreError::NotFound);
            }
            if s.totp
                .get(&factor.user_id)
                .is_some_and(TotpFactor::is_confirmed)
            {
                return Ok(false);
            }
            // Stored unconfirmed and unused, whatever the rest of `factor` says, as the
            // databases store it.
            let pending = TotpFactor::pending(
                factor.user_id.clone(),
                factor.sealed_secret.clone(),
                factor.created_at,
            );
            s.totp.insert(factor.user_id.clone(), pending);
            Ok(true)
        })
    }

    fn totp_of(&self, user: &UserId) -> impl Fut<Option<TotpFactor>> {
        self.with(|s| Ok(s.totp.get(user).cloned()))
    }

    fn confirm_totp(
        &self,
        user: &UserId,
        step: u64,
        at: Timestamp,
        recovery_macs: &[Vec<u8>],
    ) -> impl Fut<bool> {
        self.with(|s| {
            crate::factors::step(step)?;
            if s.totp.get(user).is_none_or(TotpFactor::is_confirmed) {
                return Ok(false);
            }
            // The codes first: they are the step that can fail, and then nothing changed.
            s.replace_recovery_codes(user, recovery_macs)?;
            if let Some(factor) = s.totp.get_mut(user) {
                factor.confirmed_at = Some(at);
                factor.last_step = step;
                factor.last_used_at = Some(at);
            }
            Ok(true)
        })
    }

    fn use_totp_step(&self, user: &UserId, step: u64, at: Timestamp) -> impl Fut<bool> {
        self.with(|s| {
            crate::factors::step(step)?;
            Ok(match s.totp.get_mut(user) {
                Some(factor) if factor.is_confirmed() && factor.last_step < step => {
                    factor.last_step = step;
                    factor.last_used_at = Some(at);
                    true
                }
                _ => false,
            })
        })
    }

    fn replace_recovery_codes(&self, user: &UserId, recovery_macs: &[Vec<u8>]) -> impl Fut<()> {
        self.with(|s| s.replace_recovery_codes(user, recovery_macs))
    }

    fn use_recovery_code(&self, user: &UserId, mac: &[u8]) -> impl Fut<bool> {
        self.with(|s| Ok(s.recovery_codes.remove(&(user.clone(), mac.to_vec()))))
    }

    fn recovery_codes_left(&self, user: &UserId) -> impl Fut<u32> {
        self.with(|s| {
            let left = s.recovery_codes.iter().filter(|(u, _)| u == user).count();
            Ok(u32::try_from(left).unwrap_or(u32::MAX))
        })
    }

    fn remove_factors(&self, user: &UserId) -> impl Fut<bool> {
        self.with(|s| Ok(s.forget_factors(user)))
    }
}

impl DeviceStore for MemoryStore {
    fn create_device_authorization(&self, request: &DeviceAuthorization) -> impl Fut<()> {
        self.with(|s| {
            // Checked in the order the databases' conditional insert meets them: the live
            // user code, then the primary key, then the foreign key.
            let code_taken = s
                .devices
                .values()
                .any(|d| d.user_code == request.user_code && d.expires_at > request.created_at);
            if code_taken {
                return Err(StoreError::Conflict(format!(
                    "device user code {}",
                    request.user_code
                )));
            }
            if s.devices.contains_key(&request.device_code_hash) {
                return Err(StoreError::Conflict("device authorization".into()));
            }
            if !s.clients.iter().any(|c| c.id == request.client_id) {
                return Err(StoreError::NotFound);
            }
            // Stored pending, unpolled and undecided, whatever the rest of `request` says,
            // as the databases store it.
            let pending = DeviceAuthorization::pending(
                request.device_code_hash.clone(),
                request.user_code.clone(),
                request.client_id.clone(),
                request.scope.clone(),
                request.created_at,
                request.expires_at,
                request.interval_secs,
            );
            s.devices.insert(request.device_code_hash.clone(), pending);
            Ok(())
        })
    }

    fn pending_device_by_user_code(
        &self,
        user_code: &str,
        now: Timestamp,
    ) -> impl Fut<Option<DeviceAuthorization>> {
        self.with(|s| {
            Ok(s.devices
                .values()
                .find(|d| {
                    d.user_code == user_code
                        && d.state == DeviceState::Pending
                        && d.expires_at > now
                })
                .cloned())
        })
    }

    fn decide_device(
        &self,
        user_code: &str,
        approval: Option<&DeviceApproval>,
        now: Timestamp,
    ) -> impl Fut<bool> {
        self.with(|s| {
            let Some(hash) = s
                .devices
                .iter()
                .find(|(_, d)| {
                    d.user_code == user_code
                        && d.state == DeviceState::Pending
                        && d.expires_at > now
                })
                .map(|(hash, _)| hash.clone())
            else {
                return Ok(false);
            };
            if approval.is_some_and(|a| !s.users.iter().any(|u| u.id == a.user_id)) {
                // The databases' foreign key refuses an unknown user.
                return Err(StoreError::NotFound);
            }
            if let Some(request) = s.devices.get_mut(&hash) {
                request.state = crate::devices::decided(approval);
                request.approval = approval.cloned();
            }
            Ok(true)
        })
    }

    fn poll_device(
        &self,
        device_code_hash: &[u8],
        now: Timestamp,
    ) -> impl Fut<Option<DeviceAuthorization>> {
        self.with(|s| {
            Ok(s.devices.get_mut(device_code_hash).map(|request| {
                let before = request.clone();
                request.last_polled_at = Some(now);
                before
            }))
        })
    }

    fn slow_device_down(&self, device_code_hash: &[u8], by_secs: i64) -> impl Fut<()> {
        self.with(|s| {
            if let Some(request) = s.devices.get_mut(device_code_hash) {
                request.interval_secs = request.interval_secs.saturating_add(by_secs);
            }
            Ok(())
        })
    }

    fn redeem_device(&self, device_code_hash: &[u8]) -> impl Fut<bool> {
        self.with(|s| {
            Ok(match s.devices.get_mut(device_code_hash) {
                Some(request) if request.state == DeviceState::Approved => {
                    request.state = DeviceState::Redeemed;
                    true
                }
                _ => false,
            })
        })
    }
}

impl MaintenanceStore for MemoryStore {
    fn ping(&self) -> impl Fut<()> {
        self.with(|_| Ok(()))
    }

    fn purge_expired(&self, now: Timestamp) -> impl Fut<u64> {
        self.with(|s| Ok(s.purge(now) as u64))
    }

    fn import(&self, snapshot: &Snapshot, retire: &[KeyId], now: Timestamp) -> impl Fut<()> {
        self.with(|s| {
            // All or nothing: work on a copy, keep it only if every write succeeded.
            let mut next = s.clone();
            next.import(snapshot, retire, now)?;
            *s = next;
            Ok(())
        })
    }
}
