//! The attack catalogue thrown at a guarded route: every attack gets 401 with an RFC 6750
//! `invalid_token` challenge, the reason is counted under its code, and the handler is never
//! reached.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use tessera_guard::Guard;
use tessera_jose::{Algorithm, SigningKey, b64};

use common::{FakeIssuer, app, bearer, call, header_for, key, now, sign_raw};

/// An issuer publishing an RS256 key (first, signing) and an ES256 key.
struct Target {
    issuer: FakeIssuer,
    guard: Guard,
    rsa: SigningKey,
    ec: SigningKey,
    reached: Arc<AtomicUsize>,
    router: axum::Router,
}

impl Target {
    async fn new() -> Self {
        let rsa = key(Algorithm::RS256);
        let ec = key(Algorithm::ES256);
        let issuer = FakeIssuer::with_keys(vec![clone_key(&rsa), clone_key(&ec)]).await;
        let guard = issuer.guard_with(|b| b.without_revocation_feed()).await;
        let reached = Arc::new(AtomicUsize::new(0));
        let router = app(&guard, Arc::clone(&reached));
        Self {
            issuer,
            guard,
            rsa,
            ec,
            reached,
            router,
        }
    }

    /// Sends `token`; asserts 401 `invalid_token`, no handler call, and the reason `code`.
    async fn refused(&self, name: &str, token: &str, code: &str) {
        let before = self.guard.stats().rejected.get(code).copied().unwrap_or(0);
        let answer = call(&self.router, "GET", "/orders", &[&bearer(token)]).await;
        assert_eq!(answer.status, 401, "{name}: {}", answer.body);
        let challenge = answer.challenge.unwrap_or_default();
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{name}: {challenge}"
        );
        assert_eq!(
            self.reached.load(Ordering::SeqCst),
            0,
            "{name} reached the handler"
        );
        let after = self.guard.stats().rejected.get(code).copied().unwrap_or(0);
        assert_eq!(
            after,
            before + 1,
            "{name}: not counted as {code}: {:?}",
            self.guard.stats()
        );
    }

    fn claims(&self, overrides: Value) -> String {
        self.issuer.claims(overrides).to_string()
    }

    fn header(&self, overrides: Value) -> String {
        let mut header = header_for(&self.rsa);
        for (name, value) in overrides.as_object().expect("object") {
            if value.is_null() {
                header.as_object_mut().expect("object").remove(name);
            } else {
                header[name] = value.clone();
            }
        }
        header.to_string()
    }

    /// A token signed by the genuine RSA key with header and claim overrides.
    fn signed(&self, header: Value, claims: Value) -> String {
        sign_raw(&self.rsa, &self.header(header), &self.claims(claims))
    }
}

/// The same private key, twice (signing keys are not `Clone`).
fn clone_key(key: &SigningKey) -> SigningKey {
    SigningKey::from_jwk(&key.to_jwk(), Some(key.algorithm())).expect("copy")
}

fn unsigned(header: &str, claims: &str, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        b64::encode(header.as_bytes()),
        b64::encode(claims.as_bytes())
    )
}

#[tokio::test]
async fn the_genuine_token_passes_so_the_refusals_below_mean_something() {
    let target = Target::new().await;
    let answer = call(
        &target.router,
        "GET",
        "/orders",
        &[&bearer(&target.signed(json!({}), json!({})))],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(target.reached.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn alg_none_in_any_case_is_refused() {
    let target = Target::new().await;
    let claims = target.claims(json!({}));
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = json!({"alg": alg, "typ": "at+jwt"}).to_string();
        target
            .refused(alg, &unsigned(&header, &claims, ""), "alg_not_allowed")
            .await;
        let with_sig = unsigned(&header, &claims, &b64::encode(b"sig"));
        target.refused(alg, &with_sig, "alg_not_allowed").await;
    }
}

#[tokio::test]
async fn empty_and_truncated_signatures_are_refused() {
    let target = Target::new().await;
    let token = target.signed(json!({}), json!({}));
    let (input, signature) = token.rsplit_once('.').expect("three parts");
    target
        .refused("empty", &format!("{input}."), "signature_invalid")
        .await;
    let mut bytes = b64::decode(signature.as_bytes()).expect("base64url");
    bytes.truncate(bytes.len() - 10);
    let cut = b64::encode(&bytes);
    target
        .refused("truncated", &format!("{input}.{cut}"), "signature_invalid")
        .await;
}

#[tokio::test]
async fn rs256_to_hs256_confusion_with_the_public_key_as_secret_is_refused() {
    let target = Target::new().await;
    let public_pem = target
        .rsa
        .verifying_key()
        .expect("public")
        .to_pem()
        .expect("pem");
    let hmac = SigningKey::from_secret(public_pem.as_bytes(), Algorithm::HS256).expect("hmac");
    let header = target.header(json!({"alg": "HS256"}));
    let token = sign_raw(&hmac, &header, &target.claims(json!({})));
    target
        .refused("HS256 with kid of the RSA key", &token, "alg_not_allowed")
        .await;
    let no_kid = target.header(json!({"alg": "HS256", "kid": null}));
    let token = sign_raw(&hmac, &no_kid, &target.claims(json!({})));
    target
        .refused("HS256 without kid", &token, "alg_not_allowed")
        .await;
}

#[tokio::test]
async fn embedded_keys_and_key_urls_are_refused_and_never_fetched() {
    let target = Target::new().await;
    let attacker = key(Algorithm::ES256);
    let evil = format!("{}/evil", target.issuer.base);
    let jwk = serde_json::to_value(attacker.verifying_key().expect("pub").to_jwk()).expect("jwk");
    let cases = [
        ("jwk", json!({"jwk": jwk})),
        ("jku", json!({"jku": evil})),
        ("x5u", json!({"x5u": evil})),
        ("x5c", json!({"x5c": ["MIIB"]})),
    ];
    for (name, member) in cases {
        let mut header = header_for(&attacker);
        header
            .as_object_mut()
            .expect("object")
            .extend(member.as_object().expect("o").clone());
        let token = sign_raw(&attacker, &header.to_string(), &target.claims(json!({})));
        target.refused(name, &token, "header_key_forbidden").await;
    }
    assert_eq!(target.issuer.state.evil_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn hostile_and_unknown_kids_are_refused_without_hammering_the_issuer() {
    let target = Target::new().await;
    let fetches = target.issuer.fetches();
    let kids = [
        "../../../../../../dev/null",
        "' OR '1'='1' --",
        "key; rm -rf / #",
        "$(curl http://127.0.0.1:1/x)",
        "unknown-kid",
    ];
    for kid in kids {
        let token = target.signed(json!({"kid": kid}), json!({}));
        target.refused(kid, &token, "kid_unknown").await;
    }
    // At most one refetch (none right after the first fetch): the rest fall in the cooldown.
    assert!(
        target.issuer.fetches() <= fetches + 1,
        "{} fetches",
        target.issuer.fetches()
    );
}

#[tokio::test]
async fn tampered_claims_with_the_old_signature_are_refused() {
    let target = Target::new().await;
    let token = target.signed(json!({}), json!({}));
    let parts: Vec<&str> = token.split('.').collect();
    for (name, change) in [
        ("scope", json!({"scope": "orders:read orders:write admin"})),
        ("sub", json!({"sub": "someone-else"})),
        ("exp", json!({"exp": now() + 86_400 * 365})),
    ] {
        let forged = b64::encode(target.claims(change).as_bytes());
        let token = format!("{}.{forged}.{}", parts[0], parts[2]);
        target.refused(name, &token, "signature_invalid").await;
    }
}

#[tokio::test]
async fn bad_or_missing_times_are_refused() {
    let target = Target::new().await;
    let now = now();
    let cases = [
        (
            "exp as a string",
            json!({"exp": (now + 300).to_string()}),
            "claim_invalid",
        ),
        ("missing exp", json!({"exp": null}), "claim_missing"),
        ("expired", json!({"exp": now - 3600}), "jwt_expired"),
        (
            "future nbf",
            json!({"nbf": now + 3600}),
            "jwt_not_yet_valid",
        ),
        (
            "future iat",
            json!({"iat": now + 3600}),
            "jwt_issued_in_future",
        ),
    ];
    for (name, claims, code) in cases {
        target
            .refused(name, &target.signed(json!({}), claims), code)
            .await;
    }
}

#[tokio::test]
async fn wrong_issuer_audience_or_type_is_refused() {
    let target = Target::new().await;
    let cases = [
        (
            "wrong iss",
            json!({}),
            json!({"iss": "https://evil.example"}),
            "iss_invalid",
        ),
        (
            "wrong aud",
            json!({}),
            json!({"aud": "another-api"}),
            "aud_invalid",
        ),
        (
            "id token typ",
            json!({"typ": "JWT"}),
            json!({}),
            "typ_invalid",
        ),
        ("no typ", json!({"typ": null}), json!({}), "typ_invalid"),
        ("no jti", json!({}), json!({"jti": null}), "claim_missing"),
        (
            "no client_id",
            json!({}),
            json!({"client_id": null}),
            "claim_missing",
        ),
    ];
    for (name, header, claims, code) in cases {
        target
            .refused(name, &target.signed(header, claims), code)
            .await;
    }
}

#[tokio::test]
async fn duplicate_members_and_unknown_crit_are_refused() {
    let target = Target::new().await;
    let claims = target.claims(json!({}));
    let duplicated = claims.replacen('{', "{\"sub\":\"admin\",", 1);
    let token = sign_raw(&target.rsa, &target.header(json!({})), &duplicated);
    target
        .refused("duplicate claim", &token, "json_duplicate_member")
        .await;
    let header = target
        .header(json!({}))
        .replacen('{', "{\"alg\":\"RS256\",", 1);
    let token = sign_raw(&target.rsa, &header, &claims);
    target
        .refused("duplicate header member", &token, "json_duplicate_member")
        .await;
    let crit = target.header(json!({"crit": ["exp-check"], "exp-check": true}));
    target
        .refused(
            "unknown crit",
            &sign_raw(&target.rsa, &crit, &claims),
            "crit_unsupported",
        )
        .await;
}

#[tokio::test]
async fn malformed_oversize_and_nested_tokens_are_refused() {
    let target = Target::new().await;
    let token = target.signed(json!({}), json!({}));
    let parts: Vec<&str> = token.split('.').collect();
    // Characters of standard base64 and padding: valid in the header syntax, not base64url.
    let padded = format!("{}.{}.{}==", parts[0], parts[1], parts[2]);
    target
        .refused("padded base64", &padded, "token_malformed")
        .await;
    let plus = format!(
        "{}.{}.{}",
        parts[0],
        parts[1].replacen('-', "+", 1).replacen('_', "/", 1),
        parts[2]
    );
    target
        .refused("standard base64", &format!("{plus}+"), "token_malformed")
        .await;
    target
        .refused(
            "two parts",
            &format!("{}.{}", parts[0], parts[1]),
            "token_malformed",
        )
        .await;
    target
        .refused(
            "not JSON",
            &format!("{}.{}.{}", b64::encode(b"{nope"), parts[1], parts[2]),
            "token_malformed",
        )
        .await;
    let oversize = format!("{}.{}.{}", parts[0], "A".repeat(20 * 1024), parts[2]);
    target
        .refused("oversize", &oversize, "token_too_large")
        .await;
    // As deep as the size cap allows, in the header (parsed before any signature check) and
    // in the claims.
    let depth = 5_500;
    let nest = |open: &str, close: &str| format!("{}1{}", open.repeat(depth), close.repeat(depth));
    let header = format!("{{\"alg\":\"RS256\",\"kid\":{}}}", nest("[", "]"));
    let token = unsigned(&header, "{}", "c2ln");
    assert!(token.len() < 16 * 1024, "{}", token.len());
    target
        .refused("deeply nested header", &token, "token_malformed")
        .await;
    let claims = target.claims(json!({})).to_string();
    let nested = claims.replacen('{', &format!("{{\"deep\":{},", nest("[", "]")), 1);
    let token = unsigned(&target.header(json!({})), &nested, parts[2]);
    assert!(token.len() < 16 * 1024, "{}", token.len());
    target
        .refused("deeply nested claims", &token, "signature_invalid")
        .await;
}

#[tokio::test]
async fn ecdsa_signatures_of_zeros_are_refused() {
    let target = Target::new().await;
    let header = header_for(&target.ec).to_string();
    let claims = target.claims(json!({}));
    let zeros = unsigned(&header, &claims, &b64::encode(&[0u8; 64]));
    target
        .refused("r = s = 0", &zeros, "signature_invalid")
        .await;
    let short = unsigned(&header, &claims, &b64::encode(&[1u8; 63]));
    target
        .refused("short r||s", &short, "signature_invalid")
        .await;
}
