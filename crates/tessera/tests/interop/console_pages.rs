//! The operator console in a real browser: Debian's Chromium, driven by playwright-core,
//! signs in as an administrator (with a code of the authenticator app the CLI set up, as the
//! console requires of the `admin` role by default), creates an account and hands it a reset
//! link that a second browser uses, ends that browser's session, registers and changes a
//! client, rotates the signing key, adds a webhook, and finds each of these in the audit
//! trail with the administrator as actor. axe-core checks every page; each is saved as a
//! screenshot under the test target directory (`ui-screenshots/`).

use serde_json::{Value, json};

use crate::helpers::{DataDir, PASSWORD, ServerProcess};
use crate::tools::{Runtime, assert_pages, json_output};

#[test]
#[ignore = "needs chromium (apt) and interop/node packages playwright-core, axe-core (npm ci)"]
fn the_console_works_in_chromium_and_passes_axe() {
    Runtime::Node.require();
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    data.add_user("root", &["admin"]);
    let uri = data.cli(&["user", "totp", "enroll", "root"], "");
    let totp_secret = otpauth_secret(&uri);
    let users: Value =
        serde_json::from_str(&data.cli(&["user", "list", "--json"], "")).expect("user list JSON");
    let root_id = users
        .as_array()
        .and_then(|all| all.iter().find(|u| u["username"] == "root"))
        .and_then(|u| u["id"].as_str())
        .expect("root's id")
        .to_owned();
    let screenshots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    let output = Runtime::Node.run(
        "console-pages.mjs",
        &[
            "--issuer",
            server.base.as_str(),
            "--username",
            "root",
            "--screenshots",
            screenshots.to_str().expect("utf-8 path"),
        ],
        // The secret goes on stdin with the password, never on the command line.
        &json!({ "password": PASSWORD, "totp_secret": totp_secret }).to_string(),
    );
    let report = json_output("console pages", &output);
    let expected = [
        ("console-users", 200),
        ("console-user-created", 200),
        ("console-user", 200),
        ("console-reset-link", 200),
        ("reset", 200),
        ("reset-done", 200),
        ("console-session-ended", 200),
        ("console-clients", 200),
        ("console-client-created", 200),
        ("console-client", 200),
        ("console-keys", 200),
        ("console-keys-rotated", 200),
        ("console-webhooks", 200),
        ("console-events", 200),
    ];
    assert_pages(&report, &expected, &screenshots);
    assert_eq!(report["unsigned_lands_on"], "/ui/login", "{report}");
    assert_eq!(report["admin_asked_for_code"], true, "{report}");
    assert_eq!(report["admin_signed_in_at"], "/ui/account", "{report}");
    assert_eq!(report["owner_asked_for_code"], false, "{report}");
    assert_eq!(report["owner_signed_in_at"], "/ui/account", "{report}");
    assert_eq!(
        report["sessions_listed"], 2,
        "one session and 'all': {report}"
    );
    assert_eq!(report["owner_after_end"], "/ui/login", "{report}");
    assert_eq!(report["client_secret_length"], 43, "{report}");
    assert_eq!(
        report["client_scopes"], "orders:read orders:write",
        "{report}"
    );
    let states: Vec<&str> = report["key_states"]
        .as_array()
        .expect("key states")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(states, ["signing", "retiring"], "{report}");

    // Each action is in the trail, made by root: [time, type, user, client, ip, actor, detail].
    let trail = report["trail"].as_array().expect("trail");
    let by_root: Vec<(&str, &str)> = trail
        .iter()
        .filter_map(Value::as_array)
        .filter(|row| row.get(5).and_then(Value::as_str) == Some(root_id.as_str()))
        .map(|row| {
            (
                row[1].as_str().unwrap_or_default(),
                row[6].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let wanted = [
        ("user_created", ""),
        ("password_reset_issued", ""),
        ("session_ended", "admin"),
        ("client_created", ""),
        ("client_updated", "scopes"),
        ("keys_rotated", ""),
        ("webhook_added", ""),
    ];
    for (kind, detail) in wanted {
        assert!(
            by_root
                .iter()
                .any(|(k, d)| *k == kind && (detail.is_empty() || *d == detail)),
            "{kind} by root in the trail: {by_root:?}"
        );
    }
    let reset = trail
        .iter()
        .filter_map(Value::as_array)
        .any(|row| row[1] == "password_changed" && row[6] == "reset_link");
    assert!(reset, "the reset is in the trail: {trail:?}");
}

/// The base32 secret of the `otpauth://` URI `tessera user totp enroll` printed.
fn otpauth_secret(uri: &str) -> String {
    let uri = uri.trim();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    let query = uri.split_once('?').map_or("", |(_, query)| query);
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("secret="))
        .unwrap_or_else(|| panic!("no secret in {uri}"))
        .to_owned()
}
