//! RFC 7520 (JOSE Cookbook): the §3 keys load (and the encryption key is refused for
//! signatures), and the §4 signatures that have a compact form verify; the deterministic ones
//! (RS256, HS256) are reproduced byte for byte.

mod common;

use serde_json::Value;
use tessera_jose::jws::Header;
use tessera_jose::jws::compact::{self, DEFAULT_MAX_LEN};
use tessera_jose::{Algorithm, Jwk, JwkSet, KeySet, SigningKey, VerifyingKey, b64};

use common::{code, jwk, parse, text};

const KID: &str = "bilbo.baggins@hobbiton.example";
const HMAC_KID: &str = "018c0ae5-4d9b-471b-bfd6-eef314bc7037";

fn key_file(name: &str) -> Jwk {
    let json = match name {
        "3_1" => include_str!("vectors/rfc7520/jwk/3_1.ec_public_key.json"),
        "3_2" => include_str!("vectors/rfc7520/jwk/3_2.ec_private_key.json"),
        "3_3" => include_str!("vectors/rfc7520/jwk/3_3.rsa_public_key.json"),
        "3_4" => include_str!("vectors/rfc7520/jwk/3_4.rsa_private_key.json"),
        "3_5" => include_str!("vectors/rfc7520/jwk/3_5.symmetric_key_mac_computation.json"),
        "3_6" => include_str!("vectors/rfc7520/jwk/3_6.symmetric_key_encryption.json"),
        other => panic!("no key file {other}"),
    };
    Jwk::from_json(json.as_bytes()).expect("cookbook JWK parses")
}

#[test]
fn section3_signature_keys_load() {
    // (file, public half, private half or None, the algorithm the key type implies)
    for (public, private, alg) in [
        ("3_1", Some("3_2"), Algorithm::ES512),
        ("3_3", Some("3_4"), Algorithm::RS256),
        ("3_5", None, Algorithm::HS256),
    ] {
        let verifying = VerifyingKey::from_jwk(&key_file(public), None).expect(public);
        assert_eq!(verifying.algorithm(), alg, "{public}");
        let signing = SigningKey::from_jwk(&key_file(private.unwrap_or(public)), None)
            .unwrap_or_else(|e| panic!("{private:?}: {e}"));
        assert_eq!(signing.algorithm(), alg);
        let own = signing.verifying_key().expect("public half");
        assert_eq!(
            own.thumbprint(),
            verifying.thumbprint(),
            "{public}: same key"
        );
        // Each private key's signature verifies with the published public key.
        let signature = signing.sign(b"cookbook").expect("signs");
        verifying
            .verify(b"cookbook", &signature)
            .expect("verifies with the public JWK");
    }
    assert_eq!(
        VerifyingKey::from_jwk(&key_file("3_1"), None)
            .expect("3_1")
            .kid(),
        KID
    );
    assert_eq!(
        VerifyingKey::from_jwk(&key_file("3_5"), None)
            .expect("3_5")
            .kid(),
        HMAC_KID
    );
}

#[test]
fn section3_encryption_key_is_refused_for_signatures() {
    let key = key_file("3_6");
    assert_eq!(key.alg.as_deref(), Some("A256GCM"));
    assert_eq!(
        code(VerifyingKey::from_jwk(&key, None)),
        "key_use_not_permitted"
    );
    assert_eq!(
        code(SigningKey::from_jwk(&key, None)),
        "key_use_not_permitted"
    );
    // Without `use`, its `alg` alone still keeps it out: A256GCM is not a JWS algorithm.
    let mut no_use = key.clone();
    no_use.use_ = None;
    assert_eq!(
        code(VerifyingKey::from_jwk(&no_use, None)),
        "key_unsupported"
    );
    assert_eq!(code(SigningKey::from_jwk(&no_use, None)), "key_unsupported");
    assert_eq!(
        code(VerifyingKey::from_jwk(&no_use, Some(Algorithm::HS256))),
        "key_unsupported"
    );
    // A JWKS may publish it beside signing keys; the set skips it.
    let mut jwks = JwkSet::default();
    jwks.keys.push(key);
    assert!(KeySet::from_jwks(&jwks, &[]).expect("set").is_empty());
}

/// What a §4 example is, and how it is checked.
enum Case {
    /// A compact form to verify; `exact` when the signature is deterministic.
    Compact { exact: bool },
    /// A compact form with a detached payload (§4.5).
    Detached,
    /// Only JSON serializations exist; the library is compact-only. The reason is recorded.
    JsonOnly(&'static str),
}

const SECTION4: [(&str, &str, Case); 8] = [
    (
        "4.1",
        include_str!("vectors/rfc7520/jws/4_1.rsa_v15_signature.json"),
        Case::Compact { exact: true },
    ),
    (
        "4.2",
        include_str!("vectors/rfc7520/jws/4_2.rsa-pss_signature.json"),
        Case::Compact { exact: false },
    ),
    (
        "4.3",
        include_str!("vectors/rfc7520/jws/4_3.ecdsa_signature.json"),
        Case::Compact { exact: false },
    ),
    (
        "4.4",
        include_str!("vectors/rfc7520/jws/4_4.hmac-sha2_integrity_protection.json"),
        Case::Compact { exact: true },
    ),
    (
        "4.5",
        include_str!("vectors/rfc7520/jws/4_5.signature_with_detached_content.json"),
        Case::Detached,
    ),
    (
        "4.6",
        include_str!("vectors/rfc7520/jws/4_6.protecting_specific_header_fields.json"),
        Case::JsonOnly("its kid is in the unprotected header, which compact form cannot carry"),
    ),
    (
        "4.7",
        include_str!("vectors/rfc7520/jws/4_7.protecting_content_only.json"),
        Case::JsonOnly("it has no protected header at all, so alg is unprotected"),
    ),
    (
        "4.8",
        include_str!("vectors/rfc7520/jws/4_8.multiple_signatures.json"),
        Case::JsonOnly("it has three signatures; compact form carries exactly one"),
    ),
];

/// The example's key, bound to the example's algorithm.
///
/// The cookbook's RSA and EC keys carry no `alg` (one RSA key serves RS256 and PS384), and
/// their type's default would be RS256 or ES512. The example names its algorithm in
/// `input.alg`, the setting an application would configure, so that is passed explicitly; the
/// token's header is never what picks it.
fn example_alg(example: &Value) -> Algorithm {
    text(example, "/input/alg").parse().expect("a JWS alg")
}

fn verifying_key(example: &Value) -> VerifyingKey {
    VerifyingKey::from_jwk(&jwk(&example["input"]["key"]), Some(example_alg(example)))
        .expect("example key loads")
}

fn check_compact(example: &Value, exact: bool) {
    let key = verifying_key(example);
    let compact = text(example, "/output/compact");
    let verified = compact::verify(compact, &key, DEFAULT_MAX_LEN).expect("verifies");
    assert_eq!(verified.payload, text(example, "/input/payload").as_bytes());
    assert_eq!(verified.header.alg, example_alg(example));
    assert_eq!(verified.header.kid.as_deref(), Some(key.kid()));
    if exact {
        let alg = example_alg(example);
        let signing = SigningKey::from_jwk(&jwk(&example["input"]["key"]), Some(alg))
            .expect("private key loads");
        // The cookbook header is `{"alg":…,"kid":…}`, exactly what our serializer writes.
        let header = Header::new(alg).with_kid(key.kid());
        let payload = text(example, "/input/payload").as_bytes();
        let token = compact::sign(&header, payload, &signing).expect("signs");
        assert_eq!(token, compact, "byte-for-byte compact output");
    }
}

/// §4.5: `header..signature`. Without its payload it must not verify; with the payload put
/// back (RFC 7515 Appendix F) it does.
fn check_detached(example: &Value) {
    let key = verifying_key(example);
    let detached = text(example, "/output/compact");
    let (header, signature) = detached.split_once("..").expect("detached form");
    assert_eq!(
        code(compact::verify(detached, &key, DEFAULT_MAX_LEN)),
        "signature_invalid"
    );
    let payload = b64::encode(text(example, "/input/payload").as_bytes());
    let attached = format!("{header}.{payload}.{signature}");
    compact::verify(&attached, &key, DEFAULT_MAX_LEN).expect("verifies with its payload");
}

#[test]
fn section4_compact_examples() {
    let mut verified = 0;
    let mut skipped = Vec::new();
    for (section, json, case) in &SECTION4 {
        let example = parse(json);
        match case {
            Case::Compact { exact } => check_compact(&example, *exact),
            Case::Detached => check_detached(&example),
            Case::JsonOnly(why) => {
                // Skipped because there is no compact form to test: make sure of that.
                assert!(
                    example["output"].get("compact").is_none(),
                    "{section} has a compact form after all"
                );
                skipped.push(format!("§{section}: {why}"));
                continue;
            }
        }
        verified += 1;
    }
    println!("RFC 7520 §4: {verified} verified, skipped {skipped:#?}");
    assert_eq!((verified, skipped.len()), (5, 3));
}

#[test]
fn section4_tampered_examples_fail() {
    for (section, json, case) in &SECTION4[..4] {
        assert!(matches!(case, Case::Compact { .. }));
        let example = parse(json);
        let key = verifying_key(&example);
        let compact = text(&example, "/output/compact");
        let (input, _) = compact.rsplit_once('.').expect("three parts");
        let forged = format!("{input}.{}", b64::encode(&[0u8; 64]));
        assert_eq!(
            code(compact::verify(&forged, &key, DEFAULT_MAX_LEN)),
            "signature_invalid",
            "{section}"
        );
    }
}
