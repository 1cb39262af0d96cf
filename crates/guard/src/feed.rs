//! The revocation-feed subscriber: catches up with `GET /revocations?since=CURSOR`, then
//! follows `GET /revocations/stream` (SSE) from its cursor; after a disconnect it catches up
//! and resumes, and while the stream cannot be opened it polls instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use reqwest::Url;
use serde::Deserialize;
use tessera_jose::Clock;
use tokio::sync::watch;

use crate::error::FetchError;
use crate::fetch::{Fetcher, StreamClient};
use crate::revoked::RevokedSet;
use crate::sse;

/// The largest page the server returns; a shorter page means "caught up".
const PAGE: usize = 1000;
/// How many pages one catch-up may read (ten million revocations).
const MAX_PAGES: usize = 10_000;
/// How long to poll before trying the stream again.
const POLL_WINDOW: Duration = Duration::from_secs(30);
/// The pause before reopening a stream the server ended.
const RECONNECT_PAUSE: Duration = Duration::from_millis(100);
/// How often expired entries are dropped.
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// How the subscriber is doing.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum FeedState {
    /// No revocation feed is configured.
    Off,
    /// Not yet caught up with the feed.
    Starting,
    /// Following the SSE stream: revocations arrive as they happen.
    Streaming,
    /// The stream is unavailable; polling the list endpoint instead.
    Polling,
    /// The feed cannot be reached; retrying with backoff.
    Down,
}

/// The subscriber's state, shared with the guard.
#[derive(Debug)]
pub(crate) struct FeedStatus {
    state: AtomicU8,
    cursor: AtomicI64,
    synced: watch::Sender<bool>,
}

impl FeedStatus {
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicU8::new(1),
            cursor: AtomicI64::new(0),
            synced: watch::Sender::new(false),
        }
    }

    pub(crate) fn state(&self) -> FeedState {
        match self.state.load(Ordering::Relaxed) {
            2 => FeedState::Streaming,
            3 => FeedState::Polling,
            4 => FeedState::Down,
            _ => FeedState::Starting,
        }
    }

    pub(crate) fn cursor(&self) -> i64 {
        self.cursor.load(Ordering::Relaxed)
    }

    /// Waits until the first catch-up is done, at most `limit`; true if it is.
    pub(crate) async fn wait_synced(&self, limit: Duration) -> bool {
        let mut rx = self.synced.subscribe();
        matches!(
            tokio::time::timeout(limit, rx.wait_for(|synced| *synced)).await,
            Ok(Ok(_))
        )
    }

    fn set(&self, state: FeedState) {
        let value = match state {
            FeedState::Streaming => 2,
            FeedState::Polling => 3,
            FeedState::Down => 4,
            FeedState::Off | FeedState::Starting => 1,
        };
        self.state.store(value, Ordering::Relaxed);
    }
}

/// One page of `GET /revocations`.
#[derive(Debug, Deserialize)]
struct Page {
    revocations: Vec<Entry>,
    next: i64,
}

/// One revoked token, in a page or a stream event.
#[derive(Debug, Deserialize)]
struct Entry {
    cursor: i64,
    jti: String,
    exp: i64,
}

/// The subscriber task's state.
#[derive(Debug)]
pub(crate) struct Subscriber {
    pub(crate) list: Url,
    pub(crate) stream: Url,
    pub(crate) poll_interval: Duration,
    pub(crate) fetcher: Fetcher,
    pub(crate) streams: StreamClient,
    pub(crate) revoked: Arc<RevokedSet>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) status: Arc<FeedStatus>,
    pub(crate) cursor: i64,
    pub(crate) last_purge: Instant,
}

impl Subscriber {
    /// Runs until the task is aborted (when the last clone of the guard is dropped).
    pub(crate) async fn run(mut self) {
        let mut failures = 0u32;
        loop {
            if let Err(err) = self.catch_up().await {
                failures = failures.saturating_add(1);
                self.status.set(FeedState::Down);
                tracing::warn!(error = %err, "revocation feed unreachable; retrying");
                tokio::time::sleep(backoff(failures)).await;
                continue;
            }
            failures = 0;
            self.status.synced.send_replace(true);
            match self.streams.open(&self.stream, self.cursor).await {
                Ok(response) => {
                    self.status.set(FeedState::Streaming);
                    let end = self.follow(response).await;
                    tracing::debug!(?end, "revocation stream ended; resuming");
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "revocation stream unavailable; polling");
                    self.status.set(FeedState::Polling);
                    self.poll_for(POLL_WINDOW).await;
                }
            }
        }
    }

    /// Reads pages from the cursor until a short page.
    async fn catch_up(&mut self) -> Result<(), FetchError> {
        for _ in 0..MAX_PAGES {
            let mut url = self.list.clone();
            url.query_pairs_mut()
                .append_pair("since", &self.cursor.to_string())
                .append_pair("limit", &PAGE.to_string());
            let document = self.fetcher.document(&url).await?;
            let page: Page = serde_json::from_slice(&document.body)
                .map_err(|err| FetchError::Body(err.to_string()))?;
            let count = page.revocations.len();
            for entry in page.revocations {
                self.record(&entry);
            }
            self.advance(page.next);
            if count < PAGE {
                break;
            }
        }
        self.purge_if_due();
        Ok(())
    }

    /// Polls every `poll_interval` for `window`, or until a poll fails.
    async fn poll_for(&mut self, window: Duration) {
        let until = Instant::now() + window;
        while Instant::now() < until {
            tokio::time::sleep(self.poll_interval).await;
            if self.catch_up().await.is_err() {
                return;
            }
        }
    }

    /// Applies stream events until the stream ends or fails.
    async fn follow(&mut self, response: reqwest::Response) -> Result<(), FetchError> {
        let mut events = std::pin::pin!(sse::events_of(response));
        while let Some(event) = events.next().await {
            let event = event?;
            if event.event == "revocation" {
                match serde_json::from_str::<Entry>(&event.data) {
                    Ok(entry) => self.record(&entry),
                    Err(err) => tracing::warn!(error = %err, "revocation event unreadable"),
                }
            }
            self.purge_if_due();
        }
        Ok(())
    }

    fn record(&mut self, entry: &Entry) {
        self.revoked.insert(&entry.jti, entry.exp);
        self.advance(entry.cursor);
    }

    fn advance(&mut self, cursor: i64) {
        self.cursor = self.cursor.max(cursor);
        self.status.cursor.store(self.cursor, Ordering::Relaxed);
    }

    fn purge_if_due(&mut self) {
        if self.last_purge.elapsed() >= PURGE_EVERY {
            let dropped = self.revoked.purge(self.clock.now());
            tracing::debug!(dropped, "expired revocations dropped");
            self.last_purge = Instant::now();
        }
    }
}

/// 250 ms doubling per failure, at most 30 s.
fn backoff(failures: u32) -> Duration {
    let factor = 1u64 << failures.min(7);
    Duration::from_millis((250 * factor).min(30_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(2), Duration::from_millis(1000));
        assert_eq!(backoff(50), Duration::from_secs(30));
    }
}
