//! JWK conformance: RFC 7517 Appendix A/B key sets, the RFC 7638 thumbprint, and RFC 8037
//! (Ed25519 keys, thumbprint and the deterministic EdDSA signature).

mod common;

use serde_json::Value;
use tessera_jose::jws::Header;
use tessera_jose::jws::compact::{self, DEFAULT_MAX_LEN};
use tessera_jose::{Algorithm, JwkSet, KeySet, SigningKey, VerifyingKey, b64};

use common::{code, jwk, parse, text, unb64, unhex};

const RFC7517: &str = include_str!("vectors/rfc-other/rfc7517_appendix_a_b.json");
const RFC7638: &str = include_str!("vectors/rfc-other/rfc7638_section_3_1.json");
const RFC8037: &str = include_str!("vectors/rfc-other/rfc8037_appendix_a.json");
const RFC7515: &str = include_str!("vectors/rfc-other/rfc7515_appendix_a.json");

fn key_set(section: &str) -> KeySet {
    let jwks = JwkSet::from_json(parse(RFC7517)[section]["jwks"].to_string().as_bytes())
        .expect("JWKS parses");
    KeySet::from_jwks(&jwks, &[]).expect("JWKS loads")
}

/// Kids and algorithms of a set, in order.
fn summary(set: &KeySet) -> Vec<(String, Algorithm)> {
    set.keys()
        .iter()
        .map(|k| (k.kid().to_owned(), k.algorithm()))
        .collect()
}

#[test]
fn rfc7517_a1_a2_sets_keep_the_signature_key_only() {
    // Both sets hold an EC key with `use: enc` (skipped) and the RS256 key "2011-04-29".
    let expected = vec![("2011-04-29".to_owned(), Algorithm::RS256)];
    assert_eq!(summary(&key_set("A.1")), expected);
    // A.2 is the private form of the same keys: only the public halves are kept.
    let private = key_set("A.2");
    assert_eq!(summary(&private), expected);
    assert_eq!(
        private.keys()[0].thumbprint(),
        key_set("A.1").keys()[0].thumbprint()
    );
}

#[test]
fn rfc7517_a3_symmetric_set_verifies_rfc7515_a1() {
    // A.3 holds an A128KW key (skipped: not a JWS algorithm) and the RFC 7515 A.1 HMAC key.
    let set = key_set("A.3");
    assert_eq!(
        summary(&set),
        vec![(
            "HMAC key used in JWS spec Appendix A.1 example".to_owned(),
            Algorithm::HS256
        )]
    );
    let rfc7515 = parse(RFC7515);
    let a1 = rfc7515["examples"]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["section"] == "A.1"))
        .expect("A.1");
    // The token has no kid: the one HS256 key of the set is chosen by algorithm.
    let verified = compact::verify(text(a1, "/compact"), &set, DEFAULT_MAX_LEN).expect("valid");
    assert_eq!(verified.payload, text(a1, "/payload").as_bytes());
}

#[test]
fn rfc7517_b_key_with_x5c_loads_without_trusting_the_chain() {
    let doc = parse(RFC7517);
    let key = jwk(&doc["B"]["jwk"]);
    assert!(
        key.extra.contains_key("x5c"),
        "x5c is kept as an opaque member"
    );
    let verifying = VerifyingKey::from_jwk(&key, None).expect("loads");
    assert_eq!(verifying.algorithm(), Algorithm::RS256);
    assert_eq!(verifying.kid(), "1b94c");
}

#[test]
fn rfc7638_thumbprint() {
    let doc = parse(RFC7638);
    let expected = text(&doc, "/thumbprint_b64u");
    let octets: Vec<u8> = doc["sha256_octets"]
        .as_array()
        .expect("octets")
        .iter()
        .map(|o| o.as_u64().and_then(|o| u8::try_from(o).ok()).expect("byte"))
        .collect();
    assert_eq!(unb64(expected), octets, "the vector is self-consistent");
    let key = jwk(&doc["jwk"]);
    assert_eq!(key.thumbprint().expect("thumbprint"), expected);
    let verifying = VerifyingKey::from_jwk(&key, None).expect("loads");
    assert_eq!(verifying.thumbprint(), expected);
    // Members outside the required ones (alg, kid, use) do not change it.
    let mut bare = key.clone();
    (bare.alg, bare.kid) = (None, None);
    assert_eq!(bare.thumbprint().expect("thumbprint"), expected);
    // Without a kid, the thumbprint becomes the key id.
    assert_eq!(
        VerifyingKey::from_jwk(&bare, None).expect("loads").kid(),
        expected
    );
}

fn rfc8037(section: &str) -> Value {
    parse(RFC8037)[section].clone()
}

#[test]
fn rfc8037_a1_a2_keys_load() {
    let private = jwk(&rfc8037("A.1")["jwk"]);
    assert_eq!(
        b64::decode(private.d.as_deref().unwrap_or_default().as_bytes()),
        Some(unhex(text(&rfc8037("A.1"), "/d_hex")))
    );
    let signing = SigningKey::from_jwk(&private, None).expect("A.1 loads");
    assert_eq!(signing.algorithm(), Algorithm::EdDSA);
    let public = VerifyingKey::from_jwk(&jwk(&rfc8037("A.2")["jwk"]), None).expect("A.2 loads");
    assert_eq!(public.algorithm(), Algorithm::EdDSA);
    assert_eq!(
        signing.verifying_key().expect("public half").thumbprint(),
        public.thumbprint(),
        "A.1 and A.2 are one key"
    );
}

#[test]
fn rfc8037_a3_thumbprint() {
    let a3 = rfc8037("A.3");
    let expected = text(&a3, "/thumbprint_b64u");
    assert_eq!(unb64(expected), unhex(text(&a3, "/sha256_hex")));
    for section in ["A.1", "A.2"] {
        let key = jwk(&rfc8037(section)["jwk"]);
        assert_eq!(key.thumbprint().expect("thumbprint"), expected, "{section}");
    }
}

#[test]
fn rfc8037_a4_signature_is_reproduced_byte_for_byte() {
    let a4 = rfc8037("A.4");
    let signing = SigningKey::from_jwk(&jwk(&rfc8037("A.1")["jwk"]), None).expect("key");
    let signature = signing
        .sign(text(&a4, "/signing_input").as_bytes())
        .expect("signs");
    assert_eq!(signature, unhex(text(&a4, "/signature_hex")));
    assert_eq!(b64::encode(&signature), text(&a4, "/signature_b64u"));
    // The header is exactly `{"alg":"EdDSA"}`, so the whole compact form is reproduced.
    assert_eq!(text(&a4, "/protected_header"), r#"{"alg":"EdDSA"}"#);
    let token = compact::sign(
        &Header::new(Algorithm::EdDSA),
        text(&a4, "/payload").as_bytes(),
        &signing,
    )
    .expect("signs");
    assert_eq!(token, text(&a4, "/compact"));
}

#[test]
fn rfc8037_a5_validation() {
    let a5 = rfc8037("A.5");
    assert_eq!(text(&a5, "/expected_result"), "valid");
    let key = VerifyingKey::from_jwk(&jwk(&rfc8037("A.2")["jwk"]), None).expect("key");
    let compact = text(&a5, "/compact");
    let verified = compact::verify(compact, &key, DEFAULT_MAX_LEN).expect("verifies");
    assert_eq!(
        verified.payload,
        text(&rfc8037("A.4"), "/payload").as_bytes()
    );
    // One flipped signature bit, and one flipped payload bit, each fail.
    let (input, signature) = compact.rsplit_once('.').expect("three parts");
    let mut bad = unb64(signature);
    bad[10] ^= 0x01;
    let forged = format!("{input}.{}", b64::encode(&bad));
    assert_eq!(
        code(compact::verify(&forged, &key, DEFAULT_MAX_LEN)),
        "signature_invalid"
    );
    let forged = compact.replacen("RXhhbXBsZSBvZiBF", "RXhhbXBsZSBvZiBG", 1);
    assert_ne!(forged, compact);
    assert_eq!(
        code(compact::verify(&forged, &key, DEFAULT_MAX_LEN)),
        "signature_invalid"
    );
}

#[test]
fn rfc8037_x25519_keys_are_not_signature_keys() {
    // A.6/A.7 are ECDH-ES key agreement (X25519, X448): no JWS algorithm uses those keys.
    for section in ["A.6", "A.7"] {
        let key = jwk(&rfc8037(section)["recipient_public_jwk"]);
        assert_eq!(
            code(VerifyingKey::from_jwk(&key, None)),
            "key_unsupported",
            "{section}"
        );
        assert_eq!(
            code(VerifyingKey::from_jwk(&key, Some(Algorithm::EdDSA))),
            "key_unsupported",
            "{section}"
        );
    }
}
