//! Strict parameters for the OAuth endpoints: a form-encoded (or JSON) body of single-valued
//! string parameters. A repeated parameter, an oversized value, a non-string JSON member or
//! an unknown content type is `invalid_request`, never a 500.

use std::collections::HashMap;
use std::fmt;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::error::ApiError;

/// The most parameters one request may carry.
const MAX_PARAMS: usize = 32;
/// The longest value accepted for any parameter (tokens included), in bytes.
pub const MAX_VALUE_LEN: usize = 8 * 1024;
/// The longest username or password accepted, in bytes.
pub const MAX_CREDENTIAL_LEN: usize = 1024;

/// The parameters of an OAuth request, each present at most once.
#[derive(Default)]
pub struct Params {
    values: HashMap<String, String>,
}

impl fmt::Debug for Params {
    /// Names only: values may be passwords or tokens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.values.keys()).finish()
    }
}

impl Params {
    /// Builds the parameters from name/value pairs, refusing repeats and oversized values.
    ///
    /// # Errors
    /// `invalid_request`.
    pub fn from_pairs<I>(pairs: I) -> Result<Self, ApiError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let mut values = HashMap::new();
        for (name, value) in pairs {
            if values.len() >= MAX_PARAMS {
                return Err(ApiError::invalid_request("too many parameters"));
            }
            if name.len() > 64 || value.len() > MAX_VALUE_LEN {
                return Err(ApiError::invalid_request("a parameter is too long"));
            }
            if values.contains_key(&name) {
                return Err(ApiError::invalid_request(format!(
                    "the parameter {} is repeated",
                    printable(&name)
                )));
            }
            values.insert(name, value);
        }
        Ok(Self { values })
    }

    /// The names of the parameters present.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// A parameter's value; an empty value counts as absent (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A required parameter.
    ///
    /// # Errors
    /// `invalid_request` naming the missing parameter.
    pub fn require(&self, name: &'static str) -> Result<&str, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::invalid_request(format!("the parameter {name} is missing")))
    }

    /// A required credential (username, password): at most [`MAX_CREDENTIAL_LEN`] bytes.
    ///
    /// # Errors
    /// `invalid_request` when missing or too long.
    pub fn credential(&self, name: &'static str) -> Result<&str, ApiError> {
        let value = self.require(name)?;
        if value.len() > MAX_CREDENTIAL_LEN {
            return Err(ApiError::invalid_request(format!(
                "the parameter {name} is too long"
            )));
        }
        Ok(value)
    }

    fn parse_form(body: &[u8]) -> Result<Self, ApiError> {
        if std::str::from_utf8(body).is_err() {
            return Err(ApiError::invalid_request("the body is not UTF-8"));
        }
        Self::from_pairs(strict_pairs(body)?)
    }

    fn parse_json(body: &[u8]) -> Result<Self, ApiError> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let pairs = de
            .deserialize_map(PairsVisitor)
            .and_then(|pairs| de.end().map(|()| pairs))
            .map_err(|_| ApiError::invalid_request("the body must be a JSON object of strings"))?;
        Self::from_pairs(pairs)
    }
}

/// Collects a JSON object's members in order, keeping repeats for [`Params::from_pairs`] to
/// refuse, and refusing values that are not strings.
struct PairsVisitor;

impl<'de> Visitor<'de> for PairsVisitor {
    type Value = Vec<(String, String)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of string values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pairs = Vec::new();
        while let Some((name, value)) = map.next_entry::<String, String>()? {
            if pairs.len() > MAX_PARAMS {
                return Err(de::Error::custom("too many members"));
            }
            pairs.push((name, value));
        }
        Ok(pairs)
    }
}

/// The pairs of an `application/x-www-form-urlencoded` string (a body or a query), decoded
/// as the URL standard says except that a value that is not UTF-8 once percent-decoded
/// (`%FF%FE`) is refused rather than read as U+FFFD.
///
/// # Errors
/// `invalid_request`.
pub fn strict_pairs(input: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    input
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &[][..]),
            };
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

/// True when `query` holds a percent-encoded sequence that is not UTF-8 once decoded, or
/// raw bytes that are not UTF-8.
pub fn query_is_not_utf8(query: &str) -> bool {
    query.contains('%') && strict_pairs(query.as_bytes()).is_err()
}

/// One name or value: `+` is a space, `%XX` a byte, and the bytes must be UTF-8.
fn decode(raw: &[u8]) -> Result<String, ApiError> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    String::from_utf8(bytes)
        .map_err(|_| ApiError::invalid_request("a parameter is not UTF-8 once percent-decoded"))
}

/// The media type of a request, without parameters, lowercase.
pub(crate) fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or("").trim();
    Some(essence.to_ascii_lowercase())
}

/// Maps a body-reading failure: 413 for a body over the limit, else `invalid_request`.
pub(crate) fn body_rejection(rejection: &BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            "the request body is too large",
        )
    } else {
        ApiError::invalid_request("the request body could not be read")
    }
}

/// A parameter name made safe to echo: printable ASCII, at most 64 characters.
pub(crate) fn printable(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(64)
        .collect()
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let kind = media_type(req.headers());
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|rejection| body_rejection(&rejection))?;
        match kind.as_deref() {
            Some("application/x-www-form-urlencoded") => Self::parse_form(&body),
            Some("application/json") => Self::parse_json(&body),
            None if body.is_empty() => Ok(Self::default()),
            _ => Err(ApiError::invalid_request(
                "the body must be application/x-www-form-urlencoded or application/json",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_parameters_are_single_valued() {
        let params = Params::parse_form(b"a=1&b=&c=x%20y").expect("valid");
        assert_eq!(params.get("a"), Some("1"));
        assert_eq!(params.get("b"), None);
        assert_eq!(params.get("c"), Some("x y"));
        assert!(Params::parse_form(b"a=1&a=2").is_err());
        assert!(Params::parse_form(b"a=\xff").is_err());
    }

    #[test]
    fn percent_encoded_bytes_must_be_utf8() {
        let params = Params::parse_form(b"n=%C3%A9t%C3%A9+x&m=%zz&o").expect("valid");
        assert_eq!(params.get("n"), Some("été x"));
        assert_eq!(params.get("m"), Some("%zz"));
        for bad in [
            &b"username=%FF%FE"[..],
            b"a=%C3%28",
            b"%FF=1",
            b"a=%ED%A0%80",
        ] {
            let err = Params::parse_form(bad).expect_err("not UTF-8");
            assert_eq!(err.code(), "invalid_request");
        }
        assert!(query_is_not_utf8("since=%FF"));
        assert!(!query_is_not_utf8("since=%31"));
        assert!(!query_is_not_utf8("since=1"));
    }

    #[test]
    fn json_parameters_are_strings() {
        let params = Params::parse_json(br#"{"a":"1"}"#).expect("valid");
        assert_eq!(params.get("a"), Some("1"));
        assert!(Params::parse_json(br#"{"a":1}"#).is_err());
        assert!(Params::parse_json(br#"{"a":"1","a":"2"}"#).is_err());
        assert!(Params::parse_json(br#"["a"]"#).is_err());
        assert!(Params::parse_json(br#"{"a":"1"} x"#).is_err());
    }

    #[test]
    fn long_values_are_refused() {
        let long = "x".repeat(MAX_VALUE_LEN + 1);
        assert!(Params::from_pairs([("a".into(), long)]).is_err());
        let params = Params::from_pairs([("p".into(), "x".repeat(1025))]).expect("ok");
        assert!(params.credential("p").is_err());
    }
}
