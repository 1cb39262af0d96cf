//! The JWKS cache: fresh for as long as `Cache-Control` says (within bounds), refreshed in
//! the background when stale, refetched on an unknown `kid` at most once per cooldown,
//! one fetch at a time however many requests wait, and stale keys served through an
//! outage for a bounded grace.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use reqwest::Url;
use tessera_jose::{Algorithm, JwkSet, KeySet};

use crate::cache_control::{self, Bounds};
use crate::error::{BuildError, FetchError, Rejection};
use crate::fetch::Fetcher;

/// `fresh_until` of keys that never go stale.
const ALWAYS_FRESH: u64 = u64::MAX;

/// How the cache treats time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CachePolicy {
    /// Freshness bounds applied to `Cache-Control`.
    pub(crate) bounds: Bounds,
    /// How long past freshness cached keys are still used while refreshes fail.
    pub(crate) grace: Duration,
    /// The least time between two fetches not driven by freshness (unknown `kid`, outage).
    pub(crate) cooldown: Duration,
}

impl Default for CachePolicy {
    fn default() -> Self {
        Self {
            bounds: Bounds::default(),
            grace: Duration::from_secs(3600),
            cooldown: Duration::from_secs(30),
        }
    }
}

/// The keys in use, and until when.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) keys: KeySet,
    /// After this, refresh in the background (`None`: static keys, always fresh).
    fresh_until: Option<Instant>,
    /// After this, the keys are too old to trust.
    usable_until: Option<Instant>,
}

/// Where remote keys come from.
#[derive(Debug)]
struct Remote {
    url: Url,
    fetcher: Fetcher,
    allowed: Vec<Algorithm>,
}

/// A shared cache of the issuer's verifying keys.
#[derive(Debug)]
pub(crate) struct KeyCache {
    remote: Option<Remote>,
    policy: CachePolicy,
    snapshot: RwLock<Arc<Snapshot>>,
    /// The snapshot's `fresh_until` as nanoseconds after `epoch` ([`ALWAYS_FRESH`] for fixed
    /// keys), so that the per-request freshness check is one atomic load, not a lock.
    fresh_until: AtomicU64,
    epoch: Instant,
    /// Held while fetching: whoever waits on it finds the fetch done when it gets it.
    flight: tokio::sync::Mutex<()>,
    /// Bumped after every fetch attempt, so a waiter can tell that one happened meanwhile.
    generation: AtomicU64,
    last_attempt: Mutex<Option<Instant>>,
    background: AtomicBool,
    fetches: AtomicU64,
}

impl KeyCache {
    /// A cache over fixed keys: no fetch ever happens.
    pub(crate) fn fixed(keys: KeySet) -> Self {
        let snapshot = Snapshot {
            keys,
            fresh_until: None,
            usable_until: None,
        };
        Self::with(None, CachePolicy::default(), snapshot)
    }

    /// A cache over `url`, filled by a first fetch that must succeed.
    ///
    /// # Errors
    /// [`BuildError::Fetch`] or [`BuildError::Keys`] when the first fetch fails.
    pub(crate) async fn remote(
        url: Url,
        fetcher: Fetcher,
        allowed: Vec<Algorithm>,
        policy: CachePolicy,
    ) -> Result<Self, BuildError> {
        let remote = Remote {
            url,
            fetcher,
            allowed,
        };
        let snapshot = fetch(&remote, policy).await?;
        let cache = Self::with(Some(remote), policy, snapshot);
        cache.fetches.store(1, Ordering::Relaxed);
        *cache.attempt_lock() = Some(Instant::now());
        Ok(cache)
    }

    fn with(remote: Option<Remote>, policy: CachePolicy, snapshot: Snapshot) -> Self {
        let epoch = Instant::now();
        Self {
            remote,
            policy,
            fresh_until: AtomicU64::new(nanos_after(epoch, snapshot.fresh_until)),
            epoch,
            snapshot: RwLock::new(Arc::new(snapshot)),
            flight: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            last_attempt: Mutex::new(None),
            background: AtomicBool::new(false),
            fetches: AtomicU64::new(0),
        }
    }

    /// How many fetches were started (the first one included).
    pub(crate) fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The generation now; pass it to [`Self::refresh_unknown_kid`] after a lookup fails.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// True while the cached keys are fresh at `now`: then [`Self::keys`] would return them
    /// at once and start no refresh. Lock-free, for the per-request fast path.
    pub(crate) fn is_fresh(&self, now: Instant) -> bool {
        let until = self.fresh_until.load(Ordering::Acquire);
        until == ALWAYS_FRESH || nanos_after(self.epoch, Some(now)) < until
    }

    /// The keys to verify with now.
    ///
    /// Fresh keys are returned at once. Stale keys within the grace are returned at once
    /// too, and a background refresh starts (one at a time, at most once per cooldown after
    /// a failure). Keys past the grace are not used: the caller waits for one fetch.
    ///
    /// # Errors
    /// [`Rejection::KeysUnavailable`] when no usable keys can be had.
    pub(crate) async fn keys(self: &Arc<Self>) -> Result<Arc<Snapshot>, Rejection> {
        let snapshot = self.current();
        let now = Instant::now();
        if snapshot.fresh_until.is_none_or(|t| now < t) {
            return Ok(snapshot);
        }
        if snapshot.usable_until.is_some_and(|t| now < t) {
            self.refresh_in_background();
            return Ok(snapshot);
        }
        let seen = self.generation();
        if self.cooled_down(now) {
            self.refresh(seen).await;
        }
        let snapshot = self.current();
        match snapshot.usable_until {
            Some(t) if Instant::now() < t => Ok(snapshot),
            _ => Err(Rejection::KeysUnavailable),
        }
    }

    /// After a token named a `kid` the cached set lacks: refetch once, unless a fetch
    /// happened since `seen` (then its result is used) or within the cooldown (then the
    /// `kid` stays unknown: forged kids cannot make the guard hammer the issuer).
    ///
    /// Returns true when newer keys may now be cached.
    pub(crate) async fn refresh_unknown_kid(&self, seen: u64) -> bool {
        if self.remote.is_none() {
            return false;
        }
        if self.generation() != seen {
            return true;
        }
        if !self.cooled_down(Instant::now()) {
            return false;
        }
        self.refresh(seen).await;
        true
    }

    /// The cached snapshot.
    pub(crate) fn current(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn cooled_down(&self, now: Instant) -> bool {
        self.waited(now, self.policy.cooldown)
    }

    fn waited(&self, now: Instant, gap: Duration) -> bool {
        self.attempt_lock()
            .is_none_or(|last| now.duration_since(last) >= gap)
    }

    fn attempt_lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.last_attempt
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn refresh_in_background(self: &Arc<Self>) {
        // Keys go stale no sooner than the minimum freshness after a fetch, so this gap only
        // bites after a failed refresh: retry then at most once per gap.
        let gap = self.policy.cooldown.min(self.policy.bounds.min);
        if !self.waited(Instant::now(), gap) || self.background.swap(true, Ordering::AcqRel) {
            return;
        }
        let cache = Arc::clone(self);
        let seen = self.generation();
        tokio::spawn(async move {
            cache.refresh(seen).await;
            cache.background.store(false, Ordering::Release);
        });
    }

    /// One fetch for everyone: whoever gets the lock after a fetch finished skips its own.
    async fn refresh(&self, seen: u64) {
        let Some(remote) = &self.remote else { return };
        let _flight = self.flight.lock().await;
        if self.generation() != seen {
            return;
        }
        *self.attempt_lock() = Some(Instant::now());
        self.fetches.fetch_add(1, Ordering::Relaxed);
        match fetch(remote, self.policy).await {
            Ok(snapshot) => {
                tracing::debug!(keys = snapshot.keys.keys().len(), "jwks refreshed");
                let fresh_until = nanos_after(self.epoch, snapshot.fresh_until);
                *self
                    .snapshot
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = Arc::new(snapshot);
                self.fresh_until.store(fresh_until, Ordering::Release);
            }
            Err(err) => tracing::warn!(error = %err, "jwks refresh failed; keeping cached keys"),
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

/// `at` as nanoseconds after `epoch` (0 before it, [`ALWAYS_FRESH`] for `None`); just
/// under `ALWAYS_FRESH` at most, which is over five centuries away.
fn nanos_after(epoch: Instant, at: Option<Instant>) -> u64 {
    at.map_or(ALWAYS_FRESH, |at| {
        let nanos = at.saturating_duration_since(epoch).as_nanos();
        u64::try_from(nanos)
            .unwrap_or(ALWAYS_FRESH - 1)
            .min(ALWAYS_FRESH - 1)
    })
}

/// Fetches and parses the key set.
async fn fetch(remote: &Remote, policy: CachePolicy) -> Result<Snapshot, BuildError> {
    let document = remote.fetcher.document(&remote.url).await?;
    let keys = parse_keys(&document.body, &remote.allowed)?;
    let fresh = cache_control::freshness(document.cache_control.as_deref(), policy.bounds);
    let now = Instant::now();
    Ok(Snapshot {
        keys,
        fresh_until: Some(now + fresh),
        usable_until: Some(now + fresh + policy.grace),
    })
}

/// Parses a published JWKS: it must hold at least one public signature key and no secret.
///
/// # Errors
/// [`BuildError::Keys`] or [`BuildError::Fetch`] (for a body that is not a JWKS).
pub(crate) fn parse_keys(body: &[u8], allowed: &[Algorithm]) -> Result<KeySet, BuildError> {
    let set = JwkSet::from_json(body).map_err(|err| FetchError::Body(err.to_string()))?;
    let keys = KeySet::from_jwks(&set, allowed)?;
    // A published set with a shared secret has leaked it; and an HMAC key beside an
    // asymmetric issuer would let anyone who read the JWKS sign tokens.
    if keys.has_secrets() {
        return Err(BuildError::Jwks(
            "the JWKS publishes a shared secret; refusing it".into(),
        ));
    }
    if keys.is_empty() {
        return Err(BuildError::Jwks("the JWKS holds no signature key".into()));
    }
    Ok(keys)
}
