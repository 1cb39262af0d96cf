//! Second factors in a real browser: Debian's Chromium, driven by playwright-core, sets up an
//! authenticator app on the account page (codes computed in Node from the secret the page
//! shows, per RFC 6238), reads the recovery codes, signs out and in again with a code (a wrong
//! one first), sees a used code refused in another browser and a recovery code accepted once,
//! and an administrator without an app sent from the console to set one up, then asked for a
//! code there once they have (step-up). axe-core checks every page; each is saved as a
//! screenshot under the test target directory (`ui-screenshots/`).

use serde_json::{Value, json};

use crate::helpers::{DataDir, PASSWORD, ServerProcess};
use crate::tools::{Runtime, assert_pages, json_output};

#[test]
#[ignore = "needs chromium (apt) and interop/node packages playwright-core, axe-core (npm ci)"]
fn second_factors_work_in_chromium_and_pass_axe() {
    Runtime::Node.require();
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    data.add_user("dora", &[]);
    data.add_user("root", &["admin"]);
    let screenshots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    let output = Runtime::Node.run(
        "second-factor-pages.mjs",
        &[
            "--issuer",
            server.base.as_str(),
            "--username",
            "dora",
            "--admin",
            "root",
            "--screenshots",
            screenshots.to_str().expect("utf-8 path"),
        ],
        &json!({ "password": PASSWORD }).to_string(),
    );
    let report = json_output("second-factor pages", &output);
    let expected = [
        ("mfa-account", 200),
        ("mfa-setup", 200),
        ("mfa-setup-wrong", 400),
        ("mfa-recovery-codes", 200),
        ("mfa-second-factor", 200),
        ("mfa-second-factor-wrong", 401),
        ("mfa-account-protected", 200),
        ("mfa-console-needs-factor", 403),
        ("mfa-console-step-up", 200),
    ];
    assert_pages(&report, &expected, &screenshots);
    let title = |name: &str| {
        report["pages"]
            .as_array()
            .and_then(|pages| pages.iter().find(|p| p["name"] == name))
            .and_then(|p| p["title"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        title("mfa-setup").starts_with("Set up an authenticator app"),
        "{report}"
    );

    // Set-up: the secret in groups of four, a QR code drawn, a wrong code said so.
    assert_eq!(report["password_lands_on"], "/ui/account", "{report}");
    assert_eq!(report["secret_grouped"], true, "{report}");
    assert!(report["qr"]["width"].as_u64() >= Some(150), "{report}");
    assert_eq!(report["qr"]["width"], report["qr"]["height"], "{report}");
    assert!(report["qr"]["shapes"].as_u64() >= Some(1), "{report}");
    assert!(report["setup_error"].is_string(), "an alert: {report}");
    assert_eq!(report["same_secret_after_error"], true, "{report}");
    assert_eq!(report["recovery_codes"], 10, "{report}");
    assert_eq!(report["recovery_codes_distinct"], 10, "{report}");
    assert_eq!(report["recovery_codes_well_formed"], true, "{report}");
    assert_eq!(report["signed_out_status"], 200, "{report}");

    // The second-factor page: one field, for a one-time code, and no password field.
    assert_eq!(report["second_factor_path"], "/ui/login", "{report}");
    assert_eq!(
        report["second_factor_inputs"],
        json!([{ "name": "code", "type": "text", "autocomplete": "one-time-code" }]),
        "{report}"
    );
    assert_eq!(report["password_inputs"], 0, "{report}");
    let hidden: Vec<&str> = report["second_factor_hidden"]
        .as_array()
        .expect("hidden fields")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(hidden, ["csrf_token", "challenge", "next"], "{report}");
    assert!(report["wrong_code_error"].is_string(), "an alert: {report}");
    assert_eq!(report["code_status"], 200, "{report}");
    assert_eq!(report["code_lands_on"], "/ui/account", "{report}");
    let summary = report["factor_summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("Recovery codes left: 10."),
        "{summary}: {report}"
    );

    // A code is accepted once, whichever browser brings it; a recovery code too.
    assert_eq!(report["reused_code_status"], 401, "{report}");
    assert!(report["reused_code_error"].is_string(), "{report}");
    assert_eq!(report["recovery_status"], 200, "{report}");
    assert_eq!(report["recovery_lands_on"], "/ui/account", "{report}");
    assert_eq!(report["reused_recovery_status"], 401, "{report}");

    // An administrator with a password only: the console sends them to set an app up.
    assert_eq!(report["admin_password_lands_on"], "/ui/account", "{report}");
    assert_eq!(report["setup_link"], 1, "{report}");
    // Set up after signing in: the console asks that session for a code, then shows itself.
    assert_eq!(report["step_up_next"], "/ui/admin", "{report}");
    assert_eq!(report["step_up_status"], 200, "{report}");
    assert_eq!(report["step_up_lands_on"], "/ui/admin", "{report}");
}
