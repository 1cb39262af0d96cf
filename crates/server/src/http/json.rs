//! A JSON body extractor whose every rejection is an `invalid_request` (or 413), never
//! axum's plain-text 415/422 answers.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON request body of type `T`; an empty body is refused unless `T` is an `Option`-like
/// type that [`OptionalJson`] handles.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

/// A JSON body that may be absent (an empty body gives `T::default()`).
#[derive(Debug)]
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let empty = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .is_some_and(|len| len == "0")
            || req
                .headers()
                .get(axum::http::header::CONTENT_TYPE)
                .is_none();
        if empty {
            let body = axum::body::Bytes::from_request(req, state)
                .await
                .map_err(|r| super::params::body_rejection(&r))?;
            if body.is_empty() {
                return Ok(Self(T::default()));
            }
            return Err(ApiError::invalid_request(
                "the body must be application/json",
            ));
        }
        JsonBody::<T>::from_request(req, state)
            .await
            .map(|JsonBody(value)| Self(value))
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::BytesRejection(inner) => super::params::body_rejection(inner),
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::invalid_request("the body must be application/json")
        }
        _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            "the request body is too large",
        ),
        JsonRejection::JsonDataError(err) => ApiError::invalid_request(format!(
            "the JSON body is not as expected: {}",
            err.body_text()
        )),
        _ => ApiError::invalid_request("the body is not valid JSON"),
    }
}
