//! The resource side of DPoP (RFC 9449 §7): a token bound to a key (`cnf.jkt`) is accepted
//! only with the `DPoP` scheme and a fresh proof signed by that key for this very request.
//!
//! The proof's `htu` is compared with the service's configured public URL followed by the
//! request's path, never with a URL built from the `Host` header, which the client
//! chooses: a guard with no public URL accepts no DPoP-bound token at all.

use std::sync::Arc;

use http::HeaderMap;
use http::header::HeaderName;
use tessera_jose::dpop::{Checker, Expected, ReplayCache};
use tessera_jose::{Algorithm, Clock};

use crate::bearer::Scheme;
use crate::error::Rejection;
use crate::token::AccessToken;

/// The request header carrying the proof (RFC 9449 §4.1).
const DPOP: HeaderName = HeaderName::from_static("dpop");

/// What the request is, for the proof's `htm` and `htu`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target<'a> {
    /// The method (`GET`).
    pub(crate) method: &'a str,
    /// The path as the service sees it (no query).
    pub(crate) path: &'a str,
}

/// How a guard checks DPoP proofs; `None` in a guard without a public URL.
#[derive(Debug)]
pub(crate) struct DpopPolicy {
    /// The public URL the service's paths are under, without a trailing `/`.
    base: String,
    checker: Checker,
    /// The accepted proof algorithms, space-separated, for the challenge's `algs`.
    algs: Arc<str>,
    replay: ReplayCache,
    clock: Arc<dyn Clock>,
}

impl DpopPolicy {
    /// A policy for the service at `base` (already checked to be an absolute URL with no
    /// query), accepting proofs signed with `algorithms` (asymmetric ones only).
    pub(crate) fn new(
        base: &str,
        algorithms: &[Algorithm],
        max_age: std::time::Duration,
        replay_capacity: usize,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let algorithms: Vec<Algorithm> = algorithms
            .iter()
            .copied()
            .filter(|alg| !alg.is_symmetric())
            .collect();
        let names: Vec<&str> = algorithms.iter().map(|alg| alg.as_str()).collect();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            checker: Checker::builder()
                .algorithms(algorithms.iter().copied())
                .max_age(max_age)
                .clock(Arc::clone(&clock))
                .build(),
            algs: Arc::from(names.join(" ")),
            replay: ReplayCache::new(replay_capacity),
            clock,
        }
    }

    /// The challenge's `algs`.
    pub(crate) fn algs(&self) -> &Arc<str> {
        &self.algs
    }

    /// How many proofs the replay cache holds.
    pub(crate) fn remembered(&self) -> usize {
        self.replay.len()
    }

    /// Checks the one `DPoP` header of a request presenting `token`, bound to `jkt`, and
    /// records the proof's `jti`.
    ///
    /// # Errors
    /// [`Rejection::InvalidDpopProof`] with the rule the proof breaks, `dpop_replayed` for
    /// a proof seen before, `dpop_target_unknown` when the request's method and path were
    /// not given.
    pub(crate) fn check(
        &self,
        headers: &HeaderMap,
        target: Option<Target<'_>>,
        token: &str,
        jkt: &str,
    ) -> Result<(), Rejection> {
        let target = target.ok_or(Rejection::InvalidDpopProof("dpop_target_unknown"))?;
        let mut values = headers.get_all(DPOP).iter();
        let proofs = match (values.next(), values.next()) {
            (None, _) => Vec::new(),
            (Some(one), None) => vec![
                one.to_str()
                    .map_err(|_| Rejection::InvalidDpopProof("dpop_malformed"))?,
            ],
            (Some(_), Some(_)) => return Err(Rejection::InvalidDpopProof("dpop_multiple")),
        };
        let htu = format!("{}{}", self.base, target.path);
        let expected = Expected::new(target.method, &htu)
            .access_token(token)
            .jkt(jkt);
        let proof = self
            .checker
            .check(&proofs, &expected)
            .map_err(|err| Rejection::InvalidDpopProof(proof_code(&err)))?;
        let now = self.clock.now();
        if !self
            .replay
            .first_use(&(&proof.thumbprint, &proof.jti), proof.replay_until, now)
        {
            return Err(Rejection::InvalidDpopProof("dpop_replayed"));
        }
        Ok(())
    }
}

/// The checker's reason code; every error it returns is a DPoP one.
fn proof_code(err: &tessera_jose::Error) -> &'static str {
    match err {
        tessera_jose::Error::Dpop(dpop) => dpop.code(),
        _ => "dpop_malformed",
    }
}

/// Decides whether a verified token may be used under `scheme` (RFC 9449 §7.1 and §7.2),
/// checking its proof when it is bound to a key.
///
/// # Errors
/// [`Rejection::InvalidToken`] with `dpop_downgrade` (a bound token sent as `Bearer`),
/// `dpop_token_unbound` (an unbound token sent as `DPoP`) or `dpop_unsupported` (DPoP at a
/// guard with no public URL); [`Rejection::InvalidDpopProof`] from [`DpopPolicy::check`].
pub(crate) fn bind(
    policy: Option<&DpopPolicy>,
    scheme: Scheme,
    token: &[u8],
    access: AccessToken,
    headers: &HeaderMap,
    target: Option<Target<'_>>,
) -> Result<AccessToken, Rejection> {
    let jkt = access.confirmation_jkt();
    match (policy, scheme, jkt) {
        (_, Scheme::Bearer, None) => Ok(access),
        (None, _, _) => Err(Rejection::InvalidToken("dpop_unsupported")),
        // §7.2: a bound token presented as a bearer token MUST be refused, or a thief who
        // has the token but not the key could simply drop the proof.
        (Some(_), Scheme::Bearer, Some(_)) => Err(Rejection::InvalidToken("dpop_downgrade")),
        // §7.1 defines the DPoP scheme for DPoP-bound tokens, and the authorization server
        // says `token_type: Bearer` when it did not bind one (§5). An unbound token under
        // the DPoP scheme is refused rather than accepted as a bearer token: its proof would
        // prove nothing, and accepting it would hide an issuer that stopped binding tokens
        // from a client that believes its tokens are sender-constrained.
        (Some(_), Scheme::Dpop, None) => Err(Rejection::InvalidToken("dpop_token_unbound")),
        (Some(policy), Scheme::Dpop, Some(jkt)) => {
            // A verified token is one b64token (ASCII), so this check cannot fail.
            let token = crate::bearer::b64token(token)?;
            policy.check(headers, target, token, jkt)?;
            Ok(access)
        }
    }
}
