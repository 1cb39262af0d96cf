//! A scheduled key rotation seen from outside two instances on one database, with a rotation
//! every few seconds and maintenance every five: exactly one successor key is made; no
//! token, from either instance, is signed with a key that had not been in both instances'
//! JWKS for the JWKS cache lifetime (the `Cache-Control` max-age) before it was issued; both
//! instances end up signing with the successor, and tokens signed with the old key still
//! verify at both.
//!
//! The test polls both JWKS documents and issues a client_credentials token at each instance
//! in a loop. For each key and instance it keeps the send time of the last JWKS answer that
//! did not hold the key yet: the key was published at that instance no earlier. A token is
//! issued no later than its answer arrived, so a token answered less than a max-age after
//! that send time certainly broke the rule.

use std::collections::{BTreeMap, BTreeSet};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{ServerProcess, get, post_form, text, token};
use crate::{Pair, cli};

/// How long a key signs: one rotation happens within the test, and the next one only after.
const ROTATE_EVERY: &str = "16s";
/// How long a key is published before it signs (the JWKS max-age is half of it, 1 s).
const PUBLISH_AHEAD: &str = "2s";
/// How often each instance runs maintenance, which is when it loads the keys the other made.
const MAINTENANCE: &str = "5s";
/// B starts this long after A, so that its maintenance runs about half an interval after
/// A's. Whichever instance makes the new key, the other loads it 2 to 3 s later, which is
/// past `PUBLISH_AHEAD`: counting `publish_ahead` alone, that instance would find the key
/// due in the very run that loads it and sign with it at once. The key must instead wait
/// for the slower instance: 5 s + 2 s + the max-age, 8 s in all.
const STAGGER: Duration = Duration::from_secs(2);
/// The most the sampling may take: the successor signs at both about 20 s after the first
/// key was made.
const DEADLINE: Duration = Duration::from_secs(30);
/// The pause between two sampling rounds.
const PAUSE: Duration = Duration::from_millis(50);

/// One token as issued by one instance.
struct Issued {
    instance: usize,
    kid: String,
    answered: Instant,
    token: String,
}

/// One JWKS answer: the instance, when it was requested, the kids in it.
type Sample = (usize, Instant, BTreeSet<String>);

/// What the sampling saw of one instance's JWKS.
#[derive(Default)]
struct Published {
    /// Per kid: the send time of the last answer without it, before the first with it.
    absent_until: BTreeMap<String, Instant>,
    /// Kids seen in some answer.
    seen: BTreeSet<String>,
}

impl Published {
    /// Instance `n`'s view, from every sample, in the order they were taken.
    fn of(n: usize, samples: &[Sample], known: &BTreeSet<String>) -> Self {
        let mut view = Self::default();
        for (_, sent, kids) in samples.iter().filter(|(i, _, _)| *i == n) {
            for kid in known {
                if !kids.contains(kid) && !view.seen.contains(kid) {
                    view.absent_until.insert(kid.clone(), *sent);
                }
            }
            view.seen.extend(kids.iter().cloned());
        }
        view
    }
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn a_scheduled_rotation_signs_only_with_keys_both_instances_published_long_enough() {
    let settings = [
        ("TESSERA_KEYS__ROTATE_EVERY", ROTATE_EVERY),
        ("TESSERA_KEYS__PUBLISH_AHEAD", PUBLISH_AHEAD),
        ("TESSERA_SERVER__MAINTENANCE_INTERVAL", MAINTENANCE),
        ("TESSERA_TOKENS__SIGNING_ALG", "ES256"),
    ];
    let pair = Pair::start_with("rotation", &settings, &["client_credentials"], STAGGER);
    let servers = [&pair.a, &pair.b];
    let max_age = jwks_max_age(&pair.a);
    assert!(
        max_age > Duration::ZERO,
        "the JWKS max-age must be positive"
    );
    let first_kid = jwks_kids(&pair.a).into_iter().next().expect("a key");

    let mut samples: Vec<Sample> = Vec::new();
    let mut issued: Vec<Issued> = Vec::new();
    let started = Instant::now();
    while started.elapsed() < DEADLINE && !both_sign_with_another(&issued, &first_kid) {
        for (n, server) in servers.iter().enumerate() {
            let sent = Instant::now();
            samples.push((n, sent, jwks_kids(server)));
            issued.push(issue(&pair, server, n));
        }
        thread::sleep(PAUSE);
    }
    let known: BTreeSet<String> = samples
        .iter()
        .flat_map(|(_, _, kids)| kids.clone())
        .collect();
    let published = [0, 1].map(|n| Published::of(n, &samples, &known));

    assert!(
        both_sign_with_another(&issued, &first_kid),
        "both instances did not sign with a new key within {DEADLINE:?}; kids seen: {known:?}\n\
         A:\n{}\nB:\n{}",
        pair.a.log_text(),
        pair.b.log_text()
    );
    assert_eq!(known.len(), 2, "one successor key, and only one: {known:?}");
    let stored = stored_keys(&pair);
    assert_eq!(stored.len(), 2, "keys in the database: {stored:?}");
    for token in &issued {
        check_published_long_enough(token, &published, max_age, started);
    }
    for old in [0, 1].map(|n| last_signed_by(&issued, n, &first_kid)) {
        for server in servers {
            assert_active(&pair, server, &old.token);
        }
    }
}

/// Issues a client_credentials token at instance `n`.
fn issue(pair: &Pair, server: &ServerProcess, n: usize) -> Issued {
    let form = [("grant_type", "client_credentials")];
    let reply = token(server, &pair.client, &form);
    let answered = Instant::now();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let access = text(&reply.json(), "access_token");
    Issued {
        instance: n,
        kid: header_kid(&access),
        answered,
        token: access,
    }
}

/// The token's kid was in both instances' JWKS for `max_age` before it was answered.
fn check_published_long_enough(
    token: &Issued,
    published: &[Published; 2],
    max_age: Duration,
    started: Instant,
) {
    let at = |t: Instant| t.saturating_duration_since(started).as_secs_f64();
    for (n, seen) in published.iter().enumerate() {
        assert!(
            seen.seen.contains(&token.kid),
            "a token of instance {} is signed with {}, never seen in instance {n}'s JWKS",
            token.instance,
            token.kid
        );
        if let Some(&absent) = seen.absent_until.get(&token.kid) {
            let published_for = token.answered.saturating_duration_since(absent);
            assert!(
                published_for >= max_age,
                "instance {} signed with {} at {:.2} s, but instance {n}'s JWKS lacked it at \
                 {:.2} s: published there for at most {published_for:?} < max-age {max_age:?}",
                token.instance,
                token.kid,
                at(token.answered),
                at(absent)
            );
        }
    }
}

/// Both instances have issued a token signed with a key other than `first`.
fn both_sign_with_another(issued: &[Issued], first: &str) -> bool {
    [0, 1].iter().all(|&n| {
        issued
            .iter()
            .any(|token| token.instance == n && token.kid != first)
    })
}

/// The last token instance `n` signed with `kid`.
fn last_signed_by<'a>(issued: &'a [Issued], n: usize, kid: &str) -> &'a Issued {
    issued
        .iter()
        .rev()
        .find(|token| token.instance == n && token.kid == kid)
        .unwrap_or_else(|| panic!("instance {n} never signed with {kid}"))
}

/// Introspection at `server` says the token is active.
fn assert_active(pair: &Pair, server: &ServerProcess, access: &str) {
    let reply = post_form(
        &server.url("/oauth/introspect"),
        Some(&pair.client.basic()),
        &[("token", access)],
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json()["active"],
        Value::Bool(true),
        "a token signed with the old key no longer verifies at {}: {}",
        server.base,
        reply.body
    );
}

/// The kids in an instance's JWKS.
fn jwks_kids(server: &ServerProcess) -> BTreeSet<String> {
    let reply = get(&server.url("/.well-known/jwks.json"), None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|key| text(key, "kid"))
        .collect()
}

/// The max-age of the JWKS `Cache-Control`.
fn jwks_max_age(server: &ServerProcess) -> Duration {
    let reply = get(&server.url("/.well-known/jwks.json"), None);
    let header = reply.header("cache-control").expect("Cache-Control");
    let secs = header
        .split(',')
        .find_map(|part| part.trim().strip_prefix("max-age="))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no max-age in {header:?}"));
    Duration::from_secs(secs)
}

/// The signing keys in the database, as `tessera keys list --json` shows them, without one
/// made after the successor started signing (the next rotation, if the run was slow).
fn stored_keys(pair: &Pair) -> Vec<String> {
    let out = cli(&pair.dirs.0, &pair.env, &["keys", "list", "--json"], "");
    let keys: Value = serde_json::from_str(&out).expect("keys JSON");
    let keys = keys.as_array().expect("a list");
    let at = |key: &Value, field: &str| key[field].as_i64().expect("a time");
    let newest_signer = keys
        .iter()
        .filter(|key| key["state"] == "active")
        .map(|key| at(key, "activates_at"))
        .max()
        .expect("an active key");
    keys.iter()
        .filter(|key| at(key, "created_at") < newest_signer)
        .map(|key| text(key, "kid"))
        .collect()
}

/// The `kid` of a JWT's header, read without verification.
fn header_kid(token: &str) -> String {
    use base64::Engine as _;
    let header = token.split('.').next().expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .expect("base64url");
    let header: Value = serde_json::from_slice(&bytes).expect("header JSON");
    text(&header, "kid")
}
