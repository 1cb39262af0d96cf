//! Security-event webhooks end to end: a receiver on loopback verifies every SET against the
//! server's JWKS; events made by CLI commands are delivered by the running server, in order;
//! a receiver that is down for a minute gets everything afterwards, in order; and a server
//! killed with SIGKILL in the middle of a delivery sends the same event (same `jti`) after
//! its restart.

use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{DataDir, ServerProcess};
use crate::set_receiver::{Mode, Receiver, event_type, jti_of, verify};

fn add_webhook(data: &DataDir, receiver: &Receiver, events: &str) -> String {
    let out = data.cli(&["webhook", "add", &receiver.url, "--event", events], "");
    let out: Value = serde_json::from_str(&out).expect("JSON");
    out["id"].as_str().expect("id").to_owned()
}

#[test]
fn cli_changes_reach_a_receiver_as_signed_sets_in_order() {
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    let receiver = Receiver::start(Mode::Accept);
    let id = add_webhook(
        &data,
        &receiver,
        "user_created,password_changed,user_deleted",
    );
    data.add_user("alice", &[]);
    data.cli(
        &["user", "set-password", "alice", "--password-stdin"],
        "another good passphrase",
    );
    data.add_user("bob", &[]);
    data.cli(&["user", "delete", "bob"], "");
    data.add_client(&["client_credentials"]);
    let sets = receiver.wait_for(4, Duration::from_secs(20));
    assert_eq!(sets.len(), 4, "{sets:?}");
    let claims: Vec<Value> = sets.iter().map(|s| verify(&server, &receiver, s)).collect();
    let types: Vec<String> = claims.iter().map(event_type).collect();
    assert_eq!(
        types,
        [
            "user_created",
            "password_changed",
            "user_created",
            "user_deleted"
        ]
    );
    // The CAEP event where one fits; sub_id names the user (RFC 9493).
    let change = claims[1]["events"]
        ["https://schemas.openid.net/secevent/caep/event-type/credential-change"]
        .clone();
    assert_eq!(change["credential_type"], "password");
    assert_eq!(claims[1]["sub_id"]["format"], "opaque");
    assert_eq!(claims[0]["sub_id"], claims[1]["sub_id"], "alice both times");
    let jtis: Vec<&str> = claims
        .iter()
        .map(|c| c["jti"].as_str().expect("jti"))
        .collect();
    assert!(jtis.iter().all(|j| j.starts_with(&id)), "{jtis:?}");
    // Nothing else: client_created was not asked for.
    thread::sleep(Duration::from_secs(2));
    assert_eq!(receiver.accepted().len(), 4);
    let listed = data.cli(&["webhook", "list", "--json"], "");
    let listed: Value = serde_json::from_str(&listed).expect("JSON");
    assert_eq!(listed[0]["attempts"], 0);
    assert_eq!(listed[0]["dead_letters"], serde_json::json!([]));
}

#[test]
fn a_receiver_down_for_a_minute_gets_everything_afterwards_in_order() {
    let data = DataDir::new();
    let server = ServerProcess::start_with(&data, &[("TESSERA_WEBHOOKS__MAX_BACKOFF", "3s")]);
    let receiver = Receiver::start(Mode::Refuse);
    add_webhook(&data, &receiver, "user_created");
    let names = ["u1", "u2", "u3", "u4", "u5"];
    for name in names {
        data.add_user(name, &[]);
    }
    let down_until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < down_until {
        thread::sleep(Duration::from_millis(500));
    }
    let refused = receiver.received().len();
    assert!(refused >= 10, "retried while down: {refused} attempts");
    let listed: Value =
        serde_json::from_str(&data.cli(&["webhook", "list", "--json"], "")).expect("JSON");
    assert_eq!(listed[0]["last_error"], "HTTP 503");
    receiver.set_mode(Mode::Accept);
    let sets = receiver.wait_for(names.len(), Duration::from_secs(20));
    let users = get_users(&data);
    let got: Vec<String> = sets
        .iter()
        .map(|s| {
            verify(&server, &receiver, s)["sub_id"]["id"]
                .as_str()
                .expect("id")
                .to_owned()
        })
        .collect();
    assert_eq!(got, users, "every event, in order, once");
    // Every refused attempt carried the first event's jti: nothing was skipped.
    let first_jti = jti_of(&sets[0]);
    for (body, mode) in receiver.received() {
        if mode == Mode::Refuse {
            assert_eq!(jti_of(&body), first_jti);
        }
    }
}

#[test]
fn a_delivery_cut_by_sigkill_is_sent_again_with_the_same_jti_after_a_restart() {
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    let receiver = Receiver::start(Mode::Hang);
    add_webhook(&data, &receiver, "user_created");
    data.add_user("alice", &[]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while receiver.received().is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(50));
    }
    let in_flight = receiver.received();
    assert_eq!(in_flight.len(), 1, "the delivery is in flight");
    server.crash();
    receiver.set_mode(Mode::Accept);
    data.add_user("bob", &[]);
    let server = ServerProcess::start(&data);
    // The dead server's lease runs out (20 s), then both events go, in order.
    let sets = receiver.wait_for(2, Duration::from_secs(45));
    assert_eq!(sets.len(), 2, "{:?}", receiver.received());
    assert_eq!(
        jti_of(&sets[0]),
        jti_of(&in_flight[0].0),
        "the same SET again"
    );
    let users = get_users(&data);
    for (set, user) in sets.iter().zip(&users) {
        assert_eq!(
            &verify(&server, &receiver, set)["sub_id"]["id"],
            user.as_str()
        );
    }
}

/// The user ids, in the order they were created.
fn get_users(data: &DataDir) -> Vec<String> {
    let out = data.cli(&["events", "--json", "--type", "user_created"], "");
    out.lines()
        .map(|line| {
            let event: Value = serde_json::from_str(line).expect("JSON");
            event["user"].as_str().expect("user").to_owned()
        })
        .collect()
}

#[test]
fn bad_webhooks_are_refused_with_one_line() {
    let data = DataDir::new();
    data.cli(&["init"], "");
    for (args, needle) in [
        (vec!["webhook", "add", "ftp://example.com/x"], "webhook URL"),
        (
            vec!["webhook", "add", "http://example.com/x"],
            "webhook URL",
        ),
        (
            vec!["webhook", "add", "https://example.com/x", "--event", "nope"],
            "unknown event type",
        ),
        (vec!["webhook", "remove", "wh_nope"], "no such webhook"),
        (vec!["webhook", "replay", "wh_nope"], "no such webhook"),
    ] {
        let output = data.command(&args).output().expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
}
