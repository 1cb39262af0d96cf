//! The audit trail on one PostgreSQL database behind two instances: logins at both, made
//! concurrently, are each recorded once, in one order that both instances and the CLI read
//! alike, and a reader paging by cursor during the writes skips none.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::thread;

use serde_json::Value;

use crate::helpers::{PASSWORD, ServerProcess, get, login, text, token};
use crate::{Pair, cli};

/// Every event after `after` at `server`, paged by cursor: (id, type, user).
fn read_all(server: &ServerProcess, admin: &str, query: &str) -> Vec<(i64, String)> {
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let url = server.url(&format!("/admin/events?limit=7&after={after}{query}"));
        let reply = get(&url, Some(admin));
        assert_eq!(reply.status, 200, "{}", reply.body);
        let page = reply.json();
        let events = page["events"].as_array().expect("events").clone();
        for event in &events {
            seen.push((event["id"].as_i64().expect("id"), text(event, "type")));
        }
        after = page["cursor"].as_i64().expect("cursor");
        if page["more"] != Value::Bool(true) {
            return seen;
        }
    }
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn both_instances_write_one_trail_that_every_reader_sees_whole() {
    let pair = Arc::new(Pair::start("audit_trail"));
    cli(
        &pair.dirs.0,
        &pair.env,
        &["user", "add", "root", "--role", "admin", "--password-stdin"],
        PASSWORD,
    );
    let admin = text(&login(&pair.a, &pair.client, "root"), "access_token");

    // 2 × 15 logins at the same time, half at each instance, and a reader paging meanwhile.
    let writers: Vec<_> = [true, false]
        .into_iter()
        .map(|to_a| {
            let pair = Arc::clone(&pair);
            thread::spawn(move || {
                let server = if to_a { &pair.a } else { &pair.b };
                for _ in 0..15 {
                    login(server, &pair.client, "alice");
                }
            })
        })
        .collect();
    let during = read_all(&pair.b, &admin, "&type=login_succeeded");
    for writer in writers {
        writer.join().expect("writer");
    }
    let wrong = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "not it"),
    ];
    assert_eq!(token(&pair.b, &pair.client, &wrong).status, 400);

    let at_a = read_all(&pair.a, &admin, "");
    let at_b = read_all(&pair.b, &admin, "");
    assert_eq!(at_a, at_b, "both instances read one trail");
    let ids: Vec<i64> = at_a.iter().map(|(id, _)| *id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids rise: {ids:?}");
    let count = |kind: &str| at_a.iter().filter(|(_, t)| t == kind).count();
    // alice 30 times, root once.
    assert_eq!(count("login_succeeded"), 31, "{at_a:?}");
    assert_eq!(count("login_failed"), 1);
    assert_eq!(count("user_created"), 2);
    // What the reader saw while the logins went on is a prefix of the whole: nothing
    // committed later with a smaller id was skipped.
    let logins: Vec<i64> = at_a
        .iter()
        .filter(|(_, t)| t == "login_succeeded")
        .map(|(id, _)| *id)
        .collect();
    let during: Vec<i64> = during.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        during[..],
        logins[..during.len()],
        "a reader during the writes"
    );

    // The CLI reads the same trail from the database.
    let lines = cli(&pair.dirs.1, &pair.env, &["events", "--json"], "");
    let from_cli: BTreeSet<i64> = lines
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).expect("JSON")["id"]
                .as_i64()
                .expect("id")
        })
        .collect();
    assert_eq!(from_cli, ids.iter().copied().collect());
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn two_instances_deliver_each_event_to_a_webhook_once_in_order() {
    use crate::set_receiver::{Mode, Receiver, jti_of, verify};

    let pair = Pair::start("webhook_once");
    let receiver = Receiver::start(Mode::Accept);
    let added = cli(
        &pair.dirs.0,
        &pair.env,
        &[
            "webhook",
            "add",
            &receiver.url,
            "--event",
            "login_succeeded",
        ],
        "",
    );
    assert!(added.contains("\"id\""), "{added}");
    // Logins at both instances: both deliverers compete for the one receiver.
    for round in 0..10 {
        let server = if round % 2 == 0 { &pair.a } else { &pair.b };
        login(server, &pair.client, "alice");
    }
    let sets = receiver.wait_for(10, std::time::Duration::from_secs(30));
    thread::sleep(std::time::Duration::from_secs(3));
    let sets_after = receiver.accepted();
    assert_eq!(
        sets_after.len(),
        10,
        "each event once: {}",
        sets_after.len()
    );
    let jtis: Vec<String> = sets.iter().map(|s| jti_of(s)).collect();
    let unique: BTreeSet<&String> = jtis.iter().collect();
    assert_eq!(unique.len(), 10, "no SET twice: {jtis:?}");
    // In the trail's order: event ids rise.
    let ids: Vec<i64> = jtis
        .iter()
        .map(|j| j.rsplit('.').next().expect("id").parse().expect("number"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");
    for set in &sets {
        verify(&pair.b, &receiver, set);
    }
}
