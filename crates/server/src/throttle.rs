//! Brute-force protection by client address: failures of password logins and password
//! changes are counted per client IP in memory, under the same
//! [`LockoutPolicy`] as accounts; a locked address is
//! answered 429 with `Retry-After` before any password is checked.
//!
//! Accounts are locked by the authority, with counters in the store (shared by every
//! instance, kept across restarts). Address counters live here: they are cheap, bounded, and
//! an address that moves on between instances gains little.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tessera_core::lockout::{Locked, LockoutPolicy};

/// The address throttle's limits.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct ThrottleConfig {
    /// Per client IP address (default 20 free failures, 1 s doubling up to 15 minutes,
    /// forgotten after an hour without failures).
    pub ip: LockoutPolicy,
    /// The most address counters kept; the stalest go first (default 100 000).
    pub max_entries: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            ip: LockoutPolicy::new(20, Duration::from_secs(1), Duration::from_secs(15 * 60)),
            max_entries: 100_000,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    locked_until: Option<Instant>,
    last_failure: Instant,
}

/// Per-address throttling of password logins and password changes.
#[derive(Debug)]
pub struct Throttle {
    config: ThrottleConfig,
    entries: Mutex<HashMap<IpAddr, Entry>>,
}

impl Throttle {
    /// A throttle with these limits.
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            config,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The limits.
    pub fn config(&self) -> &ThrottleConfig {
        &self.config
    }

    /// Refuses an attempt from a locked address.
    ///
    /// # Errors
    /// [`Locked`] with the time left.
    pub fn check_ip(&self, ip: Option<IpAddr>, now: Instant) -> Result<(), Locked> {
        let Some(ip) = ip else { return Ok(()) };
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        match entries.get(&ip).and_then(|e| e.locked_until) {
            Some(until) if until > now => Err(Locked {
                retry_after: until - now,
            }),
            _ => Ok(()),
        }
    }

    /// Counts a failed attempt against the address.
    pub fn record_ip_failure(&self, ip: Option<IpAddr>, now: Instant) {
        let Some(ip) = ip else { return };
        let policy = &self.config.ip;
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if !entries.contains_key(&ip) && entries.len() >= self.config.max_entries {
            self.evict_stalest(&mut entries, now);
        }
        let entry = entries.entry(ip).or_insert(Entry {
            failures: 0,
            locked_until: None,
            last_failure: now,
        });
        if now.duration_since(entry.last_failure) > policy.forget_after {
            entry.failures = 0;
        }
        entry.failures = entry.failures.saturating_add(1);
        entry.last_failure = now;
        if let Some(delay) = policy.delay_after(entry.failures) {
            entry.locked_until = Some(now + delay);
        }
    }

    /// Forgets address counters that are unlocked and idle; returns how many went. (The
    /// accounts' counters go with the store's purge.)
    pub fn purge(&self, now: Instant) -> usize {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let before = entries.len();
        entries.retain(|_, e| !self.forgettable(e, now));
        before - entries.len()
    }

    /// How many address counters are kept.
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// True when no address counter is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn forgettable(&self, entry: &Entry, now: Instant) -> bool {
        let unlocked = entry.locked_until.is_none_or(|until| until <= now);
        unlocked && now.duration_since(entry.last_failure) > self.config.ip.forget_after
    }

    /// Makes room: drops forgettable counters, else the one whose last failure is oldest.
    fn evict_stalest(&self, entries: &mut HashMap<IpAddr, Entry>, now: Instant) {
        entries.retain(|_, e| !self.forgettable(e, now));
        if entries.len() < self.config.max_entries {
            return;
        }
        let stalest = entries
            .iter()
            .min_by_key(|(_, e)| e.last_failure)
            .map(|(k, _)| *k);
        if let Some(key) = stalest {
            entries.remove(&key);
        }
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(ThrottleConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ThrottleConfig {
        ThrottleConfig {
            ip: LockoutPolicy::new(3, Duration::from_secs(1), Duration::from_secs(900)),
            max_entries: 4,
        }
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
    fn memory_is_bounded_and_idle_counters_are_purged() {
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
}
