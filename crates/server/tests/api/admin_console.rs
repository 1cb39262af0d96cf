//! The operator console (`/ui/admin`): only for a signed-in administrator; its forms need
//! the anti-CSRF token; what they do lands in the audit trail with the admin as actor.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tessera_core::model::{Actor, EventKind, EventQuery};

use crate::browser::{Browser, account_form, body};
use crate::helpers::{PASSWORD, Reply, TestApp, form};

/// A browser signed in as `user`.
pub(crate) async fn signed_in_as<'a>(app: &'a TestApp, user: &str) -> Browser<'a> {
    let mut browser = Browser::new(app);
    let page = browser.get("/ui/login").await;
    let landed = browser.sign_in(&page, user, PASSWORD).await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", body(&landed));
    browser
}

pub(crate) fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Submits the form of `page` whose action is `action`, with `extra` fields.
pub(crate) async fn submit(
    browser: &mut Browser<'_>,
    page: &str,
    action: &str,
    extra: &[(&str, &str)],
) -> Reply {
    let fields = account_form(page, action, extra);
    browser.post(action, &pairs(&fields)).await
}

#[tokio::test]
async fn the_console_needs_a_signed_in_administrator() {
    let app = TestApp::new().await;
    app.user("root", &["admin"]).await;
    app.user("alice", &[]).await;
    let mut nobody = Browser::new(&app);
    for path in ["/ui/admin", "/ui/admin/events"] {
        let away = nobody.get(path).await;
        assert_eq!(away.status, StatusCode::SEE_OTHER);
        assert_eq!(away.header("location"), "/ui/login");
    }
    let mut alice = signed_in_as(&app, "alice").await;
    for path in ["/ui/admin", "/ui/admin/events"] {
        let refused = alice.get(path).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", body(&refused));
        assert!(body(&refused).contains("administrators only"));
    }
    let refused = alice
        .post("/ui/admin/users/root/disable", &[("csrf_token", "x")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let mut root = signed_in_as(&app, "root").await;
    let page = root.get("/ui/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = body(&page);
    assert!(html.contains("<html lang=\"en\""), "{html}");
    assert!(html.contains(r#"<label for="q">"#), "{html}");
    assert!(html.contains(r#"<th scope="col">"#), "{html}");
    assert!(html.contains(r#"autocomplete="new-password""#), "{html}");
    assert!(html.contains("alice") && html.contains("root"), "{html}");
}

#[tokio::test]
async fn the_search_finds_by_prefix_and_pages() {
    let app = TestApp::new().await;
    app.user("root", &["admin"]).await;
    for i in 0..55 {
        app.authority
            .create_user(
                &format!("User{i:02}"),
                PASSWORD,
                None,
                &[],
                &Actor::Operator,
            )
            .await
            .expect("user");
    }
    app.user("other", &[]).await;
    let mut root = signed_in_as(&app, "root").await;
    let html = body(&root.get("/ui/admin?q=user").await);
    assert!(html.contains("User00") && html.contains("User49"), "{html}");
    assert!(
        !html.contains("User50") && !html.contains(">other<"),
        "{html}"
    );
    assert!(html.contains("q=user&amp;after=User49"), "{html}");
    let html = body(&root.get("/ui/admin?q=user&after=User49").await);
    assert!(html.contains("User50") && html.contains("User54"), "{html}");
    assert!(
        !html.contains("User49") && !html.contains("Next page"),
        "{html}"
    );
    let html = body(&root.get("/ui/admin?q=OTH").await);
    assert!(
        html.contains(">other<") && !html.contains("User00"),
        "{html}"
    );
    let html = body(&root.get("/ui/admin?q=%25").await);
    assert!(html.contains("No accounts match"), "{html}");
    let bad = root.get("/ui/admin?q=a&q=b").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn create_disable_enable_delete_are_audited_with_the_admin_as_actor() {
    let app = TestApp::new().await;
    let root_id = app.user("root", &["admin"]).await;
    let mut root = signed_in_as(&app, "root").await;
    let page = body(&root.get("/ui/admin").await);
    let fields = [
        ("username", "bob"),
        ("email", "bob@example.com"),
        ("password", "another fine passphrase"),
        ("roles", "reader, writer"),
    ];
    let created = submit(&mut root, &page, "/ui/admin/users", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", body(&created));
    assert_eq!(
        created.header("location"),
        "/ui/admin?notice=admin_user_created"
    );
    let page = body(&root.get(created.header("location")).await);
    assert!(page.contains("The account was created"), "{page}");
    assert!(page.contains("reader, writer"), "{page}");
    let bob = app
        .authority
        .search_users("bob", None, 1)
        .await
        .expect("bob");
    assert_eq!(bob[0].roles, ["reader", "writer"]);

    let path = "/ui/admin/users/bob/disable";
    let done = submit(&mut root, &page, path, &[]).await;
    assert_eq!(
        done.header("location"),
        "/ui/admin?notice=admin_user_disabled"
    );
    let page = body(&root.get("/ui/admin?q=bob").await);
    assert!(page.contains("Disabled"), "{page}");
    let done = submit(&mut root, &page, "/ui/admin/users/bob/enable", &[]).await;
    assert_eq!(
        done.header("location"),
        "/ui/admin?notice=admin_user_enabled"
    );
    let page = body(&root.get("/ui/admin?q=bob").await);
    let path = "/ui/admin/users/bob/delete";
    let unconfirmed = submit(&mut root, &page, path, &[]).await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    let done = submit(&mut root, &page, path, &[("confirm", "yes")]).await;
    assert_eq!(
        done.header("location"),
        "/ui/admin?notice=admin_user_deleted"
    );
    assert!(
        app.authority
            .search_users("bob", None, 1)
            .await
            .expect("none")
            .is_empty()
    );

    let events = app
        .authority
        .events(&EventQuery::default())
        .await
        .expect("events");
    let by_root: Vec<(EventKind, Option<String>)> = events
        .iter()
        .filter(|e| e.actor.as_ref().map(Actor::as_str) == Some(root_id.as_str()))
        .map(|e| (e.kind, e.detail.clone()))
        .collect();
    assert_eq!(
        by_root,
        [
            (EventKind::UserCreated, None),
            (EventKind::UserUpdated, Some("disabled".into())),
            (EventKind::UserUpdated, Some("enabled".into())),
            (EventKind::UserDeleted, None),
        ]
    );
    let trail = body(&root.get("/ui/admin/events?type=user_deleted").await);
    assert!(trail.contains("<td>user_deleted</td>"), "{trail}");
    assert!(trail.contains(&format!("<td>{root_id}</td>")), "{trail}");
    assert!(!trail.contains("<td>user_created</td>"), "{trail}");
    let since = body(
        &root
            .get("/ui/admin/events?since=2999-01-01T00:00:00Z")
            .await,
    );
    assert!(since.contains("No events match"), "{since}");
}

#[tokio::test]
async fn forms_without_the_token_or_from_elsewhere_are_refused() {
    let app = TestApp::new().await;
    app.user("root", &["admin"]).await;
    app.user("alice", &[]).await;
    let mut root = signed_in_as(&app, "root").await;
    let path = "/ui/admin/users/alice/disable";
    for fields in [&[][..], &[("csrf_token", "forged")][..]] {
        let refused = root.post(path, fields).await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{}",
            body(&refused)
        );
    }
    let page = body(&root.get("/ui/admin").await);
    let fields = account_form(&page, path, &[]);
    let mut request: Request<Body> = form(path, &pairs(&fields), None);
    request.headers_mut().insert(
        header::ORIGIN,
        "https://evil.example".parse().expect("origin"),
    );
    assert_eq!(root.send(request).await.status, StatusCode::FORBIDDEN);
    let alice = app
        .authority
        .search_users("alice", None, 1)
        .await
        .expect("alice");
    assert!(!alice[0].disabled);
}

/// A form action, its fields besides the token, and the status it must answer.
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    StatusCode,
);

#[tokio::test]
async fn bad_input_is_a_client_error() {
    let app = TestApp::new().await;
    app.user("root", &["admin"]).await;
    let mut root = signed_in_as(&app, "root").await;
    let page = body(&root.get("/ui/admin").await);
    let cases: [Case; 5] = [
        (
            "/ui/admin/users",
            &[("username", " bad name"), ("password", PASSWORD)],
            StatusCode::BAD_REQUEST,
        ),
        (
            "/ui/admin/users",
            &[("username", "carl"), ("password", "")],
            StatusCode::BAD_REQUEST,
        ),
        (
            "/ui/admin/users",
            &[
                ("username", "carl"),
                ("password", PASSWORD),
                ("email", "nope"),
            ],
            StatusCode::BAD_REQUEST,
        ),
        (
            "/ui/admin/users",
            &[("username", "ROOT"), ("password", PASSWORD)],
            StatusCode::CONFLICT,
        ),
        ("/ui/admin/users/root/disable", &[], StatusCode::FORBIDDEN),
    ];
    for (action, extra, status) in cases {
        let fields = account_form(&page, action, &[]);
        let mut all = pairs(&fields);
        all.extend_from_slice(extra);
        let reply = root.post(action, &all).await;
        assert_eq!(reply.status, status, "{action} {extra:?}: {}", body(&reply));
    }
    let token = account_form(&page, "/ui/admin/users", &[]);
    let missing = root
        .post("/ui/admin/users/nobody/enable", &pairs(&token))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    for path in [
        "/ui/admin/events?type=nonsense",
        "/ui/admin/events?since=yesterday",
        "/ui/admin/events?after=-1",
    ] {
        assert_eq!(
            root.get(path).await.status,
            StatusCode::BAD_REQUEST,
            "{path}"
        );
    }
}
