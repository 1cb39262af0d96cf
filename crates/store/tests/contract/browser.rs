//! Browser sign-in: login sessions, codes, consents and the logout outbox.

use std::sync::Arc;
use std::time::Duration;

use tessera_core::model::{
    AuthorizationCode, ClientWeb, CodeOutcome, Consent, LoginSession, LogoutNotice, NoticeOutcome,
    Session,
};
use tessera_core::scope::Scope;
use tessera_core::{Store, StoreError};

use crate::fixtures::{NOW, at, client, is_conflict, is_live, refresh, seed, session};

/// A login session of `u1`, live for an hour idle and a day in all, from [`NOW`].
fn login(id: &str, secret: &[u8]) -> LoginSession {
    LoginSession {
        id: id.into(),
        secret_hash: secret.to_vec(),
        user_id: "u1".into(),
        auth_time: NOW,
        amr: vec!["pwd".into()],
        acr: None,
        created_at: NOW,
        last_seen_at: NOW,
        idle_expires_at: at(3_600),
        expires_at: at(86_400),
        ended_at: None,
    }
}

/// A code for `c1` in login session `l1`, valid for 60 s from [`NOW`].
fn code(hash: &[u8]) -> AuthorizationCode {
    AuthorizationCode {
        hash: hash.to_vec(),
        client_id: "c1".into(),
        redirect_uri: "https://app.example.test/cb".into(),
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        user_id: "u1".into(),
        login_session_id: "l1".into(),
        scope: Scope::parse("openid orders:read").unwrap(),
        nonce: Some("n-0S6_WzA2Mj".into()),
        auth_time: NOW,
        amr: vec!["pwd".into()],
        acr: Some("1".into()),
        created_at: NOW,
        expires_at: at(60),
    }
}

/// A notice for `c1` about login session `l1`, due at [`NOW`].
fn notice(id: &str) -> LogoutNotice {
    LogoutNotice {
        id: id.into(),
        client_id: "c1".into(),
        uri: "https://app.example.test/backchannel".into(),
        login_session_id: "l1".into(),
        user_id: "u1".into(),
        jti: format!("jti-{id}").into(),
        created_at: NOW,
        attempts: 0,
        next_attempt_at: NOW,
    }
}

/// Seeds `u1`, `c1` and login session `l1` (secret `k1`).
async fn seed_login<S: Store>(store: &S) {
    seed(store).await;
    store
        .create_login_session(&login("l1", b"k1"))
        .await
        .unwrap();
}

/// The family a code exchange creates.
fn family(id: &str) -> Session {
    Session {
        login_session_id: Some("l1".into()),
        ..session(id, "u1", "c1")
    }
}

pub async fn login_session_round_trips<S: Store>(store: S) {
    seed_login(&store).await;
    let stored = login("l1", b"k1");
    assert_eq!(
        store.login_session_by_secret(b"k1").await.unwrap(),
        Some(stored.clone())
    );
    assert_eq!(
        store.login_session_by_id(&"l1".into()).await.unwrap(),
        Some(stored.clone())
    );
    assert_eq!(store.login_session_by_secret(b"k2").await.unwrap(), None);
    assert_eq!(store.login_session_by_id(&"l2".into()).await.unwrap(), None);
    assert_eq!(
        store.login_session_by_id(&"l\0".into()).await.unwrap(),
        None,
        "a NUL finds nothing"
    );
    let same_secret = store.create_login_session(&login("l2", b"k1")).await;
    assert!(is_conflict(same_secret), "a taken secret conflicts");
    let same_id = store.create_login_session(&login("l1", b"k9")).await;
    assert!(is_conflict(same_id), "a taken id conflicts");
    let stranger = LoginSession {
        user_id: "nobody".into(),
        ..login("l3", b"k3")
    };
    assert_eq!(
        store.create_login_session(&stranger).await,
        Err(StoreError::NotFound)
    );
}

pub async fn touch_moves_idle_expiry_but_never_past_the_end<S: Store>(store: S) {
    seed_login(&store).await;
    store
        .touch_login_session(&"l1".into(), at(100), at(3_700))
        .await
        .unwrap();
    let touched = store
        .login_session_by_id(&"l1".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.last_seen_at, at(100));
    assert_eq!(touched.idle_expires_at, at(3_700));
    store
        .touch_login_session(&"l1".into(), at(200), at(999_999))
        .await
        .unwrap();
    let capped = store
        .login_session_by_id(&"l1".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        capped.idle_expires_at,
        at(86_400),
        "capped at the absolute end"
    );
    // Past its idle expiry, a session is not revived.
    store
        .touch_login_session(&"l1".into(), at(90_000), at(93_600))
        .await
        .unwrap();
    let dead = store
        .login_session_by_id(&"l1".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dead.last_seen_at, at(200));
}

pub async fn reauthenticate_replaces_the_secret<S: Store>(store: S) {
    seed_login(&store).await;
    let amr = vec!["pwd".to_owned(), "otp".to_owned()];
    let done = store
        .reauthenticate(&"l1".into(), b"k2", &amr, Some("2"), at(50), at(3_650))
        .await
        .unwrap();
    assert!(done);
    assert_eq!(store.login_session_by_secret(b"k1").await.unwrap(), None);
    let again = store.login_session_by_secret(b"k2").await.unwrap().unwrap();
    assert_eq!(again.auth_time, at(50));
    assert_eq!(again.amr, amr);
    assert_eq!(again.acr.as_deref(), Some("2"));
    assert_eq!(again.idle_expires_at, at(3_650));
    store
        .end_login_session(&"l1".into(), at(60), &[])
        .await
        .unwrap();
    let ended = store
        .reauthenticate(&"l1".into(), b"k3", &amr, None, at(70), at(3_670))
        .await
        .unwrap();
    assert!(!ended, "an ended session cannot be signed into again");
    assert_eq!(store.login_session_by_secret(b"k3").await.unwrap(), None);
}

pub async fn login_sessions_of_lists_live_ones_oldest_first<S: Store>(store: S) {
    seed_login(&store).await;
    let later = LoginSession {
        created_at: at(10),
        ..login("l0", b"k0")
    };
    store.create_login_session(&later).await.unwrap();
    let short = LoginSession {
        idle_expires_at: at(20),
        ..login("l2", b"k2")
    };
    store.create_login_session(&short).await.unwrap();
    let ids = |found: Vec<LoginSession>| {
        found
            .into_iter()
            .map(|s| s.id.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    let live = store.login_sessions_of(&"u1".into(), at(30)).await.unwrap();
    assert_eq!(ids(live), ["l1", "l0"]);
    store
        .end_login_session(&"l1".into(), at(40), &[])
        .await
        .unwrap();
    let live = store.login_sessions_of(&"u1".into(), at(41)).await.unwrap();
    assert_eq!(ids(live), ["l0"]);
    let nobody = store.login_sessions_of(&"u2".into(), at(41)).await.unwrap();
    assert!(nobody.is_empty());
}

pub async fn noted_clients_are_listed_once<S: Store>(store: S) {
    seed_login(&store).await;
    store.create_client(&client("c2")).await.unwrap();
    for client in ["c2", "c1", "c2"] {
        store
            .note_login_client(&"l1".into(), &client.into(), NOW)
            .await
            .unwrap();
    }
    let noted = store.login_session_clients(&"l1".into()).await.unwrap();
    let noted: Vec<&str> = noted.iter().map(|c| c.as_str()).collect();
    assert_eq!(noted, ["c1", "c2"]);
    let unknown = store
        .note_login_client(&"l1".into(), &"nope".into(), NOW)
        .await;
    assert_eq!(unknown, Err(StoreError::NotFound));
    assert!(
        store
            .login_session_clients(&"l9".into())
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn ending_revokes_families_and_queues_notices_once<S: Store>(store: S) {
    seed_login(&store).await;
    store.create_code(&code(b"c-1")).await.unwrap();
    let exchanged = store
        .exchange_code(
            b"c-1",
            at(1),
            &family("s1"),
            &refresh(b"t1", "s1", NOW),
            &"a1".into(),
            at(901),
        )
        .await
        .unwrap();
    assert!(matches!(exchanged, CodeOutcome::Exchanged(_)));
    assert!(is_live(&store, "s1", at(2)).await);
    let ended = store
        .end_login_session(&"l1".into(), at(5), &[notice("n1")])
        .await
        .unwrap();
    assert!(ended);
    assert!(
        !is_live(&store, "s1", at(6)).await,
        "the family went with it"
    );
    let stored = store
        .login_session_by_id(&"l1".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.ended_at, Some(at(5)));
    assert!(!stored.is_live(at(6)));
    let again = store
        .end_login_session(&"l1".into(), at(7), &[notice("n2")])
        .await
        .unwrap();
    assert!(!again, "a second end is a no-op");
    let pending = store.pending_logout_notices().await.unwrap();
    assert_eq!(
        pending,
        vec![notice("n1")],
        "only the first end queued a notice"
    );
}

pub async fn a_code_is_exchanged_once_then_replayed<S: Store>(store: S) {
    seed_login(&store).await;
    store.create_code(&code(b"c-1")).await.unwrap();
    assert!(is_conflict(store.create_code(&code(b"c-1")).await));
    assert_eq!(
        store.code_by_hash(b"c-1", at(1)).await.unwrap(),
        Some(code(b"c-1"))
    );
    let first = store
        .exchange_code(
            b"c-1",
            at(2),
            &family("s1"),
            &refresh(b"t1", "s1", NOW),
            &"a1".into(),
            at(902),
        )
        .await
        .unwrap();
    assert_eq!(first, CodeOutcome::Exchanged(Box::new(code(b"c-1"))));
    assert_eq!(
        store.session_by_id(&"s1".into()).await.unwrap(),
        Some(family("s1")),
        "the exchange stored the family"
    );
    assert_eq!(
        store.code_by_hash(b"c-1", at(3)).await.unwrap(),
        None,
        "spent"
    );
    let replay = store
        .exchange_code(
            b"c-1",
            at(4),
            &family("s2"),
            &refresh(b"t2", "s2", NOW),
            &"a2".into(),
            at(904),
        )
        .await
        .unwrap();
    assert_eq!(
        replay,
        CodeOutcome::Replayed {
            session_id: "s1".into(),
            jti: "a1".into(),
            exp: at(902),
        }
    );
    assert_eq!(store.session_by_id(&"s2".into()).await.unwrap(), None);
}

pub async fn unknown_or_expired_codes_are_invalid<S: Store>(store: S) {
    seed_login(&store).await;
    store.create_code(&code(b"c-1")).await.unwrap();
    assert_eq!(store.code_by_hash(b"c-1", at(60)).await.unwrap(), None);
    let late = store
        .exchange_code(
            b"c-1",
            at(60),
            &family("s1"),
            &refresh(b"t1", "s1", NOW),
            &"a1".into(),
            at(960),
        )
        .await
        .unwrap();
    assert_eq!(late, CodeOutcome::Invalid);
    let unknown = store
        .exchange_code(
            b"c-9",
            at(1),
            &family("s1"),
            &refresh(b"t1", "s1", NOW),
            &"a1".into(),
            at(901),
        )
        .await
        .unwrap();
    assert_eq!(unknown, CodeOutcome::Invalid);
    assert_eq!(store.session_by_id(&"s1".into()).await.unwrap(), None);
}

pub async fn a_failed_exchange_leaves_the_code_unspent<S: Store>(store: S) {
    seed_login(&store).await;
    store.create_code(&code(b"c-1")).await.unwrap();
    let orphan = Session {
        client_id: "no-client".into(),
        ..family("s1")
    };
    let failed = store
        .exchange_code(
            b"c-1",
            at(1),
            &orphan,
            &refresh(b"t1", "s1", NOW),
            &"a1".into(),
            at(901),
        )
        .await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(
        store.code_by_hash(b"c-1", at(2)).await.unwrap(),
        Some(code(b"c-1")),
        "the whole exchange rolled back"
    );
}

pub async fn concurrent_exchanges_have_one_winner<S: Store>(store: S) {
    seed_login(&store).await;
    store.create_code(&code(b"c-1")).await.unwrap();
    let store = Arc::new(store);
    let tasks: Vec<_> = (0..12u8)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let id = format!("s{i}");
                let first = refresh(&[b't', i], &id, NOW);
                let jti = format!("a{i}").into();
                store
                    .exchange_code(b"c-1", at(1), &family(&id), &first, &jti, at(901))
                    .await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap().unwrap());
    }
    let won: Vec<_> = outcomes
        .iter()
        .filter(|o| matches!(o, CodeOutcome::Exchanged(_)))
        .collect();
    assert_eq!(won.len(), 1, "{outcomes:?}");
    let replays = outcomes
        .iter()
        .filter(|o| matches!(o, CodeOutcome::Replayed { .. }))
        .count();
    assert_eq!(replays, 11, "{outcomes:?}");
}

pub async fn consent_is_saved_and_replaced<S: Store>(store: S) {
    seed(&store).await;
    assert_eq!(
        store.consent_of(&"u1".into(), &"c1".into()).await.unwrap(),
        None
    );
    let first = Consent {
        user_id: "u1".into(),
        client_id: "c1".into(),
        scope: Scope::parse("openid").unwrap(),
        granted_at: NOW,
    };
    store.save_consent(&first).await.unwrap();
    let more = Consent {
        scope: Scope::parse("openid orders:read").unwrap(),
        granted_at: at(5),
        ..first.clone()
    };
    store.save_consent(&more).await.unwrap();
    assert_eq!(
        store.consent_of(&"u1".into(), &"c1".into()).await.unwrap(),
        Some(more)
    );
    let stranger = Consent {
        user_id: "nobody".into(),
        ..first
    };
    assert_eq!(
        store.save_consent(&stranger).await,
        Err(StoreError::NotFound)
    );
}

/// Seeds `l1` and ends it with notices `n1`, `n2`, `n3` (due at NOW, NOW+1, NOW+2).
async fn queue_three<S: Store>(store: &S) {
    seed_login(store).await;
    let notices: Vec<LogoutNotice> = (1..=3)
        .map(|i| LogoutNotice {
            next_attempt_at: at(i - 1),
            ..notice(&format!("n{i}"))
        })
        .collect();
    store
        .end_login_session(&"l1".into(), at(0), &notices)
        .await
        .unwrap();
}

pub async fn claims_lease_count_and_release<S: Store>(store: S) {
    queue_three(&store).await;
    let lease = Duration::from_secs(30);
    let claimed = store.claim_logout_notices(at(1), lease, 10).await.unwrap();
    let ids: Vec<&str> = claimed.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["n1", "n2"], "due ones, oldest first");
    assert!(claimed.iter().all(|n| n.attempts == 1));
    let leased = store.claim_logout_notices(at(5), lease, 10).await.unwrap();
    let ids: Vec<&str> = leased.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["n3"], "leased ones wait for their lease");
    store
        .finish_logout_notice(&"n1".into(), &NoticeOutcome::Delivered, at(6))
        .await
        .unwrap();
    store
        .finish_logout_notice(&"n2".into(), &NoticeOutcome::RetryAt(at(100)), at(6))
        .await
        .unwrap();
    store
        .finish_logout_notice(&"n3".into(), &NoticeOutcome::GiveUp, at(6))
        .await
        .unwrap();
    store
        .finish_logout_notice(&"gone".into(), &NoticeOutcome::Delivered, at(6))
        .await
        .unwrap();
    let pending = store.pending_logout_notices().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id.as_str(), "n2");
    assert_eq!(pending[0].attempts, 1);
    assert_eq!(pending[0].next_attempt_at, at(100));
    assert!(
        store
            .claim_logout_notices(at(99), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let retried = store
        .claim_logout_notices(at(100), lease, 10)
        .await
        .unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].attempts, 2);
}

pub async fn claims_respect_the_limit_and_expired_leases<S: Store>(store: S) {
    queue_three(&store).await;
    let lease = Duration::from_secs(30);
    assert_eq!(
        store
            .claim_logout_notices(at(5), lease, 1)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .claim_logout_notices(at(5), lease, 5)
            .await
            .unwrap()
            .len(),
        2
    );
    let after_lease = store.claim_logout_notices(at(35), lease, 5).await.unwrap();
    assert_eq!(after_lease.len(), 3, "a lapsed lease frees the notice");
    assert!(after_lease.iter().all(|n| n.attempts == 2));
}

pub async fn concurrent_claims_are_disjoint<S: Store>(store: S) {
    seed_login(&store).await;
    let notices: Vec<LogoutNotice> = (0..40).map(|i| notice(&format!("n{i:02}"))).collect();
    store
        .end_login_session(&"l1".into(), at(0), &notices)
        .await
        .unwrap();
    let store = Arc::new(store);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .claim_logout_notices(at(1), Duration::from_secs(30), 7)
                    .await
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for task in tasks {
        claimed.extend(task.await.unwrap().unwrap().into_iter().map(|n| n.id));
    }
    let total = claimed.len();
    claimed.sort();
    claimed.dedup();
    assert_eq!(claimed.len(), total, "no notice was claimed twice");
    assert_eq!(total, 40, "all were claimed");
}

pub async fn deleting_user_or_client_takes_their_records<S: Store>(store: S) {
    seed_login(&store).await;
    store.create_code(&code(b"c-1")).await.unwrap();
    store
        .note_login_client(&"l1".into(), &"c1".into(), NOW)
        .await
        .unwrap();
    let consent = Consent {
        user_id: "u1".into(),
        client_id: "c1".into(),
        scope: Scope::parse("openid").unwrap(),
        granted_at: NOW,
    };
    store.save_consent(&consent).await.unwrap();
    store
        .end_login_session(&"l1".into(), at(1), &[notice("n1")])
        .await
        .unwrap();
    store.delete_client(&"c1".into()).await.unwrap();
    assert_eq!(store.code_by_hash(b"c-1", at(2)).await.unwrap(), None);
    assert_eq!(
        store.consent_of(&"u1".into(), &"c1".into()).await.unwrap(),
        None
    );
    assert!(
        store
            .login_session_clients(&"l1".into())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.pending_logout_notices().await.unwrap().is_empty());
    store.delete_user(&"u1".into()).await.unwrap();
    assert_eq!(store.login_session_by_id(&"l1".into()).await.unwrap(), None);
}

pub async fn purge_takes_what_browser_sign_in_no_longer_needs<S: Store>(store: S) {
    seed_login(&store).await;
    let short = LoginSession {
        idle_expires_at: at(10),
        ..login("l2", b"k2")
    };
    store.create_login_session(&short).await.unwrap();
    store.create_code(&code(b"c-1")).await.unwrap();
    store
        .end_login_session(&"l1".into(), at(1), &[notice("n1"), notice("n2")])
        .await
        .unwrap();
    store
        .finish_logout_notice(&"n1".into(), &NoticeOutcome::Delivered, at(2))
        .await
        .unwrap();
    // At NOW+100: both login sessions are over (one ended, one idle); the code (expired at
    // +60) is kept for an hour; the delivered notice for a day.
    let early = store.purge_expired(at(100)).await.unwrap();
    assert!(early >= 2, "{early}");
    assert_eq!(store.login_session_by_id(&"l1".into()).await.unwrap(), None);
    assert_eq!(store.login_session_by_id(&"l2".into()).await.unwrap(), None);
    let spent_replay = store
        .exchange_code(
            b"c-1",
            at(100),
            &family("s1"),
            &refresh(b"t1", "s1", NOW),
            &"a".into(),
            at(1),
        )
        .await
        .unwrap();
    assert_eq!(spent_replay, CodeOutcome::Invalid, "expired, still stored");
    store.purge_expired(at(60 + 3_600)).await.unwrap();
    let pending = store.pending_logout_notices().await.unwrap();
    assert_eq!(pending.len(), 1, "the undelivered notice stays");
    store.purge_expired(at(2 + 86_400)).await.unwrap();
    assert_eq!(store.pending_logout_notices().await.unwrap().len(), 1);
}

pub async fn clients_keep_their_browser_settings<S: Store>(store: S) {
    let web = ClientWeb {
        redirect_uris: vec!["https://app.example.test/cb".into()],
        post_logout_redirect_uris: vec!["https://app.example.test/bye".into()],
        backchannel_logout_uri: Some("https://app.example.test/bc".into()),
        first_party: true,
        allowed_origins: vec!["https://app.example.test".into()],

        jose: client_jose(),
        require_dpop: true,
        require_second_factor: true,
    };
    let mut with_web = client("c1");
    with_web.web = web;
    store.create_client(&with_web).await.unwrap();
    assert_eq!(
        store.client_by_id(&"c1".into()).await.unwrap(),
        Some(with_web.clone())
    );
    assert_eq!(store.list_clients().await.unwrap(), vec![with_web]);
}

/// Encryption settings with a public key, as a registered client holds them.
fn client_jose() -> tessera_core::model::ClientJose {
    use tessera_jose::jwe::{ContentEncryption, KeyAlgorithm};
    let jwks = br#"{"keys":[{"kty":"OKP","crv":"X25519","use":"enc","kid":"rp-1",
        "x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}]}"#;
    tessera_core::model::ClientJose {
        jwks: Some(tessera_jose::JwkSet::from_json(jwks).unwrap()),
        id_token_encrypted_response_alg: Some(KeyAlgorithm::EcdhEs),
        id_token_encrypted_response_enc: Some(ContentEncryption::A256Gcm),
        userinfo_signed_response_alg: Some(tessera_jose::Algorithm::ES256),
        ..Default::default()
    }
}
