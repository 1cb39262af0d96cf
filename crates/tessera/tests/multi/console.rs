//! The operator console on two instances of one PostgreSQL database: what an administrator
//! does through one instance's pages holds at the other at once: new roles in the next
//! refresh, a reset link made at one and used at the other, a client's new secret, and an
//! account's sessions ended. The administrator signs in with a password and a code of the
//! authenticator app the CLI set up (the console asks the `admin` role for both).

use base64::Engine as _;
use serde_json::Value;

use crate::browser::{Browser, hidden};
use crate::factors::{App, give_code, password};
use crate::helpers::{Client, PASSWORD, ServerProcess, login, text, token};
use crate::{Pair, cli};

/// An administrator's browser signed in at `server` with a password and a code of `app`,
/// and its console token.
fn admin_at(server: &ServerProcess, app: &mut App) -> (Browser, String) {
    let mut browser = Browser::new();
    let page = password(&mut browser, server, "root");
    assert_eq!(page.status, 200, "the second-factor page: {}", page.body);
    let signed_in = give_code(&mut browser, server, &page, &app.next().1);
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let console = browser.get(&server.url("/ui/admin/users/alice"));
    assert_eq!(console.status, 200, "{}", console.body);
    let csrf = hidden(&console.body)
        .into_iter()
        .find(|(name, _)| name == "csrf_token")
        .expect("a console form")
        .1;
    (browser, csrf)
}

/// The roles claim of an access token.
fn roles(access_token: &str) -> Value {
    let payload = access_token.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice::<Value>(&bytes).expect("claims")["roles"].clone()
}

/// The text of `<code id="{id}">…</code>` in `html`, with `/` unescaped.
fn code(html: &str, id: &str) -> String {
    let start = format!("<code id=\"{id}\">");
    let from = html
        .find(&start)
        .unwrap_or_else(|| panic!("{id} in {html}"))
        + start.len();
    html[from..from + html[from..].find('<').expect("end")].replace("&#x2f;", "/")
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn what_the_console_does_at_one_instance_holds_at_the_other() {
    let pair = Pair::start("console");
    cli(
        &pair.dirs.0,
        &pair.env,
        &["user", "add", "root", "--role", "admin", "--password-stdin"],
        PASSWORD,
    );
    let uri = cli(
        &pair.dirs.0,
        &pair.env,
        &["user", "totp", "enroll", "root"],
        "",
    );
    let mut app = App::from_uri(&uri);
    let tokens = login(&pair.a, &pair.client, "alice");
    let (mut admin, csrf) = admin_at(&pair.b, &mut app);

    // Roles set at B: the next refresh, at A, carries them.
    let saved = admin.post(
        &pair.b.url("/ui/admin/users/alice/roles"),
        &[("csrf_token", &csrf), ("roles", "auditor")],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let refreshed = pair.refresh(&pair.a, &text(&tokens, "refresh_token"));
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let refreshed = refreshed.json();
    assert_eq!(
        roles(&text(&refreshed, "access_token")),
        serde_json::json!(["auditor"])
    );

    // Sessions ended at B: alice's family no longer refreshes at A.
    let ended = admin.post(
        &pair.b.url("/ui/admin/users/alice/sessions"),
        &[("csrf_token", &csrf), ("session", "all")],
    );
    assert_eq!(ended.status, 303, "{}", ended.body);
    let refused = pair.refresh(&pair.a, &text(&refreshed, "refresh_token"));
    assert_eq!(refused.status, 400, "{}", refused.body);

    // A reset link made at B works at A, once.
    let made = admin.post(
        &pair.b.url("/ui/admin/users/alice/reset"),
        &[("csrf_token", &csrf)],
    );
    assert_eq!(made.status, 200, "{}", made.body);
    let link = code(&made.body, "reset-link");
    let path = &link[link.find("/ui/reset?").expect("path")..];
    let mut owner = Browser::new();
    let form = owner.get(&pair.a.url(path));
    assert_eq!(form.status, 200, "{}", form.body);
    let mut fields = hidden(&form.body);
    fields.push(("new_password".into(), "a new passphrase for alice".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = owner.post(&pair.a.url("/ui/reset"), &refs);
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(owner.get(&pair.b.url(path)).status, 400, "spent at B too");
    let new_password = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "a new passphrase for alice"),
    ];
    assert_eq!(token(&pair.b, &pair.client, &new_password).status, 200);

    // A client registered at A gets a new secret at B; A takes only the new one.
    let (mut admin_a, csrf_a) = admin_at(&pair.a, &mut app);
    let created = admin_a.post(
        &pair.a.url("/ui/admin/clients"),
        &[
            ("csrf_token", &csrf_a),
            ("name", "Reports"),
            ("grant_client_credentials", "yes"),
        ],
    );
    assert_eq!(created.status, 200, "{}", created.body);
    let id = code(&created.body, "client-id");
    let first = code(&created.body, "client-secret");
    let rotated = admin.post(
        &pair.b.url(&format!("/ui/admin/clients/{id}/secret")),
        &[("csrf_token", &csrf)],
    );
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let second = code(&rotated.body, "client-secret");
    let grant = [("grant_type", "client_credentials")];
    let with = |secret: &str| Client {
        id: id.clone(),
        secret: Some(secret.to_owned()),
    };
    assert_eq!(token(&pair.a, &with(&first), &grant).status, 401);
    assert_eq!(token(&pair.a, &with(&second), &grant).status, 200);
}
