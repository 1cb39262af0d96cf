//! The store traits for [`SqliteStore`]: each method is one call on the database thread,
//! reads through [`Engine::read`](super::engine::Engine::read), writes through
//! [`Engine::write`](super::engine::Engine::write); the hottest reads first ask the cache.

use std::future::{Future, pending};
use std::time::Duration;

use rusqlite::Connection;
use tessera_core::model::{AuditEvent, EventQuery, NewEvent, Webhook, WebhookId};
use tessera_core::model::{
    Client, ClientId, DeviceApproval, DeviceAuthorization, Jti, KeyId, KeyRecord, KeyState,
    LockoutKey, RefreshRecord, Revocation, RotateOutcome, Session, SessionId, Timestamp,
    TotpFactor, UnixMillis, User, UserId,
};
use tessera_core::store::{
    AccountStore, AuditStore, ClientStore, DeviceStore, FactorStore, Fut, KeyStore, LockoutStore,
    MaintenanceStore, ReplayStore, RevocationStore, SessionStore, WebhookStore,
};
use tessera_core::transfer::Snapshot;

use super::error::SqlResultExt;
use super::{
    SqliteStore, accounts, audit, clients, devices, factors, import, keys, lockouts, purge,
    revocations, rotate, sessions, webhooks,
};

impl AccountStore for SqliteStore {
    fn create_user(&self, user: &User) -> impl Fut<()> {
        let user = user.clone();
        self.db.write(move |c, _| accounts::create_user(c, &user))
    }

    fn user_by_name(&self, username: &str) -> impl Fut<Option<User>> {
        let username = username.to_owned();
        self.db
            .read(move |c, _| accounts::user_by_name(c, &username))
    }

    fn user_by_id(&self, id: &UserId) -> impl Fut<Option<User>> {
        let cached = self.db.cache.user(id.as_str());
        let id = id.clone();
        self.db.read_through(
            cached,
            move |c| accounts::user_by_id(c, &id),
            |cache, found| cache.put_user(found),
        )
    }

    fn list_users(&self) -> impl Fut<Vec<User>> {
        self.db.read(|c, _| accounts::list_users(c))
    }

    fn search_users(&self, prefix: &str, after: Option<&str>, limit: u32) -> impl Fut<Vec<User>> {
        let range = crate::codec::UserRange::new(prefix, after, limit);
        self.db.read(move |c, _| accounts::search_users(c, &range))
    }

    fn set_password(
        &self,
        user: &UserId,
        hash: &str,
        now: Timestamp,
        keep_session: Option<&SessionId>,
    ) -> impl Fut<()> {
        let (user, hash) = (user.clone(), hash.to_owned());
        let keep_session = keep_session.cloned();
        self.db.write(move |c, cache| {
            accounts::set_password(c, cache, &user, &hash, now, keep_session.as_ref())
        })
    }

    fn rehash_password(&self, user: &UserId, hash: &str) -> impl Fut<()> {
        let (user, hash) = (user.clone(), hash.to_owned());
        self.db
            .write(move |c, cache| accounts::rehash_password(c, cache, &user, &hash))
    }

    fn set_disabled(&self, user: &UserId, disabled: bool, now: Timestamp) -> impl Fut<()> {
        let user = user.clone();
        self.db
            .write(move |c, cache| accounts::set_disabled(c, cache, &user, disabled, now))
    }

    fn someone_else_has_role(&self, role: &str, except: &UserId) -> impl Fut<bool> {
        let (role, except) = (role.to_owned(), except.clone());
        self.db
            .read(move |c, _| accounts::someone_else_has_role(c, &role, &except))
    }

    fn set_roles(&self, user: &UserId, roles: &[String]) -> impl Fut<()> {
        let (user, roles) = (user.clone(), roles.to_vec());
        self.db
            .write(move |c, cache| accounts::set_roles(c, cache, &user, &roles))
    }

    fn delete_user(&self, user: &UserId) -> impl Fut<()> {
        let user = user.clone();
        self.db
            .write(move |c, cache| accounts::delete_user(c, cache, &user))
    }
}

impl ClientStore for SqliteStore {
    fn create_client(&self, client: &Client) -> impl Fut<()> {
        let client = client.clone();
        self.db
            .write(move |c, cache| clients::create_client(c, cache, &client))
    }

    fn client_by_id(&self, id: &ClientId) -> impl Fut<Option<Client>> {
        let cached = self.db.cache.client(id.as_str());
        let id = id.clone();
        self.db.read_through(
            cached,
            move |c| clients::client_by_id(c, &id),
            |cache, found| cache.put_client(found),
        )
    }

    fn list_clients(&self) -> impl Fut<Vec<Client>> {
        self.db.read(|c, _| clients::list_clients(c))
    }

    fn update_client(&self, client: &Client) -> impl Fut<()> {
        let client = client.clone();
        self.db
            .write(move |c, cache| clients::update_client(c, cache, &client))
    }

    fn delete_client(&self, id: &ClientId) -> impl Fut<()> {
        let id = id.clone();
        self.db
            .write(move |c, cache| clients::delete_client(c, cache, &id))
    }
}

impl SessionStore for SqliteStore {
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
        grace: Duration,
    ) -> impl Fut<RotateOutcome> {
        let (hash, next) = (hash.to_vec(), next.clone());
        self.db
            .write(move |c, cache| rotate::rotate_refresh(c, cache, &hash, &next, now, grace))
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

    fn session_by_id(&self, id: &SessionId) -> impl Fut<Option<Session>> {
        let cached = self.db.cache.session(id.as_str());
        let id = id.clone();
        self.db.read_through(
            cached,
            move |c| sessions::session_by_id(c, &id),
            |cache, found| cache.put_session(found),
        )
    }

    fn sessions_of(&self, user: &UserId, now: Timestamp) -> impl Fut<Vec<Session>> {
        let user = user.clone();
        self.db
            .read(move |c, _| sessions::sessions_of(c, &user, now))
    }

    fn revoke_session(&self, id: &SessionId, now: Timestamp) -> impl Fut<bool> {
        let id = id.clone();
        self.db
            .write(move |c, cache| sessions::revoke_session(c, cache, &id, now))
    }
}

impl RevocationStore for SqliteStore {
    fn revoke_jti(&self, jti: &Jti, exp: Timestamp) -> impl Fut<i64> {
        let jti = jti.clone();
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

    fn is_revoked(&self, jti: &Jti) -> impl Fut<bool> {
        let cached = self.db.cache.revoked(jti.as_str());
        let jti = jti.clone();
        async move {
            if let Some(revoked) = cached {
                return Ok(revoked);
            }
            self.db
                .read(move |c, cache| {
                    let revoked = revocations::is_revoked(c, &jti)?;
                    cache.put_revoked(jti.as_str(), revoked);
                    Ok(revoked)
                })
                .await
        }
    }

    fn revocations_hint(&self) -> impl Future<Output = ()> + Send {
        // One server process per file: it sees its own revocations, and the feed's polling
        // covers what an admin command on the same file writes.
        pending()
    }
}

impl LockoutStore for SqliteStore {
    fn count_login_failure(
        &self,
        account: &LockoutKey,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> impl Fut<u32> {
        let account = account.clone();
        self.db
            .write(move |c, _| lockouts::count_login_failure(c, &account, now, expires_at))
    }

    fn lock_login(&self, account: &LockoutKey, until: UnixMillis) -> impl Fut<()> {
        let account = account.clone();
        self.db
            .write(move |c, _| lockouts::lock_login(c, &account, until))
    }

    fn login_locked_until(&self, account: &LockoutKey) -> impl Fut<Option<UnixMillis>> {
        let account = account.clone();
        self.db
            .read(move |c, _| lockouts::login_locked_until(c, &account))
    }

    fn clear_login_failures(&self, account: &LockoutKey) -> impl Fut<bool> {
        let account = account.clone();
        self.db
            .write(move |c, _| lockouts::clear_login_failures(c, &account))
    }
}

impl KeyStore for SqliteStore {
    fn insert_key(&self, key: &KeyRecord) -> impl Fut<()> {
        let key = key.clone();
        self.db.write(move |c, _| keys::insert_key(c, &key))
    }

    fn insert_key_after(&self, key: &KeyRecord, newest_seen: Option<&KeyId>) -> impl Fut<bool> {
        let (key, newest_seen) = (key.clone(), newest_seen.cloned());
        self.db
            .write(move |c, _| keys::insert_key_after(c, &key, newest_seen.as_ref()))
    }

    fn live_keys(&self) -> impl Fut<Vec<KeyRecord>> {
        self.db.read(|c, _| keys::live_keys(c))
    }

    fn all_keys(&self) -> impl Fut<Vec<KeyRecord>> {
        self.db.read(|c, _| keys::all_keys(c))
    }

    fn set_key_state(&self, kid: &KeyId, state: KeyState, now: Timestamp) -> impl Fut<()> {
        let kid = kid.clone();
        self.db
            .write(move |c, _| keys::set_key_state(c, &kid, state, now))
    }
}

impl ReplayStore for SqliteStore {
    fn record_dpop_jti(
        &self,
        jti_hash: &[u8],
        expires_at: Timestamp,
        now: Timestamp,
    ) -> impl Fut<bool> {
        // The record is dead from `expires_at` on; the cache keeps an entry through `until`.
        let until = expires_at.secs().saturating_sub(1);
        let first = self.dpop_jtis.first_use(jti_hash, until, now.secs());
        std::future::ready(Ok(first))
    }
}

impl WebhookStore for SqliteStore {
    fn create_webhook(&self, webhook: &Webhook) -> impl Fut<()> {
        let webhook = webhook.clone();
        self.db.write(move |c, _| webhooks::create(c, &webhook))
    }

    fn webhooks(&self) -> impl Fut<Vec<Webhook>> {
        self.db.read(|c, _| webhooks::all(c))
    }

    fn delete_webhook(&self, id: &WebhookId) -> impl Fut<bool> {
        let id = id.clone();
        self.db.write(move |c, _| webhooks::delete(c, &id))
    }

    fn claim_webhooks(
        &self,
        now: UnixMillis,
        lease_until: UnixMillis,
        limit: u32,
    ) -> impl Fut<Vec<Webhook>> {
        self.db
            .write(move |c, _| webhooks::claim(c, now, lease_until, limit))
    }

    fn update_webhook(
        &self,
        webhook: &Webhook,
        expected_cursor: i64,
        leased_until: Option<UnixMillis>,
    ) -> impl Fut<bool> {
        let webhook = webhook.clone();
        self.db
            .write(move |c, _| webhooks::update(c, &webhook, expected_cursor, leased_until))
    }
}

impl AuditStore for SqliteStore {
    fn append_event(&self, event: &NewEvent, at: UnixMillis) -> impl Fut<i64> {
        let event = event.clone();
        self.db.write(move |c, _| audit::append(c, &event, at))
    }

    fn latest_event_id(&self) -> impl Fut<i64> {
        self.db.read(|c, _| audit::latest(c))
    }

    fn audit_events(&self, query: &EventQuery) -> impl Fut<Vec<AuditEvent>> {
        let query = query.clone();
        self.db.read(move |c, _| audit::events(c, &query))
    }

    fn purge_events(&self, before: UnixMillis, keep: u64, batch: u32) -> impl Fut<u64> {
        self.db
            .write(move |c, _| audit::purge(c, before, keep, batch))
    }
}

impl FactorStore for SqliteStore {
    fn begin_totp(&self, factor: &TotpFactor) -> impl Fut<bool> {
        let factor = factor.clone();
        self.db.write(move |c, _| factors::begin_totp(c, &factor))
    }

    fn totp_of(&self, user: &UserId) -> impl Fut<Option<TotpFactor>> {
        let user = user.clone();
        self.db.read(move |c, _| factors::totp_of(c, &user))
    }

    fn confirm_totp(
        &self,
        user: &UserId,
        step: u64,
        at: Timestamp,
        recovery_macs: &[Vec<u8>],
    ) -> impl Fut<bool> {
        let (user, recovery_macs) = (user.clone(), recovery_macs.to_vec());
        self.db
            .write(move |c, _| factors::confirm_totp(c, &user, step, at, &recovery_macs))
    }

    fn use_totp_step(&self, user: &UserId, step: u64, at: Timestamp) -> impl Fut<bool> {
        let user = user.clone();
        self.db
            .write(move |c, _| factors::use_totp_step(c, &user, step, at))
    }

    fn replace_recovery_codes(&self, user: &UserId, recovery_macs: &[Vec<u8>]) -> impl Fut<()> {
        let (user, recovery_macs) = (user.clone(), recovery_macs.to_vec());
        self.db
            .write(move |c, _| factors::replace_recovery_codes(c, &user, &recovery_macs))
    }

    fn use_recovery_code(&self, user: &UserId, mac: &[u8]) -> impl Fut<bool> {
        let (user, mac) = (user.clone(), mac.to_vec());
        self.db
            .write(move |c, _| factors::use_recovery_code(c, &user, &mac))
    }

    fn recovery_codes_left(&self, user: &UserId) -> impl Fut<u32> {
        let user = user.clone();
        self.db
            .read(move |c, _| factors::recovery_codes_left(c, &user))
    }

    fn remove_factors(&self, user: &UserId) -> impl Fut<bool> {
        let user = user.clone();
        self.db.write(move |c, _| factors::remove_factors(c, &user))
    }
}

impl DeviceStore for SqliteStore {
    fn create_device_authorization(&self, request: &DeviceAuthorization) -> impl Fut<()> {
        let request = request.clone();
        self.db.write(move |c, _| devices::create(c, &request))
    }

    fn pending_device_by_user_code(
        &self,
        user_code: &str,
        now: Timestamp,
    ) -> impl Fut<Option<DeviceAuthorization>> {
        let user_code = user_code.to_owned();
        self.db
            .read(move |c, _| devices::pending_by_user_code(c, &user_code, now))
    }

    fn decide_device(
        &self,
        user_code: &str,
        approval: Option<&DeviceApproval>,
        now: Timestamp,
    ) -> impl Fut<bool> {
        let (user_code, approval) = (user_code.to_owned(), approval.cloned());
        self.db
            .write(move |c, _| devices::decide(c, &user_code, approval.as_ref(), now))
    }

    fn poll_device(
        &self,
        device_code_hash: &[u8],
        now: Timestamp,
    ) -> impl Fut<Option<DeviceAuthorization>> {
        let device_code_hash = device_code_hash.to_vec();
        self.db
            .write(move |c, _| devices::poll(c, &device_code_hash, now))
    }

    fn slow_device_down(&self, device_code_hash: &[u8], by_secs: i64) -> impl Fut<()> {
        let device_code_hash = device_code_hash.to_vec();
        self.db
            .write(move |c, _| devices::slow_down(c, &device_code_hash, by_secs))
    }

    fn redeem_device(&self, device_code_hash: &[u8]) -> impl Fut<bool> {
        let device_code_hash = device_code_hash.to_vec();
        self.db
            .write(move |c, _| devices::redeem(c, &device_code_hash))
    }
}

impl MaintenanceStore for SqliteStore {
    fn ping(&self) -> impl Fut<()> {
        self.db
            .read(|c: &Connection, _| c.execute_batch("SELECT 1").or_store("ping"))
    }

    fn purge_expired(&self, now: Timestamp) -> impl Fut<u64> {
        // DPoP proofs dead at `now` are those kept through a second before it.
        let forgotten = self.dpop_jtis.purge(now.secs()) as u64;
        let rows = self
            .db
            .write(move |c, cache| purge::purge_expired(c, cache, now));
        async move { Ok(rows.await? + forgotten) }
    }

    fn import(&self, snapshot: &Snapshot, retire: &[KeyId], now: Timestamp) -> impl Fut<()> {
        let (snapshot, retire) = (snapshot.clone(), retire.to_vec());
        self.db
            .write(move |c, cache| import::import(c, cache, &snapshot, &retire, now))
    }
}
