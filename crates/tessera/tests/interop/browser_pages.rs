//! The sign-in pages in a real browser: Debian's Chromium, driven by playwright-core, signs in
//! (a wrong password first), consents, visits the operator console (the user is an admin:
//! accounts and audit trail) and the account page, signs out, and sees the German page and an
//! error page; axe-core checks every page for WCAG 2.1 AA problems, and each page is saved as
//! a screenshot under the test target directory (`ui-screenshots/`).

use serde_json::{Value, json};

use crate::helpers::{DataDir, PASSWORD, ServerProcess};
use crate::tools::{Runtime, assert_pages, json_output};

/// A port nobody listens on right now, for the script's redirect receiver.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

#[test]
#[ignore = "needs chromium (apt) and interop/node packages playwright-core, axe-core (npm ci)"]
fn pages_work_in_chromium_and_pass_axe() {
    Runtime::Node.require();
    let data = DataDir::new();
    // This walk is about the sign-in pages, and its administrator visits the console with a
    // password alone: the console's demand for a second factor is off (`mfa.console = false`).
    // second_factor_pages.rs and console_pages.rs cover it.
    let server = ServerProcess::start_with(&data, &[("TESSERA_MFA__CONSOLE", "false")]);
    data.add_user("alice", &["admin"]);
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let args = [
        "client",
        "add",
        "Orders portal",
        "--grant",
        "authorization_code",
        "--scope",
        "openid",
        "--redirect-uri",
        redirect.as_str(),
        "--public",
    ];
    let client: Value = serde_json::from_str(&data.cli(&args, "")).expect("client JSON");
    let client_id = client["client_id"].as_str().expect("client_id");
    let screenshots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    let output = Runtime::Node.run(
        "browser-pages.mjs",
        &[
            "--issuer",
            server.base.as_str(),
            "--client-id",
            client_id,
            "--username",
            "alice",
            "--redirect-uri",
            redirect.as_str(),
            "--screenshots",
            screenshots.to_str().expect("utf-8 path"),
        ],
        &json!({ "password": PASSWORD }).to_string(),
    );
    let report = json_output("browser pages", &output);
    let expected = [
        ("login", 200),
        ("login-failed", 401),
        ("consent", 200),
        ("admin", 200),
        ("admin-events", 200),
        ("account", 200),
        ("logged-out", 200),
        ("login-de", 200),
        ("logout-nothing-to-end", 200),
        ("logout-confirm", 200),
        ("error", 400),
    ];
    assert_pages(&report, &expected, &screenshots);
    assert_eq!(report["code_received"], true, "{report}");
    assert_eq!(report["iss_received"], server.base.as_str(), "{report}");
    assert_eq!(report["german"], "Anmelden", "{report}");
}
