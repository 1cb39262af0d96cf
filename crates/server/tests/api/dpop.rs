//! DPoP (RFC 9449) at the token endpoint, at `/userinfo`, in introspection and discovery:
//! binding for every grant, the refresh family of a public client bound to its key, clients
//! that must send a proof, and every refusal (each with `invalid_dpop_proof`, or
//! `invalid_token` where the scheme does not fit the token).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine as _;
use serde_json::{Value, json};
use tessera_core::NewClient;
use tessera_core::model::Actor;
use tessera_core::model::{ClientWeb, Grant};
use tessera_jose::jws::{Header, compact};
use tessera_jose::{Algorithm, SigningKey, SystemClock, dpop};

use crate::browser::{redeem, signed_in, web_client};
use crate::helpers::{ISSUER, PASSWORD, Reply, TestApp, TestClient, form, text};

const TOKEN: &str = "/oauth/token";
const USERINFO: &str = "/userinfo";

fn key() -> SigningKey {
    SigningKey::generate(Algorithm::ES256).expect("key")
}

fn thumbprint(key: &SigningKey) -> String {
    key.verifying_key().expect("public key").thumbprint()
}

/// A valid proof for `method` at `path` of the test issuer.
fn proof(key: &SigningKey, method: &str, path: &str) -> String {
    dpop::proof(key, method, &format!("{ISSUER}{path}"))
        .sign()
        .expect("proof")
}

/// A proof for `/userinfo` carrying `ath` of `token`.
fn resource_proof(key: &SigningKey, method: &str, token: &str) -> String {
    dpop::proof(key, method, &format!("{ISSUER}{USERINFO}"))
        .access_token(token)
        .sign()
        .expect("proof")
}

/// A proof built by hand, to break one rule: `edit` changes the header, `claims` are signed
/// as given.
fn forged(key: &SigningKey, edit: impl FnOnce(&mut Header), claims: &Value) -> String {
    let mut jwk = key.verifying_key().expect("public").to_jwk();
    (jwk.kid, jwk.alg, jwk.use_) = (None, None, None);
    let mut header = Header::new(key.algorithm()).with_typ("dpop+jwt");
    header
        .extra
        .insert("jwk".into(), serde_json::to_value(&jwk).expect("jwk"));
    edit(&mut header);
    compact::sign(&header, claims.to_string().as_bytes(), key).expect("signed")
}

fn claims(method: &str, path: &str, iat: i64, jti: &str) -> Value {
    json!({"htm": method, "htu": format!("{ISSUER}{path}"), "iat": iat, "jti": jti})
}

fn now() -> i64 {
    tessera_jose::Clock::now(&SystemClock)
}

fn with_proofs(mut request: Request<Body>, proofs: &[&str]) -> Request<Body> {
    for proof in proofs {
        request
            .headers_mut()
            .append("dpop", proof.parse().expect("header value"));
    }
    request
}

fn client_credentials(client: &TestClient) -> Request<Body> {
    form(TOKEN, &[("grant_type", "client_credentials")], Some(client))
}

/// The claims of a JWT, unverified (the server's own token, read back).
fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// A protected request with `Authorization: <scheme> <token>` and these proofs.
fn protected(method: Method, scheme: &str, token: &str, proofs: &[&str]) -> Request<Body> {
    let request = Request::builder()
        .method(method)
        .uri(USERINFO)
        .header(header::AUTHORIZATION, format!("{scheme} {token}"))
        .body(Body::empty())
        .expect("request");
    with_proofs(request, proofs)
}

/// Asserts a 401 with the DPoP challenge naming `code` and the algorithms.
fn assert_dpop_challenge(reply: &Reply, code: &str) {
    reply.assert_error(StatusCode::UNAUTHORIZED, code);
    let challenge = reply.header("www-authenticate");
    assert!(challenge.starts_with("DPoP "), "{challenge}");
    assert!(
        challenge.contains(&format!("error=\"{code}\"")),
        "{challenge}"
    );
    assert!(challenge.contains("algs=\"ES256 "), "{challenge}");
}

async fn service(app: &TestApp) -> TestClient {
    app.client(&[Grant::ClientCredentials], false).await
}

async fn public_client(app: &TestApp) -> TestClient {
    app.client(&[Grant::Password, Grant::RefreshToken], true)
        .await
}

async fn require_dpop_client(app: &TestApp) -> TestClient {
    let new = NewClient::new("agent", &[Grant::ClientCredentials]).with_web(ClientWeb {
        require_dpop: true,
        ..ClientWeb::default()
    });
    let (client, secret) = app
        .authority
        .register_client(&new, &Actor::Operator)
        .await
        .expect("client");
    TestClient {
        id: client.id.into_string(),
        secret,
    }
}

fn password_form(client: &TestClient) -> Request<Body> {
    form(
        TOKEN,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
        ],
        Some(client),
    )
}

fn refresh_form(client: &TestClient, refresh: &str) -> Request<Body> {
    form(
        TOKEN,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        Some(client),
    )
}

async fn introspect(app: &TestApp, introspector: &TestClient, token: &str) -> Value {
    let reply = app
        .send(form(
            "/oauth/introspect",
            &[("token", token)],
            Some(introspector),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.json()
}

#[tokio::test]
async fn client_credentials_with_a_proof_binds_the_token_and_introspection_shows_it() {
    let app = TestApp::new().await;
    let service = service(&app).await;
    let key = key();
    let reply = app
        .send(with_proofs(
            client_credentials(&service),
            &[&proof(&key, "POST", TOKEN)],
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let tokens = reply.json();
    assert_eq!(tokens["token_type"], "DPoP");
    let access = text(&tokens, "access_token");
    assert_eq!(payload(&access)["cnf"]["jkt"], thumbprint(&key));
    let seen = introspect(&app, &service, &access).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["token_type"], "DPoP");
    assert_eq!(seen["cnf"]["jkt"], thumbprint(&key));

    // Without a proof, nothing changes: a bearer token without cnf.
    let plain = app.send(client_credentials(&service)).await.json();
    assert_eq!(plain["token_type"], "Bearer");
    let access = text(&plain, "access_token");
    assert!(payload(&access).get("cnf").is_none());
    let seen = introspect(&app, &service, &access).await;
    assert_eq!(seen["token_type"], "Bearer");
    assert!(seen.get("cnf").is_none(), "{seen}");
}

#[tokio::test]
async fn a_public_clients_refresh_family_is_bound_to_its_key() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let spa = public_client(&app).await;
    let key = key();
    let reply = app
        .send(with_proofs(
            password_form(&spa),
            &[&proof(&key, "POST", TOKEN)],
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let tokens = reply.json();
    assert_eq!(tokens["token_type"], "DPoP");
    let refresh = text(&tokens, "refresh_token");

    // Another key, or none: refused, and the token is not spent.
    let other = self::key();
    let reply = app
        .send(with_proofs(
            refresh_form(&spa, &refresh),
            &[&proof(&other, "POST", TOKEN)],
        ))
        .await;
    let error = reply.assert_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof");
    assert!(
        error["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("bound to another DPoP key")),
        "{error}"
    );
    let reply = app.send(refresh_form(&spa, &refresh)).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof");

    // Its own key: refreshed, and the new access token bound again.
    let reply = app
        .send(with_proofs(
            refresh_form(&spa, &refresh),
            &[&proof(&key, "POST", TOKEN)],
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let next = reply.json();
    assert_eq!(next["token_type"], "DPoP");
    assert_eq!(
        payload(&text(&next, "access_token"))["cnf"]["jkt"],
        thumbprint(&key)
    );
    // The successor is bound as well.
    let reply = app
        .send(refresh_form(&spa, &text(&next, "refresh_token")))
        .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof");
}

#[tokio::test]
async fn a_confidential_clients_refresh_tokens_stay_unbound() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let key = key();
    let tokens = app
        .send(with_proofs(
            password_form(&client),
            &[&proof(&key, "POST", TOKEN)],
        ))
        .await
        .json();
    assert_eq!(tokens["token_type"], "DPoP");
    let refresh = text(&tokens, "refresh_token");
    let seen = introspect(&app, &client, &refresh).await;
    assert!(seen.get("cnf").is_none(), "{seen}");
    // Its authentication already binds its refresh tokens: a refresh without a proof works,
    // and gives a bearer token.
    let reply = app.send(refresh_form(&client, &refresh)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.json()["token_type"], "Bearer");
}

#[tokio::test]
async fn the_authorization_code_grant_binds_the_token_and_the_family() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = web_client(&app, true, None).await;
    let (_browser, code) = signed_in(&app, &client).await;
    let key = key();
    let request = redeem_request(&client, &code);
    let reply = app
        .send(with_proofs(request, &[&proof(&key, "POST", TOKEN)]))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let tokens = reply.json();
    assert_eq!(tokens["token_type"], "DPoP");
    assert_eq!(
        payload(&text(&tokens, "access_token"))["cnf"]["jkt"],
        thumbprint(&key)
    );
    let refresh = text(&tokens, "refresh_token");
    let reply = app.send(refresh_form(&client, &refresh)).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof");
    // Without a proof, the code flow answers a bearer token as before.
    let (_browser, code) = signed_in(&app, &client).await;
    let reply = redeem(&app, &client, &code).await;
    assert_eq!(reply.json()["token_type"], "Bearer");
}

fn redeem_request(client: &TestClient, code: &str) -> Request<Body> {
    form(
        TOKEN,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", crate::browser::REDIRECT),
            ("code_verifier", crate::browser::VERIFIER),
        ],
        Some(client),
    )
}

#[tokio::test]
async fn a_require_dpop_client_must_send_a_proof() {
    let app = TestApp::new().await;
    let agent = require_dpop_client(&app).await;
    let reply = app.send(client_credentials(&agent)).await;
    let error = reply.assert_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof");
    assert_eq!(
        error["error_description"],
        "this client must send a DPoP proof"
    );
    let key = key();
    let reply = app
        .send(with_proofs(
            client_credentials(&agent),
            &[&proof(&key, "POST", TOKEN)],
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.json()["token_type"], "DPoP");
}

/// Sends `proofs` with a client credentials request; asserts the refusal and its text.
async fn refused_at_token(app: &TestApp, client: &TestClient, proofs: &[&str], says: &str) {
    let reply = app
        .send(with_proofs(client_credentials(client), proofs))
        .await;
    let error = reply.assert_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof");
    let description = error["error_description"].as_str().unwrap_or_default();
    assert!(description.contains(says), "{says}: {error}");
}

#[tokio::test]
async fn every_broken_proof_is_refused_at_the_token_endpoint() {
    let app = TestApp::new().await;
    let service = service(&app).await;
    let key = key();
    let good = || proof(&key, "POST", TOKEN);
    refused_at_token(&app, &service, &[&good(), &good()], "more than one").await;

    let bad_typ = forged(
        &key,
        |h| h.typ = Some("jwt".into()),
        &claims("POST", TOKEN, now(), "typ-1"),
    );
    refused_at_token(&app, &service, &[&bad_typ], "typ").await;

    let valid = good();
    let other = proof(&self::key(), "POST", TOKEN);
    let (head, _) = valid.rsplit_once('.').expect("signature");
    let (_, signature) = other.rsplit_once('.').expect("signature");
    let bad_signature = format!("{head}.{signature}");
    refused_at_token(&app, &service, &[&bad_signature], "signature").await;

    let private = forged(
        &key,
        |h| {
            h.extra.insert(
                "jwk".into(),
                serde_json::to_value(key.to_jwk()).expect("private jwk"),
            );
        },
        &claims("POST", TOKEN, now(), "private-1"),
    );
    refused_at_token(&app, &service, &[&private], "private").await;

    let wrong_htm = proof(&key, "GET", TOKEN);
    refused_at_token(&app, &service, &[&wrong_htm], "htm").await;

    // The URL the request reached through some other name: htu comes from the configured
    // issuer, never from Host.
    let wrong_htu = dpop::proof(&key, "POST", "http://localhost:8080/oauth/token")
        .sign()
        .expect("proof");
    let request = with_proofs(client_credentials(&service), &[&wrong_htu]);
    let mut request = request;
    request
        .headers_mut()
        .insert(header::HOST, "localhost:8080".parse().expect("host"));
    let reply = app.send(request).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof");

    let stale = dpop::proof(&key, "POST", &format!("{ISSUER}{TOKEN}"))
        .issued_at(now() - 600)
        .sign()
        .expect("proof");
    refused_at_token(&app, &service, &[&stale], "iat").await;

    let once = good();
    let reply = app
        .send(with_proofs(client_credentials(&service), &[&once]))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    refused_at_token(&app, &service, &[&once], "used before").await;
}

#[tokio::test]
async fn a_failed_grant_still_spends_nothing_but_the_proof() {
    // A refused grant (here a wrong password) after a valid proof: the proof's jti is
    // recorded, so the same proof cannot be tried again.
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let key = key();
    let once = proof(&key, "POST", TOKEN);
    let wrong = form(
        TOKEN,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "wrong password here"),
        ],
        Some(&client),
    );
    let reply = app.send(with_proofs(wrong, &[&once])).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let reply = app
        .send(with_proofs(password_form(&client), &[&once]))
        .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof");
}

/// A user's DPoP-bound access token, its key, and a bearer token of the same user.
async fn bound_user_token(app: &TestApp) -> (String, SigningKey, String) {
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let key = key();
    let bound = app
        .send(with_proofs(
            password_form(&client),
            &[&proof(&key, "POST", TOKEN)],
        ))
        .await
        .json();
    let bearer = app.login(&client, "alice").await;
    (
        text(&bound, "access_token"),
        key,
        text(&bearer, "access_token"),
    )
}

#[tokio::test]
async fn userinfo_takes_a_bound_token_only_with_a_proof_of_its_key() {
    let app = TestApp::new().await;
    let (token, key, bearer) = bound_user_token(&app).await;
    for method in [Method::GET, Method::POST] {
        let proof = resource_proof(&key, method.as_str(), &token);
        let reply = app
            .send(protected(method.clone(), "DPoP", &token, &[&proof]))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{method}: {:?}", reply.body);
        assert_eq!(reply.json()["preferred_username"], "alice");
    }
    // A bearer token without cnf works exactly as before.
    let reply = app.get(USERINFO, Some(&bearer)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

#[tokio::test]
async fn every_refusal_at_userinfo_has_the_dpop_challenge() {
    let app = TestApp::new().await;
    let (token, key, bearer) = bound_user_token(&app).await;

    // Downgrade: the bound token as a bearer token.
    let reply = app.get(USERINFO, Some(&token)).await;
    assert_dpop_challenge(&reply, "invalid_token");

    // Replay of a proof that was accepted.
    let once = resource_proof(&key, "GET", &token);
    let reply = app
        .send(protected(Method::GET, "DPoP", &token, &[&once]))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let reply = app
        .send(protected(Method::GET, "DPoP", &token, &[&once]))
        .await;
    assert_dpop_challenge(&reply, "invalid_dpop_proof");

    // ath of another token.
    let wrong_ath = resource_proof(&key, "GET", &bearer);
    let reply = app
        .send(protected(Method::GET, "DPoP", &token, &[&wrong_ath]))
        .await;
    assert_dpop_challenge(&reply, "invalid_dpop_proof");

    // A proof of another key.
    let wrong_key = resource_proof(&self::key(), "GET", &token);
    let reply = app
        .send(protected(Method::GET, "DPoP", &token, &[&wrong_key]))
        .await;
    assert_dpop_challenge(&reply, "invalid_dpop_proof");

    // No proof, or a proof for another method or endpoint.
    let reply = app.send(protected(Method::GET, "DPoP", &token, &[])).await;
    assert_dpop_challenge(&reply, "invalid_dpop_proof");
    let post_proof = resource_proof(&key, "POST", &token);
    let reply = app
        .send(protected(Method::GET, "DPoP", &token, &[&post_proof]))
        .await;
    assert_dpop_challenge(&reply, "invalid_dpop_proof");
    let token_endpoint = dpop::proof(&key, "GET", &format!("{ISSUER}{TOKEN}"))
        .access_token(&token)
        .sign()
        .expect("proof");
    let reply = app
        .send(protected(Method::GET, "DPoP", &token, &[&token_endpoint]))
        .await;
    assert_dpop_challenge(&reply, "invalid_dpop_proof");

    // An unbound token with the DPoP scheme (RFC 9449 §7.2): refused, not downgraded.
    let proof = resource_proof(&key, "GET", &bearer);
    let reply = app
        .send(protected(Method::GET, "DPoP", &bearer, &[&proof]))
        .await;
    assert_dpop_challenge(&reply, "invalid_token");
    // A bad token with the DPoP scheme gets the DPoP challenge too.
    let reply = app
        .send(protected(Method::GET, "DPoP", "not.a.token", &[&proof]))
        .await;
    assert_dpop_challenge(&reply, "invalid_token");
}

#[tokio::test]
async fn discovery_lists_the_proof_algorithms() {
    let app = TestApp::new().await;
    let metadata = app
        .get("/.well-known/openid-configuration", None)
        .await
        .json();
    let algs: Vec<&str> = metadata["dpop_signing_alg_values_supported"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        algs.contains(&"ES256") && algs.contains(&"EdDSA"),
        "{algs:?}"
    );
    assert!(!algs.iter().any(|alg| alg.starts_with("HS")), "{algs:?}");
}

#[tokio::test]
async fn the_admin_api_registers_and_shows_require_dpop() {
    let app = TestApp::new().await;
    let admin = app.admin_token().await;
    let body = json!({"name": "agent", "grants": ["client_credentials"], "require_dpop": true});
    let reply = app
        .send(crate::helpers::json(
            Method::POST,
            "/admin/clients",
            &admin,
            &body,
        ))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let created = reply.json();
    assert_eq!(created["require_dpop"], true);
    let agent = TestClient {
        id: text(&created, "client_id"),
        secret: Some(text(&created, "client_secret")),
    };
    let reply = app.send(client_credentials(&agent)).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof");
}
