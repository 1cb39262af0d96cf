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

/// Serves `body` as the answer to one HTTP request on 127.0.0.1; returns the port.
fn serve_once(body: String) -> u16 {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
            match stream.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => break,
            }
        }
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/jwk-set+json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(answer.as_bytes());
    });
    port
}

#[test]
fn a_jwks_url_is_fetched_once_at_registration_and_kept_by_value() {
    let d = Deployment::new();
    let (key, file) = jwks_file(&d, "x25519.json", KeyAlgorithm::EcdhEs);
    let set = std::fs::read_to_string(file).expect("read");
    let port = serve_once(set);
    let url = format!("http://127.0.0.1:{port}/jwks.json");
    let output = add(
        &d,
        &[
            "--jwks",
            &url,
            "--id-token-encrypted-response-alg",
            "ECDH-ES",
        ],
    );
    let created: Value =
        serde_json::from_str(&stdout_of(&output, &["client", "add"])).expect("json");
    let client = listed(&d, created["client_id"].as_str().expect("id"));
    let public = serde_json::to_value(key.encryption_key().expect("public").to_jwk()).expect("jwk");
    assert_eq!(
        client["jwks"]["keys"][0]["x"], public["x"],
        "the served key"
    );
    assert_eq!(client["id_token_encrypted_response_alg"], "ECDH-ES");
    // The server that served it is gone (it answered once): the set was kept, not linked.
    assert_eq!(
        listed(&d, created["client_id"].as_str().expect("id"))["jwks"],
        client["jwks"]
    );
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
            // Refused by the fetch policy before anything connects: no TLS to a remote host.
            &["--jwks", "http://rp.example.com/jwks.json", alg, "ECDH-ES"],
            "refusing plain http for rp.example.com",
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
