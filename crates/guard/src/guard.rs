//! [`Guard`]: the per-request check, shared by the layer and the extractor.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use http::{HeaderMap, Method, Uri};
use tessera_jose::{Clock, Validator};
use tokio::task::AbortHandle;
use tracing::Instrument as _;

use crate::bearer::{Scheme, authorization_token, b64token, token_candidate};
use crate::builder::GuardBuilder;
use crate::dpop::{DpopPolicy, Target};
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
    /// How DPoP proofs are checked; `None` without a public URL (no DPoP-bound token is
    /// accepted then).
    pub(crate) dpop: Option<DpopPolicy>,
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

    /// Verifies a bearer token: signature with the issuer's keys, `typ: at+jwt`, iss, aud,
    /// exp, nbf, iat (with the leeway), the RFC 9068 claims, and that it was not revoked.
    ///
    /// A token bound to a key (`cnf.jkt`) is refused here (`dpop_downgrade`): without the
    /// request there is no proof to check. Use [`Guard::authenticate_request`] for those.
    ///
    /// # Errors
    /// [`Rejection::InvalidToken`] with the reason's code, or
    /// [`Rejection::KeysUnavailable`].
    pub async fn verify(&self, token: &str) -> Result<AccessToken, Rejection> {
        let none = Requirements::default();
        let headers = HeaderMap::new();
        let bind = |access| self.bind(Scheme::Bearer, token.as_bytes(), access, &headers, None);
        if let Some(outcome) = self.check_cached(token.as_bytes()) {
            return self.decide(&span(), outcome.and_then(bind), &none, Some(Scheme::Bearer));
        }
        let span = span();
        let outcome = self.check(token).instrument(span.clone()).await;
        self.decide(&span, outcome.and_then(bind), &none, Some(Scheme::Bearer))
    }

    /// Reads the access token from `headers` and verifies it, as a bearer token: without
    /// the request's method and path a DPoP proof cannot be checked, so a DPoP-bound token
    /// is refused (`dpop_downgrade`, or `dpop_target_unknown` under the DPoP scheme). Use
    /// [`Guard::authenticate_request`] where DPoP-bound tokens may come.
    ///
    /// # Errors
    /// As [`Guard::verify`], plus [`Rejection::MissingToken`] and
    /// [`Rejection::InvalidRequest`] for the header.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<AccessToken, Rejection> {
        self.authorize(headers, None, &Requirements::default())
            .await
    }

    /// Reads the access token from the request and verifies it: a bearer token as
    /// [`Guard::authenticate`] does, and a DPoP-bound token with its proof, checked against
    /// `method` and the configured public URL followed by `uri`'s path (RFC 9449 §7.1).
    /// `uri`'s authority, if any, is ignored: the public URL decides.
    ///
    /// # Errors
    /// As [`Guard::authenticate`], plus [`Rejection::InvalidDpopProof`] for the proof, and
    /// every refusal is a [`Rejection::WithDpop`] when the guard accepts DPoP.
    pub async fn authenticate_request(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<AccessToken, Rejection> {
        let target = Target {
            method: method.as_str(),
            path: uri.path(),
        };
        self.authorize(headers, Some(target), &Requirements::default())
            .await
    }

    /// Authenticates, then checks a route's requirements.
    pub(crate) async fn authorize(
        &self,
        headers: &HeaderMap,
        target: Option<Target<'_>>,
        requirements: &Requirements,
    ) -> Result<AccessToken, Rejection> {
        match self.authorize_now(headers, target, requirements) {
            Some(decided) => decided,
            None => self.authorize_in_full(headers, target, requirements).await,
        }
    }

    /// The decision, if it can be made without waiting: a malformed or missing header, or a
    /// token seen before (a verified-token cache hit) under keys that are still fresh.
    /// `None` means the full check is needed ([`Self::authorize_in_full`]).
    ///
    /// This is the hot path: a client sends the same token with every request.
    /// A DPoP proof is checked here too: it needs no fetch (its key is in it).
    pub(crate) fn authorize_now(
        &self,
        headers: &HeaderMap,
        target: Option<Target<'_>>,
        requirements: &Requirements,
    ) -> Option<Result<AccessToken, Rejection>> {
        let (scheme, outcome) = match token_candidate(headers) {
            // A cached token passed every check, its characters included: a hit needs no
            // other. A miss is checked for its characters before it takes the full path.
            Ok((scheme, candidate)) => {
                let outcome = match self.scheme_allowed(scheme) {
                    Err(rejection) => Err(rejection),
                    Ok(()) => match self.check_cached(candidate) {
                        Some(outcome) => outcome.and_then(|access| {
                            self.bind(scheme, candidate, access, headers, target)
                        }),
                        None => Err(b64token(candidate).err()?),
                    },
                };
                (Some(scheme), outcome)
            }
            Err(rejection) => (None, Err(rejection)),
        };
        Some(self.decide(&span(), outcome, requirements, scheme))
    }

    /// The full check (keys that may need fetching, the signature, a DPoP proof), then the
    /// requirements.
    pub(crate) async fn authorize_in_full(
        &self,
        headers: &HeaderMap,
        target: Option<Target<'_>>,
        requirements: &Requirements,
    ) -> Result<AccessToken, Rejection> {
        let span = span();
        let (scheme, outcome) = match authorization_token(headers) {
            Ok((scheme, token)) => {
                let outcome = match self.scheme_allowed(scheme) {
                    Err(rejection) => Err(rejection),
                    Ok(()) => self.check(token).instrument(span.clone()).await,
                };
                let bind = |access| self.bind(scheme, token.as_bytes(), access, headers, target);
                (Some(scheme), outcome.and_then(bind))
            }
            Err(rejection) => (None, Err(rejection)),
        };
        self.decide(&span, outcome, requirements, scheme)
    }

    /// The DPoP scheme at a guard with no public URL is refused before the token is read:
    /// the proof could not be checked anyway.
    fn scheme_allowed(&self, scheme: Scheme) -> Result<(), Rejection> {
        match (scheme, &self.inner.dpop) {
            (Scheme::Dpop, None) => Err(Rejection::InvalidToken("dpop_unsupported")),
            _ => Ok(()),
        }
    }

    /// Whether the verified token may be used under `scheme`, its proof checked if bound.
    fn bind(
        &self,
        scheme: Scheme,
        token: &[u8],
        access: AccessToken,
        headers: &HeaderMap,
        target: Option<Target<'_>>,
    ) -> Result<AccessToken, Rejection> {
        let policy = self.inner.dpop.as_ref();
        crate::dpop::bind(policy, scheme, token, access, headers, target)
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
            dpop_proofs_remembered: self.inner.dpop.as_ref().map_or(0, DpopPolicy::remembered),
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
    /// `scheme` is the one the request used, if its header could be read: at a guard that
    /// accepts DPoP, the refusal's challenge names both schemes, the error on that one.
    fn decide(
        &self,
        span: &tracing::Span,
        outcome: Result<AccessToken, Rejection>,
        requirements: &Requirements,
        scheme: Option<Scheme>,
    ) -> Result<AccessToken, Rejection> {
        let outcome = outcome.and_then(|token| requirements.check(&token).map(|()| token));
        span.in_scope(|| self.record(span, outcome.as_ref().err()));
        match (outcome, &self.inner.dpop) {
            (Err(rejection), Some(policy)) => Err(Rejection::WithDpop {
                rejection: Box::new(rejection),
                scheme: scheme.unwrap_or(Scheme::Bearer),
                algs: Arc::clone(policy.algs()),
            }),
            (outcome, _) => outcome,
        }
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
