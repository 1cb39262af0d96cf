//! [`Store`] for [`SqliteStore`]: each method is one call on the database thread, reads
//! through [`Engine::read`](super::engine::Engine::read), writes through
//! [`Engine::write`](super::engine::Engine::write); the hottest reads first ask the cache.

use rusqlite::Connection;
use tessera_core::Store;
use tessera_core::model::{
    Client, KeyRecord, KeyState, RefreshRecord, Revocation, RotateOutcome, Session, Timestamp, User,
};
use tessera_core::store::Fut;

use super::error::SqlResultExt;
use super::{SqliteStore, accounts, clients, keys, lockouts, purge, revocations, rotate, sessions};

impl Store for SqliteStore {
    fn create_user(&self, user: &User) -> impl Fut<()> {
        let user = user.clone();
        self.db.write(move |c, _| accounts::create_user(c, &user))
    }

    fn user_by_name(&self, username: &str) -> impl Fut<Option<User>> {
        let username = username.to_owned();
        self.db
            .read(move |c, _| accounts::user_by_name(c, &username))
    }

    fn user_by_id(&self, id: &str) -> impl Fut<Option<User>> {
        let cached = self.db.cache.user(id);
        let id = id.to_owned();
        self.db.read_through(
            cached,
            move |c| accounts::user_by_id(c, &id),
            |cache, found| cache.put_user(found),
        )
    }

    fn list_users(&self) -> impl Fut<Vec<User>> {
        self.db.read(|c, _| accounts::list_users(c))
    }

    fn set_password(
        &self,
        user_id: &str,
        hash: &str,
        now: Timestamp,
        keep_session: Option<&str>,
    ) -> impl Fut<()> {
        let (user_id, hash) = (user_id.to_owned(), hash.to_owned());
        let keep_session = keep_session.map(str::to_owned);
        self.db.write(move |c, cache| {
            accounts::set_password(c, cache, &user_id, &hash, now, keep_session.as_deref())
        })
    }

    fn rehash_password(&self, user_id: &str, hash: &str) -> impl Fut<()> {
        let (user_id, hash) = (user_id.to_owned(), hash.to_owned());
        self.db
            .write(move |c, cache| accounts::rehash_password(c, cache, &user_id, &hash))
    }

    fn set_disabled(&self, user_id: &str, disabled: bool, now: Timestamp) -> impl Fut<()> {
        let user_id = user_id.to_owned();
        self.db
            .write(move |c, cache| accounts::set_disabled(c, cache, &user_id, disabled, now))
    }

    fn delete_user(&self, user_id: &str) -> impl Fut<()> {
        let user_id = user_id.to_owned();
        self.db
            .write(move |c, cache| accounts::delete_user(c, cache, &user_id))
    }

    fn create_client(&self, client: &Client) -> impl Fut<()> {
        let client = client.clone();
        self.db
            .write(move |c, cache| clients::create_client(c, cache, &client))
    }

    fn client_by_id(&self, id: &str) -> impl Fut<Option<Client>> {
        let cached = self.db.cache.client(id);
        let id = id.to_owned();
        self.db.read_through(
            cached,
            move |c| clients::client_by_id(c, &id),
            |cache, found| cache.put_client(found),
        )
    }

    fn list_clients(&self) -> impl Fut<Vec<Client>> {
        self.db.read(|c, _| clients::list_clients(c))
    }

    fn delete_client(&self, id: &str) -> impl Fut<()> {
        let id = id.to_owned();
        self.db
            .write(move |c, cache| clients::delete_client(c, cache, &id))
    }

    fn create_session(&self, session: &Session, first: &RefreshRecord) -> impl Fut<()> {
        let (session, first) = (session.clone(), first.clone());
        self.db
            .write(move |c, _| sessions::create_session(c, &session, &first))
    }

    fn rotate_refresh(
        &self,
        hash: &[u8],
        next: &RefreshRecord,
        now: Timestamp,
        grace_secs: i64,
    ) -> impl Fut<RotateOutcome> {
        let (hash, next) = (hash.to_vec(), next.clone());
        self.db
            .write(move |c, cache| rotate::rotate_refresh(c, cache, &hash, &next, now, grace_secs))
    }

    fn refresh_record(&self, hash: &[u8]) -> impl Fut<Option<RefreshRecord>> {
        let hash = hash.to_vec();
        self.db.read(move |c, _| sessions::refresh_record(c, &hash))
    }

    fn session_by_refresh(&self, hash: &[u8]) -> impl Fut<Option<Session>> {
        let hash = hash.to_vec();
        self.db
            .read(move |c, _| sessions::session_by_refresh(c, &hash))
    }

    fn session_by_id(&self, id: &str) -> impl Fut<Option<Session>> {
        let cached = self.db.cache.session(id);
        let id = id.to_owned();
        self.db.read_through(
            cached,
            move |c| sessions::session_by_id(c, &id),
            |cache, found| cache.put_session(found),
        )
    }

    fn sessions_of(&self, user_id: &str, now: Timestamp) -> impl Fut<Vec<Session>> {
        let user_id = user_id.to_owned();
        self.db
            .read(move |c, _| sessions::sessions_of(c, &user_id, now))
    }

    fn revoke_session(&self, id: &str, now: Timestamp) -> impl Fut<bool> {
        let id = id.to_owned();
        self.db
            .write(move |c, cache| sessions::revoke_session(c, cache, &id, now))
    }

    fn revoke_jti(&self, jti: &str, exp: Timestamp) -> impl Fut<i64> {
        let jti = jti.to_owned();
        self.db
            .write(move |c, cache| revocations::revoke_jti(c, cache, &jti, exp))
    }

    fn revocations_since(
        &self,
        cursor: i64,
        now: Timestamp,
        limit: u32,
    ) -> impl Fut<Vec<Revocation>> {
        self.db
            .read(move |c, _| revocations::revocations_since(c, cursor, now, limit))
    }

    fn is_revoked(&self, jti: &str) -> impl Fut<bool> {
        let cached = self.db.cache.revoked(jti);
        let jti = jti.to_owned();
        async move {
            if let Some(revoked) = cached {
                return Ok(revoked);
            }
            self.db
                .read(move |c, cache| {
                    let revoked = revocations::is_revoked(c, &jti)?;
                    cache.put_revoked(&jti, revoked);
                    Ok(revoked)
                })
                .await
        }
    }

    fn purge_expired(&self, now: Timestamp) -> impl Fut<u64> {
        self.db
            .write(move |c, cache| purge::purge_expired(c, cache, now))
    }

    fn count_login_failure(&self, account: &str, now_ms: i64, expires_at_ms: i64) -> impl Fut<u32> {
        let account = account.to_owned();
        self.db
            .write(move |c, _| lockouts::count_login_failure(c, &account, now_ms, expires_at_ms))
    }

    fn lock_login(&self, account: &str, until_ms: i64) -> impl Fut<()> {
        let account = account.to_owned();
        self.db
            .write(move |c, _| lockouts::lock_login(c, &account, until_ms))
    }

    fn login_locked_until(&self, account: &str) -> impl Fut<Option<i64>> {
        let account = account.to_owned();
        self.db
            .read(move |c, _| lockouts::login_locked_until(c, &account))
    }

    fn clear_login_failures(&self, account: &str) -> impl Fut<bool> {
        let account = account.to_owned();
        self.db
            .write(move |c, _| lockouts::clear_login_failures(c, &account))
    }

    fn insert_key(&self, key: &KeyRecord) -> impl Fut<()> {
        let key = key.clone();
        self.db.write(move |c, _| keys::insert_key(c, &key))
    }

    fn live_keys(&self) -> impl Fut<Vec<KeyRecord>> {
        self.db.read(|c, _| keys::live_keys(c))
    }

    fn all_keys(&self) -> impl Fut<Vec<KeyRecord>> {
        self.db.read(|c, _| keys::all_keys(c))
    }

    fn set_key_state(&self, kid: &str, state: KeyState, now: Timestamp) -> impl Fut<()> {
        let kid = kid.to_owned();
        self.db
            .write(move |c, _| keys::set_key_state(c, &kid, state, now))
    }

    fn ping(&self) -> impl Fut<()> {
        self.db
            .read(|c: &Connection, _| c.execute_batch("SELECT 1").or_store("ping"))
    }
}
