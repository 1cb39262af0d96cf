//! The operator console beyond the accounts list: an account's page (roles, sessions,
//! lock-out, reset link), the reset page itself, clients, keys and webhooks. Each form is
//! checked for its effect, its audit event with the administrator as actor, and its
//! refusals.

use axum::http::StatusCode;
use tessera_core::model::{Actor, EventKind, EventQuery, Grant, KeyState};

use crate::admin_console::{signed_in_as, submit};
use crate::browser::{Browser, body, hidden_fields, signed_in, web_client};
use crate::helpers::{PASSWORD, Reply, TestApp, form};

/// The console's anti-CSRF field, from any of the page's forms.
fn token(page: &str) -> (String, String) {
    hidden_fields(page)
        .into_iter()
        .find(|(name, _)| name == "csrf_token")
        .expect("a console form")
}

/// POSTs `fields` and the page's token to `action`.
async fn post_with_token(
    browser: &mut Browser<'_>,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> Reply {
    let token = token(page);
    let mut all = vec![(token.0.as_str(), token.1.as_str())];
    all.extend_from_slice(fields);
    browser.post(action, &all).await
}

/// HTML text as the browser shows it (the escapes the templates make).
fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The text between `start` and the next `<`.
fn text_after<'a>(html: &'a str, start: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {html}"))
        + start.len();
    let rest = &html[from..];
    &rest[..rest.find('<').expect("end")]
}

/// The events of `kind` the account `actor` made.
async fn by(app: &TestApp, actor: &str, kind: EventKind) -> Vec<Option<String>> {
    let query = EventQuery {
        kinds: vec![kind],
        ..EventQuery::default()
    };
    let events = app.authority.events(&query).await.expect("events");
    events
        .into_iter()
        .filter(|e| e.actor.as_ref().map(Actor::as_str) == Some(actor))
        .map(|e| e.detail)
        .collect()
}

#[tokio::test]
async fn every_console_page_needs_an_administrator() {
    let app = TestApp::new().await;
    app.user("root", &["admin"]).await;
    app.user("alice", &[]).await;
    let (client, _) = app
        .authority
        .create_client("app", &[Grant::Password], &[], &[], false, &Actor::Operator)
        .await
        .expect("client");
    let pages = [
        "/ui/admin/users/alice".to_owned(),
        "/ui/admin/clients".to_owned(),
        format!("/ui/admin/clients/{}", client.id),
        "/ui/admin/keys".to_owned(),
        "/ui/admin/webhooks".to_owned(),
    ];
    let mut nobody = Browser::new(&app);
    let mut alice = signed_in_as(&app, "alice").await;
    for path in &pages {
        let away = nobody.get(path).await;
        assert_eq!(away.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(away.header("location"), "/ui/login", "{path}");
        let refused = alice.get(path).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
    }
    let mut root = signed_in_as(&app, "root").await;
    for path in &pages {
        let page = root.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", body(&page));
        let html = body(&page);
        assert!(html.contains(r#"aria-current="page""#), "{path}: {html}");
        assert!(html.contains(r#"name="csrf_token""#), "{path}: {html}");
    }
    let missing = root.get("/ui/admin/users/nobody").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(body(&missing).contains("no such account"));
    let missing = root.get("/ui/admin/clients/c_nobody").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(body(&missing).contains("no such client"));

    // Every new form refuses a missing or forged token, and another site.
    let actions = [
        "/ui/admin/users/alice/roles".to_owned(),
        "/ui/admin/users/alice/unlock".to_owned(),
        "/ui/admin/users/alice/reset".to_owned(),
        "/ui/admin/users/alice/sessions".to_owned(),
        "/ui/admin/clients".to_owned(),
        format!("/ui/admin/clients/{}", client.id),
        format!("/ui/admin/clients/{}/secret", client.id),
        format!("/ui/admin/clients/{}/delete", client.id),
        "/ui/admin/keys/rotate".to_owned(),
        "/ui/admin/keys/kid/retire".to_owned(),
        "/ui/admin/webhooks".to_owned(),
        "/ui/admin/webhooks/w_x/replay".to_owned(),
        "/ui/admin/webhooks/w_x/delete".to_owned(),
    ];
    let page = body(&root.get("/ui/admin/keys").await);
    let (name, value) = token(&page);
    for action in &actions {
        let refused = root.post(action, &[("csrf_token", "forged")]).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{action}");
        let mut request = form(action, &[(name.as_str(), value.as_str())], None);
        request
            .headers_mut()
            .insert("origin", "https://evil.example".parse().expect("origin"));
        assert_eq!(
            root.send(request).await.status,
            StatusCode::FORBIDDEN,
            "{action}"
        );
        let refused = alice.post(action, &[("csrf_token", "x")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(app.authority.list_keys().await.expect("keys").len(), 1);
    assert!(app.authority.client(&client.id).await.is_ok());
}

#[tokio::test]
async fn an_accounts_page_edits_roles_and_ends_its_sessions() {
    let app = TestApp::new().await;
    let root = app.user("root", &["admin"]).await;
    app.user("alice", &["staff"]).await;
    let web = web_client(&app, true, None).await;
    let (mut alices_browser, _) = signed_in(&app, &web).await;
    let api = app.app_client().await;
    let tokens = app.login(&api, "alice").await;
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let mut admin = signed_in_as(&app, "root").await;

    let page = body(&admin.get("/ui/admin/users/alice").await);
    assert!(page.contains(r#"value="staff""#), "{page}");
    assert_eq!(page.matches("<td>Browser</td>").count(), 1, "{page}");
    assert_eq!(page.matches("<td>Tokens</td>").count(), 1, "{page}");

    let action = "/ui/admin/users/alice/roles";
    let saved = submit(&mut admin, &page, action, &[("roles", "reader, writer")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", body(&saved));
    assert_eq!(
        saved.header("location"),
        "/ui/admin/users/alice?notice=admin_roles_saved"
    );
    let page = body(&admin.get(saved.header("location")).await);
    assert!(page.contains("The roles were saved"), "{page}");
    assert!(page.contains(r#"value="reader, writer""#), "{page}");

    // The first session on the page is the browser: ending it signs that browser out.
    let action = "/ui/admin/users/alice/sessions";
    let ended = submit(&mut admin, &page, action, &[]).await;
    assert_eq!(
        ended.header("location"),
        "/ui/admin/users/alice?notice=admin_session_ended"
    );
    let away = alices_browser.get("/ui/account").await;
    assert_eq!(away.status, StatusCode::SEE_OTHER);
    let page = body(&admin.get("/ui/admin/users/alice").await);
    assert_eq!(page.matches("<td>Browser</td>").count(), 0, "{page}");
    let again = post_with_token(&mut admin, &page, action, &[("session", "s_gone")]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    let all = post_with_token(&mut admin, &page, action, &[("session", "all")]).await;
    assert_eq!(
        all.header("location"),
        "/ui/admin/users/alice?notice=admin_sessions_ended"
    );
    let request = form(
        "/oauth/token",
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        Some(&api),
    );
    app.send(request)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let page = body(&admin.get("/ui/admin/users/alice").await);
    assert!(page.contains("no live sessions"), "{page}");

    let unlocked = submit(&mut admin, &page, "/ui/admin/users/alice/unlock", &[]).await;
    assert_eq!(
        unlocked.header("location"),
        "/ui/admin/users/alice?notice=admin_user_unlocked"
    );
    // The last administrator keeps the role.
    let page = body(&admin.get("/ui/admin/users/root").await);
    let refused = submit(
        &mut admin,
        &page,
        "/ui/admin/users/root/roles",
        &[("roles", "")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(body(&refused).contains("last administrator"));
    let refused = submit(
        &mut admin,
        &page,
        "/ui/admin/users/root/roles",
        &[("roles", "a b")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    assert_eq!(
        by(&app, &root, EventKind::UserUpdated).await,
        [Some("roles".into())]
    );
    assert_eq!(by(&app, &root, EventKind::SessionEnded).await.len(), 2);
    assert_eq!(by(&app, &root, EventKind::UserUnlocked).await.len(), 1);
}

#[tokio::test]
async fn a_reset_link_is_shown_once_and_sets_a_password_once() {
    let app = TestApp::new().await;
    let root = app.user("root", &["admin"]).await;
    let alice = app.user("alice", &[]).await;
    let mut admin = signed_in_as(&app, "root").await;
    let page = body(&admin.get("/ui/admin/users/alice").await);
    assert!(!page.contains(r#"id="reset-link""#));
    let made = submit(&mut admin, &page, "/ui/admin/users/alice/reset", &[]).await;
    assert_eq!(made.status, StatusCode::OK);
    assert_eq!(made.header("cache-control"), "no-store");
    let html = body(&made);
    let link = unescape(text_after(&html, r#"<code id="reset-link">"#));
    let path = &link[link.find("/ui/reset?token=").expect("path")..];
    // Shown once: the page read again does not have it.
    let page = body(&admin.get("/ui/admin/users/alice").await);
    assert!(!page.contains(r#"id="reset-link""#));

    let mut owner = Browser::new(&app);
    let reset = owner.get(path).await;
    assert_eq!(reset.status, StatusCode::OK, "{}", body(&reset));
    let form_page = body(&reset);
    assert!(
        form_page.contains(r#"autocomplete="new-password""#),
        "{form_page}"
    );
    assert!(
        form_page.contains(r#"autocomplete="username""#),
        "{form_page}"
    );
    let weak = submit(
        &mut owner,
        &form_page,
        "/ui/reset",
        &[("new_password", "short")],
    )
    .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert!(body(&weak).contains(r#"role="alert""#));
    let new = "a brand new passphrase";
    let done = submit(
        &mut owner,
        &form_page,
        "/ui/reset",
        &[("new_password", new)],
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", body(&done));
    assert!(body(&done).contains("new password is set"));
    let api = app.app_client().await;
    assert_eq!(
        app.password_grant(&api, "alice", new).await.status,
        StatusCode::OK
    );
    assert_ne!(
        app.password_grant(&api, "alice", PASSWORD).await.status,
        StatusCode::OK
    );

    // Used: the link no longer opens, nor can its form be sent again.
    let used = owner.get(path).await;
    assert_eq!(used.status, StatusCode::BAD_REQUEST);
    assert!(body(&used).contains("does not work"));
    let again = submit(
        &mut owner,
        &form_page,
        "/ui/reset",
        &[("new_password", "yet another phrase")],
    )
    .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    for bad in [
        "/ui/reset",
        "/ui/reset?token=nonsense",
        "/ui/reset?token=a&token=b",
    ] {
        assert_eq!(
            owner.get(bad).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    // The form needs its token and this site.
    let refused = owner
        .post("/ui/reset", &[("token", "x"), ("new_password", new)])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    assert_eq!(
        by(&app, &root, EventKind::PasswordResetIssued).await.len(),
        1
    );
    assert_eq!(
        by(&app, &alice, EventKind::PasswordChanged).await,
        [Some("reset_link".into())]
    );
}

#[tokio::test]
async fn clients_are_registered_changed_given_new_secrets_and_deleted() {
    let app = TestApp::new().await;
    let root = app.user("root", &["admin"]).await;
    let mut admin = signed_in_as(&app, "root").await;
    let page = body(&admin.get("/ui/admin/clients").await);
    assert!(page.contains("No clients are registered"), "{page}");
    let fields = [
        ("name", "Shop"),
        ("grant_authorization_code", "yes"),
        ("grant_refresh_token", "yes"),
        ("scopes", "openid profile"),
        ("audiences", "shop-api"),
        (
            "redirect_uris",
            "https://shop.example/cb\r\nhttps://shop.example/cb2",
        ),
    ];
    let created = submit(&mut admin, &page, "/ui/admin/clients", &fields).await;
    assert_eq!(created.status, StatusCode::OK, "{}", body(&created));
    assert_eq!(created.header("cache-control"), "no-store");
    let html = body(&created);
    let id = text_after(&html, r#"<code id="client-id">"#).to_owned();
    let secret = text_after(&html, r#"<code id="client-secret">"#).to_owned();
    let client = app
        .authority
        .authenticate_client(&id, Some(&secret))
        .await
        .expect("secret");
    assert_eq!(
        client.grants,
        [Grant::AuthorizationCode, Grant::RefreshToken]
    );
    assert_eq!(client.web.redirect_uris.len(), 2);
    assert_eq!(client.audiences, ["shop-api"]);
    let list = body(&admin.get("/ui/admin/clients").await);
    assert!(list.contains(">Shop</a>") && list.contains(&id), "{list}");
    let page = body(&admin.get(&format!("/ui/admin/clients/{id}")).await);
    assert!(!page.contains(&secret), "the secret is shown once");
    assert!(
        page.contains(r#"name="grant_refresh_token" value="yes" checked"#),
        "{page}"
    );

    let action = format!("/ui/admin/clients/{id}");
    let changed = [
        ("name", "Shop 2"),
        ("grant_authorization_code", "yes"),
        ("scopes", "openid"),
        ("audiences", ""),
        ("redirect_uris", "https://shop.example/only"),
        ("post_logout_redirect_uris", ""),
    ];
    let saved = submit(&mut admin, &page, &action, &changed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", body(&saved));
    assert_eq!(
        saved.header("location"),
        format!("{action}?notice=admin_client_saved")
    );
    let client = app.authority.client(&id).await.expect("client");
    assert_eq!(client.name, "Shop 2");
    assert_eq!(client.grants, [Grant::AuthorizationCode]);
    assert_eq!(client.web.redirect_uris, ["https://shop.example/only"]);
    let refused = submit(
        &mut admin,
        &page,
        &action,
        &[
            ("name", "Shop"),
            ("grant_authorization_code", "yes"),
            ("redirect_uris", ""),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(body(&refused).contains("redirect"), "{}", body(&refused));

    let rotated = submit(&mut admin, &page, &format!("{action}/secret"), &[]).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let html = body(&rotated);
    let new_secret = text_after(&html, r#"<code id="client-secret">"#).to_owned();
    assert_ne!(new_secret, secret);
    assert!(
        app.authority
            .authenticate_client(&id, Some(&secret))
            .await
            .is_err()
    );
    assert!(
        app.authority
            .authenticate_client(&id, Some(&new_secret))
            .await
            .is_ok()
    );

    let delete = format!("{action}/delete");
    let unconfirmed = submit(&mut admin, &page, &delete, &[]).await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    let deleted = submit(&mut admin, &page, &delete, &[("confirm", "yes")]).await;
    assert_eq!(
        deleted.header("location"),
        "/ui/admin/clients?notice=admin_client_deleted"
    );
    assert!(app.authority.client(&id).await.is_err());
    let gone = submit(&mut admin, &page, &format!("{action}/secret"), &[]).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    // A public client has no secret to rotate; a bad registration is refused.
    let page = body(&admin.get("/ui/admin/clients").await);
    let public = [
        ("name", "Cli"),
        ("grant_refresh_token", "yes"),
        ("public", "yes"),
    ];
    let created = submit(&mut admin, &page, "/ui/admin/clients", &public).await;
    let html = body(&created);
    assert!(!html.contains(r#"id="client-secret""#), "{html}");
    let public_id = text_after(&html, r#"<code id="client-id">"#).to_owned();
    let refused = submit(
        &mut admin,
        &html,
        &format!("/ui/admin/clients/{public_id}/delete"),
        &[],
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let bad = [("name", ""), ("grant_password", "yes")];
    let refused = submit(&mut admin, &page, "/ui/admin/clients", &bad).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    assert_eq!(by(&app, &root, EventKind::ClientCreated).await.len(), 2);
    assert_eq!(
        by(&app, &root, EventKind::ClientUpdated).await,
        [
            Some("name grants scopes audiences redirect_uris".into()),
            Some("secret".into()),
        ]
    );
    assert_eq!(by(&app, &root, EventKind::ClientRemoved).await.len(), 1);
}

#[tokio::test]
async fn keys_are_rotated_and_retired_from_the_console() {
    let app = TestApp::new().await;
    let root = app.user("root", &["admin"]).await;
    let mut admin = signed_in_as(&app, "root").await;
    let page = body(&admin.get("/ui/admin/keys").await);
    assert_eq!(page.matches("<td>signing</td>").count(), 1, "{page}");
    let bad = submit(
        &mut admin,
        &page,
        "/ui/admin/keys/rotate",
        &[("alg", "HS256")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let rotated = submit(
        &mut admin,
        &page,
        "/ui/admin/keys/rotate",
        &[("alg", "EdDSA")],
    )
    .await;
    assert_eq!(
        rotated.header("location"),
        "/ui/admin/keys?notice=admin_keys_rotated"
    );
    let keys = app.authority.list_keys().await.expect("keys");
    let active = keys
        .iter()
        .find(|k| k.state == KeyState::Active)
        .expect("active");
    assert_eq!(active.alg.to_string(), "EdDSA");
    let old = keys
        .iter()
        .find(|k| k.state == KeyState::Retiring)
        .expect("retiring");
    let page = body(&admin.get("/ui/admin/keys").await);
    assert!(page.contains("<td>retiring</td>"), "{page}");

    let in_use = format!("/ui/admin/keys/{}/retire", active.kid);
    let refused = post_with_token(&mut admin, &page, &in_use, &[("confirm", "yes")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let retire = format!("/ui/admin/keys/{}/retire", old.kid);
    let unconfirmed = submit(&mut admin, &page, &retire, &[]).await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    let retired = submit(&mut admin, &page, &retire, &[("confirm", "yes")]).await;
    assert_eq!(
        retired.header("location"),
        "/ui/admin/keys?notice=admin_key_retired"
    );
    let page = body(&admin.get("/ui/admin/keys").await);
    assert!(page.contains("<td>retired</td>"), "{page}");
    let again = post_with_token(&mut admin, &page, &retire, &[("confirm", "yes")]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    assert_eq!(by(&app, &root, EventKind::KeysRotated).await.len(), 1);
    assert_eq!(
        by(&app, &root, EventKind::KeyRetired).await,
        [Some(old.kid.to_string())]
    );
}

#[tokio::test]
async fn webhooks_are_added_replayed_and_removed_from_the_console() {
    let app = TestApp::new().await;
    let root = app.user("root", &["admin"]).await;
    let mut admin = signed_in_as(&app, "root").await;
    let page = body(&admin.get("/ui/admin/webhooks").await);
    assert!(page.contains("No webhooks are registered"), "{page}");
    let fields = [
        ("url", "http://127.0.0.1:9/hook"),
        ("events", "login_failed"),
    ];
    let added = submit(&mut admin, &page, "/ui/admin/webhooks", &fields).await;
    assert_eq!(
        added.header("location"),
        "/ui/admin/webhooks?notice=admin_webhook_added"
    );
    let hooks = app.authority.webhooks().await.expect("hooks");
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].kinds, [EventKind::LoginFailed]);
    let page = body(&admin.get("/ui/admin/webhooks").await);
    assert!(
        unescape(&page).contains("http://127.0.0.1:9/hook"),
        "{page}"
    );
    let refused = submit(
        &mut admin,
        &page,
        "/ui/admin/webhooks",
        &[("url", "ftp://x.example/")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let id = hooks[0].id.to_string();
    let replayed = post_with_token(
        &mut admin,
        &page,
        &format!("/ui/admin/webhooks/{id}/replay"),
        &[],
    )
    .await;
    assert_eq!(
        replayed.header("location"),
        "/ui/admin/webhooks?notice=admin_webhook_replayed"
    );
    let delete = format!("/ui/admin/webhooks/{id}/delete");
    let unconfirmed = submit(&mut admin, &page, &delete, &[]).await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    let removed = submit(&mut admin, &page, &delete, &[("confirm", "yes")]).await;
    assert_eq!(
        removed.header("location"),
        "/ui/admin/webhooks?notice=admin_webhook_removed"
    );
    assert!(app.authority.webhooks().await.expect("none").is_empty());
    let gone = post_with_token(&mut admin, &page, &delete, &[("confirm", "yes")]).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(by(&app, &root, EventKind::WebhookAdded).await.len(), 1);
    assert_eq!(by(&app, &root, EventKind::WebhookRemoved).await.len(), 1);
}

#[tokio::test]
async fn the_trail_page_filters_by_account_client_and_time() {
    let app = TestApp::new().await;
    app.user("root", &["admin"]).await;
    let alice = app.user("alice", &[]).await;
    let (client, _) = app
        .authority
        .create_client("app", &[Grant::Password], &[], &[], false, &Actor::Operator)
        .await
        .expect("client");
    let mut admin = signed_in_as(&app, "root").await;
    let page = body(&admin.get("/ui/admin/users/alice").await);
    let link = format!("/ui/admin/events?user={alice}");
    assert!(page.contains(&format!("href=\"{link}\"")), "{page}");
    let trail = body(&admin.get(&link).await);
    assert!(trail.contains("<td>user_created</td>"), "{trail}");
    assert!(!trail.contains("<td>client_created</td>"), "{trail}");
    assert!(
        !trail.contains("<td>login_succeeded</td>"),
        "root's sign-in: {trail}"
    );
    let trail = body(
        &admin
            .get(&format!("/ui/admin/events?client={}", client.id))
            .await,
    );
    assert!(trail.contains("<td>client_created</td>"), "{trail}");
    assert!(!trail.contains("<td>user_created</td>"), "{trail}");
    let trail = body(
        &admin
            .get("/ui/admin/events?until=2000-01-01T00:00:00Z")
            .await,
    );
    assert!(trail.contains("No events match"), "{trail}");
    let bad = admin.get("/ui/admin/events?until=tomorrow").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(body(&bad).contains("end time"));
}
