//! Tools that skip verification. Nothing they return may be trusted.

use serde_json::{Map, Value};

use crate::b64;
use crate::error::{Error, Malformed, Part};
use crate::json;
use crate::jws::compact;

/// A token taken apart without any check of its signature or claims.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Unverified {
    /// The header as JSON (duplicate members refused, nothing else checked; may say `none`).
    pub header: Map<String, Value>,
    /// The decoded payload bytes.
    pub payload: Vec<u8>,
    /// The decoded signature bytes.
    pub signature: Vec<u8>,
}

/// Decodes a compact token WITHOUT verifying it, for display and debugging only.
///
/// # Errors
/// Structural errors: length, parts, base64url, header JSON.
pub fn decode_unverified(token: &str, max_len: usize) -> Result<Unverified, Error> {
    let parts = compact::split(token, max_len)?;
    let decode = |text: &str, part| {
        b64::decode(text.as_bytes()).ok_or(Error::Malformed(Malformed::Base64(part)))
    };
    Ok(Unverified {
        header: json::parse_object(&decode(parts.header, Part::Header)?, Part::Header)?,
        payload: decode(parts.payload, Part::Payload)?,
        signature: decode(parts.signature, Part::Signature)?,
    })
}
