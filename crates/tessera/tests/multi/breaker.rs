//! A PostgreSQL outage under load, with the default database settings (a 10 s acquire
//! timeout): every request made while the database is away is answered at once (well under
//! a second, not after the acquire timeout) with `503 temporarily_unavailable` and
//! `Retry-After`, and the same process serves again once the database is back.
//!
//! The database is stopped as `pg_ctl stop -m immediate` does: the pool's connections break
//! and new ones are refused, the case in which the pool alone would retry for the whole
//! acquire timeout. Once with requests in flight at the stop (one of them fails at once and
//! opens the breaker), once between requests (no request sees a broken query: the first ones
//! find the pool's connections dead and new ones refused).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::helpers::{
    Client, DataDir, PASSWORD, Reply, ServerProcess, get, login, post_form, text,
};
use crate::pg::Cluster;
use crate::{MASTER_KEY, cli};

/// Clients sending requests at once.
const WORKERS: usize = 4;
/// The most requests one worker sends, and the pause between two of them.
const MAX_REQUESTS: usize = 4_000;
const PAUSE: Duration = Duration::from_millis(20);
/// How long the load runs before the stop, and how long the database stays away.
const WARM_UP: Duration = Duration::from_secs(2);
const OUTAGE: Duration = Duration::from_secs(4);
/// How long nothing is sent after a quiet or cold stop.
const QUIET: Duration = Duration::from_secs(1);
/// Every answer from the stop on comes within this (the acquire timeout is 10 times more).
const FAST: Duration = Duration::from_secs(1);
/// The server must serve again within this of the database being back.
const RECOVERY: Duration = Duration::from_secs(30);
/// Successes after the restart that end the load.
const WANTED_AFTER: usize = 40;
/// The most the load may run in all.
const DEADLINE: Duration = Duration::from_secs(90);

/// The database answers.
const UP: u8 = 0;
/// No request is sent (the quiet stop waits for the ones in flight to end).
const HELD: u8 = 5;
/// The stop signal is sent, the server not yet gone.
const STOPPING: u8 = 1;
/// The database is gone.
const DOWN: u8 = 2;
/// The database is starting again.
const RESTARTING: u8 = 3;
/// The database accepts connections again.
const BACK: u8 = 4;

/// One request and its answer.
#[derive(Debug)]
struct Sample {
    what: &'static str,
    /// The phase when it was sent and when its answer came.
    sent: u8,
    answered: u8,
    /// When it was sent, from the start of the test.
    at: Duration,
    latency: Duration,
    reply: Reply,
}

/// What the workers share.
struct Load {
    base: String,
    client: Client,
    bearer: String,
    epoch: Instant,
    phase: AtomicU8,
    done: AtomicBool,
    ok_after: AtomicUsize,
    in_flight: AtomicUsize,
}

/// When the database stops, relative to the requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// With requests in flight: one of them fails at once and opens the breaker.
    UnderLoad,
    /// Between requests: the pool holds connections the database has closed.
    Quiet,
    /// Before the server has used its pool much (an instance just started).
    Cold,
    /// The database's processes are frozen instead of stopped, as a hung host: connections
    /// are accepted by the kernel and nothing answers, on them or on the open ones. The
    /// pool alone would wait for its acquire timeout, and a query in flight for good.
    Frozen,
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb, pg_ctl) and the postgres OS user"]
fn an_outage_under_load_is_answered_at_once_with_the_default_settings() {
    outage(Stop::UnderLoad);
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb, pg_ctl) and the postgres OS user"]
fn an_outage_between_requests_is_answered_at_once_with_the_default_settings() {
    outage(Stop::Quiet);
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb, pg_ctl) and the postgres OS user"]
fn an_outage_before_the_pool_is_used_is_answered_at_once_with_the_default_settings() {
    outage(Stop::Cold);
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb, pg_ctl) and the postgres OS user"]
fn a_database_that_stops_answering_is_answered_at_once_with_the_default_settings() {
    outage(Stop::Frozen);
}

/// Load, a stop of the database, load during the outage, a restart, load until the server
/// serves again; then the checks.
fn outage(stop: Stop) {
    assert!(
        crate::pg::server_binaries().is_some(),
        "{}",
        crate::pg::NEEDS
    );
    let mut cluster = Cluster::start();
    // The database, the key and one issuer for both instances: every database timeout
    // keeps its default.
    let env = vec![
        (
            "TESSERA_DATABASE_URL".to_owned(),
            cluster.create_database("breaker"),
        ),
        ("TESSERA_MASTER_KEY".to_owned(), MASTER_KEY.to_owned()),
        (
            "TESSERA_SERVER__ISSUER".to_owned(),
            crate::ISSUER.to_owned(),
        ),
    ];
    let dir = DataDir::new();
    cli(
        &dir,
        &env,
        &["user", "add", "alice", "--password-stdin"],
        PASSWORD,
    );
    let args = [
        "client",
        "add",
        "app",
        "--grant",
        "client_credentials",
        "--grant",
        "password",
    ];
    let out: serde_json::Value = serde_json::from_str(&cli(&dir, &env, &args, "")).expect("JSON");
    let client = Client {
        id: text(&out, "client_id"),
        secret: Some(text(&out, "client_secret")),
    };
    // The access token comes from another instance on the same database, so that a cold
    // server has not used its pool before the stop.
    let bearer = {
        let other = ServerProcess::start_with(&DataDir::new(), &crate::env_refs(&env));
        text(&login(&other, &client, "alice"), "access_token")
    };
    let server = ServerProcess::start_with(&dir, &crate::env_refs(&env));
    let load = Arc::new(Load {
        base: server.base.clone(),
        client,
        bearer,
        epoch: Instant::now(),
        phase: AtomicU8::new(if stop == Stop::Cold { HELD } else { UP }),
        done: AtomicBool::new(false),
        ok_after: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
    });
    let workers: Vec<_> = (0..WORKERS)
        .map(|n| {
            let load = Arc::clone(&load);
            thread::spawn(move || work(&load, n))
        })
        .collect();

    if stop != Stop::Cold {
        thread::sleep(WARM_UP);
    }
    if stop == Stop::Quiet {
        hold(&load);
    }
    load.phase.store(STOPPING, Ordering::SeqCst);
    if stop == Stop::Frozen {
        cluster.freeze();
    } else {
        cluster.stop_immediately();
    }
    if matches!(stop, Stop::Quiet | Stop::Cold) {
        // Nothing reaches the server for a while: the pool's idle connections are dead
        // and its first requests find every new connection refused.
        load.phase.store(HELD, Ordering::SeqCst);
        thread::sleep(QUIET);
    }
    load.phase.store(DOWN, Ordering::SeqCst);
    let stopped = load.epoch.elapsed();
    thread::sleep(OUTAGE);
    load.phase.store(RESTARTING, Ordering::SeqCst);
    if stop == Stop::Frozen {
        cluster.thaw();
    } else {
        cluster.restart();
    }
    load.phase.store(BACK, Ordering::SeqCst);
    let back = load.epoch.elapsed();
    let waiting = Instant::now();
    while load.ok_after.load(Ordering::SeqCst) < WANTED_AFTER && waiting.elapsed() < RECOVERY {
        thread::sleep(Duration::from_millis(50));
    }
    load.done.store(true, Ordering::SeqCst);
    let samples: Vec<Sample> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("worker"))
        .collect();

    report(&samples, stopped, back);
    check(&samples, back, &server);
}

/// Stops the load and waits (bounded) until no request is in flight.
fn hold(load: &Load) {
    load.phase.store(HELD, Ordering::SeqCst);
    let started = Instant::now();
    while load.in_flight.load(Ordering::SeqCst) > 0 {
        assert!(started.elapsed() < FAST, "requests still in flight");
        thread::sleep(Duration::from_millis(5));
    }
}

/// Sends client credentials grants and `/userinfo` requests in turn until told to stop.
fn work(load: &Load, n: usize) -> Vec<Sample> {
    let mut samples = Vec::new();
    for i in 0..MAX_REQUESTS {
        if load.done.load(Ordering::SeqCst) || load.epoch.elapsed() > DEADLINE {
            break;
        }
        load.in_flight.fetch_add(1, Ordering::SeqCst);
        let sent = load.phase.load(Ordering::SeqCst);
        if sent == HELD {
            load.in_flight.fetch_sub(1, Ordering::SeqCst);
            thread::sleep(Duration::from_millis(5));
            continue;
        }
        let at = load.epoch.elapsed();
        let started = Instant::now();
        let (what, reply) = if (i + n).is_multiple_of(2) {
            let reply = post_form(
                &format!("{}/oauth/token", load.base),
                Some(&load.client.basic()),
                &[("grant_type", "client_credentials")],
            );
            ("client_credentials", reply)
        } else {
            let url = format!("{}/userinfo", load.base);
            ("userinfo", get(&url, Some(&load.bearer)))
        };
        let latency = started.elapsed();
        let answered = load.phase.load(Ordering::SeqCst);
        load.in_flight.fetch_sub(1, Ordering::SeqCst);
        if answered == BACK && sent == BACK && reply.status == 200 {
            load.ok_after.fetch_add(1, Ordering::SeqCst);
        }
        samples.push(Sample {
            what,
            sent,
            answered,
            at,
            latency,
            reply,
        });
        thread::sleep(PAUSE);
    }
    samples
}

/// Prints what the outage looked like (shown with `--nocapture`).
fn report(samples: &[Sample], stopped: Duration, back: Duration) {
    let slowest = |phase: u8| {
        samples
            .iter()
            .filter(|s| s.sent == phase || s.answered == phase)
            .map(|s| s.latency)
            .max()
            .unwrap_or_default()
    };
    let during: Vec<&Sample> = samples.iter().filter(|s| s.sent == DOWN).collect();
    let mut latencies: Vec<Duration> = during.iter().map(|s| s.latency).collect();
    latencies.sort();
    let median = latencies
        .get(latencies.len() / 2)
        .copied()
        .unwrap_or_default();
    let first_ok = samples
        .iter()
        .filter(|s| s.sent == BACK && s.reply.status == 200)
        .map(|s| s.at + s.latency)
        .min();
    eprintln!(
        "requests: {} in all, {} sent while the database was down (median {median:?}, \
         slowest {:?}); slowest while stopping {:?}, restarting {:?}, after {:?}; \
         stopped at {stopped:?}, back at {back:?}, first success {:?} after it is back",
        samples.len(),
        during.len(),
        latencies.last().copied().unwrap_or_default(),
        slowest(STOPPING),
        slowest(RESTARTING),
        slowest(BACK),
        first_ok.map(|t| t.saturating_sub(back)),
    );
}

fn check(samples: &[Sample], back: Duration, server: &ServerProcess) {
    let log = || server.log_text();
    for s in samples.iter().filter(|s| s.answered == UP) {
        assert_eq!(s.reply.status, 200, "before the outage: {s:?}");
    }
    let during: Vec<&Sample> = samples.iter().filter(|s| s.sent == DOWN).collect();
    assert!(
        during.len() >= 20,
        "too few requests met the outage: {}",
        during.len()
    );
    for s in &during {
        assert_unavailable(s);
    }
    // From the stop on, whatever the phase, every answer is a success or a prompt 503.
    for s in samples.iter().filter(|s| s.answered != UP) {
        assert!(s.latency < FAST, "answered after {:?}: {s:?}", s.latency);
        if s.reply.status != 200 {
            assert_unavailable(s);
        }
    }
    for what in ["client_credentials", "userinfo"] {
        let recovered = samples
            .iter()
            .filter(|s| s.what == what && s.sent == BACK && s.reply.status == 200)
            .count();
        assert!(
            recovered >= 5,
            "{what}: {recovered} successes within {RECOVERY:?} of the database being back \
             (at {back:?}); log:\n{}",
            log()
        );
    }
}

/// `503`, `Retry-After` of at least a second, the RFC 6749 JSON error, promptly.
fn assert_unavailable(s: &Sample) {
    assert_eq!(s.reply.status, 503, "{s:?}");
    let retry = s
        .reply
        .header("retry-after")
        .and_then(|v| v.parse::<u64>().ok());
    assert!(retry.is_some_and(|secs| secs >= 1), "Retry-After: {s:?}");
    assert!(
        s.reply
            .header("content-type")
            .is_some_and(|v| v.starts_with("application/json")),
        "JSON: {s:?}"
    );
    assert_eq!(s.reply.error(), "temporarily_unavailable", "{s:?}");
    assert!(s.latency < FAST, "503 after {:?}: {s:?}", s.latency);
}
