//! The device authorization grant over HTTP (RFC 8628): the device authorization endpoint,
//! the token endpoint's answers while the user decides, and the `/ui/device` pages.

use axum::http::{StatusCode, header};
use serde_json::Value;
use tessera_core::model::Grant;

use crate::admin_console::pairs;
use crate::browser::{Browser, body, hidden_fields};
use crate::helpers::{ISSUER, PASSWORD, Reply, TestApp, TestClient, form, text};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Asks for a device code as `client`.
async fn start(app: &TestApp, client: &TestClient, scope: Option<&str>) -> Reply {
    let mut params = Vec::new();
    if let Some(scope) = scope {
        params.push(("scope", scope));
    }
    app.send(form("/oauth/device_authorization", &params, Some(client)))
        .await
}

/// Polls the token endpoint with `device_code`.
async fn poll(app: &TestApp, client: &TestClient, device_code: &str) -> Reply {
    let params = [("grant_type", DEVICE_GRANT), ("device_code", device_code)];
    app.send(form("/oauth/token", &params, Some(client))).await
}

/// A browser signed in as `user` by way of `/ui/device?user_code=…`, which sends it to sign
/// in and back; the code entry page it lands on.
async fn signed_in_at_device_page<'a>(
    app: &'a TestApp,
    user: &str,
    user_code: &str,
) -> (Browser<'a>, Reply) {
    let mut browser = Browser::new(app);
    let path = format!("/ui/device?user_code={user_code}");
    let away = browser.get(&path).await;
    assert_eq!(away.status, StatusCode::SEE_OTHER);
    let login_path = away.header("location").to_owned();
    assert!(login_path.starts_with("/ui/login?next="), "{login_path}");
    let login = browser.get(&login_path).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(body(&login).contains(r#"name="next""#), "{}", body(&login));
    assert!(
        body(&login).contains("connect a device"),
        "{}",
        body(&login)
    );
    let back = browser.sign_in(&login, user, PASSWORD).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", body(&back));
    let shown = user_code.to_owned();
    assert_eq!(
        back.header("location"),
        format!("/ui/device?user_code={shown}")
    );
    let page = browser.get(back.header("location")).await;
    assert_eq!(page.status, StatusCode::OK);
    (browser, page)
}

/// Submits the device page's form with `action` (and `user_code` when given).
async fn device_form(
    browser: &mut Browser<'_>,
    page: &Reply,
    user_code: Option<&str>,
    action: &str,
) -> Reply {
    let mut fields = hidden_fields(&body(page));
    if let Some(code) = user_code {
        fields.push(("user_code".into(), code.into()));
    }
    fields.push(("action".into(), action.into()));
    browser.post("/ui/device", &pairs(&fields)).await
}

#[tokio::test]
async fn a_device_is_signed_in_once_its_user_allows_it_in_a_browser() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let tv = app
        .client(&[Grant::DeviceCode, Grant::RefreshToken], true)
        .await;
    let metadata = app
        .get("/.well-known/openid-configuration", None)
        .await
        .json();
    assert_eq!(
        metadata["device_authorization_endpoint"],
        format!("{ISSUER}/oauth/device_authorization")
    );
    assert!(
        metadata["grant_types_supported"]
            .as_array()
            .expect("grants")
            .contains(&Value::from(DEVICE_GRANT))
    );

    let started = start(&app, &tv, Some("read")).await;
    assert_eq!(started.status, StatusCode::OK);
    assert_eq!(started.header("cache-control"), "no-store");
    let started = started.json();
    let user_code = text(&started, "user_code");
    let device_code = text(&started, "device_code");
    assert_eq!(started["verification_uri"], format!("{ISSUER}/ui/device"));
    assert_eq!(
        started["verification_uri_complete"],
        format!("{ISSUER}/ui/device?user_code={user_code}")
    );
    assert_eq!(started["interval"], 5);
    assert_eq!(started["expires_in"], 600);

    let (mut browser, page) = signed_in_at_device_page(&app, "alice", &user_code).await;
    let prefilled = format!(r#"value="{user_code}""#);
    assert!(body(&page).contains(&prefilled), "{}", body(&page));
    let confirm = device_form(&mut browser, &page, Some(&user_code), "continue").await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", body(&confirm));
    let html = body(&confirm);
    assert!(html.contains("app on a device asks"), "{html}");
    assert!(html.contains(r#"value="allow""#) && html.contains(r#"value="deny""#));
    let done = device_form(&mut browser, &confirm, None, "allow").await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(body(&done).contains("is signed in"), "{}", body(&done));

    let tokens = poll(&app, &tv, &device_code).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", body(&tokens));
    let tokens = tokens.json();
    assert_eq!(tokens["scope"], "read");
    assert!(tokens["refresh_token"].is_string());
    let again = poll(&app, &tv, &device_code).await;
    again.assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn the_token_endpoint_says_pending_slow_down_and_denied() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let tv = app.client(&[Grant::DeviceCode], true).await;
    let started = start(&app, &tv, None).await.json();
    let device_code = text(&started, "device_code");
    poll(&app, &tv, &device_code)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "authorization_pending");
    poll(&app, &tv, &device_code)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "slow_down");

    let user_code = text(&started, "user_code");
    let (mut browser, page) = signed_in_at_device_page(&app, "alice", &user_code).await;
    let confirm = device_form(&mut browser, &page, Some(&user_code), "continue").await;
    let denied = device_form(&mut browser, &confirm, None, "deny").await;
    assert!(body(&denied).contains("Denied"), "{}", body(&denied));
    // A fresh request, denied before its first poll, answers access_denied.
    let second = start(&app, &tv, None).await.json();
    let page = browser.get("/ui/device").await;
    let confirm = device_form(
        &mut browser,
        &page,
        Some(&text(&second, "user_code")),
        "continue",
    )
    .await;
    device_form(&mut browser, &confirm, None, "deny").await;
    poll(&app, &tv, &text(&second, "device_code"))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "access_denied");
    poll(&app, &tv, "no-such-code")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn the_device_endpoint_refuses_other_clients_grants_and_scopes() {
    let app = TestApp::new().await;
    let web = app.client(&[Grant::ClientCredentials], false).await;
    start(&app, &web, None)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "unauthorized_client");
    let tv = app.client(&[Grant::DeviceCode], true).await;
    start(&app, &tv, Some("admin"))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_scope");
    let nobody = TestClient {
        id: "c_nobody".into(),
        secret: None,
    };
    start(&app, &nobody, None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn the_device_page_refuses_wrong_codes_forged_forms_and_other_sites() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let tv = app.client(&[Grant::DeviceCode], true).await;
    let started = start(&app, &tv, None).await.json();
    let (mut browser, page) =
        signed_in_at_device_page(&app, "alice", &text(&started, "user_code")).await;
    for wrong in ["BCDF-GHJK", "not a code", ""] {
        let refused = device_form(&mut browser, &page, Some(wrong), "continue").await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{wrong}");
        assert!(body(&refused).contains(r#"role="alert""#));
    }
    let forged = browser
        .post(
            "/ui/device",
            &[("csrf_token", "forged"), ("user_code", "BCDF-GHJK")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    let mut fields = hidden_fields(&body(&page));
    fields.push(("action".into(), "continue".into()));
    let mut request = form("/ui/device", &pairs(&fields), None);
    request
        .headers_mut()
        .insert(header::ORIGIN, "https://evil.test".parse().expect("origin"));
    let cross = browser.send(request).await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    // Not signed in: the form sends the browser to sign in.
    let mut stranger = Browser::new(&app);
    let away = stranger.post("/ui/device", &pairs(&fields)).await;
    assert_eq!(away.status, StatusCode::SEE_OTHER);
}
