//! A receiver of pushed Security Event Tokens (RFC 8935) on 127.0.0.1, for the webhook
//! tests: it records every body in arrival order, answers as told, and verifies SETs against
//! the server's JWKS. Shared with the two-instance tests, which use only part of it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use tessera_jose::jwk::{JwkSet, KeySet};
use tessera_jose::jwt::Validator;

use crate::helpers::{ServerProcess, get};

/// How the receiver answers.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Mode {
    /// 202 Accepted (RFC 8935).
    Accept,
    /// 503, as a receiver that is down.
    Refuse,
    /// Reads the request and never answers (the server is killed meanwhile).
    Hang,
}

/// A SET receiver on 127.0.0.1: every body POSTed to it, in arrival order, with the answer
/// it gave.
pub(crate) struct Receiver {
    pub(crate) url: String,
    mode: Arc<Mutex<Mode>>,
    got: Arc<Mutex<Vec<(String, Mode)>>>,
}

impl Receiver {
    pub(crate) fn start(mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/events", listener.local_addr().expect("address"));
        let mode = Arc::new(Mutex::new(mode));
        let got: Arc<Mutex<Vec<(String, Mode)>>> = Arc::default();
        let (answer, sink) = (Arc::clone(&mode), Arc::clone(&got));
        thread::spawn(move || {
            let mut hung = Vec::new();
            for stream in listener.incoming().take(2_000) {
                let Ok(mut stream) = stream else { continue };
                let Some(body) = read_request(&stream) else {
                    continue;
                };
                let mode = *answer.lock().expect("lock");
                sink.lock().expect("lock").push((body, mode));
                let status = match mode {
                    Mode::Accept => "202 Accepted",
                    Mode::Refuse => "503 Service Unavailable",
                    Mode::Hang => {
                        hung.push(stream);
                        continue;
                    }
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        Self { url, mode, got }
    }

    pub(crate) fn set_mode(&self, mode: Mode) {
        *self.mode.lock().expect("lock") = mode;
    }

    /// The SETs it accepted, in order.
    pub(crate) fn accepted(&self) -> Vec<String> {
        let got = self.got.lock().expect("lock");
        got.iter()
            .filter(|(_, mode)| *mode == Mode::Accept)
            .map(|(body, _)| body.clone())
            .collect()
    }

    pub(crate) fn received(&self) -> Vec<(String, Mode)> {
        self.got.lock().expect("lock").clone()
    }

    /// Waits until it accepted `count` SETs (at most `within`), and returns them.
    pub(crate) fn wait_for(&self, count: usize, within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        loop {
            let accepted = self.accepted();
            if accepted.len() >= count || Instant::now() > deadline {
                return accepted;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Reads one HTTP request and returns its body (`None` for a request it cannot read).
fn read_request(stream: &std::net::TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut length = 0;
    let mut media_type = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().ok()?;
        }
        if let Some(value) = lower.strip_prefix("content-type:") {
            media_type = value.trim().to_owned();
        }
    }
    assert_eq!(
        media_type, "application/secevent+jwt",
        "RFC 8935 media type"
    );
    let mut body = vec![0; length.min(64 * 1024)];
    reader.read_exact(&mut body).ok()?;
    String::from_utf8(body).ok()
}

/// Verifies a SET against the server's JWKS and returns its claims.
pub(crate) fn verify(server: &ServerProcess, receiver: &Receiver, set: &str) -> Value {
    let discovery = get(&server.url("/.well-known/openid-configuration"), None).json();
    let issuer = discovery["issuer"].as_str().expect("issuer");
    let jwks = get(&server.url("/.well-known/jwks.json"), None);
    let jwks = JwkSet::from_json(jwks.body.as_bytes()).expect("JWKS");
    let keys = KeySet::from_jwks(&jwks, &[]).expect("keys");
    let validator = Validator::builder()
        .issuer(issuer)
        .audience(receiver.url.as_str())
        .typ("secevent+jwt")
        .allow_missing_exp()
        .build();
    let token = validator.verify(set, &keys).expect("a valid SET");
    let claims = serde_json::to_value(&token.claims).expect("claims");
    assert!(claims.get("exp").is_none(), "a SET has no exp: {claims}");
    claims
}

/// The Tessera event type a SET carries.
pub(crate) fn event_type(claims: &Value) -> String {
    let events = claims["events"].as_object().expect("events");
    let own = events
        .keys()
        .find_map(|uri| uri.strip_prefix("urn:tessera:event:"))
        .expect("a Tessera event");
    own.to_owned()
}

/// The `jti` of a SET, unverified.
pub(crate) fn jti_of(set: &str) -> String {
    let payload = set.split('.').nth(1).expect("a JWS");
    use base64::Engine as _;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    let claims: Value = serde_json::from_slice(&json).expect("JSON");
    claims["jti"].as_str().expect("jti").to_owned()
}
