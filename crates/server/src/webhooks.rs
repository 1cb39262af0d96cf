//! Delivers security events to webhooks (RFC 8935 push delivery of RFC 8417 SETs). Each
//! receiver reads the audit trail from its cursor, one event at a time and in order; a claimed
//! receiver is leased, so that any instance may deliver and two never send to the same
//! receiver at once. Events made by other instances and by admin commands are delivered too:
//! they are in the store's trail.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use tessera_core::model::{AuditEvent, Webhook};
use tessera_core::{Authority, Store};

/// Receivers claimed per round (and delivered to concurrently).
const BATCH: u32 = 16;
/// Events delivered to one receiver per round at most, so that one busy receiver cannot
/// hold the round for long.
const EVENTS_PER_ROUND: usize = 100;
/// The media type of a pushed SET (RFC 8935 §2).
const SET_MEDIA_TYPE: &str = "application/secevent+jwt";

/// Delivers due events every `every`, until aborted. A slow or dead receiver costs this task
/// time only; sign-ins never wait for it.
pub async fn deliver<S: Store>(authority: Arc<Authority<S>>, every: Duration) {
    let Ok(client) = crate::backchannel::http_client() else {
        tracing::error!("webhooks are off: the HTTP client could not start");
        return;
    };
    loop {
        deliver_due(&authority, &client).await;
        tokio::time::sleep(every).await;
    }
}

/// One round: claims the due receivers and sends each its next events.
pub async fn deliver_due<S: Store>(authority: &Authority<S>, client: &reqwest::Client) {
    let claimed = match authority.claim_webhooks(BATCH).await {
        Ok(claimed) => claimed,
        Err(err) => {
            tracing::warn!(cause = %crate::http::error::chain(&err), "cannot claim webhooks");
            return;
        }
    };
    join_all(claimed.into_iter().map(|w| drain(authority, client, w))).await;
}

/// Sends `webhook` its events in order until none is left, one fails, or the round's share
/// is spent; always leaves it released.
async fn drain<S: Store>(authority: &Authority<S>, client: &reqwest::Client, webhook: Webhook) {
    let mut webhook = webhook;
    for _ in 0..EVENTS_PER_ROUND {
        let next = match authority.next_webhook_event(&webhook).await {
            Ok(next) => next,
            Err(err) => {
                tracing::warn!(cause = %crate::http::error::chain(&err), "cannot read the audit trail");
                let _ = authority.webhook_idle(&webhook).await;
                return;
            }
        };
        let Some(event) = next else {
            let _ = authority.webhook_idle(&webhook).await;
            return;
        };
        match send(authority, client, &webhook, &event).await {
            Ok(()) => match authority.webhook_delivered(&webhook, &event).await {
                Ok(Some(next)) => webhook = next,
                Ok(None) | Err(_) => return,
            },
            Err(error) => {
                let gave_up = authority.webhook_failed(&webhook, &event, &error).await;
                if matches!(gave_up, Ok(true)) {
                    tracing::warn!(
                        event = "webhook_gave_up",
                        webhook = %webhook.id,
                        event_id = event.id,
                        %error,
                        "an event became a dead letter after every retry"
                    );
                }
                return;
            }
        }
    }
    let _ = authority.webhook_idle(&webhook).await;
}

/// POSTs one SET; the receiver's error as text (a status or a transport error, never its
/// body) when it did not answer 2xx.
async fn send<S: Store>(
    authority: &Authority<S>,
    client: &reqwest::Client,
    webhook: &Webhook,
    event: &AuditEvent,
) -> Result<(), String> {
    let token = authority
        .security_event_token(webhook, event)
        .map_err(|err| format!("cannot sign the SET: {err}"))?;
    let answer = client
        .post(&webhook.url)
        .header("content-type", SET_MEDIA_TYPE)
        .header("accept", "application/json")
        .body(token)
        .send()
        .await;
    let result = match &answer {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => Err(format!("HTTP {}", response.status().as_u16())),
        Err(err) if err.is_timeout() => Err("timed out".to_owned()),
        Err(err) if err.is_connect() => Err("connection refused or unreachable".to_owned()),
        Err(_) => Err("the request failed".to_owned()),
    };
    tracing::debug!(
        webhook = %webhook.id,
        event_id = event.id,
        delivered = result.is_ok(),
        "security event sent"
    );
    result
}
