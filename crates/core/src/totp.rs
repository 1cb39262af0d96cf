//! Time-based one-time passwords (RFC 6238, on HOTP of RFC 4226): the codes authenticator
//! apps show, checked with a window of one step either side, each step accepted once; the
//! secret's base32 form (RFC 4648) and the `otpauth://` URI that apps scan.
//!
//! This is the algorithm only: enrollment, storage (sealed like signing keys) and the
//! second sign-in step build on it.

use std::fmt::Write as _;

use aws_lc_rs::hmac;
use zeroize::Zeroizing;

use crate::secrets::{RandomError, fill_random};

/// The length of a step, in seconds (what every authenticator app uses).
pub const STEP_SECS: i64 = 30;

/// The digits of a code.
pub const DIGITS: u32 = 6;

/// The length of a new secret, in bytes (160 bits, RFC 4226's recommendation for SHA-1).
pub const SECRET_LEN: usize = 20;

/// The HMAC of HOTP. Apps take SHA-1; SHA-256 and SHA-512 are RFC 6238's other two.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Hash {
    /// HMAC-SHA-1, the default of every authenticator app.
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Hash {
    fn algorithm(self) -> hmac::Algorithm {
        match self {
            Self::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => hmac::HMAC_SHA256,
            Self::Sha512 => hmac::HMAC_SHA512,
        }
    }

    /// The name `otpauth://` URIs use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }
}

/// A new random secret of [`SECRET_LEN`] bytes.
///
/// # Errors
/// [`RandomError`] when the system's random source fails.
pub fn new_secret() -> Result<Zeroizing<Vec<u8>>, RandomError> {
    let mut secret = Zeroizing::new(vec![0u8; SECRET_LEN]);
    fill_random(&mut secret)?;
    Ok(secret)
}

/// The HOTP value of `counter` (RFC 4226 §5.3), `digits` long (6 to 9).
pub fn hotp(secret: &[u8], counter: u64, digits: u32, hash: Hash) -> u32 {
    let key = hmac::Key::new(hash.algorithm(), secret);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    binary % 10u32.pow(digits.clamp(6, 9))
}

/// The step of Unix time `now` (RFC 6238 §4.2, T0 = 0); `None` before 1970.
pub fn step_at(now: i64) -> Option<u64> {
    u64::try_from(now.div_euclid(STEP_SECS)).ok()
}

/// The TOTP code at Unix time `now`, as the app shows it (zero-padded).
pub fn code_at(secret: &[u8], now: i64, hash: Hash) -> Option<String> {
    let step = step_at(now)?;
    Some(format_code(hotp(secret, step, DIGITS, hash), DIGITS))
}

/// The step whose code `code` is, within one step of `now` and after `last_used` (the step
/// of the last accepted code, which is never accepted again); `None` otherwise. The caller
/// stores the step it gets as the new `last_used`. Codes are compared in constant time.
pub fn verify(
    secret: &[u8],
    code: &str,
    now: i64,
    last_used: Option<u64>,
    hash: Hash,
) -> Option<u64> {
    let wanted = DIGITS as usize;
    if code.len() != wanted || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_at(now)?;
    let mut found = None;
    // Every candidate is computed and compared, so the time taken does not say which
    // step matched.
    for step in [
        current.checked_sub(1),
        Some(current),
        current.checked_add(1),
    ]
    .into_iter()
    .flatten()
    {
        let candidate = format_code(hotp(secret, step, DIGITS, hash), DIGITS);
        let fresh = last_used.is_none_or(|last| step > last);
        if crate::secrets::constant_time_eq(candidate.as_bytes(), code.as_bytes()) && fresh {
            found = Some(step);
        }
    }
    found
}

fn format_code(value: u32, digits: u32) -> String {
    format!("{value:0width$}", width = digits as usize)
}

/// RFC 4648 base32 (upper case, no padding), as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes [`base32`] text (case-insensitive; spaces and `=` padding ignored); `None` for
/// any other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| *c != ' ' && *c != '=') {
        let value = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => u32::from(c) - u32::from('A'),
            c @ '2'..='7' => u32::from(c) - u32::from('2') + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The `otpauth://totp/…` URI an app scans (Google Authenticator's key URI format):
/// `issuer` and `account` label the entry; SHA-1, 6 digits, 30 s, the defaults every app
/// reads, are spelled out.
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let label = format!("{}:{}", escape(issuer), escape(account));
    let mut uri = format!("otpauth://totp/{label}?secret={}", base32(secret));
    let _ = write!(
        uri,
        "&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        escape(issuer)
    );
    uri
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: the seeds for SHA-1, SHA-256 and SHA-512.
    const SEED1: &[u8] = b"12345678901234567890";
    const SEED32: &[u8] = b"12345678901234567890123456789012";
    const SEED64: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    #[test]
    fn rfc_6238_appendix_b_vectors() {
        let vectors: [(i64, u32, u32, u32); 6] = [
            (59, 94_287_082, 46_119_246, 90_693_936),
            (1_111_111_109, 7_081_804, 68_084_774, 25_091_201),
            (1_111_111_111, 14_050_471, 67_062_674, 99_943_326),
            (1_234_567_890, 89_005_924, 91_819_424, 93_441_116),
            (2_000_000_000, 69_279_037, 90_698_825, 38_618_901),
            (20_000_000_000, 65_353_130, 77_737_706, 47_863_826),
        ];
        for (time, sha1, sha256, sha512) in vectors {
            let step = step_at(time).expect("after 1970");
            assert_eq!(hotp(SEED1, step, 8, Hash::Sha1), sha1, "SHA-1 at {time}");
            assert_eq!(
                hotp(SEED32, step, 8, Hash::Sha256),
                sha256,
                "SHA-256 at {time}"
            );
            assert_eq!(
                hotp(SEED64, step, 8, Hash::Sha512),
                sha512,
                "SHA-512 at {time}"
            );
        }
    }

    #[test]
    fn rfc_4226_appendix_d_vectors() {
        let expected = [
            755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871,
            520_489,
        ];
        for (counter, value) in expected.into_iter().enumerate() {
            let counter = u64::try_from(counter).expect("small");
            assert_eq!(
                hotp(SEED1, counter, 6, Hash::Sha1),
                value,
                "counter {counter}"
            );
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_once() {
        let now = 1_111_111_111;
        let step = step_at(now).expect("step");
        let code = |at: i64| code_at(SEED1, at, Hash::Sha1).expect("code");
        assert_eq!(code(now), "050471");
        assert_eq!(verify(SEED1, &code(now), now, None, Hash::Sha1), Some(step));
        let earlier = code(now - STEP_SECS);
        assert_eq!(
            verify(SEED1, &earlier, now, None, Hash::Sha1),
            Some(step - 1)
        );
        let later = code(now + STEP_SECS);
        assert_eq!(verify(SEED1, &later, now, None, Hash::Sha1), Some(step + 1));
        for far in [now - 2 * STEP_SECS, now + 2 * STEP_SECS] {
            assert_eq!(verify(SEED1, &code(far), now, None, Hash::Sha1), None);
        }
        // Used once: that step and every earlier one are refused afterwards.
        assert_eq!(verify(SEED1, &code(now), now, Some(step), Hash::Sha1), None);
        assert_eq!(verify(SEED1, &earlier, now, Some(step), Hash::Sha1), None);
        assert_eq!(
            verify(SEED1, &later, now, Some(step), Hash::Sha1),
            Some(step + 1)
        );
        for junk in ["", "12345", "1234567", "05047a", " 50471", "０５０４７１"] {
            assert_eq!(verify(SEED1, junk, now, None, Hash::Sha1), None, "{junk:?}");
        }
        assert_eq!(step_at(-1), None);
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        let vectors = [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base32(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).expect("decodes"), plain.as_bytes());
            let padded = format!("{}====", encoded.to_lowercase());
            assert_eq!(base32_decode(&padded).expect("decodes"), plain.as_bytes());
        }
        assert_eq!(base32(SEED1), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert!(base32_decode("MZXW1").is_none());
        let secret = new_secret().expect("random");
        assert_eq!(secret.len(), SECRET_LEN);
        assert_eq!(base32_decode(&base32(&secret)).expect("decodes"), *secret);
    }

    #[test]
    fn the_otpauth_uri_names_the_issuer_and_account() {
        let uri = otpauth_uri(SEED1, "Tessera Example", "alice@example.com");
        assert_eq!(
            uri,
            "otpauth://totp/Tessera%20Example:alice%40example.com\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Tessera%20Example\
             &algorithm=SHA1&digits=6&period=30"
        );
    }
}
