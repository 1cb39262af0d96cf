//! `tessera events`: the audit trail of changes made by the CLI, as text and JSON lines,
//! with filters, `--follow`, and one-line errors for bad filters.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{Deployment, assert_fails};

const PASSWORD: &str = "correct horse battery staple";

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object a line"))
        .collect()
}

#[test]
fn cli_changes_are_listed_with_the_operator_as_actor() {
    let d = Deployment::new();
    d.add_user("alice", PASSWORD);
    d.ok(&["user", "disable", "alice"]);
    d.ok(&["keys", "rotate"]);
    let events = json_lines(&d.ok(&["events", "--json"]));
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect();
    assert_eq!(
        types,
        ["user_created", "user_updated", "keys_rotated"],
        "{events:?}"
    );
    for event in &events {
        assert_eq!(event["actor"], "cli");
        assert!(event["id"].is_i64());
        let time = event["time"].as_str().expect("time");
        assert!(time.len() == 24 && time.ends_with('Z'), "{time}");
    }
    assert_eq!(events[1]["detail"], "disabled");
    assert!(events[0]["user"].as_str().expect("user").starts_with("u_"));

    let text = d.ok(&["events"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].contains("user_updated") && lines[1].contains("by=cli"),
        "{text}"
    );
    assert!(lines[1].ends_with("(disabled)"), "{text}");
}

#[test]
fn filters_narrow_the_trail() {
    let d = Deployment::new();
    d.add_user("alice", PASSWORD);
    d.ok(&["keys", "rotate"]);
    let only = json_lines(&d.ok(&["events", "--json", "--type", "keys_rotated"]));
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["type"], "keys_rotated");
    let both = json_lines(&d.ok(&["events", "--json", "--type", "keys_rotated,user_created"]));
    assert_eq!(both.len(), 2);
    let recent = json_lines(&d.ok(&["events", "--json", "--since", "1h"]));
    assert_eq!(recent.len(), 2);
    let future = d.ok(&["events", "--json", "--since", "2999-01-01T00:00:00Z"]);
    assert!(future.is_empty(), "{future}");
    let old = d.ok(&["events", "--json", "--until", "2000-01-01T00:00:00Z"]);
    assert!(old.is_empty(), "{old}");
    let user = only_user(&d);
    let theirs = json_lines(&d.ok(&["events", "--json", "--user", &user]));
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["type"], "user_created");
}

fn only_user(d: &Deployment) -> String {
    let users = d.json(&["user", "list", "--json"]);
    users[0]["id"].as_str().expect("id").to_owned()
}

#[test]
fn bad_filters_fail_with_one_line_and_exit_2() {
    let d = Deployment::new();
    assert_fails(
        &d.run(&["events", "--type", "login"]),
        2,
        "unknown event type",
    );
    assert_fails(
        &d.run(&["events", "--since", "yesterday"]),
        2,
        "neither a time nor a duration",
    );
    assert_fails(
        &d.run(&[
            "events",
            "--since",
            "2026-12-07T10:00:00Z",
            "--until",
            "2026-12-06T10:00:00Z",
        ]),
        2,
        "ends before it starts",
    );
}

#[test]
fn follow_prints_new_events_as_they_happen() {
    let d = Deployment::new();
    let mut child = d
        .spawnable(&["events", "--follow", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn tessera events --follow");
    let stdout = child.stdout.take().expect("stdout");
    let (lines, seen) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    // Nothing yet: the store is new. Then a change made by another command shows up.
    d.add_user("bob", PASSWORD);
    let line = seen.recv_timeout(Duration::from_secs(20));
    child.kill().expect("stop the follower");
    child.wait().expect("reap the follower");
    let line = line.expect("an event within 20 s");
    let event: Value = serde_json::from_str(&line).expect("JSON");
    assert_eq!(event["type"], "user_created");
}
