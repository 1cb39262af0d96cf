//! Browser sign-in across two instances on one database: a sign-in form served by one is
//! accepted by the other, the single sign-on session is seen by both, a code issued by one
//! is redeemed at the other (once), logout at one ends the session everywhere, and the
//! back-channel logout notice is delivered exactly once although both instances deliver.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{PASSWORD, Reply, ServerProcess, reply, text};
use crate::{Pair, cli};

const REDIRECT: &str = "https://app.example.test/callback";
/// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A cookie jar that does not follow redirects, sending each request to the instance named.
pub(crate) struct Browser {
    agent: ureq::Agent,
    cookies: HashMap<String, String>,
}

impl Browser {
    pub(crate) fn new() -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        Self {
            agent,
            cookies: HashMap::new(),
        }
    }

    fn jar(&self) -> String {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        pairs.join("; ")
    }

    fn keep(&mut self, reply: &Reply) {
        for (name, value) in &reply.headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                let pair = value.split(';').next().unwrap_or("");
                if let Some((k, v)) = pair.split_once('=') {
                    if v.is_empty() {
                        self.cookies.remove(k);
                    } else {
                        self.cookies.insert(k.to_owned(), v.to_owned());
                    }
                }
            }
        }
    }

    pub(crate) fn get(&mut self, url: &str) -> Reply {
        let answer = reply(self.agent.get(url).header("Cookie", &self.jar()).call());
        self.keep(&answer);
        answer
    }

    pub(crate) fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Reply {
        let request = self.agent.post(url).header("Cookie", &self.jar());
        let answer = reply(request.send_form(form.iter().copied()));
        self.keep(&answer);
        answer
    }
}

pub(crate) fn hidden(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|rest| {
            let field = |start: &str| {
                let from = rest.find(start).expect("attribute") + start.len();
                rest[from..from + rest[from..].find('"').expect("end")].to_owned()
            };
            (field("name=\""), field("value=\""))
        })
        .collect()
}

fn code_of(reply: &Reply) -> String {
    assert_eq!(reply.status, 303, "{}", reply.body);
    let location = reply.header("location").expect("location");
    let query = location.split_once('?').expect("query").1;
    // Codes are base64url: nothing to decode.
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("code="))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no code in {location}"))
}

fn authorize(server: &ServerProcess, client_id: &str) -> String {
    let redirect = REDIRECT.replace(':', "%3A").replace('/', "%2F");
    server.url(&format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={redirect}\
         &scope=openid&state=s&nonce=n&code_challenge={CHALLENGE}&code_challenge_method=S256"
    ))
}

fn redeem(server: &ServerProcess, client_id: &str, code: &str) -> Reply {
    crate::helpers::post_form(
        &server.url("/oauth/token"),
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", client_id),
        ],
    )
}

/// A back-channel logout receiver on 127.0.0.1: the bodies it was POSTed.
fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    receiver_on(TcpListener::bind("127.0.0.1:0").expect("bind"))
}

fn receiver_on(listener: TcpListener) -> (String, Arc<Mutex<Vec<String>>>) {
    let url = format!(
        "http://{}/backchannel",
        listener.local_addr().expect("address")
    );
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&got);
    thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length.min(64 * 1024)];
            if reader.read_exact(&mut body).is_ok() {
                sink.lock()
                    .expect("lock")
                    .push(String::from_utf8_lossy(&body).into_owned());
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (url, got)
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn browser_sign_in_works_across_instances_and_logs_out_once() {
    let pair = Pair::start("browser");
    let (backchannel, got) = receiver();
    let client_id = portal(&pair, &backchannel);
    let mut browser = Browser::new();
    // The form comes from A and is posted to B.
    let page = browser.get(&authorize(&pair.a, &client_id));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        browser.cookies.keys().all(|k| k.starts_with("__Host-")),
        "https issuer: {:?}",
        browser.cookies.keys()
    );
    let code = sign_in(&mut browser, &page, &pair.b);
    // Redeemed at A, once.
    let tokens = redeem(&pair.a, &client_id, &code);
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let tokens = tokens.json();
    assert_eq!(
        redeem(&pair.b, &client_id, &code).status,
        400,
        "a code is spent once"
    );
    // The session is seen at B: a code without a page.
    let again = code_of(&browser.get(&authorize(&pair.b, &client_id)));
    let second = redeem(&pair.b, &client_id, &again);
    assert_eq!(second.status, 200, "{}", second.body);
    // Logout at B with a hint ends it for A too.
    let hint = text(&second.json(), "id_token");
    let out = browser.get(&pair.b.url(&format!("/oauth/logout?id_token_hint={hint}")));
    assert_eq!(out.status, 200, "{}", out.body);
    let page = browser.get(&authorize(&pair.a, &client_id));
    assert!(
        page.body.contains("action=\"/ui/login\""),
        "signed out at A too"
    );
    let refreshed = crate::helpers::post_form(
        &pair.a.url("/oauth/token"),
        None,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &text(&tokens, "refresh_token")),
            ("client_id", &client_id),
        ],
    );
    assert_eq!(
        refreshed.status, 400,
        "the family ended: {}",
        refreshed.body
    );
    // Both instances deliver; the notice arrives once (within the 1 s poll of either).
    assert_eq!(delivered(&got, Duration::from_secs(10)), 1);
}

/// Waits up to `limit` for a first delivery, then 3 s more for duplicates; how many came.
fn delivered(got: &Arc<Mutex<Vec<String>>>, limit: Duration) -> usize {
    let deadline = Instant::now() + limit;
    while got.lock().expect("lock").is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(50));
    }
    thread::sleep(Duration::from_secs(3));
    let bodies = got.lock().expect("lock").clone();
    assert!(
        bodies.iter().all(|b| b.starts_with("logout_token=")),
        "{bodies:?}"
    );
    bodies.len()
}

/// Signs alice in with the form of `page`, posted to `server`; the code.
fn sign_in(browser: &mut Browser, page: &Reply, server: &ServerProcess) -> String {
    let mut form = hidden(&page.body);
    form.push(("username".into(), "alice".into()));
    form.push(("password".into(), PASSWORD.into()));
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    code_of(&browser.post(&server.url("/ui/login"), &refs))
}

/// Registers the public first-party client `portal` with this back-channel receiver.
fn portal(pair: &Pair, backchannel: &str) -> String {
    let added = cli(
        &pair.dirs.0,
        &pair.env,
        &[
            "client",
            "add",
            "portal",
            "--grant",
            "authorization_code",
            "--grant",
            "refresh_token",
            "--scope",
            "openid",
            "--redirect-uri",
            REDIRECT,
            "--backchannel-logout-uri",
            backchannel,
            "--first-party",
            "--public",
        ],
        "",
    );
    let client: Value = serde_json::from_str(&added).expect("client JSON");
    text(&client, "client_id")
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn a_logout_notice_survives_a_crash_of_every_instance() {
    let pair = Pair::start("browser_crash");
    // The receiver is down at first: its port is reserved, then closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address");
    let client_id = portal(&pair, &format!("http://{port}/backchannel"));
    let mut browser = Browser::new();
    let page = browser.get(&authorize(&pair.a, &client_id));
    let code = sign_in(&mut browser, &page, &pair.a);
    let hint = text(&redeem(&pair.a, &client_id, &code).json(), "id_token");
    let out = browser.get(&pair.a.url(&format!("/oauth/logout?id_token_hint={hint}")));
    assert_eq!(out.status, 200, "{}", out.body);
    // The first attempts fail at once; then both instances die without a goodbye.
    thread::sleep(Duration::from_millis(1500));
    let Pair {
        a,
        b,
        env,
        dirs,
        cluster,
        ..
    } = pair;
    a.crash();
    b.crash();
    let (_url, got) = receiver_on(TcpListener::bind(port).expect("the reserved port"));
    let restarted = ServerProcess::start_with(&dirs.0, &crate::env_refs(&env));
    assert_eq!(
        delivered(&got, Duration::from_secs(20)),
        1,
        "delivered after the restart"
    );
    drop(restarted);
    drop(cluster);
}
