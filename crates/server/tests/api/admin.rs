//! The admin endpoints: role check, users, clients, keys.

use axum::http::{Method, StatusCode};
use serde_json::json;
use tessera_core::model::{Actor, UnixMillis};

use crate::helpers::{
    PASSWORD, TestApp, TestClient, assert_bearer_challenge, assert_no_store, bare, text,
};
use crate::helpers::{form, json as json_request};

#[tokio::test]
async fn admin_endpoints_need_the_admin_role() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let token = text(&app.login(&client, "alice").await, "access_token");
    for path in ["/admin/users", "/admin/clients", "/admin/keys"] {
        let reply = app.get(path, Some(&token)).await;
        reply.assert_error(StatusCode::FORBIDDEN, "insufficient_scope");
        assert!(
            reply
                .header("www-authenticate")
                .contains("insufficient_scope")
        );
        assert_bearer_challenge(&app.get(path, None).await);
    }
    let reply = app
        .send(bare(Method::POST, "/admin/keys/rotate", Some(&token)))
        .await;
    reply.assert_error(StatusCode::FORBIDDEN, "insufficient_scope");
}

#[tokio::test]
async fn users_can_be_created_listed_updated_and_deleted() {
    let app = TestApp::new().await;
    let admin = app.admin_token().await;
    let new = json!({"username": "bob", "password": PASSWORD, "email": "bob@example.com", "roles": ["staff"]});
    let reply = app
        .send(json_request(Method::POST, "/admin/users", &admin, &new))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let user = reply.json();
    assert_eq!(user["username"], "bob");
    assert!(user.get("password_hash").is_none());
    let again = app
        .send(json_request(Method::POST, "/admin/users", &admin, &new))
        .await;
    again.assert_error(StatusCode::CONFLICT, "conflict");
    let bad = json!({"username": "carol", "password": PASSWORD, "extra": 1});
    app.send(json_request(Method::POST, "/admin/users", &admin, &bad))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    let list = app.get("/admin/users", Some(&admin)).await.json();
    assert_eq!(list.as_array().expect("list").len(), 2);
    let client = app.app_client().await;
    let bob = app.login(&client, "bob").await;
    let disable = json!({"disabled": true});
    let reply = app
        .send(json_request(
            Method::PATCH,
            "/admin/users/bob",
            &admin,
            &disable,
        ))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_bearer_challenge(
        &app.get("/userinfo", Some(&text(&bob, "access_token")))
            .await,
    );
    let roles = json!({"roles": ["auditor", "ops"]});
    let reply = app
        .send(json_request(
            Method::PATCH,
            "/admin/users/bob",
            &admin,
            &roles,
        ))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let bob_now = app
        .authority
        .search_users("bob", None, 1)
        .await
        .expect("bob");
    assert_eq!(bob_now[0].roles, ["auditor", "ops"]);
    let bad = json!({"roles": ["two words"]});
    app.send(json_request(
        Method::PATCH,
        "/admin/users/bob",
        &admin,
        &bad,
    ))
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    let reply = app
        .send(bare(Method::DELETE, "/admin/users/bob", Some(&admin)))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    app.send(bare(Method::DELETE, "/admin/users/bob", Some(&admin)))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn clients_can_be_registered_and_removed() {
    let app = TestApp::new().await;
    let admin = app.admin_token().await;
    let new = json!({"name": "svc", "grants": ["client_credentials"], "scopes": ["read"]});
    let reply = app
        .send(json_request(Method::POST, "/admin/clients", &admin, &new))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let created = reply.json();
    let client = TestClient {
        id: text(&created, "client_id"),
        secret: Some(text(&created, "client_secret")),
    };
    let grant = app
        .send(form(
            "/oauth/token",
            &[("grant_type", "client_credentials")],
            Some(&client),
        ))
        .await;
    assert_eq!(grant.status, StatusCode::OK);
    let list = app.get("/admin/clients", Some(&admin)).await.json();
    assert!(list.to_string().contains(&client.id));
    assert!(!list.to_string().contains("client_secret"));
    let bad = json!({"name": "x", "grants": ["implicit"]});
    app.send(json_request(Method::POST, "/admin/clients", &admin, &bad))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    let path = format!("/admin/clients/{}", client.id);
    assert_eq!(
        app.send(bare(Method::DELETE, &path, Some(&admin)))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    app.send(bare(Method::DELETE, &path, Some(&admin)))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn keys_can_be_listed_rotated_and_retired() {
    let app = TestApp::new().await;
    let admin = app.admin_token().await;
    let keys = app.get("/admin/keys", Some(&admin)).await.json();
    let first = text(&keys[0], "kid");
    let reply = app
        .send(bare(Method::POST, "/admin/keys/rotate", Some(&admin)))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let body = json!({"alg": "EdDSA"});
    let reply = app
        .send(json_request(
            Method::POST,
            "/admin/keys/rotate",
            &admin,
            &body,
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let bad = json!({"alg": "HS256"});
    app.send(json_request(
        Method::POST,
        "/admin/keys/rotate",
        &admin,
        &bad,
    ))
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    let jwks = app.get("/.well-known/jwks.json", None).await.json();
    assert_eq!(jwks["keys"].as_array().expect("keys").len(), 3);
    let client = app.app_client().await;
    let admin = text(&app.login(&client, "root").await, "access_token");
    let path = format!("/admin/keys/{first}");
    let reply = app.send(bare(Method::DELETE, &path, Some(&admin))).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    app.send(bare(Method::DELETE, &path, Some(&admin)))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let signing = app.authority.key_ring().signing_key().kid().to_owned();
    app.send(bare(
        Method::DELETE,
        &format!("/admin/keys/{signing}"),
        Some(&admin),
    ))
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn the_last_admin_and_malformed_usernames_are_refused() {
    let app = TestApp::new().await;
    let admin = app.admin_token().await;
    for path in ["/admin/users/root"] {
        let reply = app.send(bare(Method::DELETE, path, Some(&admin))).await;
        let json = reply.assert_error(StatusCode::CONFLICT, "last_admin");
        assert!(
            json["error_description"]
                .as_str()
                .is_some_and(|text| text.contains("last administrator")),
            "{json}"
        );
        let disable = json!({"disabled": true});
        let reply = app
            .send(json_request(Method::PATCH, path, &admin, &disable))
            .await;
        reply.assert_error(StatusCode::CONFLICT, "last_admin");
    }
    let bidi = json!({"username": "admin\u{202E}nimda", "password": PASSWORD});
    app.send(json_request(Method::POST, "/admin/users", &admin, &bidi))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    let users = app.get("/admin/users", Some(&admin)).await.json();
    assert_eq!(users.as_array().map(Vec::len), Some(1), "{users}");
}

#[tokio::test]
async fn the_last_administrator_keeps_the_role() {
    let app = TestApp::new().await;
    let admin = app.admin_token().await;
    let none = json!({"roles": []});
    app.send(json_request(
        Method::PATCH,
        "/admin/users/root",
        &admin,
        &none,
    ))
    .await
    .assert_error(StatusCode::CONFLICT, "last_admin");
    let root = app
        .authority
        .search_users("root", None, 1)
        .await
        .expect("root");
    assert_eq!(root[0].roles, ["admin"]);
}

#[tokio::test]
async fn an_accounts_factors_are_shown_and_reset() {
    let app = TestApp::new().await;
    let admin = app.admin_token().await;
    let root_id = app
        .authority
        .search_users("root", None, 1)
        .await
        .expect("root")[0]
        .id
        .to_string();
    let erin = app.user("erin", &[]).await;
    app.user("fay", &["ops"]).await;
    let client = app.app_client().await;
    let member = text(&app.login(&client, "fay").await, "access_token");
    for method in [Method::GET, Method::DELETE] {
        let path = "/admin/users/erin/factors";
        assert_bearer_challenge(&app.send(bare(method.clone(), path, None)).await);
        app.send(bare(method.clone(), path, Some(&member)))
            .await
            .assert_error(StatusCode::FORBIDDEN, "insufficient_scope");
        app.send(bare(method, "/admin/users/nobody/factors", Some(&admin)))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }

    let reply = app.get("/admin/users/erin/factors", Some(&admin)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_no_store(&reply);
    assert_eq!(
        reply.json(),
        json!({"totp": null, "recovery_codes_left": 0})
    );

    let uri = app
        .authority
        .enroll_totp_for("erin", &Actor::Operator)
        .await
        .expect("enrolled");
    let factors = app.get("/admin/users/erin/factors", Some(&admin)).await;
    let body = factors.json();
    let totp = &body["totp"];
    assert_eq!(totp["pending"], false, "{body}");
    let confirmed = totp["confirmed_at"].as_str().expect("confirmed_at");
    assert!(
        UnixMillis::parse_rfc3339(confirmed).is_some() && confirmed.ends_with('Z'),
        "{body}"
    );
    assert!(
        totp["last_used_at"].is_null() || totp["last_used_at"].is_string(),
        "{body}"
    );
    let secret = uri
        .split(['?', '&'])
        .find_map(|part| part.strip_prefix("secret="))
        .expect("secret=");
    let shown = String::from_utf8_lossy(&factors.body).into_owned();
    assert!(!shown.contains(secret), "no secret: {shown}");

    // An authenticator being set up is shown as pending.
    let (fay, _) = app.authority.user_factors("fay").await.expect("fay");
    app.authority.begin_totp(&fay).await.expect("begun");
    let pending = app
        .get("/admin/users/fay/factors", Some(&admin))
        .await
        .json();
    assert_eq!(
        pending["totp"],
        json!({"confirmed_at": null, "last_used_at": null, "pending": true})
    );

    let reply = app
        .send(bare(
            Method::DELETE,
            "/admin/users/erin/factors",
            Some(&admin),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{:?}", reply.body);
    assert!(reply.body.is_empty());
    let after = app
        .get("/admin/users/erin/factors", Some(&admin))
        .await
        .json();
    assert_eq!(after["totp"], json!(null));
    let again = app
        .send(bare(
            Method::DELETE,
            "/admin/users/erin/factors",
            Some(&admin),
        ))
        .await;
    assert_eq!(
        again.status,
        StatusCode::NO_CONTENT,
        "nothing left is fine too"
    );

    // The trail names the administrator: one addition (by the operator), one removal.
    let trail = app
        .get(
            "/admin/events?type=factor_added,factor_removed",
            Some(&admin),
        )
        .await
        .json();
    let events = trail["events"].as_array().expect("events");
    let of_erin: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["user"] == erin.as_str())
        .map(|e| {
            (
                e["type"].as_str().unwrap_or(""),
                e["actor"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        of_erin,
        [
            ("factor_added", "cli"),
            ("factor_removed", root_id.as_str())
        ],
        "{trail}"
    );
}

#[tokio::test]
async fn clients_can_require_a_second_factor() {
    let app = TestApp::new().await;
    let admin = app.admin_token().await;
    let new = json!({
        "name": "console",
        "grants": ["authorization_code", "refresh_token"],
        "redirect_uris": ["https://console.example/cb"],
        "require_second_factor": true,
    });
    let reply = app
        .send(json_request(Method::POST, "/admin/clients", &admin, &new))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let created = reply.json();
    assert_eq!(created["require_second_factor"], true);
    let id = text(&created, "client_id");
    let stored = app.authority.client(&id).await.expect("stored");
    assert!(stored.web.require_second_factor);

    let plain = json!({"name": "svc", "grants": ["client_credentials"]});
    let reply = app
        .send(json_request(Method::POST, "/admin/clients", &admin, &plain))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert!(reply.json().get("require_second_factor").is_none());

    let list = app.get("/admin/clients", Some(&admin)).await.json();
    let listed = list
        .as_array()
        .and_then(|all| all.iter().find(|c| c["client_id"] == id.as_str()))
        .expect("listed");
    assert_eq!(listed["require_second_factor"], true);

    // The password grant cannot ask for a second factor.
    let password = json!({"name": "legacy", "grants": ["password"], "require_second_factor": true});
    let refused = app
        .send(json_request(
            Method::POST,
            "/admin/clients",
            &admin,
            &password,
        ))
        .await;
    let body = refused.assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(body.to_string().contains("password grant"), "{body}");
}
