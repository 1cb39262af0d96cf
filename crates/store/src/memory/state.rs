//! What a [`MemoryStore`](super::MemoryStore) holds, and the changes that take more than one
//! step. The store calls these under its lock, so each call is atomic.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tessera_core::StoreError;
use tessera_core::model::{
    AuditEvent, Client, DeviceAuthorization, Jti, KeyId, KeyRecord, KeyState, LockoutKey,
    RefreshRecord, Revocation, RotateOutcome, Session, SessionId, Timestamp, TotpFactor,
    UnixMillis, User, UserId, Webhook,
};
use tessera_core::refresh::{Decision, decide};
use tessera_core::transfer::Snapshot;

use super::browser::Browser;

/// Every record, as the databases keep them.
#[derive(Clone, Debug, Default)]
pub(super) struct State {
    pub(super) users: Vec<User>,
    pub(super) clients: Vec<Client>,
    pub(super) sessions: HashMap<SessionId, Session>,
    pub(super) refresh: HashMap<Vec<u8>, RefreshRecord>,
    /// In cursor order.
    pub(super) revocations: Vec<Revocation>,
    pub(super) last_cursor: i64,
    /// Oldest first: by creation, then by insertion (the databases' `ORDER BY created_at,
    /// rowid`).
    pub(super) keys: Vec<KeyRecord>,
    pub(super) lockouts: HashMap<LockoutKey, Lockout>,
    /// Login sessions, codes, consents and the logout outbox.
    pub(super) browser: Browser,
    /// Accepted DPoP proofs: the digest of their `jti` and when the record expires.
    pub(super) dpop_jtis: HashMap<Vec<u8>, Timestamp>,
    /// The audit trail, oldest first.
    pub(super) events: Vec<AuditEvent>,
    pub(super) last_event: i64,
    /// Security-event receivers, oldest first, with the lease of each (ms).
    pub(super) webhooks: Vec<(Webhook, Option<UnixMillis>)>,
    /// TOTP authenticators, at most one per user.
    pub(super) totp: HashMap<UserId, TotpFactor>,
    /// Unspent recovery codes: whose, and the code's MAC (the databases' primary key).
    pub(super) recovery_codes: HashSet<(UserId, Vec<u8>)>,
    /// Device authorization requests, by the digest of their device code.
    pub(super) devices: HashMap<Vec<u8>, DeviceAuthorization>,
}

/// A failed-login counter.
#[derive(Clone, Copy, Debug)]
pub(super) struct Lockout {
    pub(super) failures: u32,
    pub(super) locked_until: Option<UnixMillis>,
    pub(super) expires_at: UnixMillis,
}

impl State {
    pub(super) fn user_mut(&mut self, id: &UserId) -> Result<&mut User, StoreError> {
        self.users
            .iter_mut()
            .find(|u| u.id == *id)
            .ok_or(StoreError::NotFound)
    }

    /// Replaces the user's recovery codes with `macs`, as the databases' delete and inserts
    /// do: codes for an unknown user are not found, a MAC given twice is a conflict, and on
    /// either error nothing has changed.
    pub(super) fn replace_recovery_codes(
        &mut self,
        user: &UserId,
        macs: &[Vec<u8>],
    ) -> Result<(), StoreError> {
        if !macs.is_empty() && !self.users.iter().any(|u| u.id == *user) {
            return Err(StoreError::NotFound);
        }
        let distinct: HashSet<&Vec<u8>> = macs.iter().collect();
        if distinct.len() < macs.len() {
            return Err(StoreError::Conflict("recovery code".into()));
        }
        self.recovery_codes.retain(|(u, _)| u != user);
        self.recovery_codes
            .extend(macs.iter().map(|mac| (user.clone(), mac.clone())));
        Ok(())
    }

    /// Drops the user's authenticator and recovery codes; true when there was any.
    pub(super) fn forget_factors(&mut self, user: &UserId) -> bool {
        let totp = self.totp.remove(user).is_some();
        let before = self.recovery_codes.len();
        self.recovery_codes.retain(|(u, _)| u != user);
        totp || self.recovery_codes.len() < before
    }

    /// Drops the device requests that `user` approved, as the databases' foreign key
    /// cascades.
    pub(super) fn forget_devices_of(&mut self, user: &UserId) {
        self.devices
            .retain(|_, d| d.approval.as_ref().is_none_or(|a| a.user_id != *user));
    }

    /// Revokes every live session matching `which`.
    pub(super) fn end_sessions(&mut self, now: Timestamp, which: impl Fn(&Session) -> bool) {
        for session in self.sessions.values_mut() {
            if session.revoked_at.is_none() && which(session) {
                session.revoked_at = Some(now);
            }
        }
    }

    /// Stores a session and its first refresh record, as the databases do: its user and
    /// client must exist, its id must be new.
    pub(super) fn create_session(
        &mut self,
        session: &Session,
        first: &RefreshRecord,
    ) -> Result<(), StoreError> {
        let known_user = self.users.iter().any(|u| u.id == session.user_id);
        let known_client = self.clients.iter().any(|c| c.id == session.client_id);
        if !known_user || !known_client {
            return Err(StoreError::NotFound);
        }
        if self.sessions.contains_key(&session.id) {
            return Err(StoreError::Conflict(format!("session {}", session.id)));
        }
        self.insert_refresh(session, first)?;
        self.sessions.insert(session.id.clone(), session.clone());
        Ok(())
    }

    /// Drops the refresh records of sessions that no longer exist.
    pub(super) fn drop_orphan_tokens(&mut self) {
        let sessions = &self.sessions;
        self.refresh
            .retain(|_, r| sessions.contains_key(&r.session_id));
    }

    pub(super) fn insert_user(&mut self, user: &User) -> Result<(), StoreError> {
        let name = user.username.to_lowercase();
        let taken = self
            .users
            .iter()
            .any(|u| u.id == user.id || u.username.to_lowercase() == name);
        if taken {
            return Err(StoreError::Conflict(format!("user {}", user.username)));
        }
        self.users.push(user.clone());
        Ok(())
    }

    pub(super) fn insert_client(&mut self, client: &Client) -> Result<(), StoreError> {
        if self.clients.iter().any(|c| c.id == client.id) {
            return Err(StoreError::Conflict(format!("client {}", client.id)));
        }
        self.clients.push(client.clone());
        Ok(())
    }

    /// Inserts a key in creation order (after the keys created at the same second).
    pub(super) fn insert_key(&mut self, key: &KeyRecord) -> Result<(), StoreError> {
        if self.keys.iter().any(|k| k.kid == key.kid) {
            return Err(StoreError::Conflict(format!("signing key {}", key.kid)));
        }
        let at = self
            .keys
            .partition_point(|k| k.created_at <= key.created_at);
        self.keys.insert(at, key.clone());
        Ok(())
    }

    /// Stores a session's first token, or the successor of a rotation: unused, in the family
    /// of `session`. A taken digest is a conflict, as the databases' primary key makes it.
    pub(super) fn insert_refresh(
        &mut self,
        session: &Session,
        record: &RefreshRecord,
    ) -> Result<(), StoreError> {
        if self.refresh.contains_key(&record.hash) {
            return Err(StoreError::Conflict("refresh token".into()));
        }
        let record = RefreshRecord {
            session_id: session.id.clone(),
            used_at: None,
            successor_sealed: None,
            ..record.clone()
        };
        self.refresh.insert(record.hash.clone(), record);
        Ok(())
    }

    /// Records a revoked `jti`, or keeps its entry (and cursor) with the later `exp`.
    pub(super) fn revoke(&mut self, jti: &Jti, exp: Timestamp) -> i64 {
        if let Some(known) = self.revocations.iter_mut().find(|r| r.jti == *jti) {
            known.exp = known.exp.max(exp);
            return known.cursor;
        }
        self.last_cursor += 1;
        self.revocations.push(Revocation {
            cursor: self.last_cursor,
            jti: jti.clone(),
            exp,
        });
        self.last_cursor
    }

    /// Moves a key to `state`. A key that stops signing keeps the first `retired_at` it got;
    /// one that signs (or will) again has it cleared.
    pub(super) fn set_key_state(
        &mut self,
        kid: &KeyId,
        state: KeyState,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let key = self
            .keys
            .iter_mut()
            .find(|k| k.kid == *kid)
            .ok_or(StoreError::NotFound)?;
        key.state = state;
        key.retired_at = match state {
            KeyState::Retiring | KeyState::Retired => Some(key.retired_at.unwrap_or(now)),
            _ => None,
        };
        Ok(())
    }

    pub(super) fn rotate(
        &mut self,
        hash: &[u8],
        next: &RefreshRecord,
        now: Timestamp,
        grace: Duration,
    ) -> Result<RotateOutcome, StoreError> {
        let found = self.refresh.get(hash).cloned().and_then(|record| {
            let session = self.sessions.get(&record.session_id)?.clone();
            Some((record, session))
        });
        let decision = decide(found, now, grace);
        match &decision {
            Decision::Rotate { session } => self.advance(hash, next, now, session)?,
            Decision::Replay { session } => {
                if let Some(live) = self.sessions.get_mut(&session.id) {
                    live.revoked_at = Some(now);
                }
            }
            Decision::Retry { .. } | Decision::Invalid => {}
        }
        Ok(decision.into_outcome(now))
    }

    /// Marks the presented token used, stores `next` after it and touches the session.
    fn advance(
        &mut self,
        hash: &[u8],
        next: &RefreshRecord,
        now: Timestamp,
        session: &Session,
    ) -> Result<(), StoreError> {
        self.insert_refresh(session, next)?;
        if let Some(old) = self.refresh.get_mut(hash) {
            old.used_at = Some(now);
            old.successor_sealed = next.successor_sealed.clone();
        }
        if let Some(live) = self.sessions.get_mut(&session.id) {
            live.last_used_at = now;
        }
        Ok(())
    }

    /// Deletes what has expired at `now`, as the databases do: revocations, refresh records
    /// past their idle expiry, sessions past their absolute expiry with every record of
    /// theirs, failed-login counters, what browser sign-in no longer needs, and device
    /// requests an hour past their expiry. Answers how many went.
    pub(super) fn purge(&mut self, now: Timestamp) -> usize {
        let before = self.len();
        self.revocations.retain(|r| r.exp > now);
        self.sessions.retain(|_, s| s.expires_at > now);
        self.drop_orphan_tokens();
        self.refresh.retain(|_, r| r.expires_at > now);
        let now_ms = now.to_millis();
        self.lockouts.retain(|_, l| l.expires_at > now_ms);
        self.dpop_jtis.retain(|_, expires_at| *expires_at > now);
        let devices_before = now.plus_secs(-crate::devices::KEPT_SECS);
        self.devices.retain(|_, d| d.expires_at > devices_before);
        before - self.len() + self.browser.purge(now)
    }

    /// The rows a purge can delete.
    fn len(&self) -> usize {
        self.revocations.len()
            + self.sessions.len()
            + self.refresh.len()
            + self.lockouts.len()
            + self.dpop_jtis.len()
            + self.devices.len()
    }

    /// Writes every record of `snapshot` and retires the keys in `retire`. On error some may
    /// be written: the caller works on a copy and keeps it only on success.
    pub(super) fn import(
        &mut self,
        snapshot: &Snapshot,
        retire: &[KeyId],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        for user in &snapshot.users {
            self.insert_user(user)?;
        }
        for client in &snapshot.clients {
            self.insert_client(client)?;
        }
        for key in &snapshot.keys {
            self.insert_key(key)?;
        }
        for revocation in &snapshot.revocations {
            self.revoke(&revocation.jti, revocation.exp);
        }
        for kid in retire {
            self.set_key_state(kid, KeyState::Retired, now)?;
        }
        Ok(())
    }
}
