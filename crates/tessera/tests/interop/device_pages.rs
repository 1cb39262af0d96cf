//! The device pages in a real browser: this test is the device (it asks for codes and polls
//! the token endpoint over HTTP), and Debian's Chromium, driven by playwright-core, is its
//! user: it opens `verification_uri_complete`, signs in, comes back to the code page with the
//! code filled in, continues to the confirmation, allows, and then mistypes another code.
//! axe-core checks every page, and each is saved as a screenshot under the test target
//! directory (`ui-screenshots/`). The device, pending before, then gets its tokens once.

use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{DataDir, PASSWORD, Reply, ServerProcess, get, post_form, text};
use crate::tools::{Runtime, assert_pages, json_output};

const SCOPE: &str = "openid orders:read";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// One poll of the token endpoint as the public client `client_id`.
fn poll(server: &ServerProcess, client_id: &str, device_code: &str) -> Reply {
    post_form(
        &server.url("/oauth/token"),
        None,
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", client_id),
        ],
    )
}

#[test]
#[ignore = "needs chromium (apt) and interop/node packages playwright-core, axe-core (npm ci)"]
fn device_pages_work_in_chromium_and_pass_axe() {
    Runtime::Node.require();
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    data.add_user("alice", &[]);
    let args = [
        "client",
        "add",
        "tv",
        "--grant",
        "device_code",
        "--grant",
        "refresh_token",
        "--public",
        "--scope",
        SCOPE,
    ];
    let client: Value = serde_json::from_str(&data.cli(&args, "")).expect("client JSON");
    let client_id = text(&client, "client_id");

    // The device asks, and polls once before its user does anything.
    let started = post_form(
        &server.url("/oauth/device_authorization"),
        None,
        &[("client_id", &client_id), ("scope", SCOPE)],
    );
    assert_eq!(started.status, 200, "{}", started.body);
    let started = started.json();
    let device_code = text(&started, "device_code");
    let user_code = text(&started, "user_code");
    let interval = started["interval"].as_u64().expect("interval");
    let pending = poll(&server, &client_id, &device_code);
    let polled = Instant::now();
    assert_eq!(pending.status, 400, "{}", pending.body);
    assert_eq!(pending.error(), "authorization_pending");

    let screenshots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    let secrets = json!({
        "password": PASSWORD,
        "verification_uri_complete": started["verification_uri_complete"],
    });
    let output = Runtime::Node.run(
        "device-pages.mjs",
        &[
            "--issuer",
            server.base.as_str(),
            "--username",
            "alice",
            "--screenshots",
            screenshots.to_str().expect("utf-8 path"),
        ],
        &secrets.to_string(),
    );
    let report = json_output("device pages", &output);
    let expected = [
        ("device-sign-in", 200),
        ("device-code", 200),
        ("device-confirm", 200),
        ("device-done", 200),
        ("device-wrong-code", 400),
    ];
    assert_pages(&report, &expected, &screenshots);

    // Sent to sign in, with the way back; back on the code page, the code filled in (without
    // its dash: the form the sign-in page's `next` carries) and the field focused.
    let shown = user_code.to_owned();
    let login = format!("/ui/login?next=%2Fui%2Fdevice%3Fuser_code%3D{shown}");
    assert_eq!(
        report["redirect"],
        json!({ "status": 303, "location": login }),
        "{report}"
    );
    assert_eq!(report["sign_in_at"], login, "{report}");
    assert_eq!(
        report["sign_in_next"],
        format!("/ui/device?user_code={shown}"),
        "{report}"
    );
    assert_eq!(report["sign_in_status"], 303, "{report}");
    assert_eq!(
        report["code_page_at"],
        format!("/ui/device?user_code={shown}"),
        "{report}"
    );
    assert_eq!(report["prefilled"], shown.as_str(), "{report}");
    assert_eq!(
        report["code_input"],
        json!({ "type": "text", "autocomplete": "off", "focused": true, "label": "Code" }),
        "{report}"
    );

    // The confirmation names the client, its scopes in words and the account.
    let confirm = &report["confirm"];
    assert_eq!(
        confirm["lead"], "tv on a device asks to sign in to your account and to:",
        "{report}"
    );
    assert_eq!(
        confirm["scopes"],
        json!(["Know who you are (your user id)", "Permission: orders:read"]),
        "{report}"
    );
    assert_eq!(confirm["signed_in_as"], "Signed in as alice.", "{report}");
    assert_eq!(
        confirm["buttons"],
        json!(["action=allow", "action=deny"]),
        "{report}"
    );
    assert_eq!(
        report["done"], "Done: tv on your device is signed in. You can close this page.",
        "{report}"
    );

    // A mistyped code: said so, the typed code kept, the field marked and described.
    assert_eq!(
        report["empty_code_page"],
        json!({ "status": 200, "value": "" }),
        "{report}"
    );
    let wrong = &report["wrong"];
    let alert = wrong["alert"].as_str().unwrap_or_default();
    assert!(alert.starts_with("That code is not valid"), "{report}");
    assert_ne!(wrong["value"], user_code.as_str(), "{report}");
    assert_eq!(wrong["value"].as_str().map(str::len), Some(9), "{report}");
    assert_eq!(wrong["invalid"], "true", "{report}");
    assert_eq!(wrong["described_by"], "code-hint code-error", "{report}");

    // The device: its next poll, an interval after the last, brings the tokens, once.
    let due = polled + Duration::from_secs(interval);
    thread::sleep(due.saturating_duration_since(Instant::now()));
    let tokens = poll(&server, &client_id, &device_code);
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let tokens = tokens.json();
    assert_eq!(tokens["scope"], SCOPE);
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    assert!(tokens["id_token"].is_string(), "{tokens}");
    let me = get(
        &server.url("/userinfo"),
        Some(&text(&tokens, "access_token")),
    );
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["preferred_username"], "alice");
    let again = poll(&server, &client_id, &device_code);
    assert_eq!(again.status, 400, "{}", again.body);
    assert_eq!(again.error(), "invalid_grant");
}
