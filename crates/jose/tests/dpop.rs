//! DPoP proof checks (RFC 9449 §4.3): a valid proof passes, and each rule, broken alone,
//! gives its own code.

mod common;

use std::sync::Arc;

use serde_json::{Value, json};
use tessera_jose::dpop::{self, Checker, Expected};
use tessera_jose::{Algorithm, Error, FixedClock, SigningKey, b64};

use common::forge;

const NOW: i64 = 1_800_000_000;
const URI: &str = "https://auth.example.com/oauth/token";

fn checker() -> Checker {
    Checker::builder()
        .algorithms([Algorithm::ES256, Algorithm::EdDSA, Algorithm::PS256])
        .clock(Arc::new(FixedClock(NOW)))
        .build()
}

fn dpop_code(result: Result<dpop::Proof, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(err) => err.code(),
    }
}

fn check(proof: &str, expected: &Expected<'_>) -> &'static str {
    dpop_code(checker().check(&[proof], expected))
}

fn new_key() -> SigningKey {
    SigningKey::generate(Algorithm::ES256).expect("key")
}

/// A proof with the given header and claims, correctly signed by `key`.
fn proof_with(key: &SigningKey, header: &Value, claims: &Value) -> String {
    forge(&header.to_string(), claims.to_string().as_bytes(), key)
}

fn header(key: &SigningKey) -> Value {
    let mut jwk = serde_json::to_value(key.verifying_key().expect("pub").to_jwk()).expect("jwk");
    for member in ["kid", "alg", "use"] {
        jwk.as_object_mut().expect("object").remove(member);
    }
    json!({"typ": "dpop+jwt", "alg": key.algorithm().as_str(), "jwk": jwk})
}

fn claims() -> Value {
    json!({"jti": "j-1", "htm": "POST", "htu": URI, "iat": NOW})
}

#[test]
fn a_valid_proof_passes_with_its_thumbprint_jti_and_iat() {
    for alg in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::PS256] {
        let key = SigningKey::generate(alg).expect("key");
        let proof = dpop::proof(&key, "POST", "https://auth.example.com/oauth/token?x=1")
            .issued_at(NOW)
            .jti("abc")
            .sign()
            .expect("proof");
        let checked = checker()
            .check(&[&proof], &Expected::new("POST", URI))
            .expect("valid");
        assert_eq!(
            checked.thumbprint,
            key.verifying_key().expect("pub").thumbprint()
        );
        assert_eq!((checked.jti.as_str(), checked.iat), ("abc", NOW));
        assert_eq!(checked.replay_until, NOW + dpop::DEFAULT_MAX_AGE_SECS);
    }
}

#[test]
fn resource_server_checks_ath_nonce_and_jkt() {
    let key = new_key();
    let token = "eyJ.access.token";
    let jkt = key.verifying_key().expect("pub").thumbprint();
    let proof = dpop::proof(&key, "GET", "https://api.example.com/orders")
        .issued_at(NOW)
        .access_token(token)
        .nonce("n-1")
        .sign()
        .expect("proof");
    let expected = Expected::new("GET", "https://API.example.com:443/orders")
        .access_token(token)
        .nonce("n-1")
        .jkt(&jkt);
    assert_eq!(check(&proof, &expected), "ok");
    let base = Expected::new("GET", "https://api.example.com/orders");
    assert_eq!(
        check(&proof, &base.access_token("other")),
        "dpop_ath_mismatch"
    );
    assert_eq!(check(&proof, &base.nonce("n-2")), "dpop_nonce_invalid");
    assert_eq!(
        check(&proof, &base.jkt("not-the-thumbprint")),
        "dpop_key_mismatch"
    );
    // A proof without ath or nonce where they are required.
    let bare = dpop::proof(&key, "GET", "https://api.example.com/orders")
        .issued_at(NOW)
        .sign()
        .expect("proof");
    assert_eq!(check(&bare, &base.access_token(token)), "dpop_ath_mismatch");
    assert_eq!(check(&bare, &base.nonce("n-1")), "dpop_nonce_invalid");
}

#[test]
fn the_nonce_error_maps_to_use_dpop_nonce_and_the_others_to_invalid_dpop_proof() {
    let key = new_key();
    let proof = proof_with(&key, &header(&key), &claims());
    let err = checker()
        .check(&[&proof], &Expected::new("POST", URI).nonce("fresh"))
        .expect_err("no nonce");
    let Error::Dpop(dpop_err) = &err else {
        panic!("not a DPoP error: {err:?}")
    };
    assert_eq!(dpop_err.oauth_error(), "use_dpop_nonce");
    let err = checker()
        .check(&[], &Expected::new("POST", URI))
        .expect_err("missing");
    let Error::Dpop(dpop_err) = &err else {
        panic!("not a DPoP error: {err:?}")
    };
    assert_eq!(dpop_err.oauth_error(), "invalid_dpop_proof");
}

#[test]
fn each_broken_rule_has_its_code() {
    let key = new_key();
    let expected = Expected::new("POST", URI);
    let good = proof_with(&key, &header(&key), &claims());
    assert_eq!(check(&good, &expected), "ok");

    let checker = checker();
    assert_eq!(dpop_code(checker.check(&[], &expected)), "dpop_missing");
    assert_eq!(
        dpop_code(checker.check(&[&good, &good], &expected)),
        "dpop_multiple"
    );
    assert_eq!(
        check(&format!("{good}, {good}"), &expected),
        "dpop_multiple"
    );
    assert_eq!(check("not.a-proof", &expected), "dpop_malformed");
    assert_eq!(check(&"a".repeat(9000), &expected), "dpop_malformed");

    let with_header = |change: &dyn Fn(&mut Value)| {
        let mut h = header(&key);
        change(&mut h);
        check(&proof_with(&key, &h, &claims()), &expected)
    };
    assert_eq!(
        with_header(&|h| h["typ"] = "JWT".into()),
        "dpop_typ_invalid"
    );
    assert_eq!(
        with_header(&|h| drop(h.as_object_mut().map(|o| o.remove("typ")))),
        "dpop_typ_invalid"
    );
    assert_eq!(
        with_header(&|h| h["alg"] = "none".into()),
        "dpop_alg_not_allowed"
    );
    assert_eq!(
        with_header(&|h| h["alg"] = "HS256".into()),
        "dpop_alg_not_allowed"
    );
    assert_eq!(
        with_header(&|h| h["alg"] = "ES384".into()),
        "dpop_alg_not_allowed"
    );
    assert_eq!(with_header(&|h| h["crit"] = json!(["x"])), "dpop_malformed");
    assert_eq!(
        with_header(&|h| drop(h.as_object_mut().map(|o| o.remove("jwk")))),
        "dpop_jwk_invalid"
    );
    assert_eq!(
        with_header(&|h| h["jwk"]["d"] = "AAAA".into()),
        "dpop_jwk_invalid"
    );
    assert_eq!(
        with_header(&|h| h["jwk"] = json!({"kty": "oct", "k": b64::encode(&[1; 32])})),
        "dpop_jwk_invalid"
    );
    // The header names another key than the one that signed.
    let other = new_key();
    let other_jwk = header(&other)["jwk"].clone();
    assert_eq!(
        with_header(&|h| h["jwk"] = other_jwk.clone()),
        "dpop_signature_invalid"
    );
    // A jwk that does not fit the alg.
    let ed = SigningKey::generate(Algorithm::EdDSA).expect("key");
    let ed_jwk = header(&ed)["jwk"].clone();
    assert_eq!(
        with_header(&|h| h["jwk"] = ed_jwk.clone()),
        "dpop_jwk_invalid"
    );

    let mut bad_signature = good.clone().into_bytes();
    let last = bad_signature.len() - 2;
    bad_signature[last] = if bad_signature[last] == b'A' {
        b'B'
    } else {
        b'A'
    };
    assert_eq!(
        check(&String::from_utf8(bad_signature).expect("text"), &expected),
        "dpop_signature_invalid"
    );

    let with_claims = |change: &dyn Fn(&mut Value)| {
        let mut c = claims();
        change(&mut c);
        check(&proof_with(&key, &header(&key), &c), &expected)
    };
    assert_eq!(
        with_claims(&|c| c["htm"] = "GET".into()),
        "dpop_htm_mismatch"
    );
    assert_eq!(
        with_claims(&|c| c["htm"] = "post".into()),
        "dpop_htm_mismatch"
    );
    assert_eq!(
        with_claims(&|c| drop(c.as_object_mut().map(|o| o.remove("htm")))),
        "dpop_htm_mismatch"
    );
    assert_eq!(
        with_claims(&|c| c["htu"] = "https://auth.example.com/oauth/revoke".into()),
        "dpop_htu_mismatch"
    );
    assert_eq!(
        with_claims(&|c| c["htu"] = "https://evil.example/oauth/token".into()),
        "dpop_htu_mismatch"
    );
    assert_eq!(
        with_claims(&|c| c["htu"] = "/oauth/token".into()),
        "dpop_htu_mismatch"
    );
    assert_eq!(
        with_claims(&|c| drop(c.as_object_mut().map(|o| o.remove("htu")))),
        "dpop_htu_mismatch"
    );
    assert_eq!(
        with_claims(&|c| c["iat"] = json!(NOW - 61)),
        "dpop_iat_invalid"
    );
    assert_eq!(
        with_claims(&|c| c["iat"] = json!(NOW + 11)),
        "dpop_iat_invalid"
    );
    assert_eq!(
        with_claims(&|c| c["iat"] = json!("now")),
        "dpop_iat_invalid"
    );
    assert_eq!(
        with_claims(&|c| drop(c.as_object_mut().map(|o| o.remove("iat")))),
        "dpop_iat_invalid"
    );
    assert_eq!(with_claims(&|c| c["jti"] = "".into()), "dpop_jti_missing");
    assert_eq!(
        with_claims(&|c| c["jti"] = "j".repeat(257).into()),
        "dpop_jti_missing"
    );
    assert_eq!(
        with_claims(&|c| drop(c.as_object_mut().map(|o| o.remove("jti")))),
        "dpop_jti_missing"
    );
    // Within the window, and with the equivalent forms of the URI, it still passes.
    assert_eq!(with_claims(&|c| c["iat"] = json!(NOW - 60)), "ok");
    assert_eq!(with_claims(&|c| c["iat"] = json!(NOW + 10)), "ok");
    assert_eq!(
        with_claims(&|c| c["htu"] = "HTTPS://auth.example.com:443/oauth/token#x".into()),
        "ok"
    );
}

#[test]
fn creating_a_proof_needs_an_asymmetric_key() {
    let hmac = SigningKey::generate(Algorithm::HS256).expect("key");
    let err = dpop::proof(&hmac, "POST", URI).sign().expect_err("hmac");
    assert_eq!(err.code(), "key_unsupported");
}
