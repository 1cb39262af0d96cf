//! JWE both ways with joserfc (Python) and `jose` (Node): for every alg/enc pair both sides
//! support (every one tessera-jose supports: RSA-OAEP, RSA-OAEP-256, ECDH-ES and
//! ECDH-ES+A128KW/A256KW on P-256, P-384 and X25519, A128KW, A256KW and dir, each with A128GCM,
//! A256GCM, A128CBC-HS256 and A256CBC-HS512), their JWEs decrypt with tessera-jose and ours
//! decrypt with them.

use serde_json::{Value, json};
use tessera_jose::jwe::compact::{self, DEFAULT_MAX_LEN};
use tessera_jose::jwe::{ContentEncryption, DecryptionKey, EcdhCurve, KeyAlgorithm};

use crate::tools::{Runtime, json_output};

/// One recipient key and the content encryption it is used with.
struct Pair {
    key: DecryptionKey,
    enc: ContentEncryption,
    label: String,
}

/// Every supported pair, with a fresh key per (alg, curve); a `dir` key per enc.
fn pairs() -> Vec<Pair> {
    let mut pairs = Vec::new();
    for alg in KeyAlgorithm::ALL {
        let curves: &[Option<EcdhCurve>] = if alg.is_ecdh() {
            &[
                Some(EcdhCurve::P256),
                Some(EcdhCurve::P384),
                Some(EcdhCurve::X25519),
            ]
        } else {
            &[None]
        };
        for curve in curves {
            let shared = (alg != KeyAlgorithm::Dir)
                .then(|| DecryptionKey::generate(alg, *curve, None).expect("key"));
            for enc in ContentEncryption::ALL {
                let key = match &shared {
                    Some(key) => DecryptionKey::from_jwk(&key.to_jwk(), None).expect("same key"),
                    None => DecryptionKey::generate(alg, None, Some(enc)).expect("dir key"),
                };
                let curve_name = curve.map(|c| format!(" {}", c.name())).unwrap_or_default();
                let label = format!("{alg}{curve_name} {enc}");
                pairs.push(Pair { key, enc, label });
            }
        }
    }
    pairs
}

fn jwk_value(jwk: &tessera_jose::Jwk) -> Value {
    serde_json::to_value(jwk).expect("JWK JSON")
}

fn plaintext_for(label: &str) -> String {
    format!("interop {label}: ünïcödé ✓")
}

/// Their JWEs, made with our public keys, decrypt with our private keys.
fn theirs_decrypt_with_ours(runtime: Runtime, script: &str) {
    let pairs = pairs();
    let cases: Vec<Value> = pairs
        .iter()
        .map(|p| {
            let public = p.key.encryption_key().expect("public").to_jwk();
            json!({
                "jwk": jwk_value(&public),
                "alg": p.key.algorithm().as_str(),
                "enc": p.enc.as_str(),
                "plaintext": plaintext_for(&p.label),
            })
        })
        .collect();
    let input = json!({"mode": "encrypt", "cases": cases}).to_string();
    let results = json_output(script, &runtime.run(script, &[], &input));
    let results = results.as_array().expect("an array of results");
    assert_eq!(results.len(), pairs.len());
    let mut failures = Vec::new();
    for (pair, result) in pairs.iter().zip(results) {
        let Some(token) = result["jwe"].as_str() else {
            failures.push(format!(
                "{}: {} did not encrypt: {}",
                pair.label, script, result["error"]
            ));
            continue;
        };
        match compact::decrypt(token, &pair.key, DEFAULT_MAX_LEN) {
            Ok(d) if d.plaintext == plaintext_for(&pair.label).as_bytes() => {}
            Ok(_) => failures.push(format!("{}: another plaintext", pair.label)),
            Err(err) => failures.push(format!(
                "{}: we refused theirs: {err} ({})",
                pair.label,
                err.code()
            )),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Our JWEs decrypt with their library and our private keys.
fn ours_decrypt_with_theirs(runtime: Runtime, script: &str) {
    let pairs = pairs();
    let cases: Vec<Value> = pairs
        .iter()
        .map(|p| {
            let public = p.key.encryption_key().expect("public");
            let token = compact::encrypt(
                &public.header(p.enc),
                plaintext_for(&p.label).as_bytes(),
                &public,
            )
            .expect("encrypt");
            json!({
                "jwk": jwk_value(&p.key.to_jwk()),
                "alg": p.key.algorithm().as_str(),
                "enc": p.enc.as_str(),
                "jwe": token,
            })
        })
        .collect();
    let input = json!({"mode": "decrypt", "cases": cases}).to_string();
    let results = json_output(script, &runtime.run(script, &[], &input));
    let results = results.as_array().expect("an array of results");
    assert_eq!(results.len(), pairs.len());
    let failures: Vec<String> = pairs
        .iter()
        .zip(results)
        .filter(|(pair, result)| {
            result["plaintext"].as_str() != Some(plaintext_for(&pair.label).as_str())
        })
        .map(|(pair, result)| format!("{}: {script} refused ours: {}", pair.label, result["error"]))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

mod joserfc {
    use super::*;

    #[test]
    #[ignore = "needs python3 with interop/python/requirements.txt (joserfc)"]
    fn their_jwes_decrypt_with_tessera() {
        theirs_decrypt_with_ours(Runtime::Python, "jwe.py");
    }

    #[test]
    #[ignore = "needs python3 with interop/python/requirements.txt (joserfc)"]
    fn tessera_jwes_decrypt_with_joserfc() {
        ours_decrypt_with_theirs(Runtime::Python, "jwe.py");
    }
}

mod jose {
    use super::*;

    #[test]
    #[ignore = "needs node and `npm ci --prefix interop/node` (jose)"]
    fn their_jwes_decrypt_with_tessera() {
        theirs_decrypt_with_ours(Runtime::Node, "jwe.mjs");
    }

    #[test]
    #[ignore = "needs node and `npm ci --prefix interop/node` (jose)"]
    fn tessera_jwes_decrypt_with_jose() {
        ours_decrypt_with_theirs(Runtime::Node, "jwe.mjs");
    }
}
