//! Brute-force protection for the password grant: failures are counted per account
//! (username, lowercased) and per client IP; past a number of free failures each further
//! one doubles the lock-out, up to a ceiling. A locked account or IP is answered 429 with
//! `Retry-After` before any password is checked; a successful login resets its account.
//!
//! Account counters live in the store ([`Store::count_login_failure`] and its siblings): a
//! lock-out survives a restart, holds for every instance on the database, and is lifted by
//! [`unlock`] from the admin endpoint or from `tessera user unlock` in another process.
//! Address counters live in memory: they are cheap, bounded, and an address that moves on
//! between instances gains little.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tessera_core::model::User;
use tessera_core::{Store, StoreError};

/// One kind of counter's limits: after `free_failures` failures each further one locks for
/// `base_delay * 2^(failures - free_failures)`, at most `max_delay`.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Limits {
    /// Failures allowed before the first lock-out (at least 1).
    pub free_failures: u32,
    /// The first lock-out.
    pub base_delay: Duration,
    /// The longest lock-out.
    pub max_delay: Duration,
}

/// The limits; see [`ThrottleConfig::default`] for the defaults.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct ThrottleConfig {
    /// Per account (default 5 free failures, 1 s doubling up to 15 minutes).
    pub account: Limits,
    /// Per client IP address (default 20 free failures, 1 s doubling up to 15 minutes).
    pub ip: Limits,
    /// A counter with no failure for this long is forgotten (default 1 hour).
    pub forget_after: Duration,
    /// The most counters kept per kind; the stalest go first (default 100 000).
    pub max_entries: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        let limits = |free_failures| Limits {
            free_failures,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15 * 60),
        };
        Self {
            account: limits(5),
            ip: limits(20),
            forget_after: Duration::from_secs(3600),
            max_entries: 100_000,
        }
    }
}

/// A refusal: how long until the next attempt may be made.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Locked {
    /// Time left on the lock.
    pub retry_after: Duration,
}

impl Locked {
    /// `Retry-After` in whole seconds, rounded up.
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs();
        if self.retry_after.subsec_nanos() > 0 {
            secs + 1
        } else {
            secs
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    locked_until: Option<Instant>,
    last_failure: Instant,
}

/// The failure counters of one kind (accounts or addresses).
#[derive(Debug)]
struct Counters<K> {
    limits: Limits,
    entries: Mutex<HashMap<K, Entry>>,
}

impl<K: Eq + Hash + Clone> Counters<K> {
    fn new(limits: Limits) -> Self {
        Self {
            limits,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn check(&self, key: &K, now: Instant) -> Option<Duration> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let until = entries.get(key)?.locked_until?;
        (until > now).then(|| until - now)
    }

    fn failure(&self, key: K, now: Instant, config: &ThrottleConfig) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if !entries.contains_key(&key) && entries.len() >= config.max_entries {
            evict_stalest(&mut entries, now, config);
        }
        let entry = entries.entry(key).or_insert(Entry {
            failures: 0,
            locked_until: None,
            last_failure: now,
        });
        if now.duration_since(entry.last_failure) > config.forget_after {
            entry.failures = 0;
        }
        entry.failures = entry.failures.saturating_add(1);
        entry.last_failure = now;
        if let Some(delay) = lock_delay(&self.limits, entry.failures) {
            entry.locked_until = Some(now + delay);
        }
    }

    fn purge(&self, now: Instant, config: &ThrottleConfig) -> usize {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let before = entries.len();
        entries.retain(|_, e| !forgettable(e, now, config));
        before - entries.len()
    }

    fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// The lock-out after `failures` failures under `limits`, if any.
fn lock_delay(limits: &Limits, failures: u32) -> Option<Duration> {
    let free = limits.free_failures.max(1);
    if failures < free {
        return None;
    }
    let doublings = (failures - free).min(30);
    Some(
        limits
            .base_delay
            .saturating_mul(1_u32 << doublings)
            .min(limits.max_delay),
    )
}

fn forgettable(entry: &Entry, now: Instant, config: &ThrottleConfig) -> bool {
    let unlocked = entry.locked_until.is_none_or(|until| until <= now);
    unlocked && now.duration_since(entry.last_failure) > config.forget_after
}

/// Makes room: drops forgettable counters, else the one whose last failure is oldest.
fn evict_stalest<K: Eq + Hash + Clone>(
    entries: &mut HashMap<K, Entry>,
    now: Instant,
    config: &ThrottleConfig,
) {
    entries.retain(|_, e| !forgettable(e, now, config));
    if entries.len() < config.max_entries {
        return;
    }
    let stalest = entries
        .iter()
        .min_by_key(|(_, e)| e.last_failure)
        .map(|(k, _)| k.clone());
    if let Some(key) = stalest {
        entries.remove(&key);
    }
}

/// Per-account and per-IP throttling of password logins.
#[derive(Debug)]
pub struct Throttle {
    config: ThrottleConfig,
    addresses: Counters<IpAddr>,
}

impl Throttle {
    /// A throttle with these limits.
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            addresses: Counters::new(config.ip),
            config,
        }
    }

    /// The limits.
    pub fn config(&self) -> &ThrottleConfig {
        &self.config
    }

    /// Refuses an attempt on a locked account (in the store) or from a locked address.
    ///
    /// # Errors
    /// `Ok(Err(Locked))` with the longer of the two remaining lock-outs; `Err` when the
    /// store cannot be read.
    pub async fn check<S: Store>(
        &self,
        store: &S,
        account: &str,
        ip: Option<IpAddr>,
    ) -> Result<Result<(), Locked>, StoreError> {
        let account = account_lock(store, &account_key(account), unix_ms()).await?;
        let address = self
            .check_ip(ip, Instant::now())
            .err()
            .map(|l| l.retry_after);
        Ok(match account.max(address) {
            Some(retry_after) => Err(Locked { retry_after }),
            None => Ok(()),
        })
    }

    /// Counts a failed login against the account (in the store) and the address.
    ///
    /// # Errors
    /// The store's, when the account's counter cannot be written (the address is counted
    /// anyway).
    pub async fn record_failure<S: Store>(
        &self,
        store: &S,
        account: &str,
        ip: Option<IpAddr>,
    ) -> Result<(), StoreError> {
        self.record_ip_failure(ip, Instant::now());
        self.record_account_failure(store, &account_key(account), unix_ms())
            .await
    }

    /// A successful login clears its account's counter (the address keeps its own).
    ///
    /// # Errors
    /// The store's.
    pub async fn record_success<S: Store>(
        &self,
        store: &S,
        account: &str,
    ) -> Result<(), StoreError> {
        store.clear_login_failures(&account_key(account)).await?;
        Ok(())
    }

    /// Refuses an attempt from a locked address (memory only).
    ///
    /// # Errors
    /// [`Locked`] with the time left.
    pub fn check_ip(&self, ip: Option<IpAddr>, now: Instant) -> Result<(), Locked> {
        match ip.and_then(|ip| self.addresses.check(&ip, now)) {
            Some(retry_after) => Err(Locked { retry_after }),
            None => Ok(()),
        }
    }

    /// Counts a failed login against the address (memory only).
    pub fn record_ip_failure(&self, ip: Option<IpAddr>, now: Instant) {
        if let Some(ip) = ip {
            self.addresses.failure(ip, now, &self.config);
        }
    }

    /// Forgets address counters that are unlocked and idle; returns how many went. (The
    /// store's account counters go with its `purge_expired`.)
    pub fn purge(&self, now: Instant) -> usize {
        self.addresses.purge(now, &self.config)
    }

    /// How many address counters are kept.
    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    /// True when no address counter is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    async fn record_account_failure<S: Store>(
        &self,
        store: &S,
        key: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let expires = now_ms.saturating_add(millis(self.config.forget_after));
        let failures = store.count_login_failure(key, now_ms, expires).await?;
        match lock_delay(&self.config.account, failures) {
            Some(delay) => {
                store
                    .lock_login(key, now_ms.saturating_add(millis(delay)))
                    .await
            }
            None => Ok(()),
        }
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(ThrottleConfig::default())
    }
}

/// Lifts the lock-out of `user` and forgets its failed logins: those of the password grant
/// (by username) and those of `POST /account/password` (by user id). True when there was
/// anything to forget.
///
/// # Errors
/// The store's.
pub async fn unlock<S: Store>(store: &S, user: &User) -> Result<bool, StoreError> {
    let by_name = store
        .clear_login_failures(&account_key(&user.username))
        .await?;
    let by_id = store
        .clear_login_failures(&account_key(&password_change_key(&user.id)))
        .await?;
    Ok(by_name || by_id)
}

/// The account under which failed `POST /account/password` attempts of the user with id
/// `user_id` are counted (apart from the username's, so that a stolen token cannot lock the
/// user out of logging in).
pub fn password_change_key(user_id: &str) -> String {
    format!("id:{user_id}")
}

/// Time left on the account's lock at `now_ms`, if locked.
async fn account_lock<S: Store>(
    store: &S,
    key: &str,
    now_ms: i64,
) -> Result<Option<Duration>, StoreError> {
    let until = store.login_locked_until(key).await?;
    Ok(until
        .filter(|&until| until > now_ms)
        .map(|until| Duration::from_millis(u64::try_from(until - now_ms).unwrap_or(0))))
}

fn account_key(username: &str) -> String {
    username.to_lowercase()
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}

#[cfg(test)]
mod tests {
    use tessera_store::SqliteStore;

    use super::*;

    fn config() -> ThrottleConfig {
        let mut config = ThrottleConfig {
            max_entries: 4,
            ..ThrottleConfig::default()
        };
        config.account.free_failures = 3;
        config.ip.free_failures = 3;
        config
    }

    #[test]
    fn an_address_locks_after_the_free_failures_and_doubles() {
        let throttle = Throttle::new(config());
        let ip: IpAddr = [127, 0, 0, 1].into();
        let t0 = Instant::now();
        for _ in 0..2 {
            throttle.record_ip_failure(Some(ip), t0);
            assert_eq!(throttle.check_ip(Some(ip), t0), Ok(()));
        }
        throttle.record_ip_failure(Some(ip), t0);
        let locked = throttle.check_ip(Some(ip), t0).expect_err("locked");
        assert_eq!(locked.retry_after, Duration::from_secs(1));
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(throttle.check_ip(Some(ip), t1), Ok(()));
        throttle.record_ip_failure(Some(ip), t1);
        let locked = throttle.check_ip(Some(ip), t1).expect_err("locked");
        assert_eq!(locked.retry_after_secs(), 2);
        assert_eq!(throttle.check_ip(None, t1), Ok(()));
    }

    #[test]
    fn the_delay_has_a_ceiling_and_memory_is_bounded() {
        let limits = config().account;
        assert_eq!(lock_delay(&limits, 2), None);
        assert_eq!(lock_delay(&limits, 3), Some(Duration::from_secs(1)));
        assert_eq!(lock_delay(&limits, 100), Some(Duration::from_secs(900)));
        let throttle = Throttle::new(config());
        let now = Instant::now();
        for i in 0..10_u8 {
            throttle.record_ip_failure(Some([10, 0, 0, i].into()), now);
        }
        assert!(throttle.len() <= 4);
        let later = now + Duration::from_secs(7200);
        assert!(throttle.purge(later) > 0);
        assert!(throttle.is_empty());
    }

    #[tokio::test]
    async fn account_locks_live_in_the_store_and_unlock_lifts_them() {
        let store = SqliteStore::in_memory().await.expect("store");
        let throttle = Throttle::new(config());
        for _ in 0..3 {
            assert_eq!(throttle.check(&store, "Alice", None).await, Ok(Ok(())));
            throttle
                .record_failure(&store, "ALICE", None)
                .await
                .expect("counted");
        }
        let locked = throttle.check(&store, "alice", None).await.expect("read");
        assert!(locked.is_err(), "locked after 3 failures");
        // Another throttle on the same store (a restart, another instance) sees the lock.
        let other = Throttle::new(config());
        assert!(
            other
                .check(&store, "alice", None)
                .await
                .expect("read")
                .is_err()
        );
        let user = User {
            id: "u1".into(),
            username: "alice".into(),
            email: None,
            roles: Vec::new(),
            password_hash: String::new(),
            disabled: false,
            created_at: 0,
            password_changed_at: 0,
        };
        assert!(unlock(&store, &user).await.expect("unlock"));
        assert_eq!(other.check(&store, "alice", None).await, Ok(Ok(())));
        assert!(
            !unlock(&store, &user).await.expect("unlock"),
            "nothing left"
        );
    }
}
