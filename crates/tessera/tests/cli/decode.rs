//! `tessera token decode`: readable, UNVERIFIED, with warnings; exit 1 only for non-tokens.

use predicates::str::contains;
use serde_json::{Value, json};

use crate::helpers::{Dir, generate, now, run_ok, sign, tessera, unsigned_token};

fn warning_codes(token: &str) -> Vec<String> {
    let report: Value =
        serde_json::from_str(&run_ok(&["token", "decode", "--json", token])).expect("json");
    assert_eq!(report["verified"], false);
    report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["code"].as_str().expect("code").to_owned())
        .collect()
}

#[test]
fn shows_header_claims_and_readable_times_marked_unverified() {
    let dir = Dir::new();
    let key = dir.write("key.jwk", generate(tessera_jose::Algorithm::ES256));
    let token = sign(
        &key,
        r#"{"sub":"alice","iss":"https://auth.test"}"#,
        &["--ttl", "14m30s"],
    );
    let out = run_ok(&["token", "decode", &token]);
    assert!(out.starts_with("UNVERIFIED"), "{out}");
    for expected in [
        "\"alg\": \"ES256\"",
        "\"typ\": \"JWT\"",
        "\"sub\": \"alice\"",
        " UTC  (expires in 14 min)",
        "(issued ",
        "lifetime 14 min",
        "Warnings: none found",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
}

#[test]
fn reads_stdin_and_ignores_whitespace_and_bearer() {
    let token = unsigned_token(
        &json!({"alg": "ES256"}),
        &json!({"sub": "bob", "exp": now()}),
    );
    for input in [format!("{token}\n"), format!("  Bearer {token}  \n")] {
        for args in [&["token", "decode"][..], &["token", "decode", "-"]] {
            tessera()
                .args(args)
                .write_stdin(input.clone())
                .assert()
                .success()
                .stdout(contains("\"sub\": \"bob\""));
        }
    }
}

#[test]
fn alg_none_decodes_with_a_warning() {
    let token = unsigned_token(
        &json!({"alg": "none", "typ": "JWT"}),
        &json!({"sub": "admin", "exp": now() + 60}),
    );
    tessera()
        .args(["token", "decode", &token])
        .assert()
        .success()
        .stdout(contains("\"alg\": \"none\""))
        .stdout(contains("unsigned and anyone can forge it"));
    assert_eq!(warning_codes(&token), ["alg_none"]);
}

#[test]
fn warns_about_risky_tokens() {
    let t = now();
    // A dummy signature: these tokens are never verified, only decoded.
    let risky = |header: Value, claims: Value| {
        warning_codes(&format!("{}c2ln", unsigned_token(&header, &claims)))
    };
    let es = json!({"alg": "ES256"});
    assert_eq!(risky(es.clone(), json!({"sub": "a"})), ["no_exp"]);
    assert_eq!(
        warning_codes(&unsigned_token(&es, &json!({"exp": t}))),
        ["signature_missing"]
    );
    assert_eq!(
        risky(es.clone(), json!({"iat": t, "exp": t + 30 * 86_400})),
        ["long_lifetime"]
    );
    assert_eq!(
        risky(json!({"alg": "HS256"}), json!({"exp": t})),
        ["alg_hmac"]
    );
    for member in ["jku", "jwk", "x5u", "x5c"] {
        let header = json!({"alg": "RS256", member: "https://attacker.test/k"});
        assert_eq!(risky(header, json!({"exp": t})), ["header_key"], "{member}");
    }
    let claims = json!({
        "exp": t, "password": "hunter2", "client_secret": "s", "cardNumber": "x",
        "ssn": "1", "cvv": "123", "note": "4111-1111-1111-1111", "order": "4111111111111112"
    });
    assert_eq!(
        risky(es, claims),
        [
            "sensitive_claim",
            "sensitive_claim",
            "sensitive_claim",
            "sensitive_claim",
            "sensitive_claim",
            "card_number"
        ]
    );
}

#[test]
fn warnings_name_the_claim() {
    let token = unsigned_token(
        &json!({"alg": "ES256"}),
        &json!({"exp": now(), "user": {"passwd": "x"}, "pay": ["4242424242424242"]}),
    );
    tessera()
        .args(["token", "decode", &token])
        .assert()
        .success()
        .stdout(contains("claim `user.passwd` looks like a credential"))
        .stdout(contains(
            "claim `pay[]` holds what looks like a payment card number",
        ));
}

#[test]
fn non_json_payloads_are_shown_as_text() {
    let header = tessera_jose::b64::encode(br#"{"alg":"RS256"}"#);
    let payload = tessera_jose::b64::encode("not claims\u{1b}[31m".as_bytes());
    tessera()
        .args(["token", "decode", &format!("{header}.{payload}.c2ln")])
        .assert()
        .success()
        .stdout(contains("\"not claims\\u001b[31m\""))
        .stdout(contains("payload_not_json"));
}

#[test]
fn input_that_is_not_a_token_exits_1() {
    for bad in [
        "hello",
        "a.b",
        "a.b.c.d.e",
        "!!!.e30.",
        "bm90IGpzb24.e30.",
        "W10.e30.",
    ] {
        tessera()
            .args(["token", "decode", bad])
            .assert()
            .code(1)
            .stdout("")
            .stderr(contains("error: not a token"));
    }
}

#[test]
fn a_file_name_instead_of_a_token_gets_a_hint() {
    let dir = Dir::new();
    let file = dir.write("token", "x");
    tessera()
        .args(["token", "decode", &file])
        .assert()
        .code(1)
        .stderr(contains("is a file; pass its content instead"));
}

#[test]
fn empty_input_is_a_usage_error_and_huge_input_is_refused() {
    tessera()
        .args(["token", "decode"])
        .write_stdin("  \n")
        .assert()
        .code(2)
        .stderr(contains("no token given"));
    let huge = format!("{}.e30.", "A".repeat(70 * 1024));
    tessera()
        .args(["token", "decode"])
        .write_stdin(huge)
        .assert()
        .code(1)
        .stderr(contains("token_too_large"));
}

#[test]
fn duplicate_members_are_shown_with_a_warning() {
    let part = |json: &str| tessera_jose::b64::encode(json.as_bytes());
    let token = format!(
        "{}.{}.c2ln",
        part(r#"{"alg":"none","alg":"ES256"}"#),
        part(&format!(
            r#"{{"sub":"alice","sub":"admin","exp":{}}}"#,
            now()
        ))
    );
    assert_eq!(warning_codes(&token), ["header_invalid", "claims_invalid"]);
    tessera()
        .args(["token", "decode", &token])
        .assert()
        .success()
        .stdout(contains("header names member \"alg\""))
        .stdout(contains("payload names member \"sub\""));
}
