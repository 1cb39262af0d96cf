//! A database restart in the middle of a stream of refresh grants sent to both instances:
//! while the database is away the answers are 503 with `Retry-After` (never 500) and
//! `/readyz` is unready; when it returns both instances recover without a restart, and no
//! client loses its session (a token it holds was either never spent, or spent by a
//! response it received).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::Pair;
use crate::helpers::{Reply, ServerProcess, get, login, text};

/// Streams of refreshes running at once (each its own session, alternating A and B).
const STREAMS: usize = 4;
/// Successes each stream needs before the outage and after the recovery.
const WANTED: u32 = 5;
/// How long the database stays away.
const OUTAGE: Duration = Duration::from_secs(3);
/// The most any phase of the test may take.
const DEADLINE: Duration = Duration::from_secs(60);

const BEFORE: u8 = 0;
const DOWN: u8 = 1;
const RECOVERED: u8 = 2;

/// What one stream saw.
#[derive(Debug, Default)]
struct Seen {
    ok: [u32; 3],
    unavailable: u32,
    failures: Vec<String>,
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn a_database_restart_costs_only_503s() {
    let mut pair = Pair::start("outage");
    let phase = Arc::new(AtomicU8::new(BEFORE));
    let pair_ref = Arc::new(PairView::of(&pair));
    let streams: Vec<_> = (0..STREAMS)
        .map(|n| {
            let token = text(&login(&pair.a, &pair.client, "alice"), "refresh_token");
            let (view, phase) = (pair_ref.clone(), phase.clone());
            thread::spawn(move || stream(&view, n, token, &phase))
        })
        .collect();

    thread::sleep(Duration::from_secs(2));
    phase.store(DOWN, Ordering::SeqCst);
    pair.cluster.stop();
    for server in [&pair.a, &pair.b] {
        wait_ready(server, 503);
    }
    thread::sleep(OUTAGE);
    pair.cluster.restart();
    for server in [&pair.a, &pair.b] {
        wait_ready(server, 200);
    }
    phase.store(RECOVERED, Ordering::SeqCst);

    let seen: Vec<Seen> = streams
        .into_iter()
        .map(|t| t.join().expect("stream"))
        .collect();
    for (n, s) in seen.iter().enumerate() {
        assert!(s.failures.is_empty(), "stream {n}: {:?}", s.failures);
        assert!(
            s.ok[BEFORE as usize] >= 1,
            "stream {n} never refreshed before: {s:?}"
        );
        assert!(
            s.ok[RECOVERED as usize] >= WANTED,
            "stream {n} lost its session or never recovered: {s:?}\nA:\n{}\nB:\n{}",
            pair.a.log_text(),
            pair.b.log_text()
        );
    }
    let unavailable: u32 = seen.iter().map(|s| s.unavailable).sum();
    assert!(unavailable > 0, "no request met the outage: {seen:?}");
}

/// What a stream thread needs of the pair: the two base URLs and the client.
pub(crate) struct PairView {
    pub(crate) a: String,
    pub(crate) b: String,
    pub(crate) client: crate::helpers::Client,
}

impl PairView {
    pub(crate) fn of(pair: &Pair) -> Self {
        Self {
            a: pair.a.base.clone(),
            b: pair.b.base.clone(),
            client: pair.client.clone(),
        }
    }
}

/// Refreshes as fast as answers come, alternating instances, until it has enough successes
/// after the recovery (or the deadline).
fn stream(view: &PairView, n: usize, mut token: String, phase: &AtomicU8) -> Seen {
    let mut seen = Seen::default();
    let started = Instant::now();
    let mut turn = n;
    while started.elapsed() < 3 * DEADLINE && seen.failures.len() < 5 {
        if phase.load(Ordering::SeqCst) == RECOVERED && seen.ok[RECOVERED as usize] >= WANTED {
            break;
        }
        turn += 1;
        let base = if turn.is_multiple_of(2) {
            &view.a
        } else {
            &view.b
        };
        let reply = crate::helpers::try_refresh(base, &view.client, &token);
        // The phase when the answer came: a 503 is only fine once the stop has begun.
        let now = phase.load(Ordering::SeqCst);
        match reply {
            Some(reply) if reply.status == 200 => {
                token = text(&reply.json(), "refresh_token");
                seen.ok[usize::from(now)] += 1;
            }
            Some(reply) if reply.status == 503 && now != BEFORE => {
                check_retry_after(&reply, &mut seen);
                thread::sleep(Duration::from_millis(50));
            }
            Some(reply) => seen
                .failures
                .push(format!("phase {now}: {} {}", reply.status, reply.body)),
            None => seen
                .failures
                .push(format!("phase {now}: no answer from {base}")),
        }
    }
    seen
}

fn check_retry_after(reply: &Reply, seen: &mut Seen) {
    seen.unavailable += 1;
    let secs = reply
        .header("Retry-After")
        .and_then(|v| v.parse::<u64>().ok());
    if secs.is_none_or(|s| s < 1) {
        seen.failures
            .push(format!("503 without a Retry-After: {reply:?}"));
    }
}

/// Waits (bounded) until `/readyz` answers `status`.
fn wait_ready(server: &ServerProcess, status: u16) {
    let deadline = Instant::now() + DEADLINE;
    let mut last = 0;
    while Instant::now() < deadline {
        last = get(&server.url("/readyz"), None).status;
        if last == status {
            return;
        }
        thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "/readyz of {} stayed {last}, not {status}; log:\n{}",
        server.base,
        server.log_text()
    );
}
