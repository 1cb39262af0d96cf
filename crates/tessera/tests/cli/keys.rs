//! `tessera keys generate`.

use serde_json::Value;
use tessera_jose::Algorithm;

use crate::helpers::{run_ok, tessera};

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON output")
}

#[test]
fn generates_a_private_jwk_for_every_algorithm() {
    for alg in Algorithm::ALL {
        let jwk = json(&run_ok(&["keys", "generate", "--alg", alg.as_str()]));
        assert_eq!(jwk["alg"], alg.as_str());
        assert_eq!(jwk["use"], "sig");
        assert!(
            jwk["kid"].as_str().is_some_and(|k| k.len() == 43),
            "{alg}: thumbprint kid"
        );
        let private = if alg.is_symmetric() { "k" } else { "d" };
        assert!(
            jwk.get(private).is_some(),
            "{alg}: private member {private}"
        );
    }
}

#[test]
fn public_prints_only_the_public_half() {
    for alg in Algorithm::ALL.into_iter().filter(|a| !a.is_symmetric()) {
        let jwk = json(&run_ok(&[
            "keys",
            "generate",
            "--alg",
            alg.as_str(),
            "--public",
        ]));
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(jwk.get(private).is_none(), "{alg}: {private} leaked");
        }
    }
}

#[test]
fn public_for_an_hmac_secret_is_a_usage_error() {
    for alg in ["HS256", "HS384", "HS512"] {
        tessera()
            .args(["keys", "generate", "--alg", alg, "--public"])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicates::str::contains("no public half"));
    }
}

#[test]
fn pem_format_for_asymmetric_keys() {
    let private = run_ok(&["keys", "generate", "--alg", "ES384", "--format", "pem"]);
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
    let public = run_ok(&[
        "keys", "generate", "--alg", "EdDSA", "--format", "pem", "--public",
    ]);
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    tessera()
        .args(["keys", "generate", "--alg", "HS256", "--format", "pem"])
        .assert()
        .code(2);
}

#[test]
fn kid_and_rsa_bits_can_be_chosen() {
    let jwk = json(&run_ok(&[
        "keys", "generate", "--alg", "PS384", "--bits", "3072", "--kid", "2026-01",
    ]));
    assert_eq!(jwk["kid"], "2026-01");
    let modulus = jwk["n"].as_str().expect("n");
    assert_eq!(
        modulus.len(),
        512,
        "3072-bit modulus is 384 bytes of base64url"
    );
    tessera()
        .args(["keys", "generate", "--alg", "ES256", "--bits", "2048"])
        .assert()
        .code(2);
    tessera()
        .args(["keys", "generate", "--alg", "RS256", "--bits", "1024"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("key_unsupported"));
}

#[test]
fn unknown_or_none_algorithms_are_usage_errors() {
    for alg in ["none", "es256", "RS1"] {
        tessera()
            .args(["keys", "generate", "--alg", alg])
            .assert()
            .code(2)
            .stderr(predicates::str::contains("unknown algorithm"));
    }
}
