//! Encrypted ID tokens and userinfo answers (OpenID Connect Core §10.2, §5.3.2): a client that
//! registered its keys and an encryption algorithm gets a JWE around the signed token, which
//! only its private key opens and whose inner token verifies against the server's JWKS.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tessera_core::NewClient;
use tessera_core::model::Actor;
use tessera_core::model::{ClientJose, ClientWeb, Grant};
use tessera_jose::jwe::{ContentEncryption, DecryptionKey, EcdhCurve, KeyAlgorithm};
use tessera_jose::{Algorithm, JwkSet, KeySet, Token, Validator};

use crate::browser::{BYE, REDIRECT, body, redeem, signed_in, urlencode};
use crate::helpers::{ISSUER, TestApp, TestClient, form, json as json_request, text};

/// The key families of the brief: RSA, ECDH on P-256 with key wrap, direct ECDH on X25519.
fn families() -> Vec<(KeyAlgorithm, Option<EcdhCurve>)> {
    vec![
        (KeyAlgorithm::RsaOaep256, None),
        (KeyAlgorithm::EcdhEsA256Kw, Some(EcdhCurve::P256)),
        (KeyAlgorithm::EcdhEs, Some(EcdhCurve::X25519)),
    ]
}

/// A relying party's key pair for `alg`, with a `kid`.
fn rp_key(alg: KeyAlgorithm, curve: Option<EcdhCurve>) -> DecryptionKey {
    DecryptionKey::generate(alg, curve, None)
        .expect("key")
        .with_kid(format!("rp-{}", alg.as_str()))
}

/// The public JWK Set of `key`, as the client registers it.
fn public_jwks(key: &DecryptionKey) -> JwkSet {
    let public = key.encryption_key().expect("public half").to_jwk();
    JwkSet::from_json(format!(r#"{{"keys":[{}]}}"#, public.to_json()).as_bytes()).expect("jwks")
}

/// A first-party browser client with these encryption settings.
async fn encrypting_client(app: &TestApp, jose: ClientJose) -> TestClient {
    let new = NewClient::new("Orders", &[Grant::AuthorizationCode, Grant::RefreshToken])
        .with_scopes(&["openid".into(), "read".into()])
        .public(true)
        .with_web(ClientWeb {
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec![BYE.into()],
            first_party: true,
            jose,
            ..ClientWeb::default()
        });
    let (client, _) = app
        .authority
        .register_client(&new, &Actor::Operator)
        .await
        .expect("client");
    TestClient {
        id: client.id.into_string(),
        secret: None,
    }
}

fn id_token_settings(key: &DecryptionKey, enc: Option<ContentEncryption>) -> ClientJose {
    ClientJose {
        jwks: Some(public_jwks(key)),
        id_token_encrypted_response_alg: Some(key.algorithm()),
        id_token_encrypted_response_enc: enc,
        ..ClientJose::default()
    }
}

/// The server's published keys, as a relying party fetches them.
async fn server_keys(app: &TestApp) -> KeySet {
    let reply = app.get("/.well-known/jwks.json", None).await;
    let jwks = JwkSet::from_json(&reply.body).expect("jwks");
    KeySet::from_jwks(&jwks, &[Algorithm::ES256]).expect("key set")
}

/// The protected header of a JWE, read as JSON.
fn jwe_header(token: &str) -> Value {
    use base64::Engine as _;
    let part = token.split('.').next().expect("header");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("json")
}

/// Decrypts `token` with the RP's key and verifies the inner JWT against the server's JWKS.
async fn open(app: &TestApp, token: &str, key: &DecryptionKey, client: &TestClient) -> Token {
    let validator = Validator::builder()
        .issuer(ISSUER)
        .audience(client.id.as_str())
        .build();
    validator
        .decrypt_and_verify(token, key, &server_keys(app).await)
        .expect("decrypts and verifies")
}

/// Signs alice in through `client` and redeems the code; the token response.
async fn code_flow(app: &TestApp, client: &TestClient) -> Value {
    let (_, code) = signed_in(app, client).await;
    let reply = redeem(app, client, &code).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", body(&reply));
    reply.json()
}

#[tokio::test]
async fn id_tokens_are_encrypted_to_the_client_key_for_every_family_and_enc() {
    let app = TestApp::new().await;
    let alice = app.user("alice", &[]).await;
    for (alg, curve) in families() {
        let key = rp_key(alg, curve);
        for enc in ContentEncryption::ALL {
            let client = encrypting_client(&app, id_token_settings(&key, Some(enc))).await;
            let tokens = code_flow(&app, &client).await;
            let id_token = text(&tokens, "id_token");
            assert_eq!(id_token.split('.').count(), 5, "a JWE: {id_token}");
            let header = jwe_header(&id_token);
            assert_eq!(header["alg"], alg.as_str());
            assert_eq!(header["enc"], enc.as_str());
            assert_eq!(header["cty"], "JWT");
            assert_eq!(header["kid"], key.kid().expect("kid"));
            let token = open(&app, &id_token, &key, &client).await;
            assert_eq!(token.header.typ.as_deref(), Some("JWT"));
            assert_eq!(token.claims.sub.as_deref(), Some(alice.as_str()));
            assert_eq!(token.claims.extra.get("nonce"), Some(json!("n-1")));
            assert!(
                token
                    .claims
                    .extra
                    .get("at_hash")
                    .is_some_and(|h| h.is_string())
            );
            let other = rp_key(alg, curve);
            let validator = Validator::builder().issuer(ISSUER).build();
            let wrong = validator.decrypt_and_verify(&id_token, &other, &server_keys(&app).await);
            assert_eq!(wrong.map_err(|e| e.code()).err(), Some("decryption_failed"));
        }
    }
}

#[tokio::test]
async fn enc_defaults_to_a128cbc_hs256_and_refresh_answers_encrypted_too() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let key = rp_key(KeyAlgorithm::RsaOaep256, None);
    let client = encrypting_client(&app, id_token_settings(&key, None)).await;
    let tokens = code_flow(&app, &client).await;
    let first = text(&tokens, "id_token");
    assert_eq!(jwe_header(&first)["enc"], "A128CBC-HS256");
    let refresh = form(
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &text(&tokens, "refresh_token")),
        ],
        Some(&client),
    );
    let refreshed = app.send(refresh).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", body(&refreshed));
    let second = text(&refreshed.json(), "id_token");
    assert_eq!(second.split('.').count(), 5);
    let refreshed = open(&app, &second, &key, &client).await.claims;
    assert!(refreshed.sub.is_some());
    assert_eq!(
        refreshed.sub,
        open(&app, &first, &key, &client).await.claims.sub
    );
}

#[tokio::test]
async fn clients_without_encryption_still_get_signed_id_tokens() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let key = rp_key(KeyAlgorithm::EcdhEs, Some(EcdhCurve::P256));
    let jose = ClientJose {
        jwks: Some(public_jwks(&key)),
        ..ClientJose::default()
    };
    let client = encrypting_client(&app, jose).await;
    let id_token = text(&code_flow(&app, &client).await, "id_token");
    assert_eq!(id_token.split('.').count(), 3, "a JWS: {id_token}");
}

#[tokio::test]
async fn logout_refuses_an_encrypted_hint_with_a_page_and_takes_the_inner_one() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let key = rp_key(KeyAlgorithm::EcdhEsA256Kw, Some(EcdhCurve::P256));
    let client = encrypting_client(&app, id_token_settings(&key, None)).await;
    let (mut browser, code) = signed_in(&app, &client).await;
    let tokens = redeem(&app, &client, &code).await.json();
    let encrypted = text(&tokens, "id_token");
    let path = |hint: &str| {
        format!(
            "/oauth/logout?id_token_hint={hint}&post_logout_redirect_uri={}&state=bye-1",
            urlencode(BYE)
        )
    };
    let refused = browser.get(&path(&encrypted)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.header("content-type").starts_with("text/html"),
        "a page, not JSON"
    );
    assert!(
        body(&refused).contains("signed ID token inside it"),
        "{}",
        body(&refused)
    );
    assert!(
        browser.cookies.contains_key("tessera_session"),
        "still signed in"
    );
    let decrypted =
        tessera_jose::jwe::compact::decrypt(&encrypted, &key, 16 * 1024).expect("opens");
    let inner = String::from_utf8(decrypted.plaintext).expect("text");
    let out = browser.get(&path(&inner)).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", body(&out));
    assert_eq!(out.header("location"), format!("{BYE}?state=bye-1"));
}

/// A userinfo request with the access token of a code flow through `client`.
async fn userinfo(app: &TestApp, client: &TestClient) -> crate::helpers::Reply {
    let tokens = code_flow(app, client).await;
    app.get("/userinfo", Some(&text(&tokens, "access_token")))
        .await
}

#[tokio::test]
async fn userinfo_is_a_signed_jwt_when_registered_and_json_otherwise() {
    let app = TestApp::new().await;
    let alice = app.user("alice", &[]).await;
    let jose = ClientJose {
        userinfo_signed_response_alg: Some(Algorithm::ES256),
        ..ClientJose::default()
    };
    let client = encrypting_client(&app, jose).await;
    let reply = userinfo(&app, &client).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "application/jwt");
    assert_eq!(reply.header("cache-control"), "no-store");
    let jwt = String::from_utf8(reply.body.to_vec()).expect("text");
    let validator = Validator::builder()
        .issuer(ISSUER)
        .audience(client.id.as_str())
        .allow_missing_exp()
        .build();
    let token = validator
        .verify(&jwt, &server_keys(&app).await)
        .expect("verifies");
    assert_eq!(token.header.typ, None, "never taken for an ID token");
    assert_eq!(token.claims.sub.as_deref(), Some(alice.as_str()));
    assert_eq!(
        token.claims.extra.get("preferred_username"),
        Some(json!("alice"))
    );
    let plain = encrypting_client(&app, ClientJose::default()).await;
    let reply = userinfo(&app, &plain).await;
    assert!(reply.header("content-type").starts_with("application/json"));
    assert_eq!(reply.json()["sub"], alice.as_str());
}

#[tokio::test]
async fn userinfo_is_signed_then_encrypted_when_registered() {
    let app = TestApp::new().await;
    let alice = app.user("alice", &[]).await;
    let key = rp_key(KeyAlgorithm::EcdhEs, Some(EcdhCurve::X25519));
    let jose = ClientJose {
        jwks: Some(public_jwks(&key)),
        userinfo_encrypted_response_alg: Some(KeyAlgorithm::EcdhEs),
        userinfo_encrypted_response_enc: Some(ContentEncryption::A256Gcm),
        ..ClientJose::default()
    };
    let client = encrypting_client(&app, jose).await;
    let reply = userinfo(&app, &client).await;
    assert_eq!(reply.header("content-type"), "application/jwt");
    let jwe = String::from_utf8(reply.body.to_vec()).expect("text");
    assert_eq!(jwe_header(&jwe)["enc"], "A256GCM");
    let validator = Validator::builder()
        .issuer(ISSUER)
        .audience(client.id.as_str())
        .allow_missing_exp()
        .build();
    let token = validator
        .decrypt_and_verify(&jwe, &key, &server_keys(&app).await)
        .expect("decrypts and verifies");
    assert_eq!(token.claims.sub.as_deref(), Some(alice.as_str()));
}

/// `POST /admin/clients` with `extra` fields on a code-flow client.
async fn register(app: &TestApp, admin: &str, extra: Value) -> crate::helpers::Reply {
    let mut body = json!({
        "name": "rp",
        "grants": ["authorization_code"],
        "redirect_uris": [REDIRECT],
    });
    for (name, value) in extra.as_object().expect("object") {
        body[name] = value.clone();
    }
    app.send(json_request(Method::POST, "/admin/clients", admin, &body))
        .await
}

fn jwks_value(key: &DecryptionKey) -> Value {
    serde_json::to_value(public_jwks(key)).expect("json")
}

#[tokio::test]
async fn admin_api_registers_and_shows_the_encryption_settings() {
    let app = TestApp::new().await;
    let key = rp_key(KeyAlgorithm::RsaOaep256, None);
    let admin = app.admin_token().await;
    let reply = register(
        &app,
        &admin,
        json!({"jwks": jwks_value(&key), "id_token_encrypted_response_alg": "RSA-OAEP-256"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", body(&reply));
    let created = reply.json();
    assert_eq!(created["id_token_encrypted_response_alg"], "RSA-OAEP-256");
    assert_eq!(created["id_token_encrypted_response_enc"], "A128CBC-HS256");
    let listed = app.get("/admin/clients", Some(&admin)).await.json();
    let shown = listed
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["client_id"] == created["client_id"])
        .expect("listed")
        .clone();
    assert_eq!(shown["jwks"], jwks_value(&key));
    assert_eq!(shown["id_token_encrypted_response_enc"], "A128CBC-HS256");
    assert!(shown.get("userinfo_signed_response_alg").is_none());
}

#[tokio::test]
async fn admin_api_refuses_unsafe_or_unusable_encryption_settings() {
    let app = TestApp::new().await;
    let rsa = rp_key(KeyAlgorithm::RsaOaep256, None);
    let x25519 = rp_key(KeyAlgorithm::EcdhEs, Some(EcdhCurve::X25519));
    let mut private = jwks_value(&rsa);
    private["keys"][0] = serde_json::to_value(rsa.to_jwk()).expect("json");
    let big_key = |i: usize| {
        let mut jwk = jwks_value(&rsa)["keys"][0].clone();
        jwk["kid"] = json!(format!("k{i}"));
        jwk
    };
    let oversized = json!({"keys": (0..40).map(big_key).collect::<Vec<_>>()});
    let cases = [
        (
            json!({"jwks": jwks_value(&rsa), "id_token_encrypted_response_alg": "RSA1_5"}),
            "RSA1_5 is refused",
        ),
        (
            json!({"jwks": jwks_value(&rsa), "id_token_encrypted_response_enc": "A256GCM"}),
            "id_token_encrypted_response_enc needs id_token_encrypted_response_alg",
        ),
        (
            json!({"jwks": jwks_value(&x25519), "id_token_encrypted_response_alg": "RSA-OAEP"}),
            "holds no key usable for RSA-OAEP",
        ),
        (
            json!({"id_token_encrypted_response_alg": "ECDH-ES"}),
            "needs the client's public keys",
        ),
        (
            json!({"jwks": oversized, "id_token_encrypted_response_alg": "RSA-OAEP-256"}),
            "too large",
        ),
        (
            json!({"jwks": private, "id_token_encrypted_response_alg": "RSA-OAEP-256"}),
            "public keys only",
        ),
        (
            json!({"jwks": jwks_value(&rsa), "id_token_encrypted_response_alg": "A128KW"}),
            "unsupported JWE alg",
        ),
        (
            json!({"jwks": jwks_value(&rsa), "id_token_encrypted_response_alg": "RSA-OAEP-256",
                "id_token_encrypted_response_enc": "A192GCM"}),
            "unsupported JWE enc",
        ),
        (
            json!({"userinfo_signed_response_alg": "RS256"}),
            "this server signs with ES256",
        ),
    ];
    let admin = app.admin_token().await;
    for (extra, message) in cases {
        let reply = register(&app, &admin, extra.clone()).await;
        let error = reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
        let description = error["error_description"].as_str().unwrap_or_default();
        assert!(description.contains(message), "{extra}: {description}");
    }
    let listed = app.get("/admin/clients", Some(&admin)).await.json();
    assert!(
        listed
            .as_array()
            .expect("array")
            .iter()
            .all(|c| c["name"] != "rp")
    );
}

#[tokio::test]
async fn discovery_lists_the_encryption_and_userinfo_algorithms() {
    let app = TestApp::new().await;
    let meta = app
        .get("/.well-known/openid-configuration", None)
        .await
        .json();
    let algs = json!([
        "RSA-OAEP-256",
        "RSA-OAEP",
        "ECDH-ES",
        "ECDH-ES+A128KW",
        "ECDH-ES+A256KW"
    ]);
    let encs = json!(["A128GCM", "A256GCM", "A128CBC-HS256", "A256CBC-HS512"]);
    assert_eq!(meta["id_token_encryption_alg_values_supported"], algs);
    assert_eq!(meta["id_token_encryption_enc_values_supported"], encs);
    assert_eq!(meta["userinfo_encryption_alg_values_supported"], algs);
    assert_eq!(meta["userinfo_encryption_enc_values_supported"], encs);
    assert_eq!(
        meta["userinfo_signing_alg_values_supported"],
        json!(["ES256"])
    );
    let rsa1_5 = meta.to_string().contains("RSA1_5");
    assert!(!rsa1_5, "never offered");
}
