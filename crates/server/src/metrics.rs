//! A small Prometheus registry: requests by route and status, a latency histogram, tokens
//! issued by grant, login failures, throttled logins, revocations and security events.
//! Hand-written (a few counters need no global recorder), rendered in the text format 0.0.4.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// One route's latency histogram.
#[derive(Clone, Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        for (bound, count) in BUCKETS.iter().zip(self.counts.iter_mut()) {
            if secs <= *bound {
                *count += 1;
            }
        }
        self.count += 1;
        self.sum += secs;
    }
}

/// One route's counts: requests by method and status, and the latency histogram.
#[derive(Clone, Debug, Default)]
struct RouteStats {
    requests: BTreeMap<String, BTreeMap<u16, u64>>,
    latency: Histogram,
}

/// The server's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    /// By route pattern; nested maps so that counting a request allocates nothing once its
    /// route, method and status have been seen (a lookup by `&str`, one lock).
    routes: Mutex<BTreeMap<String, RouteStats>>,
    tokens: Mutex<BTreeMap<&'static str, u64>>,
    events: Mutex<BTreeMap<&'static str, u64>>,
    login_failures: AtomicU64,
    throttled: AtomicU64,
    revocations: AtomicU64,
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one finished request; `route` is the route pattern, never the raw path.
    pub fn record_request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let mut routes = lock(&self.routes);
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), RouteStats::default());
        }
        let Some(stats) = routes.get_mut(route) else {
            return;
        };
        stats.latency.observe(elapsed.as_secs_f64());
        if !stats.requests.contains_key(method) {
            stats.requests.insert(method.to_owned(), BTreeMap::new());
        }
        if let Some(by_status) = stats.requests.get_mut(method) {
            *by_status.entry(status).or_default() += 1;
        }
    }

    /// Counts tokens issued by a grant.
    pub fn token_issued(&self, grant: &'static str) {
        *lock(&self.tokens).entry(grant).or_default() += 1;
    }

    /// Counts a failed password login.
    pub fn login_failed(&self) {
        self.login_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a login refused by the throttle.
    pub fn login_throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a revocation (RFC 7009 or logout).
    pub fn revoked(&self) {
        self.revocations.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a security event by kind.
    pub fn security_event(&self, kind: &'static str) {
        *lock(&self.events).entry(kind).or_default() += 1;
    }

    /// The registry in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_requests(&mut out);
        self.render_latency(&mut out);
        header(
            &mut out,
            "tessera_tokens_issued_total",
            "counter",
            "Tokens issued, by grant.",
        );
        for (grant, n) in lock(&self.tokens).iter() {
            let _ = writeln!(out, "tessera_tokens_issued_total{{grant=\"{grant}\"}} {n}");
        }
        header(
            &mut out,
            "tessera_security_events_total",
            "counter",
            "Security events, by kind.",
        );
        for (kind, n) in lock(&self.events).iter() {
            let _ = writeln!(out, "tessera_security_events_total{{kind=\"{kind}\"}} {n}");
        }
        let simple = [
            (
                "tessera_login_failures_total",
                "Failed password logins.",
                &self.login_failures,
            ),
            (
                "tessera_login_throttled_total",
                "Logins refused by the throttle.",
                &self.throttled,
            ),
            (
                "tessera_revocations_total",
                "Tokens and sessions revoked.",
                &self.revocations,
            ),
        ];
        for (name, help, value) in simple {
            header(&mut out, name, "counter", help);
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }
        out
    }

    fn render_requests(&self, out: &mut String) {
        let name = "tessera_http_requests_total";
        header(
            out,
            name,
            "counter",
            "HTTP requests, by route, method and status.",
        );
        for (route, stats) in lock(&self.routes).iter() {
            let route = escape(route);
            for (method, by_status) in &stats.requests {
                for (status, n) in by_status {
                    let _ = writeln!(
                        out,
                        "{name}{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
                    );
                }
            }
        }
    }

    fn render_latency(&self, out: &mut String) {
        let name = "tessera_http_request_duration_seconds";
        header(out, name, "histogram", "HTTP request latency, by route.");
        for (route, stats) in lock(&self.routes).iter() {
            let route = escape(route);
            let histogram = &stats.latency;
            for (bound, count) in BUCKETS.iter().zip(histogram.counts.iter()) {
                let _ = writeln!(
                    out,
                    "{name}_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let count = histogram.count;
            let _ = writeln!(
                out,
                "{name}_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(out, "{name}_sum{{route=\"{route}\"}} {}", histogram.sum);
            let _ = writeln!(out, "{name}_count{{route=\"{route}\"}} {count}");
        }
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Escapes a label value (backslash, quote, newline).
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let metrics = Metrics::new();
        metrics.record_request("/oauth/token", "POST", 200, Duration::from_millis(3));
        metrics.token_issued("password");
        metrics.login_failed();
        let text = metrics.render();
        assert!(text.contains(
            "tessera_http_requests_total{route=\"/oauth/token\",method=\"POST\",status=\"200\"} 1"
        ));
        assert!(text.contains(
            "tessera_http_request_duration_seconds_bucket{route=\"/oauth/token\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "tessera_http_request_duration_seconds_bucket{route=\"/oauth/token\",le=\"0.001\"} 0"
        ));
        assert!(text.contains("tessera_tokens_issued_total{grant=\"password\"} 1"));
        assert!(text.contains("tessera_login_failures_total 1"));
    }

    #[test]
    fn counts_add_up_per_route_method_and_status() {
        let metrics = Metrics::new();
        let fast = Duration::from_millis(1);
        for _ in 0..3 {
            metrics.record_request("/userinfo", "GET", 200, fast);
        }
        metrics.record_request("/userinfo", "GET", 401, fast);
        metrics.record_request("/userinfo", "POST", 200, fast);
        let text = metrics.render();
        let count = |labels: &str| {
            text.lines()
                .find(|line| line.starts_with(&format!("tessera_http_requests_total{{{labels}}}")))
                .and_then(|line| line.rsplit(' ').next())
                .map(str::to_owned)
        };
        assert_eq!(
            count(r#"route="/userinfo",method="GET",status="200""#).as_deref(),
            Some("3")
        );
        assert_eq!(
            count(r#"route="/userinfo",method="GET",status="401""#).as_deref(),
            Some("1")
        );
        assert_eq!(
            count(r#"route="/userinfo",method="POST",status="200""#).as_deref(),
            Some("1")
        );
        assert!(
            text.contains("tessera_http_request_duration_seconds_count{route=\"/userinfo\"} 5")
        );
    }
}
