//! `tessera export` and `tessera import`: a deployment moved to a new data dir keeps its
//! users, clients and keys; a wrong master key, a clash or a malformed document is refused
//! before anything is written.

use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::helpers::{Deployment, assert_fails, stdout_of};

#[path = "../server/helpers.rs"]
mod server;

use server::{DataDir, PASSWORD, ServerProcess, get, login, text};

const OTHER_MASTER_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// Creates `dir` (0700) with a copy of `source`'s master key file (0600), as an operator
/// moving a deployment does.
fn copy_master_key(source_data: &Path, dir: &Path) {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .expect("data dir");
    let key = std::fs::read(source_data.join("master.key")).expect("master key");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dir.join("master.key"))
        .expect("key file");
    std::io::Write::write_all(&mut file, &key).expect("write key");
}

/// Exports `d` to a file next to its data dir and returns the path.
fn export(d: &Deployment) -> PathBuf {
    let file = d.root().join("export.json");
    let shown = file.display().to_string();
    let output = d.run(&["export", "--output", &shown]);
    stdout_of(&output, &["export"]);
    file
}

fn usernames(d: &Deployment) -> Vec<(String, String)> {
    let users = d.json(&["user", "list", "--json"]);
    let mut names: Vec<(String, String)> = users
        .as_array()
        .expect("array")
        .iter()
        .map(|u| (text(u, "username"), text(u, "id")))
        .collect();
    names.sort();
    names
}

#[test]
fn a_moved_deployment_logs_in_and_verifies_old_tokens() {
    let source = DataDir::new();
    let server = ServerProcess::start(&source);
    source.add_user("alice", &["admin"]);
    let client = source.add_client(&["password", "refresh_token"]);
    let before = login(&server, &client, "alice");
    let old_token = text(&before, "access_token");

    // Exported while the server runs (SQLite in WAL mode allows it).
    let file = source.path().with_file_name("export.json");
    let out = source
        .command(&["export", "--output", &file.display().to_string()])
        .output()
        .expect("export");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refresh tokens are not exported"),
        "{stderr}"
    );
    let mode = std::fs::metadata(&file).expect("file").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let document = std::fs::read_to_string(&file).expect("export");
    assert!(
        !document.contains(PASSWORD),
        "a plaintext password was exported"
    );
    let secret = client.secret.clone().expect("confidential client");
    assert!(!document.contains(&secret), "a client secret was exported");
    let parsed: Value = serde_json::from_str(&document).expect("JSON");
    assert_eq!(parsed["format"], "tessera-export/1");
    drop(server);

    let target = DataDir::new();
    copy_master_key(&source.path(), &target.path());
    let out = target
        .command(&["import", &file.display().to_string()])
        .output()
        .expect("import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let server = ServerProcess::start(&target);
    let after = login(&server, &client, "alice");
    let jwks = get(&server.url("/.well-known/jwks.json"), None);
    assert_eq!(jwks.status, 200);
    let jwks_file = target.path().with_file_name("jwks.json");
    std::fs::write(&jwks_file, &jwks.body).expect("jwks file");
    for (token, when) in [
        (&old_token, "before"),
        (&text(&after, "access_token"), "after"),
    ] {
        let verified = target
            .command(&[
                "token",
                "verify",
                "--jwks",
                &jwks_file.display().to_string(),
                token,
            ])
            .output()
            .expect("verify");
        assert!(
            verified.status.success(),
            "a token signed {when} the move does not verify: {}",
            String::from_utf8_lossy(&verified.stderr)
        );
        let claims: Value = serde_json::from_slice(&verified.stdout).expect("claims");
        assert_eq!(claims["sub"], parsed["users"][0]["id"], "the user id moved");
        assert_eq!(claims["roles"][0], "admin");
    }
    // The imported key keeps signing: guards that cached it need not learn a new one.
    let header = |token: &str| token.split('.').next().unwrap_or_default().to_owned();
    assert_eq!(header(&old_token), header(&text(&after, "access_token")));
}

#[test]
fn a_wrong_master_key_is_refused_before_anything_is_written() {
    let source = Deployment::new();
    source.add_user("alice", "alice keeps a quiet garden");
    let file = export(&source);
    let shown = file.display().to_string();

    // A new target without the source's key: the import creates nothing at all.
    let fresh = Deployment::empty();
    let output = fresh.run(&["import", &shown]);
    assert_fails(&output, 2, "master key");
    assert!(
        !fresh.data_dir().exists(),
        "the import created the data dir"
    );

    let given = fresh
        .cmd(&["import", &shown])
        .env("TESSERA_MASTER_KEY", OTHER_MASTER_KEY)
        .output()
        .expect("import");
    assert_fails(&given, 2, "does not open with the target's master key");
    assert!(
        !fresh.data_dir().exists(),
        "the import created the data dir"
    );

    // An existing target with its own key: refused, and it holds what it held.
    let existing = Deployment::new();
    existing.ok(&["user", "list"]);
    let keys_before = existing.json(&["keys", "list", "--json"]);
    assert_fails(&existing.run(&["import", &shown]), 2, "master_key_mismatch");
    assert!(usernames(&existing).is_empty());
    assert_eq!(existing.json(&["keys", "list", "--json"]), keys_before);
}

#[test]
fn existing_records_are_refused_unless_skipped() {
    let source = Deployment::new();
    source.add_user("alice", "alice keeps a quiet garden");
    source.add_user("bob", "bob keeps a quiet garden");
    let file = export(&source);
    let shown = file.display().to_string();

    let target = Deployment::empty();
    copy_master_key(&source.data_dir(), &target.data_dir());
    target.ok(&["init"]);
    target.add_user("Alice", "another quiet garden plot");
    let before = usernames(&target);
    let stderr = assert_fails(&target.run(&["import", &shown]), 1, "user alice");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert!(stderr.contains("--skip-existing"), "{stderr}");
    assert_eq!(usernames(&target), before, "bob was imported after all");

    let out = target.ok(&["import", "--skip-existing", &shown]);
    assert!(out.contains("imported 1 users"), "{out}");
    assert!(out.contains("kept the target's user alice"), "{out}");
    let after = usernames(&target);
    assert_eq!(after.len(), 2);
    assert_eq!(after[0], before[0], "the target's Alice was replaced");
    let source_bob = usernames(&source).into_iter().find(|(n, _)| n == "bob");
    assert_eq!(after.iter().find(|(n, _)| n == "bob"), source_bob.as_ref());

    // The same document again: every record is there already.
    assert_fails(&target.run(&["import", &shown]), 1, "conflict");
}

#[test]
fn malformed_documents_are_refused_with_one_line() {
    let source = Deployment::new();
    source.add_user("alice", "alice keeps a quiet garden");
    let file = export(&source);
    let document = std::fs::read_to_string(&file).expect("export");
    let target = Deployment::empty();
    copy_master_key(&source.data_dir(), &target.data_dir());
    target.ok(&["init"]);

    let truncated = &document[..document.len() / 2];
    let plaintext = document.replacen("\"$argon2id$", "\"hunter2$argon2id$", 1);
    let newer = document.replacen("tessera-export/1", "tessera-export/9", 1);
    let unknown = document.replacen("\"users\"", "\"sessions\": [],\n  \"users\"", 1);
    let cases = [
        (
            "not JSON at all",
            "this is not JSON",
            "not a Tessera export",
        ),
        ("truncated", truncated, "not a Tessera export"),
        (
            "a plaintext password",
            &plaintext,
            "not an Argon2 PHC string",
        ),
        ("a newer format", &newer, "tessera-export/9"),
        ("an unknown member", &unknown, "sessions"),
        ("no format", "{\"users\": []}", "no \"format\""),
    ];
    for (what, input, needle) in cases {
        let output = target.run_with_stdin(&["import", "-"], input);
        let stderr = assert_fails(&output, 2, needle);
        assert!(stderr.contains("import_malformed"), "{what}: {stderr}");
    }
    assert!(usernames(&target).is_empty());
}
