//! Records to store, with defaults that tests override where it matters.

use std::error::Error;

use tessera_core::model::{
    Client, Grant, KeyRecord, KeyState, RefreshRecord, Session, SessionId, Timestamp, User,
};
use tessera_core::scope::Scope;
use tessera_core::{Store, StoreError};
use tessera_jose::Algorithm;

/// The time tests start from.
pub const NOW: Timestamp = Timestamp::from_secs(1_700_000_000);

/// `secs` seconds after [`NOW`] (before it, if negative).
pub const fn at(secs: i64) -> Timestamp {
    NOW.plus_secs(secs)
}

pub fn user(id: &str, username: &str) -> User {
    User {
        id: id.into(),
        username: username.into(),
        email: Some(format!("{username}@example.test")),
        roles: vec!["admin".into(), "reader".into()],
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        disabled: false,
        created_at: NOW,
        password_changed_at: NOW,
    }
}

pub fn client(id: &str) -> Client {
    Client {
        id: id.into(),
        name: format!("client {id}"),
        secret_hash: Some(vec![7; 32]),
        grants: vec![Grant::Password, Grant::RefreshToken],
        scopes: vec!["orders:read".into(), "orders:write".into()],
        audiences: vec!["https://api.example.test".into()],
        created_at: NOW,
        web: Default::default(),
    }
}

/// A session of an hour, started at [`NOW`].
pub fn session(id: &str, user_id: &str, client_id: &str) -> Session {
    Session {
        id: id.into(),
        user_id: user_id.into(),
        client_id: client_id.into(),
        scope: Scope::parse("orders:read").unwrap(),
        created_at: NOW,
        expires_at: at(3_600),
        last_used_at: NOW,
        revoked_at: None,
        login_session_id: None,
        dpop_jkt: None,
    }
}

/// A refresh token of ten minutes, issued at `at`.
pub fn refresh(hash: &[u8], session_id: &str, at: Timestamp) -> RefreshRecord {
    RefreshRecord {
        hash: hash.to_vec(),
        session_id: session_id.into(),
        created_at: at,
        expires_at: at.plus_secs(600),
        used_at: None,
        successor_sealed: None,
    }
}

/// The successor of a token presented at `at`, carrying its own sealed copy.
pub fn successor(hash: &[u8], session_id: &str, at: Timestamp) -> RefreshRecord {
    RefreshRecord {
        successor_sealed: Some(sealed(hash)),
        ..refresh(hash, session_id, at)
    }
}

/// What a caller would seal for the token with digest `hash` (any distinct bytes do).
pub fn sealed(hash: &[u8]) -> Vec<u8> {
    [b"sealed:".as_slice(), hash].concat()
}

pub fn key(kid: &str, state: KeyState, created_at: Timestamp) -> KeyRecord {
    KeyRecord {
        kid: kid.into(),
        alg: Algorithm::ES256,
        public_jwk: format!(r#"{{"kty":"EC","kid":"{kid}"}}"#),
        private_sealed: vec![1, 2, 3],
        state,
        created_at,
        activates_at: created_at.plus_secs(60),
        retired_at: None,
    }
}

/// User `u1` ("alice") and client `c1`.
pub async fn seed<S: Store>(store: &S) {
    store.create_user(&user("u1", "alice")).await.unwrap();
    store.create_client(&client("c1")).await.unwrap();
}

/// A session `id` of user `user_id` through client `c1`, with first token `hash`.
pub async fn open_session<S: Store>(store: &S, id: &str, user_id: &str, hash: &[u8]) -> Session {
    let session = session(id, user_id, "c1");
    store
        .create_session(&session, &refresh(hash, id, NOW))
        .await
        .unwrap();
    session
}

/// True unless the session is gone or ended.
pub async fn is_live<S: Store>(store: &S, id: &str, now: Timestamp) -> bool {
    match store.session_by_id(&SessionId::from(id)).await.unwrap() {
        Some(session) => session.is_live(now),
        None => false,
    }
}

pub fn is_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Conflict(_)))
}

/// Every message of an error and its sources, one per line: what a log of it would show.
pub fn chain(err: &dyn Error) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        text.push('\n');
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}
