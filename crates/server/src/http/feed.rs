//! One poller per server behind `/revocations/stream`: it asks the store for the newest
//! revocation cursor and publishes it on a [`watch`] channel; each subscriber wakes when
//! the cursor moves and reads its own events from the store, from its own cursor (so
//! resuming after `Last-Event-ID` works as before). Idle subscribers cost nothing, and
//! the store is polled once per interval however many guards listen, and not at all
//! when none does.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tessera_core::{Authority, Store};
use tokio::sync::watch;

/// The largest page the poller reads while it catches up with the feed.
const PAGE: u32 = 1000;

/// The newest revocation cursor the server has seen, for the stream's subscribers.
#[derive(Debug)]
pub struct FeedHub {
    head: watch::Sender<i64>,
    started: AtomicBool,
}

impl Default for FeedHub {
    fn default() -> Self {
        Self {
            head: watch::Sender::new(0),
            started: AtomicBool::new(false),
        }
    }
}

impl FeedHub {
    /// A receiver of the newest cursor. The first call starts the server's poller, which
    /// asks `authority`'s store every `every` while anyone listens, and stops with the hub.
    pub fn subscribe<S: Store>(
        self: &Arc<Self>,
        authority: &Arc<Authority<S>>,
        every: Duration,
    ) -> watch::Receiver<i64> {
        let receiver = self.head.subscribe();
        if !self.started.swap(true, Ordering::AcqRel) {
            tokio::spawn(poll(Arc::downgrade(self), Arc::clone(authority), every));
        }
        receiver
    }
}

/// Follows the feed's head until the hub is dropped.
async fn poll<S: Store>(hub: Weak<FeedHub>, authority: Arc<Authority<S>>, every: Duration) {
    let mut head = 0;
    loop {
        let Some(live) = hub.upgrade() else {
            return;
        };
        let mut pause = every;
        if live.head.receiver_count() > 0 {
            match newest(&authority, head).await {
                Ok(newest) => {
                    head = newest;
                    live.head.send_if_modified(|seen| {
                        let moved = *seen != newest;
                        *seen = newest;
                        moved
                    });
                }
                Err(err) => {
                    tracing::warn!(cause = %super::error::chain(&err), "revocation stream: store unavailable");
                    pause = every * 10;
                }
            }
        }
        drop(live);
        // Another instance's revocation (PostgreSQL NOTIFY) ends the pause early.
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = authority.revocations_hint() => {}
        }
    }
}

/// The cursor of the newest live revocation after `from` (or `from` if there is none).
async fn newest<S: Store>(
    authority: &Authority<S>,
    from: i64,
) -> Result<i64, tessera_core::StoreError> {
    let mut head = from;
    loop {
        let page = authority.revocations_since(head, PAGE).await?;
        let Some(last) = page.last() else {
            return Ok(head);
        };
        head = last.cursor;
        if page.len() < PAGE as usize {
            return Ok(head);
        }
    }
}
