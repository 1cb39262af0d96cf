//! Lock-outs live in the store: `tessera user unlock`, run in another process, lifts one on
//! the running server, and a restart does not.

use crate::helpers::{DataDir, PASSWORD, ServerProcess, token};

/// Three failures lock an account for ten minutes: long enough to outlive a restart.
const LIMITS: [(&str, &str); 2] = [
    ("TESSERA_THROTTLE__ACCOUNT__MAX_FAILURES", "3"),
    ("TESSERA_THROTTLE__ACCOUNT__BASE_BACKOFF", "10m"),
];

fn attempt(
    server: &ServerProcess,
    client: &crate::helpers::Client,
    password: &str,
) -> crate::helpers::Reply {
    token(
        server,
        client,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", password),
        ],
    )
}

#[test]
fn the_cli_unlocks_an_account_on_the_running_server() {
    let data = DataDir::new();
    let server = ServerProcess::start_with(&data, &LIMITS);
    data.add_user("alice", &[]);
    let client = data.add_client(&["password"]);
    for _ in 0..3 {
        assert_eq!(attempt(&server, &client, "wrong").status, 400);
    }
    let locked = attempt(&server, &client, PASSWORD);
    assert_eq!(locked.status, 429, "{}", locked.body);
    let retry: u64 = locked
        .header("retry-after")
        .and_then(|s| s.parse().ok())
        .expect("Retry-After");
    assert!((500..=600).contains(&retry), "{retry}");

    assert!(server.terminate().success());
    let server = ServerProcess::start_with(&data, &LIMITS);
    assert_eq!(
        attempt(&server, &client, PASSWORD).status,
        429,
        "the lock-out survives a restart"
    );

    let out = data.cli(&["user", "unlock", "alice"], "");
    assert!(out.contains("unlocked alice"), "{out}");
    let reply = attempt(&server, &client, PASSWORD);
    assert_eq!(reply.status, 200, "{}", reply.body);
}
