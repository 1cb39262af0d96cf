//! The device authorization grant (RFC 8628) across two instances of one database: a device
//! asks at A, its user signs in and allows it on B's pages, and the device gets its tokens
//! polling A; the device code is then refused at B (redeemed once, wherever). The polling
//! interval is one for both: a poll at B right after one at A is answered `slow_down`, and of
//! two first polls sent to both at once exactly one is.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::browser::{Browser, hidden};
use crate::helpers::{PASSWORD, Reply, ServerProcess, get, post_form, text};
use crate::{ISSUER, Pair, cli};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const SCOPE: &str = "openid orders:read";
/// RFC 8628 §3.5: what a `slow_down` adds to the interval.
const SLOW_DOWN_SECS: u64 = 5;

/// Registers the public device client `tv`; its client_id.
fn device_client(pair: &Pair) -> String {
    let args = [
        "client",
        "add",
        "tv",
        "--grant",
        "device_code",
        "--grant",
        "refresh_token",
        "--public",
        "--scope",
        SCOPE,
    ];
    let out: Value =
        serde_json::from_str(&cli(&pair.dirs.0, &pair.env, &args, "")).expect("client JSON");
    text(&out, "client_id")
}

/// `POST /oauth/device_authorization` at `server`: the answer's JSON.
fn start(server: &ServerProcess, client_id: &str) -> Value {
    let reply = post_form(
        &server.url("/oauth/device_authorization"),
        None,
        &[("client_id", client_id), ("scope", SCOPE)],
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

/// One poll of the token endpoint at `server`.
fn poll(server: &ServerProcess, client_id: &str, device_code: &str) -> Reply {
    post_form(
        &server.url("/oauth/token"),
        None,
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", client_id),
        ],
    )
}

/// Asserts a 400 with `error`.
fn assert_error(reply: &Reply, error: &str) {
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.error(), error, "{}", reply.body);
}

/// Posts the only form of `page` to `server`'s `/ui/device`, its hidden fields and `extra`.
fn device_form(
    browser: &mut Browser,
    server: &ServerProcess,
    page: &Reply,
    extra: &[(&str, &str)],
) -> Reply {
    let mut form = hidden(&page.body);
    form.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.post(&server.url("/ui/device"), &refs)
}

/// alice, in a browser at `server` only: the code page from `verification_uri_complete`
/// (sent to sign in and back), the confirmation, and "allow".
fn allow_at(server: &ServerProcess, started: &Value) {
    let user_code = text(started, "user_code");
    let shown = user_code.to_owned();
    let complete = text(started, "verification_uri_complete");
    let path = complete
        .strip_prefix(ISSUER)
        .expect("the shared issuer's page");
    let mut browser = Browser::new();
    let away = browser.get(&server.url(path));
    assert_eq!(away.status, 303, "{}", away.body);
    let login_path = away.header("location").expect("location").to_owned();
    let login = browser.get(&server.url(&login_path));
    assert_eq!(login.status, 200, "{}", login.body);
    let mut form = hidden(&login.body);
    form.push(("username".into(), "alice".into()));
    form.push(("password".into(), PASSWORD.into()));
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let back = browser.post(&server.url("/ui/login"), &refs);
    assert_eq!(back.status, 303, "{}", back.body);
    let code_path = format!("/ui/device?user_code={shown}");
    assert_eq!(back.header("location"), Some(code_path.as_str()));
    let page = browser.get(&server.url(&code_path));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(&format!("value=\"{shown}\"")),
        "prefilled: {}",
        page.body
    );
    let confirm = device_form(
        &mut browser,
        server,
        &page,
        &[("user_code", &user_code), ("action", "continue")],
    );
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(
        confirm.body.contains("Signed in as alice."),
        "{}",
        confirm.body
    );
    let done = device_form(&mut browser, server, &confirm, &[("action", "allow")]);
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("is signed in"), "{}", done.body);
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn a_device_asks_at_one_instance_and_is_allowed_at_the_other_once() {
    let pair = Pair::start("device");
    let client_id = device_client(&pair);
    let started = start(&pair.a, &client_id);
    assert_eq!(started["verification_uri"], format!("{ISSUER}/ui/device"));
    let device_code = text(&started, "device_code");
    let interval = started["interval"].as_u64().expect("interval");

    // A first poll at A, and one at B right after it: too soon, wherever it goes.
    assert_error(
        &poll(&pair.a, &client_id, &device_code),
        "authorization_pending",
    );
    assert_error(&poll(&pair.b, &client_id, &device_code), "slow_down");
    let last_poll = Instant::now();

    // alice allows it on B's pages; the device, polling A an interval (now five seconds
    // longer) after its last poll, gets its tokens.
    allow_at(&pair.b, &started);
    let due = last_poll + Duration::from_secs(interval + SLOW_DOWN_SECS);
    thread::sleep(due.saturating_duration_since(Instant::now()));
    let tokens = poll(&pair.a, &client_id, &device_code);
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let tokens = tokens.json();
    assert_eq!(tokens["scope"], SCOPE);

    // Redeemed once across both: B refuses the device code now, and so does A.
    assert_error(&poll(&pair.b, &client_id, &device_code), "invalid_grant");
    assert_error(&poll(&pair.a, &client_id, &device_code), "invalid_grant");

    // The tokens are good at B: userinfo, and a refresh.
    let me = get(
        &pair.b.url("/userinfo"),
        Some(&text(&tokens, "access_token")),
    );
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["preferred_username"], "alice");
    let refreshed = post_form(
        &pair.b.url("/oauth/token"),
        None,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &text(&tokens, "refresh_token")),
            ("client_id", &client_id),
        ],
    );
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn of_two_first_polls_at_both_instances_at_once_one_is_slowed_down() {
    let pair = Arc::new(Pair::start("device_race"));
    let client_id = Arc::new(device_client(&pair));
    for round in 0..3 {
        let device_code = Arc::new(text(&start(&pair.a, &client_id), "device_code"));
        let barrier = Arc::new(Barrier::new(2));
        let racers: Vec<_> = [true, false]
            .into_iter()
            .map(|to_a| {
                let (pair, client_id) = (Arc::clone(&pair), Arc::clone(&client_id));
                let (device_code, barrier) = (Arc::clone(&device_code), Arc::clone(&barrier));
                thread::spawn(move || {
                    let server = if to_a { &pair.a } else { &pair.b };
                    barrier.wait();
                    poll(server, &client_id, &device_code)
                })
            })
            .collect();
        let mut errors: Vec<String> = racers
            .into_iter()
            .map(|racer| {
                let reply = racer.join().expect("racer");
                assert_eq!(reply.status, 400, "round {round}: {}", reply.body);
                reply.error()
            })
            .collect();
        errors.sort();
        assert_eq!(
            errors,
            ["authorization_pending", "slow_down"],
            "round {round}"
        );
    }
}
