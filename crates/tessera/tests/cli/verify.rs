//! `tessera token verify`: every key source, every check, every exit code.

use predicates::str::contains;
use serde_json::{Value, json};
use tessera_jose::Algorithm;

use crate::helpers::{
    Dir, generate, jwks, now, pems, public_jwk, run_ok, secret_bytes, sign, tampered, tessera,
    unsigned_token,
};

/// Runs `token verify TOKEN ARGS…` and returns the printed claims, asserting exit 0.
fn verify_ok(token: &str, args: &[&str]) -> Value {
    let mut all = vec!["token", "verify", token];
    all.extend_from_slice(args);
    serde_json::from_str(&run_ok(&all)).expect("claims JSON")
}

/// Asserts `token verify TOKEN ARGS…` exits `code` with one stderr line containing `needle`.
fn verify_fails(token: &str, args: &[&str], code: i32, needle: &str) {
    let output = tessera()
        .args(["token", "verify", token])
        .args(args)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(
        output.stdout.is_empty(),
        "{args:?}: printed claims on failure"
    );
    if code == 1 {
        assert_eq!(
            stderr.lines().count(),
            1,
            "{args:?}: not one line: {stderr}"
        );
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
    assert!(
        stderr.contains(needle),
        "{args:?}: {needle:?} not in {stderr}"
    );
}

/// A key for `alg` written as a private JWK file, and a token it signed.
struct Fixture {
    dir: Dir,
    private: String,
    key: String,
    token: String,
}

impl Fixture {
    fn new(alg: Algorithm, claims: &str) -> Self {
        let dir = Dir::new();
        let private = generate(alg);
        let key = dir.write("key.jwk", &private);
        let token = sign(&key, claims, &[]);
        Self {
            dir,
            private,
            key,
            token,
        }
    }
}

#[test]
fn every_algorithm_verifies_via_jwk_pem_jwks_and_secret_files() {
    for alg in Algorithm::ALL {
        let f = Fixture::new(alg, r#"{"sub":"alice"}"#);
        let name = alg.as_str();
        assert_eq!(
            verify_ok(&f.token, &["--key", &f.key])["sub"],
            "alice",
            "{name}"
        );
        let public = f.dir.write("pub.jwk", public_jwk(&f.private));
        verify_ok(&f.token, &["--key", &public]);
        let set = f.dir.write("jwks.json", jwks(&[&public_jwk(&f.private)]));
        verify_ok(&f.token, &["--jwks", &set, "--alg", name]);
        if alg.is_symmetric() {
            let mut secret = secret_bytes(&f.private);
            secret.push(b'\n');
            let secret = f.dir.write("hmac.secret", secret);
            verify_ok(&f.token, &["--secret-file", &secret, "--alg", name]);
        } else {
            let (private_pem, public_pem) = pems(&f.private);
            let public_pem = f.dir.write("pub.pem", public_pem);
            verify_ok(&f.token, &["--key", &public_pem, "--alg", name]);
            let private_pem = f.dir.write("key.pem", private_pem);
            let from_pem = sign(&private_pem, r#"{"sub":"pem"}"#, &["--alg", name]);
            assert_eq!(
                verify_ok(&from_pem, &["--key", &public])["sub"],
                "pem",
                "{name}"
            );
        }
    }
}

#[test]
fn issuer_audience_and_typ_are_checked_when_asked() {
    let claims = r#"{"sub":"u1","iss":"https://auth.test","aud":["orders","billing"]}"#;
    let f = Fixture::new(Algorithm::ES256, claims);
    let (token, key) = (f.token.as_str(), f.key.as_str());
    verify_ok(
        token,
        &[
            "--key",
            key,
            "--iss",
            "https://auth.test",
            "--aud",
            "billing",
        ],
    );
    verify_ok(token, &["--key", key, "--typ", "JWT"]);
    verify_fails(
        token,
        &["--key", key, "--iss", "https://evil.test"],
        1,
        "(iss_invalid)",
    );
    verify_fails(
        token,
        &["--key", key, "--aud", "payroll"],
        1,
        "(aud_invalid)",
    );
    verify_fails(
        token,
        &["--key", key, "--typ", "at+jwt"],
        1,
        "(typ_invalid)",
    );
    let bare = Fixture::new(Algorithm::ES256, r#"{"sub":"u1"}"#);
    verify_fails(
        &bare.token,
        &["--key", &bare.key, "--iss", "x"],
        1,
        "(claim_missing)",
    );
}

#[test]
fn alg_allow_list_binds_the_key_and_rejects_other_algorithms() {
    let dir = Dir::new();
    let private = generate(Algorithm::PS256);
    let (private_pem, public_pem) = pems(&private);
    let private_pem = dir.write("key.pem", private_pem);
    let public_pem = dir.write("pub.pem", public_pem);
    let ps256 = sign(&private_pem, "{}", &["--alg", "PS256"]);
    verify_ok(&ps256, &["--key", &public_pem, "--alg", "PS256"]);
    verify_ok(
        &ps256,
        &["--key", &public_pem, "--alg", "RS256", "--alg", "PS256"],
    );
    // A PEM key defaults to RS256; the token must not pick its own algorithm.
    verify_fails(&ps256, &["--key", &public_pem], 1, "(alg_not_allowed)");
    verify_fails(
        &ps256,
        &["--key", &public_pem, "--alg", "RS256"],
        1,
        "alg_not_allowed",
    );
    // An allow-list that no algorithm of the key's family is in is a configuration error.
    verify_fails(
        &ps256,
        &["--key", &public_pem, "--alg", "ES256"],
        2,
        "does not fit",
    );
    let set = dir.write("jwks.json", jwks(&[&public_jwk(&private)]));
    verify_fails(
        &ps256,
        &["--jwks", &set, "--alg", "RS256"],
        1,
        "alg_not_allowed",
    );
}

#[test]
fn leeway_extends_expiry_and_expired_tokens_exit_1() {
    let t = now();
    let claims = format!(r#"{{"sub":"late","iat":{},"exp":{}}}"#, t - 1_000, t - 200);
    let f = Fixture::new(Algorithm::EdDSA, &claims);
    verify_fails(
        &f.token,
        &["--key", &f.key],
        1,
        "(jwt_expired); hint: it expired 3 min ago",
    );
    verify_ok(&f.token, &["--key", &f.key, "--leeway", "5m"]);
    verify_ok(&f.token, &["--key", &f.key, "--leeway", "300"]);
    let fresh = Fixture::new(Algorithm::EdDSA, &format!(r#"{{"exp":{}}}"#, t - 30));
    verify_ok(&fresh.token, &["--key", &fresh.key]);
    verify_fails(
        &fresh.token,
        &["--key", &fresh.key, "--leeway", "0"],
        1,
        "jwt_expired",
    );
    let future = Fixture::new(Algorithm::EdDSA, &format!(r#"{{"nbf":{}}}"#, t + 600));
    verify_fails(
        &future.token,
        &["--key", &future.key],
        1,
        "(jwt_not_yet_valid)",
    );
    verify_ok(&future.token, &["--key", &future.key, "--leeway", "15m"]);
}

#[test]
fn tampered_tokens_and_wrong_keys_exit_1() {
    let f = Fixture::new(Algorithm::ES256, r#"{"sub":"alice"}"#);
    let forged = tampered(&f.token, &json!({"sub": "admin", "exp": now() + 600}));
    verify_fails(&forged, &["--key", &f.key], 1, "(signature_invalid)");
    let other = f.dir.write("other.jwk", generate(Algorithm::ES256));
    verify_fails(&f.token, &["--key", &other], 1, "(signature_invalid)");
    let set = f.dir.write(
        "jwks.json",
        jwks(&[&public_jwk(&generate(Algorithm::ES256))]),
    );
    verify_fails(&f.token, &["--jwks", &set], 1, "(kid_unknown)");
}

#[test]
fn alg_none_and_embedded_keys_are_refused() {
    let f = Fixture::new(Algorithm::ES256, "{}");
    let claims = json!({"sub": "admin", "exp": now() + 600});
    for alg in ["none", "None", "NONE"] {
        let token = unsigned_token(&json!({"alg": alg, "typ": "JWT"}), &claims);
        verify_fails(&token, &["--key", &f.key], 1, "(alg_not_allowed)");
    }
    let jku = unsigned_token(
        &json!({"alg": "ES256", "jku": "https://evil.test"}),
        &claims,
    );
    verify_fails(&jku, &["--key", &f.key], 1, "(header_key_forbidden)");
}

#[test]
fn hmac_secrets_need_the_right_length_and_algorithm() {
    let f = Fixture::new(Algorithm::HS512, r#"{"sub":"h"}"#);
    let secret = f.dir.write("s", secret_bytes(&f.private));
    verify_ok(&f.token, &["--secret-file", &secret, "--alg", "HS512"]);
    // Without --alg a secret is HS256, and the HS512 token is refused.
    verify_fails(&f.token, &["--secret-file", &secret], 1, "alg_not_allowed");
    verify_fails(
        &f.token,
        &["--secret-file", &secret, "--alg", "ES256"],
        2,
        "does not fit",
    );
    let short = f.dir.write("short", "too short\n");
    verify_fails(&f.token, &["--secret-file", &short], 2, "(key_too_weak)");
}

#[test]
fn bad_key_sources_exit_2() {
    let f = Fixture::new(Algorithm::ES256, "{}");
    let missing = f.dir.path("missing.pem");
    let missing = missing.to_str().expect("utf-8");
    verify_fails(&f.token, &["--key", missing], 2, "cannot read key file");
    verify_fails(&f.token, &["--jwks", missing], 2, "cannot read JWKS file");
    verify_fails(
        &f.token,
        &["--secret-file", missing],
        2,
        "cannot read secret file",
    );
    let garbage = f.dir.write("garbage", "hello");
    verify_fails(&f.token, &["--key", &garbage], 2, "is not a key");
    verify_fails(
        &f.token,
        &["--key", &f.key, "--jwks", &f.key],
        2,
        "cannot be used with",
    );
    verify_fails(
        &f.token,
        &["--key", &f.key, "--secret-file", &f.key],
        2,
        "cannot be used",
    );
    verify_fails(&f.token, &[], 2, "required arguments were not provided");
    verify_fails(&f.token, &["--jwks", &f.key], 2, "not a JWK Set");
}

#[test]
fn malformed_tokens_exit_1_and_bad_key_beats_bad_token() {
    let f = Fixture::new(Algorithm::ES256, "{}");
    verify_fails("not-a-token", &["--key", &f.key], 1, "(token_malformed)");
    verify_fails(
        "not-a-token",
        &["--key", "/nonexistent/key"],
        2,
        "cannot read key file",
    );
}

#[test]
fn token_can_come_from_stdin() {
    let f = Fixture::new(Algorithm::ES256, r#"{"sub":"piped"}"#);
    tessera()
        .args(["token", "verify", "--key", &f.key])
        .write_stdin(format!("{}\n", f.token))
        .assert()
        .success()
        .stdout(contains("\"sub\": \"piped\""));
}
