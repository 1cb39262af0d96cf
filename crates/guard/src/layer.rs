//! The tower layer: verifies the bearer token before the inner service runs, puts the
//! [`AccessToken`] in the request extensions, and answers rejections itself.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

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
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // The clone is fresh and not ready; the ready one (self.inner) serves this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guard = self.guard.clone();
        let requirements = Arc::clone(&self.requirements);
        Box::pin(async move {
            let outcome = guard.authorize(request.headers(), &requirements).await;
            match outcome {
                Ok(token) => {
                    request.extensions_mut().insert::<AccessToken>(token);
                    inner.call(request).await
                }
                Err(rejection) => Ok(rejection.to_response()),
            }
        })
    }
}
