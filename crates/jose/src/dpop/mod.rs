//! DPoP proofs (RFC 9449): checking one as an authorization or resource server does
//! (§4.3), and making one as a client does (§4.2).
//!
//! This is pure: no HTTP and no storage. The caller passes what the request carried (the
//! values of its `DPoP` headers, its method) and what the server knows (the endpoint's
//! configured public URL, never one built from the `Host` header; the nonce it issued; at a
//! resource server the access token and its `cnf.jkt`). The caller records the returned `jti`
//! until [`Proof::replay_until`] to refuse a replay, and maps a [`DpopError`](crate::DpopError) to its OAuth
//! error with [`DpopError::oauth_error`](crate::DpopError::oauth_error).
//!
//! ```
//! use tessera_jose::{Algorithm, SigningKey, dpop};
//!
//! # fn main() -> Result<(), tessera_jose::Error> {
//! // The client.
//! let client_key = SigningKey::generate(Algorithm::ES256)?;
//! let proof = dpop::proof(&client_key, "POST", "https://auth.example.com/oauth/token")
//!     .sign()?;
//!
//! // The authorization server.
//! let checker = dpop::Checker::builder().algorithms([Algorithm::ES256]).build();
//! let checked = checker.check(
//!     &[proof.as_str()],
//!     &dpop::Expected::new("POST", "https://auth.example.com/oauth/token"),
//! )?;
//! // Bind the tokens to the key (`cnf.jkt`), and remember the jti against replays.
//! assert_eq!(checked.thumbprint, client_key.verifying_key()?.thumbprint());
//! # Ok(())
//! # }
//! ```

mod check;
mod htu;
mod make;
mod replay;

pub use check::{
    Checker, CheckerBuilder, DEFAULT_LEEWAY_SECS, DEFAULT_MAX_AGE_SECS, Expected, Proof,
};
pub use make::{ProofBuilder, proof};
pub use replay::{DEFAULT_REPLAY_CAPACITY, ReplayCache};

/// The `typ` of a DPoP proof.
pub const TYP: &str = "dpop+jwt";

/// `ath`: the base64url SHA-256 of an access token (RFC 9449 §4.2).
pub fn access_token_hash(access_token: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    crate::b64::encode(digest.as_ref())
}
