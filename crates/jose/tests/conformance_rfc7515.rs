//! RFC 7515 Appendix A and E: the JWS examples verify, the deterministic ones (HS256, RS256)
//! are reproduced byte for byte, `alg: none` (A.5) and the unknown `crit` (E) are refused.

mod common;

use std::sync::Arc;

use serde_json::Value;
use tessera_jose::jws::Header;
use tessera_jose::jws::compact::{self, DEFAULT_MAX_LEN};
use tessera_jose::{Algorithm, FixedClock, SigningKey, Validator, VerifyingKey};

use common::{code, jwk, parse, text, unb64};

const VECTORS: &str = include_str!("vectors/rfc-other/rfc7515_appendix_a.json");

/// The example of one section (`"A.1"`, …, `"E"`).
fn example(section: &str) -> Value {
    parse(VECTORS)["examples"]
        .as_array()
        .expect("examples")
        .iter()
        .find(|e| e["section"] == section)
        .cloned()
        .unwrap_or_else(|| panic!("section {section} is in the vectors"))
}

/// Verifies the example's compact form with its own key (public half only) and checks the
/// header and payload that come out. Returns the verifying key.
fn verifies(ex: &Value, alg: Algorithm) -> VerifyingKey {
    let key = VerifyingKey::from_jwk(&jwk(&ex["jwk"]), None).expect("example key loads");
    // None of these keys has `alg`: the key type's default must be the example's algorithm.
    assert_eq!(key.algorithm(), alg);
    let compact = text(ex, "/compact");
    assert_eq!(
        compact,
        format!(
            "{}.{}",
            text(ex, "/signing_input"),
            text(ex, "/signature_b64u")
        ),
        "the vector is self-consistent"
    );
    let verified = compact::verify(compact, &key, DEFAULT_MAX_LEN).expect("example verifies");
    assert_eq!(verified.header.alg, alg);
    assert_eq!(verified.payload, text(ex, "/payload").as_bytes());
    key
}

/// Signs the example's exact signing input with its private key and expects its signature.
fn signs_byte_for_byte(ex: &Value) -> SigningKey {
    let key = SigningKey::from_jwk(&jwk(&ex["jwk"]), None).expect("private key loads");
    let signature = key
        .sign(text(ex, "/signing_input").as_bytes())
        .expect("signs");
    assert_eq!(signature, unb64(text(ex, "/signature_b64u")));
    key
}

/// The same payload with a flipped bit fails with the example's signature.
fn tampering_fails(ex: &Value, key: &VerifyingKey) {
    let mut payload = text(ex, "/payload").as_bytes().to_vec();
    payload[0] ^= 1;
    let forged = format!(
        "{}.{}.{}",
        text(ex, "/protected_b64u"),
        tessera_jose::b64::encode(&payload),
        text(ex, "/signature_b64u")
    );
    assert_eq!(
        code(compact::verify(&forged, key, DEFAULT_MAX_LEN)),
        "signature_invalid"
    );
}

#[test]
fn a1_hs256_verifies_and_signs_byte_for_byte() {
    let ex = example("A.1");
    let key = verifies(&ex, Algorithm::HS256);
    signs_byte_for_byte(&ex);
    tampering_fails(&ex, &key);
    // The header bytes hold CR LF and `typ` first, so only the raw signing input can be
    // reproduced, not the compact form through our header serializer.
    let verified = compact::verify(text(&ex, "/compact"), &key, DEFAULT_MAX_LEN).expect("valid");
    assert!(verified.header.typ_is("JWT"));
}

#[test]
fn a1_is_a_valid_jwt_until_its_exp() {
    let ex = example("A.1");
    let key = VerifyingKey::from_jwk(&jwk(&ex["jwk"]), None).expect("key");
    let exp = 1_300_819_380;
    let at = |now: i64| {
        Validator::builder()
            .issuer("joe")
            .leeway(std::time::Duration::ZERO)
            .clock(Arc::new(FixedClock(now)))
            .build()
            .verify(text(&ex, "/compact"), &key)
    };
    let token = at(exp - 1).expect("valid before exp");
    assert_eq!(token.claims.iss.as_deref(), Some("joe"));
    assert_eq!(token.claims.exp, Some(exp));
    assert_eq!(
        token.claims.get("http://example.com/is_root"),
        Some(Value::Bool(true))
    );
    assert_eq!(code(at(exp)), "jwt_expired");
}

#[test]
fn a2_rs256_verifies_and_signs_byte_for_byte() {
    let ex = example("A.2");
    let key = verifies(&ex, Algorithm::RS256);
    tampering_fails(&ex, &key);
    let signing = signs_byte_for_byte(&ex);
    // The header is exactly `{"alg":"RS256"}`, which our serializer also writes, so here the
    // whole compact output is reproducible.
    assert_eq!(text(&ex, "/protected_header"), r#"{"alg":"RS256"}"#);
    let token = compact::sign(
        &Header::new(Algorithm::RS256),
        text(&ex, "/payload").as_bytes(),
        &signing,
    )
    .expect("signs");
    assert_eq!(token, text(&ex, "/compact"));
}

#[test]
fn a3_es256_and_a4_es512_verify() {
    for (section, alg, sig_len) in [
        ("A.3", Algorithm::ES256, 64),
        ("A.4", Algorithm::ES512, 132),
    ] {
        let ex = example(section);
        let key = verifies(&ex, alg);
        tampering_fails(&ex, &key);
        // ECDSA is randomized: our own signature over the same input differs but verifies.
        let signing = SigningKey::from_jwk(&jwk(&ex["jwk"]), None).expect("private key");
        let input = text(&ex, "/signing_input");
        let signature = signing.sign(input.as_bytes()).expect("signs");
        assert_eq!(signature.len(), sig_len, "{section}: fixed-length r||s");
        key.verify(input.as_bytes(), &signature)
            .expect("own signature verifies");
    }
}

#[test]
fn a5_unsecured_jws_is_refused() {
    let ex = example("A.5");
    let compact = text(&ex, "/compact");
    assert!(compact.ends_with('.'), "empty signature");
    // Refused with every kind of key: `none` is never accepted, whatever the verifier holds.
    for section in ["A.1", "A.2", "A.3", "A.4"] {
        let key = VerifyingKey::from_jwk(&jwk(&example(section)["jwk"]), None).expect("key");
        assert_eq!(
            code(compact::verify(compact, &key, DEFAULT_MAX_LEN)),
            "alg_not_allowed",
            "{section}"
        );
    }
}

#[test]
fn e_unknown_crit_is_refused() {
    let ex = example("E");
    assert_eq!(text(&ex, "/expected_result"), "invalid");
    let key = VerifyingKey::from_jwk(&jwk(&example("A.1")["jwk"]), None).expect("key");
    assert_eq!(
        code(compact::verify(
            text(&ex, "/compact"),
            &key,
            DEFAULT_MAX_LEN
        )),
        "crit_unsupported"
    );
}

/// A.6 and A.7 are JSON serializations, which this compact-only library does not parse. Their
/// signatures sit under protected headers that form compact tokens, which must verify.
#[test]
fn a6_a7_signatures_verify_in_compact_form() {
    let a6 = example("A.6");
    let a7 = example("A.7");
    let general = &a6["json_general"];
    let flattened = &a7["json_flattened"];
    let signatures = general["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .map(|sig| (text(general, "/payload"), sig))
        .chain([(text(flattened, "/payload"), flattened)]);
    let mut checked = 0;
    for (payload, sig) in signatures {
        let protected = text(sig, "/protected");
        let header = parse(&String::from_utf8(unb64(protected)).expect("utf-8"));
        let source = if header["alg"] == "RS256" {
            "A.2"
        } else {
            "A.3"
        };
        let key = VerifyingKey::from_jwk(&jwk(&example(source)["jwk"]), None).expect("key");
        let token = format!("{protected}.{payload}.{}", text(sig, "/signature"));
        compact::verify(&token, &key, DEFAULT_MAX_LEN).expect("verifies");
        checked += 1;
    }
    assert_eq!(checked, 3, "two A.6 signatures and the A.7 one");
}
