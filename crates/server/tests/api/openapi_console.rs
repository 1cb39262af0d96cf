//! The operator console's account, client, key and webhook pages and the reset page, driven
//! for the API document's contract: every operation, every documented status (503 in
//! [`store_gone`]), every documented parameter.

use tessera_core::model::Actor;

use super::{console_browser, cross_site, expect_in, get, pairs};
use crate::browser::{Browser, body, hidden_fields};
use crate::helpers::{TestApp, form};

/// A form of the account page: its action, its fields besides the token, and its success.
type Action = (&'static str, Vec<(&'static str, &'static str)>, u16);

/// Statuses for the account page and its forms.
pub(super) async fn console_pages(app: &TestApp) {
    app.user("pageroot", &["admin"]).await;
    app.user("pagemember", &[]).await;
    app.user("pagehana", &[]).await;
    let mut fresh = Browser::new(app);
    let mut root = console_browser(app, "pageroot").await;
    let mut member = console_browser(app, "pagemember").await;
    let user = "/ui/admin/users/pagehana";
    for (path, status) in [
        (format!("{user}?notice=admin_roles_saved"), 200),
        ("/ui/admin/users/nobody".to_owned(), 404),
    ] {
        expect_in(&mut root, get(&path), status).await;
    }
    expect_in(&mut fresh, get(user), 303).await;
    expect_in(&mut member, get(user), 403).await;
    for page in [
        user.to_owned(),
        "/ui/admin/clients".to_owned(),
        "/ui/admin/clients/c_x".to_owned(),
        "/ui/admin/keys".to_owned(),
        "/ui/admin/webhooks".to_owned(),
    ] {
        let repeated = format!("{page}?notice=a&notice=b");
        expect_in(&mut root, get(&repeated), 400).await;
    }
    let page = body(&expect_in(&mut root, get(user), 200).await);
    let token = token_of(&page);
    let actions: [Action; 4] = [
        ("roles", vec![("roles", "reader")], 303),
        ("unlock", vec![], 303),
        ("reset", vec![], 200),
        ("sessions", vec![("session", "all")], 303),
    ];
    for (action, extra, ok) in actions {
        let path = format!("{user}/{action}");
        let mut fields = vec![("csrf_token", token.as_str())];
        fields.extend_from_slice(&extra);
        expect_in(&mut root, form(&path, &fields, None), ok).await;
        expect_in(&mut fresh, form(&path, &fields, None), 303).await;
        expect_in(&mut member, form(&path, &fields, None), 403).await;
        expect_in(&mut root, cross_site(&path, &fields), 403).await;
        expect_in(
            &mut root,
            form(&path, &[("csrf_token", "forged")], None),
            400,
        )
        .await;
        let missing = format!("/ui/admin/users/nobody/{action}");
        expect_in(&mut root, form(&missing, &fields, None), 404).await;
    }
    let bad = [("csrf_token", token.as_str()), ("roles", "two words")];
    expect_in(&mut root, form(&format!("{user}/roles"), &bad, None), 400).await;
    clients(app, &mut root, &mut fresh, &mut member, &token).await;
    keys(&mut root, &mut fresh, &mut member, &token).await;
    webhooks(app, &mut root, &mut fresh, &mut member, &token).await;
    reset_page(app, &mut root, &token).await;
}

async fn clients(
    app: &TestApp,
    root: &mut Browser<'_>,
    fresh: &mut Browser<'_>,
    member: &mut Browser<'_>,
    token: &str,
) {
    for (path, status) in [
        ("/ui/admin/clients?notice=admin_client_deleted", 200),
        ("/ui/admin/clients/c_nobody", 404),
    ] {
        expect_in(root, get(path), status).await;
    }
    expect_in(fresh, get("/ui/admin/clients"), 303).await;
    expect_in(member, get("/ui/admin/clients"), 403).await;
    let every = [
        ("csrf_token", token),
        ("name", "Contract shop"),
        ("grant_authorization_code", "yes"),
        ("grant_refresh_token", "yes"),
        ("grant_client_credentials", "no"),
        ("grant_password", "no"),
        ("grant_token_exchange", "no"),
        ("scopes", "openid"),
        ("audiences", "shop"),
        ("redirect_uris", "https://shop.example/cb"),
        ("post_logout_redirect_uris", "https://shop.example/bye"),
        ("public", "no"),
        ("first_party", "yes"),
    ];
    let create = "/ui/admin/clients";
    expect_in(root, form(create, &every, None), 200).await;
    expect_in(
        root,
        form(create, &[("csrf_token", token), ("name", "x")], None),
        400,
    )
    .await;
    expect_in(root, cross_site(create, &every), 403).await;
    expect_in(member, form(create, &every, None), 403).await;
    expect_in(fresh, form(create, &every, None), 303).await;
    let (client, _) = app
        .authority
        .create_client(
            "contract",
            &[tessera_core::model::Grant::Password],
            &[],
            &[],
            false,
            &Actor::Operator,
        )
        .await
        .expect("client");
    let path = format!("/ui/admin/clients/{}", client.id);
    expect_in(root, get(&format!("{path}?notice=admin_client_saved")), 200).await;
    expect_in(fresh, get(&path), 303).await;
    expect_in(member, get(&path), 403).await;
    let update = [
        ("csrf_token", token),
        ("name", "contract 2"),
        ("grant_authorization_code", "no"),
        ("grant_refresh_token", "no"),
        ("grant_client_credentials", "no"),
        ("grant_password", "yes"),
        ("grant_token_exchange", "yes"),
        ("public", "ignored"),
        ("first_party", "ignored"),
        ("scopes", ""),
        ("audiences", ""),
        ("redirect_uris", ""),
        ("post_logout_redirect_uris", ""),
    ];
    expect_in(root, form(&path, &update, None), 303).await;
    expect_in(root, cross_site(&path, &update), 403).await;
    expect_in(member, form(&path, &update, None), 403).await;
    expect_in(
        root,
        form(&path, &[("csrf_token", token), ("name", "")], None),
        400,
    )
    .await;
    expect_in(root, form("/ui/admin/clients/c_nobody", &update, None), 404).await;
    for (suffix, ok) in [("secret", 200), ("delete", 303)] {
        let action = format!("{path}/{suffix}");
        let confirmed = [("csrf_token", token), ("confirm", "yes")];
        let fields = if suffix == "delete" {
            &confirmed[..]
        } else {
            &confirmed[..1]
        };
        expect_in(root, form(&action, &[("csrf_token", "forged")], None), 400).await;
        expect_in(root, cross_site(&action, fields), 403).await;
        expect_in(member, form(&action, fields, None), 403).await;
        expect_in(fresh, form(&action, fields, None), 303).await;
        expect_in(root, form(&action, fields, None), ok).await;
    }
    // Deleted: neither form finds it.
    let gone = [("csrf_token", token), ("confirm", "yes")];
    expect_in(root, form(&format!("{path}/delete"), &gone, None), 404).await;
    expect_in(root, form(&format!("{path}/secret"), &gone[..1], None), 404).await;
}

async fn keys(
    root: &mut Browser<'_>,
    fresh: &mut Browser<'_>,
    member: &mut Browser<'_>,
    token: &str,
) {
    expect_in(root, get("/ui/admin/keys?notice=admin_keys_rotated"), 200).await;
    expect_in(fresh, get("/ui/admin/keys"), 303).await;
    expect_in(member, get("/ui/admin/keys"), 403).await;
    let rotate = "/ui/admin/keys/rotate";
    let fields = [("csrf_token", token), ("alg", "ES256")];
    expect_in(root, form(rotate, &fields, None), 303).await;
    expect_in(
        root,
        form(rotate, &[("csrf_token", token), ("alg", "none")], None),
        400,
    )
    .await;
    expect_in(root, cross_site(rotate, &fields), 403).await;
    expect_in(member, form(rotate, &fields, None), 403).await;
    let page = body(&expect_in(root, get("/ui/admin/keys"), 200).await);
    let retire_path = |kid: &str| format!("/ui/admin/keys/{kid}/retire");
    let first_retire = page.find("/retire\"").expect("a retiring key");
    let start =
        page[..first_retire].rfind("/ui/admin/keys/").expect("path") + "/ui/admin/keys/".len();
    let kid = &page[start..first_retire];
    let confirmed = [("csrf_token", token), ("confirm", "yes")];
    let active = page
        .split("<tr><th scope=\"row\"><code>")
        .skip(1)
        .find(|row| row.contains("<td>signing</td>"))
        .and_then(|row| row.split('<').next())
        .expect("the signing key");
    expect_in(root, form(&retire_path(active), &confirmed, None), 409).await;
    expect_in(
        root,
        form(&retire_path(kid), &[("csrf_token", "forged")], None),
        400,
    )
    .await;
    expect_in(root, cross_site(&retire_path(kid), &confirmed), 403).await;
    expect_in(member, form(&retire_path(kid), &confirmed, None), 403).await;
    expect_in(fresh, form(&retire_path(kid), &confirmed, None), 303).await;
    expect_in(root, form(&retire_path(kid), &confirmed, None), 303).await;
    expect_in(root, form(&retire_path(kid), &confirmed, None), 404).await;
}

async fn webhooks(
    app: &TestApp,
    root: &mut Browser<'_>,
    fresh: &mut Browser<'_>,
    member: &mut Browser<'_>,
    token: &str,
) {
    let page = "/ui/admin/webhooks";
    expect_in(
        root,
        get(&format!("{page}?notice=admin_webhook_added")),
        200,
    )
    .await;
    expect_in(fresh, get(page), 303).await;
    expect_in(member, get(page), 403).await;
    let fields = [
        ("csrf_token", token),
        ("url", "http://127.0.0.1:9/contract"),
        ("events", "login_failed"),
    ];
    expect_in(root, form(page, &fields, None), 303).await;
    expect_in(
        root,
        form(page, &[("csrf_token", token), ("url", "ftp://x")], None),
        400,
    )
    .await;
    expect_in(root, cross_site(page, &fields), 403).await;
    expect_in(member, form(page, &fields, None), 403).await;
    let hooks = app.authority.webhooks().await.expect("hooks");
    let id = hooks.last().expect("hook").id.to_string();
    for suffix in ["replay", "delete"] {
        let action = format!("{page}/{id}/{suffix}");
        let both = [("csrf_token", token), ("confirm", "yes")];
        let confirmed = if suffix == "delete" {
            &both[..]
        } else {
            &both[..1]
        };
        expect_in(root, form(&action, &[("csrf_token", "forged")], None), 400).await;
        expect_in(root, cross_site(&action, confirmed), 403).await;
        expect_in(member, form(&action, confirmed, None), 403).await;
        expect_in(fresh, form(&action, confirmed, None), 303).await;
        expect_in(root, form(&action, confirmed, None), 303).await;
        let missing = format!("{page}/w_nobody/{suffix}");
        expect_in(root, form(&missing, confirmed, None), 404).await;
    }
}

async fn reset_page(app: &TestApp, root: &mut Browser<'_>, token: &str) {
    let made = expect_in(
        root,
        form(
            "/ui/admin/users/pagehana/reset",
            &[("csrf_token", token)],
            None,
        ),
        200,
    )
    .await;
    let html = body(&made).replace("&#x2f;", "/");
    let start = html.find("/ui/reset?token=").expect("link");
    let path = &html[start..start + html[start..].find('<').expect("end")];
    let mut owner = Browser::new(app);
    let page = body(&expect_in(&mut owner, get(path), 200).await);
    let fields = hidden_fields(&page);
    let mut weak = fields.clone();
    weak.push(("new_password".into(), "short".into()));
    expect_in(&mut owner, form("/ui/reset", &pairs(&weak), None), 400).await;
    let mut good = fields.clone();
    good.push(("new_password".into(), "a new contract passphrase".into()));
    expect_in(&mut owner, cross_site("/ui/reset", &pairs(&good)), 403).await;
    expect_in(&mut owner, form("/ui/reset", &pairs(&good), None), 200).await;
    expect_in(&mut owner, get(path), 400).await;
}

/// The anti-CSRF token of the console's forms on `page`.
fn token_of(page: &str) -> String {
    hidden_fields(page)
        .into_iter()
        .find(|(name, _)| name == "csrf_token")
        .map(|(_, value)| value)
        .expect("a console form")
}

/// The console pages, forms and the reset page when the store is gone: 503.
pub(super) async fn store_gone(app: &TestApp, browser: &mut Browser<'_>) {
    let forms = [("csrf_token", "unchecked")];
    for path in [
        "/ui/admin/users/x",
        "/ui/admin/clients",
        "/ui/admin/clients/c_x",
        "/ui/admin/keys",
        "/ui/admin/webhooks",
    ] {
        expect_in(browser, get(path), 503).await;
    }
    for path in [
        "/ui/admin/users/x/roles",
        "/ui/admin/users/x/unlock",
        "/ui/admin/users/x/reset",
        "/ui/admin/users/x/sessions",
        "/ui/admin/clients",
        "/ui/admin/clients/c_x",
        "/ui/admin/clients/c_x/secret",
        "/ui/admin/clients/c_x/delete",
        "/ui/admin/keys/rotate",
        "/ui/admin/keys/k/retire",
        "/ui/admin/webhooks",
        "/ui/admin/webhooks/w_x/replay",
        "/ui/admin/webhooks/w_x/delete",
    ] {
        expect_in(browser, form(path, &forms, None), 503).await;
    }
    // A link of the right form: only the store can tell whether it works.
    let link = format!("u_x.{}.{}", i64::MAX / 2, "A".repeat(43));
    expect_in(browser, get(&format!("/ui/reset?token={link}")), 503).await;
    let binding = browser
        .cookies
        .get("tessera_browser")
        .expect("binding")
        .clone();
    let csrf = app.authority.browser_token("reset", &binding);
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("token", link.as_str()),
        ("new_password", "a new contract passphrase"),
    ];
    expect_in(browser, form("/ui/reset", &fields, None), 503).await;
}
