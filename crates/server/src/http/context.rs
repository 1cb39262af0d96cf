//! Who and what a request is (method, route pattern, client address), for the log lines
//! written while serving it.
//!
//! A span per request would carry this, but with the text or JSON subscriber every span
//! is formatted when it opens, which cost about a third of the CPU of a small request.
//! The context is kept in a task-local instead (a few pointer copies per request), and
//! [`in_request`] wraps the rare log line in a `request` span made from it, so the lines
//! read as before. The password grant's work moves to a hashing thread; [`carry`] takes
//! the context along.

use std::fmt;
use std::future::Future;
use std::net::IpAddr;

use axum::extract::MatchedPath;
use axum::http::Method;
use tokio::task::futures::TaskLocalFuture;

tokio::task_local! {
    static REQUEST: RequestContext;
}

/// The method, route pattern (never the raw path, which could hold a token) and client
/// address of the request being served.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// The method.
    pub method: Method,
    /// The matched route pattern, if any route matched.
    pub route: Option<MatchedPath>,
    /// The client's address, when known (see [`super::ClientIp`]).
    pub client_ip: Option<IpAddr>,
}

impl RequestContext {
    /// The route pattern, `unmatched` when no route matched.
    pub fn route(&self) -> &str {
        self.route.as_ref().map_or("unmatched", MatchedPath::as_str)
    }

    /// The context of the request this task serves, if any.
    pub fn current() -> Option<Self> {
        REQUEST.try_with(Clone::clone).ok()
    }

    /// Runs `future` as part of this request.
    pub async fn scope<F: Future>(self, future: F) -> F::Output {
        self.into_scope(future).await
    }

    /// `future` made part of this request (a named future, for the envelope's layer).
    pub fn into_scope<F: Future>(self, future: F) -> TaskLocalFuture<Self, F> {
        REQUEST.scope(self, future)
    }
}

/// The client address of the request this task serves; `None` outside a request.
pub fn current_client_ip() -> Option<Option<IpAddr>> {
    REQUEST.try_with(|context| context.client_ip).ok()
}

/// Runs `log` (a `tracing` event) inside a `request` span with the current request's method,
/// route and client address; outside a request, just runs it.
pub fn in_request<R>(log: impl FnOnce() -> R) -> R {
    match RequestContext::current() {
        Some(context) => tracing::info_span!(
            "request",
            method = %context.method,
            route = context.route(),
            client_ip = %Ip(context.client_ip),
        )
        .in_scope(log),
        None => log(),
    }
}

/// Wraps `future` so that it runs in `context` (for work moved to another thread).
pub async fn carry<F: Future>(context: Option<RequestContext>, future: F) -> F::Output {
    match context {
        Some(context) => context.scope(future).await,
        None => future.await,
    }
}

/// The client's address in the log, `-` when unknown.
pub(super) struct Ip(pub(super) Option<IpAddr>);

impl fmt::Display for Ip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(ip) => ip.fmt(f),
            None => f.write_str("-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> RequestContext {
        RequestContext {
            method: Method::POST,
            route: None,
            client_ip: Some(IpAddr::from([192, 0, 2, 7])),
        }
    }

    #[tokio::test]
    async fn the_context_is_there_inside_the_request_and_carried_across_threads() {
        assert!(RequestContext::current().is_none(), "outside any request");
        let seen = context()
            .scope(async {
                let here = RequestContext::current().map(|c| c.client_ip);
                let carried = RequestContext::current();
                let there = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .build()
                        .expect("runtime");
                    runtime.block_on(carry(carried, async {
                        RequestContext::current().map(|c| c.client_ip)
                    }))
                })
                .join()
                .expect("thread");
                (here, there)
            })
            .await;
        let ip = Some(Some(IpAddr::from([192, 0, 2, 7])));
        assert_eq!(seen, (ip, ip));
        assert_eq!(context().route(), "unmatched");
        assert_eq!(Ip(None).to_string(), "-");
        assert_eq!(in_request(|| 7), 7, "outside a request the log just runs");
    }
}
