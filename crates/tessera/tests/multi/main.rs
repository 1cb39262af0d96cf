//! Two real `tessera serve` processes on one private PostgreSQL cluster, with the same master
//! key, behave as one server: a login at one and a refresh at the other work, a refresh
//! token replayed across them is caught once, a revocation reaches the other's feed within a
//! second, a database restart in the middle of a stream of refreshes costs nothing but
//! 503s with `Retry-After` while the database is away, a scheduled key rotation makes one key
//! that neither instance signs with before both have published it for a JWKS cache
//! lifetime, and the background purge keeps the refresh token and revocation tables bounded
//! under load; a second-factor code or recovery code is accepted once across both.
//!
//! These tests need PostgreSQL's server binaries (`initdb`, `postgres`) and are ignored
//! unless asked for: `cargo test -p tessera --test multi -- --include-ignored`.

mod audit;
mod bounded;
mod breaker;
mod browser;
mod console;
mod device;
mod dpop;
mod dump;
mod exchange;
mod factors;
#[path = "../server/helpers.rs"]
mod helpers;
mod moved;
mod outage;
mod pg;
mod rotation;
#[path = "../server/set_receiver.rs"]
mod set_receiver;

use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use helpers::{Client, DataDir, PASSWORD, Reply, ServerProcess, get, login, post_form, text};
use pg::Cluster;

/// The master key every instance shares (test value).
const MASTER_KEY: &str = "8f1c2b3a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";

/// One database, two instances on it, a user and a client.
struct Pair {
    cluster: Cluster,
    a: ServerProcess,
    b: ServerProcess,
    client: Client,
    /// What both instances were started with.
    env: Vec<(String, String)>,
    dirs: (DataDir, DataDir),
}

impl Pair {
    fn start(name: &str) -> Self {
        Self::start_with(name, &[], &["password", "refresh_token"], Duration::ZERO)
    }

    /// As [`Pair::start`], with more settings for both instances and the admin commands, a
    /// client allowed these grants, and B started `stagger` after A answers.
    fn start_with(
        name: &str,
        settings: &[(&str, &str)],
        grants: &[&str],
        stagger: Duration,
    ) -> Self {
        assert!(pg::server_binaries().is_some(), "{}", pg::NEEDS);
        let cluster = Cluster::start();
        let url = cluster.create_database(name);
        let mut env = instance_env(&url);
        env.extend(
            settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let dir_a = DataDir::new();
        let dir_b = DataDir::new();
        cli(
            &dir_a,
            &env,
            &["user", "add", "alice", "--password-stdin"],
            PASSWORD,
        );
        let mut args = vec!["client", "add", "app"];
        for grant in grants {
            args.extend(["--grant", grant]);
        }
        let out = cli(&dir_a, &env, &args, "");
        let out: Value = serde_json::from_str(&out).expect("client JSON");
        let client = Client {
            id: text(&out, "client_id"),
            secret: Some(text(&out, "client_secret")),
        };
        let a = ServerProcess::start_with(&dir_a, &env_refs(&env));
        thread::sleep(stagger);
        let b = ServerProcess::start_with(&dir_b, &env_refs(&env));
        Self {
            cluster,
            a,
            b,
            client,
            env,
            dirs: (dir_a, dir_b),
        }
    }

    fn refresh(&self, server: &ServerProcess, token: &str) -> Reply {
        helpers::refresh(server, &self.client, token)
    }
}

/// The issuer both instances share, as behind one load balancer.
const ISSUER: &str = "https://auth.example.test";

/// The environment of every instance and admin command: the database, the shared master
/// key and issuer, and short database timeouts so that an outage is answered quickly.
fn instance_env(url: &str) -> Vec<(String, String)> {
    [
        ("TESSERA_DATABASE_URL", url),
        ("TESSERA_MASTER_KEY", MASTER_KEY),
        ("TESSERA_SERVER__ISSUER", ISSUER),
        ("TESSERA_DATABASE__ACQUIRE_TIMEOUT", "1s"),
        ("TESSERA_DATABASE__CONNECT_TIMEOUT", "2s"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

fn env_refs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Runs an admin command against the shared database; panics unless it succeeds.
fn cli(dir: &DataDir, env: &[(String, String)], args: &[&str], stdin: &str) -> String {
    let mut cmd: Command = dir.command(args);
    for (name, value) in env {
        cmd.env(name, value);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tessera");
    let mut input = child.stdin.take().expect("stdin");
    std::io::Write::write_all(&mut input, stdin.as_bytes()).expect("stdin");
    drop(input);
    let output = child.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "tessera {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn a_login_at_one_instance_refreshes_at_the_other() {
    let pair = Pair::start("login_refresh");
    let tokens = login(&pair.a, &pair.client, "alice");
    let reply = pair.refresh(&pair.b, &text(&tokens, "refresh_token"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    // And back: the token B issued is good at A, and both publish the same keys.
    let reply = pair.refresh(&pair.a, &text(&reply.json(), "refresh_token"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let jwks = |s: &ServerProcess| get(&s.url("/.well-known/jwks.json"), None).json();
    assert_eq!(jwks(&pair.a), jwks(&pair.b));
    let bearer = text(&reply.json(), "access_token");
    let info = get(&pair.b.url("/userinfo"), Some(&bearer));
    assert_eq!(info.status, 200, "{}", info.body);
    assert_eq!(info.json()["preferred_username"], "alice");
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn a_refresh_token_sent_to_both_at_once_is_spent_once() {
    let pair = Arc::new(Pair::start("replay"));
    for round in 0..5 {
        let tokens = login(&pair.a, &pair.client, "alice");
        let token = Arc::new(text(&tokens, "refresh_token"));
        let barrier = Arc::new(Barrier::new(2));
        let racers: Vec<_> = [true, false]
            .into_iter()
            .map(|to_a| {
                let (pair, token, barrier) = (pair.clone(), token.clone(), barrier.clone());
                thread::spawn(move || {
                    let server = if to_a { &pair.a } else { &pair.b };
                    barrier.wait();
                    pair.refresh(server, &token)
                })
            })
            .collect();
        let replies: Vec<Reply> = racers
            .into_iter()
            .map(|t| t.join().expect("racer"))
            .collect();
        let won: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
        assert_eq!(won.len(), 1, "round {round}: {replies:?}");
        let lost = replies.iter().find(|r| r.status != 200).expect("a loser");
        assert_eq!(lost.status, 400, "round {round}: {}", lost.body);
        assert_eq!(lost.error(), "invalid_grant", "round {round}");
        // The replay ended the whole family: the winner's successor is dead too, everywhere.
        let successor = text(&won[0].json(), "refresh_token");
        for server in [&pair.a, &pair.b] {
            let reply = pair.refresh(server, &successor);
            assert_eq!(
                reply.error(),
                "invalid_grant",
                "round {round}: {}",
                reply.body
            );
        }
    }
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn a_revocation_at_one_is_in_the_others_feed_within_a_second() {
    let pair = Pair::start("revocation");
    let start = get(&pair.b.url("/revocations?since=0"), None).json();
    let cursor = start["next"].as_i64().expect("next cursor");
    let tokens = login(&pair.a, &pair.client, "alice");
    let access = text(&tokens, "access_token");
    let claims = decode_claims(&access);
    let revoke = post_form(
        &pair.a.url("/oauth/revoke"),
        Some(&pair.client.basic()),
        &[("token", &access), ("token_type_hint", "access_token")],
    );
    assert_eq!(revoke.status, 200, "{}", revoke.body);
    let revoked_at = Instant::now();
    let jti = text(&claims, "jti");
    let feed = format!("/revocations?since={cursor}");
    let mut seen = false;
    while !seen && revoked_at.elapsed() < Duration::from_secs(1) {
        let page = get(&pair.b.url(&feed), None).json();
        seen = page["revocations"]
            .as_array()
            .is_some_and(|list| list.iter().any(|r| r["jti"] == jti.as_str()));
        thread::sleep(Duration::from_millis(20));
    }
    assert!(
        seen,
        "the revocation made at A was not in B's feed within 1 s"
    );
    let denied = get(&pair.b.url("/userinfo"), Some(&access));
    assert_eq!(denied.status, 401, "{}", denied.body);
}

/// The claims of a JWT, read without verification (the test only needs the jti).
fn decode_claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("claims")
}

/// Failed logins count against the account in the database, so spreading guesses over two
/// instances buys an attacker nothing: five failures split 3 + 2 lock the account at both.
#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn failed_logins_at_both_instances_add_up() {
    let pair = Pair::start("shared_lockout");
    let guess = |server: &ServerProcess, password: &str| {
        helpers::token(
            server,
            &pair.client,
            &[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", password),
            ],
        )
    };
    for server in [&pair.a, &pair.b, &pair.a, &pair.b, &pair.a] {
        let reply = guess(server, "wrong guess");
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert_eq!(reply.error(), "invalid_grant");
    }
    // The sixth attempt waits, wherever it goes, even with the right password.
    for server in [&pair.b, &pair.a] {
        let reply = guess(server, PASSWORD);
        assert_eq!(reply.status, 429, "{}", reply.body);
        assert!(reply.header("retry-after").is_some(), "Retry-After");
    }
}
