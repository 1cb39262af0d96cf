//! Random tokens and ids, SHA-256 digests and constant-time comparison.
//!
//! Refresh tokens and client secrets are 256 random bits as unpadded base64url (43
//! characters); only their SHA-256 digest is stored. Ids are 128 random bits with a short
//! prefix naming what they identify (`u_` users, `c_` clients, `s_` sessions), so that a user
//! id can never be mistaken for a client id in a `sub` claim.

use aws_lc_rs::constant_time;
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use tessera_jose::b64;
use zeroize::Zeroizing;

/// Bytes of randomness in a token or client secret (256 bits).
pub const TOKEN_BYTES: usize = 32;
/// Length of a token in base64url characters.
pub const TOKEN_LEN: usize = 43;
/// Bytes of randomness in an id or `jti` (128 bits).
pub const ID_BYTES: usize = 16;

/// What an id identifies; decides its prefix.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum IdKind {
    /// An OAuth client (`c_`).
    Client,
    /// A back-channel logout notice in the outbox (`n_`).
    Notice,
    /// A login session (`s_`).
    Session,
    /// A user account (`u_`).
    User,
    /// A security-event receiver (`wh_`).
    Webhook,
}

impl IdKind {
    /// The prefix of ids of this kind, underscore included.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Client => "c_",
            Self::Notice => "n_",
            Self::Session => "s_",
            Self::User => "u_",
            Self::Webhook => "wh_",
        }
    }
}

/// The system's random source failed; nothing secret can be made safely.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct RandomError;

impl std::fmt::Display for RandomError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the system random source failed")
    }
}

impl std::error::Error for RandomError {}

/// Fills `buf` from the operating system's random source.
///
/// # Errors
/// [`RandomError`] if the random source fails.
pub fn fill_random(buf: &mut [u8]) -> Result<(), RandomError> {
    SystemRandom::new().fill(buf).map_err(|_| RandomError)
}

/// `len` characters drawn uniformly from `alphabet` (ASCII, at most 256 characters): random
/// bytes that would bias the draw are skipped.
///
/// # Errors
/// [`RandomError`] when the system's random source fails.
pub fn random_from_alphabet(alphabet: &[u8], len: usize) -> Result<String, RandomError> {
    let size = alphabet.len();
    let limit = 256 - 256 % size;
    let mut out = String::with_capacity(len);
    let mut bytes = [0u8; 32];
    while out.len() < len {
        fill_random(&mut bytes)?;
        for &b in &bytes {
            if usize::from(b) < limit && out.len() < len {
                out.push(char::from(alphabet[usize::from(b) % size]));
            }
        }
    }
    Ok(out)
}

/// A new 256-bit random token as base64url (43 characters), for refresh tokens and secrets.
///
/// # Errors
/// [`RandomError`] if the random source fails.
pub fn random_token() -> Result<String, RandomError> {
    let mut bytes = Zeroizing::new([0u8; TOKEN_BYTES]);
    fill_random(bytes.as_mut())?;
    Ok(b64::encode(bytes.as_ref()))
}

/// A new random id of `kind`: its prefix and 128 bits as base64url (24 characters in all).
///
/// # Errors
/// [`RandomError`] if the random source fails.
pub fn new_id(kind: IdKind) -> Result<String, RandomError> {
    Ok(format!("{}{}", kind.prefix(), random_jti()?))
}

/// A new 128-bit random JWT id as base64url (22 characters).
///
/// # Errors
/// [`RandomError`] if the random source fails.
pub fn random_jti() -> Result<String, RandomError> {
    let mut bytes = [0u8; ID_BYTES];
    fill_random(&mut bytes)?;
    Ok(b64::encode(&bytes))
}

/// The SHA-256 digest of `data`.
pub fn sha256(data: &[u8]) -> Vec<u8> {
    digest(&SHA256, data).as_ref().to_vec()
}

/// True when `a == b`, in time that depends only on the lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// True when `presented` hashes to `stored_digest`, compared in constant time.
pub fn matches_digest(presented: &str, stored_digest: &[u8]) -> bool {
    constant_time_eq(&sha256(presented.as_bytes()), stored_digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_base64url_chars_and_differ() {
        let a = random_token().expect("random");
        let b = random_token().expect("random");
        assert_eq!(a.len(), TOKEN_LEN);
        assert_ne!(a, b);
        assert_eq!(
            b64::decode(a.as_bytes()).map(|v| v.len()),
            Some(TOKEN_BYTES)
        );
    }

    #[test]
    fn ids_carry_their_prefix() {
        let id = new_id(IdKind::User).expect("random");
        assert!(id.starts_with("u_"));
        assert_eq!(id.len(), 24);
        assert!(new_id(IdKind::Client).expect("random").starts_with("c_"));
        assert!(new_id(IdKind::Session).expect("random").starts_with("s_"));
    }

    #[test]
    fn digests_compare_in_constant_time() {
        let digest = sha256(b"secret");
        assert_eq!(digest.len(), 32);
        assert!(matches_digest("secret", &digest));
        assert!(!matches_digest("Secret", &digest));
        assert!(!constant_time_eq(b"ab", b"abc"));
        // Known answer: SHA-256("abc").
        assert_eq!(
            b64::encode(&sha256(b"abc")),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }
}
