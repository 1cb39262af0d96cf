//! JWE conformance: RFC 7516 Appendix A, RFC 7520 §5 and §6 (JOSE Cookbook), the cookbook's
//! X25519 ECDH-ES example (RFC 8037 keys), and every Wycheproof JWE case. Cases whose
//! algorithms are refused (RSA1_5, PBES2, A*GCMKW, zip) are run and must be refused with the
//! expected code. RFC 7518 Appendix B and C are checked in the crate's unit tests, where the
//! content cipher and the key agreement are reachable.

mod common;

use serde_json::Value;
use tessera_jose::jwe::compact::{self, DEFAULT_MAX_LEN};
use tessera_jose::jwe::{ContentEncryption, DecryptionKey, KeyAlgorithm};
use tessera_jose::jws::compact as jws;
use tessera_jose::{Jwk, VerifyingKey};

use common::{code, jwk, parse, text, unhex};

/// The JWE's protected header as JSON (the test's own peek, for choosing a key's algorithm).
fn header_of(token: &str) -> Value {
    let part = token.split('.').next().unwrap_or_default();
    tessera_jose::b64::decode(part.as_bytes())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
}

/// Decrypts with the vector's key. A vector key without `alg` is bound to the JWE's `alg`,
/// as a recipient who knows what it expects binds it; a key with `alg` keeps its own.
fn decrypt(key: &Value, token: &str) -> Result<Vec<u8>, tessera_jose::Error> {
    let jwk = jwk(key);
    let alg = match &jwk.alg {
        Some(_) => None,
        None => header_of(token)["alg"]
            .as_str()
            .and_then(|a| a.parse::<KeyAlgorithm>().ok()),
    };
    let key = DecryptionKey::from_jwk(&jwk, alg)?;
    compact::decrypt(token, &key, DEFAULT_MAX_LEN).map(|d| d.plaintext)
}

#[test]
fn rfc7516_appendix_a() {
    let doc = parse(include_str!("vectors/rfc-other/rfc7516_appendix_a.json"));
    let examples = doc["examples"].as_array().expect("examples");
    let by_section = |s: &str| {
        examples
            .iter()
            .find(|e| e["section"] == s)
            .unwrap_or_else(|| panic!("section {s}"))
    };
    for section in ["A.1", "A.3"] {
        let e = by_section(section);
        let plaintext = decrypt(&e["jwk"], text(e, "/compact")).expect(section);
        assert_eq!(plaintext, text(e, "/plaintext").as_bytes(), "{section}");
    }
    // A.2 is RSA1_5: refused by name, whichever key is offered.
    let a2 = by_section("A.2");
    assert_eq!(
        code(decrypt(&a2["jwk"], text(a2, "/compact"))),
        "alg_insecure"
    );
    let mut rsa = a2["jwk"].clone();
    rsa["alg"] = "RSA-OAEP".into();
    assert_eq!(code(decrypt(&rsa, text(a2, "/compact"))), "alg_insecure");
    // A.4 and A.5 are JSON serializations, which this compact-only library does not read.
    for section in ["A.4", "A.5"] {
        assert!(by_section(section).get("compact").is_none(), "{section}");
    }
}

/// The cookbook's §5 files: (file, what decrypting the compact form must give).
const COOKBOOK: [(&str, &str); 13] = [
    (
        "5_1.key_encryption_using_rsa_v15_and_aes-hmac-sha2.json",
        "alg_insecure",
    ),
    ("5_2.key_encryption_using_rsa-oaep_with_aes-gcm.json", "ok"),
    (
        "5_3.key_wrap_using_pbes2-aes-keywrap_with-aes-cbc-hmac-sha2.json",
        "pbes2",
    ),
    (
        "5_4.key_agreement_with_key_wrapping_using_ecdh-es_and_aes-keywrap_with_aes-gcm.json",
        "ok",
    ),
    (
        "5_5.key_agreement_using_ecdh-es_with_aes-cbc-hmac-sha2.json",
        "ok",
    ),
    ("5_6.direct_encryption_using_aes-gcm.json", "ok"),
    (
        "5_7.key_wrap_using_aes-gcm_keywrap_with_aes-cbc-hmac-sha2.json",
        "key_unsupported",
    ),
    ("5_8.key_wrap_using_aes-keywrap_with_aes-gcm.json", "ok"),
    ("5_9.compressed_content.json", "zip_unsupported"),
    (
        "5_10.including_additional_authentication_data.json",
        "no compact form",
    ),
    (
        "5_11.protecting_specific_header_fields.json",
        "no compact form",
    ),
    ("5_12.protecting_content_only.json", "no compact form"),
    (
        "5_13.encrypting_to_multiple_recipients.json",
        "no compact form",
    ),
];

fn cookbook_file(name: &str) -> &'static str {
    match name {
        "5_1.key_encryption_using_rsa_v15_and_aes-hmac-sha2.json" => include_str!(
            "vectors/rfc7520/jwe/5_1.key_encryption_using_rsa_v15_and_aes-hmac-sha2.json"
        ),
        "5_2.key_encryption_using_rsa-oaep_with_aes-gcm.json" => {
            include_str!("vectors/rfc7520/jwe/5_2.key_encryption_using_rsa-oaep_with_aes-gcm.json")
        }
        "5_3.key_wrap_using_pbes2-aes-keywrap_with-aes-cbc-hmac-sha2.json" => include_str!(
            "vectors/rfc7520/jwe/5_3.key_wrap_using_pbes2-aes-keywrap_with-aes-cbc-hmac-sha2.json"
        ),
        "5_4.key_agreement_with_key_wrapping_using_ecdh-es_and_aes-keywrap_with_aes-gcm.json" => {
            include_str!(
                "vectors/rfc7520/jwe/5_4.key_agreement_with_key_wrapping_using_ecdh-es_and_aes-keywrap_with_aes-gcm.json"
            )
        }
        "5_5.key_agreement_using_ecdh-es_with_aes-cbc-hmac-sha2.json" => include_str!(
            "vectors/rfc7520/jwe/5_5.key_agreement_using_ecdh-es_with_aes-cbc-hmac-sha2.json"
        ),
        "5_6.direct_encryption_using_aes-gcm.json" => {
            include_str!("vectors/rfc7520/jwe/5_6.direct_encryption_using_aes-gcm.json")
        }
        "5_7.key_wrap_using_aes-gcm_keywrap_with_aes-cbc-hmac-sha2.json" => include_str!(
            "vectors/rfc7520/jwe/5_7.key_wrap_using_aes-gcm_keywrap_with_aes-cbc-hmac-sha2.json"
        ),
        "5_8.key_wrap_using_aes-keywrap_with_aes-gcm.json" => {
            include_str!("vectors/rfc7520/jwe/5_8.key_wrap_using_aes-keywrap_with_aes-gcm.json")
        }
        "5_9.compressed_content.json" => {
            include_str!("vectors/rfc7520/jwe/5_9.compressed_content.json")
        }
        "5_10.including_additional_authentication_data.json" => {
            include_str!("vectors/rfc7520/jwe/5_10.including_additional_authentication_data.json")
        }
        "5_11.protecting_specific_header_fields.json" => {
            include_str!("vectors/rfc7520/jwe/5_11.protecting_specific_header_fields.json")
        }
        "5_12.protecting_content_only.json" => {
            include_str!("vectors/rfc7520/jwe/5_12.protecting_content_only.json")
        }
        "5_13.encrypting_to_multiple_recipients.json" => {
            include_str!("vectors/rfc7520/jwe/5_13.encrypting_to_multiple_recipients.json")
        }
        other => panic!("no cookbook file {other}"),
    }
}

#[test]
fn rfc7520_section5_cookbook() {
    for (name, expected) in COOKBOOK {
        let doc = parse(cookbook_file(name));
        let compact_form = doc["output"]["compact"].as_str();
        if expected == "no compact form" {
            assert!(compact_form.is_none(), "{name} has a compact form");
            continue;
        }
        let token = compact_form.unwrap_or_else(|| panic!("{name}: compact"));
        let key = &doc["input"]["key"];
        match expected {
            "ok" => {
                let plaintext = decrypt(key, token).expect(name);
                assert_eq!(
                    plaintext,
                    text(&doc, "/input/plaintext").as_bytes(),
                    "{name}"
                );
            }
            // PBES2 has a password, not a key: the JWE's own header refuses it.
            "pbes2" => {
                let any_key =
                    DecryptionKey::generate(KeyAlgorithm::A128Kw, None, None).expect("key");
                let err = compact::decrypt(token, &any_key, DEFAULT_MAX_LEN).expect_err(name);
                assert_eq!(err.code(), "alg_not_allowed", "{name}");
            }
            _ => assert_eq!(code(decrypt(key, token)), expected, "{name}"),
        }
    }
    // 5.7's key is an A256GCMKW key (refused when loaded); its JWE is refused by its header.
    let doc = parse(cookbook_file(COOKBOOK[6].0));
    let token = text(&doc, "/output/compact");
    let key = DecryptionKey::generate(KeyAlgorithm::A256Kw, None, None).expect("key");
    assert_eq!(
        code(compact::decrypt(token, &key, DEFAULT_MAX_LEN)),
        "alg_not_allowed"
    );
    // 5.9 is refused for its zip even with a key that would otherwise do.
    let doc = parse(cookbook_file(COOKBOOK[8].0));
    assert_eq!(
        code(decrypt(&doc["input"]["key"], text(&doc, "/output/compact"))),
        "zip_unsupported"
    );
}

#[test]
fn rfc7520_section6_nested_signature_inside_encryption() {
    let doc = parse(include_str!(
        "vectors/rfc7520/6.nesting_signatures_and_encryption.json"
    ));
    let inner = decrypt(
        &doc["encrypt"]["input"]["key"],
        text(&doc, "/encrypt/output/compact"),
    )
    .expect("decrypts");
    assert_eq!(inner, text(&doc, "/sign/output/compact").as_bytes());
    let alg = text(&doc, "/sign/input/alg").parse().expect("a JWS alg");
    let key = VerifyingKey::from_jwk(&jwk(&doc["sign"]["input"]["key"]), Some(alg)).expect("key");
    let verified = jws::verify(
        std::str::from_utf8(&inner).expect("text"),
        &key,
        jws::DEFAULT_MAX_LEN,
    )
    .expect("inner signature verifies");
    assert!(!verified.payload.is_empty());
}

#[test]
fn rfc8037_cookbook_x25519_ecdh_es() {
    let doc = parse(include_str!(
        "vectors/rfc-other/rfc8037-cookbook/ecdh-es.json"
    ));
    let plaintext = decrypt(&doc["input"]["key"], text(&doc, "/output/compact")).expect("decrypts");
    assert_eq!(plaintext, text(&doc, "/input/plaintext").as_bytes());
}

/// What a Wycheproof case must give: `"ok"`, a code, or `None` for "any refusal".
fn wycheproof_expectation(group: &Value, test: &Value) -> Option<&'static str> {
    let flags: Vec<&str> = test["flags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if flags.contains(&"JsonSerialization") {
        return Some("token_malformed");
    }
    if test["jwe"]
        .as_str()
        .is_some_and(|jwe| header_of(jwe).get("zip").is_some())
    {
        return Some("zip_unsupported");
    }
    let key_alg = group["private"]["alg"].as_str().unwrap_or_default();
    let supported_key =
        key_alg.parse::<KeyAlgorithm>().is_ok() || key_alg.parse::<ContentEncryption>().is_ok();
    let enc_ok = test["enc"]
        .as_str()
        .is_none_or(|enc| enc.parse::<ContentEncryption>().is_ok());
    match test["result"].as_str() {
        Some("valid") if supported_key && enc_ok => Some("ok"),
        Some("valid") if key_alg == "RSA1_5" => Some("alg_insecure"),
        Some("valid") if !supported_key => Some("key_unsupported"),
        Some("valid") => Some("enc_not_allowed"),
        Some("invalid") if key_alg == "RSA1_5" => Some("alg_insecure"),
        Some("invalid") if !supported_key => Some("key_unsupported"),
        Some("invalid") => None,
        other => panic!("unexpected result label {other:?}"),
    }
}

#[test]
fn wycheproof_json_web_encryption() {
    let doc = parse(include_str!(
        "vectors/wycheproof/json_web_encryption_test.json"
    ));
    let mut failures = Vec::new();
    let (mut run, mut accepted) = (0, 0);
    let mut codes = std::collections::BTreeMap::<&'static str, usize>::new();
    for group in doc["testGroups"].as_array().expect("groups") {
        for test in group["tests"].as_array().expect("tests") {
            run += 1;
            let token = match &test["jwe"] {
                Value::String(token) => token.clone(),
                other => other.to_string(),
            };
            let result = decrypt(&group["private"], &token);
            let got = code(result.as_ref().map(|_| ()).map_err(Clone::clone));
            *codes.entry(got).or_default() += 1;
            let expected = wycheproof_expectation(group, test);
            let fine = match (expected, &result) {
                (Some("ok"), Ok(plaintext)) => {
                    *plaintext == unhex(test["pt"].as_str().unwrap_or_default())
                }
                (Some(code), _) => got == code,
                (None, _) => got != "ok" && got != "crypto_failure",
            };
            if got == "ok" {
                accepted += 1;
            }
            if !fine {
                failures.push(format!(
                    "tcId {} ({}): expected {expected:?}, got {got}",
                    test["tcId"], test["comment"]
                ));
            }
        }
    }
    println!("wycheproof JWE: {run} run, {accepted} accepted, codes {codes:?}");
    assert!(failures.is_empty(), "{failures:#?}");
    // The file says 135 but holds 139 (testdata README); every one is run.
    assert_eq!(run, 139);
}

#[test]
fn dir_key_bound_to_one_enc_refuses_another() {
    let doc = parse(cookbook_file(COOKBOOK[5].0));
    let mut key: Jwk = jwk(&doc["input"]["key"]);
    assert_eq!(key.alg.as_deref(), Some("A128GCM"));
    let bound = DecryptionKey::from_jwk(&key, None).expect("dir key");
    assert_eq!(bound.algorithm(), KeyAlgorithm::Dir);
    assert_eq!(bound.content_encryption(), Some(ContentEncryption::A128Gcm));
    let public = bound.encryption_key().expect("same secret");
    let header = public.header(ContentEncryption::A128CbcHs256);
    assert_eq!(
        code(compact::encrypt(&header, b"x", &public)),
        "enc_not_allowed"
    );
    key.alg = Some("A256GCM".into());
    assert_eq!(code(DecryptionKey::from_jwk(&key, None)), "key_invalid");
}
