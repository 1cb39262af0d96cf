//! Arbitrary input as a compact JWE, decrypted with five fixed keys (RSA-OAEP-256, ECDH-ES on
//! P-256, ECDH-ES+A256KW on X25519, A128KW and a dir A256GCM secret).
//!
//! Beyond "no panic": a JWE that decrypts names the key's own `alg`, decrypts to the same
//! plaintext a second time (nothing depends on chance once the CEK is recovered), and every
//! refusal after the header was read is the one `decryption_failed` or a header, length or
//! base64url error (never `crypto_failure`, which would be a backend fault).

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tessera_jose::Jwk;
use tessera_jose::jwe::{DecryptionKey, compact};

const KEYS: [&str; 5] = [
    include_str!("../keys/jwe-rsa-oaep-256.json"),
    include_str!("../keys/jwe-ecdh-es-p256.json"),
    include_str!("../keys/jwe-ecdh-es-a256kw-x25519.json"),
    include_str!("../keys/jwe-a128kw.json"),
    include_str!("../keys/jwe-dir-a256gcm.json"),
];

/// The cap used by the target: small, so that libFuzzer explores shapes rather than sizes.
const MAX_LEN: usize = 4096;

fn keys() -> &'static Vec<DecryptionKey> {
    static KEYS_LOADED: OnceLock<Vec<DecryptionKey>> = OnceLock::new();
    KEYS_LOADED.get_or_init(|| {
        KEYS.iter()
            .map(|json| {
                let jwk = Jwk::from_json(json.as_bytes()).expect("fixed key parses");
                DecryptionKey::from_jwk(&jwk, None).expect("fixed key loads")
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    for key in keys() {
        match compact::decrypt(token, key, MAX_LEN) {
            Ok(decrypted) => {
                assert_eq!(decrypted.header.alg, key.algorithm(), "another alg decrypted");
                let again = compact::decrypt(token, key, MAX_LEN).expect("decrypts again");
                assert_eq!(again.plaintext, decrypted.plaintext, "two plaintexts");
            }
            Err(err) => assert_ne!(err.code(), "crypto_failure", "backend fault: {err}"),
        }
    }
});
