//! `GET /admin/events`: the audit trail over HTTP, with the admin who acted, the address a
//! login came from, filters, cursor pages, and refusals of bad filters.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, form, json as json_request};

async fn events(app: &TestApp, token: &str, query: &str) -> Value {
    let reply = app.get(&format!("/admin/events{query}"), Some(token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.header("cache-control"), "no-store");
    reply.json()
}

fn types(page: &Value) -> Vec<String> {
    page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["type"].as_str().expect("type").to_owned())
        .collect()
}

#[tokio::test]
async fn admin_actions_and_logins_are_in_the_trail() {
    let app = TestApp::new().await;
    let admin = app.admin_token().await;
    let new = json!({"username": "bob", "password": PASSWORD});
    let created = app
        .send(json_request(Method::POST, "/admin/users", &admin, &new))
        .await
        .json();
    let client = app.app_client().await;
    let mut wrong = form(
        "/oauth/token",
        &[
            ("grant_type", "password"),
            ("username", "bob"),
            ("password", "nope nope nope"),
        ],
        Some(&client),
    );
    let peer = SocketAddr::from(([192, 0, 2, 9], 40_000));
    wrong.extensions_mut().insert(ConnectInfo(peer));
    app.send(wrong)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_grant");

    let page = events(&app, &admin, "?type=user_created,login_failed").await;
    let list = page["events"].as_array().expect("events");
    let bob_created = list
        .iter()
        .find(|e| e["type"] == "user_created" && e["user"] == created["id"])
        .expect("bob's creation");
    let admin_id = app.get("/userinfo", Some(&admin)).await.json()["sub"].clone();
    assert_eq!(bob_created["actor"], admin_id, "the acting admin");
    assert!(bob_created["time"].as_str().expect("time").ends_with('Z'));
    let failed = list
        .iter()
        .find(|e| e["type"] == "login_failed")
        .expect("the failed login");
    assert_eq!(failed["user"], created["id"]);
    assert_eq!(failed["client"], client.id.as_str());
    assert_eq!(failed["ip"], "192.0.2.9");
    assert_eq!(failed["detail"], "wrong_password");
    assert!(!page.to_string().contains("nope nope nope"));
}

#[tokio::test]
async fn pages_follow_the_cursor_and_filters_narrow() {
    let app = TestApp::new().await;
    let admin = app.admin_token().await;
    let client = app.app_client().await;
    for _ in 0..3 {
        app.login(&client, "root").await;
    }
    let all = events(&app, &admin, "").await;
    let total = types(&all).len();
    assert!(total >= 5, "{all}");
    let first = events(&app, &admin, "?limit=2").await;
    assert_eq!(types(&first).len(), 2);
    assert_eq!(first["more"], true);
    let cursor = first["cursor"].as_i64().expect("cursor");
    let rest = events(&app, &admin, &format!("?after={cursor}")).await;
    assert_eq!(types(&rest).len(), total - 2);
    assert_eq!(rest["more"], false);
    let end = rest["cursor"].as_i64().expect("cursor");
    let none = events(&app, &admin, &format!("?after={end}")).await;
    assert!(types(&none).is_empty());
    assert_eq!(none["cursor"], end, "an empty page keeps the cursor");

    let logins = events(&app, &admin, "?type=login_succeeded").await;
    assert!(types(&logins).iter().all(|t| t == "login_succeeded"));
    assert!(types(&logins).len() >= 4);
    let future = events(&app, &admin, "?since=2999-01-01T00:00:00Z").await;
    assert!(types(&future).is_empty());
}

#[tokio::test]
async fn bad_filters_and_non_admins_are_refused() {
    let app = TestApp::new().await;
    let admin = app.admin_token().await;
    for query in [
        "?typ=logout",
        "?type=no_such_event",
        "?since=last%20week",
        "?limit=0x10",
        "?limit=5000",
        "?after=-3",
        "?type=logout&type=logout",
        "?since=2026-12-07T10:00:00Z&until=2026-12-06T10:00:00Z",
    ] {
        app.get(&format!("/admin/events{query}"), Some(&admin))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    app.user("alice", &[]).await;
    let client = app.app_client().await;
    let alice = app.login(&client, "alice").await;
    let token = alice["access_token"].as_str().expect("token");
    app.get("/admin/events", Some(token))
        .await
        .assert_error(StatusCode::FORBIDDEN, "insufficient_scope");
    app.get("/admin/events", None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "invalid_token");
}
