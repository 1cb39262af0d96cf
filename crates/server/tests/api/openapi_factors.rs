//! Second factors' pages and forms, driven for the API document's contract: the second
//! sign-in step, the account page's authenticator forms and the console's reset, with
//! every documented status (503 in [`store_gone`]) and every documented field.

use tessera_core::model::{Actor, UserId};

use super::{cross_site, expect_in, get, pairs};
use crate::browser::{Browser, account_form, authorize_path, body, hidden_fields, web_client};
use crate::helpers::{PASSWORD, TestApp, form};
use crate::second_factor::App;

/// Every status of `POST /ui/second-factor` and of the account and console forms.
pub(super) async fn factor_pages(app: &TestApp) {
    app.user("tfa", &[]).await;
    app.user("tfaroot", &["admin"]).await;
    let uri = app
        .authority
        .enroll_totp_for("tfa", &Actor::Operator)
        .await
        .expect("enrolled");
    let mut phone = App::from_uri(&uri);
    second_step(app, &mut phone).await;
    account_forms(app).await;
    console_reset(app).await;
}

/// The second-factor form: back to the account page, on to a client's consent page, and
/// each refusal.
async fn second_step(app: &TestApp, phone: &mut App) {
    let mut browser = Browser::new(app);
    let login = expect_in(&mut browser, get("/ui/login"), 200).await;
    let asked = browser.sign_in(&login, "tfa", PASSWORD).await;
    assert_eq!(asked.status.as_u16(), 200, "{}", body(&asked));
    let mut fields = hidden_fields(&body(&asked));
    let code = phone.code().await;
    fields.extend([
        ("code".to_owned(), "000000".to_owned()),
        ("action".to_owned(), "verify".to_owned()),
    ]);
    let path = "/ui/second-factor";
    expect_in(&mut browser, form(path, &pairs(&fields), None), 401).await;
    expect_in(&mut browser, cross_site(path, &pairs(&fields)), 403).await;
    let forged = [("csrf_token", "forged"), ("challenge", "forged")];
    expect_in(&mut browser, form(path, &forged, None), 400).await;
    let right: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                if k == "code" { code.clone() } else { v.clone() },
            )
        })
        .collect();
    let done = expect_in(&mut browser, form(path, &pairs(&right), None), 303).await;
    assert_eq!(done.header("location"), "/ui/account");

    // Through a client that asks for consent: the consent page, then a cancel.
    let client = web_client(app, false, None).await;
    let mut other = Browser::new(app);
    let page = expect_in(&mut other, get(&authorize_path(&client, "")), 200).await;
    let asked = other.sign_in(&page, "tfa", PASSWORD).await;
    let mut fields = hidden_fields(&body(&asked));
    assert!(
        fields.iter().any(|(k, _)| k == "request"),
        "{}",
        body(&asked)
    );
    let code = phone.code().await;
    assert!(fields.iter().any(|(k, _)| k == "next"));
    fields.push(("code".to_owned(), code));
    let consent = expect_in(&mut other, form(path, &pairs(&fields), None), 200).await;
    assert!(body(&consent).contains(r#"action="/ui/consent""#));
    let page = expect_in(
        &mut other,
        get(&authorize_path(&client, "&prompt=login")),
        200,
    )
    .await;
    let asked = other.sign_in(&page, "tfa", PASSWORD).await;
    let mut cancel = hidden_fields(&body(&asked));
    cancel.push(("action".to_owned(), "cancel".to_owned()));
    let denied = expect_in(&mut other, form(path, &pairs(&cancel), None), 303).await;
    assert!(denied.header("location").contains("error=access_denied"));

    // Wrong codes lock the account (three here): 429.
    let mut guesser = Browser::new(app);
    let login = expect_in(&mut guesser, get("/ui/login"), 200).await;
    let asked = guesser.sign_in(&login, "tfa", PASSWORD).await;
    let mut wrong = hidden_fields(&body(&asked));
    wrong.push(("code".to_owned(), "000000".to_owned()));
    for _ in 0..3 {
        let reply = guesser.send(form(path, &pairs(&wrong), None)).await;
        if reply.status.as_u16() == 429 {
            return;
        }
        assert_eq!(reply.status.as_u16(), 401);
    }
    expect_in(&mut guesser, form(path, &pairs(&wrong), None), 429).await;
}

/// The account page's authenticator forms, for a user without one.
async fn account_forms(app: &TestApp) {
    app.user("tfb", &[]).await;
    let mut fresh = Browser::new(app);
    let mut browser = Browser::new(app);
    let login = expect_in(&mut browser, get("/ui/login"), 200).await;
    expect_in(
        &mut browser,
        form("/ui/login", &pairs(&with_credentials(&login, "tfb")), None),
        303,
    )
    .await;
    let account = body(&expect_in(&mut browser, get("/ui/account"), 200).await);
    let begin = account_form(&account, "/ui/account/totp", &[]);
    for path in [
        "/ui/account/totp",
        "/ui/account/totp/confirm",
        "/ui/account/recovery-codes",
        "/ui/account/totp/remove",
    ] {
        expect_in(&mut fresh, form(path, &pairs(&begin), None), 303).await;
        expect_in(&mut browser, cross_site(path, &pairs(&begin)), 403).await;
        expect_in(
            &mut browser,
            form(path, &[("csrf_token", "forged")], None),
            400,
        )
        .await;
    }
    // Nothing being set up: confirm and new codes are refused.
    let token = &begin;
    let mut confirm = token.clone();
    confirm.push(("code".to_owned(), "123456".to_owned()));
    expect_in(
        &mut browser,
        form("/ui/account/totp/confirm", &pairs(&confirm), None),
        400,
    )
    .await;
    expect_in(
        &mut browser,
        form("/ui/account/recovery-codes", &pairs(token), None),
        400,
    )
    .await;
    let setup = expect_in(
        &mut browser,
        form("/ui/account/totp", &pairs(token), None),
        200,
    )
    .await;
    let mut phone = App::from_page(&body(&setup));
    let mut confirm = token.clone();
    confirm.push(("code".to_owned(), phone.code().await));
    expect_in(
        &mut browser,
        form("/ui/account/totp/confirm", &pairs(&confirm), None),
        200,
    )
    .await;
    expect_in(
        &mut browser,
        form("/ui/account/totp", &pairs(token), None),
        409,
    )
    .await;
    expect_in(
        &mut browser,
        form("/ui/account/recovery-codes", &pairs(token), None),
        200,
    )
    .await;
    expect_in(
        &mut browser,
        form("/ui/account/totp/remove", &pairs(token), None),
        400,
    )
    .await;
    let mut remove = token.clone();
    remove.push(("confirm".to_owned(), "yes".to_owned()));
    expect_in(
        &mut browser,
        form("/ui/account/totp/remove", &pairs(&remove), None),
        200,
    )
    .await;
}

/// The console's form that removes an account's factors.
async fn console_reset(app: &TestApp) {
    let mut fresh = Browser::new(app);
    let mut member = signed_in(app, "tfb").await;
    let mut root = signed_in(app, "tfaroot").await;
    let page = body(&expect_in(&mut root, get("/ui/admin/users/tfa"), 200).await);
    let action = "/ui/admin/users/tfa/factors/reset";
    let mut fields = account_form(&page, action, &[]);
    expect_in(&mut root, form(action, &pairs(&fields), None), 400).await;
    fields.push(("confirm".to_owned(), "yes".to_owned()));
    expect_in(&mut root, form(action, &pairs(&fields), None), 303).await;
    expect_in(&mut fresh, form(action, &pairs(&fields), None), 303).await;
    expect_in(&mut member, form(action, &pairs(&fields), None), 403).await;
    expect_in(&mut root, cross_site(action, &pairs(&fields)), 403).await;
    expect_in(
        &mut root,
        form(action, &[("csrf_token", "forged")], None),
        400,
    )
    .await;
    let missing = "/ui/admin/users/nobody/factors/reset";
    expect_in(&mut root, form(missing, &pairs(&fields), None), 404).await;
}

/// A browser signed in with a password (the account has no second factor).
async fn signed_in<'a>(app: &'a TestApp, user: &str) -> Browser<'a> {
    let mut browser = Browser::new(app);
    let login = expect_in(&mut browser, get("/ui/login"), 200).await;
    let fields = with_credentials(&login, user);
    expect_in(&mut browser, form("/ui/login", &pairs(&fields), None), 303).await;
    browser
}

fn with_credentials(login: &crate::helpers::Reply, user: &str) -> Vec<(String, String)> {
    let mut fields = hidden_fields(&body(login));
    fields.push(("username".to_owned(), user.to_owned()));
    fields.push(("password".to_owned(), PASSWORD.to_owned()));
    fields
}

/// The factor forms when the store is gone: 503. `browser` has a binding cookie and a
/// session cookie that cannot be looked up.
pub(super) async fn store_gone(app: &TestApp, browser: &mut Browser<'_>) {
    let binding = browser
        .cookies
        .get("tessera_browser")
        .cloned()
        .expect("a binding cookie");
    let authority = &app.authority;
    let challenge = authority
        .seal_challenge(&UserId::new("u_gone"), &binding)
        .expect("sealed");
    let csrf = authority.browser_token("second-factor", &binding);
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("challenge", challenge.as_str()),
        ("code", "123456"),
    ];
    expect_in(browser, form("/ui/second-factor", &fields, None), 503).await;
    let forms = [("csrf_token", "unchecked")];
    for path in [
        "/ui/account/totp",
        "/ui/account/totp/confirm",
        "/ui/account/recovery-codes",
        "/ui/account/totp/remove",
        "/ui/admin/users/x/factors/reset",
    ] {
        expect_in(browser, form(path, &forms, None), 503).await;
    }
}
