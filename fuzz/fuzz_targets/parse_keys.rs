//! Arbitrary input as a JWK, a JWK Set and a PEM document. Nothing may panic, and every key
//! that loads must work: a signing key's signatures verify with its public half, and a key
//! written out as JWK or PEM loads back as the same key.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use tessera_jose::{Algorithm, Jwk, JwkSet, KeySet, SigningKey, VerifyingKey};

fuzz_target!(|data: &[u8]| {
    if let Ok(jwk) = Jwk::from_json(data) {
        let _ = jwk.thumbprint();
        if let Ok(key) = VerifyingKey::from_jwk(&jwk, None) {
            check_verifying(&key);
        }
        if let Ok(key) = SigningKey::from_jwk(&jwk, None) {
            check_signing(&key);
        }
    }
    if let Ok(set) = JwkSet::from_json(data) {
        let _ = KeySet::from_jwks(&set, &[]);
        let _ = KeySet::from_jwks(&set, &[Algorithm::RS256, Algorithm::ES256]);
        let _ = KeySet::from_jwks(&set, &Algorithm::ALL);
    }
    if let Ok(pem) = std::str::from_utf8(data) {
        if let Ok(key) = VerifyingKey::from_pem(pem, None) {
            check_verifying(&key);
        }
        if let Ok(key) = SigningKey::from_pem(pem, None) {
            check_signing(&key);
        }
    }
});

/// A loaded public key survives JWK and PEM round trips with the same thumbprint.
fn check_verifying(key: &VerifyingKey) {
    let alg = Some(key.algorithm());
    let again = VerifyingKey::from_jwk(&key.to_jwk(), alg).expect("own JWK loads back");
    assert_eq!(
        again.thumbprint(),
        key.thumbprint(),
        "JWK round trip changed the key"
    );
    if let Ok(pem) = key.to_pem() {
        let again = VerifyingKey::from_pem(&pem, alg).expect("own PEM loads back");
        assert_eq!(
            again.thumbprint(),
            key.thumbprint(),
            "PEM round trip changed the key"
        );
    }
}

/// A loaded private key signs what its public half verifies, and survives a JWK round trip.
fn check_signing(key: &SigningKey) {
    let message = b"fuzz.message";
    let signature = key.sign(message).expect("a loaded key signs");
    let public = key.verifying_key().expect("a loaded key has a public half");
    public
        .verify(message, &signature)
        .expect("the public half verifies the private half's signature");
    check_verifying(&public);
    let again = SigningKey::from_jwk(&key.to_jwk(), Some(key.algorithm())).expect("JWK back");
    assert_eq!(again.kid(), key.kid());
    if let Ok(pem) = key.to_pem() {
        let again = SigningKey::from_pem(&pem, Some(key.algorithm())).expect("PEM loads back");
        assert_eq!(
            again.verifying_key().expect("public half").thumbprint(),
            public.thumbprint(),
            "PKCS#8 round trip changed the key"
        );
    }
}
