//! HMAC over a signing input whose start is known in advance.
//!
//! A JWT signed with [`crate::jwt::sign`] starts with the key's own encoded header and a dot,
//! the same bytes for every token of that key (about 100 for a thumbprint `kid`). HMAC reads
//! its input in hash blocks (64 bytes for SHA-256), so the hash state after those bytes can be
//! computed once per key: each token then costs one hash block less, about a tenth of the
//! HMAC of a typical access token. The result is the same tag, computed from the same bytes.

use aws_lc_rs::{constant_time, hmac};

/// An HMAC context that has already read `prefix`.
pub(crate) struct HmacPrefix {
    prefix: Box<[u8]>,
    after_prefix: hmac::Context,
}

impl HmacPrefix {
    /// The context of `key` after `header_b64` and the dot that follows it.
    pub(crate) fn new(key: &hmac::Key, header_b64: &str) -> Self {
        let prefix: Box<[u8]> = [header_b64.as_bytes(), b"."].concat().into();
        let mut after_prefix = hmac::Context::with_key(key);
        after_prefix.update(&prefix);
        Self {
            prefix,
            after_prefix,
        }
    }

    /// The tag of `message`, when `message` starts with the prefix.
    pub(crate) fn sign(&self, message: &[u8]) -> Option<hmac::Tag> {
        let rest = message.strip_prefix(&*self.prefix)?;
        // Cloning the context copies the hash states, exactly as `hmac::sign` copies the
        // key's; only the prefix's blocks are not hashed again.
        let mut context = self.after_prefix.clone();
        context.update(rest);
        Some(context.sign())
    }

    /// Whether `tag` is the HMAC of `message` (compared in constant time), when `message`
    /// starts with the prefix.
    pub(crate) fn verify(&self, message: &[u8], tag: &[u8]) -> Option<bool> {
        let expected = self.sign(message)?;
        Some(constant_time::verify_slices_are_equal(expected.as_ref(), tag).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_the_plain_hmac_for_every_input_with_the_prefix_and_nothing_else() {
        for alg in [hmac::HMAC_SHA256, hmac::HMAC_SHA384, hmac::HMAC_SHA512] {
            let key = hmac::Key::new(alg, &[7; 64]);
            for header_len in [0, 1, 63, 64, 100, 127, 128, 200] {
                let header = "h".repeat(header_len);
                let prefix = HmacPrefix::new(&key, &header);
                for payload_len in [0, 1, 50, 64, 300] {
                    let message = format!("{header}.{}", "p".repeat(payload_len));
                    let plain = hmac::sign(&key, message.as_bytes());
                    let tag = prefix.sign(message.as_bytes()).expect("has the prefix");
                    assert_eq!(tag.as_ref(), plain.as_ref());
                    assert_eq!(
                        prefix.verify(message.as_bytes(), plain.as_ref()),
                        Some(true)
                    );
                    let mut wrong = plain.as_ref().to_vec();
                    wrong[0] ^= 1;
                    assert_eq!(prefix.verify(message.as_bytes(), &wrong), Some(false));
                    assert_eq!(prefix.verify(message.as_bytes(), &wrong[1..]), Some(false));
                }
                // Without the exact prefix (dot included) there is no shortcut.
                assert!(prefix.sign(header.as_bytes()).is_none());
                assert!(prefix.sign(format!("x{header}.").as_bytes()).is_none());
            }
        }
    }
}
