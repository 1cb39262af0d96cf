//! Discovery, JWKS caching, operations endpoints, and the 401/403/429 answers.

use crate::helpers::{
    DataDir, PASSWORD, ServerProcess, get, login, post_form, server_with_alice, text, token,
};

#[test]
fn discovery_and_jwks() {
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    let meta = get(&server.url("/.well-known/openid-configuration"), None).json();
    assert_eq!(meta["issuer"], server.base.as_str());
    assert_eq!(meta["jwks_uri"], server.url("/.well-known/jwks.json"));
    let same = get(&server.url("/.well-known/oauth-authorization-server"), None).json();
    assert_eq!(meta, same);
    let jwks = get(&server.url("/.well-known/jwks.json"), None);
    assert_eq!(jwks.status, 200);
    let cache = jwks.header("cache-control").expect("cache-control");
    assert!(cache.starts_with("public, max-age="), "{cache}");
    let keys = jwks.json()["keys"].as_array().expect("keys").clone();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["alg"], "RS256");
    assert!(keys[0].get("d").is_none());
    assert_eq!(get(&server.url("/readyz"), None).status, 200);
    let metrics = get(&server.url("/metrics"), None).body;
    assert!(metrics.contains("tessera_http_requests_total"), "{metrics}");
    let openapi = get(&server.url("/openapi.json"), None).json();
    assert!(openapi["paths"]["/oauth/token"].is_object());
}

#[test]
fn unauthorized_and_forbidden() {
    let (data, server, client) = server_with_alice();
    let none = get(&server.url("/userinfo"), None);
    assert_eq!(none.status, 401);
    let challenge = none.header("www-authenticate").expect("challenge");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    let malformed = post_form(&server.url("/logout"), Some("Bearer a b"), &[]);
    assert_eq!(
        (malformed.status, malformed.error().as_str()),
        (400, "invalid_request")
    );
    let alice = text(&login(&server, &client, "alice"), "access_token");
    let forbidden = get(&server.url("/admin/users"), Some(&alice));
    assert_eq!(
        (forbidden.status, forbidden.error().as_str()),
        (403, "insufficient_scope")
    );
    data.add_user("root", &["admin"]);
    let root = text(&login(&server, &client, "root"), "access_token");
    let users = get(&server.url("/admin/users"), Some(&root));
    assert_eq!(users.status, 200);
    assert_eq!(users.json().as_array().expect("users").len(), 2);
    let rotate = post_form(
        &server.url("/admin/keys/rotate"),
        Some(&format!("Bearer {root}")),
        &[],
    );
    assert_eq!(rotate.status, 200, "{}", rotate.body);
    let jwks = get(&server.url("/.well-known/jwks.json"), None).json();
    assert_eq!(jwks["keys"].as_array().expect("keys").len(), 2);
}

#[test]
fn repeated_failures_are_throttled() {
    let data = DataDir::new();
    let server = ServerProcess::start_with(
        &data,
        &[
            ("TESSERA_THROTTLE__ACCOUNT__MAX_FAILURES", "2"),
            ("TESSERA_THROTTLE__ACCOUNT__BASE_BACKOFF", "30s"),
        ],
    );
    data.add_user("alice", &[]);
    let client = data.add_client(&["password"]);
    let attempt = |password: &str| {
        token(
            &server,
            &client,
            &[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", password),
            ],
        )
    };
    assert_eq!(attempt("wrong").status, 400);
    assert_eq!(attempt("wrong").status, 400);
    let locked = attempt(PASSWORD);
    assert_eq!(locked.status, 429, "{}", locked.body);
    let retry: u64 = locked
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=30).contains(&retry));
}
