//! Second factors in the browser: the second sign-in step, setting up an authenticator app
//! on the account page, recovery codes, step-up for `acr_values`, and the console's default
//! policy for administrators.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{StatusCode, header};
use tessera_core::authority::ACR_MFA;
use tessera_core::model::Actor;
use tessera_core::totp::{self, Hash};
use tessera_core::{Config, PasswordPolicy};
use tessera_jose::Algorithm;
use tessera_server::throttle::ThrottleConfig;

use crate::admin_console::{pairs, submit};
use crate::browser::{
    Browser, authorize_path, body, hidden_fields, redeem, redirect_params, urlencode, web_client,
};
use crate::helpers::{ISSUER, PASSWORD, Reply, TestApp, form, text};

/// An authenticator app: the secret, and the last step it gave a code of (the server takes
/// each step once, and never an earlier one after a later).
pub(crate) struct App {
    secret: Vec<u8>,
    last: Option<u64>,
}

impl App {
    pub(crate) fn from_uri(uri: &str) -> Self {
        let secret = uri
            .split("secret=")
            .nth(1)
            .and_then(|rest| rest.split('&').next())
            .and_then(totp::base32_decode)
            .expect("secret in the URI");
        Self { secret, last: None }
    }

    pub(crate) fn from_page(html: &str) -> Self {
        let start = html.find(r#"id="totp-secret">"#).expect("secret shown") + 17;
        let end = html[start..].find('<').expect("end") + start;
        let text: String = html[start..end].split_whitespace().collect();
        Self {
            secret: totp::base32_decode(&text).expect("base32"),
            last: None,
        }
    }

    /// A code the server has not seen: the earliest step in its window after the last one
    /// used, waiting for the clock when the window is spent.
    pub(crate) async fn code(&mut self) -> String {
        loop {
            let now = unix_now();
            let current = totp::step_at(now).expect("after 1970");
            let step = self
                .last
                .map_or(current - 1, |last| (last + 1).max(current - 1));
            if step <= current + 1 {
                self.last = Some(step);
                let at = i64::try_from(step).expect("step") * totp::STEP_SECS;
                return totp::code_at(&self.secret, at, Hash::Sha1).expect("code");
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }
}

fn unix_now() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    i64::try_from(since.as_secs()).expect("seconds")
}

/// The default policy (administrators need a second factor), with cheap test settings.
fn default_policy() -> Config {
    let mut config = Config::new(ISSUER);
    config.passwords = PasswordPolicy::new(256, 1, 1);
    config.rotation.algorithm = Algorithm::ES256;
    config
}

/// Submits the second-factor form of `page` with `code`.
async fn give_code(browser: &mut Browser<'_>, page: &Reply, code: &str) -> Reply {
    let html = body(page);
    assert!(html.contains(r#"action="/ui/second-factor""#), "{html}");
    let mut fields = hidden_fields(&html);
    fields.push(("code".into(), code.into()));
    fields.push(("action".into(), "verify".into()));
    browser.post("/ui/second-factor", &pairs(&fields)).await
}

/// A browser that gave `user`'s password; the answer (the second-factor page, if any).
async fn password_step<'a>(app: &'a TestApp, user: &str) -> (Browser<'a>, Reply) {
    let mut browser = Browser::new(app);
    let page = browser.get("/ui/login").await;
    let answer = browser.sign_in(&page, user, PASSWORD).await;
    (browser, answer)
}

/// Sets up an authenticator app on the account page of a signed-in browser.
async fn set_up_on_account_page(browser: &mut Browser<'_>) -> (App, Vec<String>) {
    let account = body(&browser.get("/ui/account").await);
    assert!(
        account.contains(r#"action="/ui/account/totp""#),
        "{account}"
    );
    let setup = submit(browser, &account, "/ui/account/totp", &[]).await;
    assert_eq!(setup.status, StatusCode::OK, "{}", body(&setup));
    let html = body(&setup);
    assert!(html.contains("<svg"), "a QR code: {html}");
    assert!(html.contains(r#"autocomplete="one-time-code""#));
    let mut app = App::from_page(&html);
    let wrong = submit(
        browser,
        &html,
        "/ui/account/totp/confirm",
        &[("code", "000000")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(body(&wrong).contains("<svg"), "the set-up page again");
    let code = app.code().await;
    let done = submit(
        browser,
        &html,
        "/ui/account/totp/confirm",
        &[("code", &code)],
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", body(&done));
    let html = body(&done);
    let codes: Vec<String> = html
        .split("<li><code>")
        .skip(1)
        .map(|rest| rest.split('<').next().expect("code").to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{html}");
    (app, codes)
}

#[tokio::test]
async fn a_password_then_a_code_signs_in_and_a_used_code_is_refused() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let uri = app
        .authority
        .enroll_totp_for("alice", &Actor::Operator)
        .await
        .expect("enrolled");
    let mut phone = App::from_uri(&uri);
    let (mut browser, asked) = password_step(&app, "alice").await;
    assert_eq!(asked.status, StatusCode::OK, "{}", body(&asked));
    let html = body(&asked);
    assert!(html.contains(r#"autocomplete="one-time-code""#), "{html}");
    assert!(
        !html.contains(r#"type="password""#),
        "no password field: {html}"
    );
    let names: Vec<String> = hidden_fields(&html).into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"csrf_token".to_owned()) && names.contains(&"challenge".to_owned()));
    assert!(
        !browser.cookies.keys().any(|k| k.contains("session")),
        "no session before the second factor"
    );
    let wrong = give_code(&mut browser, &asked, "000000").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(body(&wrong).contains(r#"role="alert""#));
    let code = phone.code().await;
    let landed = give_code(&mut browser, &wrong, &code).await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", body(&landed));
    assert_eq!(landed.header("location"), "/ui/account");
    let account = body(&browser.get("/ui/account").await);
    assert!(account.contains("Authenticator app set up"), "{account}");

    // The same code in another browser is refused: a code works once, at every instance.
    let (mut thief, asked) = password_step(&app, "alice").await;
    let replayed = give_code(&mut thief, &asked, &code).await;
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED);
    // The password grant cannot ask for the code, so it refuses the account.
    let client = app
        .client(&[tessera_core::model::Grant::Password], false)
        .await;
    let refused = app.password_grant(&client, "alice", PASSWORD).await;
    let json = refused.assert_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(text(&json, "error_description").contains("second factor"));
}

#[tokio::test]
async fn the_account_page_sets_up_an_app_shows_recovery_codes_once_and_removes_it() {
    let app = TestApp::new().await;
    app.user("bob", &[]).await;
    let (mut browser, landed) = password_step(&app, "bob").await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "no factor yet");
    let (_phone, codes) = set_up_on_account_page(&mut browser).await;
    let account = body(&browser.get("/ui/account").await);
    assert!(account.contains("Recovery codes left: 10"), "{account}");

    // A recovery code signs in once.
    let (mut other, asked) = password_step(&app, "bob").await;
    let landed = give_code(&mut other, &asked, &codes[3]).await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", body(&landed));
    let (mut again, asked) = password_step(&app, "bob").await;
    let spent = give_code(&mut again, &asked, &codes[3]).await;
    assert_eq!(spent.status, StatusCode::UNAUTHORIZED);

    // New recovery codes, then removal (which must be confirmed).
    let account = body(&browser.get("/ui/account").await);
    let renewed = submit(&mut browser, &account, "/ui/account/recovery-codes", &[]).await;
    assert_eq!(body(&renewed).matches("<li><code>").count(), 10);
    let account = body(&browser.get("/ui/account").await);
    let unconfirmed = submit(&mut browser, &account, "/ui/account/totp/remove", &[]).await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    let removed = submit(
        &mut browser,
        &account,
        "/ui/account/totp/remove",
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK);
    assert!(
        body(&removed).contains("were removed"),
        "{}",
        body(&removed)
    );
    let (_, landed) = password_step(&app, "bob").await;
    assert_eq!(
        landed.status,
        StatusCode::SEE_OTHER,
        "the password alone again"
    );
}

#[tokio::test]
async fn acr_values_step_a_password_session_up_and_the_tokens_say_so() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    let client = web_client(&app, true, None).await;
    let (mut browser, _) = password_step(&app, "alice").await;
    let stepping = authorize_path(&client, &format!("&acr_values={}", urlencode(ACR_MFA)));
    let set_up_first = browser.get(&stepping).await;
    assert_eq!(set_up_first.status, StatusCode::FORBIDDEN);
    assert!(body(&set_up_first).contains(r#"href="/ui/account#second-factor""#));

    let (mut phone, _) = set_up_on_account_page(&mut browser).await;
    let asked = browser.get(&stepping).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", body(&asked));
    assert!(body(&asked).contains("Orders"), "the client is named");
    let code = phone.code().await;
    let back = give_code(&mut browser, &asked, &code).await;
    let params = redirect_params(&back);
    let tokens = redeem(&app, &client, &params["code"]).await.json();
    let id = claims(&text(&tokens, "id_token"));
    assert_eq!(id["acr"], ACR_MFA);
    assert_eq!(id["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    assert_eq!(claims(&text(&tokens, "access_token"))["acr"], ACR_MFA);
}

#[tokio::test]
async fn the_console_asks_administrators_for_a_second_factor_by_default() {
    let app = TestApp::with(default_policy(), ThrottleConfig::default()).await;
    app.user("root", &["admin"]).await;
    app.user("alice", &[]).await;
    let (mut root, landed) = password_step(&app, "root").await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER);
    let refused = root.get("/ui/admin").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(body(&refused).contains(r#"href="/ui/account#second-factor""#));
    let (mut phone, _) = set_up_on_account_page(&mut root).await;
    let asked = root.get("/ui/admin").await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(
        body(&asked).contains(r#"name="next" value="/ui/admin""#),
        "{}",
        body(&asked)
    );
    let code = phone.code().await;
    let back = give_code(&mut root, &asked, &code).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    assert_eq!(back.header("location"), "/ui/admin");
    let console = root.get("/ui/admin").await;
    assert_eq!(console.status, StatusCode::OK);
    assert!(
        body(&console).contains("/ui/admin/users"),
        "{}",
        body(&console)
    );

    // An administrator removes the factors of a user who lost them.
    app.authority
        .enroll_totp_for("alice", &Actor::Operator)
        .await
        .expect("enrolled");
    let page = body(&root.get("/ui/admin/users/alice").await);
    assert!(page.contains("Authenticator app: set up on"), "{page}");
    let action = "/ui/admin/users/alice/factors/reset";
    let unconfirmed = submit(&mut root, &page, action, &[]).await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    let done = submit(&mut root, &page, action, &[("confirm", "yes")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let (_, factors) = app.authority.user_factors("alice").await.expect("alice");
    assert!(!factors.has_second_factor());
}

#[tokio::test]
async fn the_second_factor_form_refuses_other_sites_stale_challenges_and_forged_tokens() {
    let app = TestApp::new().await;
    app.user("alice", &[]).await;
    app.authority
        .enroll_totp_for("alice", &Actor::Operator)
        .await
        .expect("enrolled");
    let (mut browser, asked) = password_step(&app, "alice").await;
    let fields = hidden_fields(&body(&asked));
    let with = |name: &str, value: &str| -> Vec<(String, String)> {
        let mut changed: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    if k == name {
                        value.to_owned()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect();
        changed.push(("code".into(), "123456".into()));
        changed
    };
    for (name, value) in [("csrf_token", "forged"), ("challenge", "forged")] {
        let refused = browser
            .post("/ui/second-factor", &pairs(&with(name, value)))
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            body(&refused).contains(r#"action="/ui/login""#),
            "back to the sign-in page"
        );
    }
    // Another browser cannot use this one's challenge.
    let mut other = Browser::new(&app);
    let _ = other.get("/ui/login").await;
    let stolen = other.post("/ui/second-factor", &pairs(&with("", ""))).await;
    assert_eq!(stolen.status, StatusCode::BAD_REQUEST);
    // A post from another site is refused before anything is read.
    let mut request = form("/ui/second-factor", &pairs(&with("", "")), None);
    request
        .headers_mut()
        .insert(header::ORIGIN, "https://evil.test".parse().expect("origin"));
    let cross = browser.send(request).await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
}

/// The claims of a JWT (unverified: the token came from the app under test).
fn claims(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("json")
}
