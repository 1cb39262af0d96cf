//! Bearer-token extractors for the protected endpoints (RFC 6750): [`Bearer`] for any valid
//! access token of ours, [`Admin`] for one whose roles contain `admin`.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use tessera_core::{AccessClaims, Store};

use super::AppState;
use super::context::in_request;
use super::error::ApiError;
use super::params::MAX_VALUE_LEN;

/// The role that opens the admin endpoints.
pub const ADMIN_ROLE: &str = "admin";

/// The verified claims of the request's bearer token.
#[derive(Debug)]
pub struct Bearer(pub AccessClaims);

/// The verified claims of a bearer token whose roles contain `admin`.
#[derive(Debug)]
pub struct Admin(pub AccessClaims);

/// The raw token of an `Authorization: Bearer` header.
///
/// # Errors
/// 401 `invalid_token` when there is no bearer token; 400 `invalid_request` for a header
/// that is not a well-formed bearer credential (RFC 6750 §2.1, §3.1).
pub fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::invalid_token("an access token is required"));
    };
    let malformed = || ApiError::invalid_request("malformed Authorization header");
    let value = value.as_bytes();
    let Some(space) = value.iter().position(|&b| b == b' ') else {
        return if value.eq_ignore_ascii_case(b"bearer") {
            Err(malformed())
        } else {
            Err(ApiError::invalid_token("an access token is required"))
        };
    };
    let (scheme, token) = (&value[..space], &value[space..]);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Err(ApiError::invalid_token("an access token is required"));
    }
    // `"Bearer" 1*SP b64token`: spaces only, not other white space.
    let token = &token[token.iter().take_while(|&&b| b == b' ').count()..];
    if token.is_empty() || token.len() > MAX_VALUE_LEN || !is_b64token(token) {
        return Err(malformed());
    }
    // Only ASCII is left, so this cannot fail.
    std::str::from_utf8(token).map_err(|_| malformed())
}

/// RFC 6750 §2.1 `b64token`. Runs on every request over the whole token, so it is written
/// without an early exit, which lets the compiler check many bytes at a time.
fn is_b64token(token: &[u8]) -> bool {
    let allowed = |b: u8| {
        b.is_ascii_alphanumeric()
            | (b == b'-')
            | (b == b'.')
            | (b == b'_')
            | (b == b'~')
            | (b == b'+')
            | (b == b'/')
            | (b == b'=')
    };
    token.iter().fold(true, |ok, &b| ok & allowed(b))
}

impl<S: Store> FromRequestParts<AppState<S>> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts)?;
        let claims = state.authority().verify_access_token(token).await?;
        Ok(Self(claims))
    }
}

impl<S: Store> FromRequestParts<AppState<S>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        let Bearer(claims) = Bearer::from_request_parts(parts, state).await?;
        if !claims.has_role(ADMIN_ROLE) {
            in_request(
                || tracing::warn!(sub = %claims.sub, "admin endpoint refused: no admin role"),
            );
            return Err(ApiError::insufficient_scope("the admin role is required"));
        }
        Ok(Self(claims))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderValue, Request};

    use super::*;

    fn parts(auth: Option<&str>) -> Parts {
        let mut builder = Request::builder();
        if let Some(auth) = auth {
            builder = builder.header(header::AUTHORIZATION, auth);
        }
        builder.body(()).expect("valid request").into_parts().0
    }

    #[test]
    fn header_shapes() {
        assert_eq!(
            bearer_token(&parts(Some("Bearer abc.def"))).ok(),
            Some("abc.def")
        );
        assert_eq!(bearer_token(&parts(Some("bearer abc"))).ok(), Some("abc"));
        let non_ascii = Request::builder()
            .header(
                header::AUTHORIZATION,
                HeaderValue::from_bytes(b"Bearer ab\xe9c").expect("obs-text"),
            )
            .body(())
            .expect("request")
            .into_parts()
            .0;
        let err = bearer_token(&non_ascii).expect_err("non-ASCII token");
        assert_eq!(err.code(), "invalid_request");
        let absent = bearer_token(&parts(None)).expect_err("absent");
        assert_eq!(absent.code(), "invalid_token");
        let other = bearer_token(&parts(Some("Basic abc"))).expect_err("other scheme");
        assert_eq!(other.code(), "invalid_token");
        for bad in [
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer a\"b",
            "Bearer a\tb",
            "Bearer abc,",
            "Bearer \tabc",
        ] {
            let err = bearer_token(&parts(Some(bad))).expect_err(bad);
            assert_eq!(err.code(), "invalid_request", "{bad}");
        }
    }
}
