//! `tessera jwe generate|encrypt|decrypt`, `token decode` of a JWE, and nested JWTs through
//! `token sign|verify --jwe-key`.

use predicates::str::contains;
use serde_json::{Value, json};
use tessera_jose::Algorithm;

use crate::helpers::{Dir, generate, run_ok, sign, tessera};

const RFC7516: &str = include_str!("../../../jose/tests/vectors/rfc-other/rfc7516_appendix_a.json");

fn jwe_key(args: &[&str]) -> String {
    let mut all = vec!["jwe", "generate"];
    all.extend_from_slice(args);
    run_ok(&all)
}

fn encrypt(key_flag: &str, key: &str, alg: &str, enc: &str, payload: &str) -> String {
    run_ok(&[
        "jwe", "encrypt", key_flag, key, "--alg", alg, "--enc", enc, payload,
    ])
    .trim()
    .to_owned()
}

#[test]
fn every_alg_round_trips_through_the_command_line() {
    let dir = Dir::new();
    let cases: [(&[&str], &str); 6] = [
        (&["--alg", "RSA-OAEP-256"], "A256GCM"),
        (&["--alg", "RSA-OAEP"], "A128CBC-HS256"),
        (&["--alg", "ECDH-ES", "--curve", "P-384"], "A256CBC-HS512"),
        (&["--alg", "ECDH-ES+A256KW", "--curve", "X25519"], "A128GCM"),
        (&["--alg", "A128KW"], "A256GCM"),
        (&["--alg", "dir", "--enc", "A128CBC-HS256"], "A128CBC-HS256"),
    ];
    for (generate_args, enc) in cases {
        let private = jwe_key(generate_args);
        let jwk: Value = serde_json::from_str(&private).expect("jwk");
        assert_eq!(jwk["use"], "enc");
        let alg = generate_args[1];
        let key = dir.write("key.jwk", &private);
        let token = encrypt("--jwk", &key, alg, enc, "hello\nworld");
        assert_eq!(token.split('.').count(), 5);
        tessera()
            .args(["jwe", "decrypt", "--jwk", &key])
            .write_stdin(token.clone())
            .assert()
            .success()
            .stdout("hello\nworld");
        // The public half alone encrypts, for the asymmetric keys.
        if !matches!(alg, "A128KW" | "dir") {
            let mut args = generate_args.to_vec();
            args.push("--public");
            let public = run_ok(&[&["jwe", "generate"][..], &args].concat());
            assert!(!public.contains("\"d\""), "{public}");
        }
    }
}

#[test]
fn jwks_picks_the_encryption_key() {
    let dir = Dir::new();
    let private = jwe_key(&["--alg", "ECDH-ES+A128KW"]);
    let mut public: Value = serde_json::from_str(&private).expect("jwk");
    public.as_object_mut().expect("object").remove("d");
    let signing: Value = serde_json::from_str(&generate(Algorithm::ES256)).expect("jwk");
    let jwks = dir.write("jwks.json", json!({"keys": [signing, public]}).to_string());
    let token = encrypt(
        "--jwks",
        &jwks,
        "ECDH-ES+A128KW",
        "A256GCM",
        "to the client",
    );
    let key = dir.write("key.jwk", &private);
    tessera()
        .args(["jwe", "decrypt", "--jwk", &key, &token])
        .assert()
        .success()
        .stdout("to the client");
    tessera()
        .args([
            "jwe",
            "encrypt",
            "--jwks",
            &jwks,
            "--alg",
            "RSA-OAEP-256",
            "--enc",
            "A256GCM",
            "x",
        ])
        .assert()
        .code(2)
        .stderr(contains("has no encryption key for RSA-OAEP-256"));
}

#[test]
fn rfc7516_vectors_decrypt_and_rsa1_5_is_refused() {
    let doc: Value = serde_json::from_str(RFC7516).expect("vectors");
    let dir = Dir::new();
    for example in doc["examples"].as_array().expect("examples") {
        let Some(compact) = example["compact"].as_str() else {
            continue;
        };
        let key = dir.write("key.jwk", example["jwk"].to_string());
        let assert = tessera()
            .args(["jwe", "decrypt", "--jwk", &key, compact])
            .assert();
        if example["section"] == "A.2" {
            assert
                .code(1)
                .stdout("")
                .stderr(contains("(alg_insecure)"))
                .stderr(contains("RSA-OAEP-256"));
        } else {
            assert
                .success()
                .stdout(example["plaintext"].as_str().expect("text").to_owned());
        }
    }
}

#[test]
fn refusals_exit_1_with_their_codes() {
    let dir = Dir::new();
    let key = dir.write("key.jwk", jwe_key(&["--alg", "A256KW"]));
    let other = dir.write("other.jwk", jwe_key(&["--alg", "A256KW"]));
    let rsa = dir.write("rsa.jwk", jwe_key(&["--alg", "RSA-OAEP-256"]));
    let token = encrypt("--jwk", &key, "A256KW", "A256GCM", "secret");
    let decrypt = |key: &str, token: &str| {
        tessera()
            .args(["jwe", "decrypt", "--jwk", key, token])
            .assert()
    };
    decrypt(&other, &token)
        .code(1)
        .stdout("")
        .stderr(contains("(decryption_failed)"))
        .stderr(contains("hint: the JWE was altered"));
    decrypt(&rsa, &token)
        .code(1)
        .stderr(contains("(alg_not_allowed)"));
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[3] = tessera_jose::b64::encode(b"changed!");
    decrypt(&key, &parts.join("."))
        .code(1)
        .stderr(contains("(decryption_failed)"));
    decrypt(&key, "a.b.c")
        .code(1)
        .stderr(contains("(token_malformed)"))
        .stderr(contains("token decode"));
    let zip = format!(
        "{}.AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
        tessera_jose::b64::encode(br#"{"alg":"A256KW","enc":"A256GCM","zip":"DEF"}"#)
    );
    decrypt(&key, &zip)
        .code(1)
        .stderr(contains("(zip_unsupported)"));
}

#[test]
fn bad_usage_exits_2() {
    let dir = Dir::new();
    let signing = dir.write("sig.jwk", generate(Algorithm::ES256));
    let rsa_private = jwe_key(&["--alg", "RSA-OAEP-256"]);
    let mut public: Value = serde_json::from_str(&rsa_private).expect("jwk");
    for member in ["d", "p", "q", "dp", "dq", "qi"] {
        public.as_object_mut().expect("object").remove(member);
    }
    let public = dir.write("public.jwk", public.to_string());
    let token = encrypt("--jwk", &public, "RSA-OAEP-256", "A256GCM", "x");
    tessera()
        .args(["jwe", "decrypt", "--jwk", &public, &token])
        .assert()
        .code(2)
        .stderr(contains("(key_use_not_permitted)"));
    tessera()
        .args(["jwe", "decrypt", "--jwk", &signing, &token])
        .assert()
        .code(2)
        .stderr(contains("(key_use_not_permitted)"));
    tessera()
        .args([
            "jwe", "encrypt", "--jwk", &public, "--alg", "RSA1_5", "--enc", "A256GCM", "x",
        ])
        .assert()
        .code(2)
        .stderr(contains("RSA1_5 is refused"));
    tessera()
        .args([
            "jwe", "encrypt", "--jwk", &public, "--alg", "A128KW", "--enc", "A256GCM", "x",
        ])
        .assert()
        .code(2)
        .stderr(contains("(key_alg_mismatch)"));
    tessera()
        .args(["jwe", "encrypt", "--jwk", &public, "--enc", "A256GCM", "x"])
        .assert()
        .code(2);
    tessera()
        .args(["jwe", "generate", "--alg", "A128KW", "--public"])
        .assert()
        .code(2);
    tessera()
        .args(["jwe", "generate", "--alg", "dir"])
        .assert()
        .code(2);
}

#[test]
fn decode_shows_a_jwe_header_and_says_the_payload_is_encrypted() {
    let dir = Dir::new();
    let key = dir.write("key.jwk", jwe_key(&["--alg", "ECDH-ES"]));
    let token = encrypt("--jwk", &key, "ECDH-ES", "A128GCM", "hidden");
    let out = run_ok(&["token", "decode", &token]);
    for expected in [
        "UNVERIFIED",
        "Header (JWE, RFC 7516)",
        "\"epk\"",
        "Payload: encrypted (ECDH-ES with A128GCM)",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    assert!(!out.contains("hidden"));
    let report: Value =
        serde_json::from_str(&run_ok(&["token", "decode", "--json", &token])).expect("json");
    assert_eq!(report["encrypted"], true);
    assert_eq!(report["header"]["enc"], "A128GCM");
    let doc: Value = serde_json::from_str(RFC7516).expect("vectors");
    let rsa1_5 = doc["examples"][1]["compact"].as_str().expect("A.2");
    let report: Value =
        serde_json::from_str(&run_ok(&["token", "decode", "--json", rsa1_5])).expect("json");
    assert_eq!(report["warnings"][0]["code"], "jwe_alg_insecure");
}

#[test]
fn nested_jwts_sign_then_encrypt_and_verify_decrypts_first() {
    let dir = Dir::new();
    let signing = dir.write("sig.jwk", generate(Algorithm::EdDSA));
    let recipient = dir.write("rsa.jwk", jwe_key(&["--alg", "RSA-OAEP-256"]));
    let stranger = dir.write("other.jwk", jwe_key(&["--alg", "RSA-OAEP-256"]));
    let token = sign(
        &signing,
        r#"{"sub":"alice","aud":"orders"}"#,
        &["--jwe-key", &recipient, "--jwe-enc", "A128CBC-HS256"],
    );
    let report: Value =
        serde_json::from_str(&run_ok(&["token", "decode", "--json", &token])).expect("json");
    assert_eq!(report["header"]["cty"], "JWT");
    assert_eq!(report["header"]["enc"], "A128CBC-HS256");
    let claims: Value = serde_json::from_str(&run_ok(&[
        "token",
        "verify",
        "--key",
        &signing,
        "--jwe-key",
        &recipient,
        "--aud",
        "orders",
        &token,
    ]))
    .expect("claims");
    assert_eq!(claims["sub"], "alice");
    tessera()
        .args(["token", "verify", "--key", &signing, &token])
        .assert()
        .code(1)
        .stderr(contains("pass --jwe-key"));
    tessera()
        .args([
            "token",
            "verify",
            "--key",
            &signing,
            "--jwe-key",
            &stranger,
            &token,
        ])
        .assert()
        .code(1)
        .stderr(contains("(decryption_failed)"));
    let other_signer = dir.write("sig2.jwk", generate(Algorithm::EdDSA));
    tessera()
        .args([
            "token",
            "verify",
            "--key",
            &other_signer,
            "--jwe-key",
            &recipient,
            &token,
        ])
        .assert()
        .code(1)
        .stderr(contains("(signature_invalid)"));
    // A JWE whose content is not a signed token.
    let plain = encrypt(
        "--jwk",
        &recipient,
        "RSA-OAEP-256",
        "A256GCM",
        r#"{"sub":"mallory"}"#,
    );
    tessera()
        .args([
            "token",
            "verify",
            "--key",
            &signing,
            "--jwe-key",
            &recipient,
            &plain,
        ])
        .assert()
        .code(1)
        .stderr(contains("(jwe_not_nested)"));
}
