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

/// Signs `claims` with `signing_key`, then encrypts the JWT to `encryption_key`'s holder: a
/// nested JWT (RFC 7519 §5.2) with `cty: JWT` and the encryption key's `kid` in the JWE header.
/// Check it with [`Validator::decrypt_and_verify`].
///
/// ```
/// use tessera_jose::jwe::{ContentEncryption, DecryptionKey, KeyAlgorithm};
/// use tessera_jose::{Algorithm, Claims, SigningKey, Validator, jwt};
///
/// # fn main() -> Result<(), tessera_jose::Error> {
/// let issuer = SigningKey::generate(Algorithm::ES256)?;
/// let client = DecryptionKey::generate(KeyAlgorithm::RsaOaep256, None, None)?;
/// let claims = Claims::new().with_subject("u-42").with_expiry(4_102_444_800);
/// let token = jwt::sign_and_encrypt(
///     &claims,
///     &issuer,
///     &client.encryption_key()?,
///     ContentEncryption::A256Gcm,
/// )?;
///
/// let verified = Validator::default().decrypt_and_verify(
///     &token,
///     &client,
///     &issuer.verifying_key()?,
/// )?;
/// assert_eq!(verified.claims.sub.as_deref(), Some("u-42"));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// [`Error::Crypto`] if the backend fails; [`Error::EncNotAllowed`] for a `dir` key of
/// another content encryption.
pub fn sign_and_encrypt(
    claims: &Claims,
    signing_key: &SigningKey,
    encryption_key: &crate::jwe::EncryptionKey,
    enc: crate::jwe::ContentEncryption,
) -> Result<String, Error> {
    let signed = sign(claims, signing_key)?;
    let header = encryption_key.header(enc).with_cty("JWT");
    crate::jwe::compact::encrypt(&header, signed.as_bytes(), encryption_key)
}

/// Verifies `token` with `keys` and checks it with `validator`.
///
/// # Errors
/// The first failed check, as a typed [`Error`] with a stable code.
pub fn verify(token: &str, keys: &impl KeyResolver, validator: &Validator) -> Result<Token, Error> {
    validator.verify(token, keys)
}
