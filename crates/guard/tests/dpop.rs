//! DPoP-bound tokens (RFC 9449 §7) through the layer and the extractor: a valid request, each
//! way a proof can fail, replays, the Bearer downgrade, the challenges, and the bounds.

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{Value, json};
use tessera_guard::{AccessToken, Guard, GuardBuilder};
use tessera_jose::{Algorithm, SigningKey, dpop};

use common::{Answer, FakeIssuer, app, bearer, call, call_with, key, now};

/// The public URL the tests' guards are configured with.
const PUBLIC: &str = "https://api.example.com";
const ORDERS: &str = "https://api.example.com/orders";

/// An issuer, a DPoP guard in front of the common routes, and a client key.
struct Setup {
    issuer: FakeIssuer,
    guard: Guard,
    router: Router,
    client: SigningKey,
}

impl Setup {
    async fn new() -> Self {
        Self::with(|b| b).await
    }

    async fn with(tune: impl FnOnce(GuardBuilder) -> GuardBuilder) -> Self {
        let issuer = FakeIssuer::start().await;
        let guard = issuer
            .guard_with(|b| tune(b.without_revocation_feed().public_url(PUBLIC)))
            .await;
        let router = app(&guard, Arc::new(AtomicUsize::new(0)));
        Self {
            issuer,
            guard,
            router,
            client: key(Algorithm::ES256),
        }
    }

    /// An access token bound to the client's key.
    fn bound_token(&self) -> String {
        self.issuer
            .token(json!({"cnf": {"jkt": thumbprint(&self.client)}}))
    }

    /// A fresh proof by the client for `GET /orders` with `token`.
    fn proof(&self, token: &str) -> String {
        dpop::proof(&self.client, "GET", ORDERS)
            .access_token(token)
            .sign()
            .expect("proof")
    }

    /// `GET /orders` with `Authorization: DPoP token` and these proofs.
    async fn get_orders(&self, token: &str, proofs: &[&str]) -> Answer {
        let authorization = format!("DPoP {token}");
        let mut headers = vec![("authorization", authorization.as_str())];
        headers.extend(proofs.iter().map(|proof| ("dpop", *proof)));
        call_with(&self.router, "GET", "/orders", &headers).await
    }

    /// Asserts a 401 `invalid_dpop_proof` counted under `code`.
    fn assert_proof_refused(&self, answer: &Answer, code: &str) {
        assert_eq!(answer.status, 401, "{code}: {}", answer.body);
        let challenge = answer.challenge.as_deref().expect("challenge");
        assert!(
            challenge.starts_with("DPoP error=\"invalid_dpop_proof\""),
            "{challenge}"
        );
        assert!(challenge.contains("algs=\"RS256 "), "{challenge}");
        let body: Value = serde_json::from_str(&answer.body).expect("json");
        assert_eq!(body["error"], "invalid_dpop_proof");
        assert!(body["error_description"].is_string());
        let counted = self.guard.stats().rejected.get(code).copied();
        assert!(counted >= Some(1), "{code} not counted: {counted:?}");
    }
}

fn thumbprint(key: &SigningKey) -> String {
    key.verifying_key().expect("public").thumbprint()
}

#[tokio::test]
async fn a_bound_token_with_a_valid_proof_is_accepted() {
    let setup = Setup::new().await;
    let token = setup.bound_token();
    let answer = setup.get_orders(&token, &[&setup.proof(&token)]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // Again with a new proof: the token comes from the verified cache, the proof is new.
    let answer = setup.get_orders(&token, &[&setup.proof(&token)]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // A query is not part of htu; a proof naming it is accepted too (htu drops it).
    let proof = dpop::proof(
        &setup.client,
        "GET",
        "https://api.example.com/orders?page=2",
    )
    .access_token(&token)
    .sign()
    .expect("proof");
    let headers = [("authorization", format!("DPoP {token}")), ("dpop", proof)];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let answer = call_with(&setup.router, "GET", "/orders?page=2", &headers).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(setup.guard.stats().accepted, 3);
}

#[tokio::test]
async fn the_handler_sees_the_binding() {
    let setup = Setup::new().await;
    let router = Router::new()
        .route(
            "/orders",
            get(|token: AccessToken| async move {
                Json(json!({"jkt": token.confirmation_jkt(), "bound": token.is_dpop_bound()}))
            }),
        )
        .layer(Extension(setup.guard.clone()));
    // Through the extractor alone (no layer): it checks the proof from the request parts.
    let token = setup.bound_token();
    let authorization = format!("DPoP {token}");
    let proof = setup.proof(&token);
    let headers = [("authorization", authorization.as_str()), ("dpop", &proof)];
    let answer = call_with(&router, "GET", "/orders", &headers).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body: Value = serde_json::from_str(&answer.body).expect("json");
    assert_eq!(
        body,
        json!({"jkt": thumbprint(&setup.client), "bound": true})
    );
    let plain = setup.issuer.token(json!({}));
    let answer = call(&router, "GET", "/orders", &[&bearer(&plain)]).await;
    let body: Value = serde_json::from_str(&answer.body).expect("json");
    assert_eq!(body, json!({"jkt": null, "bound": false}));
    let replayed = call_with(&router, "GET", "/orders", &headers).await;
    setup.assert_proof_refused(&replayed, "dpop_replayed");
}

#[tokio::test]
async fn a_missing_or_doubled_proof_is_refused() {
    let setup = Setup::new().await;
    let token = setup.bound_token();
    let missing = setup.get_orders(&token, &[]).await;
    setup.assert_proof_refused(&missing, "dpop_missing");
    let (one, two) = (setup.proof(&token), setup.proof(&token));
    let doubled = setup.get_orders(&token, &[&one, &two]).await;
    setup.assert_proof_refused(&doubled, "dpop_multiple");
    let listed = setup.get_orders(&token, &[&format!("{one}, {two}")]).await;
    setup.assert_proof_refused(&listed, "dpop_multiple");
}

#[tokio::test]
async fn a_proof_with_a_bad_signature_is_refused() {
    let setup = Setup::new().await;
    let token = setup.bound_token();
    let (one, two) = (setup.proof(&token), setup.proof(&token));
    // The first proof's header and claims under the second's signature: same key, but
    // the signature is over other claims (another jti).
    let signed = &one[..one.rfind('.').expect("dot")];
    let signature = &two[two.rfind('.').expect("dot")..];
    let forged = format!("{signed}{signature}");
    let answer = setup.get_orders(&token, &[&forged]).await;
    setup.assert_proof_refused(&answer, "dpop_signature_invalid");
    let junk = setup.get_orders(&token, &["not-a-jws"]).await;
    setup.assert_proof_refused(&junk, "dpop_malformed");
}

#[tokio::test]
async fn a_proof_for_another_method_or_url_is_refused() {
    let setup = Setup::new().await;
    let token = setup.bound_token();
    let post = dpop::proof(&setup.client, "POST", ORDERS)
        .access_token(&token)
        .sign();
    let answer = setup.get_orders(&token, &[&post.expect("proof")]).await;
    setup.assert_proof_refused(&answer, "dpop_htm_mismatch");
    for htu in [
        "https://api.example.com/admin",
        "https://other.example.com/orders",
        "http://api.example.com/orders",
        // What a guard that trusted Host would build for the request below.
        "http://evil.example/orders",
    ] {
        let proof = dpop::proof(&setup.client, "GET", htu)
            .access_token(&token)
            .sign();
        let proof = proof.expect("proof");
        let authorization = format!("DPoP {token}");
        let headers = [
            ("authorization", authorization.as_str()),
            ("dpop", proof.as_str()),
            ("host", "evil.example"),
        ];
        let answer = call_with(&setup.router, "GET", "/orders", &headers).await;
        setup.assert_proof_refused(&answer, "dpop_htu_mismatch");
    }
}

#[tokio::test]
async fn a_proof_for_another_token_or_by_another_key_is_refused() {
    let setup = Setup::new().await;
    let token = setup.bound_token();
    let other_token = setup.bound_token();
    let answer = setup
        .get_orders(&token, &[&setup.proof(&other_token)])
        .await;
    setup.assert_proof_refused(&answer, "dpop_ath_mismatch");
    let no_ath = dpop::proof(&setup.client, "GET", ORDERS)
        .sign()
        .expect("proof");
    let answer = setup.get_orders(&token, &[&no_ath]).await;
    setup.assert_proof_refused(&answer, "dpop_ath_mismatch");
    // A thief with the token and a key of their own: the thumbprint is not cnf.jkt.
    let thief = key(Algorithm::ES256);
    let proof = dpop::proof(&thief, "GET", ORDERS)
        .access_token(&token)
        .sign();
    let answer = setup.get_orders(&token, &[&proof.expect("proof")]).await;
    setup.assert_proof_refused(&answer, "dpop_key_mismatch");
}

#[tokio::test]
async fn a_stale_or_future_proof_is_refused() {
    let setup = Setup::new().await;
    let token = setup.bound_token();
    for iat in [now() - 120, now() + 120] {
        let proof = dpop::proof(&setup.client, "GET", ORDERS)
            .access_token(&token)
            .issued_at(iat)
            .sign()
            .expect("proof");
        let answer = setup.get_orders(&token, &[&proof]).await;
        setup.assert_proof_refused(&answer, "dpop_iat_invalid");
    }
    let proof = dpop::proof(&setup.client, "GET", ORDERS)
        .access_token(&token)
        .issued_at(now() - 30)
        .sign()
        .expect("proof");
    assert_eq!(setup.get_orders(&token, &[&proof]).await.status, 200);
}

#[tokio::test]
async fn a_proof_is_accepted_once() {
    let setup = Setup::new().await;
    let token = setup.bound_token();
    let proof = setup.proof(&token);
    assert_eq!(setup.get_orders(&token, &[&proof]).await.status, 200);
    let again = setup.get_orders(&token, &[&proof]).await;
    setup.assert_proof_refused(&again, "dpop_replayed");
    // A new proof reusing the jti (another iat, so another signature) is a replay too.
    let reused = |iat| {
        dpop::proof(&setup.client, "GET", ORDERS)
            .access_token(&token)
            .jti("the-same-jti")
            .issued_at(iat)
            .sign()
            .expect("proof")
    };
    assert_eq!(
        setup.get_orders(&token, &[&reused(now())]).await.status,
        200
    );
    let answer = setup.get_orders(&token, &[&reused(now() - 5)]).await;
    setup.assert_proof_refused(&answer, "dpop_replayed");
    // A refused proof is not remembered: only proofs that passed every check are.
    assert_eq!(setup.guard.stats().dpop_proofs_remembered, 2);
}

#[tokio::test]
async fn proofs_by_a_disallowed_algorithm_are_refused() {
    let setup = Setup::with(|b| b.dpop_algorithms([Algorithm::ES256, Algorithm::HS256])).await;
    let token = setup.bound_token();
    assert_eq!(
        setup
            .get_orders(&token, &[&setup.proof(&token)])
            .await
            .status,
        200
    );
    let eddsa = key(Algorithm::EdDSA);
    let token = setup
        .issuer
        .token(json!({"cnf": {"jkt": thumbprint(&eddsa)}}));
    let proof = dpop::proof(&eddsa, "GET", ORDERS)
        .access_token(&token)
        .sign();
    let answer = setup.get_orders(&token, &[&proof.expect("proof")]).await;
    assert_eq!(answer.status, 401);
    let challenge = answer.challenge.expect("challenge");
    // HS256 was dropped from the list: a proof is never checked with a shared secret.
    assert!(challenge.contains("algs=\"ES256\""), "{challenge}");
    assert_eq!(
        setup.guard.stats().rejected.get("dpop_alg_not_allowed"),
        Some(&1)
    );
}

#[tokio::test]
async fn a_bound_token_sent_as_bearer_is_refused() {
    let setup = Setup::new().await;
    let token = setup.bound_token();
    // Before and after the token is in the verified cache.
    for _ in 0..2 {
        let answer = call(&setup.router, "GET", "/orders", &[&bearer(&token)]).await;
        assert_eq!(answer.status, 401, "{}", answer.body);
        let challenge = answer.challenge.expect("challenge");
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{challenge}"
        );
        assert!(challenge.contains(", DPoP algs=\""), "{challenge}");
        let body: Value = serde_json::from_str(&answer.body).expect("json");
        assert_eq!(body["error"], "invalid_token");
        assert_eq!(
            setup
                .get_orders(&token, &[&setup.proof(&token)])
                .await
                .status,
            200
        );
    }
    assert_eq!(setup.guard.stats().rejected.get("dpop_downgrade"), Some(&2));
    // Even with a valid proof beside it, the Bearer scheme is refused.
    let proof = setup.proof(&token);
    let authorization = bearer(&token);
    let headers = [("authorization", authorization.as_str()), ("dpop", &proof)];
    let answer = call_with(&setup.router, "GET", "/orders", &headers).await;
    assert_eq!(answer.status, 401);
    // Outside a request, too: verify() has no proof to check.
    let refused = setup.guard.verify(&token).await.map_err(|e| e.code());
    assert_eq!(refused.err(), Some("dpop_downgrade"));
}

#[tokio::test]
async fn the_dpop_scheme_with_junk_or_an_unbound_token_is_refused() {
    let setup = Setup::new().await;
    let malformed = setup.get_orders("not a token", &[]).await;
    assert_eq!(malformed.status, 400, "{}", malformed.body);
    let challenge = malformed.challenge.expect("challenge");
    assert!(
        challenge.starts_with("DPoP error=\"invalid_request\""),
        "{challenge}"
    );
    let junk = setup
        .get_orders("abc.def.ghi", &[&setup.proof("abc.def.ghi")])
        .await;
    assert_eq!(junk.status, 401);
    let challenge = junk.challenge.expect("challenge");
    assert!(
        challenge.starts_with("DPoP error=\"invalid_token\""),
        "{challenge}"
    );
    assert!(challenge.contains("algs=\""), "{challenge}");
    // An unbound token under the DPoP scheme, even with a proof: refused (RFC 9449 §7.1).
    let unbound = setup.issuer.token(json!({}));
    let answer = setup.get_orders(&unbound, &[&setup.proof(&unbound)]).await;
    assert_eq!(answer.status, 401);
    let challenge = answer.challenge.expect("challenge");
    assert!(
        challenge.starts_with("DPoP error=\"invalid_token\""),
        "{challenge}"
    );
    assert_eq!(
        setup.guard.stats().rejected.get("dpop_token_unbound"),
        Some(&1)
    );
}

#[tokio::test]
async fn plain_bearer_tokens_still_work_and_challenges_name_both_schemes() {
    let setup = Setup::new().await;
    let plain = setup.issuer.token(json!({}));
    let answer = call(&setup.router, "GET", "/orders", &[&bearer(&plain)]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let none = call(&setup.router, "GET", "/orders", &[]).await;
    assert_eq!(none.status, 401);
    let challenge = none.challenge.expect("challenge");
    assert!(
        challenge.starts_with("Bearer, DPoP algs=\"RS256 "),
        "{challenge}"
    );
    assert!(challenge.ends_with(" EdDSA\""), "{challenge}");
    assert!(none.body.is_empty());
    // A missing scope under the DPoP scheme: 403 on the DPoP challenge.
    let token = setup.bound_token();
    let authorization = format!("DPoP {token}");
    let proof = dpop::proof(
        &setup.client,
        "POST",
        "https://api.example.com/orders/write",
    )
    .access_token(&token)
    .sign()
    .expect("proof");
    let headers = [("authorization", authorization.as_str()), ("dpop", &proof)];
    let answer = call_with(&setup.router, "POST", "/orders/write", &headers).await;
    assert_eq!(answer.status, 403);
    let challenge = answer.challenge.expect("challenge");
    assert!(
        challenge.starts_with("DPoP error=\"insufficient_scope\""),
        "{challenge}"
    );
}

#[tokio::test]
async fn without_a_public_url_dpop_bound_tokens_are_refused() {
    let issuer = FakeIssuer::start().await;
    let guard = issuer.guard_with(|b| b.without_revocation_feed()).await;
    let router = app(&guard, Arc::new(AtomicUsize::new(0)));
    let client = key(Algorithm::ES256);
    let token = issuer.token(json!({"cnf": {"jkt": thumbprint(&client)}}));
    let proof = dpop::proof(&client, "GET", ORDERS)
        .access_token(&token)
        .sign();
    let authorization = format!("DPoP {token}");
    let proof = proof.expect("proof");
    let headers = [("authorization", authorization.as_str()), ("dpop", &proof)];
    for answer in [
        call_with(&router, "GET", "/orders", &headers).await,
        call(&router, "GET", "/orders", &[&bearer(&token)]).await,
    ] {
        assert_eq!(answer.status, 401);
        let challenge = answer.challenge.expect("challenge");
        // Only Bearer is offered, and the description says why.
        assert!(challenge.starts_with("Bearer error="), "{challenge}");
        assert!(!challenge.contains("algs="), "{challenge}");
        let body: Value = serde_json::from_str(&answer.body).expect("json");
        assert_eq!(
            body["error_description"],
            "this service does not accept DPoP-bound access tokens"
        );
    }
    assert_eq!(guard.stats().rejected.get("dpop_unsupported"), Some(&2));
    assert_eq!(guard.stats().dpop_proofs_remembered, 0);
}

#[tokio::test]
async fn the_public_url_may_carry_a_prefix_the_service_does_not_see() {
    let setup = Setup::with(|b| b.public_url("https://example.com/api/")).await;
    let token = setup.bound_token();
    let proof = dpop::proof(&setup.client, "GET", "https://example.com/api/orders")
        .access_token(&token)
        .sign()
        .expect("proof");
    assert_eq!(setup.get_orders(&token, &[&proof]).await.status, 200);
    let answer = setup.get_orders(&token, &[&setup.proof(&token)]).await;
    setup.assert_proof_refused(&answer, "dpop_htu_mismatch");
}

#[tokio::test]
async fn request_level_apis_check_the_proof_and_header_only_ones_refuse_it() {
    let setup = Setup::new().await;
    let token = setup.bound_token();
    let mut headers = axum::http::HeaderMap::new();
    let authorization = format!("DPoP {token}");
    headers.insert("authorization", authorization.parse().expect("value"));
    headers.insert("dpop", setup.proof(&token).parse().expect("value"));
    let refused = setup
        .guard
        .authenticate(&headers)
        .await
        .map_err(|e| e.code());
    assert_eq!(refused.err(), Some("dpop_target_unknown"));
    let uri: axum::http::Uri = "/orders".parse().expect("uri");
    let method = axum::http::Method::GET;
    let accepted = setup
        .guard
        .authenticate_request(&method, &uri, &headers)
        .await;
    assert_eq!(
        accepted.expect("accepted").confirmation_jkt(),
        Some(thumbprint(&setup.client).as_str())
    );
}

#[tokio::test]
async fn bad_dpop_settings_are_refused_at_build() {
    for url in [
        "api.example.com",
        "ftp://api.example.com",
        "https://api.example.com/?x=1",
        "https://api.example.com/#top",
        "https://user:pw@api.example.com",
    ] {
        let built = Guard::builder()
            .keys(tessera_jose::KeySet::default())
            .expected_issuer("https://issuer.example")
            .audience("a")
            .public_url(url)
            .build()
            .await;
        assert_eq!(
            built.map(|_| ()).map_err(|e| e.code()),
            Err("url_invalid"),
            "{url}"
        );
    }
    let built = Guard::builder()
        .keys(tessera_jose::KeySet::default())
        .expected_issuer("https://issuer.example")
        .audience("a")
        .public_url(PUBLIC)
        .dpop_algorithms([Algorithm::HS256])
        .build()
        .await;
    assert_eq!(built.map(|_| ()).map_err(|e| e.code()), Err("dpop_invalid"));
}

#[tokio::test]
async fn the_replay_cache_stays_within_its_bound() {
    const PROOFS: usize = 2_000;
    const CAPACITY: usize = 300;
    let setup = Setup::with(|b| b.dpop_replay_capacity(CAPACITY)).await;
    let token = setup.bound_token();
    let mut first = None;
    for i in 0..PROOFS {
        let proof = dpop::proof(&setup.client, "GET", ORDERS)
            .access_token(&token)
            .jti(format!("jti-{i}"))
            .sign()
            .expect("proof");
        assert_eq!(setup.get_orders(&token, &[&proof]).await.status, 200, "{i}");
        assert!(setup.guard.stats().dpop_proofs_remembered <= CAPACITY);
        first.get_or_insert(proof);
    }
    assert_eq!(setup.guard.stats().dpop_proofs_remembered, CAPACITY);
    let last = dpop::proof(&setup.client, "GET", ORDERS)
        .access_token(&token)
        .jti(format!("jti-{}", PROOFS - 1))
        .sign()
        .expect("proof");
    let answer = setup.get_orders(&token, &[&last]).await;
    setup.assert_proof_refused(&answer, "dpop_replayed");
    // The documented cost of the bound: the oldest proof was forgotten and passes again.
    let first = first.expect("first");
    assert_eq!(setup.get_orders(&token, &[&first]).await.status, 200);
}
