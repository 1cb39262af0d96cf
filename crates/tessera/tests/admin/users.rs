//! `tessera user …`.

use crate::helpers::{Deployment, assert_fails};

#[test]
fn add_list_disable_enable_delete() {
    let d = Deployment::new();
    let output = d.run_with_stdin(
        &[
            "user",
            "add",
            "alice",
            "--password-stdin",
            "--email",
            "alice@example.com",
            "--role",
            "admin",
            "--role",
            "ops",
        ],
        "correct horse battery staple\n",
    );
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("created user alice"), "{stdout}");
    assert!(!stdout.contains("correct horse"));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("correct horse"));
    d.add_user("bob", "hunter two quiet rivers");

    let users = d.json(&["user", "list", "--json"]);
    let users = users.as_array().expect("array");
    assert_eq!(users.len(), 2);
    let alice = &users[0];
    assert_eq!(alice["username"], "alice");
    assert_eq!(alice["email"], "alice@example.com");
    assert_eq!(alice["roles"], serde_json::json!(["admin", "ops"]));
    assert_eq!(alice["disabled"], false);
    assert!(alice["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(alice.get("password_hash").is_none());

    let table = d.ok(&["user", "list"]);
    assert!(table.starts_with("USERNAME"), "{table}");
    assert!(table.contains("alice") && table.contains("bob"), "{table}");
    assert!(!table.contains("argon2"));

    assert!(d.ok(&["user", "disable", "bob"]).contains("disabled bob"));
    let users = d.json(&["user", "list", "--json"]);
    assert_eq!(users[1]["disabled"], true);
    d.ok(&["user", "enable", "bob"]);
    assert_eq!(d.json(&["user", "list", "--json"])[1]["disabled"], false);

    assert!(d.ok(&["user", "delete", "bob"]).contains("deleted bob"));
    let users = d.json(&["user", "list", "--json"]);
    assert_eq!(users.as_array().map(Vec::len), Some(1));
}

#[test]
fn set_password_and_failures() {
    let d = Deployment::new();
    d.add_user("carol", "first quiet passphrase");
    let output = d.run_with_stdin(
        &["user", "set-password", "carol", "--password-stdin"],
        "second quiet passphrase",
    );
    assert!(output.status.success());
    assert!(!String::from_utf8_lossy(&output.stdout).contains("second quiet passphrase"));

    let output = d.run_with_stdin(
        &["user", "set-password", "nobody", "--password-stdin"],
        "x1",
    );
    assert_fails(&output, 1, "nobody");
    assert_fails(&d.run(&["user", "disable", "nobody"]), 1, "no such user");
    assert_fails(&d.run(&["user", "delete", "nobody"]), 1, "no such user");
    assert_fails(&d.run(&["user", "unlock", "nobody"]), 1, "no such user");
    assert!(
        d.ok(&["user", "unlock", "carol"])
            .contains("was not locked")
    );

    let output = d.run_with_stdin(
        &["user", "add", "CAROL", "--password-stdin"],
        "carol's other quiet garden",
    );
    assert_fails(&output, 1, "taken");
    let output = d.run_with_stdin(&["user", "add", " bad", "--password-stdin"], "pw");
    assert_fails(&output, 2, "username");
    let output = d.run_with_stdin(&["user", "add", "dave", "--password-stdin"], "\n");
    assert_fails(&output, 2, "empty");
}

#[test]
fn without_password_stdin_a_pipe_is_refused() {
    let d = Deployment::empty();
    let output = d.run_with_stdin(&["user", "add", "erin"], "secret\n");
    assert_fails(&output, 2, "--password-stdin");
    assert!(
        !d.data_dir().exists(),
        "nothing is created before the password is read"
    );
}

#[test]
fn default_password_costs_work() {
    let mut d = Deployment::new();
    d.real_password_costs = true;
    d.add_user("frank", "a long passphrase");
    let users = d.json(&["user", "list", "--json"]);
    assert_eq!(users[0]["username"], "frank");
}

#[test]
fn help_has_examples() {
    let d = Deployment::new();
    for cmd in [
        &["user", "add", "--help"][..],
        &["user", "set-password", "--help"],
        &["user", "unlock", "--help"],
        &["user", "mfa", "--help"],
        &["user", "mfa", "reset", "--help"],
        &["user", "totp", "enroll", "--help"],
        &["client", "add", "--help"],
        &["keys", "rotate", "--help"],
        &["keys", "retire", "--help"],
    ] {
        let help = d.ok(cmd);
        assert!(help.contains("Example"), "{cmd:?}: {help}");
    }
}

#[test]
fn admin_commands_never_create_a_store() {
    let d = Deployment::empty();
    let expected = d.data_dir().join("tessera.db");
    for args in [
        &["user", "add", "alice", "--password-stdin"][..],
        &["client", "list"],
        &["keys", "list"],
        &["export"],
    ] {
        let output = d.run_with_stdin(args, "a quiet passphrase\n");
        let stderr = assert_fails(&output, 2, "no Tessera store at");
        assert!(
            stderr.contains(&expected.display().to_string()),
            "the absolute path it looked at: {stderr}"
        );
        assert!(stderr.contains("--data-dir"), "{stderr}");
    }
    assert!(!d.data_dir().exists(), "nothing was created");
    let created = d.ok(&["init"]);
    assert!(
        created.starts_with("created a new Tessera store in /"),
        "{created}"
    );
    assert!(d.data_dir().join("tessera.db").is_file());
    let again = d.ok(&["init"]);
    assert!(again.contains("already exists"), "{again}");
    d.add_user("alice", "a quiet passphrase");
}

#[test]
fn usernames_follow_the_profile_and_the_last_admin_stays() {
    let d = Deployment::new();
    for (name, why) in [
        ("admin\u{202E}nimda", "bidirectional"),
        ("al\u{200B}ice", "invisible"),
        ("mu\u{0308}ller", "NFC"),
    ] {
        let output = d.run_with_stdin(&["user", "add", name, "--password-stdin"], "pw\n");
        assert_fails(&output, 2, why);
    }
    let output = d.run_with_stdin(
        &["user", "add", "root", "--password-stdin", "--role", "admin"],
        "root keeps a quiet garden\n",
    );
    assert!(output.status.success());
    assert_fails(&d.run(&["user", "delete", "root"]), 1, "last administrator");
    assert_fails(
        &d.run(&["user", "disable", "root"]),
        1,
        "last administrator",
    );
    let output = d.run_with_stdin(
        &[
            "user",
            "add",
            "deputy",
            "--password-stdin",
            "--role",
            "admin",
        ],
        "deputy keeps a quiet garden\n",
    );
    assert!(output.status.success());
    assert!(d.ok(&["user", "disable", "root"]).contains("disabled root"));
    assert_fails(
        &d.run(&["user", "delete", "deputy"]),
        1,
        "last administrator",
    );
    d.ok(&["user", "delete", "root"]);
}

#[test]
fn new_passwords_must_be_long_and_uncommon_everywhere() {
    let d = Deployment::new();
    let short = d.run_with_stdin(&["user", "add", "bob", "--password-stdin"], "pw-bob\n");
    assert_fails(&short, 2, "shorter than 8 characters");
    let common = d.run_with_stdin(&["user", "add", "bob", "--password-stdin"], "Summer2024\n");
    assert_fails(&common, 2, "too common or too easy to guess");
    let named = d.run_with_stdin(&["user", "add", "bob", "--password-stdin"], "bobbobbob1\n");
    assert_fails(&named, 2, "too common or too easy to guess");
    d.add_user("bob", "three quiet rivers");
    let reset = d.run_with_stdin(
        &["user", "set-password", "bob", "--password-stdin"],
        "12345678\n",
    );
    assert_fails(&reset, 2, "too common");
    let fine = d.run_with_stdin(
        &["user", "set-password", "bob", "--password-stdin"],
        "four quiet rivers\n",
    );
    assert!(
        fine.status.success(),
        "{}",
        String::from_utf8_lossy(&fine.stderr)
    );
}

#[test]
fn set_roles_reset_link_and_sign_out() {
    let d = Deployment::new();
    d.add_user("dora", "a quiet dependable passphrase");
    let said = d.ok(&[
        "user",
        "set-roles",
        "dora",
        "--role",
        "auditor",
        "--role",
        "ops",
    ]);
    assert!(said.contains("dora has auditor, ops"), "{said}");
    let users = d.json(&["user", "list", "--json"]);
    assert_eq!(users[0]["roles"], serde_json::json!(["auditor", "ops"]));
    assert!(d.ok(&["user", "set-roles", "dora"]).contains("no roles"));
    assert_eq!(
        d.json(&["user", "list", "--json"])[0]["roles"],
        serde_json::json!([])
    );
    assert_fails(
        &d.run(&["user", "set-roles", "dora", "--role", "two words"]),
        2,
        "role",
    );
    assert_fails(&d.run(&["user", "set-roles", "nobody"]), 1, "no such user");

    let link = d.ok(&["user", "reset-link", "dora"]);
    let first = link.lines().next().expect("the link");
    assert!(first.contains("/ui/reset?token=u_"), "{link}");
    assert!(link.contains("works once"), "{link}");
    assert_fails(&d.run(&["user", "reset-link", "nobody"]), 1, "no such user");

    assert!(
        d.ok(&["user", "sign-out", "dora"])
            .contains("ended 0 session(s) of dora")
    );
    assert_fails(&d.run(&["user", "sign-out", "nobody"]), 1, "no such user");

    let events = d.ok(&["events", "--json"]);
    assert!(events.contains("\"password_reset_issued\""), "{events}");
    assert!(events.contains("\"roles\""), "{events}");
}

#[test]
fn totp_enroll_mfa_and_mfa_reset() {
    let d = Deployment::new();
    d.add_user("erin", "a quiet dependable passphrase");
    d.add_user("reset", "a quiet dependable passphrase");
    let none = d.ok(&["user", "mfa", "erin"]);
    assert!(none.contains("authenticator app: none"), "{none}");
    assert!(none.contains("recovery codes left: 0"), "{none}");
    assert_eq!(
        d.json(&["user", "mfa", "erin", "--json"]),
        serde_json::json!({"totp": null, "recovery_codes_left": 0})
    );

    // The URI alone on stdout, one line, for a script or a QR code.
    let output = d.run(&["user", "totp", "enroll", "erin"]);
    let stdout = crate::helpers::stdout_of(&output, &["user", "totp", "enroll"]);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let uri = stdout.trim_end();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(":erin?"), "{uri}");
    let secret = uri
        .split(['?', '&'])
        .find_map(|part| part.strip_prefix("secret="))
        .expect("secret=");
    assert!(secret.len() >= 32, "{uri}");
    assert!(uri.contains("&issuer=Tessera"), "{uri}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains(secret),
        "the secret only on stdout: {stderr}"
    );

    let shown = d.ok(&["user", "mfa", "erin"]);
    assert!(shown.contains("authenticator app: set up 2"), "{shown}");
    assert!(!shown.contains(secret), "{shown}");
    let json = d.json(&["user", "mfa", "erin", "--json"]);
    assert_eq!(json["totp"]["pending"], false);
    assert!(
        json["totp"]["confirmed_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z') && at.contains('T')),
        "{json}"
    );

    // A second enrollment is a conflict that says how to clear the way.
    let stderr = assert_fails(
        &d.run(&["user", "totp", "enroll", "erin"]),
        1,
        "already has an authenticator app",
    );
    assert!(stderr.contains("(conflict)"), "{stderr}");
    assert!(stderr.contains("tessera user mfa reset erin"), "{stderr}");

    let removed = d.ok(&["user", "mfa", "reset", "erin"]);
    assert_eq!(
        removed.trim_end(),
        "removed the second factors of erin; their sessions were ended"
    );
    assert!(
        d.ok(&["user", "mfa", "erin"])
            .contains("authenticator app: none")
    );
    assert_eq!(
        d.ok(&["user", "mfa", "reset", "erin"]).trim_end(),
        "erin had no second factor"
    );
    // Enrolling again works once the old one is gone.
    assert!(
        d.ok(&["user", "totp", "enroll", "erin"])
            .starts_with("otpauth://")
    );

    // `reset` is the command; `--` lists a user who is named so.
    assert!(
        d.ok(&["user", "mfa", "--", "reset"])
            .contains("second factors of reset")
    );
    for args in [&["user", "mfa", "reset"][..], &["user", "mfa"]] {
        let output = d.run(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("<NAME>"), "{args:?}: {stderr}");
    }

    for args in [
        &["user", "mfa", "nobody"][..],
        &["user", "mfa", "nobody", "--json"],
        &["user", "mfa", "reset", "nobody"],
        &["user", "totp", "enroll", "nobody"],
    ] {
        let stderr = assert_fails(&d.run(args), 1, "no such user");
        assert!(stderr.contains("(not_found)"), "{args:?}: {stderr}");
    }

    let events = d.ok(&["events", "--json", "--type", "factor_added"]);
    assert_eq!(events.lines().count(), 2, "{events}");
    assert!(events.contains("\"actor\":\"cli\""), "{events}");
    let events = d.ok(&["events", "--json", "--type", "factor_removed"]);
    assert_eq!(
        events.lines().count(),
        1,
        "only a removal that removed: {events}"
    );
}
