//! [`Store`] for [`PgStore`], one line per method.

use std::future::Future;

use tessera_core::Store;
use tessera_core::model::{
    Client, KeyRecord, KeyState, RefreshRecord, Revocation, RotateOutcome, Session, Timestamp, User,
};
use tessera_core::store::Fut;

use super::{PgStore, accounts, clients, keys, lockouts, purge, revocations, rotate, sessions};
use crate::error::StoreResultExt;

impl Store for PgStore {
    fn create_user(&self, user: &User) -> impl Fut<()> {
        accounts::create_user(&self.pool, user)
    }

    fn user_by_name(&self, username: &str) -> impl Fut<Option<User>> {
        accounts::user_by_name(&self.pool, username)
    }

    fn user_by_id(&self, id: &str) -> impl Fut<Option<User>> {
        accounts::user_by_id(&self.pool, id)
    }

    fn list_users(&self) -> impl Fut<Vec<User>> {
        accounts::list_users(&self.pool)
    }

    fn set_password(
        &self,
        user_id: &str,
        hash: &str,
        now: Timestamp,
        keep_session: Option<&str>,
    ) -> impl Fut<()> {
        accounts::set_password(&self.pool, user_id, hash, now, keep_session)
    }

    fn rehash_password(&self, user_id: &str, hash: &str) -> impl Fut<()> {
        accounts::rehash_password(&self.pool, user_id, hash)
    }

    fn set_disabled(&self, user_id: &str, disabled: bool, now: Timestamp) -> impl Fut<()> {
        accounts::set_disabled(&self.pool, user_id, disabled, now)
    }

    fn delete_user(&self, user_id: &str) -> impl Fut<()> {
        accounts::delete_user(&self.pool, user_id)
    }

    fn create_client(&self, client: &Client) -> impl Fut<()> {
        clients::create_client(&self.pool, client)
    }

    fn client_by_id(&self, id: &str) -> impl Fut<Option<Client>> {
        clients::client_by_id(&self.pool, id)
    }

    fn list_clients(&self) -> impl Fut<Vec<Client>> {
        clients::list_clients(&self.pool)
    }

    fn delete_client(&self, id: &str) -> impl Fut<()> {
        clients::delete_client(&self.pool, id)
    }

    fn create_session(&self, session: &Session, first: &RefreshRecord) -> impl Fut<()> {
        sessions::create_session(&self.pool, session, first)
    }

    fn rotate_refresh(
        &self,
        hash: &[u8],
        next: &RefreshRecord,
        now: Timestamp,
        grace_secs: i64,
    ) -> impl Fut<RotateOutcome> {
        rotate::rotate_refresh(&self.pool, hash, next, now, grace_secs)
    }

    fn refresh_record(&self, hash: &[u8]) -> impl Fut<Option<RefreshRecord>> {
        sessions::refresh_record(&self.pool, hash)
    }

    fn session_by_refresh(&self, hash: &[u8]) -> impl Fut<Option<Session>> {
        sessions::session_by_refresh(&self.pool, hash)
    }

    fn session_by_id(&self, id: &str) -> impl Fut<Option<Session>> {
        sessions::session_by_id(&self.pool, id)
    }

    fn sessions_of(&self, user_id: &str, now: Timestamp) -> impl Fut<Vec<Session>> {
        sessions::sessions_of(&self.pool, user_id, now)
    }

    fn revoke_session(&self, id: &str, now: Timestamp) -> impl Fut<bool> {
        sessions::revoke_session(&self.pool, id, now)
    }

    fn revoke_jti(&self, jti: &str, exp: Timestamp) -> impl Fut<i64> {
        revocations::revoke_jti(&self.pool, jti, exp)
    }

    fn revocations_since(
        &self,
        cursor: i64,
        now: Timestamp,
        limit: u32,
    ) -> impl Fut<Vec<Revocation>> {
        revocations::revocations_since(&self.pool, cursor, now, limit)
    }

    fn revocations_hint(&self) -> impl Future<Output = ()> + Send {
        self.revocation_hints.wait(&self.pool)
    }

    fn is_revoked(&self, jti: &str) -> impl Fut<bool> {
        revocations::is_revoked(&self.pool, jti)
    }

    fn purge_expired(&self, now: Timestamp) -> impl Fut<u64> {
        purge::purge_expired(&self.pool, now)
    }

    fn count_login_failure(&self, account: &str, now_ms: i64, expires_at_ms: i64) -> impl Fut<u32> {
        lockouts::count_login_failure(&self.pool, account, now_ms, expires_at_ms)
    }

    fn lock_login(&self, account: &str, until_ms: i64) -> impl Fut<()> {
        lockouts::lock_login(&self.pool, account, until_ms)
    }

    fn login_locked_until(&self, account: &str) -> impl Fut<Option<i64>> {
        lockouts::login_locked_until(&self.pool, account)
    }

    fn clear_login_failures(&self, account: &str) -> impl Fut<bool> {
        lockouts::clear_login_failures(&self.pool, account)
    }

    fn insert_key(&self, key: &KeyRecord) -> impl Fut<()> {
        keys::insert_key(&self.pool, key)
    }

    fn insert_key_after(&self, key: &KeyRecord, newest_seen: Option<&str>) -> impl Fut<bool> {
        keys::insert_key_after(&self.pool, key, newest_seen)
    }

    fn live_keys(&self) -> impl Fut<Vec<KeyRecord>> {
        keys::live_keys(&self.pool)
    }

    fn all_keys(&self) -> impl Fut<Vec<KeyRecord>> {
        keys::all_keys(&self.pool)
    }

    fn set_key_state(&self, kid: &str, state: KeyState, now: Timestamp) -> impl Fut<()> {
        keys::set_key_state(&self.pool, kid, state, now)
    }

    fn ping(&self) -> impl Fut<()> {
        async move {
            sqlx::query("SELECT 1")
                .execute(&self.pool)
                .await
                .or_store("ping")?;
            Ok(())
        }
    }
}
