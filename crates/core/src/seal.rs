//! Encryption at rest under the deployment's master key (AES-256-GCM).
//!
//! Private signing keys and the successors of refresh tokens are stored sealed. A sealed
//! value is `version (1 byte) || nonce (12 bytes) || ciphertext || tag (16 bytes)`; the
//! associated data binds it to its place (a key id, a session id), so that a sealed value
//! moved to another row does not open.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use zeroize::{Zeroize, Zeroizing};

use crate::secrets::{RandomError, fill_random};

/// Bytes in a master key (256 bits).
pub const MASTER_KEY_LEN: usize = 32;

/// The format version byte at the start of every sealed value.
const VERSION: u8 = 1;
/// Bytes of the AES-GCM tag.
const TAG_LEN: usize = 16;

/// The 256-bit key that seals secrets at rest. Wiped on drop; `Debug` shows nothing of it.
///
/// # Examples
/// ```
/// use tessera_core::MasterKey;
///
/// # fn main() -> Result<(), tessera_core::seal::SealError> {
/// let key = MasterKey::parse("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")?;
/// let sealed = key.seal(b"private JWK", b"kid-1")?;
/// assert_eq!(key.open(&sealed, b"kid-1")?.as_slice(), b"private JWK");
/// assert!(key.open(&sealed, b"kid-2").is_err());
/// # Ok(())
/// # }
/// ```
pub struct MasterKey {
    bytes: Zeroizing<[u8; MASTER_KEY_LEN]>,
}

/// Why a master key or a sealed value was refused.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum SealError {
    /// The key text is not 64 hex digits or base64 of 32 bytes.
    BadKey,
    /// The sealed value is damaged, was sealed under another key, or for another place.
    Open,
    /// The random source failed.
    Random,
    /// The cipher refused to work (should not happen).
    Crypto,
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadKey => "a master key must be 32 bytes as 64 hex digits or base64",
            Self::Open => "sealed data does not open under this master key",
            Self::Random => "the system random source failed",
            Self::Crypto => "the cipher failed",
        })
    }
}

impl std::error::Error for SealError {}

impl From<RandomError> for SealError {
    fn from(_: RandomError) -> Self {
        Self::Random
    }
}

impl MasterKey {
    /// A new random master key.
    ///
    /// # Errors
    /// [`SealError::Random`] if the random source fails.
    pub fn generate() -> Result<Self, SealError> {
        let mut bytes = Zeroizing::new([0u8; MASTER_KEY_LEN]);
        fill_random(bytes.as_mut())?;
        Ok(Self { bytes })
    }

    /// A master key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; MASTER_KEY_LEN]) -> Self {
        let mut bytes = bytes;
        let key = Self {
            bytes: Zeroizing::new(bytes),
        };
        bytes.zeroize();
        key
    }

    /// Parses a master key from text: 64 hex digits, or standard or URL-safe base64 (padded
    /// or not). Surrounding whitespace (a key file's newline) is ignored.
    ///
    /// # Errors
    /// [`SealError::BadKey`] for anything else.
    pub fn parse(text: &str) -> Result<Self, SealError> {
        let text = text.trim();
        let decoded = if text.len() == 2 * MASTER_KEY_LEN {
            decode_hex(text)
        } else {
            [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
                .iter()
                .find_map(|engine| engine.decode(text).ok())
                .map(Zeroizing::new)
        };
        let decoded = decoded.ok_or(SealError::BadKey)?;
        let bytes: [u8; MASTER_KEY_LEN] = decoded
            .as_slice()
            .try_into()
            .map_err(|_| SealError::BadKey)?;
        Ok(Self::from_bytes(bytes))
    }

    /// The key as standard padded base64 (for writing a new key file). Handle as a secret.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.bytes.as_ref()))
    }

    /// Encrypts `plaintext`, bound to `aad`, under a fresh random nonce.
    ///
    /// # Errors
    /// [`SealError::Crypto`] if the cipher fails.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let key = self.cipher()?;
        let mut in_out = plaintext.to_vec();
        let nonce = key
            .seal_in_place_append_tag(Aad::from(aad), &mut in_out)
            .map_err(|_| SealError::Crypto)?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + in_out.len());
        sealed.push(VERSION);
        sealed.extend_from_slice(nonce.as_ref());
        sealed.extend_from_slice(&in_out);
        in_out.zeroize();
        Ok(sealed)
    }

    /// A MAC of `data` for `purpose` (HMAC-SHA256 under a key derived from the master key
    /// for MACs only), for values a browser carries and must give back unchanged (anti-CSRF
    /// tokens). Every instance with the same master key makes the same MAC.
    pub fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        let root = hmac::Key::new(hmac::HMAC_SHA256, self.bytes.as_ref());
        let derived = hmac::sign(&root, b"tessera/mac-key/v1");
        let key = hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref());
        let mut context = hmac::Context::with_key(&key);
        context.update(purpose.as_bytes());
        context.update(&[0]);
        context.update(data);
        let tag = context.sign();
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Decrypts what [`Self::seal`] made with the same `aad`.
    ///
    /// # Errors
    /// [`SealError::Open`] for a damaged value, another key, or another `aad`.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != VERSION {
            return Err(SealError::Open);
        }
        let (nonce, body) = sealed[1..].split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Open)?;
        let mut in_out = Zeroizing::new(body.to_vec());
        let plain_len = self
            .cipher()?
            .open_in_place(nonce, Aad::from(aad), &mut in_out)
            .map_err(|_| SealError::Open)?
            .len();
        in_out.truncate(plain_len);
        Ok(in_out)
    }

    fn cipher(&self) -> Result<RandomizedNonceKey, SealError> {
        RandomizedNonceKey::new(&AES_256_GCM, self.bytes.as_ref()).map_err(|_| SealError::Crypto)
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

fn decode_hex(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() / 2));
    for pair in text.as_bytes().chunks(2) {
        let [hi, lo] = pair else { return None };
        out.push(digit(*hi)? << 4 | digit(*lo)?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_with_the_same_aad_only() {
        let key = MasterKey::generate().expect("random");
        let sealed = key.seal(b"private jwk", b"kid-1").expect("seal");
        assert_eq!(sealed.len(), 1 + 12 + 11 + 16);
        assert_eq!(
            key.open(&sealed, b"kid-1").expect("open").as_slice(),
            b"private jwk"
        );
        assert_eq!(key.open(&sealed, b"kid-2"), Err(SealError::Open));
        let other = MasterKey::generate().expect("random");
        assert_eq!(other.open(&sealed, b"kid-1"), Err(SealError::Open));
        let mut tampered = sealed.clone();
        tampered[20] ^= 1;
        assert_eq!(key.open(&tampered, b"kid-1"), Err(SealError::Open));
        assert_eq!(key.open(&sealed[..20], b"kid-1"), Err(SealError::Open));
    }

    #[test]
    fn nonces_are_fresh() {
        let key = MasterKey::generate().expect("random");
        let a = key.seal(b"x", b"").expect("seal");
        let b = key.seal(b"x", b"").expect("seal");
        assert_ne!(a, b);
    }

    #[test]
    fn parses_hex_and_base64() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        let from_hex = MasterKey::parse(hex).expect("hex");
        let b64 = from_hex.to_base64();
        assert_eq!(b64.len(), 44);
        let from_b64 = MasterKey::parse(&format!("{}\n", b64.as_str())).expect("base64");
        assert_eq!(from_hex.bytes.as_ref(), from_b64.bytes.as_ref());
        let url = URL_SAFE_NO_PAD.encode(from_hex.bytes.as_ref());
        assert!(MasterKey::parse(&url).is_ok());
        for bad in ["", "abc", &hex[..62], &format!("{hex}00"), &"zz".repeat(32)] {
            assert_eq!(
                MasterKey::parse(bad).map(|_| ()),
                Err(SealError::BadKey),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_shows_nothing() {
        let key = MasterKey::parse(&"ab".repeat(32)).expect("hex");
        assert_eq!(format!("{key:?}"), "MasterKey(..)");
    }
}
