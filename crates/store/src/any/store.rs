//! [`Store`] for [`AnyStore`]: every method forwards to the backend inside.

use tessera_core::Store;
use tessera_core::model::{
    Client, KeyRecord, KeyState, RefreshRecord, Revocation, RotateOutcome, Session, Timestamp, User,
};
use tessera_core::store::Fut;

use super::AnyStore;

/// Calls the same method on whichever backend `$self` holds.
macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        async move {
            match $self {
                AnyStore::Sqlite($store) => $call.await,
                AnyStore::Postgres($store) => $call.await,
            }
        }
    };
}

impl Store for AnyStore {
    fn create_user(&self, user: &User) -> impl Fut<()> {
        dispatch!(self, s => s.create_user(user))
    }

    fn user_by_name(&self, username: &str) -> impl Fut<Option<User>> {
        dispatch!(self, s => s.user_by_name(username))
    }

    fn user_by_id(&self, id: &str) -> impl Fut<Option<User>> {
        dispatch!(self, s => s.user_by_id(id))
    }

    fn list_users(&self) -> impl Fut<Vec<User>> {
        dispatch!(self, s => s.list_users())
    }

    fn set_password(
        &self,
        user_id: &str,
        hash: &str,
        now: Timestamp,
        keep_session: Option<&str>,
    ) -> impl Fut<()> {
        dispatch!(self, s => s.set_password(user_id, hash, now, keep_session))
    }

    fn rehash_password(&self, user_id: &str, hash: &str) -> impl Fut<()> {
        dispatch!(self, s => s.rehash_password(user_id, hash))
    }

    fn set_disabled(&self, user_id: &str, disabled: bool, now: Timestamp) -> impl Fut<()> {
        dispatch!(self, s => s.set_disabled(user_id, disabled, now))
    }

    fn delete_user(&self, user_id: &str) -> impl Fut<()> {
        dispatch!(self, s => s.delete_user(user_id))
    }

    fn create_client(&self, client: &Client) -> impl Fut<()> {
        dispatch!(self, s => s.create_client(client))
    }

    fn client_by_id(&self, id: &str) -> impl Fut<Option<Client>> {
        dispatch!(self, s => s.client_by_id(id))
    }

    fn list_clients(&self) -> impl Fut<Vec<Client>> {
        dispatch!(self, s => s.list_clients())
    }

    fn delete_client(&self, id: &str) -> impl Fut<()> {
        dispatch!(self, s => s.delete_client(id))
    }

    fn create_session(&self, session: &Session, first: &RefreshRecord) -> impl Fut<()> {
        dispatch!(self, s => s.create_session(session, first))
    }

    fn rotate_refresh(
        &self,
        hash: &[u8],
        next: &RefreshRecord,
        now: Timestamp,
        grace_secs: i64,
    ) -> impl Fut<RotateOutcome> {
        dispatch!(self, s => s.rotate_refresh(hash, next, now, grace_secs))
    }

    fn refresh_record(&self, hash: &[u8]) -> impl Fut<Option<RefreshRecord>> {
        dispatch!(self, s => s.refresh_record(hash))
    }

    fn session_by_refresh(&self, hash: &[u8]) -> impl Fut<Option<Session>> {
        dispatch!(self, s => s.session_by_refresh(hash))
    }

    fn session_by_id(&self, id: &str) -> impl Fut<Option<Session>> {
        dispatch!(self, s => s.session_by_id(id))
    }

    fn sessions_of(&self, user_id: &str, now: Timestamp) -> impl Fut<Vec<Session>> {
        dispatch!(self, s => s.sessions_of(user_id, now))
    }

    fn revoke_session(&self, id: &str, now: Timestamp) -> impl Fut<bool> {
        dispatch!(self, s => s.revoke_session(id, now))
    }

    fn revoke_jti(&self, jti: &str, exp: Timestamp) -> impl Fut<i64> {
        dispatch!(self, s => s.revoke_jti(jti, exp))
    }

    fn revocations_since(
        &self,
        cursor: i64,
        now: Timestamp,
        limit: u32,
    ) -> impl Fut<Vec<Revocation>> {
        dispatch!(self, s => s.revocations_since(cursor, now, limit))
    }

    async fn revocations_hint(&self) {
        match self {
            AnyStore::Sqlite(store) => store.revocations_hint().await,
            AnyStore::Postgres(store) => store.revocations_hint().await,
        }
    }

    fn is_revoked(&self, jti: &str) -> impl Fut<bool> {
        dispatch!(self, s => s.is_revoked(jti))
    }

    fn purge_expired(&self, now: Timestamp) -> impl Fut<u64> {
        dispatch!(self, s => s.purge_expired(now))
    }

    fn count_login_failure(&self, account: &str, now_ms: i64, expires_at_ms: i64) -> impl Fut<u32> {
        dispatch!(self, s => s.count_login_failure(account, now_ms, expires_at_ms))
    }

    fn lock_login(&self, account: &str, until_ms: i64) -> impl Fut<()> {
        dispatch!(self, s => s.lock_login(account, until_ms))
    }

    fn login_locked_until(&self, account: &str) -> impl Fut<Option<i64>> {
        dispatch!(self, s => s.login_locked_until(account))
    }

    fn clear_login_failures(&self, account: &str) -> impl Fut<bool> {
        dispatch!(self, s => s.clear_login_failures(account))
    }

    fn insert_key(&self, key: &KeyRecord) -> impl Fut<()> {
        dispatch!(self, s => s.insert_key(key))
    }

    fn insert_key_after(&self, key: &KeyRecord, newest_seen: Option<&str>) -> impl Fut<bool> {
        dispatch!(self, s => s.insert_key_after(key, newest_seen))
    }

    fn live_keys(&self) -> impl Fut<Vec<KeyRecord>> {
        dispatch!(self, s => s.live_keys())
    }

    fn all_keys(&self) -> impl Fut<Vec<KeyRecord>> {
        dispatch!(self, s => s.all_keys())
    }

    fn set_key_state(&self, kid: &str, state: KeyState, now: Timestamp) -> impl Fut<()> {
        dispatch!(self, s => s.set_key_state(kid, state, now))
    }

    fn ping(&self) -> impl Fut<()> {
        dispatch!(self, s => s.ping())
    }
}
