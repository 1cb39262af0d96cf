//! Delivers back-channel logout notices (OpenID Connect Back-Channel Logout 1.0): when a
//! browser session ends, every client that took part and registered a receiver is sent a
//! signed logout token. Notices wait in the store's outbox, written in the transaction that
//! ended the session, so none is lost to a crash; any instance may deliver them, and a
//! claimed notice is leased so that two instances never send the same one at once.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use tessera_core::model::LogoutNotice;
use tessera_core::{Authority, Store};
use tokio::sync::Notify;

/// Notices claimed per round (and sent concurrently).
const BATCH: u32 = 32;
/// How long a receiver may take to answer.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Delivers due notices whenever `wake` is notified (a session just ended here: the first
/// attempt goes out at once) and every `every` otherwise (retries, and sessions ended by
/// other instances or by admin commands). Runs until aborted.
pub async fn deliver<S: Store>(authority: Arc<Authority<S>>, wake: Arc<Notify>, every: Duration) {
    let Ok(client) = http_client() else {
        tracing::error!("back-channel logout is off: the HTTP client could not start");
        return;
    };
    loop {
        deliver_due(&authority, &client).await;
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// A client that follows no redirect (a logout token goes to the registered URI only).
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Sends every notice due now, a batch at a time; returns how many were delivered.
pub async fn deliver_due<S: Store>(authority: &Authority<S>, client: &reqwest::Client) -> usize {
    let mut delivered = 0;
    loop {
        let notices = match authority.claim_logout_notices(BATCH).await {
            Ok(notices) => notices,
            Err(err) => {
                tracing::warn!(cause = %crate::http::error::chain(&err), "cannot claim logout notices");
                return delivered;
            }
        };
        if notices.is_empty() {
            return delivered;
        }
        let sent = join_all(notices.iter().map(|n| send(authority, client, n))).await;
        for (notice, ok) in notices.iter().zip(sent) {
            delivered += usize::from(ok);
            if let Err(err) = authority.finish_logout_notice(notice, ok).await {
                tracing::warn!(cause = %crate::http::error::chain(&err), "cannot record a logout delivery");
            }
        }
        if notices.len() < BATCH as usize {
            return delivered;
        }
    }
}

/// POSTs one logout token (RFC 6749 form encoding, as Back-Channel Logout §2.5 asks); true
/// when the receiver answered 2xx.
async fn send<S: Store>(
    authority: &Authority<S>,
    client: &reqwest::Client,
    notice: &LogoutNotice,
) -> bool {
    let token = match authority.logout_token(notice) {
        Ok(token) => token,
        Err(err) => {
            tracing::warn!(cause = %crate::http::error::chain(&err), "cannot sign a logout token");
            return false;
        }
    };
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("logout_token", &token)
        .finish();
    let answer = client
        .post(&notice.uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cache-control", "no-store")
        .body(body)
        .send()
        .await;
    let ok = matches!(&answer, Ok(response) if response.status().is_success());
    tracing::info!(
        event = "backchannel_logout",
        client_id = %notice.client_id,
        attempt = notice.attempts,
        delivered = ok,
        status = answer.as_ref().ok().map(|r| r.status().as_u16()),
        "back-channel logout notice sent"
    );
    ok
}
