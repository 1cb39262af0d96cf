//! The store's circuit breaker. When the store reports itself unavailable (a request's
//! answer was `503 temporarily_unavailable` because of it), the breaker opens: every request
//! that needs the store is answered `503` with `Retry-After` at once instead of waiting for
//! the database's acquire timeout, while the requests that never touch the store (health,
//! metrics, discovery, the JWKS, the OpenAPI document) are served as usual. One background
//! probe asks the store (the authority's ping) every [`PROBE_EVERY`] and closes the breaker
//! as soon as it answers, so the server recovers on its own, without a restart.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tessera_core::{Authority, Store};

use crate::metrics::Metrics;

/// How often the probe asks the store while the breaker is open.
pub const PROBE_EVERY: Duration = Duration::from_millis(500);

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
            probe,
            every,
            metrics,
        }
    }

    /// True while the store is known to be unreachable.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// True when a request to `route` (a route template, `None` when no route matched) is
    /// answered at once while the breaker is open.
    pub fn refuses(&self, route: Option<&str>) -> bool {
        self.is_open() && route.is_some_and(|route| !STORE_FREE.contains(&route))
    }

    /// Opens the breaker (the store said it is unavailable) and starts the probe, unless it
    /// is open already.
    pub fn trip(self: &Arc<Self>) {
        if self.open.swap(true, Ordering::AcqRel) {
            return;
        }
        tracing::warn!("store unavailable: answering 503 at once until it is back");
        self.metrics.set_store_breaker_open(true);
        let breaker = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(breaker.every).await;
                if (breaker.probe)().await {
                    breaker.open.store(false, Ordering::Release);
                    breaker.metrics.set_store_breaker_open(false);
                    tracing::info!("store available again");
                    return;
                }
            }
        });
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
}
