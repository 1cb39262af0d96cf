//! The axum extractor: a handler takes an [`AccessToken`] argument.

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;

use crate::error::Rejection;
use crate::guard::Guard;
use crate::token::AccessToken;

/// Takes the token the [`crate::GuardLayer`] verified; without the layer, verifies the
/// request with a [`Guard`] found in the request extensions (`Extension(guard)`).
impl<S: Send + Sync> FromRequestParts<S> for AccessToken {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(token) = parts.extensions.get::<AccessToken>() {
            return Ok(token.clone());
        }
        let Some(guard) = parts.extensions.get::<Guard>().cloned() else {
            tracing::error!("AccessToken extracted on a route with no guard layer or Guard");
            return Err(Rejection::NotConfigured);
        };
        guard
            .authenticate_request(&parts.method, &parts.uri, &parts.headers)
            .await
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        self.to_response()
    }
}
