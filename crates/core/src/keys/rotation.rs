//! When signing keys are created, activated and retired.
//!
//! A key is published before it signs, for long enough that every JWKS cache has fetched
//! it (`publish_ahead`); it signs for `rotate_every`; then it stays published, no longer
//! signing, until every token it signed has expired (`token_lifetime` plus the leeway
//! verifiers allow), and only then leaves the JWKS.
//!
//! Several instances may share one store, and each loads the keys another one made only at
//! its next reload (`reload_every`). A new key is therefore in every instance's JWKS only
//! `reload_every` after it was made, and an old key may still sign at a lagging instance
//! for `reload_every` after it started retiring; both waits below include that delay.

use std::time::Duration;

use tessera_jose::Algorithm;
use tessera_jose::jwt::DEFAULT_LEEWAY_SECS;

use crate::keys::DEFAULT_ALG;
use crate::model::{KeyId, KeyRecord, KeyState, Timestamp};

/// The schedule of key rotation.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct RotationPolicy {
    /// The algorithm of new keys (default RS256).
    pub algorithm: Algorithm,
    /// How long a key signs (default 30 days).
    pub rotate_every: Duration,
    /// How long a key is published before it signs: at least the JWKS cache lifetime
    /// (default 1 hour).
    pub publish_ahead: Duration,
    /// The longest lifetime of a token we sign (default 15 minutes).
    pub token_lifetime: Duration,
    /// How long an instance on the same store may take to load a key state another
    /// instance wrote: the maintenance interval (default 60 s).
    pub reload_every: Duration,
}

/// Added to every wait that depends on another instance's reload: timestamps are whole
/// seconds, and generating a key and reloading a ring take time of their own.
pub const RELOAD_SLACK: Duration = Duration::from_secs(2);

impl Default for RotationPolicy {
    fn default() -> Self {
        Self {
            algorithm: DEFAULT_ALG,
            rotate_every: Duration::from_secs(30 * 86_400),
            publish_ahead: Duration::from_secs(3_600),
            token_lifetime: Duration::from_secs(15 * 60),
            reload_every: Duration::from_secs(60),
        }
    }
}

/// One step of the key life cycle, as [`RotationPolicy::plan`] proposes it.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum KeyAction {
    /// Generate a key that signs from `activates_at` (Active at once if that is now).
    Create {
        /// Its algorithm.
        alg: Algorithm,
        /// When it starts signing.
        activates_at: Timestamp,
    },
    /// Published → Active: start signing.
    Activate {
        /// The key.
        kid: KeyId,
    },
    /// Active → Retiring: stop signing, stay published.
    StartRetiring {
        /// The key.
        kid: KeyId,
    },
    /// Retiring → Retired: leave the JWKS.
    Retire {
        /// The key.
        kid: KeyId,
    },
}

impl RotationPolicy {
    /// The JWKS `Cache-Control` max-age: half of `publish_ahead`, so that a cache that
    /// fetched just before a key was published refetches well before that key signs.
    pub fn jwks_max_age(&self) -> Duration {
        self.publish_ahead / 2
    }

    /// The JWKS `Cache-Control` header value.
    pub fn jwks_cache_control(&self) -> String {
        format!("public, max-age={}", self.jwks_max_age().as_secs())
    }

    /// How long a new key is published before it signs: `publish_ahead`, or longer when
    /// the other instances need more time to load the key (`reload_every`) and still leave
    /// a JWKS cache its whole lifetime afterwards. Every instance then publishes a key for
    /// at least [`jwks_max_age`](Self::jwks_max_age) before any instance signs with it.
    pub fn publish_window(&self) -> Duration {
        let propagated = self
            .reload_every
            .saturating_add(RELOAD_SLACK)
            .saturating_add(self.jwks_max_age());
        self.publish_ahead.max(propagated)
    }

    /// How long a key stays published after it stopped signing: the token lifetime and the
    /// leeway verifiers allow, counted from the moment the slowest instance stops signing
    /// with it (`reload_every` later).
    pub fn retire_after(&self) -> Duration {
        self.token_lifetime
            .saturating_add(Duration::from_secs(DEFAULT_LEEWAY_SECS.unsigned_abs()))
            .saturating_add(self.reload_every)
            .saturating_add(RELOAD_SLACK)
    }

    /// The actions due at `now`, in the order to apply them (a key starts signing before
    /// the previous one stops, so there is always a signer).
    pub fn plan(&self, records: &[KeyRecord], now: Timestamp) -> Vec<KeyAction> {
        let mut planner = Planner::new(self, records, now);
        planner.activate_due();
        if planner.active.is_empty() {
            planner.bootstrap();
        }
        planner.retire_older_signers();
        planner.drop_expired_retiring();
        planner.prepare_successor();
        planner.actions
    }
}

/// The state of one planning pass.
struct Planner<'a> {
    policy: &'a RotationPolicy,
    records: &'a [KeyRecord],
    now: Timestamp,
    /// Keys that sign at `now`, with the time they started (or start) signing.
    active: Vec<(&'a KeyRecord, Timestamp)>,
    /// Published keys not yet due to sign.
    pending: Vec<&'a KeyRecord>,
    actions: Vec<KeyAction>,
}

impl<'a> Planner<'a> {
    fn new(policy: &'a RotationPolicy, records: &'a [KeyRecord], now: Timestamp) -> Self {
        let active = records
            .iter()
            .filter(|r| r.state == KeyState::Active && r.activates_at <= now)
            .map(|r| (r, r.activates_at))
            .collect();
        Self {
            policy,
            records,
            now,
            active,
            pending: Vec::new(),
            actions: Vec::new(),
        }
    }

    /// Published keys start signing once published for the publish window and past their
    /// activation time.
    fn activate_due(&mut self) {
        let ahead = self.policy.publish_window();
        let records = self.records;
        for record in records.iter().filter(|r| r.state == KeyState::Published) {
            let due = record.activates_at.max(record.created_at.plus(ahead));
            if due <= self.now {
                self.activate(record, due);
            } else {
                self.pending.push(record);
            }
        }
    }

    /// Nothing can sign: use the newest pending key at once, or make one that signs now.
    fn bootstrap(&mut self) {
        let newest = self
            .pending
            .iter()
            .copied()
            .max_by_key(|r| (r.activates_at, r.created_at));
        match newest {
            Some(record) => {
                self.pending.retain(|r| r.kid != record.kid);
                self.activate(record, self.now);
            }
            None => self.actions.push(KeyAction::Create {
                alg: self.policy.algorithm,
                activates_at: self.now,
            }),
        }
    }

    /// Only the newest signer keeps signing.
    fn retire_older_signers(&mut self) {
        self.active.sort_by_key(|(r, since)| (*since, r.created_at));
        if let Some((_, older)) = self.active.split_last() {
            for (record, _) in older {
                self.actions.push(KeyAction::StartRetiring {
                    kid: record.kid.clone(),
                });
            }
        }
    }

    /// Retiring keys leave once every token they signed has expired, leeway included.
    fn drop_expired_retiring(&mut self) {
        let keep = self.policy.retire_after();
        for record in self
            .records
            .iter()
            .filter(|r| r.state == KeyState::Retiring)
        {
            if record
                .retired_at
                .is_some_and(|at| at.plus(keep) <= self.now)
            {
                self.actions.push(KeyAction::Retire {
                    kid: record.kid.clone(),
                });
            }
        }
    }

    /// A signer older than `rotate_every - publish_window` gets a successor, published now.
    fn prepare_successor(&mut self) {
        let ahead = self.policy.publish_window();
        let lifetime = self.policy.rotate_every.saturating_sub(ahead);
        if let Some((_, since)) = self.active.last()
            && self.pending.is_empty()
            && since.plus(lifetime) <= self.now
        {
            self.actions.push(KeyAction::Create {
                alg: self.policy.algorithm,
                activates_at: self.now.plus(ahead),
            });
        }
    }

    fn activate(&mut self, record: &'a KeyRecord, since: Timestamp) {
        self.actions.push(KeyAction::Activate {
            kid: record.kid.clone(),
        });
        self.active.push((record, since));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;
    const T0: i64 = 1_700_000_000;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_secs(secs)
    }

    fn secs(duration: Duration) -> i64 {
        crate::model::secs_of(duration)
    }

    fn key(kid: &str, state: KeyState, created_at: i64, activates_at: i64) -> KeyRecord {
        KeyRecord {
            kid: kid.into(),
            alg: Algorithm::ES256,
            public_jwk: String::new(),
            private_sealed: Vec::new(),
            state,
            created_at: t(created_at),
            activates_at: t(activates_at),
            retired_at: None,
        }
    }

    fn policy() -> RotationPolicy {
        RotationPolicy {
            algorithm: Algorithm::ES256,
            ..RotationPolicy::default()
        }
    }

    #[test]
    fn an_empty_store_gets_a_key_that_signs_at_once() {
        assert_eq!(
            policy().plan(&[], t(T0)),
            [KeyAction::Create {
                alg: Algorithm::ES256,
                activates_at: t(T0)
            }]
        );
    }

    #[test]
    fn a_young_active_key_needs_nothing() {
        let keys = [key("a", KeyState::Active, T0, T0)];
        assert_eq!(policy().plan(&keys, t(T0 + 10 * DAY)), []);
        assert_eq!(policy().plan(&keys, t(T0 + 30 * DAY - 3_601)), []);
    }

    #[test]
    fn a_successor_is_published_ahead_of_rotation() {
        let keys = [key("a", KeyState::Active, T0, T0)];
        let now = T0 + 30 * DAY - 3_600;
        assert_eq!(
            policy().plan(&keys, t(now)),
            [KeyAction::Create {
                alg: Algorithm::ES256,
                activates_at: t(now + 3_600)
            }]
        );
        // Once it exists, no second one is made while it waits.
        let keys = [
            keys[0].clone(),
            key("b", KeyState::Published, now, now + 3_600),
        ];
        assert_eq!(policy().plan(&keys, t(now + 100)), []);
    }

    #[test]
    fn the_successor_activates_after_publish_ahead_and_the_old_key_starts_retiring() {
        let now = T0 + 30 * DAY;
        let keys = [
            key("a", KeyState::Active, T0, T0),
            key("b", KeyState::Published, now - 3_600, now),
        ];
        assert_eq!(
            policy().plan(&keys, t(now)),
            [
                KeyAction::Activate { kid: "b".into() },
                KeyAction::StartRetiring { kid: "a".into() },
            ]
        );
        // Published for less than publish_ahead (even if activates_at says so): wait.
        let early = [
            key("a", KeyState::Active, T0, T0),
            key("b", KeyState::Published, now - 60, now - 60),
        ];
        assert_eq!(policy().plan(&early, t(now)), []);
    }

    #[test]
    fn a_retiring_key_leaves_after_the_token_lifetime_leeway_and_reload() {
        let now = T0 + 31 * DAY;
        let mut old = key("a", KeyState::Retiring, T0, T0);
        // Lifetime, leeway, another instance's reload interval and the slack.
        old.retired_at = Some(t(now - 15 * 60 - 60 - 60 - 2));
        let keys = [
            old.clone(),
            key("b", KeyState::Active, T0 + 30 * DAY, T0 + 30 * DAY),
        ];
        assert_eq!(
            policy().plan(&keys, t(now)),
            [KeyAction::Retire { kid: "a".into() }]
        );
        assert_eq!(policy().plan(&keys, t(now - 1)), []);
    }

    #[test]
    fn several_active_keys_leave_only_the_newest_signing() {
        let keys = [
            key("a", KeyState::Active, T0, T0),
            key("c", KeyState::Active, T0 + 2, T0 + 2),
            key("b", KeyState::Active, T0 + 1, T0 + 1),
        ];
        assert_eq!(
            policy().plan(&keys, t(T0 + 10)),
            [
                KeyAction::StartRetiring { kid: "a".into() },
                KeyAction::StartRetiring { kid: "b".into() },
            ]
        );
    }

    #[test]
    fn without_a_signer_a_pending_key_activates_at_once() {
        let keys = [key("b", KeyState::Published, T0, T0 + 3_600)];
        assert_eq!(
            policy().plan(&keys, t(T0 + 5)),
            [KeyAction::Activate { kid: "b".into() }]
        );
    }

    /// An instance that made a key publishes it at once; another publishes it only at its
    /// next reload, up to `reload_every` later. No instance may sign with the key before
    /// that last publication is older than a JWKS cache lifetime.
    #[test]
    fn a_key_signs_only_after_every_instance_published_it_for_a_cache_lifetime() {
        let cases: [(i64, u64); 6] = [
            (60, 60),
            (4, 3),
            (2, 1),
            (3_600, 60),
            (7_200, 600),
            (10, 30),
        ];
        for (ahead, reload) in cases {
            let policy = RotationPolicy {
                publish_ahead: Duration::from_secs(ahead.unsigned_abs()),
                reload_every: Duration::from_secs(reload),
                rotate_every: Duration::from_secs(30 * DAY.unsigned_abs()),
                ..policy()
            };
            let created = T0;
            let keys = [
                key("a", KeyState::Active, T0 - DAY, T0 - DAY),
                // As planned with publish_ahead alone (by an older version, say).
                key("b", KeyState::Published, created, created + ahead),
            ];
            let activates = (created..created + DAY)
                .find(|&now| !policy.plan(&keys, t(now)).is_empty())
                .expect("the key activates within a day");
            // The last instance loads the key `reload` seconds after it was made, with up
            // to a second lost to whole-second timestamps.
            let everywhere = created + secs(policy.reload_every) + 1;
            let max_age = secs(policy.jwks_max_age());
            assert!(
                activates - everywhere >= max_age,
                "publish_ahead {ahead} s, reload {reload} s: signs {} s after the last \
                 instance published it, the JWKS max-age is {max_age} s",
                activates - everywhere
            );
            assert!(activates >= created + secs(policy.publish_ahead));
        }
    }

    #[test]
    fn the_defaults_keep_publish_ahead_as_the_window() {
        assert_eq!(policy().publish_window(), Duration::from_secs(3_600));
        let short = RotationPolicy {
            publish_ahead: Duration::from_secs(60),
            ..policy()
        };
        assert_eq!(short.publish_window(), Duration::from_secs(60 + 2 + 30));
    }

    #[test]
    fn cache_lifetime_is_half_of_publish_ahead() {
        assert_eq!(policy().jwks_max_age(), Duration::from_secs(1_800));
        assert_eq!(policy().jwks_cache_control(), "public, max-age=1800");
    }
}
