//! Grants over the wire: password, refresh rotation, replay, concurrent refreshes, client
//! credentials.

use std::sync::Arc;
use std::thread;

use crate::helpers::{
    DataDir, PASSWORD, ServerProcess, get, login, refresh, server_with_alice, text, token,
};

#[test]
fn password_grant_and_refresh_rotation() {
    let (_data, server, client) = server_with_alice();
    let first = login(&server, &client, "alice");
    assert_eq!(first["token_type"], "Bearer");
    let access = text(&first, "access_token");
    let me = get(&server.url("/userinfo"), Some(&access));
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["preferred_username"], "alice");
    let second = refresh(&server, &client, &text(&first, "refresh_token"));
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.header("cache-control"), Some("no-store"));
    let second = second.json();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let third = refresh(&server, &client, &text(&second, "refresh_token"));
    assert_eq!(third.status, 200);
}

#[test]
fn replaying_a_rotated_refresh_token_revokes_the_family() {
    let (_data, server, client) = server_with_alice();
    let first = login(&server, &client, "alice");
    let second = refresh(&server, &client, &text(&first, "refresh_token")).json();
    let replay = refresh(&server, &client, &text(&first, "refresh_token"));
    assert_eq!(
        (replay.status, replay.error().as_str()),
        (400, "invalid_grant")
    );
    let after = refresh(&server, &client, &text(&second, "refresh_token"));
    assert_eq!(after.status, 400, "the family is revoked");
    let me = get(
        &server.url("/userinfo"),
        Some(&text(&second, "access_token")),
    );
    assert_eq!(me.status, 401);
    assert!(server.log_text().contains("refresh_replayed"));
}

#[test]
fn concurrent_refreshes_of_one_token_have_one_winner() {
    let (_data, server, client) = server_with_alice();
    let first = login(&server, &client, "alice");
    let refresh_token = Arc::new(text(&first, "refresh_token"));
    let server = Arc::new(server);
    let racers: Vec<_> = (0..6)
        .map(|_| {
            let (server, client, token) = (
                Arc::clone(&server),
                client.clone(),
                Arc::clone(&refresh_token),
            );
            thread::spawn(move || refresh(&server, &client, &token).status)
        })
        .collect();
    let statuses: Vec<u16> = racers
        .into_iter()
        .map(|r| r.join().expect("thread"))
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 400),
        "{statuses:?}"
    );
}

#[test]
fn client_credentials_grant() {
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    let client = data.add_client(&["client_credentials"]);
    let reply = token(
        &server,
        &client,
        &[("grant_type", "client_credentials"), ("scope", "read")],
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert!(body.get("refresh_token").is_none());
    assert_eq!(body["scope"], "read");
    let info = crate::helpers::post_form(
        &server.url("/oauth/introspect"),
        Some(&client.basic()),
        &[("token", &text(&body, "access_token"))],
    );
    assert_eq!(info.json()["sub"], client.id.as_str());
}

#[test]
fn bad_credentials_never_tell_whether_the_user_exists() {
    let (_data, server, client) = server_with_alice();
    let wrong = token(
        &server,
        &client,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "nope"),
        ],
    );
    let unknown = token(
        &server,
        &client,
        &[
            ("grant_type", "password"),
            ("username", "nobody"),
            ("password", "nope"),
        ],
    );
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.body, unknown.body);
    let log = server.log_text();
    let failed = log
        .lines()
        .find(|line| line.contains("login_failed"))
        .expect("security event logged");
    // The event is logged on a hashing thread, still with the request's context.
    assert!(
        failed.contains("client_ip=127.0.0.1") && failed.contains("/oauth/token"),
        "{failed}"
    );
    assert!(
        !log.contains("nope") && !log.contains(PASSWORD),
        "no password in logs"
    );
}

#[test]
fn a_require_dpop_client_gets_tokens_only_with_a_proof() {
    use tessera_jose::{Algorithm, SigningKey, dpop};

    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    let out = data.cli(
        &[
            "client",
            "add",
            "agent",
            "--grant",
            "client_credentials",
            "--require-dpop",
        ],
        "",
    );
    let out: serde_json::Value = serde_json::from_str(&out).expect("client JSON");
    let client = crate::helpers::Client {
        id: text(&out, "client_id"),
        secret: Some(text(&out, "client_secret")),
    };
    let form = [("grant_type", "client_credentials")];
    let reply = token(&server, &client, &form);
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.error(), "invalid_dpop_proof");

    // The proof names the token endpoint as discovery publishes it (the configured issuer).
    let metadata = get(&server.url("/.well-known/openid-configuration"), None).json();
    let endpoint = text(&metadata, "token_endpoint");
    let key = SigningKey::generate(Algorithm::ES256).expect("key");
    let proof = dpop::proof(&key, "POST", &endpoint).sign().expect("proof");
    let basic = client.basic();
    let headers = [("Authorization", basic.as_str()), ("DPoP", proof.as_str())];
    let reply = crate::helpers::post_form_with(&server.url("/oauth/token"), &headers, &form);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["token_type"], "DPoP");
}
