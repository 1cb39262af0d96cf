//! The revocation feed for guards: `GET /revocations?since=CURSOR` (a page of revoked
//! `jti`s with their `exp`) and `GET /revocations/stream` (Server-Sent Events, resumable
//! with `Last-Event-ID` or `since`).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use tessera_core::Store;
use tessera_core::model::Revocation;
use tokio::sync::watch;

use super::error::ApiError;
use super::limits::StreamSlot;
use super::{AppState, ClientIp};

/// The largest page of `/revocations`.
const MAX_PAGE: u32 = 1000;
/// How often an idle stream sends a keep-alive comment.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The query of both feed endpoints.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Since {
    /// Revocations after this cursor (default 0: all that have not expired).
    pub since: Option<i64>,
    /// At most this many (default and maximum 1000).
    pub limit: Option<u32>,
}

/// One page of the feed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page {
    /// Revocations after the cursor, oldest first.
    pub revocations: Vec<Revocation>,
    /// The cursor to ask from next time.
    pub next: i64,
}

fn query(query: Result<Query<Since>, QueryRejection>) -> Result<Since, ApiError> {
    query
        .map(|Query(since)| since)
        .map_err(|_| ApiError::invalid_request("since and limit must be integers"))
}

/// `GET /revocations?since=CURSOR&limit=N`.
#[utoipa::path(get, path = "/revocations", tag = "revocations", params(Since),
    responses((status = 200, description = "revoked jtis after the cursor", body = Page),
        (status = 400, description = "invalid_request", body = crate::http::error::ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn list<S: Store>(
    State(state): State<AppState<S>>,
    since: Result<Query<Since>, QueryRejection>,
) -> Result<Response, ApiError> {
    let since = query(since)?;
    let cursor = since.since.unwrap_or(0).max(0);
    let limit = since.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let revocations = state.authority().revocations_since(cursor, limit).await?;
    let next = revocations.last().map_or(cursor, |r| r.cursor);
    Ok(Json(Page { revocations, next }).into_response())
}

/// `GET /revocations/stream`: an SSE stream of `revocation` events (`id` is the cursor,
/// `data` is `{cursor, jti, exp}`), resumed after `Last-Event-ID` or `since`.
#[utoipa::path(get, path = "/revocations/stream", tag = "revocations",
    params(
        ("since" = Option<i64>, Query, description = "Revocations after this cursor (default 0); `Last-Event-ID` wins."),
        ("limit" = Option<u32>, Query, description = "Accepted (the query of `/revocations`) and ignored: the stream has no end."),
        ("Last-Event-ID" = Option<i64>, Header, description = "The cursor of the last event received, to resume after it."),
    ),
    responses((status = 200, description = "text/event-stream of revocation events", content_type = "text/event-stream"),
        (status = 400, description = "invalid_request", body = crate::http::error::ErrorBody),
        (status = 429, description = "slow_down: too many streams from this address", body = crate::http::error::ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn stream<S: Store>(
    State(state): State<AppState<S>>,
    ClientIp(client_ip): ClientIp,
    headers: HeaderMap,
    since: Result<Query<Since>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let since = query(since)?;
    let last_event = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::invalid_request("Last-Event-ID must be a cursor"))
        })
        .transpose()?;
    let cursor = last_event.or(since.since).unwrap_or(0).max(0);
    let Some(slot) = state.limits().stream_slot(client_ip) else {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "slow_down",
            "too many revocation streams from this address",
        )
        .retry_after(KEEP_ALIVE.as_secs()));
    };
    let feed = Feed {
        _slot: slot,
        head: state.feed_head(),
        state,
        cursor,
        seen: None,
        pending: VecDeque::new(),
    };
    let stopping = feed.state.stopping();
    let events = futures_util::stream::unfold(
        (feed, stopping, false),
        |(mut feed, mut stopping, done)| async move {
            if done {
                return None;
            }
            // The select's borrows end before the state moves on.
            let stop = tokio::select! {
                event = feed.next_event() => Some(event),
                _ = stopping.wait_for(|stop| *stop) => None,
            };
            match stop {
                Some(event) => Some((Ok(event), (feed, stopping, false))),
                None => Some((Ok(stopping_event()), (feed, stopping, true))),
            }
        },
    );
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// One subscriber's position in the feed.
struct Feed<S: Store> {
    /// This stream's share of its address's streams, given back when the client leaves.
    _slot: StreamSlot,
    state: AppState<S>,
    /// The newest cursor, from the server's poller (see [`super::feed`]).
    head: watch::Receiver<i64>,
    cursor: i64,
    /// The head this subscriber has read everything up to (`None` before its first read).
    seen: Option<i64>,
    pending: VecDeque<Revocation>,
}

impl<S: Store> Feed<S> {
    /// Waits for the next revocation: reads the store from this subscriber's cursor when
    /// the head has moved past what it has read, and sleeps on the head otherwise.
    async fn next_event(&mut self) -> Event {
        loop {
            if let Some(revocation) = self.pending.pop_front() {
                return revocation_event(&revocation);
            }
            let head = *self.head.borrow_and_update();
            if self.seen.is_none_or(|seen| head > seen) {
                let authority = self.state.authority();
                match authority.revocations_since(self.cursor, 100).await {
                    Ok(batch) if !batch.is_empty() => {
                        self.cursor = batch.last().map_or(self.cursor, |r| r.cursor);
                        self.pending.extend(batch);
                        continue;
                    }
                    Ok(_) => self.seen = Some(head),
                    Err(err) => {
                        tracing::warn!(cause = %super::error::chain(&err), "revocation stream: store unavailable");
                        tokio::time::sleep(self.state.feed_poll() * 10).await;
                        continue;
                    }
                }
            }
            if self.head.changed().await.is_err() {
                // The poller has stopped (the server is going down): read again later.
                self.seen = None;
                tokio::time::sleep(self.state.feed_poll()).await;
            }
        }
    }
}

/// The last event of a stream when the server stops: followers reconnect (to another
/// instance behind the load balancer, or to this one when it is back) from their cursor.
fn stopping_event() -> Event {
    Event::default()
        .event("shutdown")
        .data("the server is stopping; reconnect with Last-Event-ID")
}

fn revocation_event(revocation: &Revocation) -> Event {
    let data = serde_json::json!({
        "cursor": revocation.cursor,
        "jti": revocation.jti,
        "exp": revocation.exp,
    });
    Event::default()
        .event("revocation")
        .id(revocation.cursor.to_string())
        .data(data.to_string())
}
