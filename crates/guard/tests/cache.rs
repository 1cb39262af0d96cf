//! The JWKS cache against a local issuer that counts fetches: single flight, the cooldown on
//! unknown kids, stale keys through an outage within the grace, background refresh, and the
//! bounds on `Cache-Control`.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;
use tessera_jose::Algorithm;

use common::{FakeIssuer, header_for, key, sign_raw};

const MS: fn(u64) -> Duration = Duration::from_millis;

/// Polls `condition` every 10 ms until it holds or 10 s pass.
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(MS(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_kid_is_fetched_once_however_many_requests_wait() {
    let issuer = FakeIssuer::start().await;
    let guard = issuer
        .guard_with(|b| {
            b.without_revocation_feed()
                .jwks_refetch_cooldown(Duration::ZERO)
        })
        .await;
    assert_eq!(issuer.fetches(), 1);
    // Rotation: a new key signs, and the guard has not seen it yet.
    let new = key(Algorithm::ES256);
    let old = issuer.state.keys.lock().expect("lock").remove(0);
    issuer.set_keys(vec![new, old]);
    let token = issuer.token(json!({}));
    issuer.hold();
    let waiting: Vec<_> = (0..50)
        .map(|_| {
            let (guard, token) = (guard.clone(), token.clone());
            tokio::spawn(async move { guard.verify(&token).await })
        })
        .collect();
    eventually("the refetch to start", || issuer.fetches() == 2).await;
    tokio::time::sleep(MS(200)).await;
    issuer.release();
    for task in waiting {
        assert!(task.await.expect("join").is_ok());
    }
    assert_eq!(issuer.fetches(), 2);
}

#[tokio::test]
async fn unknown_kids_refetch_at_most_once_per_cooldown() {
    let issuer = FakeIssuer::start().await;
    let cooldown = Duration::from_secs(1);
    let guard = issuer
        .guard_with(|b| b.without_revocation_feed().jwks_refetch_cooldown(cooldown))
        .await;
    let before = issuer.fetches();
    tokio::time::sleep(cooldown + MS(100)).await;
    let late = key(Algorithm::ES256);
    let claims = issuer.claims(json!({})).to_string();
    let late_token = sign_raw(&late, &header_for(&late).to_string(), &claims);
    let refused = guard.verify(&late_token).await.map_err(|e| e.code());
    assert_eq!(refused.err(), Some("kid_unknown"));
    assert_eq!(issuer.fetches(), before + 1);
    for _ in 0..20 {
        let forged = key(Algorithm::ES256);
        let token = sign_raw(&forged, &header_for(&forged).to_string(), &claims);
        assert!(guard.verify(&token).await.is_err());
    }
    // The key is published now, but the cooldown holds.
    issuer.add_key(late);
    assert!(guard.verify(&late_token).await.is_err());
    assert_eq!(issuer.fetches(), before + 1);
    tokio::time::sleep(cooldown + MS(100)).await;
    assert!(guard.verify(&late_token).await.is_ok());
    assert_eq!(issuer.fetches(), before + 2);
}

#[tokio::test]
async fn stale_keys_are_served_through_an_outage_until_the_grace_ends() {
    let issuer = FakeIssuer::start().await;
    let guard = issuer
        .guard_with(|b| {
            b.without_revocation_feed()
                .jwks_cache_bounds(MS(200), MS(200))
                .jwks_stale_grace(MS(1500))
                .jwks_refetch_cooldown(MS(100))
        })
        .await;
    let token = issuer.token(json!({}));
    issuer.state.jwks_status.store(500, Ordering::SeqCst);
    let fetches = issuer.fetches();
    tokio::time::sleep(MS(400)).await;
    assert!(
        guard.verify(&token).await.is_ok(),
        "stale keys within the grace"
    );
    eventually("a background refresh", || issuer.fetches() > fetches).await;
    assert!(
        guard.verify(&token).await.is_ok(),
        "the failed refresh kept the keys"
    );
    tokio::time::sleep(MS(1500)).await;
    let refused = guard.verify(&token).await.map_err(|e| e.code());
    assert_eq!(refused.err(), Some("keys_unavailable"));
    // Fetches through the outage were spaced by the cooldown, not one per request.
    let during = issuer.fetches() - fetches;
    assert!(
        during <= 4,
        "{during} fetches in 1.9 s with a 100 ms cooldown"
    );
    issuer.state.jwks_status.store(200, Ordering::SeqCst);
    tokio::time::sleep(MS(150)).await;
    assert!(guard.verify(&token).await.is_ok(), "recovered");
}

#[tokio::test]
async fn a_stale_cache_refreshes_in_the_background_without_blocking_requests() {
    let issuer = FakeIssuer::start().await;
    let guard = issuer
        .guard_with(|b| {
            b.without_revocation_feed()
                .jwks_cache_bounds(MS(100), MS(100))
        })
        .await;
    let token = issuer.token(json!({}));
    let fetches = issuer.fetches();
    tokio::time::sleep(MS(200)).await;
    issuer.hold();
    // The refresh hangs on the held JWKS, yet requests are answered from the cache.
    for _ in 0..5 {
        assert!(guard.verify(&token).await.is_ok());
    }
    eventually("the background refresh", || issuer.fetches() == fetches + 1).await;
    assert!(guard.verify(&token).await.is_ok());
    assert_eq!(
        issuer.fetches(),
        fetches + 1,
        "one refresh in flight at a time"
    );
    issuer.release();
}

#[tokio::test]
async fn cache_control_is_honoured_within_the_bounds() {
    // `no-cache` would mean a fetch per request: the lower bound holds it to one per second.
    let issuer = FakeIssuer::start().await;
    *issuer.state.cache_control.lock().expect("lock") = "no-cache".into();
    let guard = issuer
        .guard_with(|b| {
            b.without_revocation_feed()
                .jwks_cache_bounds(Duration::from_secs(1), MS(2000))
        })
        .await;
    let token = issuer.token(json!({}));
    let fetches = issuer.fetches();
    for _ in 0..10 {
        assert!(guard.verify(&token).await.is_ok());
    }
    assert_eq!(issuer.fetches(), fetches);
    tokio::time::sleep(MS(1100)).await;
    assert!(guard.verify(&token).await.is_ok());
    eventually("a refresh after the minimum", || {
        issuer.fetches() == fetches + 1
    })
    .await;

    // A year-long max-age is cut to the upper bound.
    let issuer = FakeIssuer::start().await;
    *issuer.state.cache_control.lock().expect("lock") = "public, max-age=31536000".into();
    let guard = issuer
        .guard_with(|b| {
            b.without_revocation_feed()
                .jwks_cache_bounds(MS(100), MS(300))
        })
        .await;
    let fetches = issuer.fetches();
    tokio::time::sleep(MS(400)).await;
    assert!(guard.verify(&issuer.token(json!({}))).await.is_ok());
    eventually("a refresh after the maximum", || {
        issuer.fetches() == fetches + 1
    })
    .await;
}

#[tokio::test]
async fn a_remembered_token_is_refused_once_its_key_is_withdrawn() {
    let issuer = FakeIssuer::start().await;
    let guard = issuer
        .guard_with(|b| {
            b.without_revocation_feed()
                .jwks_cache_bounds(MS(100), MS(100))
                .jwks_refetch_cooldown(Duration::ZERO)
        })
        .await;
    let token = issuer.token(json!({}));
    assert!(guard.verify(&token).await.is_ok());
    assert!(guard.verify(&token).await.is_ok(), "seen before");
    // The issuer withdraws the key (a compromised key retired in a hurry).
    issuer.set_keys(vec![key(Algorithm::ES256)]);
    // Once the set is refreshed (in the background, after 100 ms), the token is refused.
    let deadline = Instant::now() + Duration::from_secs(10);
    let refused = loop {
        match guard.verify(&token).await {
            Ok(_) => assert!(Instant::now() < deadline, "still accepted"),
            Err(rejection) => break rejection.code(),
        }
        tokio::time::sleep(MS(20)).await;
    };
    assert_eq!(refused, "kid_unknown");
}
