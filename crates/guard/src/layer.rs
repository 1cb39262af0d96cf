//! The tower layer: verifies the bearer token before the inner service runs, puts the
//! [`AccessToken`] in the request extensions, and answers rejections itself.

use std::future::{Future, Ready};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::dpop::Target;
use crate::guard::Guard;
use crate::token::{AccessToken, Requirements};

/// Guards the services it wraps. Build it with [`Guard::layer`].
///
/// ```no_run
/// # async fn demo(guard: tessera_guard::Guard) {
/// use axum::{Router, routing::get};
///
/// let app: Router = Router::new()
///     .route("/orders", get(|| async { "orders" }))
///     .route_layer(guard.layer().require_scope("orders:read"));
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct GuardLayer {
    guard: Guard,
    requirements: Arc<Requirements>,
}

impl GuardLayer {
    pub(crate) fn new(guard: Guard) -> Self {
        Self {
            guard,
            requirements: Arc::default(),
        }
    }

    /// Also requires `scope` (every required scope must have been granted).
    pub fn require_scope(mut self, scope: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.requirements)
            .scopes
            .push(scope.into());
        self
    }

    /// Also requires the user to have signed in with this authentication context class:
    /// `require_acr("urn:tessera:acr:mfa")` lets only tokens from a sign-in with a second
    /// factor through; others get 401 `insufficient_user_authentication` with `acr_values`
    /// (RFC 9470), for the client to step the user up.
    pub fn require_acr(mut self, acr: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.requirements).acr = Some(acr.into());
        self
    }

    /// Also requires `role` (the subject must have every required role).
    pub fn require_role(mut self, role: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.requirements)
            .roles
            .push(role.into());
        self
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = GuardService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GuardService {
            inner,
            guard: self.guard.clone(),
            requirements: Arc::clone(&self.requirements),
        }
    }
}

/// The service [`GuardLayer`] produces.
#[derive(Clone, Debug)]
pub struct GuardService<S> {
    inner: S,
    guard: Guard,
    requirements: Arc<Requirements>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for GuardService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: From<String>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // Most requests carry a token seen before, or no usable one: decided here and now,
        // so the inner service is called directly, with no clone and no boxed future.
        let target = target(&request);
        match self
            .guard
            .authorize_now(request.headers(), Some(target), &self.requirements)
        {
            Some(Ok(token)) => {
                request.extensions_mut().insert::<AccessToken>(token);
                ResponseFuture::inner(self.inner.call(request))
            }
            Some(Err(rejection)) => ResponseFuture::refused(rejection.to_response()),
            None => self.call_after_full_check(request),
        }
    }
}

impl<S> GuardService<S> {
    /// The request waits for the full check (a signature, maybe a key fetch).
    fn call_after_full_check<ReqBody, ResBody>(
        &mut self,
        mut request: Request<ReqBody>,
    ) -> ResponseFuture<S::Future, ResBody, S::Error>
    where
        S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        ReqBody: Send + 'static,
        ResBody: From<String>,
    {
        // The clone is fresh and not ready; the ready one (self.inner) serves this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guard = self.guard.clone();
        let requirements = Arc::clone(&self.requirements);
        ResponseFuture::checking(Box::pin(async move {
            let outcome = guard
                .authorize_in_full(request.headers(), Some(target(&request)), &requirements)
                .await;
            match outcome {
                Ok(token) => {
                    request.extensions_mut().insert::<AccessToken>(token);
                    inner.call(request).await
                }
                Err(rejection) => Ok(rejection.to_response()),
            }
        }))
    }
}

/// The request's method and path, for a DPoP proof's `htm` and `htu`.
fn target<B>(request: &Request<B>) -> Target<'_> {
    Target {
        method: request.method().as_str(),
        path: request.uri().path(),
    }
}

/// A response on its way that needed the full check.
type Checking<B, E> = Pin<Box<dyn Future<Output = Result<Response<B>, E>> + Send>>;

pin_project! {
    /// The future [`GuardService`] returns: the inner service's, a refusal, or the full
    /// check followed by the inner service.
    pub struct ResponseFuture<F, B, E> {
        #[pin]
        state: State<F, B, E>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B, E> {
        Inner { #[pin] future: F },
        Refused { future: Ready<Result<Response<B>, E>> },
        Checking { future: Checking<B, E> },
    }
}

impl<F, B, E> ResponseFuture<F, B, E> {
    fn inner(future: F) -> Self {
        Self {
            state: State::Inner { future },
        }
    }

    fn refused(response: Response<B>) -> Self {
        Self {
            state: State::Refused {
                future: std::future::ready(Ok(response)),
            },
        }
    }

    fn checking(future: Checking<B, E>) -> Self {
        Self {
            state: State::Checking { future },
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B, E>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Inner { future } => future.poll(cx),
            StateProj::Refused { future } => Pin::new(future).poll(cx),
            StateProj::Checking { future } => future.as_mut().poll(cx),
        }
    }
}

impl<F, B, E> std::fmt::Debug for ResponseFuture<F, B, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
