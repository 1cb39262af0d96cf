//! The layer and the extractor on an axum router: 200 with the claims, 403 for a missing
//! scope or role, 400 for a malformed header, 401 without a token; metrics; building.

mod common;

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::routing::get;
use axum::{Extension, Router};
use serde_json::{Value, json};
use tessera_guard::{AccessToken, Guard, MetricsHook};
use tessera_jose::{Algorithm, KeySet, SigningKey};

use common::{AUDIENCE, FakeIssuer, app, bearer, call};

async fn setup() -> (FakeIssuer, Guard, Arc<AtomicUsize>, Router) {
    let issuer = FakeIssuer::start().await;
    let guard = issuer.guard_with(|b| b.without_revocation_feed()).await;
    let reached = Arc::new(AtomicUsize::new(0));
    let router = app(&guard, Arc::clone(&reached));
    (issuer, guard, reached, router)
}

#[tokio::test]
async fn a_valid_token_reaches_the_handler_with_its_claims() {
    let (issuer, _guard, reached, router) = setup().await;
    let answer = call(
        &router,
        "GET",
        "/orders",
        &[&bearer(&issuer.token(json!({})))],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body: Value = serde_json::from_str(&answer.body).expect("json");
    assert_eq!(body, json!({"sub": "u-42", "client_id": "app"}));
    assert_eq!(reached.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_missing_scope_or_role_is_403_insufficient_scope() {
    let (issuer, _guard, reached, router) = setup().await;
    let token = issuer.token(json!({"scope": "orders:read"}));
    let answer = call(&router, "POST", "/orders/write", &[&bearer(&token)]).await;
    assert_eq!(answer.status, 403);
    let challenge = answer.challenge.expect("challenge");
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\"orders:write\""), "{challenge}");
    let body: Value = serde_json::from_str(&answer.body).expect("json");
    assert_eq!(body["error"], "insufficient_scope");
    let answer = call(&router, "GET", "/admin", &[&bearer(&token)]).await;
    assert_eq!(answer.status, 403);
    assert_eq!(reached.load(Ordering::SeqCst), 0);
    let admin = issuer.token(json!({"roles": ["admin"], "scope": "orders:write"}));
    assert_eq!(
        call(&router, "GET", "/admin", &[&bearer(&admin)])
            .await
            .status,
        200
    );
    assert_eq!(
        call(&router, "POST", "/orders/write", &[&bearer(&admin)])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_route_that_requires_a_second_factor_challenges_weaker_tokens_per_rfc_9470() {
    let (issuer, guard, reached, _) = setup().await;
    let mfa = "urn:tessera:acr:mfa";
    let router: Router = Router::new()
        .route(
            "/payouts",
            get(|Extension(token): Extension<AccessToken>| async move {
                token.acr().unwrap_or("-").to_owned()
            }),
        )
        .route_layer(guard.layer().require_acr(mfa));
    for weaker in [json!({}), json!({"acr": "urn:tessera:acr:pwd"})] {
        let token = issuer.token(weaker);
        // Twice: the second answer comes from the verified-token cache, checked again.
        for _ in 0..2 {
            let answer = call(&router, "GET", "/payouts", &[&bearer(&token)]).await;
            assert_eq!(answer.status, 401, "{}", answer.body);
            let challenge = answer.challenge.expect("challenge");
            assert!(
                challenge.contains("error=\"insufficient_user_authentication\""),
                "{challenge}"
            );
            assert!(
                challenge.contains(&format!("acr_values=\"{mfa}\"")),
                "{challenge}"
            );
            let body: Value = serde_json::from_str(&answer.body).expect("json");
            assert_eq!(body["error"], "insufficient_user_authentication");
        }
    }
    let wrong_type = issuer.token(json!({"acr": 2}));
    let answer = call(&router, "GET", "/payouts", &[&bearer(&wrong_type)]).await;
    assert_eq!(
        answer.status, 401,
        "an acr that is no string fails the token"
    );
    assert!(answer.body.contains("invalid_token"), "{}", answer.body);
    let strong = issuer.token(json!({"acr": mfa}));
    let answer = call(&router, "GET", "/payouts", &[&bearer(&strong)]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body, mfa);
    assert_eq!(
        reached.load(Ordering::SeqCst),
        0,
        "the other app was not reached"
    );
}

#[tokio::test]
async fn a_token_seen_before_still_meets_each_route_and_the_revoked_set() {
    let (issuer, guard, reached, router) = setup().await;
    let jti = "jti-seen-before";
    let token = issuer.token(json!({"jti": jti, "scope": "orders:read"}));
    let header = bearer(&token);
    for _ in 0..3 {
        let answer = call(&router, "GET", "/orders", &[&header]).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    // The token is remembered now; the other routes still apply their own requirements.
    assert_eq!(
        call(&router, "POST", "/orders/write", &[&header])
            .await
            .status,
        403
    );
    assert_eq!(call(&router, "GET", "/admin", &[&header]).await.status, 403);
    // A token that differs from the remembered one in one character of its signature is
    // checked in full, and fails.
    let mut altered = token.clone().into_bytes();
    let at = altered.len() - 10;
    altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).expect("ascii");
    let answer = call(&router, "GET", "/orders", &[&bearer(&altered)]).await;
    assert_eq!(answer.status, 401);
    // A malformed header is refused before any lookup.
    let answer = call(&router, "GET", "/orders", &[&format!("{header}!")]).await;
    assert_eq!(answer.status, 400);
    // A revocation applies to the remembered token at once.
    guard.revocations().insert(jti, common::now() + 300);
    let answer = call(&router, "GET", "/orders", &[&header]).await;
    assert_eq!(answer.status, 401);
    assert_eq!(reached.load(Ordering::SeqCst), 3);
    let stats = guard.stats();
    assert_eq!(stats.accepted, 3);
    assert_eq!(stats.rejected.get("insufficient_scope"), Some(&2));
    assert_eq!(
        stats.rejected.get("signature_invalid"),
        Some(&1),
        "{stats:?}"
    );
    assert_eq!(stats.rejected.get("authorization_malformed"), Some(&1));
    assert_eq!(stats.rejected.get("token_revoked"), Some(&1));
}

#[tokio::test]
async fn a_malformed_authorization_header_is_400_invalid_request() {
    let (issuer, guard, reached, router) = setup().await;
    let token = issuer.token(json!({}));
    let cases: [&[&str]; 5] = [
        &["Bearer"],
        &["Bearer a b"],
        &["Bearer tok\"en"],
        &["Bearer =abc"],
        &[&bearer(&token), &bearer(&token)],
    ];
    for headers in cases {
        let answer = call(&router, "GET", "/orders", headers).await;
        assert_eq!(answer.status, 400, "{headers:?}");
        let challenge = answer.challenge.expect("challenge");
        assert!(
            challenge.contains("error=\"invalid_request\""),
            "{challenge}"
        );
    }
    assert_eq!(reached.load(Ordering::SeqCst), 0);
    let stats = guard.stats();
    assert_eq!(stats.rejected.get("authorization_malformed"), Some(&4));
    assert_eq!(stats.rejected.get("authorization_repeated"), Some(&1));
}

#[tokio::test]
async fn no_token_is_401_with_a_bare_challenge() {
    let (_issuer, _guard, reached, router) = setup().await;
    for headers in [&[][..], &["Basic dXNlcjpwYXNz"][..]] {
        let answer = call(&router, "GET", "/orders", headers).await;
        assert_eq!(answer.status, 401);
        assert_eq!(answer.challenge.as_deref(), Some("Bearer"));
    }
    assert_eq!(reached.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_extractor_works_with_a_guard_extension_and_fails_closed_without_one() {
    let issuer = FakeIssuer::start().await;
    let guard = issuer.guard_with(|b| b.without_revocation_feed()).await;
    let handler = |token: AccessToken| async move { token.subject().to_owned() };
    let with_guard = Router::new()
        .route("/me", get(handler))
        .layer(Extension(guard));
    let token = bearer(&issuer.token(json!({})));
    let answer = call(&with_guard, "GET", "/me", &[&token]).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "u-42"));
    assert_eq!(call(&with_guard, "GET", "/me", &[]).await.status, 401);
    let unguarded = Router::new().route("/me", get(handler));
    let answer = call(&unguarded, "GET", "/me", &[&token]).await;
    assert_eq!(answer.status, 500);
    assert!(!answer.body.contains("u-42"));
}

#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<String>>);

impl MetricsHook for Recorder {
    fn accepted(&self) {
        self.0.lock().expect("lock").push("accepted".into());
    }
    fn rejected(&self, reason: &'static str) {
        self.0.lock().expect("lock").push(reason.into());
    }
}

#[tokio::test]
async fn the_metrics_hook_sees_every_decision() {
    let issuer = FakeIssuer::start().await;
    let recorder = Arc::new(Recorder::default());
    let hook = Arc::clone(&recorder);
    let guard = issuer
        .guard_with(|b| b.without_revocation_feed().metrics(hook))
        .await;
    assert!(guard.verify(&issuer.token(json!({}))).await.is_ok());
    assert!(
        guard
            .verify(&issuer.token(json!({"exp": 1})))
            .await
            .is_err()
    );
    let seen = recorder.0.lock().expect("lock").clone();
    assert_eq!(seen, ["accepted", "jwt_expired"]);
    let stats = guard.stats();
    assert_eq!(
        (stats.accepted, stats.rejected.get("jwt_expired")),
        (1, Some(&1))
    );
}

#[tokio::test]
async fn static_keys_need_no_network() {
    let signer = SigningKey::generate(Algorithm::EdDSA).expect("key");
    let mut keys = KeySet::default();
    keys.push(signer.verifying_key().expect("public"))
        .expect("push");
    let guard = Guard::builder()
        .keys(keys)
        .expected_issuer("https://auth.example.com")
        .audience(AUDIENCE)
        .build()
        .await
        .expect("guard");
    let claims = json!({
        "iss": "https://auth.example.com", "sub": "s", "aud": AUDIENCE, "jti": "j",
        "client_id": "c", "iat": common::now(), "exp": common::now() + 60,
    });
    let header = common::header_for(&signer).to_string();
    let token = common::sign_raw(&signer, &header, &claims.to_string());
    assert_eq!(guard.verify(&token).await.expect("valid").subject(), "s");
    assert_eq!(guard.stats().jwks_fetches, 0);
}

#[tokio::test]
async fn bad_configurations_are_refused_at_build() {
    let issuer = FakeIssuer::start().await;
    let code = |r: Result<Guard, tessera_guard::BuildError>| r.map(|_| ()).map_err(|e| e.code());
    let base = issuer.base.clone();
    let no_audience = Guard::builder().issuer(&base).build().await;
    assert_eq!(code(no_audience), Err("no_audience"));
    let no_issuer = Guard::builder()
        .jwks_url(format!("{base}/jwks"))
        .audience("a")
        .build()
        .await;
    assert_eq!(code(no_issuer), Err("no_issuer"));
    let no_keys = Guard::builder()
        .expected_issuer(&base)
        .audience("a")
        .build()
        .await;
    assert_eq!(code(no_keys), Err("no_key_source"));
    let remote_http = Guard::builder()
        .jwks_url("http://auth.example.com/jwks")
        .expected_issuer("x")
        .audience("a")
        .build()
        .await;
    assert_eq!(code(remote_http), Err("url_invalid"));
    // The metadata names `base`, not `base/`: RFC 8414 §3.3 says refuse.
    let mismatch = Guard::builder()
        .issuer(format!("{base}/"))
        .audience("a")
        .build()
        .await;
    assert_eq!(code(mismatch), Err("discovery_invalid"));
    issuer.state.jwks_status.store(500, Ordering::SeqCst);
    let down = Guard::builder().issuer(&base).audience("a").build().await;
    assert_eq!(code(down), Err("fetch_failed"));
}

#[tokio::test]
async fn a_jwks_publishing_a_shared_secret_is_refused() {
    let secret = SigningKey::from_secret(&[7u8; 32], Algorithm::HS256).expect("hmac");
    let issuer = FakeIssuer::with_keys(vec![secret]).await;
    let built = Guard::builder()
        .issuer(&issuer.base)
        .audience("a")
        .build()
        .await;
    assert_eq!(built.map(|_| ()).map_err(|e| e.code()), Err("jwks_invalid"));
}
