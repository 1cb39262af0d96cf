//! DPoP (RFC 9449) on the HTTP side: reading a request's `DPoP` headers (its
//! `Authorization: DPoP` credential is read with the bearer token, in [`super::bearer`]). The
//! checks themselves are the authority's.

use axum::http::HeaderMap;

use super::error::ApiError;

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

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

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
