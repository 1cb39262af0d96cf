//! The failed-login policy: after a number of free failures, each further failure locks the
//! account (or, in the server, the client address) for twice as long as the one before, up to
//! a ceiling. The authority applies it to accounts through the store
//! ([`LockoutStore`](crate::store::LockoutStore)); the server applies the same policy to client
//! addresses in memory.

use std::time::Duration;

/// How failures turn into lock-outs.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct LockoutPolicy {
    /// Failures allowed before the first lock-out (at least 1).
    pub free_failures: u32,
    /// The first lock-out.
    pub base_delay: Duration,
    /// The longest lock-out.
    pub max_delay: Duration,
    /// A counter with no failure for this long is forgotten.
    pub forget_after: Duration,
}

impl Default for LockoutPolicy {
    /// 5 free failures, then 1 s doubling up to 15 minutes; forgotten after an hour.
    fn default() -> Self {
        Self::new(5, Duration::from_secs(1), Duration::from_secs(15 * 60))
    }
}

impl LockoutPolicy {
    /// A policy with these limits, forgetting a counter after an hour without failures.
    pub fn new(free_failures: u32, base_delay: Duration, max_delay: Duration) -> Self {
        Self {
            free_failures,
            base_delay,
            max_delay,
            forget_after: Duration::from_secs(3600),
        }
    }

    /// Sets how long a counter with no failure is kept.
    pub fn forget_after(mut self, after: Duration) -> Self {
        self.forget_after = after;
        self
    }

    /// The lock-out after `failures` failures, if any:
    /// `base_delay * 2^(failures - free_failures)`, at most `max_delay`.
    pub fn delay_after(&self, failures: u32) -> Option<Duration> {
        let free = self.free_failures.max(1);
        if failures < free {
            return None;
        }
        let doublings = (failures - free).min(30);
        Some(
            self.base_delay
                .saturating_mul(1_u32 << doublings)
                .min(self.max_delay),
        )
    }
}

/// A refusal: the account (or address) is locked for a while yet.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Locked {
    /// Time left on the lock.
    pub retry_after: Duration,
}

impl Locked {
    /// `Retry-After` in whole seconds, rounded up, at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs();
        let rounded = if self.retry_after.subsec_nanos() > 0 {
            secs + 1
        } else {
            secs
        };
        rounded.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_after_the_free_failures_up_to_the_ceiling() {
        let policy = LockoutPolicy::new(3, Duration::from_secs(1), Duration::from_secs(900));
        assert_eq!(policy.delay_after(2), None);
        assert_eq!(policy.delay_after(3), Some(Duration::from_secs(1)));
        assert_eq!(policy.delay_after(4), Some(Duration::from_secs(2)));
        assert_eq!(policy.delay_after(100), Some(Duration::from_secs(900)));
        let locked = Locked {
            retry_after: Duration::from_millis(1_200),
        };
        assert_eq!(locked.retry_after_secs(), 2);
    }
}
