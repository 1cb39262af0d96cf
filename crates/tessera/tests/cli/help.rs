//! Help texts and the global flags.

use predicates::str::contains;

use crate::helpers::{run_ok, tessera};

#[test]
fn every_command_explains_itself_with_an_example() {
    let commands: [&[&str]; 16] = [
        &[],
        &["serve"],
        &["init"],
        &["keys"],
        &["keys", "generate"],
        &["token"],
        &["token", "decode"],
        &["token", "verify"],
        &["token", "sign"],
        &["jws"],
        &["jws", "verify"],
        &["jwe"],
        &["jwe", "encrypt"],
        &["jwe", "decrypt"],
        &["jwe", "generate"],
        &["login"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let help = run_ok(&args);
        assert!(
            help.contains("Examples:\n  tessera "),
            "{command:?} has no example"
        );
        assert!(help.lines().count() > 12, "{command:?} help is too thin");
    }
}

#[test]
fn global_flags_are_accepted_anywhere_and_from_the_environment() {
    let token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";
    run_ok(&["--data-dir", "/nonexistent", "token", "decode", token]);
    run_ok(&["token", "decode", "--config", "/nonexistent.toml", token]);
    tessera()
        .env("TESSERA_DATABASE_URL", "sqlite://unused.db")
        .args(["token", "decode", token])
        .assert()
        .success();
}

#[test]
fn usage_errors_exit_2() {
    tessera().assert().code(2);
    tessera().args(["token", "frobnicate"]).assert().code(2);
    tessera()
        .args(["token", "verify", "--leeway", "2d", "--key", "k", "t.t.t"])
        .assert()
        .code(2)
        .stderr(contains("over a day"));
}

#[test]
fn serve_help_says_what_first_start_does() {
    let help = run_ok(&["serve", "--help"]);
    assert!(help.contains("On first start"), "{help}");
    assert!(help.contains("master key file"), "{help}");
    assert!(
        help.contains("One server serves a SQLite data dir"),
        "{help}"
    );
}

#[test]
fn offline_tools_do_not_list_the_store_flags() {
    for command in [
        &["token", "--help"][..],
        &["token", "decode", "--help"],
        &["token", "verify", "--help"],
        &["token", "sign", "--help"],
        &["jws", "verify", "--help"],
        &["jwe", "encrypt", "--help"],
        &["jwe", "decrypt", "--help"],
        &["keys", "generate", "--help"],
        &["login", "--help"],
    ] {
        let help = run_ok(command);
        for flag in ["--data-dir", "--database-url", "--config"] {
            assert!(!help.contains(flag), "{command:?} lists {flag}:\n{help}");
        }
    }
    for command in [
        &["serve", "--help"][..],
        &["user", "add", "--help"],
        &["client", "add", "--help"],
        &["keys", "list", "--help"],
        &["keys", "rotate", "--help"],
    ] {
        let help = run_ok(command);
        for flag in ["--data-dir", "--database-url", "--config"] {
            assert!(
                help.contains(flag),
                "{command:?} does not list {flag}:\n{help}"
            );
        }
    }
}

#[test]
fn offline_tools_still_accept_the_store_flags() {
    let token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";
    run_ok(&["token", "decode", "--data-dir", "/nonexistent", token]);
    run_ok(&[
        "token",
        "decode",
        "--database-url",
        "sqlite://unused.db",
        token,
    ]);
    run_ok(&[
        "keys",
        "generate",
        "--alg",
        "ES256",
        "--data-dir",
        "/nonexistent",
    ]);
    run_ok(&[
        "--config",
        "/nonexistent.toml",
        "keys",
        "generate",
        "--alg",
        "EdDSA",
    ]);
}

#[test]
fn login_help_says_what_is_stored_where_and_how() {
    let help = run_ok(&["login", "--help"]);
    // Wrapped to the terminal: compare words, not lines.
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "RFC 8628",
        "$XDG_CONFIG_HOME/tessera/tokens.json",
        "~/.config/tessera/tokens.json",
        "mode 0700",
        "mode 0600",
        "--print-token",
        "--grant device_code",
    ] {
        assert!(help.contains(needle), "{needle:?} missing:\n{help}");
    }
}
