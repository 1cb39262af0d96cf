//! Expired refresh tokens and revocations are purged in the background while requests go
//! on, so the tables stay as large as the rate times the lifetime, however long the run.
//!
//! Streams of refresh grants, each followed by the revocation of the access token it got,
//! go to two instances with two-second lifetimes and maintenance every second. Once a second
//! the test counts the rows of `refresh_tokens` and `revocations`. The most rows either may
//! hold is what the busiest second inserts, times the lifetime plus the time a purge may
//! lag; the run inserts several times that, so only the purge keeps the counts under it.
//! After the load stops, both tables empty within a lifetime and a few purges.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::Pair;
use crate::helpers::{Client, login, post_form, text, try_refresh};
use crate::outage::PairView;

/// Access tokens (revocation entries) and unused refresh tokens live this long.
const LIFETIME_SECS: u64 = 2;
/// How long the load runs.
const LOAD: Duration = Duration::from_secs(18);
/// Concurrent sessions, each refreshing and revoking in turn.
const STREAMS: usize = 4;
/// The most refresh grants one stream sends, whatever the speed of the machine.
const MAX_PER_STREAM: u64 = 50_000;
/// The longest a row may outlive its lifetime (seconds): a purge runs up to one maintenance
/// interval (1 s) after a row expired, plus a second for whole-second expiry times and a
/// task that a loaded machine runs late.
const PURGE_LAG_SECS: u64 = 2;
/// How long the tables may take to empty after the load.
const DRAIN: Duration = Duration::from_secs(LIFETIME_SECS + PURGE_LAG_SECS + 4);

/// One count of both tables, with the grants sent so far.
#[derive(Clone, Copy, Debug)]
struct Sample {
    at: Duration,
    refresh_rows: u64,
    revocation_rows: u64,
    refreshes: u64,
    revocations: u64,
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb)"]
fn refresh_and_revocation_tables_stay_bounded_under_load() {
    let lifetime = format!("{LIFETIME_SECS}s");
    let settings = [
        ("TESSERA_TOKENS__ACCESS_TTL", lifetime.as_str()),
        ("TESSERA_TOKENS__REFRESH_IDLE_TTL", lifetime.as_str()),
        ("TESSERA_SERVER__MAINTENANCE_INTERVAL", "1s"),
        ("TESSERA_TOKENS__SIGNING_ALG", "ES256"),
    ];
    let grants = ["password", "refresh_token"];
    let pair = Pair::start_with("bounded", &settings, &grants, Duration::ZERO);
    let view = Arc::new(PairView::of(&pair));
    let stop = Arc::new(AtomicBool::new(false));
    let counters = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let streams: Vec<_> = (0..STREAMS)
        .map(|n| {
            let token = text(&login(&pair.a, &pair.client, "alice"), "refresh_token");
            let (view, stop, counters) = (view.clone(), stop.clone(), counters.clone());
            thread::spawn(move || stream(&view, n, token, &stop, &counters))
        })
        .collect();

    let samples = sample_while_loaded(&pair, &counters);
    stop.store(true, Ordering::SeqCst);
    let failures: Vec<String> = streams
        .into_iter()
        .flat_map(|t| t.join().expect("stream"))
        .collect();
    assert!(failures.is_empty(), "{failures:?}");
    let table = show(&samples);
    // Shown with --nocapture: the measured curve.
    eprintln!("{table}");

    let last = samples.last().expect("samples");
    let refresh_bound = bound(&samples, |s| s.refreshes);
    let revocation_bound = bound(&samples, |s| s.revocations);
    // Without a purge the tables would hold every row the run inserted: well past the bound.
    assert!(
        last.refreshes >= 2 * refresh_bound && last.revocations >= 2 * revocation_bound,
        "too little load to tell a purge from none (bounds {refresh_bound}, \
         {revocation_bound}):\n{table}"
    );
    let most = |rows: fn(&Sample) -> u64| samples.iter().map(rows).max().unwrap_or(0);
    assert!(
        most(|s| s.refresh_rows) <= refresh_bound,
        "refresh_tokens grew past {refresh_bound}:\n{table}"
    );
    assert!(
        most(|s| s.revocation_rows) <= revocation_bound,
        "revocations grew past {revocation_bound}:\n{table}"
    );
    let drained = wait_drained(&pair);
    assert_eq!(
        drained,
        (0, 0),
        "rows left {DRAIN:?} after the load (refresh_tokens, revocations):\n{table}"
    );
}

/// Counts the rows once a second while the load runs.
fn sample_while_loaded(pair: &Pair, counters: &[AtomicU64; 2]) -> Vec<Sample> {
    let started = Instant::now();
    let mut samples = Vec::new();
    while started.elapsed() < LOAD {
        thread::sleep(Duration::from_secs(1));
        let (refresh_rows, revocation_rows) = counts(pair);
        samples.push(Sample {
            at: started.elapsed(),
            refresh_rows,
            revocation_rows,
            refreshes: counters[0].load(Ordering::SeqCst),
            revocations: counters[1].load(Ordering::SeqCst),
        });
    }
    samples
}

/// The most rows a table may hold: the most inserted in any one sampling interval (per
/// second), times the lifetime and the purge lag, plus one live refresh token per stream.
fn bound(samples: &[Sample], inserted: fn(&Sample) -> u64) -> u64 {
    let busiest = samples
        .windows(2)
        .map(|w| {
            let rows = inserted(&w[1]).saturating_sub(inserted(&w[0]));
            let secs = (w[1].at - w[0].at).as_secs_f64().max(0.5);
            rows as f64 / secs
        })
        .fold(0.0, f64::max);
    let span = (LIFETIME_SECS + PURGE_LAG_SECS) as f64;
    (busiest * span).ceil() as u64 + STREAMS as u64
}

/// Waits until both tables are empty (or [`DRAIN`] has passed); the last counts.
fn wait_drained(pair: &Pair) -> (u64, u64) {
    let deadline = Instant::now() + DRAIN;
    loop {
        let rows = counts(pair);
        if rows == (0, 0) || Instant::now() >= deadline {
            return rows;
        }
        thread::sleep(Duration::from_millis(250));
    }
}

/// Rows in `refresh_tokens` and `revocations` now.
fn counts(pair: &Pair) -> (u64, u64) {
    let out = pair.cluster.query(
        "bounded",
        "SELECT (SELECT count(*) FROM refresh_tokens), (SELECT count(*) FROM revocations)",
    );
    let mut numbers = out.split('|').map(|n| n.parse::<u64>().expect("a count"));
    let refresh = numbers.next().expect("refresh_tokens");
    let revocations = numbers.next().expect("revocations");
    (refresh, revocations)
}

/// Refreshes at one instance and revokes the new access token at the other, in turn, until
/// told to stop (or [`MAX_PER_STREAM`]); answers what went wrong.
fn stream(
    view: &PairView,
    n: usize,
    mut token: String,
    stop: &AtomicBool,
    counters: &[AtomicU64; 2],
) -> Vec<String> {
    let mut failures = Vec::new();
    let mut sent = 0;
    while !stop.load(Ordering::SeqCst) && sent < MAX_PER_STREAM && failures.len() < 5 {
        sent += 1;
        let (here, there) = if (n as u64 + sent).is_multiple_of(2) {
            (&view.a, &view.b)
        } else {
            (&view.b, &view.a)
        };
        let Some(reply) = try_refresh(here, &view.client, &token) else {
            failures.push(format!("stream {n}: no answer from {here}"));
            continue;
        };
        if reply.status != 200 {
            failures.push(format!(
                "stream {n}: refresh {} {}",
                reply.status, reply.body
            ));
            continue;
        }
        counters[0].fetch_add(1, Ordering::SeqCst);
        let json = reply.json();
        token = text(&json, "refresh_token");
        if revoke(there, &view.client, &text(&json, "access_token")) {
            counters[1].fetch_add(1, Ordering::SeqCst);
        } else {
            failures.push(format!("stream {n}: revocation at {there} failed"));
        }
    }
    failures
}

/// RFC 7009 revocation of an access token.
fn revoke(base: &str, client: &Client, access: &str) -> bool {
    let reply = post_form(
        &format!("{base}/oauth/revoke"),
        Some(&client.basic()),
        &[("token", access), ("token_type_hint", "access_token")],
    );
    reply.status == 200
}

/// The samples as a table, for failure messages.
fn show(samples: &[Sample]) -> String {
    let mut out = String::from("t(s)\trefresh_rows\trevocation_rows\trefreshes\trevocations\n");
    for s in samples {
        out.push_str(&format!(
            "{:.1}\t{}\t{}\t{}\t{}\n",
            s.at.as_secs_f64(),
            s.refresh_rows,
            s.revocation_rows,
            s.refreshes,
            s.revocations
        ));
    }
    out
}
