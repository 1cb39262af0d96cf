//! [`GuardBuilder`]: where the keys come from, what a token must say, and the cache and
//! feed settings.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Url;
use serde::Deserialize;
use tessera_jose::{Algorithm, Clock, KeySet, SystemClock, Validator};

use crate::cache_control::Bounds;
use crate::dpop::DpopPolicy;
use crate::error::{BuildError, FetchError};
use crate::feed::{FeedStatus, Subscriber};
use crate::fetch::{FetchPolicy, Fetcher, StreamClient};
use crate::guard::{Guard, Inner};
use crate::jwks::{CachePolicy, KeyCache};
use crate::metrics::{Counters, MetricsHook};
use crate::revoked::RevokedSet;
use crate::verified::VerifiedCache;

/// Where verifying keys come from.
enum Source {
    Issuer(String),
    JwksUrl(String),
    Keys(KeySet),
}

/// Whether and where to follow a revocation feed.
enum FeedChoice {
    /// The issuer's own feed, when keys come from an issuer (Tessera serves one).
    Default,
    Url(String),
    Off,
}

/// Builds a [`Guard`]. Start with [`Guard::builder`].
///
/// Required: a key source ([`issuer`](Self::issuer), [`jwks_url`](Self::jwks_url) or
/// [`keys`](Self::keys)), an [`audience`](Self::audience), and the expected issuer (implied
/// by `issuer`).
#[must_use]
pub struct GuardBuilder {
    source: Option<Source>,
    expected_issuer: Option<String>,
    audiences: Vec<String>,
    typ: String,
    leeway: Duration,
    algorithms: Vec<Algorithm>,
    policy: CachePolicy,
    feed: FeedChoice,
    poll_interval: Duration,
    startup_wait: Duration,
    verified_capacity: usize,
    allow_plain_http: bool,
    clock: Arc<dyn Clock>,
    hook: Option<Arc<dyn MetricsHook>>,
    dpop: DpopSettings,
}

/// The DPoP settings: none is used without a public URL.
struct DpopSettings {
    public_url: Option<String>,
    algorithms: Vec<Algorithm>,
    max_age: Duration,
    replay_capacity: usize,
}

impl Default for DpopSettings {
    fn default() -> Self {
        Self {
            public_url: None,
            algorithms: Algorithm::ALL
                .into_iter()
                .filter(|alg| !alg.is_symmetric())
                .collect(),
            max_age: Duration::from_secs(tessera_jose::dpop::DEFAULT_MAX_AGE_SECS.unsigned_abs()),
            replay_capacity: tessera_jose::dpop::DEFAULT_REPLAY_CAPACITY,
        }
    }
}

impl Default for GuardBuilder {
    fn default() -> Self {
        Self {
            source: None,
            expected_issuer: None,
            audiences: Vec::new(),
            typ: "at+jwt".to_owned(),
            leeway: Duration::from_secs(60),
            algorithms: Vec::new(),
            policy: CachePolicy::default(),
            feed: FeedChoice::Default,
            poll_interval: Duration::from_millis(500),
            startup_wait: Duration::from_secs(5),
            verified_capacity: 10_000,
            allow_plain_http: false,
            clock: Arc::new(SystemClock),
            hook: None,
            dpop: DpopSettings::default(),
        }
    }
}

/// The part of RFC 8414 metadata the guard reads.
#[derive(Debug, Deserialize)]
struct Metadata {
    issuer: String,
    jwks_uri: String,
}

impl GuardBuilder {
    /// Trusts `issuer`: its discovery document (`/.well-known/openid-configuration`, else
    /// `/.well-known/oauth-authorization-server`) gives the JWKS URL, tokens must carry it
    /// as `iss`, and its revocation feed (`/revocations`) is followed.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        self.expected_issuer = Some(issuer.clone());
        self.source = Some(Source::Issuer(issuer));
        self
    }

    /// Takes keys from this JWKS URL (no discovery); set [`Self::expected_issuer`] too.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.source = Some(Source::JwksUrl(url.into()));
        self
    }

    /// Uses these keys and never fetches any; set [`Self::expected_issuer`] too.
    pub fn keys(mut self, keys: KeySet) -> Self {
        self.source = Some(Source::Keys(keys));
        self
    }

    /// The `iss` tokens must carry (implied by [`Self::issuer`]).
    pub fn expected_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.expected_issuer = Some(issuer.into());
        self
    }

    /// An audience this service accepts (call again to accept several); at least one.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// The header `typ` tokens must carry (default `at+jwt`, RFC 9068).
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = typ.into();
        self
    }

    /// The clock-skew allowance for `exp`, `nbf` and `iat` (default 60 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Accepts only these algorithms (default: whatever each published key is bound to).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms.extend(algorithms);
        self
    }

    /// Bounds on the JWKS freshness taken from `Cache-Control` (default 30 s to 24 h).
    pub fn jwks_cache_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.policy.bounds = Bounds {
            min,
            max,
            default: self.policy.bounds.default,
        };
        self
    }

    /// How long past freshness cached keys stay in use while the issuer cannot be reached
    /// (default 1 h).
    pub fn jwks_stale_grace(mut self, grace: Duration) -> Self {
        self.policy.grace = grace;
        self
    }

    /// The least time between fetches caused by an unknown `kid` or an outage (default 30 s).
    pub fn jwks_refetch_cooldown(mut self, cooldown: Duration) -> Self {
        self.policy.cooldown = cooldown;
        self
    }

    /// Follows the revocation feed of the Tessera server at `base_url` (`/revocations` and
    /// `/revocations/stream` under it).
    pub fn revocation_feed(mut self, base_url: impl Into<String>) -> Self {
        self.feed = FeedChoice::Url(base_url.into());
        self
    }

    /// Follows no revocation feed (for issuers that publish none): revoked tokens are then
    /// accepted until they expire.
    pub fn without_revocation_feed(mut self) -> Self {
        self.feed = FeedChoice::Off;
        self
    }

    /// How often to poll the feed when its stream is unavailable (default 500 ms).
    pub fn revocation_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How long [`Self::build`] waits for the first catch-up with the feed (default 5 s);
    /// past it the guard starts anyway and keeps trying.
    pub fn revocation_startup_wait(mut self, wait: Duration) -> Self {
        self.startup_wait = wait;
        self
    }

    /// How many verified tokens to remember, so that a token sent again skips the signature
    /// check until it expires (default 10,000; 0 turns the cache off). Expiry, revocation and
    /// the key set are still checked on every request.
    pub fn verified_cache_capacity(mut self, capacity: usize) -> Self {
        self.verified_capacity = capacity;
        self
    }

    /// Allows plain `http://` to hosts other than loopback (for a private network without
    /// TLS). Tokens and keys then cross the network in the clear: avoid it.
    pub fn allow_plain_http(mut self) -> Self {
        self.allow_plain_http = true;
        self
    }

    /// Accepts DPoP-bound tokens (RFC 9449): the public URL clients use to reach this
    /// service, such as `https://api.example.com` (or `https://example.com/api` when a
    /// proxy or a nested router puts the guarded paths under a prefix the service does
    /// not see). A proof's `htu` must be this URL followed by the request's path; the
    /// `Host` header is never trusted for it. Without a public URL, DPoP-bound tokens are
    /// refused (`dpop_unsupported`) and plain bearer tokens work as before.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.dpop.public_url = Some(url.into());
        self
    }

    /// Accepts DPoP proofs signed with only these algorithms (default: every asymmetric
    /// one); HMAC algorithms are never accepted. The challenge's `algs` lists them.
    pub fn dpop_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.dpop.algorithms = algorithms
            .into_iter()
            .filter(|alg| !alg.is_symmetric())
            .collect();
        self
    }

    /// How old a DPoP proof's `iat` may be (default 60 s; at most a day). A proof's `jti`
    /// is remembered this long (plus the 10 s allowed for a client clock ahead).
    pub fn dpop_max_age(mut self, max_age: Duration) -> Self {
        self.dpop.max_age = max_age;
        self
    }

    /// How many DPoP proofs to remember against replay (default 100,000, about 50 bytes
    /// each). Past it the oldest is forgotten and could be replayed for the rest of its
    /// window: keep it above the DPoP requests one instance accepts in a window.
    pub fn dpop_replay_capacity(mut self, capacity: usize) -> Self {
        self.dpop.replay_capacity = capacity;
        self
    }

    /// Replaces the clock (tests; checking tokens as of another time).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Reports every decision to `hook` as well as to the built-in counters.
    pub fn metrics(mut self, hook: Arc<dyn MetricsHook>) -> Self {
        self.hook = Some(hook);
        self
    }

    /// Fetches discovery and keys, starts the revocation subscriber, and returns the guard.
    /// Must run inside a tokio runtime.
    ///
    /// # Errors
    /// A [`BuildError`] for missing settings, bad URLs, or a first fetch that fails.
    pub async fn build(mut self) -> Result<Guard, BuildError> {
        let issuer = self.expected_issuer.clone().ok_or(BuildError::NoIssuer)?;
        if self.audiences.is_empty() {
            return Err(BuildError::NoAudience);
        }
        let dpop = self.dpop_policy()?;
        let fetcher = Fetcher::new(self.fetch_policy())?;
        let source = self.source.take().ok_or(BuildError::NoKeySource)?;
        let (keys, feed_base) = self.key_cache(source, &fetcher).await?;
        let leeway_secs = i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX);
        let revoked = Arc::new(RevokedSet::new(leeway_secs));
        let feed = match feed_base {
            Some(base) => Some(self.start_feed(&base, fetcher, &revoked).await?),
            None => None,
        };
        Ok(Guard::from_inner(Inner {
            validator: self.validator(&issuer),
            keys: Arc::new(keys),
            revoked,
            verified: VerifiedCache::new(self.verified_capacity, leeway_secs),
            clock: Arc::clone(&self.clock),
            counters: Counters::default(),
            hook: self.hook,
            feed,
            dpop,
        }))
    }

    /// The DPoP policy, if a public URL is set: an absolute http(s) URL with a host and
    /// neither user, query nor fragment.
    fn dpop_policy(&self) -> Result<Option<DpopPolicy>, BuildError> {
        let Some(public) = &self.dpop.public_url else {
            return Ok(None);
        };
        let bad = |why: &str| BuildError::Url(format!("public URL {public:?}: {why}"));
        let url = Url::parse(public).map_err(|err| bad(&err.to_string()))?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
            return Err(bad("not an absolute http(s) URL"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("it holds credentials"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("it has a query or fragment"));
        }
        if self.dpop.algorithms.is_empty() {
            return Err(BuildError::Dpop(
                "no asymmetric algorithm is allowed for proofs".into(),
            ));
        }
        Ok(Some(DpopPolicy::new(
            public,
            &self.dpop.algorithms,
            self.dpop.max_age,
            self.dpop.replay_capacity,
            Arc::clone(&self.clock),
        )))
    }

    fn validator(&self, issuer: &str) -> Validator {
        let mut builder = Validator::builder()
            .issuer(issuer)
            .typ(self.typ.as_str())
            .leeway(self.leeway)
            .algorithms(self.algorithms.iter().copied())
            .clock(Arc::clone(&self.clock));
        for audience in &self.audiences {
            builder = builder.audience(audience.as_str());
        }
        // RFC 9068 §2.2: these are required in an access token.
        for claim in ["sub", "jti", "iat", "client_id"] {
            builder = builder.require(claim);
        }
        builder.build()
    }

    /// The key cache, and the base URL of the feed to follow (if any).
    async fn key_cache(
        &self,
        source: Source,
        fetcher: &Fetcher,
    ) -> Result<(KeyCache, Option<String>), BuildError> {
        let (jwks_url, issuer) = match source {
            Source::Keys(keys) => return Ok((KeyCache::fixed(keys), self.feed_base(None))),
            Source::JwksUrl(url) => (self.url(&url)?, None),
            Source::Issuer(issuer) => (self.discover(&issuer, fetcher).await?, Some(issuer)),
        };
        let allowed = self.algorithms.clone();
        let cache = KeyCache::remote(jwks_url, fetcher.clone(), allowed, self.policy).await?;
        Ok((cache, self.feed_base(issuer.as_deref())))
    }

    fn feed_base(&self, issuer: Option<&str>) -> Option<String> {
        match &self.feed {
            FeedChoice::Default => issuer.map(str::to_owned),
            FeedChoice::Url(url) => Some(url.clone()),
            FeedChoice::Off => None,
        }
    }

    /// Reads the issuer's metadata and returns its `jwks_uri`.
    async fn discover(&self, issuer: &str, fetcher: &Fetcher) -> Result<Url, BuildError> {
        let base = issuer.trim_end_matches('/');
        let mut last = None;
        for path in ["openid-configuration", "oauth-authorization-server"] {
            let url = self.url(&format!("{base}/.well-known/{path}"))?;
            match fetcher.document(&url).await {
                Ok(document) => return self.read_metadata(issuer, &document.body),
                Err(FetchError::Status(404)) => last = Some(FetchError::Status(404)),
                Err(err) => return Err(err.into()),
            }
        }
        Err(last.unwrap_or(FetchError::Status(404)).into())
    }

    fn read_metadata(&self, issuer: &str, body: &[u8]) -> Result<Url, BuildError> {
        let metadata: Metadata =
            serde_json::from_slice(body).map_err(|err| BuildError::Discovery(err.to_string()))?;
        // RFC 8414 §3.3: the metadata must name the issuer it was fetched for, or an
        // attacker who controls the document could substitute another issuer's keys.
        if metadata.issuer != issuer {
            return Err(BuildError::Discovery(format!(
                "issuer {:?} does not match the configured {issuer:?}",
                metadata.issuer
            )));
        }
        self.url(&metadata.jwks_uri)
    }

    /// The fetch policy: no redirect followed (a redirect would let whoever controls the
    /// first URL pick the next one), plain http only to loopback unless allowed.
    fn fetch_policy(&self) -> FetchPolicy {
        let policy = FetchPolicy::new();
        if self.allow_plain_http {
            policy.allow_plain_http()
        } else {
            policy
        }
    }

    /// `url`, if the fetch policy allows it.
    fn url(&self, url: &str) -> Result<Url, BuildError> {
        self.fetch_policy()
            .parse(url)
            .map_err(|err| BuildError::Url(format!("{url:?}: {err}")))
    }

    async fn start_feed(
        &self,
        base: &str,
        fetcher: Fetcher,
        revoked: &Arc<RevokedSet>,
    ) -> Result<(Arc<FeedStatus>, tokio::task::AbortHandle), BuildError> {
        let base = base.trim_end_matches('/');
        let status = Arc::new(FeedStatus::new());
        let subscriber = Subscriber {
            list: self.url(&format!("{base}/revocations"))?,
            stream: self.url(&format!("{base}/revocations/stream"))?,
            poll_interval: self.poll_interval,
            fetcher,
            streams: StreamClient::new()?,
            revoked: Arc::clone(revoked),
            clock: Arc::clone(&self.clock),
            status: Arc::clone(&status),
            cursor: 0,
            last_purge: Instant::now(),
        };
        let task = tokio::spawn(subscriber.run()).abort_handle();
        if !status.wait_synced(self.startup_wait).await {
            tracing::warn!("revocation feed not reached at start; continuing and retrying");
        }
        Ok((status, task))
    }
}
