//! The JWE compact serialization (RFC 7516 §7.1):
//! `header.encrypted_key.iv.ciphertext.tag`, each part base64url.

use super::{DecryptionKey, EncryptionKey, Header, content, keymgmt};
use crate::b64;
use crate::error::{Error, Malformed, Part};

/// The default cap on a compact JWE's length (16 KiB, as for JWS), checked before any work.
pub const DEFAULT_MAX_LEN: usize = 16 * 1024;

/// A decrypted JWE: its protected header and plaintext.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Decrypted {
    /// The protected header.
    pub header: Header,
    /// The plaintext.
    pub plaintext: Vec<u8>,
}

/// Encrypts `plaintext` to `key`'s holder under `header` (whose `alg` must be the key's; for
/// ECDH-ES the ephemeral key is made here and written into the header).
///
/// ```
/// use tessera_jose::jwe::{self, ContentEncryption, DecryptionKey, KeyAlgorithm};
///
/// # fn main() -> Result<(), tessera_jose::Error> {
/// let recipient = DecryptionKey::generate(KeyAlgorithm::EcdhEsA256Kw, None, None)?;
/// let public = recipient.encryption_key()?;
/// let token = jwe::compact::encrypt(
///     &public.header(ContentEncryption::A256Gcm),
///     b"for your eyes only",
///     &public,
/// )?;
/// let decrypted = jwe::compact::decrypt(&token, &recipient, jwe::compact::DEFAULT_MAX_LEN)?;
/// assert_eq!(decrypted.plaintext, b"for your eyes only");
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// [`Error::AlgNotAllowed`] when `header.alg` is not the key's, [`Error::EncNotAllowed`]
/// when a `dir` key does not serve `header.enc`; [`Error::Crypto`].
pub fn encrypt(header: &Header, plaintext: &[u8], key: &EncryptionKey) -> Result<String, Error> {
    if header.alg != key.alg {
        return Err(Error::AlgNotAllowed(header.alg.to_string()));
    }
    check_dir_enc(key.enc, header)?;
    let wrapped = keymgmt::wrap(key, header)?;
    let mut header = header.clone();
    header.epk = wrapped.epk;
    let header_b64 = b64::encode(header.to_json().as_bytes());
    let iv = keymgmt::random_iv(header.enc.iv_len())?;
    let sealed = content::encrypt(
        header.enc,
        &wrapped.cek,
        &iv,
        header_b64.as_bytes(),
        plaintext,
    )?;
    let mut token = header_b64;
    for part in [&wrapped.encrypted_key, &iv, &sealed.ciphertext, &sealed.tag] {
        token.push('.');
        b64::encode_into(part, &mut token);
    }
    Ok(token)
}

/// Decrypts a compact JWE with `key`.
///
/// Order of checks: the length cap, the five-part shape, the header (`alg` the key's, a known
/// `enc`, no `zip`, no unknown `crit`, no embedded keys), the base64url of every part, the
/// `epk` for ECDH-ES; then the key unwrap and the content decryption, whose every failure is
/// the one [`Error::Decryption`].
///
/// # Errors
/// As above; the structural and header errors name what is wrong, the cryptographic ones
/// do not.
pub fn decrypt(token: &str, key: &DecryptionKey, max_len: usize) -> Result<Decrypted, Error> {
    let parts = split(token, max_len)?;
    let header = decode_header(parts[0])?;
    if header.alg != key.alg {
        return Err(Error::AlgNotAllowed(header.alg.to_string()));
    }
    check_dir_enc(key.enc, &header)?;
    let decode = |text: &str, part| {
        b64::decode(text.as_bytes()).ok_or(Error::Malformed(Malformed::Base64(part)))
    };
    let encrypted_key = decode(parts[1], Part::EncryptedKey)?;
    let iv = decode(parts[2], Part::Iv)?;
    let ciphertext = decode(parts[3], Part::Ciphertext)?;
    let tag = decode(parts[4], Part::Tag)?;
    let cek = keymgmt::unwrap(key, &header, &encrypted_key)?;
    let plaintext = content::decrypt(
        header.enc,
        &cek,
        &iv,
        parts[0].as_bytes(),
        &ciphertext,
        &tag,
    )?;
    Ok(Decrypted { header, plaintext })
}

/// Splits a compact JWE into its five parts after checking its length.
pub(crate) fn split(token: &str, max_len: usize) -> Result<[&str; 5], Error> {
    if token.len() > max_len {
        return Err(Error::TooLarge {
            len: token.len(),
            max: max_len,
        });
    }
    let mut parts = token.split('.');
    let mut out = [""; 5];
    for slot in &mut out {
        *slot = parts.next().ok_or(Error::Malformed(Malformed::JweParts))?;
    }
    if parts.next().is_some() {
        return Err(Error::Malformed(Malformed::JweParts));
    }
    Ok(out)
}

/// Decodes and parses the protected header part.
pub(crate) fn decode_header(part: &str) -> Result<Header, Error> {
    let bytes =
        b64::decode(part.as_bytes()).ok_or(Error::Malformed(Malformed::Base64(Part::Header)))?;
    Header::parse(&bytes)
}

/// A `dir` key bound to one `enc` serves only that one.
fn check_dir_enc(bound: Option<super::ContentEncryption>, header: &Header) -> Result<(), Error> {
    match bound {
        Some(enc) if enc != header.enc => Err(Error::EncNotAllowed(header.enc.to_string())),
        _ => Ok(()),
    }
}
