//! JSON Web Tokens (RFC 7519): signing and verifying claims sets.

mod claims;
mod extra;
mod validator;
mod view;
mod write;

pub use claims::{Claims, REGISTERED};
pub use extra::ExtraClaims;
pub use validator::{DEFAULT_LEEWAY_SECS, Validator, ValidatorBuilder};
pub use view::TokenView;

use crate::error::Error;
use crate::jwk::KeyResolver;
use crate::jws::{Header, compact};
use crate::key::SigningKey;

/// A verified JWT: its header and validated claims.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Token {
    /// The protected header.
    pub header: Header,
    /// The claims, all checks passed.
    pub claims: Claims,
}

/// Signs `claims` with `key` under the header `{"alg": key's alg, "typ": "JWT", "kid": key's kid}`.
///
/// # Errors
/// [`Error::Crypto`] if the backend fails.
pub fn sign(claims: &Claims, key: &SigningKey) -> Result<String, Error> {
    compact::sign_encoded_header(key.jwt_header_b64(), &claims.to_json_bytes(), key)
}

/// Signs `claims` under an explicit header (whose `alg` must be the key's).
///
/// # Errors
/// [`Error::AlgNotAllowed`] for a header `alg` other than the key's; [`Error::Crypto`].
pub fn sign_with_header(
    header: &Header,
    claims: &Claims,
    key: &SigningKey,
) -> Result<String, Error> {
    compact::sign(header, &claims.to_json_bytes(), key)
}

/// Verifies `token` with `keys` and checks it with `validator`.
///
/// # Errors
/// The first failed check, as a typed [`Error`] with a stable code.
pub fn verify(token: &str, keys: &impl KeyResolver, validator: &Validator) -> Result<Token, Error> {
    validator.verify(token, keys)
}
