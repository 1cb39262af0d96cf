//! The device authorization grant's endpoint and pages, and the sign-in page's `next`,
//! driven for the API document's contract: every operation, every documented status (503 in
//! [`store_gone`]), every documented field.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;

use tessera_core::model::Grant;

use super::{cross_site, expect, expect_in, get, pairs};
use crate::browser::{Browser, body, hidden_fields};
use crate::helpers::{Check, PASSWORD, TestApp, TestClient, form, text};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Every status of the device endpoint and pages (but 503).
pub(super) async fn device_pages(app: &TestApp, check: &Arc<dyn Check>) {
    app.user("dana", &[]).await;
    let tv = app.client(&[Grant::DeviceCode], true).await;
    let confidential = app.client(&[Grant::DeviceCode], false).await;
    let secret = confidential.secret.clone().expect("a secret");
    let posted = [
        ("client_id", confidential.id.as_str()),
        ("client_secret", secret.as_str()),
        ("scope", "read"),
    ];
    let waiting = expect(app, form("/oauth/device_authorization", &posted, None), 200).await;
    let waiting = [
        ("grant_type", DEVICE_GRANT),
        ("device_code", &text(&waiting.json(), "device_code")),
    ];
    expect(
        app,
        form("/oauth/token", &waiting, Some(&confidential)),
        400,
    )
    .await;
    let started = expect(
        app,
        form("/oauth/device_authorization", &[], Some(&tv)),
        200,
    )
    .await;
    let started = started.json();
    let user_code = text(&started, "user_code");
    let device_code = text(&started, "device_code");
    let other = app.client(&[Grant::ClientCredentials], false).await;
    expect(
        app,
        form("/oauth/device_authorization", &[], Some(&other)),
        400,
    )
    .await;
    let nobody = TestClient {
        id: "c_nobody".into(),
        secret: None,
    };
    expect(
        app,
        form("/oauth/device_authorization", &[], Some(&nobody)),
        401,
    )
    .await;

    // The pages: away to sign in (with `next`), back, the code, the decision.
    let mut browser = Browser::new(app);
    let page = format!("/ui/device?user_code={user_code}");
    let away = expect_in(&mut browser, get(&page), 303).await;
    expect_in(&mut browser, get("/ui/login?next=a&next=b"), 400).await;
    let login = expect_in(&mut browser, get(away.header("location")), 200).await;
    let mut fields = hidden_fields(&body(&login));
    assert!(fields.iter().any(|(k, _)| k == "next"), "{}", body(&login));
    fields.push(("username".into(), "dana".into()));
    fields.push(("password".into(), PASSWORD.into()));
    expect_in(&mut browser, form("/ui/login", &pairs(&fields), None), 303).await;
    expect_in(&mut browser, get("/ui/device?user_code=a&user_code=b"), 400).await;
    let entry = expect_in(&mut browser, get(&page), 200).await;
    let mut fields = hidden_fields(&body(&entry));
    fields.push(("user_code".into(), "BCDF-GHJK".into()));
    fields.push(("action".into(), "continue".into()));
    expect_in(&mut browser, form("/ui/device", &pairs(&fields), None), 400).await;
    expect_in(&mut browser, cross_site("/ui/device", &pairs(&fields)), 403).await;
    let mut fresh = Browser::new(app);
    expect_in(&mut fresh, form("/ui/device", &pairs(&fields), None), 303).await;
    fields.retain(|(k, _)| k != "user_code");
    fields.push(("user_code".into(), user_code.clone()));
    let confirm = expect_in(&mut browser, form("/ui/device", &pairs(&fields), None), 200).await;
    let mut decision = hidden_fields(&body(&confirm));
    decision.push(("action".into(), "allow".into()));
    expect_in(
        &mut browser,
        form("/ui/device", &pairs(&decision), None),
        200,
    )
    .await;
    let redeem = [("grant_type", DEVICE_GRANT), ("device_code", &device_code)];
    expect(app, form("/oauth/token", &redeem, Some(&tv)), 200).await;

    // Wrong codes from one address (the peer the connection names) end in 429 (the default
    // throttle: 20 free failures).
    let throttled = TestApp::new().await.checked_by(Arc::clone(check));
    throttled.user("dana", &[]).await;
    let mut guesser = Browser::new(&throttled);
    let login = expect_in(&mut guesser, get("/ui/login"), 200).await;
    let back = guesser.sign_in(&login, "dana", PASSWORD).await;
    assert_eq!(back.status.as_u16(), 303);
    let entry = expect_in(&mut guesser, get("/ui/device"), 200).await;
    let mut wrong = hidden_fields(&body(&entry));
    wrong.push(("user_code".into(), "BCDF-GHJK".into()));
    let peer = SocketAddr::from(([203, 0, 113, 9], 40_000));
    for _ in 0..50 {
        let mut request = form("/ui/device", &pairs(&wrong), None);
        request.extensions_mut().insert(ConnectInfo(peer));
        let reply = guesser.send(request).await;
        if reply.status.as_u16() == 429 {
            return;
        }
        assert_eq!(reply.status.as_u16(), 400);
    }
    panic!("fifty wrong codes from one address were never throttled");
}

/// The device pages when the store is gone: 503. `browser` says it has a session.
pub(super) async fn store_gone(browser: &mut Browser<'_>) {
    expect_in(browser, get("/ui/device"), 503).await;
    let fields = [("csrf_token", "unchecked"), ("user_code", "BCDF-GHJK")];
    expect_in(browser, form("/ui/device", &fields, None), 503).await;
}
