//! Security-event webhooks: receivers get every event of the audit trail they asked for, in
//! the trail's order, as a Security Event Token (RFC 8417) signed with the server's key. The
//! trail is the durable outbox: a receiver's cursor moves only when an event was delivered or
//! given up, so nothing is lost to a crash, and a claimed receiver is leased so that one
//! instance at a time delivers to it.

use std::time::Duration;

use serde_json::{Map, Value, json};
use tessera_jose::Claims;

use super::Authority;
use crate::error::{AdminError, Entity, ServiceError, StoreError};
use crate::model::{
    Actor, AuditEvent, EventKind, EventQuery, MAX_DEAD_LETTERS, NewEvent, Webhook, WebhookId,
};
use crate::secrets::{IdKind, fill_random, new_id};
use crate::store::Store;
use crate::uri::check_backchannel_uri;

/// The `typ` of a Security Event Token (RFC 8417 §2.3).
pub const SET_TYP: &str = "secevent+jwt";
/// The most receivers a deployment keeps.
pub const MAX_WEBHOOKS: usize = 100;
/// How long a deliverer holds a receiver it claimed: well beyond one request's timeout (5 s), and
/// renewed with each delivered event. A crashed deliverer's receivers resume after it.
const LEASE: Duration = Duration::from_secs(20);
/// Failed attempts at one event before it is given up (a dead letter): with the default
/// backoff, about four hours of retries.
pub const WEBHOOK_MAX_ATTEMPTS: u32 = 50;
/// CAEP (OpenID Shared Signals) event types for the events that have one.
const CAEP_SESSION_REVOKED: &str =
    "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
const CAEP_CREDENTIAL_CHANGE: &str =
    "https://schemas.openid.net/secevent/caep/event-type/credential-change";

impl<S: Store> Authority<S> {
    /// Adds a receiver of the events of `kinds` (every kind when empty), from the next event
    /// on, and records the change.
    ///
    /// # Errors
    /// [`AdminError::Invalid`] for a URL that is not `https` (or `http` to a loopback host)
    /// or when there are [`MAX_WEBHOOKS`] already; the store's errors.
    pub async fn add_webhook(
        &self,
        url: &str,
        kinds: &[EventKind],
        by: &Actor,
    ) -> Result<Webhook, AdminError> {
        check_backchannel_uri(url)
            .map_err(|err| AdminError::invalid(format!("the webhook URL: {err}")))?;
        if self.store.webhooks().await?.len() >= MAX_WEBHOOKS {
            return Err(AdminError::invalid(format!(
                "a deployment has at most {MAX_WEBHOOKS} webhooks"
            )));
        }
        let mut unique = Vec::with_capacity(kinds.len());
        for kind in kinds {
            if !unique.contains(kind) {
                unique.push(*kind);
            }
        }
        let webhook = Webhook {
            id: WebhookId::new(new_id(IdKind::Webhook)?),
            url: url.to_owned(),
            kinds: unique,
            created_at: self.now(),
            cursor: self.store.latest_event_id().await?,
            attempts: 0,
            next_attempt_at: self.now_millis(),
            last_error: None,
            dead_letters: Vec::new(),
        };
        self.store.create_webhook(&webhook).await?;
        let event = NewEvent::new(EventKind::WebhookAdded).by(by);
        let Some(added) = self.audit(event.detail(webhook.id.as_str())).await else {
            return Ok(webhook);
        };
        // It receives what comes after its own creation, not the news of it.
        let mut webhook = webhook;
        let before = webhook.cursor;
        webhook.cursor = added;
        if !self.store.update_webhook(&webhook, before, None).await? {
            webhook.cursor = before;
        }
        Ok(webhook)
    }

    /// Every receiver with its delivery state.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>, AdminError> {
        Ok(self.store.webhooks().await?)
    }

    /// Removes a receiver (what it has not received is not sent).
    ///
    /// # Errors
    /// [`AdminError::NotFound`]; the store's errors.
    pub async fn remove_webhook(&self, id: &str, by: &Actor) -> Result<(), AdminError> {
        if !self.store.delete_webhook(&WebhookId::new(id)).await? {
            return Err(AdminError::NotFound(Entity::Webhook));
        }
        let event = NewEvent::new(EventKind::WebhookRemoved).by(by);
        self.audit(event.detail(id)).await;
        Ok(())
    }

    /// Sends a receiver's dead letters again: its cursor goes back to just before the
    /// oldest, so that it gets that event and every one after it again, in order (with
    /// the same `jti`s, for the receiver to drop what it already has). Returns how many dead
    /// letters there were.
    ///
    /// # Errors
    /// [`AdminError::NotFound`]; [`AdminError::Conflict`] when a delivery moved the receiver
    /// on meanwhile (run it again); the store's errors.
    pub async fn replay_webhook(&self, id: &str) -> Result<usize, AdminError> {
        let mut webhook = self.webhook(id).await?;
        let Some(oldest) = webhook.dead_letters.iter().min().copied() else {
            return Ok(0);
        };
        let count = webhook.dead_letters.len();
        let expected = webhook.cursor;
        webhook.cursor = oldest - 1;
        webhook.dead_letters.clear();
        webhook.attempts = 0;
        webhook.last_error = None;
        webhook.next_attempt_at = self.now_millis();
        if self.store.update_webhook(&webhook, expected, None).await? {
            Ok(count)
        } else {
            Err(AdminError::Conflict(
                "a delivery moved the webhook on meanwhile; run the replay again".into(),
            ))
        }
    }

    async fn webhook(&self, id: &str) -> Result<Webhook, AdminError> {
        self.store
            .webhooks()
            .await?
            .into_iter()
            .find(|w| w.id == id)
            .ok_or(AdminError::NotFound(Entity::Webhook))
    }

    /// Claims up to `limit` receivers that are due, for delivery by this instance.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn claim_webhooks(&self, limit: u32) -> Result<Vec<Webhook>, StoreError> {
        let now = self.now_millis();
        self.store.claim_webhooks(now, now.plus(LEASE), limit).await
    }

    /// The next event a claimed receiver should get, if any.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn next_webhook_event(
        &self,
        webhook: &Webhook,
    ) -> Result<Option<AuditEvent>, StoreError> {
        let query = EventQuery {
            after: webhook.cursor,
            kinds: webhook.kinds.clone(),
            limit: 1,
            ..EventQuery::default()
        };
        Ok(self.store.audit_events(&query).await?.into_iter().next())
    }

    /// The SET that carries `event` to `webhook`: `typ: secevent+jwt`; `iss`, `aud` (the
    /// receiver's URL), `iat`, `jti` (the same on every attempt), `toe`, `sub_id` (RFC 9493,
    /// the user's id) when the event concerns a user, no `exp`; `events` holds the Tessera
    /// event (`urn:tessera:event:<type>`) and, where one fits, the CAEP event.
    ///
    /// # Errors
    /// Signing failures.
    pub fn security_event_token(
        &self,
        webhook: &Webhook,
        event: &AuditEvent,
    ) -> Result<String, ServiceError> {
        let mut claims = Claims::new()
            .with_issuer(self.config.issuer.as_str())
            .with_audience(webhook.url.as_str())
            .with_issued_at(self.now().secs())
            .with_jwt_id(format!("{}.{}", webhook.id, event.id));
        let toe = event.at.millis().div_euclid(1000);
        claims.extra.insert("toe".into(), toe.into());
        if let Some(user) = &event.user {
            let subject = json!({"format": "opaque", "id": user.as_str()});
            claims.extra.insert("sub_id".into(), subject);
        }
        claims
            .extra
            .insert("events".into(), Value::Object(set_events(event, toe)));
        self.sign(&claims, SET_TYP)
    }

    /// Records a delivered event and keeps the receiver leased for its next event; `None`
    /// when the receiver was moved meanwhile (a replay) or removed.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn webhook_delivered(
        &self,
        webhook: &Webhook,
        event: &AuditEvent,
    ) -> Result<Option<Webhook>, StoreError> {
        let mut next = webhook.clone();
        next.cursor = event.id;
        next.attempts = 0;
        next.last_error = None;
        let now = self.now_millis();
        next.next_attempt_at = now;
        let kept = self
            .store
            .update_webhook(&next, webhook.cursor, Some(now.plus(LEASE)))
            .await?;
        Ok(kept.then_some(next))
    }

    /// Releases a receiver that had nothing to receive.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn webhook_idle(&self, webhook: &Webhook) -> Result<bool, StoreError> {
        self.store
            .update_webhook(webhook, webhook.cursor, None)
            .await
    }

    /// Records a failed attempt: retried after an exponential backoff with jitter (about
    /// 1, 2, 4 … seconds, at most the configured maximum), or, after [`WEBHOOK_MAX_ATTEMPTS`], given
    /// up as a dead letter so that the events after it go on. Returns true when it was
    /// given up.
    ///
    /// # Errors
    /// The store's errors.
    pub async fn webhook_failed(
        &self,
        webhook: &Webhook,
        event: &AuditEvent,
        error: &str,
    ) -> Result<bool, StoreError> {
        let mut next = webhook.clone();
        next.last_error = Some(error.chars().take(200).collect());
        next.attempts = webhook.attempts.saturating_add(1);
        let gave_up = next.attempts >= WEBHOOK_MAX_ATTEMPTS;
        if gave_up {
            next.cursor = event.id;
            next.attempts = 0;
            next.dead_letters.push(event.id);
            if next.dead_letters.len() > MAX_DEAD_LETTERS {
                next.dead_letters.remove(0);
            }
            next.next_attempt_at = self.now_millis();
        } else {
            let delay = backoff(next.attempts, self.config.webhook_max_backoff);
            next.next_attempt_at = self.now_millis().plus(delay);
        }
        self.store
            .update_webhook(&next, webhook.cursor, None)
            .await?;
        Ok(gave_up)
    }
}

/// The wait after the `attempts`-th failure: 2^(attempts − 1) seconds, at most `max`, then
/// between 80% and 120% of that so that receivers coming back are not hit by every
/// deliverer at once.
fn backoff(attempts: u32, max: Duration) -> Duration {
    let exponent = attempts.saturating_sub(1).min(20);
    let base = Duration::from_secs(1u64 << exponent).min(max);
    let mut byte = [0u8; 1];
    let spread = match fill_random(&mut byte) {
        Ok(()) => 0.8 + 0.4 * f64::from(byte[0]) / 255.0,
        Err(_) => 1.0,
    };
    base.mul_f64(spread)
}

/// The `events` claim: Tessera's own event, and the CAEP one where it fits.
fn set_events(event: &AuditEvent, toe: i64) -> Map<String, Value> {
    let mut own = Map::new();
    own.insert("event_timestamp".into(), toe.into());
    let fields = [
        (
            "client",
            event.client.as_ref().map(|c| c.as_str().to_owned()),
        ),
        ("ip", event.ip.map(|ip| ip.to_string())),
        ("actor", event.actor.as_ref().map(|a| a.as_str().to_owned())),
        ("detail", event.detail.clone()),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            own.insert(name.into(), value.into());
        }
    }
    let mut events = Map::new();
    events.insert(
        format!("urn:tessera:event:{}", event.kind.as_str()),
        Value::Object(own),
    );
    match event.kind {
        EventKind::Logout | EventKind::SessionEnded => {
            events.insert(CAEP_SESSION_REVOKED.into(), json!({"event_timestamp": toe}));
        }
        EventKind::PasswordChanged => {
            events.insert(
                CAEP_CREDENTIAL_CHANGE.into(),
                json!({"credential_type": "password", "change_type": "update", "event_timestamp": toe}),
            );
        }
        _ => {}
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_within_its_bounds() {
        let max = Duration::from_secs(300);
        for (attempts, base) in [(1, 1), (2, 2), (5, 16), (9, 256), (10, 300), (50, 300)] {
            let wait = backoff(attempts, max).as_secs_f64();
            let base = base as f64;
            assert!(
                (0.8 * base..=1.2 * base + 0.001).contains(&wait),
                "attempt {attempts}: {wait}"
            );
        }
    }
}
