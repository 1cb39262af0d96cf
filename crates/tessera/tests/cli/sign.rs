//! `tessera token sign`.

use predicates::str::contains;
use serde_json::Value;
use tessera_jose::Algorithm;

use crate::helpers::{Dir, generate, now, public_jwk, run_ok, sign, tessera};

/// The token's header and claims, as `token decode --json` shows them.
fn decoded(token: &str) -> (Value, Value) {
    let report: Value =
        serde_json::from_str(&run_ok(&["token", "decode", "--json", token])).expect("json");
    (report["header"].clone(), report["claims"].clone())
}

#[test]
fn sets_iat_and_exp_from_the_ttl_and_a_thumbprint_kid() {
    let dir = Dir::new();
    let private = generate(Algorithm::EdDSA);
    let key = dir.write("key.jwk", &private);
    let before = now();
    let token = sign(&key, r#"{"sub":"alice"}"#, &["--ttl", "2h"]);
    let (header, claims) = decoded(&token);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "JWT");
    let jwk: Value = serde_json::from_str(&private).expect("jwk");
    assert_eq!(header["kid"], jwk["kid"]);
    let iat = claims["iat"].as_i64().expect("iat");
    assert!((before..=before + 5).contains(&iat));
    assert_eq!(claims["exp"].as_i64(), Some(iat + 7_200));
}

#[test]
fn default_ttl_is_15_minutes_and_given_times_are_kept() {
    let dir = Dir::new();
    let key = dir.write("key.jwk", generate(Algorithm::ES256));
    let (_, claims) = decoded(&sign(&key, "{}", &[]));
    assert_eq!(
        claims["exp"]
            .as_i64()
            .zip(claims["iat"].as_i64())
            .map(|(e, i)| e - i),
        Some(900)
    );
    let (_, claims) = decoded(&sign(&key, r#"{"iat":1000,"exp":2000}"#, &["--ttl", "7d"]));
    assert_eq!(
        (claims["iat"].as_i64(), claims["exp"].as_i64()),
        (Some(1000), Some(2000))
    );
}

#[test]
fn kid_and_alg_can_be_chosen_and_claims_read_from_a_file() {
    let dir = Dir::new();
    let key = dir.write("rsa.jwk", generate(Algorithm::RS256));
    let stripped = {
        // Without an alg member the RSA key may sign PS256 too.
        let mut jwk: Value =
            serde_json::from_str(&std::fs::read_to_string(&key).expect("read")).expect("jwk");
        jwk.as_object_mut().expect("object").remove("alg");
        dir.write("rsa-noalg.jwk", jwk.to_string())
    };
    let claims = dir.write("claims.json", r#"{"sub":"svc","scope":"orders:read"}"#);
    let token = sign(
        &stripped,
        &format!("@{claims}"),
        &["--alg", "PS256", "--kid", "2026-01"],
    );
    let (header, claims) = decoded(&token);
    assert_eq!(
        (header["alg"].as_str(), header["kid"].as_str()),
        (Some("PS256"), Some("2026-01"))
    );
    assert_eq!(claims["scope"], "orders:read");
    tessera()
        .args([
            "token", "sign", "--key", &key, "--alg", "PS256", "--claims", "{}",
        ])
        .assert()
        .code(2)
        .stderr(contains("key_alg_mismatch"));
}

#[test]
fn claims_can_come_from_stdin() {
    let dir = Dir::new();
    let key = dir.write("key.jwk", generate(Algorithm::ES256));
    let out = tessera()
        .args(["token", "sign", "--key", &key, "--claims", "@-"])
        .write_stdin(r#"{"sub":"from-stdin"}"#)
        .output()
        .expect("run");
    assert!(out.status.success());
    let (_, claims) = decoded(String::from_utf8_lossy(&out.stdout).trim());
    assert_eq!(claims["sub"], "from-stdin");
}

#[test]
fn public_keys_and_bad_claims_are_usage_errors() {
    let dir = Dir::new();
    let private = generate(Algorithm::ES256);
    let key = dir.write("key.jwk", &private);
    let public = dir.write("pub.jwk", public_jwk(&private));
    tessera()
        .args(["token", "sign", "--key", &public, "--claims", "{}"])
        .assert()
        .code(2)
        .stderr(contains("holds a public key"));
    for bad in ["[1]", "{\"exp\":\"soon\"}", "{\"a\":1,\"a\":2}", "not json"] {
        tessera()
            .args(["token", "sign", "--key", &key, "--claims", bad])
            .assert()
            .code(2)
            .stdout("")
            .stderr(contains("error: --claims"));
    }
    tessera()
        .args([
            "token", "sign", "--key", &key, "--claims", "{}", "--ttl", "soon",
        ])
        .assert()
        .code(2);
}

#[test]
fn sensitive_claims_are_signed_with_a_warning() {
    let dir = Dir::new();
    let key = dir.write("key.jwk", generate(Algorithm::ES256));
    tessera()
        .args([
            "token",
            "sign",
            "--key",
            &key,
            "--claims",
            r#"{"password":"x"}"#,
        ])
        .assert()
        .success()
        .stderr(contains("warning: claim `password`"));
}
