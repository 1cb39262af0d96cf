//! The store traits for [`PgStore`], one line per method.

use std::future::Future;
use std::time::Duration;

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

use super::{
    PgStore, accounts, audit, clients, devices, factors, import, keys, lockouts, purge, replay,
    revocations, rotate, sessions, webhooks,
};

impl AccountStore for PgStore {
    fn create_user(&self, user: &User) -> impl Fut<()> {
        accounts::create_user(&self.pool, user)
    }

    fn user_by_name(&self, username: &str) -> impl Fut<Option<User>> {
        accounts::user_by_name(&self.pool, username)
    }

    fn user_by_id(&self, id: &UserId) -> impl Fut<Option<User>> {
        accounts::user_by_id(&self.pool, id)
    }

    fn list_users(&self) -> impl Fut<Vec<User>> {
        accounts::list_users(&self.pool)
    }

    fn search_users(&self, prefix: &str, after: Option<&str>, limit: u32) -> impl Fut<Vec<User>> {
        let range = crate::codec::UserRange::new(prefix, after, limit);
        accounts::search_users(&self.pool, range)
    }

    fn set_password(
        &self,
        user: &UserId,
        hash: &str,
        now: Timestamp,
        keep_session: Option<&SessionId>,
    ) -> impl Fut<()> {
        accounts::set_password(&self.pool, user, hash, now, keep_session)
    }

    fn rehash_password(&self, user: &UserId, hash: &str) -> impl Fut<()> {
        accounts::rehash_password(&self.pool, user, hash)
    }

    fn set_disabled(&self, user: &UserId, disabled: bool, now: Timestamp) -> impl Fut<()> {
        accounts::set_disabled(&self.pool, user, disabled, now)
    }

    fn someone_else_has_role(&self, role: &str, except: &UserId) -> impl Fut<bool> {
        accounts::someone_else_has_role(&self.pool, role, except)
    }

    fn set_roles(&self, user: &UserId, roles: &[String]) -> impl Fut<()> {
        accounts::set_roles(&self.pool, user, roles)
    }

    fn delete_user(&self, user: &UserId) -> impl Fut<()> {
        accounts::delete_user(&self.pool, user)
    }
}

impl ClientStore for PgStore {
    fn create_client(&self, client: &Client) -> impl Fut<()> {
        clients::create_client(&self.pool, client)
    }

    fn client_by_id(&self, id: &ClientId) -> impl Fut<Option<Client>> {
        clients::client_by_id(&self.pool, id)
    }

    fn list_clients(&self) -> impl Fut<Vec<Client>> {
        clients::list_clients(&self.pool)
    }

    fn update_client(&self, client: &Client) -> impl Fut<()> {
        clients::update_client(&self.pool, client)
    }

    fn delete_client(&self, id: &ClientId) -> impl Fut<()> {
        clients::delete_client(&self.pool, id)
    }
}

impl SessionStore for PgStore {
    fn create_session(&self, session: &Session, first: &RefreshRecord) -> impl Fut<()> {
        sessions::create_session(&self.pool, session, first)
    }

    fn rotate_refresh(
        &self,
        hash: &[u8],
        next: &RefreshRecord,
        now: Timestamp,
        grace: Duration,
    ) -> impl Fut<RotateOutcome> {
        rotate::rotate_refresh(&self.pool, hash, next, now, grace)
    }

    fn refresh_record(&self, hash: &[u8]) -> impl Fut<Option<RefreshRecord>> {
        sessions::refresh_record(&self.pool, hash)
    }

    fn session_by_refresh(&self, hash: &[u8]) -> impl Fut<Option<Session>> {
        sessions::session_by_refresh(&self.pool, hash)
    }

    fn session_by_id(&self, id: &SessionId) -> impl Fut<Option<Session>> {
        sessions::session_by_id(&self.pool, id)
    }

    fn sessions_of(&self, user: &UserId, now: Timestamp) -> impl Fut<Vec<Session>> {
        sessions::sessions_of(&self.pool, user, now)
    }

    fn revoke_session(&self, id: &SessionId, now: Timestamp) -> impl Fut<bool> {
        sessions::revoke_session(&self.pool, id, now)
    }
}

impl RevocationStore for PgStore {
    fn revoke_jti(&self, jti: &Jti, exp: Timestamp) -> impl Fut<i64> {
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

    fn is_revoked(&self, jti: &Jti) -> impl Fut<bool> {
        revocations::is_revoked(&self.pool, jti)
    }

    fn revocations_hint(&self) -> impl Future<Output = ()> + Send {
        self.revocation_hints.wait(&self.pool)
    }
}

impl LockoutStore for PgStore {
    fn count_login_failure(
        &self,
        account: &LockoutKey,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> impl Fut<u32> {
        lockouts::count_login_failure(&self.pool, account, now, expires_at)
    }

    fn lock_login(&self, account: &LockoutKey, until: UnixMillis) -> impl Fut<()> {
        lockouts::lock_login(&self.pool, account, until)
    }

    fn login_locked_until(&self, account: &LockoutKey) -> impl Fut<Option<UnixMillis>> {
        lockouts::login_locked_until(&self.pool, account)
    }

    fn clear_login_failures(&self, account: &LockoutKey) -> impl Fut<bool> {
        lockouts::clear_login_failures(&self.pool, account)
    }
}

impl KeyStore for PgStore {
    fn insert_key(&self, key: &KeyRecord) -> impl Fut<()> {
        keys::insert_key(&self.pool, key)
    }

    fn insert_key_after(&self, key: &KeyRecord, newest_seen: Option<&KeyId>) -> impl Fut<bool> {
        keys::insert_key_after(&self.pool, key, newest_seen)
    }

    fn live_keys(&self) -> impl Fut<Vec<KeyRecord>> {
        keys::live_keys(&self.pool)
    }

    fn all_keys(&self) -> impl Fut<Vec<KeyRecord>> {
        keys::all_keys(&self.pool)
    }

    fn set_key_state(&self, kid: &KeyId, state: KeyState, now: Timestamp) -> impl Fut<()> {
        keys::set_key_state(&self.pool, kid, state, now)
    }
}

impl ReplayStore for PgStore {
    fn record_dpop_jti(
        &self,
        jti_hash: &[u8],
        expires_at: Timestamp,
        now: Timestamp,
    ) -> impl Fut<bool> {
        replay::record_dpop_jti(&self.pool, jti_hash, expires_at, now)
    }
}

impl WebhookStore for PgStore {
    fn create_webhook(&self, webhook: &Webhook) -> impl Fut<()> {
        webhooks::create(&self.pool, webhook)
    }

    fn webhooks(&self) -> impl Fut<Vec<Webhook>> {
        webhooks::all(&self.pool)
    }

    fn delete_webhook(&self, id: &WebhookId) -> impl Fut<bool> {
        webhooks::delete(&self.pool, id)
    }

    fn claim_webhooks(
        &self,
        now: UnixMillis,
        lease_until: UnixMillis,
        limit: u32,
    ) -> impl Fut<Vec<Webhook>> {
        webhooks::claim(&self.pool, now, lease_until, limit)
    }

    fn update_webhook(
        &self,
        webhook: &Webhook,
        expected_cursor: i64,
        leased_until: Option<UnixMillis>,
    ) -> impl Fut<bool> {
        webhooks::update(&self.pool, webhook, expected_cursor, leased_until)
    }
}

impl AuditStore for PgStore {
    fn append_event(&self, event: &NewEvent, at: UnixMillis) -> impl Fut<i64> {
        audit::append(&self.pool, event, at)
    }

    fn latest_event_id(&self) -> impl Fut<i64> {
        audit::latest(&self.pool)
    }

    fn audit_events(&self, query: &EventQuery) -> impl Fut<Vec<AuditEvent>> {
        audit::events(&self.pool, query)
    }

    fn purge_events(&self, before: UnixMillis, keep: u64, batch: u32) -> impl Fut<u64> {
        audit::purge(&self.pool, before, keep, batch)
    }
}

impl FactorStore for PgStore {
    fn begin_totp(&self, factor: &TotpFactor) -> impl Fut<bool> {
        factors::begin_totp(&self.pool, factor)
    }

    fn totp_of(&self, user: &UserId) -> impl Fut<Option<TotpFactor>> {
        factors::totp_of(&self.pool, user)
    }

    fn confirm_totp(
        &self,
        user: &UserId,
        step: u64,
        at: Timestamp,
        recovery_macs: &[Vec<u8>],
    ) -> impl Fut<bool> {
        factors::confirm_totp(&self.pool, user, step, at, recovery_macs)
    }

    fn use_totp_step(&self, user: &UserId, step: u64, at: Timestamp) -> impl Fut<bool> {
        factors::use_totp_step(&self.pool, user, step, at)
    }

    fn replace_recovery_codes(&self, user: &UserId, recovery_macs: &[Vec<u8>]) -> impl Fut<()> {
        factors::replace_recovery_codes(&self.pool, user, recovery_macs)
    }

    fn use_recovery_code(&self, user: &UserId, mac: &[u8]) -> impl Fut<bool> {
        factors::use_recovery_code(&self.pool, user, mac)
    }

    fn recovery_codes_left(&self, user: &UserId) -> impl Fut<u32> {
        factors::recovery_codes_left(&self.pool, user)
    }

    fn remove_factors(&self, user: &UserId) -> impl Fut<bool> {
        factors::remove_factors(&self.pool, user)
    }
}

impl DeviceStore for PgStore {
    fn create_device_authorization(&self, request: &DeviceAuthorization) -> impl Fut<()> {
        devices::create(&self.pool, request)
    }

    fn pending_device_by_user_code(
        &self,
        user_code: &str,
        now: Timestamp,
    ) -> impl Fut<Option<DeviceAuthorization>> {
        devices::pending_by_user_code(&self.pool, user_code, now)
    }

    fn decide_device(
        &self,
        user_code: &str,
        approval: Option<&DeviceApproval>,
        now: Timestamp,
    ) -> impl Fut<bool> {
        devices::decide(&self.pool, user_code, approval, now)
    }

    fn poll_device(
        &self,
        device_code_hash: &[u8],
        now: Timestamp,
    ) -> impl Fut<Option<DeviceAuthorization>> {
        devices::poll(&self.pool, device_code_hash, now)
    }

    fn slow_device_down(&self, device_code_hash: &[u8], by_secs: i64) -> impl Fut<()> {
        devices::slow_down(&self.pool, device_code_hash, by_secs)
    }

    fn redeem_device(&self, device_code_hash: &[u8]) -> impl Fut<bool> {
        devices::redeem(&self.pool, device_code_hash)
    }
}

impl MaintenanceStore for PgStore {
    fn ping(&self) -> impl Fut<()> {
        self.ping_directly()
    }

    fn purge_expired(&self, now: Timestamp) -> impl Fut<u64> {
        purge::purge_expired(&self.pool, now)
    }

    fn import(&self, snapshot: &Snapshot, retire: &[KeyId], now: Timestamp) -> impl Fut<()> {
        import::import(&self.pool, snapshot, retire, now)
    }
}
