//! `tessera jws verify` against the RFC 7520 §4.1 vector (RSA v1.5, a non-JSON payload).

use predicates::str::contains;
use serde_json::Value;

use crate::helpers::{Dir, tessera};

const VECTOR: &str = include_str!("../data/rfc7520-4.1-rsa_v15_signature.json");

struct Vector {
    dir: Dir,
    jwk: String,
    compact: String,
    payload: String,
}

fn vector() -> Vector {
    let doc: Value = serde_json::from_str(VECTOR).expect("vector JSON");
    let dir = Dir::new();
    let jwk = dir.write("bilbo.jwk", doc["input"]["key"].to_string());
    let text = |v: &Value| v.as_str().expect("string").to_owned();
    Vector {
        dir,
        jwk,
        compact: text(&doc["output"]["compact"]),
        payload: text(&doc["input"]["payload"]),
    }
}

#[test]
fn rfc7520_4_1_prints_the_payload_bytes_exactly() {
    let v = vector();
    let output = tessera()
        .args(["jws", "verify", "--jwk", &v.jwk, &v.compact])
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.stdout, v.payload.as_bytes());
    tessera()
        .args(["jws", "verify", "--jwk", &v.jwk, "--alg", "RS256"])
        .write_stdin(v.compact.clone())
        .assert()
        .success()
        .stdout(v.payload.clone());
}

#[test]
fn tampered_or_mismatched_jws_exits_1() {
    let v = vector();
    let mut parts: Vec<String> = v.compact.split('.').map(str::to_owned).collect();
    parts[1] = tessera_jose::b64::encode(b"It's a safe business, Frodo.");
    tessera()
        .args(["jws", "verify", "--jwk", &v.jwk, &parts.join(".")])
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains("(signature_invalid)"));
    tessera()
        .args([
            "jws", "verify", "--jwk", &v.jwk, "--alg", "PS256", &v.compact,
        ])
        .assert()
        .code(1)
        .stderr(contains("(alg_not_allowed)"));
}

#[test]
fn token_verify_refuses_the_non_json_payload_after_the_signature_holds() {
    let v = vector();
    tessera()
        .args(["token", "verify", "--key", &v.jwk, &v.compact])
        .assert()
        .code(1)
        .stderr(contains("tessera jws verify"));
}

#[test]
fn unusable_keys_exit_2() {
    let v = vector();
    let missing = v.dir.path("nope.jwk");
    tessera()
        .args([
            "jws",
            "verify",
            "--jwk",
            missing.to_str().expect("utf-8"),
            &v.compact,
        ])
        .assert()
        .code(2);
    tessera()
        .args([
            "jws", "verify", "--jwk", &v.jwk, "--alg", "ES256", &v.compact,
        ])
        .assert()
        .code(2)
        .stderr(contains("does not fit"));
}
