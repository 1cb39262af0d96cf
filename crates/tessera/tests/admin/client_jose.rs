//! `tessera client add --jwks FILE --id-token-encrypted-response-alg … --userinfo-…`.

use std::path::PathBuf;

use serde_json::{Value, json};
use tessera_jose::jwe::{DecryptionKey, EcdhCurve, KeyAlgorithm};

use crate::helpers::{Deployment, assert_fails, stdout_of};

/// Writes a JWK Set holding the public half of a new key for `alg`; the key and the file.
fn jwks_file(d: &Deployment, name: &str, alg: KeyAlgorithm) -> (DecryptionKey, PathBuf) {
    let curve = alg.is_ecdh().then_some(EcdhCurve::X25519);
    let key = DecryptionKey::generate(alg, curve, None).expect("key");
    let public = key.encryption_key().expect("public").to_jwk();
    let path = d.root().join(name);
    let set = format!(r#"{{"keys":[{}]}}"#, public.to_json());
    std::fs::write(&path, set).expect("write");
    (key, path)
}

/// `client add rp` for the code flow with `extra` flags.
fn add(d: &Deployment, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "client",
        "add",
        "rp",
        "--grant",
        "authorization_code",
        "--scope",
        "openid",
        "--redirect-uri",
        "https://rp.example.com/cb",
    ];
    args.extend_from_slice(extra);
    d.run(&args)
}

fn listed(d: &Deployment, id: &str) -> Value {
    d.json(&["client", "list", "--json"])
        .as_array()
        .and_then(|all| all.iter().find(|c| c["client_id"] == id).cloned())
        .expect("listed")
}

#[test]
fn a_client_registers_its_keys_and_encryption_and_list_shows_them() {
    let d = Deployment::new();
    let (_, rsa) = jwks_file(&d, "rsa.json", KeyAlgorithm::RsaOaep256);
    let rsa = rsa.to_str().expect("path");
    let output = add(
        &d,
        &[
            "--jwks",
            rsa,
            "--id-token-encrypted-response-alg",
            "RSA-OAEP-256",
            "--userinfo-signed-response-alg",
            "RS256",
            "--userinfo-encrypted-response-alg",
            "RSA-OAEP-256",
            "--userinfo-encrypted-response-enc",
            "A256GCM",
        ],
    );
    let created: Value =
        serde_json::from_str(&stdout_of(&output, &["client", "add"])).expect("json");
    let client = listed(&d, created["client_id"].as_str().expect("id"));
    assert_eq!(client["id_token_encrypted_response_alg"], "RSA-OAEP-256");
    assert_eq!(
        client["id_token_encrypted_response_enc"], "A128CBC-HS256",
        "the default"
    );
    assert_eq!(client["userinfo_signed_response_alg"], "RS256");
    assert_eq!(client["userinfo_encrypted_response_alg"], "RSA-OAEP-256");
    assert_eq!(client["userinfo_encrypted_response_enc"], "A256GCM");
    assert_eq!(client["jwks"]["keys"][0]["kty"], "RSA");
    assert!(client["jwks"]["keys"][0].get("d").is_none());
}

#[test]
fn unsafe_or_unusable_encryption_settings_are_refused_on_one_line() {
    let d = Deployment::new();
    let (_, x25519) = jwks_file(&d, "x25519.json", KeyAlgorithm::EcdhEs);
    let x25519 = x25519.to_str().expect("path");
    let alg = "--id-token-encrypted-response-alg";
    let enc = "--id-token-encrypted-response-enc";
    let cases: [(&[&str], &str); 7] = [
        (&["--jwks", x25519, alg, "RSA1_5"], "RSA1_5 is refused"),
        (
            &["--jwks", x25519, enc, "A128GCM"],
            "needs id_token_encrypted_response_alg",
        ),
        (
            &["--jwks", x25519, alg, "RSA-OAEP-256"],
            "no key usable for RSA-OAEP-256",
        ),
        (&[alg, "ECDH-ES"], "needs the client's public keys"),
        (&["--jwks", x25519, alg, "A256KW"], "unsupported JWE alg"),
        (
            &["--jwks", "https://rp.example.com/jwks.json", alg, "ECDH-ES"],
            "not supported",
        ),
        (&["--jwks", "missing.json"], "cannot read JWK set file"),
    ];
    for (extra, needle) in cases {
        assert_fails(&add(&d, extra), 2, needle);
    }
    let big = d.root().join("big.json");
    let key = std::fs::read_to_string(d.root().join("x25519.json")).expect("read");
    let keys: Vec<Value> = (0..200)
        .map(|i| {
            let mut jwk = serde_json::from_str::<Value>(&key).expect("json")["keys"][0].clone();
            jwk["kid"] = json!(format!("key-{i}"));
            jwk
        })
        .collect();
    std::fs::write(&big, json!({ "keys": keys }).to_string()).expect("write");
    assert_fails(
        &add(&d, &["--jwks", big.to_str().expect("path")]),
        2,
        "too large",
    );
    assert_eq!(
        d.json(&["client", "list", "--json"]),
        json!([]),
        "nothing registered"
    );
}
