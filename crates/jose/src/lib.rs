//! Strict, fast JOSE for Tessera: JWS compact signing and verification, JWK and JWKS, and JWT
//! claims validation, with cryptography from aws-lc-rs.
//!
//! The rules of RFC 8725 are enforced rather than offered: every key is bound to one
//! algorithm, `none` does not exist, keys named in a token are never used, unknown `crit`
//! extensions and duplicate JSON members are refused, and oversize input is refused before
//! any other work.
//!
//! ```
//! use tessera_jose::{Algorithm, Claims, SigningKey, Validator, jwt};
//!
//! # fn main() -> Result<(), tessera_jose::Error> {
//! let key = SigningKey::generate(Algorithm::ES256)?;
//! let claims = Claims::new()
//!     .with_issuer("https://auth.example.com")
//!     .with_audience("orders")
//!     .with_subject("u-42")
//!     .with_expiry(4_102_444_800);
//! let token = jwt::sign(&claims, &key)?;
//!
//! let validator = Validator::builder()
//!     .issuer("https://auth.example.com")
//!     .audience("orders")
//!     .build();
//! let verified = validator.verify(&token, &key.verifying_key()?)?;
//! assert_eq!(verified.claims.sub.as_deref(), Some("u-42"));
//! # Ok(())
//! # }
//! ```
//!
//! A service that reads a few claims per request can use [`Validator::verify_view`] instead:
//! the same checks, with the claims read in place from the decoded payload rather than
//! copied into a [`Claims`].

#![forbid(unsafe_code)]

mod alg;
pub mod b64;
mod clock;
pub mod danger;
mod der;
pub mod dpop;
mod error;
mod flat;
mod header;
mod json;
pub mod jwe;
pub mod jwk;
pub mod jws;
pub mod jwt;
mod key;
mod verified;

pub use alg::{Algorithm, Curve, KeyFamily};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{ClaimReason, DpopError, Error, KeyError, Malformed, Part};
pub use jwk::{Jwk, JwkSet, KeyResolver, KeySet};
pub use jwt::{Claims, ExtraClaims, Token, TokenView, Validator, ValidatorBuilder};
pub use key::{SigningKey, VerifyingKey};
pub use verified::{Generation, VerifiedCache};
