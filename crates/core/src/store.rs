//! The storage contract. Implementations (SQLite, PostgreSQL) live in `tessera-store`; this
//! crate speaks only in domain words. Every method that reports success has committed its
//! write durably first.

use std::future::Future;

use crate::error::StoreError;
use crate::model::{
    Client, KeyRecord, KeyState, RefreshRecord, Revocation, RotateOutcome, Session, Timestamp, User,
};

/// Shorthand for the futures the trait returns.
pub trait Fut<T>: Future<Output = Result<T, StoreError>> + Send {}
impl<T, F: Future<Output = Result<T, StoreError>> + Send> Fut<T> for F {}

/// Persistent state of a Tessera deployment.
pub trait Store: Send + Sync + 'static {
    // --- accounts ---

    /// Inserts a user. [`StoreError::Conflict`] when the username (case-insensitive) exists.
    fn create_user(&self, user: &User) -> impl Fut<()>;
    /// Finds a user by username, case-insensitively.
    fn user_by_name(&self, username: &str) -> impl Fut<Option<User>>;
    /// Finds a user by id.
    fn user_by_id(&self, id: &str) -> impl Fut<Option<User>>;
    /// All users, by username.
    fn list_users(&self) -> impl Fut<Vec<User>>;
    /// Replaces the password hash and ends every session of the user except `keep_session`.
    fn set_password(
        &self,
        user_id: &str,
        hash: &str,
        now: Timestamp,
        keep_session: Option<&str>,
    ) -> impl Fut<()>;
    /// Replaces a password hash after a parameter upgrade (sessions untouched).
    fn rehash_password(&self, user_id: &str, hash: &str) -> impl Fut<()>;
    /// Disables or enables a user; disabling ends all their sessions.
    fn set_disabled(&self, user_id: &str, disabled: bool, now: Timestamp) -> impl Fut<()>;
    /// Deletes a user and everything of theirs.
    fn delete_user(&self, user_id: &str) -> impl Fut<()>;

    // --- clients ---

    /// Inserts a client.
    fn create_client(&self, client: &Client) -> impl Fut<()>;
    /// Finds a client by `client_id`.
    fn client_by_id(&self, id: &str) -> impl Fut<Option<Client>>;
    /// All clients.
    fn list_clients(&self) -> impl Fut<Vec<Client>>;
    /// Deletes a client and ends its sessions. [`StoreError::NotFound`] if absent.
    fn delete_client(&self, id: &str) -> impl Fut<()>;

    // --- sessions and refresh families ---

    /// Creates a session with its first refresh token, atomically.
    fn create_session(&self, session: &Session, first: &RefreshRecord) -> impl Fut<()>;
    /// Exchanges the refresh token with digest `hash` for `next`, atomically: at most one
    /// caller ever rotates a given token, whatever the concurrency.
    ///
    /// The contract, as the authority relies on it (and the tests' in-memory store does):
    /// - no record for `hash`, its session revoked or past `expires_at`: [`RotateOutcome::Invalid`];
    /// - record unused (`used_at` is `None`): if `expires_at <= now`, `Invalid`; else stamp
    ///   `used_at = now`, copy `next.successor_sealed` (the new token sealed under the
    ///   master key) onto the presented record's `successor_sealed`, insert `next` (its own
    ///   `successor_sealed` may be stored or left empty), set the session's `last_used_at`
    ///   to `now`, and answer [`RotateOutcome::Rotated`] with the session;
    /// - record used, `grace_secs > 0`, `now - used_at <= grace_secs` and a sealed successor
    ///   kept: [`RotateOutcome::Retried`] with that sealed successor (nothing changes);
    /// - record used otherwise: revoke the session (`revoked_at = now`) and answer
    ///   [`RotateOutcome::Replayed`].
    ///
    /// `next.session_id` is always the session of the presented token.
    fn rotate_refresh(
        &self,
        hash: &[u8],
        next: &RefreshRecord,
        now: Timestamp,
        grace_secs: i64,
    ) -> impl Fut<RotateOutcome>;
    /// Finds one refresh token's record (used or not), for introspection.
    ///
    /// The default answers `None` (introspection then reports refresh tokens as inactive);
    /// implementations should override it.
    fn refresh_record(&self, hash: &[u8]) -> impl Fut<Option<RefreshRecord>> {
        let _ = hash;
        async { Ok(None) }
    }
    /// Finds the session of a refresh token (for revocation and introspection).
    fn session_by_refresh(&self, hash: &[u8]) -> impl Fut<Option<Session>>;
    /// Finds a session by id.
    fn session_by_id(&self, id: &str) -> impl Fut<Option<Session>>;
    /// The live sessions of a user.
    fn sessions_of(&self, user_id: &str, now: Timestamp) -> impl Fut<Vec<Session>>;
    /// Ends a session (its refresh family). Returns false if it was not live.
    fn revoke_session(&self, id: &str, now: Timestamp) -> impl Fut<bool>;

    // --- revocation feed ---

    /// Records a revoked access token `jti` until `exp`; returns its cursor.
    fn revoke_jti(&self, jti: &str, exp: Timestamp) -> impl Fut<i64>;
    /// Revocations after `cursor` that have not expired at `now`, oldest first, at most `limit`.
    fn revocations_since(
        &self,
        cursor: i64,
        now: Timestamp,
        limit: u32,
    ) -> impl Fut<Vec<Revocation>>;
    /// True when `jti` is revoked.
    fn is_revoked(&self, jti: &str) -> impl Fut<bool>;
    /// Resolves when another instance may have added revocations: a hint to read the feed
    /// sooner than the next poll, never a replacement for polling. The default never resolves
    /// (one process sees its own writes); a store shared by several instances pushes it.
    fn revocations_hint(&self) -> impl Future<Output = ()> + Send {
        std::future::pending()
    }
    /// Deletes expired revocations, refresh records and failed-login counters; returns how
    /// many rows went.
    fn purge_expired(&self, now: Timestamp) -> impl Fut<u64>;

    // --- failed-login lock-outs ---
    //
    // Kept in the store, not in one server's memory, so that a lock-out survives a restart,
    // holds across every instance on the database, and can be lifted by another process
    // (`tessera user unlock`). Times here are milliseconds since the Unix epoch: lock-outs
    // start at one second. The defaults keep nothing, so a store that does not override them
    // never locks an account; every Tessera backend overrides all four.

    /// Counts a failed login against `account` (a username folded to lower case) and returns
    /// the new count, atomically. A counter whose expiry is at or before `now_ms` starts
    /// again from 1 and loses its lock. The counter then expires at `expires_at_ms` (or at
    /// the end of its lock, if later).
    fn count_login_failure(&self, account: &str, now_ms: i64, expires_at_ms: i64) -> impl Fut<u32> {
        let _ = (account, now_ms, expires_at_ms);
        async { Ok(0) }
    }
    /// Locks `account` until `until_ms` (a later lock already there is kept). Does nothing
    /// if the account has no counter.
    fn lock_login(&self, account: &str, until_ms: i64) -> impl Fut<()> {
        let _ = (account, until_ms);
        async { Ok(()) }
    }
    /// The end of `account`'s lock (which may be past), if it has one.
    fn login_locked_until(&self, account: &str) -> impl Fut<Option<i64>> {
        let _ = account;
        async { Ok(None) }
    }
    /// Forgets `account`'s failures and lock (after a successful login, or an admin unlock);
    /// true when there was something to forget.
    fn clear_login_failures(&self, account: &str) -> impl Fut<bool> {
        let _ = account;
        async { Ok(false) }
    }

    // --- signing keys ---

    /// Inserts a key.
    fn insert_key(&self, key: &KeyRecord) -> impl Fut<()>;
    /// Inserts `key` only if the newest key in the store (by creation, whatever its state)
    /// is still `newest_seen` (`None`: the store holds no key), and says whether it did.
    ///
    /// This compare-and-set lets several instances run the rotation plan at the same time
    /// and still create each new key once. The default reads then inserts, which is enough
    /// for one process; a store shared by several instances must make it atomic.
    fn insert_key_after(&self, key: &KeyRecord, newest_seen: Option<&str>) -> impl Fut<bool> {
        async move {
            let keys = self.all_keys().await?;
            if keys.last().map(|k| k.kid.as_str()) != newest_seen {
                return Ok(false);
            }
            self.insert_key(key).await?;
            Ok(true)
        }
    }
    /// All keys not yet retired, oldest first.
    fn live_keys(&self) -> impl Fut<Vec<KeyRecord>>;
    /// All keys, oldest first.
    fn all_keys(&self) -> impl Fut<Vec<KeyRecord>>;
    /// Moves a key to `state` (and stamps `retired_at` when it stops signing).
    fn set_key_state(&self, kid: &str, state: KeyState, now: Timestamp) -> impl Fut<()>;

    // --- health ---

    /// Checks that the database answers.
    fn ping(&self) -> impl Fut<()>;
}
