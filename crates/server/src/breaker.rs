//! The store's circuit breaker. When the store is unavailable the breaker opens: every
//! request that needs the store is answered `503` with `Retry-After` at once instead of
//! waiting for the database's acquire timeout, while the requests that never touch the store
//! (health, metrics, discovery, the JWKS, the OpenAPI document) are served as usual.
//!
//! It opens when a response says the store is unavailable, or when a request that needs the
//! store has waited [`SLOW`] and a probe (the store's ping, which on PostgreSQL opens a
//! connection of its own, so that a refused connection fails at once) finds it unreachable.
//! Once a probe has failed, the requests still waiting for the store are answered `503` too:
//! the pool would otherwise keep them until its acquire timeout, retrying refused
//! connections. A busy database that still answers its probe never cuts a request short.
//!
//! While open, one background probe asks the store every [`PROBE_EVERY`] and closes the
//! breaker as soon as it answers, so the server recovers on its own, without a restart.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tessera_core::{Authority, Store};
use tokio::sync::watch;

use crate::metrics::Metrics;

/// How often the probe asks the store while the breaker is open.
pub const PROBE_EVERY: Duration = Duration::from_millis(500);
/// How long a request waits for the store before a probe checks that it is reachable.
pub const SLOW: Duration = Duration::from_millis(200);
/// A probe that has not answered within this counts as failed.
pub const PROBE_LIMIT: Duration = Duration::from_millis(400);
/// The least time between two checks asked by slow requests (a busy database that answers
/// its probes makes many requests slow; this bounds the probes they cause).
const CHECK_GAP: Duration = Duration::from_millis(500);

/// The routes answered while the breaker is open: none of them needs the store.
const STORE_FREE: [&str; 6] = [
    "/healthz",
    "/metrics",
    "/openapi.json",
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
    "/.well-known/jwks.json",
];

/// One ping of the store: true when it answered.
type Probe = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// Marks a response whose error came from an unavailable store (it opens the breaker).
#[derive(Clone, Copy, Debug)]
pub struct StoreDown;

/// Whether the store is known to be unreachable, and the probe that finds out when it is
/// back.
pub struct Breaker {
    open: AtomicBool,
    /// True while open after a probe failed: the requests waiting for the store give up.
    unreachable: watch::Sender<bool>,
    /// A check asked by a slow request is running (or its gap is not over).
    checking: AtomicBool,
    probe: Probe,
    every: Duration,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Breaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Breaker")
            .field("open", &self.is_open())
            .finish_non_exhaustive()
    }
}

impl Breaker {
    /// A closed breaker whose probe pings `authority`'s store.
    pub fn for_authority<S: Store>(authority: &Arc<Authority<S>>, metrics: Arc<Metrics>) -> Self {
        let authority = Arc::clone(authority);
        let probe: Probe = Arc::new(move || {
            let authority = Arc::clone(&authority);
            Box::pin(async move { authority.ping().await.is_ok() })
        });
        Self::new(probe, PROBE_EVERY, metrics)
    }

    /// A closed breaker with its own probe, run every `every` while open.
    pub fn new(probe: Probe, every: Duration, metrics: Arc<Metrics>) -> Self {
        Self {
            open: AtomicBool::new(false),
            unreachable: watch::Sender::new(false),
            checking: AtomicBool::new(false),
            probe,
            every,
            metrics,
        }
    }

    /// True while the store is known to be unreachable.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// True when a request to `route` (a route template, `None` when no route matched)
    /// needs the store.
    pub fn guards(route: Option<&str>) -> bool {
        route.is_some_and(|route| !STORE_FREE.contains(&route))
    }

    /// True when a request to `route` (a route template, `None` when no route matched) is
    /// answered at once while the breaker is open.
    pub fn refuses(&self, route: Option<&str>) -> bool {
        self.is_open() && Self::guards(route)
    }

    /// Opens the breaker (the store said it is unavailable) and starts the probe, unless it
    /// is open already. The probe's first answer comes at once: a failure tells the requests
    /// still waiting for the store to give up, a success closes the breaker again.
    pub fn trip(self: &Arc<Self>) {
        self.open_with(false);
    }

    /// Resolves once the store is found unreachable while a request waits for it: after
    /// [`SLOW`], and every [`SLOW`] after that, it asks for a check (see [`Breaker::check`]).
    /// A request that needs the store races its handler against this (see
    /// `crate::http::observe`).
    pub fn outage(self: &Arc<Self>) -> impl Future<Output = ()> + Send + 'static {
        let breaker = Arc::clone(self);
        let mut unreachable = self.unreachable.subscribe();
        async move {
            let found = async move {
                if unreachable.wait_for(|down| *down).await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            tokio::pin!(found);
            loop {
                tokio::select! {
                    () = &mut found => return,
                    () = tokio::time::sleep(SLOW) => breaker.check(),
                }
            }
        }
    }

    /// Probes the store now, unless the breaker is open (its own probe runs) or a check ran
    /// less than `CHECK_GAP` ago; opens the breaker if the store is unreachable.
    pub fn check(self: &Arc<Self>) {
        if self.is_open() || self.checking.swap(true, Ordering::AcqRel) {
            return;
        }
        let breaker = Arc::clone(self);
        tokio::spawn(async move {
            if !breaker.probe_once().await {
                breaker.open_with(true);
            }
            tokio::time::sleep(CHECK_GAP).await;
            breaker.checking.store(false, Ordering::Release);
        });
    }

    /// Opens the breaker; `unreachable` when a probe has just failed.
    fn open_with(self: &Arc<Self>, unreachable: bool) {
        if unreachable {
            self.unreachable.send_replace(true);
        }
        if self.open.swap(true, Ordering::AcqRel) {
            return;
        }
        tracing::warn!("store unavailable: answering 503 at once until it is back");
        self.metrics.set_store_breaker_open(true);
        let breaker = Arc::clone(self);
        tokio::spawn(async move {
            if !unreachable {
                if breaker.probe_once().await {
                    breaker.close();
                    return;
                }
                breaker.unreachable.send_replace(true);
            }
            loop {
                tokio::time::sleep(breaker.every).await;
                if breaker.probe_once().await {
                    breaker.close();
                    return;
                }
            }
        });
    }

    /// One probe, failed when it takes longer than [`PROBE_LIMIT`].
    async fn probe_once(&self) -> bool {
        tokio::time::timeout(PROBE_LIMIT, (self.probe)())
            .await
            .unwrap_or(false)
    }

    fn close(&self) {
        self.unreachable.send_replace(false);
        self.open.store(false, Ordering::Release);
        self.metrics.set_store_breaker_open(false);
        tracing::info!("store available again");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[tokio::test]
    async fn a_probe_closes_the_breaker_once_the_store_answers() {
        let up = Arc::new(AtomicBool::new(false));
        let probes = Arc::new(AtomicUsize::new(0));
        let (seen, count) = (Arc::clone(&up), Arc::clone(&probes));
        let probe: Probe = Arc::new(move || {
            count.fetch_add(1, Ordering::SeqCst);
            let up = seen.load(Ordering::SeqCst);
            Box::pin(async move { up })
        });
        let breaker = Arc::new(Breaker::new(
            probe,
            Duration::from_millis(10),
            Arc::new(Metrics::new()),
        ));
        assert!(!breaker.refuses(Some("/oauth/token")));
        breaker.trip();
        breaker.trip();
        assert!(breaker.refuses(Some("/oauth/token")));
        assert!(!breaker.refuses(Some("/healthz")));
        assert!(!breaker.refuses(None));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(breaker.is_open(), "the store is still down");
        assert!(probes.load(Ordering::SeqCst) >= 2, "probing meanwhile");
        up.store(true, Ordering::SeqCst);
        for _ in 0..500 {
            if !breaker.is_open() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(!breaker.is_open(), "closed once the store answers");
        let probes_then = probes.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            probes.load(Ordering::SeqCst),
            probes_then,
            "one probe, stopped"
        );
    }

    /// A probe answering `up` (read at each call) after `delay`, and how many ran.
    fn probe(up: &Arc<AtomicBool>, delay: Duration) -> (Probe, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let (up, count) = (Arc::clone(up), Arc::clone(&calls));
        let probe: Probe = Arc::new(move || {
            count.fetch_add(1, Ordering::SeqCst);
            let up = Arc::clone(&up);
            Box::pin(async move {
                tokio::time::sleep(delay).await;
                up.load(Ordering::SeqCst)
            })
        });
        (probe, calls)
    }

    fn breaker(probe: Probe) -> Arc<Breaker> {
        Arc::new(Breaker::new(
            probe,
            Duration::from_millis(20),
            Arc::new(Metrics::new()),
        ))
    }

    #[tokio::test]
    async fn a_request_waiting_for_an_unreachable_store_is_let_go_at_once() {
        let up = Arc::new(AtomicBool::new(false));
        let (probe, calls) = probe(&up, Duration::ZERO);
        let breaker = breaker(probe);
        let started = std::time::Instant::now();
        tokio::time::timeout(Duration::from_secs(2), breaker.outage())
            .await
            .expect("let go once the probe failed");
        let waited = started.elapsed();
        assert!(waited >= SLOW, "no probe before {SLOW:?}: {waited:?}");
        assert!(waited < SLOW * 3, "{waited:?}");
        assert!(breaker.is_open(), "the failed check opened the breaker");
        assert!(calls.load(Ordering::SeqCst) >= 1);
        // A request that comes while it is known unreachable is let go at once.
        tokio::time::timeout(SLOW / 2, breaker.outage())
            .await
            .expect("at once");
    }

    #[tokio::test]
    async fn a_probe_that_does_not_answer_in_time_counts_as_failed() {
        let up = Arc::new(AtomicBool::new(true));
        let (probe, _) = probe(&up, Duration::from_secs(30));
        let breaker = breaker(probe);
        tokio::time::timeout(SLOW + PROBE_LIMIT * 2, breaker.outage())
            .await
            .expect("a hung store is an unreachable one");
        assert!(breaker.is_open());
    }

    #[tokio::test]
    async fn a_slow_request_on_a_store_that_answers_keeps_waiting() {
        let up = Arc::new(AtomicBool::new(true));
        let (probe, calls) = probe(&up, Duration::ZERO);
        let breaker = breaker(probe);
        let waited = tokio::time::timeout(SLOW * 4, breaker.outage()).await;
        assert!(waited.is_err(), "a busy store never cuts a request short");
        assert!(!breaker.is_open());
        let checks = calls.load(Ordering::SeqCst);
        assert!(checks >= 1, "the slow request asked for a check");
        assert!(checks <= 2, "checks are spaced: {checks}");
    }

    #[tokio::test]
    async fn a_trip_on_a_store_that_answers_closes_at_once() {
        let up = Arc::new(AtomicBool::new(true));
        let (probe, _) = probe(&up, Duration::ZERO);
        let breaker = Arc::new(Breaker::new(
            probe,
            Duration::from_secs(60),
            Arc::new(Metrics::new()),
        ));
        breaker.trip();
        assert!(breaker.is_open());
        for _ in 0..100 {
            if !breaker.is_open() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(
            !breaker.is_open(),
            "closed by the first probe, not after a minute"
        );
        let waiting = tokio::time::timeout(SLOW / 2, breaker.outage()).await;
        assert!(waiting.is_err(), "nothing lets requests go");
    }

    #[tokio::test]
    async fn a_trip_on_an_unreachable_store_lets_the_waiting_requests_go() {
        let up = Arc::new(AtomicBool::new(false));
        let (probe, _) = probe(&up, Duration::ZERO);
        let breaker = breaker(probe);
        let waiting = tokio::spawn(breaker.outage());
        breaker.trip();
        tokio::time::timeout(SLOW / 2, waiting)
            .await
            .expect("let go before its own check")
            .expect("task");
        up.store(true, Ordering::SeqCst);
        for _ in 0..200 {
            if !breaker.is_open() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(!breaker.is_open(), "closed once the store answers");
        let waiting = tokio::time::timeout(SLOW / 2, breaker.outage()).await;
        assert!(waiting.is_err(), "a closed breaker lets no request go");
    }
}
