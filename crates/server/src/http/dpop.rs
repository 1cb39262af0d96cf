//! DPoP (RFC 9449) on the HTTP side: reading a request's `DPoP` headers and its
//! `Authorization: DPoP` credential. The checks themselves are the authority's.

use axum::http::{HeaderMap, header};

use super::error::ApiError;
use super::params::MAX_VALUE_LEN;

/// The request header carrying a proof.
pub const DPOP_HEADER: &str = "dpop";

/// Every `DPoP` header value of the request, in order (two are refused by the checker).
///
/// # Errors
/// 400 `invalid_dpop_proof` for a value that is not visible ASCII.
pub fn proofs(headers: &HeaderMap) -> Result<Vec<&str>, ApiError> {
    headers
        .get_all(DPOP_HEADER)
        .iter()
        .map(|value| {
            value
                .to_str()
                .map_err(|_| ApiError::dpop_proof("the DPoP header is not ASCII"))
        })
        .collect()
}

/// The access token of an `Authorization: DPoP <token>` header (RFC 9449 §7.1), or none
/// when the request uses another scheme or no `Authorization` header at all.
///
/// # Errors
/// 400 `invalid_request` for several `Authorization` headers, or a `DPoP` credential that
/// is not one token68 of at most the size the server reads.
pub fn dpop_token(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let Ok(value) = value.to_str() else {
        // Not ours to judge: the bearer parser reports it.
        return Ok(None);
    };
    let Some((scheme, rest)) = value.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("dpop") {
        return Ok(None);
    }
    if values.next().is_some() {
        return Err(ApiError::invalid_request(
            "more than one Authorization header",
        ));
    }
    let token = rest.trim_start_matches(' ');
    if !is_token68(token) || token.len() > MAX_VALUE_LEN {
        return Err(ApiError::invalid_request("malformed Authorization header"));
    }
    Ok(Some(token))
}

/// RFC 9110 §11.2: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_token68(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(auth: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in auth {
            map.append(
                header::AUTHORIZATION,
                HeaderValue::from_str(value).expect("ascii"),
            );
        }
        map
    }

    #[test]
    fn the_dpop_scheme_and_its_token() {
        assert_eq!(
            dpop_token(&headers(&["DPoP abc.def"])).ok().flatten(),
            Some("abc.def")
        );
        assert_eq!(
            dpop_token(&headers(&["dpop abc="])).ok().flatten(),
            Some("abc=")
        );
        assert_eq!(dpop_token(&headers(&["Bearer abc"])).ok().flatten(), None);
        assert_eq!(dpop_token(&headers(&[])).ok().flatten(), None);
        for bad in ["DPoP ", "DPoP a b", "DPoP a,b", "DPoP =", "DPoP a\"b"] {
            let err = dpop_token(&headers(&[bad])).expect_err(bad);
            assert_eq!(err.code(), "invalid_request", "{bad}");
        }
        let two = dpop_token(&headers(&["DPoP a", "DPoP a"])).expect_err("two");
        assert_eq!(two.code(), "invalid_request");
    }

    #[test]
    fn every_proof_header_is_read() {
        let mut map = HeaderMap::new();
        assert!(proofs(&map).expect("none").is_empty());
        map.append(DPOP_HEADER, HeaderValue::from_static("a"));
        map.append(DPOP_HEADER, HeaderValue::from_static("b"));
        assert_eq!(proofs(&map).expect("two"), ["a", "b"]);
        map.append(
            DPOP_HEADER,
            HeaderValue::from_bytes(b"\xe9").expect("obs-text"),
        );
        assert_eq!(
            proofs(&map).expect_err("not ascii").code(),
            "invalid_dpop_proof"
        );
    }
}
