//! Refusals of a DPoP proof (RFC 9449) at the token endpoint and at protected endpoints.

use tessera_jose::DpopError;

/// Why a request's DPoP proof, or the lack of one, was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DpopRefused {
    /// The proof breaks a rule of RFC 9449 §4.3 (the JOSE error names it).
    #[error("{0}")]
    Proof(DpopError),
    /// A proof with this `jti` was accepted before, here or at another instance.
    #[error("the DPoP proof was used before")]
    Replayed,
    /// The client is registered with `require_dpop` and sent no proof.
    #[error("this client must send a DPoP proof")]
    Required,
    /// The refresh token is bound to a DPoP key and the request has no proof of it, or a
    /// proof with another key (RFC 9449 §5).
    #[error("the refresh token is bound to another DPoP key")]
    RefreshKeyMismatch,
    /// A DPoP-bound access token was presented with the `Bearer` scheme (a downgrade,
    /// RFC 9449 §7.2).
    #[error("the access token is DPoP-bound: present it with the DPoP scheme and a proof")]
    BoundTokenAsBearer,
    /// An access token that is not DPoP-bound was presented with the `DPoP` scheme.
    #[error("the access token is not DPoP-bound")]
    NotBound,
}

impl DpopRefused {
    /// A stable code for logs and metrics (the proof's own `dpop_…` code where there is one).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Proof(err) => err.code(),
            Self::Replayed => "dpop_replayed",
            Self::Required => "dpop_required",
            Self::RefreshKeyMismatch => "dpop_refresh_key_mismatch",
            Self::BoundTokenAsBearer => "dpop_bound_token_as_bearer",
            Self::NotBound => "dpop_token_not_bound",
        }
    }

    /// The OAuth error to answer with: `use_dpop_nonce` or `invalid_dpop_proof` for the
    /// proof itself (RFC 9449 §5, §7.1), `invalid_token` when the token and the scheme
    /// do not go together (§7.2).
    pub fn oauth_error(&self) -> &'static str {
        match self {
            Self::Proof(err) => err.oauth_error(),
            Self::BoundTokenAsBearer | Self::NotBound => "invalid_token",
            Self::Replayed | Self::Required | Self::RefreshKeyMismatch => "invalid_dpop_proof",
        }
    }
}

impl From<DpopError> for DpopRefused {
    fn from(err: DpopError) -> Self {
        Self::Proof(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_mismatches_are_token_errors_and_the_rest_proof_errors() {
        assert_eq!(DpopRefused::Replayed.oauth_error(), "invalid_dpop_proof");
        assert_eq!(DpopRefused::Required.oauth_error(), "invalid_dpop_proof");
        assert_eq!(
            DpopRefused::RefreshKeyMismatch.oauth_error(),
            "invalid_dpop_proof"
        );
        assert_eq!(
            DpopRefused::Proof(DpopError::Htu).oauth_error(),
            "invalid_dpop_proof"
        );
        assert_eq!(
            DpopRefused::Proof(DpopError::Nonce).oauth_error(),
            "use_dpop_nonce"
        );
        assert_eq!(
            DpopRefused::BoundTokenAsBearer.oauth_error(),
            "invalid_token"
        );
        assert_eq!(DpopRefused::NotBound.oauth_error(), "invalid_token");
        assert_eq!(
            DpopRefused::Proof(DpopError::Htu).code(),
            "dpop_htu_mismatch"
        );
    }
}
