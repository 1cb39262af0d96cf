//! Errors that the framework answers itself (axum's extractor rejections in `text/plain`,
//! the router's empty 405, a body over the limit) rewritten into the one JSON shape of
//! [`ApiError`], so that every error from every route is RFC 6749 §5.2 JSON.
//!
//! Only an error without a body type or with a `text/plain` one is rewritten: JSON errors
//! are already in shape, and a page that answers an error in HTML keeps it.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse as _, Response};

use super::ApiError;

/// The headers of a framework error that the JSON answer keeps.
const KEPT: [header::HeaderName; 2] = [header::ALLOW, header::RETRY_AFTER];

/// `response` unchanged unless it is an error that is not JSON already: then the same
/// status (and `Allow`, `Retry-After`) with an RFC 6749 body.
pub(crate) fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || !is_plain(&response) {
        return response;
    }
    let (code, description) = describe(status);
    let mut answer = ApiError::new(status, code, description).into_response();
    for name in KEPT {
        if let Some(value) = response.headers().get(&name) {
            answer.headers_mut().insert(name, value.clone());
        }
    }
    answer
}

/// True when the error has no body type or a plain-text one (what axum and hyper give).
fn is_plain(response: &Response) -> bool {
    match response.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(kind) => kind
            .to_str()
            .is_ok_and(|kind| kind.to_ascii_lowercase().starts_with("text/plain")),
    }
}

/// The `error` code and a description safe to show for a status the framework chose.
fn describe(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => ("not_found", "no such resource"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "invalid_request",
            "the request method is not allowed on this resource",
        ),
        StatusCode::REQUEST_TIMEOUT => ("invalid_request", "the request took too long"),
        StatusCode::LENGTH_REQUIRED => ("invalid_request", "the request needs a Content-Length"),
        StatusCode::PAYLOAD_TOO_LARGE => ("invalid_request", "the request body is too large"),
        StatusCode::URI_TOO_LONG => ("invalid_request", "the request URI is too long"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "invalid_request",
            "the request body has an unsupported type",
        ),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            ("invalid_request", "the request headers are too large")
        }
        StatusCode::TOO_MANY_REQUESTS => ("slow_down", "too many requests; retry later"),
        StatusCode::SERVICE_UNAVAILABLE => (
            "temporarily_unavailable",
            "the service is temporarily unavailable",
        ),
        status if status.is_server_error() => ("server_error", "internal error"),
        _ => ("invalid_request", "the request is malformed"),
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::HeaderValue;

    use super::*;

    fn plain(status: StatusCode, kind: Option<&'static str>) -> Response {
        let mut response = Response::new(Body::from("Invalid URL"));
        *response.status_mut() = status;
        if let Some(kind) = kind {
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
        }
        response
    }

    #[test]
    fn plain_errors_become_json_and_keep_allow() {
        let mut empty = plain(StatusCode::METHOD_NOT_ALLOWED, None);
        empty
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET,HEAD"));
        let answer = json_errors(empty);
        assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(answer.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(answer.headers()[header::ALLOW], "GET,HEAD");
        let answer = json_errors(plain(
            StatusCode::BAD_REQUEST,
            Some("text/plain; charset=utf-8"),
        ));
        assert_eq!(answer.headers()[header::CONTENT_TYPE], "application/json");
    }

    #[test]
    fn other_answers_are_left_alone() {
        let html = json_errors(plain(StatusCode::BAD_REQUEST, Some("text/html")));
        assert_eq!(html.headers()[header::CONTENT_TYPE], "text/html");
        let fine = json_errors(plain(StatusCode::OK, Some("text/plain")));
        assert_eq!(fine.headers()[header::CONTENT_TYPE], "text/plain");
    }
}
