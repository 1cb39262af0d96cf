//! The one error type of the HTTP layer: an RFC 6749 §5.2 JSON body with the right status,
//! and the RFC 6750 or HTTP Basic challenge where one is due. How each domain error becomes
//! one is decided in `domain`, and only there.

mod domain;
mod plain;

pub(crate) use domain::chain;
pub(crate) use plain::json_errors;

use std::borrow::Cow;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::context::in_request;

/// The realm named in `WWW-Authenticate` challenges.
const REALM: &str = "tessera";

/// The challenge sent with a 401 or 403.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Challenge {
    /// `WWW-Authenticate: Basic` (the client authenticated with HTTP Basic).
    Basic,
    /// `WWW-Authenticate: Bearer error="…"` (RFC 6750 §3).
    Bearer,
    /// `WWW-Authenticate: DPoP error="…", algs="…"` (RFC 9449 §7.1).
    Dpop,
}

/// A refused request: status, `error` code, a description safe to show, and the headers
/// that go with it. Internal causes are logged where the error is made, never returned.
#[derive(Clone, Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    description: Cow<'static, str>,
    challenge: Option<Challenge>,
    retry_after: Option<u64>,
}

/// The JSON body of every error (RFC 6749 §5.2).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    /// The error code: `invalid_request`, `invalid_client`, `invalid_grant`,
    /// `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`, `invalid_token`,
    /// `insufficient_scope`, `invalid_dpop_proof`, `use_dpop_nonce`, `access_denied`,
    /// `not_found`, `conflict`, `slow_down`, `temporarily_unavailable` or `server_error`.
    pub error: &'a str,
    /// What went wrong, safe to show (it names no secret).
    pub error_description: &'a str,
}

impl ApiError {
    /// An error with an explicit status and code.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        description: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            challenge: None,
            retry_after: None,
        }
    }

    /// The description (safe to show: it names no secret).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// 400 `invalid_request`: a parameter is missing, repeated, too long or malformed.
    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 401 `invalid_token` with its RFC 6750 challenge.
    pub fn invalid_token(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", description).bearer()
    }

    /// 400 `invalid_dpop_proof` (RFC 9449 §5): the token request's proof is refused.
    pub fn dpop_proof(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_dpop_proof", description)
    }

    /// Answers with the DPoP challenge instead of the Bearer one (a request that used the
    /// `DPoP` scheme, or a bound token sent as `Bearer`), keeping status and code.
    pub fn dpop_challenge(mut self) -> Self {
        if self.challenge == Some(Challenge::Bearer) {
            self.challenge = Some(Challenge::Dpop);
        }
        self
    }

    /// 403 `insufficient_scope` with its RFC 6750 challenge.
    pub fn insufficient_scope(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "insufficient_scope", description).bearer()
    }

    /// 429 with `Retry-After` (whole seconds, at least 1).
    pub fn throttled(retry_after_secs: u64) -> Self {
        let mut err = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "slow_down",
            "too many failed attempts; retry later",
        );
        err.retry_after = Some(retry_after_secs.max(1));
        err
    }

    /// 404 `not_found`.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    /// 500 `server_error`; `internal` goes to the log only.
    pub fn internal(internal: &str) -> Self {
        in_request(|| tracing::error!(cause = internal, "internal error"));
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal error",
        )
    }

    /// 503 `temporarily_unavailable` with `Retry-After: 1`: the store cannot be reached (the
    /// response opens the store's circuit breaker, see [`crate::breaker`]).
    pub fn unavailable() -> Self {
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "the service is temporarily unavailable",
        );
        err.retry_after = Some(1);
        err
    }

    /// Adds `Retry-After` (whole seconds, at least 1).
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs.max(1));
        self
    }

    /// Adds the HTTP Basic challenge (for `invalid_client` after Basic authentication).
    pub fn basic(mut self) -> Self {
        self.challenge = Some(Challenge::Basic);
        self
    }

    fn bearer(mut self) -> Self {
        self.challenge = Some(Challenge::Bearer);
        self
    }

    /// Replaces the `error` code, keeping the status and challenge.
    pub(crate) fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `error` code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    fn challenge_header(&self) -> Option<HeaderValue> {
        let value = match self.challenge? {
            Challenge::Basic => format!("Basic realm=\"{REALM}\", charset=\"UTF-8\""),
            Challenge::Bearer => format!(
                "Bearer realm=\"{REALM}\", error=\"{}\", error_description=\"{}\"",
                self.code,
                quoted_safe(&self.description)
            ),
            Challenge::Dpop => format!(
                "DPoP realm=\"{REALM}\", error=\"{}\", error_description=\"{}\", algs=\"{}\"",
                self.code,
                quoted_safe(&self.description),
                dpop_algs()
            ),
        };
        HeaderValue::from_str(&value).ok()
    }
}

/// The algorithms a proof may use, space-separated, for the `algs` parameter.
fn dpop_algs() -> String {
    let names: Vec<&str> = tessera_core::authority::DPOP_ALGORITHMS
        .iter()
        .map(|alg| alg.as_str())
        .collect();
    names.join(" ")
}

/// Keeps a description printable inside a quoted header parameter (RFC 6750 §3).
fn quoted_safe(text: &str) -> String {
    text.chars()
        .filter(|c| matches!(c, ' ' | '!' | '#'..='[' | ']'..='~'))
        .collect()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code,
            error_description: &self.description,
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if let Some(challenge) = self.challenge_header() {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.code == "temporarily_unavailable" {
            response.extensions_mut().insert(crate::breaker::StoreDown);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_descriptions_stay_quotable() {
        assert_eq!(quoted_safe("a \"b\"\\ c\n"), "a b c");
    }
}
