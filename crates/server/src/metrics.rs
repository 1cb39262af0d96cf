//! The server's Prometheus metrics: requests by route, method and status, a latency histogram
//! by route, tokens issued by grant, bearer tokens refused by reason, login failures,
//! throttled logins, revocations, security events and the store's circuit breaker, written in the text format 0.0.4 by `prometheus-client`, the Prometheus
//! project's Rust client.
//!
//! The two request metrics are counted on every request, so they live in `HttpStats`: one
//! lock and map lookups by `&str`, no allocation once a route has been seen. Kept in
//! `prometheus-client`'s own families they cost a `/healthz` request 4.4 % more instructions
//! (two SipHash lookups of a label set per request; 3.5 % with the sets pre-hashed; callgrind
//! on `benches/metrics.rs`), against 0.3 % fewer this way. The client still
//! writes them out, through its [`Collector`] interface, so names, labels, escaping and the
//! histogram's buckets are its work.
//!
//! Every label comes from a bounded set, so no request can add series without end: the route
//! is the matched route template or `unmatched` ([`RouteLabel`]), the method one of seven
//! known ones ([`MethodLabel`]; the request envelope refuses any other before it is counted),
//! and the status a three-digit code.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::Method;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeMetric as _, NoLabelSet,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The server's metrics. The handles share their values with the registry that renders them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    http: Arc<HttpStats>,
    tokens: Family<GrantLabels, Counter>,
    events: Family<KindLabels, Counter>,
    login_failures: Counter,
    throttled: Counter,
    revocations: Counter,
    store_breaker: Gauge,
    refused: Family<ReasonLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        let metrics = Self {
            registry: Registry::default(),
            http: Arc::default(),
            tokens: Family::default(),
            events: Family::default(),
            login_failures: Counter::default(),
            throttled: Counter::default(),
            revocations: Counter::default(),
            store_breaker: Gauge::default(),
            refused: Family::default(),
        };
        metrics.registered()
    }

    /// `self` with every metric in its registry, in the order they are rendered. The
    /// registry adds the `_total` suffix of counters and the full stop ending each help text.
    fn registered(mut self) -> Self {
        let registry = &mut self.registry;
        registry.register_collector(Box::new(Arc::clone(&self.http)));
        let tokens = "Tokens issued, by grant";
        registry.register("tessera_tokens_issued", tokens, self.tokens.clone());
        let events = "Security events, by kind";
        registry.register("tessera_security_events", events, self.events.clone());
        let failures = "Failed password logins";
        let throttled = "Logins refused by the throttle";
        let revoked = "Tokens and sessions revoked";
        registry.register(
            "tessera_login_failures",
            failures,
            self.login_failures.clone(),
        );
        registry.register("tessera_login_throttled", throttled, self.throttled.clone());
        registry.register("tessera_revocations", revoked, self.revocations.clone());
        let refused = "Bearer tokens refused, by reason";
        registry.register("tessera_tokens_refused", refused, self.refused.clone());
        let breaker = "1 while the store is unreachable and requests that need it get 503 at once";
        registry.register(
            "tessera_store_breaker_open",
            breaker,
            self.store_breaker.clone(),
        );
        self
    }

    /// Counts one finished request under bounded labels (see the module's header).
    pub fn record_request(
        &self,
        route: RouteLabel,
        method: MethodLabel,
        status: u16,
        elapsed: Duration,
    ) {
        self.http.record(&route, method, status, elapsed);
    }

    /// Counts tokens issued by a grant.
    pub fn token_issued(&self, grant: &'static str) {
        self.tokens.get_or_create(&GrantLabels { grant }).inc();
    }

    /// Counts a failed password login.
    pub fn login_failed(&self) {
        self.login_failures.inc();
    }

    /// Counts a login refused by the throttle.
    pub fn login_throttled(&self) {
        self.throttled.inc();
    }

    /// Counts a revocation (RFC 7009 or logout).
    pub fn revoked(&self) {
        self.revocations.inc();
    }

    /// Counts a bearer token refused for `reason`, a stable code from a bounded set (the
    /// domain's and the JOSE library's error codes: `token_expired`, `signature_invalid`, …).
    pub fn token_refused(&self, reason: &'static str) {
        self.refused.get_or_create(&ReasonLabels { reason }).inc();
    }

    /// Records whether the store's circuit breaker is open (see [`crate::breaker`]).
    pub fn set_store_breaker_open(&self, open: bool) {
        self.store_breaker.set(i64::from(open));
    }

    /// Counts a security event by kind.
    pub fn security_event(&self, kind: &'static str) {
        self.events.get_or_create(&KindLabels { kind }).inc();
    }

    /// The registry in the Prometheus text format 0.0.4 (see [`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a `String` cannot fail, and every label value encodes infallibly.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

/// The `route` label: a matched route template (never the raw path, which could hold a
/// token) or a fixed name such as `unmatched`. Cloning it copies a reference.
#[derive(Clone, Debug)]
pub struct RouteLabel(Route);

#[derive(Clone, Debug)]
enum Route {
    Matched(MatchedPath),
    Named(&'static str),
}

impl RouteLabel {
    /// The label of a request: its matched route template, or `unmatched` when the router's
    /// fallback answered.
    pub fn of(matched: Option<MatchedPath>) -> Self {
        match matched {
            Some(path) => Self(Route::Matched(path)),
            None => Self::named("unmatched"),
        }
    }

    /// A fixed route name (tests and benchmarks name routes this way).
    pub fn named(route: &'static str) -> Self {
        Self(Route::Named(route))
    }

    /// The label's text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Route::Matched(path) => path.as_str(),
            Route::Named(name) => name,
        }
    }
}

/// The `method` label: one of the methods the server knows, or `other`.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub enum MethodLabel {
    /// `DELETE`.
    Delete,
    /// `GET`.
    Get,
    /// `HEAD`.
    Head,
    /// `OPTIONS`.
    Options,
    /// Any other method (the request envelope refuses them).
    Other,
    /// `PATCH`.
    Patch,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
}

impl MethodLabel {
    /// The label of `method`.
    pub fn of(method: &Method) -> Self {
        match *method {
            Method::DELETE => Self::Delete,
            Method::GET => Self::Get,
            Method::HEAD => Self::Head,
            Method::OPTIONS => Self::Options,
            Method::PATCH => Self::Patch,
            Method::POST => Self::Post,
            Method::PUT => Self::Put,
            _ => Self::Other,
        }
    }

    /// The label's text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delete => "DELETE",
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Options => "OPTIONS",
            Self::Other => "other",
            Self::Patch => "PATCH",
            Self::Post => "POST",
            Self::Put => "PUT",
        }
    }
}

/// The two request metrics, by route (see the module's header for why they are not
/// `prometheus-client` families).
#[derive(Debug, Default)]
struct HttpStats {
    routes: Mutex<BTreeMap<String, RouteStats>>,
}

/// One route's requests by method and status, and its latency histogram.
#[derive(Debug, Default)]
struct RouteStats {
    requests: BTreeMap<(MethodLabel, u16), u64>,
    latency: Latency,
}

/// A latency histogram: per bucket (not cumulative), then all observations.
#[derive(Debug, Default)]
struct Latency {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl HttpStats {
    fn record(&self, route: &RouteLabel, method: MethodLabel, status: u16, elapsed: Duration) {
        let mut routes = lock(&self.routes);
        if !routes.contains_key(route.as_str()) {
            routes.insert(route.as_str().to_owned(), RouteStats::default());
        }
        let Some(stats) = routes.get_mut(route.as_str()) else {
            return;
        };
        *stats.requests.entry((method, status)).or_default() += 1;
        let secs = elapsed.as_secs_f64();
        let latency = &mut stats.latency;
        if let Some(bucket) = BUCKETS.iter().position(|bound| secs <= *bound) {
            latency.buckets[bucket] += 1;
        }
        latency.count += 1;
        latency.sum += secs;
    }
}

impl Collector for HttpStats {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let routes = lock(&self.routes);
        let name = "tessera_http_requests";
        let help = "HTTP requests, by route, method and status.";
        let mut requests = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
        for (route, stats) in routes.iter() {
            for (&(method, status), &count) in &stats.requests {
                let status = status.to_string();
                let labels = [
                    ("route", route.as_str()),
                    ("method", method.as_str()),
                    ("status", status.as_str()),
                ];
                ConstCounter::new(count).encode(requests.encode_family(&labels)?)?;
            }
        }
        let name = "tessera_http_request_duration_seconds";
        let help = "HTTP request latency, by route.";
        let mut latency = encoder.encode_descriptor(name, help, None, MetricType::Histogram)?;
        for (route, stats) in routes.iter() {
            let histogram = &stats.latency;
            let buckets: Vec<(f64, u64)> = BUCKETS.into_iter().zip(histogram.buckets).collect();
            let labels = [("route", route.as_str())];
            latency
                .encode_family(&labels)?
                .encode_histogram::<NoLabelSet>(histogram.sum, histogram.count, &buckets, None)?;
        }
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The labels of `tessera_tokens_issued_total`.
#[derive(Clone, Debug, EncodeLabelSet, Eq, Hash, PartialEq)]
struct GrantLabels {
    grant: &'static str,
}

/// The labels of `tessera_tokens_refused_total`.
#[derive(Clone, Debug, EncodeLabelSet, Eq, Hash, PartialEq)]
struct ReasonLabels {
    reason: &'static str,
}

/// The labels of `tessera_security_events_total`.
#[derive(Clone, Debug, EncodeLabelSet, Eq, Hash, PartialEq)]
struct KindLabels {
    kind: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: Duration = Duration::from_millis(1);

    /// The value of the sample line that starts with `series` (name and labels).
    fn sample(text: &str, series: &str) -> Option<String> {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .map(str::to_owned)
    }

    #[test]
    fn renders_counters_and_histograms() {
        let metrics = Metrics::new();
        let route = RouteLabel::named("/oauth/token");
        let elapsed = Duration::from_millis(3);
        metrics.record_request(route, MethodLabel::Post, 200, elapsed);
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
        assert!(text.contains(
            "tessera_http_request_duration_seconds_bucket{route=\"/oauth/token\",le=\"+Inf\"} 1"
        ));
        assert!(text.contains("tessera_tokens_issued_total{grant=\"password\"} 1"));
        assert!(text.contains("tessera_login_failures_total 1"));
    }

    #[test]
    fn names_types_and_help_texts_are_the_published_ones() {
        let metrics = Metrics::new();
        let route = RouteLabel::named("/healthz");
        metrics.record_request(route, MethodLabel::Get, 200, FAST);
        metrics.token_issued("client_credentials");
        metrics.security_event("refresh_replayed");
        metrics.login_throttled();
        metrics.revoked();
        metrics.token_refused("token_expired");
        let text = metrics.render();
        let descriptors: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
        assert_eq!(
            descriptors,
            [
                "# HELP tessera_tokens_issued_total Tokens issued, by grant.",
                "# TYPE tessera_tokens_issued_total counter",
                "# HELP tessera_security_events_total Security events, by kind.",
                "# TYPE tessera_security_events_total counter",
                "# HELP tessera_login_failures_total Failed password logins.",
                "# TYPE tessera_login_failures_total counter",
                "# HELP tessera_login_throttled_total Logins refused by the throttle.",
                "# TYPE tessera_login_throttled_total counter",
                "# HELP tessera_revocations_total Tokens and sessions revoked.",
                "# TYPE tessera_revocations_total counter",
                "# HELP tessera_tokens_refused_total Bearer tokens refused, by reason.",
                "# TYPE tessera_tokens_refused_total counter",
                "# HELP tessera_store_breaker_open 1 while the store is unreachable and requests that need it get 503 at once.",
                "# TYPE tessera_store_breaker_open gauge",
                "# HELP tessera_http_requests_total HTTP requests, by route, method and status.",
                "# TYPE tessera_http_requests_total counter",
                "# HELP tessera_http_request_duration_seconds HTTP request latency, by route.",
                "# TYPE tessera_http_request_duration_seconds histogram",
            ]
        );
        let kind = "tessera_security_events_total{kind=\"refresh_replayed\"}";
        assert_eq!(sample(&text, kind).as_deref(), Some("1"));
        assert_eq!(
            sample(&text, "tessera_login_failures_total").as_deref(),
            Some("0")
        );
        assert_eq!(
            sample(&text, "tessera_login_throttled_total").as_deref(),
            Some("1")
        );
        assert_eq!(
            sample(&text, "tessera_revocations_total").as_deref(),
            Some("1")
        );
    }

    #[test]
    fn an_empty_registry_has_no_request_series() {
        let text = Metrics::new().render();
        let series = text.lines().filter(|l| l.starts_with("tessera_http_"));
        assert_eq!(series.count(), 0, "{text}");
        assert_eq!(
            sample(&text, "tessera_revocations_total").as_deref(),
            Some("0")
        );
    }

    #[test]
    fn counts_add_up_per_route_method_and_status() {
        let metrics = Metrics::new();
        let userinfo = || RouteLabel::named("/userinfo");
        for _ in 0..3 {
            metrics.record_request(userinfo(), MethodLabel::Get, 200, FAST);
        }
        metrics.record_request(userinfo(), MethodLabel::Get, 401, FAST);
        metrics.record_request(userinfo(), MethodLabel::Post, 200, FAST);
        let text = metrics.render();
        let count =
            |labels: &str| sample(&text, &format!("tessera_http_requests_total{{{labels}}}"));
        let get_200 = r#"route="/userinfo",method="GET",status="200""#;
        assert_eq!(count(get_200).as_deref(), Some("3"));
        let get_401 = r#"route="/userinfo",method="GET",status="401""#;
        assert_eq!(count(get_401).as_deref(), Some("1"));
        let post_200 = r#"route="/userinfo",method="POST",status="200""#;
        assert_eq!(count(post_200).as_deref(), Some("1"));
        let histogram_count = "tessera_http_request_duration_seconds_count{route=\"/userinfo\"}";
        assert_eq!(sample(&text, histogram_count).as_deref(), Some("5"));
    }

    #[test]
    fn methods_outside_the_known_seven_share_one_label() {
        let known = [
            (Method::DELETE, "DELETE"),
            (Method::GET, "GET"),
            (Method::HEAD, "HEAD"),
            (Method::OPTIONS, "OPTIONS"),
            (Method::PATCH, "PATCH"),
            (Method::POST, "POST"),
            (Method::PUT, "PUT"),
        ];
        for (method, text) in known {
            assert_eq!(MethodLabel::of(&method).as_str(), text);
        }
        let metrics = Metrics::new();
        for junk in ["TRACE", "CONNECT", "BREW", "PROPFIND", "get"] {
            let method = Method::from_bytes(junk.as_bytes()).expect("a token");
            assert_eq!(MethodLabel::of(&method), MethodLabel::Other, "{junk}");
            let label = MethodLabel::of(&method);
            metrics.record_request(RouteLabel::of(None), label, 405, FAST);
        }
        let text = metrics.render();
        let other = r#"tessera_http_requests_total{route="unmatched",method="other",status="405"}"#;
        assert_eq!(sample(&text, other).as_deref(), Some("5"));
        let series = text
            .lines()
            .filter(|l| l.starts_with("tessera_http_requests_total"));
        assert_eq!(series.count(), 1, "{text}");
    }

    #[test]
    fn label_values_are_escaped() {
        let metrics = Metrics::new();
        let route = RouteLabel::named("/a\"b\\c\nd");
        metrics.record_request(route, MethodLabel::Get, 200, FAST);
        let text = metrics.render();
        assert!(
            text.contains(r#"{route="/a\"b\\c\nd",method="GET",status="200"} 1"#),
            "{text}"
        );
    }
}
