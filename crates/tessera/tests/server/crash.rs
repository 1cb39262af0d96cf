//! Restarts: a clean restart keeps users, sessions and keys; a SIGKILL in the middle of a
//! stream of refresh grants never loses the last refresh token the client received.

use std::thread;
use std::time::Duration;

use crate::helpers::{
    DataDir, PASSWORD, ServerProcess, get, kill_hard, login, refresh, server_with_alice, text,
    try_refresh,
};

#[test]
fn a_restart_keeps_users_sessions_and_keys() {
    let (data, server, client) = server_with_alice();
    let tokens = login(&server, &client, "alice");
    let jwks = get(&server.url("/.well-known/jwks.json"), None).json();
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    let server = ServerProcess::start(&data);
    assert_eq!(
        get(&server.url("/.well-known/jwks.json"), None).json(),
        jwks
    );
    let next = refresh(&server, &client, &text(&tokens, "refresh_token"));
    assert_eq!(next.status, 200, "the session survived: {}", next.body);
    login(&server, &client, "alice");
}

/// With a refresh grace window (as clients on flaky networks need), a token whose rotation
/// committed just before the crash, unanswered, gets the same successor again.
#[test]
fn the_last_refresh_token_survives_a_crash() {
    let data = DataDir::new();
    let grace = [("TESSERA_TOKENS__REFRESH_GRACE", "60s")];
    let server = ServerProcess::start_with(&data, &grace);
    data.add_user("alice", &[]);
    let client = data.add_client(&["password", "refresh_token"]);
    let mut current = text(&login(&server, &client, "alice"), "refresh_token");
    let pid = server.pid();
    let killer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(700));
        kill_hard(pid);
    });
    let mut rotations = 0;
    while let Some(reply) = try_refresh(&server.base, &client, &current) {
        assert_eq!(reply.status, 200, "{}", reply.body);
        current = text(&reply.json(), "refresh_token");
        rotations += 1;
        assert!(rotations < 100_000, "the server was never killed");
    }
    killer.join().expect("killer");
    drop(server);
    assert!(rotations > 3, "only {rotations} rotations before the crash");
    let server = ServerProcess::start_with(&data, &grace);
    let reply = refresh(&server, &client, &current);
    assert_eq!(
        reply.status, 200,
        "the last refresh token the client received was lost after {rotations} rotations: {}",
        reply.body
    );
    let next = text(&reply.json(), "refresh_token");
    assert_eq!(refresh(&server, &client, &next).status, 200);
    assert!(!server.log_text().contains(PASSWORD));
}

#[test]
fn a_second_server_on_the_same_data_dir_is_refused() {
    let data = DataDir::new();
    let first = ServerProcess::start(&data);
    let mut second = data
        .command(&["serve", "--listen", "127.0.0.1:0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = second.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = second.kill();
            let _ = second.wait();
            panic!("the second server kept running");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().expect("stderr"), &mut stderr)
        .expect("stderr");
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("(process {})", first.pid())),
        "names the first server: {stderr}"
    );
    assert_eq!(
        get(&first.url("/healthz"), None).status,
        200,
        "the first one serves on"
    );
    drop(first);
    // Once the first has stopped, the data dir is free again.
    let again = ServerProcess::start(&data);
    assert_eq!(get(&again.url("/healthz"), None).status, 200);
}
