//! [`Guard`]: the per-request check, shared by the layer and the extractor.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use http::HeaderMap;
use tessera_jose::{Clock, Validator};
use tokio::task::AbortHandle;
use tracing::Instrument as _;

use crate::bearer::{b64token, bearer_candidate, bearer_token};
use crate::builder::GuardBuilder;
use crate::error::Rejection;
use crate::feed::{FeedState, FeedStatus};
use crate::jwks::{KeyCache, Snapshot};
use crate::layer::GuardLayer;
use crate::metrics::{Counters, MetricsHook, Stats};
use crate::revoked::RevokedSet;
use crate::token::{AccessToken, Requirements};
use crate::verified::{Hit, VerifiedCache};

/// Verifies access tokens for one service. Cheap to clone; every clone shares the key cache,
/// the revoked set and the counters.
#[derive(Clone)]
pub struct Guard {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) validator: Validator,
    pub(crate) keys: Arc<KeyCache>,
    pub(crate) revoked: Arc<RevokedSet>,
    pub(crate) verified: VerifiedCache,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) counters: Counters,
    pub(crate) hook: Option<Arc<dyn MetricsHook>>,
    pub(crate) feed: Option<(Arc<FeedStatus>, AbortHandle)>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The subscriber task holds no reference to the guard; stop it with the last clone.
        if let Some((_, task)) = &self.feed {
            task.abort();
        }
    }
}

impl Guard {
    /// Starts a builder.
    pub fn builder() -> GuardBuilder {
        GuardBuilder::default()
    }

    pub(crate) fn from_inner(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Verifies a token: signature with the issuer's keys, `typ: at+jwt`, iss, aud, exp,
    /// nbf, iat (with the leeway), the RFC 9068 claims, and that it was not revoked.
    ///
    /// # Errors
    /// [`Rejection::InvalidToken`] with the reason's code, or
    /// [`Rejection::KeysUnavailable`].
    pub async fn verify(&self, token: &str) -> Result<AccessToken, Rejection> {
        let none = Requirements::default();
        if let Some(outcome) = self.check_cached(token.as_bytes()) {
            return self.decide(&span(), outcome, &none);
        }
        let span = span();
        let outcome = self.check(token).instrument(span.clone()).await;
        self.decide(&span, outcome, &none)
    }

    /// Reads the bearer token from `headers` and verifies it.
    ///
    /// # Errors
    /// As [`Guard::verify`], plus [`Rejection::MissingToken`] and
    /// [`Rejection::InvalidRequest`] for the header.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<AccessToken, Rejection> {
        self.authorize(headers, &Requirements::default()).await
    }

    /// Authenticates, then checks a route's requirements.
    pub(crate) async fn authorize(
        &self,
        headers: &HeaderMap,
        requirements: &Requirements,
    ) -> Result<AccessToken, Rejection> {
        match self.authorize_now(headers, requirements) {
            Some(decided) => decided,
            None => self.authorize_in_full(headers, requirements).await,
        }
    }

    /// The decision, if it can be made without waiting: a malformed or missing header, or a
    /// token seen before (a verified-token cache hit) under keys that are still fresh.
    /// `None` means the full check is needed ([`Self::authorize_in_full`]).
    ///
    /// This is the hot path: a client sends the same token with every request.
    pub(crate) fn authorize_now(
        &self,
        headers: &HeaderMap,
        requirements: &Requirements,
    ) -> Option<Result<AccessToken, Rejection>> {
        let outcome = match bearer_candidate(headers) {
            // A cached token passed every check, its characters included: a hit needs no
            // other. A miss is checked for its characters before it takes the full path.
            Ok(candidate) => match self.check_cached(candidate) {
                Some(outcome) => outcome,
                None => Err(b64token(candidate).err()?),
            },
            Err(rejection) => Err(rejection),
        };
        Some(self.decide(&span(), outcome, requirements))
    }

    /// The full check (keys that may need fetching, the signature), then the requirements.
    pub(crate) async fn authorize_in_full(
        &self,
        headers: &HeaderMap,
        requirements: &Requirements,
    ) -> Result<AccessToken, Rejection> {
        let span = span();
        let outcome = match bearer_token(headers) {
            Ok(token) => self.check(token).instrument(span.clone()).await,
            Err(rejection) => Err(rejection),
        };
        self.decide(&span, outcome, requirements)
    }

    /// A tower layer that guards every route under it; add requirements with
    /// [`GuardLayer::require_scope`] and [`GuardLayer::require_role`].
    pub fn layer(&self) -> GuardLayer {
        GuardLayer::new(self.clone())
    }

    /// The revoked set (filled by the feed; an application may add to it too).
    pub fn revocations(&self) -> &RevokedSet {
        &self.inner.revoked
    }

    /// The revocation subscriber's state.
    pub fn feed_state(&self) -> FeedState {
        self.inner
            .feed
            .as_ref()
            .map_or(FeedState::Off, |(status, _)| status.state())
    }

    /// The last revocation cursor seen (0 before any, or without a feed).
    pub fn feed_cursor(&self) -> i64 {
        self.inner
            .feed
            .as_ref()
            .map_or(0, |(status, _)| status.cursor())
    }

    /// The built-in counters.
    pub fn stats(&self) -> Stats {
        let (accepted, rejected) = self.inner.counters.snapshot();
        Stats {
            accepted,
            rejected,
            jwks_fetches: self.inner.keys.fetch_count(),
            revoked_entries: self.inner.revoked.len(),
        }
    }

    /// A verified-token cache hit, checked for what may have changed since: the keys are
    /// the same generation and still fresh, the token has not expired, it was not revoked.
    /// `None` when the token is not in the cache or the keys need attention (stale keys go
    /// through [`Self::check`], which starts their refresh or refuses them past the grace).
    fn check_cached(&self, token: &[u8]) -> Option<Result<AccessToken, Rejection>> {
        let inner = &self.inner;
        let seen = inner.keys.generation();
        if !inner.keys.is_fresh(Instant::now()) {
            return None;
        }
        let hit = inner.verified.get(token, &seen, inner.clock.now())?;
        Some(self.unless_revoked(hit))
    }

    async fn check(&self, token: &str) -> Result<AccessToken, Rejection> {
        let inner = &self.inner;
        let seen = inner.keys.generation();
        // On every request, cached token or not: keys past the grace are not trusted, and a
        // stale set starts its background refresh.
        let snapshot = inner.keys.keys().await?;
        let verified = match inner
            .verified
            .get(token.as_bytes(), &seen, inner.clock.now())
        {
            Some(hit) => hit,
            None => self.verify_signed(token, seen, &snapshot).await?,
        };
        self.unless_revoked(verified)
    }

    /// Also on every request, cached token or not: a revocation applies at once.
    fn unless_revoked(&self, hit: Hit) -> Result<AccessToken, Rejection> {
        if self.inner.revoked.contains_key(hit.revoked_key) {
            return Err(Rejection::InvalidToken("token_revoked"));
        }
        Ok(hit.token)
    }

    /// The full check: signature, header and claims; caches the token when it passes.
    async fn verify_signed(
        &self,
        token: &str,
        seen: u64,
        snapshot: &Snapshot,
    ) -> Result<Hit, Rejection> {
        let inner = &self.inner;
        let verified = match inner.validator.verify(token, &snapshot.keys) {
            Err(tessera_jose::Error::KeyNotFound) if inner.keys.refresh_unknown_kid(seen).await => {
                inner.validator.verify(token, &inner.keys.current().keys)
            }
            other => other,
        }
        .map_err(|err| Rejection::InvalidToken(err.code()))?;
        let access = AccessToken::from_claims(verified.claims)?;
        let hit = Hit {
            revoked_key: inner.revoked.key_of(access.jti()),
            token: access,
        };
        // Cached under the generation read before the keys: if a refresh ran meanwhile, the
        // entry is simply never hit.
        hit.cache_in(&inner.verified, token, seen, inner.clock.now());
        Ok(hit)
    }

    /// Applies the route's requirements to a checked token, counts and logs the decision.
    fn decide(
        &self,
        span: &tracing::Span,
        outcome: Result<AccessToken, Rejection>,
        requirements: &Requirements,
    ) -> Result<AccessToken, Rejection> {
        let outcome = outcome.and_then(|token| requirements.check(&token).map(|()| token));
        span.in_scope(|| self.record(span, outcome.as_ref().err()));
        outcome
    }

    fn record(&self, span: &tracing::Span, rejection: Option<&Rejection>) {
        let hook = self.inner.hook.as_deref();
        if !span.is_disabled() {
            span.record("outcome", rejection.map_or("accepted", Rejection::code));
        }
        match rejection {
            None => {
                self.inner.counters.accept();
                if let Some(hook) = hook {
                    hook.accepted();
                }
            }
            Some(rejection) => {
                let reason = rejection.code();
                // The reason code only: never the token or any claim from it.
                tracing::debug!(
                    reason,
                    status = rejection.status().as_u16(),
                    "request refused"
                );
                self.inner.counters.reject(reason);
                if let Some(hook) = hook {
                    hook.rejected(reason);
                }
            }
        }
    }
}

/// One span per decision, carrying its outcome (`accepted` or the reason code), never the
/// token. Nearly free when debug spans are off: no subscriber wants it, so nothing is built.
fn span() -> tracing::Span {
    tracing::debug_span!("tessera_guard", outcome = tracing::field::Empty)
}

impl fmt::Debug for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard")
            .field("validator", &self.inner.validator)
            .field("feed", &self.feed_state())
            .finish_non_exhaustive()
    }
}
