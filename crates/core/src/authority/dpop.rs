//! DPoP (RFC 9449) at the authority: a request's proof is checked against the endpoint's
//! configured public URL (the issuer and the endpoint's path, never the `Host` header),
//! and its `jti` is recorded in the store, so that a proof is accepted once across every
//! instance. No server nonce is issued: the `iat` window and the shared `jti` record bound
//! replays instead (RFC 9449 §8 makes nonces optional).

use tessera_jose::{Algorithm, DpopError, dpop};

use super::{AccessClaims, Authority};
use crate::error::{DpopRefused, GrantError, StoreError, TokenError};
use crate::model::{Client, Timestamp};
use crate::secrets::{constant_time_eq, sha256};
use crate::store::Store;

/// The algorithms a DPoP proof may be signed with: every asymmetric JWS algorithm
/// (discovery's `dpop_signing_alg_values_supported`).
pub const DPOP_ALGORITHMS: [Algorithm; 10] = [
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::ES512,
    Algorithm::EdDSA,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
];

/// What a request offers as DPoP proof: the values of its `DPoP` headers (every one, so
/// that two are refused), its method, and the path of the endpoint it was sent to.
#[derive(Clone, Copy, Debug)]
pub struct DpopRequest<'a> {
    /// Every `DPoP` header value, in order.
    pub proofs: &'a [&'a str],
    /// The request method (`POST`, `GET`).
    pub method: &'a str,
    /// The endpoint's path (`/oauth/token`): `htu` must be the issuer followed by it.
    pub path: &'a str,
}

/// How a protected request presented its access token.
#[derive(Clone, Copy, Debug)]
pub enum Presentation<'a> {
    /// `Authorization: Bearer`: refused for a DPoP-bound token.
    Bearer,
    /// `Authorization: DPoP`, with the request's proofs.
    Dpop(DpopRequest<'a>),
}

impl<S: Store> Authority<S> {
    /// The DPoP key a token request binds its tokens to: the thumbprint of a valid proof's
    /// key, or none when the request has no `DPoP` header and the client does not require
    /// one.
    ///
    /// # Errors
    /// [`GrantError::Dpop`] for a broken or replayed proof, or none from a client registered
    /// with `require_dpop`; [`GrantError::Store`].
    pub async fn token_request_dpop(
        &self,
        client: &Client,
        request: &DpopRequest<'_>,
    ) -> Result<Option<String>, GrantError> {
        if request.proofs.is_empty() {
            if client.web.require_dpop {
                return Err(DpopRefused::Required.into());
            }
            return Ok(None);
        }
        let proof = self.accept_proof::<GrantError>(request, None).await?;
        Ok(Some(proof))
    }

    /// Verifies an access token as [`Self::verify_access_token`] does, and how it was
    /// presented: a DPoP-bound token (`cnf.jkt`) only with the `DPoP` scheme and a valid,
    /// unused proof of its key for this request (`ath` the token's hash); a token that is
    /// not bound only as `Bearer`.
    ///
    /// # Errors
    /// The refusals of [`Self::verify_access_token`]; [`TokenError::Dpop`] for a scheme that
    /// does not fit the token or a refused proof.
    pub async fn verify_presented_token(
        &self,
        token: &str,
        presentation: Presentation<'_>,
    ) -> Result<AccessClaims, TokenError> {
        let claims = self.verify_access_token(token).await?;
        match (claims.cnf_jkt.as_deref(), presentation) {
            (None, Presentation::Bearer) => {}
            (Some(_), Presentation::Bearer) => return Err(DpopRefused::BoundTokenAsBearer.into()),
            (None, Presentation::Dpop(_)) => return Err(DpopRefused::NotBound.into()),
            (Some(jkt), Presentation::Dpop(request)) => {
                self.accept_proof::<TokenError>(&request, Some((token, jkt)))
                    .await?;
            }
        }
        Ok(claims)
    }

    /// Checks a proof (with the access token and its key at a protected endpoint) and
    /// records its `jti`; answers the key's thumbprint.
    async fn accept_proof<E>(
        &self,
        request: &DpopRequest<'_>,
        bound: Option<(&str, &str)>,
    ) -> Result<String, E>
    where
        E: From<DpopRefused> + From<StoreError>,
    {
        let uri = format!("{}{}", self.config.issuer, request.path);
        let mut expected = dpop::Expected::new(request.method, &uri);
        if let Some((token, jkt)) = bound {
            expected = expected.access_token(token).jkt(jkt);
        }
        let proof = self
            .dpop
            .check(request.proofs, &expected)
            .map_err(|err| DpopRefused::from(dpop_error(err)))?;
        let now = self.now();
        // A record dies at `expires_at`; the proof still passes its iat check during
        // `replay_until` itself, so the record must outlive that second.
        let expires_at = Timestamp::from_secs(proof.replay_until.max(now.secs()).saturating_add(1));
        let digest = sha256(proof.jti.as_bytes());
        if !self.store.record_dpop_jti(&digest, expires_at, now).await? {
            return Err(DpopRefused::Replayed.into());
        }
        Ok(proof.thumbprint)
    }
}

/// The checker for the authority's clock, with [`DPOP_ALGORITHMS`].
pub(super) fn checker(clock: std::sync::Arc<dyn crate::Clock>) -> dpop::Checker {
    dpop::Checker::builder()
        .algorithms(DPOP_ALGORITHMS)
        .clock(clock)
        .build()
}

/// The checker reports every refusal as `Error::Dpop`; anything else is malformed input.
fn dpop_error(err: tessera_jose::Error) -> DpopError {
    match err {
        tessera_jose::Error::Dpop(err) => err,
        other => DpopError::Malformed(other.to_string()),
    }
}

/// True when a refresh family bound to `bound` may be refreshed with a proof of `offered`
/// (RFC 9449 §5): an unbound family with any proof or none, a bound one only with a proof
/// of its own key.
pub(super) fn refresh_key_fits(bound: Option<&str>, offered: Option<&str>) -> bool {
    match (bound, offered) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(bound), Some(offered)) => constant_time_eq(bound.as_bytes(), offered.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_family_needs_a_proof_of_its_own_key() {
        assert!(refresh_key_fits(None, None));
        assert!(refresh_key_fits(None, Some("k1")));
        assert!(refresh_key_fits(Some("k1"), Some("k1")));
        assert!(!refresh_key_fits(Some("k1"), Some("k2")));
        assert!(!refresh_key_fits(Some("k1"), None));
    }

    #[test]
    fn the_checker_accepts_only_asymmetric_algorithms() {
        assert!(DPOP_ALGORITHMS.iter().all(|alg| !alg.is_symmetric()));
    }
}
