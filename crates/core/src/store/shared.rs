//! Every store trait for `Arc<T>`, so that one store can serve an authority and still be
//! reached by whoever shares it (tests that inspect it, a process that closes it).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{
    AccountStore, AuditStore, ClientStore, CodeStore, ConsentStore, Fut, KeyStore, LockoutStore,
    LoginSessionStore, MaintenanceStore, OutboxStore, ReplayStore, RevocationStore, SessionStore,
};
use crate::model::{AuditEvent, EventQuery, NewEvent, Webhook, WebhookId};
use crate::model::{
    AuthorizationCode, Client, ClientId, CodeOutcome, Consent, Jti, KeyId, KeyRecord, KeyState,
    LockoutKey, LoginSession, LoginSessionId, LogoutNotice, NoticeId, NoticeOutcome, RefreshRecord,
    Revocation, RotateOutcome, Session, SessionId, Timestamp, UnixMillis, User, UserId,
};
use crate::transfer::Snapshot;

impl<T: super::WebhookStore> super::WebhookStore for Arc<T> {
    fn create_webhook(&self, webhook: &Webhook) -> impl Fut<()> {
        (**self).create_webhook(webhook)
    }
    fn webhooks(&self) -> impl Fut<Vec<Webhook>> {
        (**self).webhooks()
    }
    fn delete_webhook(&self, id: &WebhookId) -> impl Fut<bool> {
        (**self).delete_webhook(id)
    }
    fn claim_webhooks(
        &self,
        now: UnixMillis,
        lease_until: UnixMillis,
        limit: u32,
    ) -> impl Fut<Vec<Webhook>> {
        (**self).claim_webhooks(now, lease_until, limit)
    }
    fn update_webhook(
        &self,
        webhook: &Webhook,
        expected_cursor: i64,
        leased_until: Option<UnixMillis>,
    ) -> impl Fut<bool> {
        (**self).update_webhook(webhook, expected_cursor, leased_until)
    }
}

impl<T: AuditStore> AuditStore for Arc<T> {
    fn append_event(&self, event: &NewEvent, at: UnixMillis) -> impl Fut<i64> {
        (**self).append_event(event, at)
    }
    fn latest_event_id(&self) -> impl Fut<i64> {
        (**self).latest_event_id()
    }
    fn audit_events(&self, query: &EventQuery) -> impl Fut<Vec<AuditEvent>> {
        (**self).audit_events(query)
    }
    fn purge_events(&self, before: UnixMillis, keep: u64, batch: u32) -> impl Fut<u64> {
        (**self).purge_events(before, keep, batch)
    }
}

impl<T: AccountStore> AccountStore for Arc<T> {
    fn create_user(&self, user: &User) -> impl Fut<()> {
        (**self).create_user(user)
    }
    fn user_by_name(&self, username: &str) -> impl Fut<Option<User>> {
        (**self).user_by_name(username)
    }
    fn user_by_id(&self, id: &UserId) -> impl Fut<Option<User>> {
        (**self).user_by_id(id)
    }
    fn list_users(&self) -> impl Fut<Vec<User>> {
        (**self).list_users()
    }
    fn search_users(&self, prefix: &str, after: Option<&str>, limit: u32) -> impl Fut<Vec<User>> {
        (**self).search_users(prefix, after, limit)
    }
    fn set_password(
        &self,
        user: &UserId,
        hash: &str,
        now: Timestamp,
        keep_session: Option<&SessionId>,
    ) -> impl Fut<()> {
        (**self).set_password(user, hash, now, keep_session)
    }
    fn someone_else_has_role(&self, role: &str, except: &UserId) -> impl Fut<bool> {
        (**self).someone_else_has_role(role, except)
    }
    fn rehash_password(&self, user: &UserId, hash: &str) -> impl Fut<()> {
        (**self).rehash_password(user, hash)
    }
    fn set_disabled(&self, user: &UserId, disabled: bool, now: Timestamp) -> impl Fut<()> {
        (**self).set_disabled(user, disabled, now)
    }
    fn set_roles(&self, user: &UserId, roles: &[String]) -> impl Fut<()> {
        (**self).set_roles(user, roles)
    }
    fn delete_user(&self, user: &UserId) -> impl Fut<()> {
        (**self).delete_user(user)
    }
}

impl<T: ClientStore> ClientStore for Arc<T> {
    fn create_client(&self, client: &Client) -> impl Fut<()> {
        (**self).create_client(client)
    }
    fn client_by_id(&self, id: &ClientId) -> impl Fut<Option<Client>> {
        (**self).client_by_id(id)
    }
    fn list_clients(&self) -> impl Fut<Vec<Client>> {
        (**self).list_clients()
    }
    fn update_client(&self, client: &Client) -> impl Fut<()> {
        (**self).update_client(client)
    }
    fn delete_client(&self, id: &ClientId) -> impl Fut<()> {
        (**self).delete_client(id)
    }
}

impl<T: SessionStore> SessionStore for Arc<T> {
    fn create_session(&self, session: &Session, first: &RefreshRecord) -> impl Fut<()> {
        (**self).create_session(session, first)
    }
    fn rotate_refresh(
        &self,
        hash: &[u8],
        next: &RefreshRecord,
        now: Timestamp,
        grace: Duration,
    ) -> impl Fut<RotateOutcome> {
        (**self).rotate_refresh(hash, next, now, grace)
    }
    fn refresh_record(&self, hash: &[u8]) -> impl Fut<Option<RefreshRecord>> {
        (**self).refresh_record(hash)
    }
    fn session_by_refresh(&self, hash: &[u8]) -> impl Fut<Option<Session>> {
        (**self).session_by_refresh(hash)
    }
    fn session_by_id(&self, id: &SessionId) -> impl Fut<Option<Session>> {
        (**self).session_by_id(id)
    }
    fn sessions_of(&self, user: &UserId, now: Timestamp) -> impl Fut<Vec<Session>> {
        (**self).sessions_of(user, now)
    }
    fn revoke_session(&self, id: &SessionId, now: Timestamp) -> impl Fut<bool> {
        (**self).revoke_session(id, now)
    }
}

impl<T: KeyStore> KeyStore for Arc<T> {
    fn insert_key(&self, key: &KeyRecord) -> impl Fut<()> {
        (**self).insert_key(key)
    }
    fn insert_key_after(&self, key: &KeyRecord, newest_seen: Option<&KeyId>) -> impl Fut<bool> {
        (**self).insert_key_after(key, newest_seen)
    }
    fn live_keys(&self) -> impl Fut<Vec<KeyRecord>> {
        (**self).live_keys()
    }
    fn all_keys(&self) -> impl Fut<Vec<KeyRecord>> {
        (**self).all_keys()
    }
    fn set_key_state(&self, kid: &KeyId, state: KeyState, now: Timestamp) -> impl Fut<()> {
        (**self).set_key_state(kid, state, now)
    }
}

impl<T: RevocationStore> RevocationStore for Arc<T> {
    fn revoke_jti(&self, jti: &Jti, exp: Timestamp) -> impl Fut<i64> {
        (**self).revoke_jti(jti, exp)
    }
    fn revocations_since(
        &self,
        cursor: i64,
        now: Timestamp,
        limit: u32,
    ) -> impl Fut<Vec<Revocation>> {
        (**self).revocations_since(cursor, now, limit)
    }
    fn is_revoked(&self, jti: &Jti) -> impl Fut<bool> {
        (**self).is_revoked(jti)
    }
    fn revocations_hint(&self) -> impl Future<Output = ()> + Send {
        (**self).revocations_hint()
    }
}

impl<T: ReplayStore> ReplayStore for Arc<T> {
    fn record_dpop_jti(
        &self,
        jti_hash: &[u8],
        expires_at: Timestamp,
        now: Timestamp,
    ) -> impl Fut<bool> {
        (**self).record_dpop_jti(jti_hash, expires_at, now)
    }
}

impl<T: LockoutStore> LockoutStore for Arc<T> {
    fn count_login_failure(
        &self,
        account: &LockoutKey,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> impl Fut<u32> {
        (**self).count_login_failure(account, now, expires_at)
    }
    fn lock_login(&self, account: &LockoutKey, until: UnixMillis) -> impl Fut<()> {
        (**self).lock_login(account, until)
    }
    fn login_locked_until(&self, account: &LockoutKey) -> impl Fut<Option<UnixMillis>> {
        (**self).login_locked_until(account)
    }
    fn clear_login_failures(&self, account: &LockoutKey) -> impl Fut<bool> {
        (**self).clear_login_failures(account)
    }
}

impl<T: MaintenanceStore> MaintenanceStore for Arc<T> {
    fn ping(&self) -> impl Fut<()> {
        (**self).ping()
    }
    fn purge_expired(&self, now: Timestamp) -> impl Fut<u64> {
        (**self).purge_expired(now)
    }
    fn import(&self, snapshot: &Snapshot, retire: &[KeyId], now: Timestamp) -> impl Fut<()> {
        (**self).import(snapshot, retire, now)
    }
}

impl<T: LoginSessionStore> LoginSessionStore for Arc<T> {
    fn create_login_session(&self, session: &LoginSession) -> impl Fut<()> {
        (**self).create_login_session(session)
    }
    fn login_session_by_secret(&self, secret_hash: &[u8]) -> impl Fut<Option<LoginSession>> {
        (**self).login_session_by_secret(secret_hash)
    }
    fn login_session_by_id(&self, id: &LoginSessionId) -> impl Fut<Option<LoginSession>> {
        (**self).login_session_by_id(id)
    }
    fn touch_login_session(
        &self,
        id: &LoginSessionId,
        now: Timestamp,
        idle_expires_at: Timestamp,
    ) -> impl Fut<()> {
        (**self).touch_login_session(id, now, idle_expires_at)
    }
    fn reauthenticate(
        &self,
        id: &LoginSessionId,
        secret_hash: &[u8],
        amr: &[String],
        acr: Option<&str>,
        now: Timestamp,
        idle_expires_at: Timestamp,
    ) -> impl Fut<bool> {
        (**self).reauthenticate(id, secret_hash, amr, acr, now, idle_expires_at)
    }
    fn login_sessions_of(&self, user: &UserId, now: Timestamp) -> impl Fut<Vec<LoginSession>> {
        (**self).login_sessions_of(user, now)
    }
    fn note_login_client(
        &self,
        id: &LoginSessionId,
        client: &ClientId,
        now: Timestamp,
    ) -> impl Fut<()> {
        (**self).note_login_client(id, client, now)
    }
    fn login_session_clients(&self, id: &LoginSessionId) -> impl Fut<Vec<ClientId>> {
        (**self).login_session_clients(id)
    }
    fn end_login_session(
        &self,
        id: &LoginSessionId,
        now: Timestamp,
        notices: &[LogoutNotice],
    ) -> impl Fut<bool> {
        (**self).end_login_session(id, now, notices)
    }
}

impl<T: CodeStore> CodeStore for Arc<T> {
    fn create_code(&self, code: &AuthorizationCode) -> impl Fut<()> {
        (**self).create_code(code)
    }
    fn code_by_hash(&self, hash: &[u8], now: Timestamp) -> impl Fut<Option<AuthorizationCode>> {
        (**self).code_by_hash(hash, now)
    }
    fn exchange_code(
        &self,
        hash: &[u8],
        now: Timestamp,
        session: &Session,
        first: &RefreshRecord,
        jti: &Jti,
        exp: Timestamp,
    ) -> impl Fut<CodeOutcome> {
        (**self).exchange_code(hash, now, session, first, jti, exp)
    }
}

impl<T: ConsentStore> ConsentStore for Arc<T> {
    fn consent_of(&self, user: &UserId, client: &ClientId) -> impl Fut<Option<Consent>> {
        (**self).consent_of(user, client)
    }
    fn save_consent(&self, consent: &Consent) -> impl Fut<()> {
        (**self).save_consent(consent)
    }
}

impl<T: OutboxStore> OutboxStore for Arc<T> {
    fn claim_logout_notices(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> impl Fut<Vec<LogoutNotice>> {
        (**self).claim_logout_notices(now, lease, limit)
    }
    fn finish_logout_notice(
        &self,
        id: &NoticeId,
        outcome: &NoticeOutcome,
        now: Timestamp,
    ) -> impl Fut<()> {
        (**self).finish_logout_notice(id, outcome, now)
    }
    fn pending_logout_notices(&self) -> impl Fut<Vec<LogoutNotice>> {
        (**self).pending_logout_notices()
    }
}

impl<T: super::FactorStore> super::FactorStore for Arc<T> {
    fn begin_totp(&self, factor: &crate::model::TotpFactor) -> impl Fut<bool> {
        (**self).begin_totp(factor)
    }
    fn totp_of(&self, user: &UserId) -> impl Fut<Option<crate::model::TotpFactor>> {
        (**self).totp_of(user)
    }
    fn confirm_totp(
        &self,
        user: &UserId,
        step: u64,
        at: Timestamp,
        recovery_macs: &[Vec<u8>],
    ) -> impl Fut<bool> {
        (**self).confirm_totp(user, step, at, recovery_macs)
    }
    fn use_totp_step(&self, user: &UserId, step: u64, at: Timestamp) -> impl Fut<bool> {
        (**self).use_totp_step(user, step, at)
    }
    fn replace_recovery_codes(&self, user: &UserId, recovery_macs: &[Vec<u8>]) -> impl Fut<()> {
        (**self).replace_recovery_codes(user, recovery_macs)
    }
    fn use_recovery_code(&self, user: &UserId, mac: &[u8]) -> impl Fut<bool> {
        (**self).use_recovery_code(user, mac)
    }
    fn recovery_codes_left(&self, user: &UserId) -> impl Fut<u32> {
        (**self).recovery_codes_left(user)
    }
    fn remove_factors(&self, user: &UserId) -> impl Fut<bool> {
        (**self).remove_factors(user)
    }
}

impl<T: super::DeviceStore> super::DeviceStore for Arc<T> {
    fn create_device_authorization(
        &self,
        request: &crate::model::DeviceAuthorization,
    ) -> impl Fut<()> {
        (**self).create_device_authorization(request)
    }
    fn pending_device_by_user_code(
        &self,
        user_code: &str,
        now: Timestamp,
    ) -> impl Fut<Option<crate::model::DeviceAuthorization>> {
        (**self).pending_device_by_user_code(user_code, now)
    }
    fn decide_device(
        &self,
        user_code: &str,
        approval: Option<&crate::model::DeviceApproval>,
        now: Timestamp,
    ) -> impl Fut<bool> {
        (**self).decide_device(user_code, approval, now)
    }
    fn poll_device(
        &self,
        device_code_hash: &[u8],
        now: Timestamp,
    ) -> impl Fut<Option<crate::model::DeviceAuthorization>> {
        (**self).poll_device(device_code_hash, now)
    }
    fn slow_device_down(&self, device_code_hash: &[u8], by_secs: i64) -> impl Fut<()> {
        (**self).slow_device_down(device_code_hash, by_secs)
    }
    fn redeem_device(&self, device_code_hash: &[u8]) -> impl Fut<bool> {
        (**self).redeem_device(device_code_hash)
    }
}
