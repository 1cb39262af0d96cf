//! `tessera keys list|rotate|retire`, and the master key file.

use std::os::unix::fs::PermissionsExt as _;

use crate::helpers::{Deployment, assert_fails};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn first_start_makes_a_private_data_dir_key_file_and_one_key() {
    let d = Deployment::new();
    let keys = d.json(&["keys", "list", "--json"]);
    let keys = keys.as_array().expect("array").clone();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["alg"], "RS256");
    assert_eq!(keys[0]["state"], "active");
    let data = d.data_dir();
    assert_eq!(mode(&data), 0o700);
    let key_file = data.join("master.key");
    assert_eq!(mode(&key_file), 0o600);
    let master = std::fs::read_to_string(&key_file).expect("key file");

    // The second run reuses the key file, and the sealed signing key still opens.
    let table = d.ok(&["keys", "list"]);
    assert!(table.starts_with("KID"), "{table}");
    assert!(table.contains(keys[0]["kid"].as_str().expect("kid")));
    assert_eq!(
        std::fs::read_to_string(&key_file).expect("key file"),
        master
    );
    d.ok(&["keys", "rotate"]);
    assert!(!table.contains(master.trim()));
}

#[test]
fn rotate_then_retire() {
    let d = Deployment::new();
    let first = d.json(&["keys", "list", "--json"])[0]["kid"]
        .as_str()
        .expect("kid")
        .to_owned();
    let out = d.ok(&["keys", "rotate", "--alg", "ES256"]);
    assert!(out.contains("ES256: new, active"), "{out}");
    assert!(
        out.contains(&format!("{first} RS256: active -> retiring")),
        "{out}"
    );
    let keys = d.json(&["keys", "list", "--json"]);
    let second = keys[1]["kid"].as_str().expect("kid").to_owned();
    assert_eq!(keys[1]["alg"], "ES256");
    assert_eq!(keys[0]["state"], "retiring");

    assert_fails(&d.run(&["keys", "retire", &second]), 2, "rotate before");
    let out = d.ok(&["keys", "retire", &first]);
    assert!(out.contains("retiring -> retired"), "{out}");
    assert_eq!(d.json(&["keys", "list", "--json"])[0]["state"], "retired");
    assert_fails(&d.run(&["keys", "retire", &first]), 1, "no such live key");
    assert_fails(&d.run(&["keys", "rotate", "--alg", "HS256"]), 2, "--alg");
}

#[test]
fn a_kid_that_starts_with_a_hyphen_is_an_id_not_a_flag() {
    // Thumbprints are base64url, so about one kid in 64 starts with `-`.
    let d = Deployment::new();
    assert_fails(
        &d.run(&["keys", "retire", "-epnOnotakid"]),
        1,
        "no such live key",
    );
}

#[test]
fn a_wrong_master_key_is_refused() {
    let d = Deployment::new();
    d.ok(&["keys", "list"]);
    let output = d
        .cmd(&["keys", "list"])
        .env(
            "TESSERA_MASTER_KEY",
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        )
        .output()
        .expect("run");
    let stderr = assert_fails(&output, 2, "master key");
    assert!(!stderr.contains("000102030405"));
}
