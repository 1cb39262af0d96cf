//! The store traits for [`AnyStore`]: every method forwards to the backend inside.

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

use super::AnyStore;

impl AccountStore for AnyStore {
    fn create_user(&self, user: &User) -> impl Fut<()> {
        dispatch!(self, s => s.create_user(user))
    }

    fn user_by_name(&self, username: &str) -> impl Fut<Option<User>> {
        dispatch!(self, s => s.user_by_name(username))
    }

    fn user_by_id(&self, id: &UserId) -> impl Fut<Option<User>> {
        dispatch!(self, s => s.user_by_id(id))
    }

    fn list_users(&self) -> impl Fut<Vec<User>> {
        dispatch!(self, s => s.list_users())
    }

    fn search_users(&self, prefix: &str, after: Option<&str>, limit: u32) -> impl Fut<Vec<User>> {
        dispatch!(self, s => s.search_users(prefix, after, limit))
    }

    fn set_password(
        &self,
        user: &UserId,
        hash: &str,
        now: Timestamp,
        keep_session: Option<&SessionId>,
    ) -> impl Fut<()> {
        dispatch!(self, s => s.set_password(user, hash, now, keep_session))
    }

    fn rehash_password(&self, user: &UserId, hash: &str) -> impl Fut<()> {
        dispatch!(self, s => s.rehash_password(user, hash))
    }

    fn set_disabled(&self, user: &UserId, disabled: bool, now: Timestamp) -> impl Fut<()> {
        dispatch!(self, s => s.set_disabled(user, disabled, now))
    }

    fn someone_else_has_role(&self, role: &str, except: &UserId) -> impl Fut<bool> {
        dispatch!(self, s => s.someone_else_has_role(role, except))
    }

    fn set_roles(&self, user: &UserId, roles: &[String]) -> impl Fut<()> {
        dispatch!(self, s => s.set_roles(user, roles))
    }

    fn delete_user(&self, user: &UserId) -> impl Fut<()> {
        dispatch!(self, s => s.delete_user(user))
    }
}

impl ClientStore for AnyStore {
    fn create_client(&self, client: &Client) -> impl Fut<()> {
        dispatch!(self, s => s.create_client(client))
    }

    fn client_by_id(&self, id: &ClientId) -> impl Fut<Option<Client>> {
        dispatch!(self, s => s.client_by_id(id))
    }

    fn list_clients(&self) -> impl Fut<Vec<Client>> {
        dispatch!(self, s => s.list_clients())
    }

    fn update_client(&self, client: &Client) -> impl Fut<()> {
        dispatch!(self, s => s.update_client(client))
    }

    fn delete_client(&self, id: &ClientId) -> impl Fut<()> {
        dispatch!(self, s => s.delete_client(id))
    }
}

impl SessionStore for AnyStore {
    fn create_session(&self, session: &Session, first: &RefreshRecord) -> impl Fut<()> {
        dispatch!(self, s => s.create_session(session, first))
    }

    fn rotate_refresh(
        &self,
        hash: &[u8],
        next: &RefreshRecord,
        now: Timestamp,
        grace: Duration,
    ) -> impl Fut<RotateOutcome> {
        dispatch!(self, s => s.rotate_refresh(hash, next, now, grace))
    }

    fn refresh_record(&self, hash: &[u8]) -> impl Fut<Option<RefreshRecord>> {
        dispatch!(self, s => s.refresh_record(hash))
    }

    fn session_by_refresh(&self, hash: &[u8]) -> impl Fut<Option<Session>> {
        dispatch!(self, s => s.session_by_refresh(hash))
    }

    fn session_by_id(&self, id: &SessionId) -> impl Fut<Option<Session>> {
        dispatch!(self, s => s.session_by_id(id))
    }

    fn sessions_of(&self, user: &UserId, now: Timestamp) -> impl Fut<Vec<Session>> {
        dispatch!(self, s => s.sessions_of(user, now))
    }

    fn revoke_session(&self, id: &SessionId, now: Timestamp) -> impl Fut<bool> {
        dispatch!(self, s => s.revoke_session(id, now))
    }
}

impl RevocationStore for AnyStore {
    fn revoke_jti(&self, jti: &Jti, exp: Timestamp) -> impl Fut<i64> {
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

    fn is_revoked(&self, jti: &Jti) -> impl Fut<bool> {
        dispatch!(self, s => s.is_revoked(jti))
    }

    async fn revocations_hint(&self) {
        match self {
            AnyStore::Sqlite(store) => store.revocations_hint().await,
            AnyStore::Postgres(store) => store.revocations_hint().await,
        }
    }
}

impl LockoutStore for AnyStore {
    fn count_login_failure(
        &self,
        account: &LockoutKey,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> impl Fut<u32> {
        dispatch!(self, s => s.count_login_failure(account, now, expires_at))
    }

    fn lock_login(&self, account: &LockoutKey, until: UnixMillis) -> impl Fut<()> {
        dispatch!(self, s => s.lock_login(account, until))
    }

    fn login_locked_until(&self, account: &LockoutKey) -> impl Fut<Option<UnixMillis>> {
        dispatch!(self, s => s.login_locked_until(account))
    }

    fn clear_login_failures(&self, account: &LockoutKey) -> impl Fut<bool> {
        dispatch!(self, s => s.clear_login_failures(account))
    }
}

impl KeyStore for AnyStore {
    fn insert_key(&self, key: &KeyRecord) -> impl Fut<()> {
        dispatch!(self, s => s.insert_key(key))
    }

    fn insert_key_after(&self, key: &KeyRecord, newest_seen: Option<&KeyId>) -> impl Fut<bool> {
        dispatch!(self, s => s.insert_key_after(key, newest_seen))
    }

    fn live_keys(&self) -> impl Fut<Vec<KeyRecord>> {
        dispatch!(self, s => s.live_keys())
    }

    fn all_keys(&self) -> impl Fut<Vec<KeyRecord>> {
        dispatch!(self, s => s.all_keys())
    }

    fn set_key_state(&self, kid: &KeyId, state: KeyState, now: Timestamp) -> impl Fut<()> {
        dispatch!(self, s => s.set_key_state(kid, state, now))
    }
}

impl ReplayStore for AnyStore {
    fn record_dpop_jti(
        &self,
        jti_hash: &[u8],
        expires_at: Timestamp,
        now: Timestamp,
    ) -> impl Fut<bool> {
        dispatch!(self, s => s.record_dpop_jti(jti_hash, expires_at, now))
    }
}

impl WebhookStore for AnyStore {
    fn create_webhook(&self, webhook: &Webhook) -> impl Fut<()> {
        dispatch!(self, s => s.create_webhook(webhook))
    }

    fn webhooks(&self) -> impl Fut<Vec<Webhook>> {
        dispatch!(self, s => s.webhooks())
    }

    fn delete_webhook(&self, id: &WebhookId) -> impl Fut<bool> {
        dispatch!(self, s => s.delete_webhook(id))
    }

    fn claim_webhooks(
        &self,
        now: UnixMillis,
        lease_until: UnixMillis,
        limit: u32,
    ) -> impl Fut<Vec<Webhook>> {
        dispatch!(self, s => s.claim_webhooks(now, lease_until, limit))
    }

    fn update_webhook(
        &self,
        webhook: &Webhook,
        expected_cursor: i64,
        leased_until: Option<UnixMillis>,
    ) -> impl Fut<bool> {
        dispatch!(self, s => s.update_webhook(webhook, expected_cursor, leased_until))
    }
}

impl AuditStore for AnyStore {
    fn append_event(&self, event: &NewEvent, at: UnixMillis) -> impl Fut<i64> {
        dispatch!(self, s => s.append_event(event, at))
    }

    fn latest_event_id(&self) -> impl Fut<i64> {
        dispatch!(self, s => s.latest_event_id())
    }

    fn audit_events(&self, query: &EventQuery) -> impl Fut<Vec<AuditEvent>> {
        dispatch!(self, s => s.audit_events(query))
    }

    fn purge_events(&self, before: UnixMillis, keep: u64, batch: u32) -> impl Fut<u64> {
        dispatch!(self, s => s.purge_events(before, keep, batch))
    }
}

impl FactorStore for AnyStore {
    fn begin_totp(&self, factor: &TotpFactor) -> impl Fut<bool> {
        dispatch!(self, s => s.begin_totp(factor))
    }

    fn totp_of(&self, user: &UserId) -> impl Fut<Option<TotpFactor>> {
        dispatch!(self, s => s.totp_of(user))
    }

    fn confirm_totp(
        &self,
        user: &UserId,
        step: u64,
        at: Timestamp,
        recovery_macs: &[Vec<u8>],
    ) -> impl Fut<bool> {
        dispatch!(self, s => s.confirm_totp(user, step, at, recovery_macs))
    }

    fn use_totp_step(&self, user: &UserId, step: u64, at: Timestamp) -> impl Fut<bool> {
        dispatch!(self, s => s.use_totp_step(user, step, at))
    }

    fn replace_recovery_codes(&self, user: &UserId, recovery_macs: &[Vec<u8>]) -> impl Fut<()> {
        dispatch!(self, s => s.replace_recovery_codes(user, recovery_macs))
    }

    fn use_recovery_code(&self, user: &UserId, mac: &[u8]) -> impl Fut<bool> {
        dispatch!(self, s => s.use_recovery_code(user, mac))
    }

    fn recovery_codes_left(&self, user: &UserId) -> impl Fut<u32> {
        dispatch!(self, s => s.recovery_codes_left(user))
    }

    fn remove_factors(&self, user: &UserId) -> impl Fut<bool> {
        dispatch!(self, s => s.remove_factors(user))
    }
}

impl DeviceStore for AnyStore {
    fn create_device_authorization(&self, request: &DeviceAuthorization) -> impl Fut<()> {
        dispatch!(self, s => s.create_device_authorization(request))
    }

    fn pending_device_by_user_code(
        &self,
        user_code: &str,
        now: Timestamp,
    ) -> impl Fut<Option<DeviceAuthorization>> {
        dispatch!(self, s => s.pending_device_by_user_code(user_code, now))
    }

    fn decide_device(
        &self,
        user_code: &str,
        approval: Option<&DeviceApproval>,
        now: Timestamp,
    ) -> impl Fut<bool> {
        dispatch!(self, s => s.decide_device(user_code, approval, now))
    }

    fn poll_device(
        &self,
        device_code_hash: &[u8],
        now: Timestamp,
    ) -> impl Fut<Option<DeviceAuthorization>> {
        dispatch!(self, s => s.poll_device(device_code_hash, now))
    }

    fn slow_device_down(&self, device_code_hash: &[u8], by_secs: i64) -> impl Fut<()> {
        dispatch!(self, s => s.slow_device_down(device_code_hash, by_secs))
    }

    fn redeem_device(&self, device_code_hash: &[u8]) -> impl Fut<bool> {
        dispatch!(self, s => s.redeem_device(device_code_hash))
    }
}

impl MaintenanceStore for AnyStore {
    fn ping(&self) -> impl Fut<()> {
        dispatch!(self, s => s.ping())
    }

    fn purge_expired(&self, now: Timestamp) -> impl Fut<u64> {
        dispatch!(self, s => s.purge_expired(now))
    }

    fn import(&self, snapshot: &Snapshot, retire: &[KeyId], now: Timestamp) -> impl Fut<()> {
        dispatch!(self, s => s.import(snapshot, retire, now))
    }
}
