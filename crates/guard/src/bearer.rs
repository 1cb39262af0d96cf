//! Reading the access token out of the request (RFC 6750 §2.1, RFC 9449 §7.1), and the
//! RFC 6750 §3 responses for rejections.

use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::error::Rejection;

/// The authorization scheme an access token came with.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum Scheme {
    /// `Authorization: Bearer <token>` (RFC 6750).
    Bearer,
    /// `Authorization: DPoP <token>`, with a proof in the `DPoP` header (RFC 9449 §7.1).
    Dpop,
}

impl Scheme {
    /// The scheme's name as a challenge spells it (`Bearer`, `DPoP`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bearer => "Bearer",
            Self::Dpop => "DPoP",
        }
    }
}

/// The token in `Authorization: Bearer <token>` (RFC 6750 §2.1): the one parser of the
/// header, used by the guard and by the Tessera server alike.
///
/// The scheme is case-insensitive and followed by one or more spaces; the token must be
/// one `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
/// A `DPoP` credential is not a bearer token: it counts as no token here
/// ([`authorization_token`] reads both schemes).
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
/// use tessera_guard::bearer_token;
///
/// let mut headers = HeaderMap::new();
/// headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer eyJ.eyJ.c2ln"));
/// assert_eq!(bearer_token(&headers), Ok("eyJ.eyJ.c2ln"));
/// headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer other"));
/// assert_eq!(bearer_token(&headers).map_err(|e| e.code()), Err("authorization_repeated"));
/// ```
///
/// # Errors
/// [`Rejection::MissingToken`] when there is no `Authorization` header or it uses another
/// scheme; [`Rejection::InvalidRequest`] when there are several, or the value after
/// `Bearer` is not exactly one RFC 6750 `b64token`.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, Rejection> {
    match token_candidate(headers)? {
        (Scheme::Bearer, candidate) => b64token(candidate),
        (Scheme::Dpop, _) => Err(Rejection::MissingToken),
    }
}

/// The scheme and the token in `Authorization: Bearer <token>` or `Authorization: DPoP
/// <token>` (RFC 9449 §7.1: the same `token68` syntax as RFC 6750's `b64token`).
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
/// use tessera_guard::{Scheme, authorization_token};
///
/// let mut headers = HeaderMap::new();
/// headers.insert(AUTHORIZATION, HeaderValue::from_static("DPoP eyJ.eyJ.c2ln"));
/// assert_eq!(authorization_token(&headers), Ok((Scheme::Dpop, "eyJ.eyJ.c2ln")));
/// ```
///
/// # Errors
/// As [`bearer_token`], for either scheme.
pub fn authorization_token(headers: &HeaderMap) -> Result<(Scheme, &str), Rejection> {
    let (scheme, candidate) = token_candidate(headers)?;
    Ok((scheme, b64token(candidate)?))
}

/// The scheme and what follows it in the one `Authorization` header, before the token's
/// characters are checked ([`b64token`] does that). The guard first looks the token up
/// among those it verified before: those passed every check, so a hit needs no other.
///
/// # Errors
/// As [`authorization_token`], except for the characters of the token.
pub(crate) fn token_candidate(headers: &HeaderMap) -> Result<(Scheme, &[u8]), Rejection> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(Rejection::MissingToken);
    };
    if values.next().is_some() {
        return Err(Rejection::InvalidRequest("authorization_repeated"));
    }
    let bytes = value.as_bytes();
    let (scheme, rest) = match bytes.iter().position(|&b| b == b' ') {
        Some(space) => (&bytes[..space], &bytes[space + 1..]),
        None => (bytes, &[][..]),
    };
    let scheme = if scheme.eq_ignore_ascii_case(b"bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case(b"dpop") {
        Scheme::Dpop
    } else {
        // Another scheme is not ours to judge, unless the value is not even visible ASCII.
        return match value.to_str() {
            Ok(_) => Err(Rejection::MissingToken),
            Err(_) => Err(MALFORMED),
        };
    };
    let start = rest.iter().position(|&b| b != b' ').unwrap_or(rest.len());
    Ok((scheme, &rest[start..]))
}

/// The token, if it is exactly one RFC 6750 `b64token`.
///
/// # Errors
/// [`Rejection::InvalidRequest`] (`authorization_malformed`) otherwise.
pub(crate) fn b64token(token: &[u8]) -> Result<&str, Rejection> {
    if !is_b64token(token) {
        return Err(MALFORMED);
    }
    // A b64token is ASCII, so this always succeeds.
    std::str::from_utf8(token).map_err(|_| MALFORMED)
}

const MALFORMED: Rejection = Rejection::InvalidRequest("authorization_malformed");

/// RFC 6750 §2.1: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
///
/// Runs over the whole token of every request that is not a cache hit (and on every
/// request to the server), so the body is checked without an early exit, which lets the
/// compiler check many bytes at a time.
fn is_b64token(token: &[u8]) -> bool {
    let end = token
        .iter()
        .rposition(|&b| b != b'=')
        .map_or(0, |last| last + 1);
    let body = &token[..end];
    let allowed = |b: u8| {
        b.is_ascii_alphanumeric()
            | (b == b'-')
            | (b == b'.')
            | (b == b'_')
            | (b == b'~')
            | (b == b'+')
            | (b == b'/')
    };
    !body.is_empty() && body.iter().fold(true, |ok, &b| ok & allowed(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    use http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(AUTHORIZATION, HeaderValue::from_str(value).expect("value"));
        }
        map
    }

    fn code(values: &[&str]) -> Result<&'static str, &'static str> {
        bearer_token(&headers(values))
            .map(|_| "ok")
            .map_err(|e| e.code())
    }

    #[test]
    fn a_bearer_token_is_extracted() {
        let map = headers(&["Bearer abc.def.ghi"]);
        assert_eq!(bearer_token(&map), Ok("abc.def.ghi"));
        assert_eq!(code(&["bearer a-b_c~d+e/f=="]), Ok("ok"));
    }

    #[test]
    fn absent_or_other_schemes_mean_no_token() {
        assert_eq!(code(&[]), Err("token_missing"));
        assert_eq!(code(&["Basic dXNlcjpwYXNz"]), Err("token_missing"));
    }

    #[test]
    fn malformed_bearer_headers_are_invalid_requests() {
        for bad in [
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer a,b",
            "Bearer ===",
            "Bearer a=b",
        ] {
            assert_eq!(code(&[bad]), Err("authorization_malformed"), "{bad}");
        }
        assert_eq!(
            code(&["Bearer a", "Bearer b"]),
            Err("authorization_repeated")
        );
    }

    #[test]
    fn bytes_outside_visible_ascii_are_malformed_whatever_the_scheme() {
        for bad in [
            &b"Bearer abc\xff"[..],
            b"Basic \xc3\xa9",
            b"B\xe9arer abc",
            b"Bearer a\tb",
        ] {
            let mut map = HeaderMap::new();
            map.insert(AUTHORIZATION, HeaderValue::from_bytes(bad).expect("value"));
            let got = bearer_token(&map).map_err(|e| e.code());
            assert_eq!(got, Err("authorization_malformed"), "{bad:?}");
        }
    }

    #[test]
    fn every_byte_of_a_long_token_is_checked() {
        let long = "a".repeat(600);
        for at in [0, 1, 299, 598] {
            let mut bad = long.clone().into_bytes();
            bad[at] = b'!';
            let value = [&b"Bearer "[..], &bad].concat();
            let mut map = HeaderMap::new();
            map.insert(
                AUTHORIZATION,
                HeaderValue::from_bytes(&value).expect("value"),
            );
            let got = bearer_token(&map).map_err(|e| e.code());
            assert_eq!(got, Err("authorization_malformed"), "bad byte at {at}");
        }
        assert_eq!(code(&[&format!("Bearer {long}==")]), Ok("ok"));
    }

    #[test]
    fn the_dpop_scheme_is_read_by_the_same_parser() {
        let map = headers(&["dpop  abc.def.ghi"]);
        assert_eq!(authorization_token(&map), Ok((Scheme::Dpop, "abc.def.ghi")));
        let map = headers(&["Bearer abc"]);
        assert_eq!(authorization_token(&map), Ok((Scheme::Bearer, "abc")));
        // A DPoP credential is no bearer token, and its token is held to the same syntax.
        for bad in ["DPoP", "DPoP a b", "DPoP a,b", "DPoP =="] {
            let map = headers(&[bad]);
            let got = authorization_token(&map).map(|_| ()).map_err(|e| e.code());
            assert_eq!(got, Err("authorization_malformed"), "{bad}");
        }
        let repeated = headers(&["DPoP a", "Bearer b"]);
        let got = authorization_token(&repeated).map_err(|e| e.code());
        assert_eq!(got, Err("authorization_repeated"));
        let other = headers(&["DPoPx abc"]);
        assert_eq!(authorization_token(&other), Err(Rejection::MissingToken));
        let plain = headers(&["DPoP abc"]);
        assert_eq!(bearer_token(&plain), Err(Rejection::MissingToken));
    }
}
