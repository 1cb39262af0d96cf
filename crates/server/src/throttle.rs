//! Brute-force protection for the password grant: failures are counted per account
//! (username, lowercased) and per client IP; past a number of free failures each further
//! one doubles the lock-out, up to a ceiling. A locked account or IP is answered 429 with
//! `Retry-After` before any password is checked; a successful login resets its account.
//!
//! The counters live in memory (one process). An admin unlock endpoint or CLI command is
//! not there yet; a restart clears every lock.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

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
        let free = self.limits.free_failures.max(1);
        if entry.failures >= free {
            let doublings = (entry.failures - free).min(30);
            let delay = self
                .limits
                .base_delay
                .saturating_mul(1_u32 << doublings)
                .min(self.limits.max_delay);
            entry.locked_until = Some(now + delay);
        }
    }

    fn reset(&self, key: &K) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.remove(key);
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
    accounts: Counters<String>,
    addresses: Counters<IpAddr>,
}

impl Throttle {
    /// A throttle with these limits.
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            accounts: Counters::new(config.account),
            addresses: Counters::new(config.ip),
            config,
        }
    }

    /// The limits.
    pub fn config(&self) -> &ThrottleConfig {
        &self.config
    }

    /// Refuses an attempt on a locked account or from a locked address.
    ///
    /// # Errors
    /// [`Locked`] with the longer of the two remaining lock-outs.
    pub fn check(&self, username: &str, ip: Option<IpAddr>, now: Instant) -> Result<(), Locked> {
        let account = self.accounts.check(&account_key(username), now);
        let address = ip.and_then(|ip| self.addresses.check(&ip, now));
        match account.max(address) {
            Some(retry_after) => Err(Locked { retry_after }),
            None => Ok(()),
        }
    }

    /// Counts a failed login against the account and the address.
    pub fn record_failure(&self, username: &str, ip: Option<IpAddr>, now: Instant) {
        self.accounts
            .failure(account_key(username), now, &self.config);
        if let Some(ip) = ip {
            self.addresses.failure(ip, now, &self.config);
        }
    }

    /// A successful login clears its account's counter (the address keeps its own).
    pub fn record_success(&self, username: &str) {
        self.accounts.reset(&account_key(username));
    }

    /// Forgets counters that are unlocked and idle; returns how many went.
    pub fn purge(&self, now: Instant) -> usize {
        self.accounts.purge(now, &self.config) + self.addresses.purge(now, &self.config)
    }

    /// How many counters are kept (accounts, addresses).
    pub fn len(&self) -> (usize, usize) {
        (self.accounts.len(), self.addresses.len())
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(ThrottleConfig::default())
    }
}

fn account_key(username: &str) -> String {
    username.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ThrottleConfig {
        let mut config = ThrottleConfig {
            max_entries: 4,
            ..ThrottleConfig::default()
        };
        config.account.free_failures = 3;
        config.ip.free_failures = 5;
        config
    }

    #[test]
    fn locks_after_the_free_failures_and_doubles() {
        let throttle = Throttle::new(config());
        let t0 = Instant::now();
        for _ in 0..2 {
            throttle.record_failure("Alice", None, t0);
            assert_eq!(throttle.check("alice", None, t0), Ok(()));
        }
        throttle.record_failure("ALICE", None, t0);
        let locked = throttle.check("alice", None, t0).expect_err("locked");
        assert_eq!(locked.retry_after, Duration::from_secs(1));
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(throttle.check("alice", None, t1), Ok(()));
        throttle.record_failure("alice", None, t1);
        let locked = throttle.check("alice", None, t1).expect_err("locked");
        assert_eq!(locked.retry_after_secs(), 2);
    }

    #[test]
    fn success_resets_the_account_but_not_the_address() {
        let throttle = Throttle::new(config());
        let ip: IpAddr = [127, 0, 0, 1].into();
        let now = Instant::now();
        for i in 0..5 {
            throttle.record_failure(&format!("user{}", i % 2), Some(ip), now);
        }
        throttle.record_success("user0");
        assert!(throttle.check("user0", Some(ip), now).is_err(), "ip locked");
        assert!(throttle.check("user0", None, now).is_ok());
    }

    #[test]
    fn the_delay_has_a_ceiling_and_memory_is_bounded() {
        let throttle = Throttle::new(config());
        let now = Instant::now();
        for _ in 0..100 {
            throttle.record_failure("bob", None, now);
        }
        let locked = throttle.check("bob", None, now).expect_err("locked");
        assert_eq!(locked.retry_after, Duration::from_secs(900));
        for i in 0..10 {
            throttle.record_failure(&format!("u{i}"), None, now);
        }
        assert!(throttle.len().0 <= 4);
        let later = now + Duration::from_secs(7200);
        assert!(throttle.purge(later) > 0);
        assert_eq!(throttle.len(), (0, 0));
    }
}
