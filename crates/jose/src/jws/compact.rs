//! The JWS compact serialization: `base64url(header).base64url(payload).base64url(signature)`.

use std::borrow::Cow;

use crate::b64;
use crate::error::{Error, Malformed, Part};
use crate::jwk::{Candidates, KeyResolver};
use crate::jws::Header;
use crate::key::SigningKey;

/// The default cap on a compact token's length (16 KiB), checked before any other work.
pub const DEFAULT_MAX_LEN: usize = 16 * 1024;

/// A JWS whose signature has been verified.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Verified {
    /// The protected header.
    pub header: Header,
    /// The decoded payload.
    pub payload: Vec<u8>,
}

/// Signs `payload` under `header` with `key`.
///
/// # Errors
/// [`Error::AlgNotAllowed`] when `header.alg` is not the key's algorithm; [`Error::Crypto`].
pub fn sign(header: &Header, payload: &[u8], key: &SigningKey) -> Result<String, Error> {
    if header.alg != key.algorithm() {
        return Err(Error::AlgNotAllowed(header.alg.to_string()));
    }
    sign_encoded_header(&b64::encode(header.to_json().as_bytes()), payload, key)
}

/// Signs `payload` under an already encoded header (which must name the key's algorithm).
pub(crate) fn sign_encoded_header(
    header_b64: &str,
    payload: &[u8],
    key: &SigningKey,
) -> Result<String, Error> {
    let capacity = header_b64.len() + payload.len().div_ceil(3) * 4 + key.signature_len_b64() + 2;
    let mut token = String::with_capacity(capacity);
    token.push_str(header_b64);
    token.push('.');
    b64::encode_into(payload, &mut token);
    let signature = key.sign_with(token.as_bytes(), SignatureCopy::of)?;
    token.push('.');
    b64::encode_into(signature.bytes(), &mut token);
    Ok(token)
}

/// A signature copied out of the backend's result, which borrows the signing input: on the
/// stack up to 132 bytes (every algorithm but RSA), else on the heap.
struct SignatureCopy {
    small: [u8; 132],
    len: usize,
    large: Vec<u8>,
}

impl SignatureCopy {
    fn of(signature: &[u8]) -> Self {
        let mut copy = Self {
            small: [0; 132],
            len: signature.len(),
            large: Vec::new(),
        };
        match copy.small.get_mut(..signature.len()) {
            Some(slot) => slot.copy_from_slice(signature),
            None => copy.large = signature.to_vec(),
        }
        copy
    }

    fn bytes(&self) -> &[u8] {
        self.small.get(..self.len).unwrap_or(&self.large)
    }
}

/// Verifies a compact JWS against `keys` and returns its header and payload.
///
/// Order of checks: the length cap, the three-part shape, the header (algorithm, `crit`,
/// embedded keys), the key choice, then the signature; the payload is decoded only after the
/// signature holds.
///
/// # Errors
/// Any structural, header, key or signature error.
pub fn verify(token: &str, keys: &impl KeyResolver, max_len: usize) -> Result<Verified, Error> {
    verify_with(token, keys, max_len, |_| Ok(()))
}

/// As [`verify`], running `check_header` on the parsed header before any key is chosen.
pub(crate) fn verify_with(
    token: &str,
    keys: &impl KeyResolver,
    max_len: usize,
    check_header: impl FnOnce(&Header) -> Result<(), Error>,
) -> Result<Verified, Error> {
    let (header, payload) = verify_signature(token, keys, max_len, check_header)?;
    let payload = b64::decode(payload.as_bytes())
        .ok_or(Error::Malformed(Malformed::Base64(Part::Payload)))?;
    Ok(Verified {
        header: owned_header(header),
        payload,
    })
}

/// As [`verify_with`], returning the payload still encoded, so that the caller can decode it
/// where it wants (JWT claims are decoded on the stack), and the header borrowed from the key
/// when it is the key's own (see [`header_of`]).
pub(crate) fn verify_signature<'t, 'k, K: KeyResolver>(
    token: &'t str,
    keys: &'k K,
    max_len: usize,
    check_header: impl FnOnce(&Header) -> Result<(), Error>,
) -> Result<(Cow<'k, Header>, &'t str), Error> {
    let parts = split(token, max_len)?;
    let header = header_of(parts.header, keys)?;
    check_header(&header)?;
    // 132 bytes hold every HMAC, ECDSA and EdDSA signature; 1024 hold RSA-8192. A longer
    // signature cannot verify under any accepted key. Only the buffer needed is zeroed.
    let mut small = [0u8; 132];
    let mut large: [u8; 1024];
    let buffer: &mut [u8] = if parts.signature.len() <= 176 {
        &mut small
    } else {
        large = [0u8; 1024];
        &mut large
    };
    let signature_len = b64::decode_into(parts.signature.as_bytes(), buffer)
        .ok_or(Error::Malformed(Malformed::Base64(Part::Signature)))?;
    let signature = &buffer[..signature_len];
    let signed = &token.as_bytes()[..parts.signed_len];
    match keys.candidates(&header)? {
        Candidates::One(key) => key.verify(signed, signature)?,
        Candidates::Many(list) => {
            if !list.iter().any(|key| key.verify(signed, signature).is_ok()) {
                return Err(Error::Signature);
            }
        }
    }
    Ok((header, parts.payload))
}

/// The three parts of a compact token.
pub(crate) struct Parts<'a> {
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) signature: &'a str,
    /// Length of `header.payload`, the signing input.
    pub(crate) signed_len: usize,
}

/// Splits a compact token after checking its length.
pub(crate) fn split(token: &str, max_len: usize) -> Result<Parts<'_>, Error> {
    if token.len() > max_len {
        return Err(Error::TooLarge {
            len: token.len(),
            max: max_len,
        });
    }
    let parts_error = || Error::Malformed(Malformed::Parts);
    // memchr scans 32 bytes at a time; a third dot anywhere is an error.
    let mut dots = memchr::memchr_iter(b'.', token.as_bytes());
    let (Some(first), Some(second), None) = (dots.next(), dots.next(), dots.next()) else {
        return Err(parts_error());
    };
    // Both positions hold an ASCII '.', so they are character boundaries.
    let (header, rest) = token.split_at(first);
    let (payload, signature) = rest.split_at(second - first);
    let (payload, signature) = (&payload[1..], &signature[1..]);
    Ok(Parts {
        header,
        payload,
        signature,
        signed_len: header.len() + 1 + payload.len(),
    })
}

/// The parsed header part. When it is byte for byte the default JWT header of a key the
/// resolver holds, that key's cached parse of the same bytes is borrowed instead: parsing is
/// a function of the bytes, so the result, and every check made on it afterwards, is the same.
fn header_of<'k>(part: &str, keys: &'k impl KeyResolver) -> Result<Cow<'k, Header>, Error> {
    match keys
        .key_for_header(part)
        .and_then(|key| key.known_header(part))
    {
        Some(header) => Ok(Cow::Borrowed(header)),
        None => decode_header(part).map(Cow::Owned),
    }
}

/// The header as an owned value.
pub(crate) fn owned_header(header: Cow<'_, Header>) -> Header {
    match header {
        // The key's own header has no other members, so an empty map is an exact copy of
        // them, without cloning the map's (empty) table.
        Cow::Borrowed(header) if header.extra.is_empty() => Header {
            alg: header.alg,
            typ: header.typ.clone(),
            cty: header.cty.clone(),
            kid: header.kid.clone(),
            extra: serde_json::Map::new(),
        },
        header => header.into_owned(),
    }
}

/// Decodes and parses the header part.
pub(crate) fn decode_header(part: &str) -> Result<Header, Error> {
    b64::decode_with(part.as_bytes(), Header::parse)
        .ok_or(Error::Malformed(Malformed::Base64(Part::Header)))?
}
