//! The per-request envelope, one tower layer so that a request pays for one layer and no
//! boxing: refuses a method the server does not know (405, before anything is counted or
//! routed further, so junk methods cannot grow the metrics), works out the client's address
//! (see [`super::ClientIp`]), sets the request's log context (see [`super::context`]; a
//! per-request span only at DEBUG), counts the request in the metrics with its status and
//! latency, answers 503 at once while the store's circuit breaker is open (see
//! [`crate::breaker`]), opens it when a response says the store is down, answers 503 to a
//! request still waiting for the store once a probe finds it unreachable, refuses a query that is not UTF-8 once percent-decoded (400) and a header
//! section over the limit (431), rewrites the framework's own
//! plain-text errors into the JSON error shape, and adds the headers every response carries.
//!
//! A refused method gets no `Allow` header: the envelope sits in front of every route and
//! does not know which methods each one takes, and the method is one that no route takes.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use pin_project_lite::pin_project;
use tokio::task::futures::TaskLocalFuture;
use tower_layer::Layer;
use tower_service::Service;
use tracing::Instrument as _;
use tracing::instrument::Instrumented;

use super::ApiError;
use super::context::{Ip, RequestContext};
use super::limits::Limits;
use super::peer_ip;
use crate::breaker::{Breaker, StoreDown};
use crate::metrics::{MethodLabel, Metrics, RouteLabel};
use crate::proxy::TrustedProxies;

/// What the envelope needs: the metrics to count into and the proxies to trust.
#[derive(Clone, Debug)]
pub struct Envelope {
    /// Where requests are counted.
    pub metrics: Arc<Metrics>,
    /// The reverse proxies whose forwarding headers name the client.
    pub proxies: Arc<TrustedProxies>,
    /// The size of a header section that is refused with 431.
    pub limits: Arc<Limits>,
    /// The store's circuit breaker: opened by a store outage, it answers 503 at once.
    pub breaker: Arc<Breaker>,
}

impl<S> Layer<S> for Envelope {
    type Service = EnvelopeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        EnvelopeService {
            inner,
            envelope: self.clone(),
        }
    }
}

/// A route inside the [`Envelope`].
#[derive(Clone, Debug)]
pub struct EnvelopeService<S> {
    inner: S,
    envelope: Envelope,
}

impl<S> Service<Request> for EnvelopeService<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = EnvelopeFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let method = MethodLabel::of(request.method());
        let route = request.extensions().get::<MatchedPath>().cloned();
        if method == MethodLabel::Other {
            let span =
                tracing::debug_span!("request", method = "other", route = route_name(&route));
            return EnvelopeFuture {
                state: State::Refused {
                    status: StatusCode::METHOD_NOT_ALLOWED,
                },
                done: Some(self.done(route, method, span)),
            };
        }
        let query = request.uri().query().unwrap_or("");
        if super::params::query_is_not_utf8(query) {
            let span = tracing::debug_span!("request", route = route_name(&route));
            return EnvelopeFuture {
                state: State::Refused {
                    status: StatusCode::BAD_REQUEST,
                },
                done: Some(self.done(route, method, span)),
            };
        }
        if self
            .envelope
            .breaker
            .refuses(route.as_ref().map(MatchedPath::as_str))
        {
            let span = tracing::debug_span!("request", route = route_name(&route));
            return EnvelopeFuture {
                state: State::Refused {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                },
                done: Some(self.done(route, method, span)),
            };
        }
        if self.envelope.limits.headers_too_large(request.headers()) {
            let span = tracing::debug_span!("request", route = route_name(&route));
            return EnvelopeFuture {
                state: State::Refused {
                    status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                },
                done: Some(self.done(route, method, span)),
            };
        }
        let client_ip = peer_ip(request.extensions()).map(|peer| {
            self.envelope
                .proxies
                .client_ip_from_headers(peer, request.headers())
        });
        let context = RequestContext {
            method: request.method().clone(),
            route,
            client_ip,
        };
        // Off unless DEBUG is on for this crate (see `super::context` for why).
        let span = tracing::debug_span!(
            "request",
            method = %context.method,
            route = context.route(),
            client_ip = %Ip(client_ip),
        );
        let done = self.done(context.route.clone(), method, span.clone());
        let outage = Breaker::guards(context.route.as_ref().map(MatchedPath::as_str))
            .then(|| Box::pin(self.envelope.breaker.outage()) as Outage);
        let inner = self.inner.call(request).instrument(span);
        EnvelopeFuture {
            state: State::Served {
                inner: context.into_scope(inner),
                outage,
            },
            done: Some(done),
        }
    }
}

impl<S> EnvelopeService<S> {
    fn done(&self, route: Option<MatchedPath>, method: MethodLabel, span: tracing::Span) -> Done {
        Done {
            metrics: Arc::clone(&self.envelope.metrics),
            breaker: Arc::clone(&self.envelope.breaker),
            route,
            method,
            span,
            started: Instant::now(),
        }
    }
}

/// The route pattern for the log, `unmatched` when no route matched.
fn route_name(route: &Option<MatchedPath>) -> &str {
    route.as_ref().map_or("unmatched", MatchedPath::as_str)
}

pin_project! {
    /// The response of an [`EnvelopeService`].
    pub struct EnvelopeFuture<F> {
        #[pin]
        state: State<F>,
        done: Option<Done>,
    }
}

pin_project! {
    /// Whether the route serves the request or the envelope refused it.
    #[project = StateProj]
    enum State<F> {
        Served {
            #[pin]
            inner: TaskLocalFuture<RequestContext, Instrumented<F>>,
            // For a request that needs the store: resolves when the store is found
            // unreachable, and the request is answered 503 without waiting for the pool.
            outage: Option<Outage>,
        },
        Refused { status: StatusCode },
    }
}

/// The breaker's signal that the store is unreachable (see [`Breaker::outage`]).
type Outage = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What is done once the response is ready.
struct Done {
    metrics: Arc<Metrics>,
    breaker: Arc<Breaker>,
    route: Option<MatchedPath>,
    method: MethodLabel,
    span: tracing::Span,
    started: Instant,
}

impl<F> Future for EnvelopeFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = match this.state.project() {
            StateProj::Served { inner, outage } => match inner.poll(cx) {
                Poll::Ready(Ok(response)) => response,
                Poll::Pending => {
                    let Some(outage) = outage.as_mut() else {
                        return Poll::Pending;
                    };
                    std::task::ready!(outage.as_mut().poll(cx));
                    // Dropping the handler here is what a client hanging up does too.
                    ApiError::unavailable().into_response()
                }
            },
            StateProj::Refused { status } => refused(*status),
        };
        let mut response = super::error::json_errors(response);
        if let Some(done) = this.done.take() {
            if response.extensions().get::<StoreDown>().is_some() {
                done.breaker.trip();
            }
            done.record(&response);
        }
        add_security_headers(response.headers_mut());
        Poll::Ready(Ok(response))
    }
}

/// 405 for a method outside [`MethodLabel`]'s known ones, 400 for a query that is not
/// UTF-8 once decoded, 503 while the store's breaker is open, or 431 for a header section
/// over the limit, in RFC 6749's shape.
fn refused(status: StatusCode) -> Response {
    if status == StatusCode::SERVICE_UNAVAILABLE {
        return ApiError::unavailable().into_response();
    }
    let description = match status {
        StatusCode::METHOD_NOT_ALLOWED => "the request method is not supported",
        StatusCode::BAD_REQUEST => "a query parameter is not UTF-8 once percent-decoded",
        _ => "the request headers are too large",
    };
    ApiError::new(status, "invalid_request", description).into_response()
}

impl Done {
    fn record(self, response: &Response) {
        let elapsed = self.started.elapsed();
        let status = response.status().as_u16();
        let route = RouteLabel::of(self.route);
        self.metrics
            .record_request(route, self.method, status, elapsed);
        self.span.in_scope(|| {
            tracing::debug!(
                status,
                elapsed_ms = elapsed.as_millis() as u64,
                "request done"
            );
        });
    }
}

/// Headers every response carries.
fn add_security_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(HeaderName::from_static("referrer-policy"))
        .or_insert(HeaderValue::from_static("no-referrer"));
}
