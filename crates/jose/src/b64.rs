//! Strict base64url without padding (RFC 7515 §2): no `=`, no whitespace, no `+` or `/`,
//! and no non-zero unused bits, so that one token has exactly one encoding.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Appends the unpadded base64url form of `bytes` to `out`.
pub(crate) fn encode_into(bytes: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out);
}

/// Decodes strict unpadded base64url.
///
/// # Errors
/// `None` for any other alphabet, padding, whitespace or non-canonical trailing bits.
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// Decodes strict unpadded base64url into `out`, returning the decoded length; `None` when
/// the text is not canonical or does not fit.
pub(crate) fn decode_into(text: &[u8], out: &mut [u8]) -> Option<usize> {
    if base64::decoded_len_estimate(text.len()) > out.len() {
        return None;
    }
    URL_SAFE_NO_PAD.decode_slice(text, out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for len in 0..40 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(decode(encode(&data).as_bytes()), Some(data));
        }
    }

    #[test]
    fn refuses_non_canonical_forms() {
        for bad in ["QQ==", "QQ=", "Q Q", "a+b/", "QR", "QUI", "QUJD\n", "Q"] {
            if bad == "QUI" {
                assert!(decode(bad.as_bytes()).is_some(), "{bad}");
                continue;
            }
            assert!(decode(bad.as_bytes()).is_none(), "{bad}");
        }
    }
}
