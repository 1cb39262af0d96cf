//! Refusals of access tokens (verification) and of revocation.

use super::StoreError;

/// Why an access token was refused at a protected endpoint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// It is past its `exp` (with the leeway).
    #[error("the access token expired")]
    Expired,
    /// Its signature, header or claims do not check out (the JOSE error is the source).
    #[error("the access token is invalid")]
    Invalid(#[source] Option<tessera_jose::Error>),
    /// It was revoked (RFC 7009, logout).
    #[error("the access token was revoked")]
    Revoked,
    /// Its session has ended (logout, password change, replay, admin).
    #[error("the session has ended")]
    SessionEnded,
    /// It is a client's own token where a user's is needed.
    #[error("the token is not a user's")]
    NotAUser,
    /// Its user is gone or disabled.
    #[error("the account is not available")]
    AccountUnavailable,
    /// The DPoP proof, or the scheme the token came with, is refused (RFC 9449 §7).
    #[error(transparent)]
    Dpop(#[from] super::DpopRefused),
    /// The store failed while checking it.
    #[error("the store failed")]
    Store(#[from] StoreError),
}

impl TokenError {
    /// A stable code for logs and metrics (`tessera_tokens_refused_total{reason}`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Expired => "token_expired",
            Self::Invalid(Some(err)) => err.code(),
            Self::Invalid(None) => "token_invalid",
            Self::Revoked => "token_revoked",
            Self::SessionEnded => "session_ended",
            Self::NotAUser => "token_not_a_user",
            Self::AccountUnavailable => "account_unavailable",
            Self::Dpop(refused) => refused.code(),
            Self::Store(err) => err.code(),
        }
    }

    /// True when the token itself was refused (not the store failing).
    pub fn is_refusal(&self) -> bool {
        !matches!(self, Self::Store(_))
    }
}

/// Why a revocation or introspection request was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RevokeError {
    /// The token was issued to another client.
    #[error("the token was not issued to this client")]
    NotYours,
    /// A public client may not introspect tokens.
    #[error("a public client cannot introspect tokens")]
    PublicClient,
    /// The store failed.
    #[error("the store failed")]
    Store(#[from] StoreError),
}

impl RevokeError {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotYours => "token_not_yours",
            Self::PublicClient => "public_client",
            Self::Store(err) => err.code(),
        }
    }
}
