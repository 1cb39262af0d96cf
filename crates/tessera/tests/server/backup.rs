//! `tessera backup` under a load of logins and refreshes: restored into a fresh data dir, the
//! copy holds every refresh token the server acknowledged before the backup began.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::helpers::{DataDir, ServerProcess, login, refresh, server_with_alice, shown, text};

/// Refresh-token chains rotated until the backup begins.
const CHAINS: usize = 2;
/// Threads logging in (each login a new refresh family) before and during the backup.
const LOGINS: usize = 2;
/// The most requests one thread sends.
const MAX_REQUESTS: usize = 2_000;

#[test]
fn a_backup_under_load_holds_every_refresh_token_acknowledged_before_it_began() {
    let (data, server, client) = server_with_alice();
    let file = data.path().with_file_name("under-load.db");
    // Refresh tokens from logins, each with the moment its answer arrived.
    let logins: Mutex<Vec<(String, Instant)>> = Mutex::new(Vec::new());
    // The last token of each chain, once its thread has stopped rotating.
    let chain_ends: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let (rotating, stopped_chains, rotations, done) = (
        AtomicBool::new(true),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicBool::new(false),
    );
    let deadline = Instant::now() + Duration::from_secs(60);

    let began = std::thread::scope(|scope| {
        for _ in 0..CHAINS {
            scope.spawn(|| {
                let mut current = text(&login(&server, &client, "alice"), "refresh_token");
                for _ in 0..MAX_REQUESTS {
                    if !rotating.load(Ordering::SeqCst) || Instant::now() > deadline {
                        break;
                    }
                    let reply = refresh(&server, &client, &current);
                    assert_eq!(reply.status, 200, "{}", reply.body);
                    current = text(&reply.json(), "refresh_token");
                    rotations.fetch_add(1, Ordering::SeqCst);
                }
                chain_ends.lock().expect("lock").push(current);
                stopped_chains.fetch_add(1, Ordering::SeqCst);
            });
        }
        for _ in 0..LOGINS {
            scope.spawn(|| {
                for _ in 0..MAX_REQUESTS {
                    if done.load(Ordering::SeqCst) || Instant::now() > deadline {
                        break;
                    }
                    let token = text(&login(&server, &client, "alice"), "refresh_token");
                    logins.lock().expect("lock").push((token, Instant::now()));
                }
            });
        }
        std::thread::sleep(Duration::from_millis(500));
        // The chains stop first, so their last tokens are unused when the copy starts; the
        // logins keep writing while it is taken.
        rotating.store(false, Ordering::SeqCst);
        while stopped_chains.load(Ordering::SeqCst) < CHAINS {
            assert!(Instant::now() < deadline, "the chains did not stop");
            std::thread::sleep(Duration::from_millis(5));
        }
        let began = Instant::now();
        data.cli(&["backup", "--output", &shown(&file)], "");
        done.store(true, Ordering::SeqCst);
        began
    });
    drop(server);

    let logins = logins.into_inner().expect("lock");
    let before: Vec<&String> = logins
        .iter()
        .filter(|(_, acked)| *acked < began)
        .map(|(token, _)| token)
        .collect();
    let during = logins.len() - before.len();
    assert!(
        !before.is_empty(),
        "no login was acknowledged before the backup"
    );
    let rotations = rotations.into_inner();
    assert!(rotations > 0, "the chains never rotated");

    let target = DataDir::new();
    std::fs::create_dir_all(target.path()).expect("data dir");
    std::fs::copy(
        data.path().join("master.key"),
        target.path().join("master.key"),
    )
    .expect("master key");
    target.cli(&["restore", &shown(&file)], "");
    let restored = ServerProcess::start(&target);
    let chain_ends = chain_ends.into_inner().expect("lock");
    for token in chain_ends.iter().chain(before.iter().copied()) {
        let reply = refresh(&restored, &client, token);
        assert_eq!(
            reply.status, 200,
            "a token acknowledged before the backup: {}",
            reply.body
        );
    }
    eprintln!(
        "{} login tokens before the backup and {during} during it; {} chains, {rotations} rotations",
        before.len(),
        chain_ends.len()
    );
}
