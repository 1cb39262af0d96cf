//! Access-token extractors for the protected endpoints (RFC 6750, and RFC 9449 §7 for
//! DPoP-bound tokens): [`Bearer`] for any valid access token of ours, [`Admin`] for one
//! whose roles contain `admin`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tessera_core::{AccessClaims, DpopRequest, Presentation, Store};
use tessera_guard::{Rejection, Scheme};

use super::AppState;
use super::context::in_request;
use super::error::ApiError;
use super::params::MAX_VALUE_LEN;

/// The role that opens the admin endpoints.
pub const ADMIN_ROLE: &str = "admin";

/// The verified claims of the request's access token: an unbound one sent as
/// `Authorization: Bearer`, or a DPoP-bound one sent as `Authorization: DPoP` with a proof
/// for this request (`htu` the issuer followed by the request's path).
#[derive(Debug)]
pub struct Bearer(pub AccessClaims);

/// The verified claims of a bearer token whose roles contain `admin`.
#[derive(Debug)]
pub struct Admin(pub AccessClaims);

/// The administrator behind `claims`, as the audit trail names who made a change.
pub fn admin_actor(claims: &AccessClaims) -> tessera_core::model::Actor {
    tessera_core::model::Actor::User(tessera_core::model::UserId::new(claims.sub.clone()))
}

/// The raw token of an `Authorization: Bearer` header, read by the guard's RFC 6750 parser
/// ([`tessera_guard::bearer_token`]) so that the server and the services it protects read
/// the header alike.
///
/// # Errors
/// 401 `invalid_token` when there is no bearer token (no `Authorization` header, or another
/// scheme); 400 `invalid_request` for several `Authorization` headers (RFC 6750 §3.1), a
/// header that is not a well-formed bearer credential (§2.1), or a token over the size
/// the server reads.
pub fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    let token = tessera_guard::bearer_token(&parts.headers).map_err(header_refusal)?;
    within_limit(token)
}

/// The scheme and token of `Authorization: Bearer <token>` or `Authorization: DPoP
/// <token>`, read by the guard's parser ([`tessera_guard::authorization_token`]).
///
/// # Errors
/// As [`bearer_token`], for either scheme.
pub fn presented_token(parts: &Parts) -> Result<(Scheme, &str), ApiError> {
    let (scheme, token) =
        tessera_guard::authorization_token(&parts.headers).map_err(header_refusal)?;
    Ok((scheme, within_limit(token)?))
}

/// The parser's refusal as the server answers it.
fn header_refusal(rejection: Rejection) -> ApiError {
    match rejection {
        Rejection::MissingToken => ApiError::invalid_token("an access token is required"),
        Rejection::InvalidRequest("authorization_repeated") => {
            ApiError::invalid_request("more than one Authorization header")
        }
        // The parser refuses nothing else; any other refusal is of the header too.
        _ => ApiError::invalid_request("malformed Authorization header"),
    }
}

/// The token, if it is no longer than the server reads.
fn within_limit(token: &str) -> Result<&str, ApiError> {
    if token.len() > MAX_VALUE_LEN {
        return Err(ApiError::invalid_request("malformed Authorization header"));
    }
    Ok(token)
}

impl<S: Store> FromRequestParts<AppState<S>> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        let (scheme, token) = presented_token(parts)?;
        let proofs = super::dpop::proofs(&parts.headers)?;
        let dpop = scheme == Scheme::Dpop;
        let presentation = if dpop {
            Presentation::Dpop(DpopRequest {
                proofs: &proofs,
                method: parts.method.as_str(),
                path: parts.uri.path(),
            })
        } else {
            Presentation::Bearer
        };
        let verified = state
            .authority()
            .verify_presented_token(token, presentation)
            .await;
        match verified {
            Ok(claims) => Ok(Self(claims)),
            Err(err) => {
                if err.is_refusal() {
                    state.metrics().token_refused(err.code());
                }
                let err = ApiError::from(err);
                Err(if dpop { err.dpop_challenge() } else { err })
            }
        }
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
    use axum::http::{HeaderValue, Request, header};

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

    #[test]
    fn the_dpop_scheme_and_its_token() {
        let dpop = |value: &str| {
            presented_token(&parts(Some(value)))
                .ok()
                .map(|(scheme, token)| (scheme, token.to_owned()))
        };
        assert_eq!(
            dpop("DPoP abc.def"),
            Some((Scheme::Dpop, "abc.def".to_owned()))
        );
        assert_eq!(dpop("dpop abc="), Some((Scheme::Dpop, "abc=".to_owned())));
        assert_eq!(dpop("Bearer abc"), Some((Scheme::Bearer, "abc".to_owned())));
        assert_eq!(
            presented_token(&parts(None)).expect_err("absent").code(),
            "invalid_token"
        );
        for bad in ["DPoP ", "DPoP a b", "DPoP a,b", "DPoP =", "DPoP a\"b"] {
            let err = presented_token(&parts(Some(bad))).expect_err(bad);
            assert_eq!(err.code(), "invalid_request", "{bad}");
        }
        let two = Request::builder()
            .header(header::AUTHORIZATION, "DPoP a")
            .header(header::AUTHORIZATION, "DPoP a")
            .body(())
            .expect("request")
            .into_parts()
            .0;
        assert_eq!(
            presented_token(&two).expect_err("two").code(),
            "invalid_request"
        );
    }

    #[test]
    fn repeated_and_oversize_headers_are_invalid_requests() {
        let repeated = Request::builder()
            .header(header::AUTHORIZATION, "Bearer abc")
            .header(header::AUTHORIZATION, "Bearer abc")
            .body(())
            .expect("request")
            .into_parts()
            .0;
        let err = bearer_token(&repeated).expect_err("two headers");
        assert_eq!(err.code(), "invalid_request");
        let long = format!("Bearer {}", "a".repeat(MAX_VALUE_LEN + 1));
        let err = bearer_token(&parts(Some(&long))).expect_err("oversize");
        assert_eq!(err.code(), "invalid_request");
        let longest = format!("Bearer {}", "a".repeat(MAX_VALUE_LEN));
        assert!(bearer_token(&parts(Some(&longest))).is_ok());
    }
}
