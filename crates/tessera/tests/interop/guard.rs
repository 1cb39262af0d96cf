//! Tokens and keys made by PyJWT/cryptography and by `jose` pass `tessera-guard` in front of an
//! axum route: the guard is built from the fixtures' JWKS (fixed keys, nothing fetched) with
//! their issuer and audience, the genuine token reaches the handler with its `sub`, and each
//! tampered copy is answered 401 `invalid_token` without reaching it.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use tessera_guard::{AccessToken, Guard};
use tessera_jose::{JwkSet, KeySet};
use tower::ServiceExt;

use crate::fixtures::{ALGS, ForeignTokens, Generator, Tampered};

/// The largest response body read back (the guard's error bodies are a few dozen bytes).
const BODY_LIMIT: usize = 64 * 1024;

/// A guard trusting exactly the fixtures' keys, issuer and audience.
async fn guard_for(tokens: &ForeignTokens) -> Guard {
    let path = tokens.jwks();
    let json = std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let jwks = JwkSet::from_json(&json).expect("jwks.json parses");
    let keys = KeySet::from_jwks(&jwks, &[]).expect("jwks.json keys");
    assert_eq!(keys.keys().len(), ALGS.len(), "one key per algorithm");
    Guard::builder()
        .keys(keys)
        .expected_issuer(tokens.manifest("issuer"))
        .audience(tokens.manifest("audience"))
        .typ(tokens.manifest("typ"))
        .without_revocation_feed()
        .build()
        .await
        .expect("guard from fixed keys")
}

/// `GET /me` behind the guard (scope `orders:read`); the handler records the subject it was
/// given and answers with it.
fn app(guard: &Guard, seen: &Arc<Mutex<Vec<String>>>) -> Router {
    let seen = Arc::clone(seen);
    let me = move |token: AccessToken| async move {
        let sub = token.subject().to_owned();
        seen.lock().expect("lock").push(sub.clone());
        sub
    };
    Router::new().route(
        "/me",
        get(me).route_layer(guard.layer().require_scope("orders:read")),
    )
}

/// The status, `WWW-Authenticate` and body of `GET /me` with `token` as the bearer.
async fn call(app: &Router, token: &str) -> (StatusCode, Option<String>, String) {
    let request = Request::get("/me")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|value| value.to_str().expect("ASCII challenge").to_owned());
    let body = to_bytes(response.into_body(), BODY_LIMIT)
        .await
        .expect("body");
    let body = String::from_utf8(body.to_vec()).expect("UTF-8 body");
    (status, challenge, body)
}

fn read_token(tokens: &ForeignTokens, alg: &str, tampered: Option<Tampered>) -> String {
    let path = tokens.token(alg, tampered);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
    text.trim().to_owned()
}

/// Checks one algorithm of one generator through the guarded route.
fn check(generator: Generator, alg: &str) {
    let tokens = ForeignTokens::generate(generator);
    assert_eq!(tokens.algs(), ALGS, "{generator:?} covers every algorithm");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(check_async(&tokens, generator, alg));
}

async fn check_async(tokens: &ForeignTokens, generator: Generator, alg: &str) {
    let what = format!(
        "{generator:?} {alg} token ({})",
        tokens.manifest("generator")
    );
    let guard = guard_for(tokens).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = app(&guard, &seen);

    let sub = tokens.claims(alg)["sub"]
        .as_str()
        .expect("claims.json sub")
        .to_owned();
    let (status, challenge, body) = call(&app, &read_token(tokens, alg, None)).await;
    assert_eq!(status, StatusCode::OK, "{what}: {challenge:?} {body}");
    assert_eq!(body, sub, "{what}: the handler answers with the subject");
    assert_eq!(
        *seen.lock().expect("lock"),
        [sub.as_str()],
        "{what}: the handler saw the signed subject"
    );

    for tampered in [Tampered::Payload, Tampered::Signature] {
        let token = read_token(tokens, alg, Some(tampered));
        let (status, challenge, body) = call(&app, &token).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{what}, {tampered:?}: {body}"
        );
        let challenge = challenge.unwrap_or_default();
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{what}, {tampered:?}: WWW-Authenticate {challenge:?}"
        );
        assert_eq!(
            seen.lock().expect("lock").len(),
            1,
            "{what}, {tampered:?}: the handler was not reached"
        );
    }

    let stats = guard.stats();
    assert_eq!(stats.accepted, 1, "{what}: {stats:?}");
    assert_eq!(
        stats.rejected.into_iter().collect::<Vec<_>>(),
        [("signature_invalid", 2)],
        "{what}: both copies refused for their signature"
    );
}

/// Made by PyJWT with keys from cryptography.
mod pyjwt {
    use crate::fixtures::Generator;

    per_alg!(
        super::check,
        Generator::PyJwt,
        "needs python3 with interop/python/requirements.txt"
    );
}

/// Made by the `jose` package.
mod jose {
    use crate::fixtures::Generator;

    per_alg!(
        super::check,
        Generator::Jose,
        "needs node with interop/node packages (npm ci)"
    );
}
