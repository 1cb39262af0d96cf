//! Reading the bearer token out of the request (RFC 6750 §2.1), and the RFC 6750 §3
//! responses for rejections.

use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Response};

use crate::error::Rejection;

/// The token in `Authorization: Bearer <token>` (RFC 6750 §2.1): the one parser of the
/// header, used by the guard and by the Tessera server alike.
///
/// The scheme is case-insensitive and followed by one or more spaces; the token must be
/// one `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
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
    b64token(bearer_candidate(headers)?)
}

/// What follows `Bearer ` in the one `Authorization` header, before its characters are
/// checked ([`b64token`] does that). The guard first looks it up among the tokens it
/// verified before: those passed every check, so a hit needs no other.
///
/// # Errors
/// As [`bearer_token`], except for the characters of the token.
pub(crate) fn bearer_candidate(headers: &HeaderMap) -> Result<&[u8], Rejection> {
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
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        // Another scheme is not ours to judge, unless the value is not even visible ASCII.
        return match value.to_str() {
            Ok(_) => Err(Rejection::MissingToken),
            Err(_) => Err(MALFORMED),
        };
    }
    let start = rest.iter().position(|&b| b != b' ').unwrap_or(rest.len());
    Ok(&rest[start..])
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

impl Rejection {
    /// The RFC 6750 response: status, `WWW-Authenticate` challenge, and a JSON body
    /// `{"error", "error_description"}` (none for a missing token).
    pub fn to_response<B: From<String>>(&self) -> Response<B> {
        let body = match self.oauth_error() {
            Some(error) => serde_json::json!({
                "error": error,
                "error_description": self.description(),
            })
            .to_string(),
            None => String::new(),
        };
        let mut response = Response::new(B::from(body));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        if let Some(challenge) = self.challenge() {
            headers.insert(WWW_AUTHENTICATE, challenge);
        }
        if self.oauth_error().is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if matches!(self, Self::KeysUnavailable) {
            headers.insert("retry-after", HeaderValue::from_static("5"));
        }
        response
    }

    fn challenge(&self) -> Option<HeaderValue> {
        let text = match self {
            Self::MissingToken => "Bearer".to_owned(),
            Self::InvalidRequest(_) | Self::InvalidToken(_) => format!(
                "Bearer error=\"{}\", error_description=\"{}\"",
                self.oauth_error().unwrap_or("invalid_token"),
                self.description()
            ),
            Self::InsufficientScope { scope } if !scope.is_empty() => format!(
                "Bearer error=\"insufficient_scope\", error_description=\"{}\", scope=\"{}\"",
                self.description(),
                scope
            ),
            Self::InsufficientScope { .. } => format!(
                "Bearer error=\"insufficient_scope\", error_description=\"{}\"",
                self.description()
            ),
            Self::KeysUnavailable | Self::NotConfigured => return None,
        };
        // Scopes come from the application's configuration; if one has characters a header
        // cannot carry, answer without the challenge detail rather than fail.
        Some(HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("Bearer")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn responses_follow_rfc_6750() {
        let response: Response<String> = Rejection::InvalidToken("signature_invalid").to_response();
        assert_eq!(response.status(), 401);
        let challenge = response.headers()[WWW_AUTHENTICATE]
            .to_str()
            .expect("ascii");
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{challenge}"
        );
        assert!(!challenge.contains("signature"), "{challenge}");
        let forbidden: Response<String> = Rejection::InsufficientScope {
            scope: "orders:write".into(),
        }
        .to_response();
        assert_eq!(forbidden.status(), 403);
        let challenge = forbidden.headers()[WWW_AUTHENTICATE]
            .to_str()
            .expect("ascii");
        assert!(challenge.contains("scope=\"orders:write\""), "{challenge}");
        let missing: Response<String> = Rejection::MissingToken.to_response();
        assert_eq!(missing.headers()[WWW_AUTHENTICATE], "Bearer");
    }
}
