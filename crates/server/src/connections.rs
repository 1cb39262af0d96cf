//! The listener's limits against slow and idle clients: how long a request head may take to
//! arrive (which also closes an idle keep-alive connection), how large the read buffer may
//! grow, and how many connections are served at once. Beyond the cap a new connection waits
//! in the kernel's accept queue until one in progress ends; those in progress are not
//! touched. SECURITY.md lists every limit with its configuration key.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum::middleware::AddExtension;
use axum_server::Server;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_service::Service;

use crate::http::limits::{MAX_HEADER_BYTES, MAX_STREAMS_PER_ADDRESS};

/// What stops a server started with [`serve_plain`] (`shutdown`, `graceful_shutdown`).
pub use axum_server::Handle;

/// The default of `server.header_read_timeout`.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The default of `server.max_connections`.
pub const MAX_CONNECTIONS: usize = 1024;

/// The limits of `[server]` that protect the listener and the requests on it.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct ConnectionLimits {
    /// `header_read_timeout`: how long a client has to send a whole request head, counted
    /// from the accepted connection or the end of the previous response (so it is also the
    /// idle keep-alive timeout), and to send its first request on any protocol.
    pub header_read_timeout: Duration,
    /// `max_connections`: connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// `max_header_bytes`: the largest request head answered (431 in JSON beyond it); the
    /// connection's read buffer is bounded a little above it.
    pub max_header_bytes: usize,
    /// `max_streams_per_address`: revocation streams one client address may hold open.
    pub max_streams_per_address: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: HEADER_READ_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_header_bytes: MAX_HEADER_BYTES,
            max_streams_per_address: MAX_STREAMS_PER_ADDRESS,
        }
    }
}

impl ConnectionLimits {
    /// The largest the HTTP/1 read buffer may grow: a head a little over the limit still
    /// fits, so that the envelope can answer it in JSON.
    pub fn read_buffer_bytes(&self) -> usize {
        (self.max_header_bytes + 16 * 1024).max(8 * 1024)
    }

    /// The per-request limits for the router's state.
    pub fn request_limits(&self) -> crate::http::limits::Limits {
        crate::http::limits::Limits::new(self.max_header_bytes, self.max_streams_per_address)
    }

    /// Applies the timeouts and buffer sizes to `server`'s HTTP/1 and HTTP/2 settings.
    pub fn apply<Acc>(&self, mut server: Server<SocketAddr, Acc>) -> Server<SocketAddr, Acc> {
        let builder = server.http_builder();
        builder
            .http1()
            .header_read_timeout(self.header_read_timeout)
            .max_buf_size(self.read_buffer_bytes());
        builder
            .http2()
            .max_header_list_size(u32::try_from(self.max_header_bytes).unwrap_or(u32::MAX))
            .max_concurrent_streams(128)
            .keep_alive_interval(Some(Duration::from_secs(30)))
            .keep_alive_timeout(self.header_read_timeout);
        server.first_request_timeout(self.header_read_timeout)
    }

    /// `router` as a service that holds one of [`Self::max_connections`] slots per
    /// connection.
    pub fn capped(&self, router: Router) -> Capped {
        Capped {
            inner: router.into_make_service_with_connect_info::<SocketAddr>(),
            slots: Arc::new(Semaphore::new(self.max_connections.max(1))),
            waiting: None,
            slot: None,
        }
    }
}

/// Serves `router` over plain HTTP on `listener` (non-blocking) under `limits` until
/// `handle` stops it.
///
/// # Errors
/// The listener cannot be used.
pub async fn serve_plain(
    listener: TcpListener,
    router: Router,
    limits: &ConnectionLimits,
    handle: Handle<SocketAddr>,
) -> io::Result<()> {
    let server = limits.apply(axum_server::from_tcp(listener)?);
    server.handle(handle).serve(limits.capped(router)).await
}

/// The router's service for one connection, which knows the peer's address.
type Connection = AddExtension<Router, ConnectInfo<SocketAddr>>;

/// A future that resolves to a connection slot.
type Waiting = Pin<Box<dyn Future<Output = Option<OwnedSemaphorePermit>> + Send>>;

/// The router's per-connection service factory, ready only while a connection slot is
/// free: the server accepts no further connection until it is.
pub struct Capped {
    inner: IntoMakeServiceWithConnectInfo<Router, SocketAddr>,
    slots: Arc<Semaphore>,
    waiting: Option<Waiting>,
    slot: Option<OwnedSemaphorePermit>,
}

impl std::fmt::Debug for Capped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capped")
            .field("free", &self.slots.available_permits())
            .finish_non_exhaustive()
    }
}

impl Service<SocketAddr> for Capped {
    type Response = Slotted;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Slotted, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        while self.slot.is_none() {
            let slots = Arc::clone(&self.slots);
            let waiting = self
                .waiting
                .get_or_insert_with(|| Box::pin(async move { slots.acquire_owned().await.ok() }));
            let slot = std::task::ready!(waiting.as_mut().poll(cx));
            self.waiting = None;
            // The semaphore is never closed; a `None` would just try again.
            self.slot = slot;
        }
        Service::<SocketAddr>::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, peer: SocketAddr) -> Self::Future {
        let slot = self.slot.take().map(Arc::new);
        let making = self.inner.call(peer);
        Box::pin(async move {
            let Ok(service) = making.await;
            Ok(Slotted {
                inner: service,
                _slot: slot,
            })
        })
    }
}

/// One connection's service: the router, holding the connection's slot until the
/// connection (and every request on it) is done.
#[derive(Clone)]
pub struct Slotted {
    inner: Connection,
    _slot: Option<Arc<OwnedSemaphorePermit>>,
}

impl std::fmt::Debug for Slotted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slotted").finish_non_exhaustive()
    }
}

impl<B> Service<axum::http::Request<B>> for Slotted
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = <Connection as Service<axum::http::Request<B>>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Service::<axum::http::Request<B>>::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        self.inner.call(request)
    }
}
