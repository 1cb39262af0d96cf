//! The JOSE header of a JWS, parsed strictly.

use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::error::{Error, Malformed, Part, cut};
use crate::json;

/// Header members that point at keys. A verifier that followed them would let the token
/// choose its own key (RFC 8725 §3.10), so a token carrying one is refused outright.
const KEY_SOURCE_MEMBERS: [&str; 4] = ["jwk", "jku", "x5u", "x5c"];

/// A JWS protected header. Unknown members are kept in `extra`; `crit` is refused.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct Header {
    /// The signature algorithm.
    pub alg: Algorithm,
    /// Media type of the whole object (`JWT`, `at+jwt`).
    pub typ: Option<String>,
    /// Media type of the payload (`JWT` for a nested token).
    pub cty: Option<String>,
    /// Key id.
    pub kid: Option<String>,
    /// Any other members.
    pub extra: Map<String, Value>,
}

impl Header {
    /// A header with only `alg`.
    pub fn new(alg: Algorithm) -> Self {
        Self {
            alg,
            typ: None,
            cty: None,
            kid: None,
            extra: Map::new(),
        }
    }

    /// Sets `typ`.
    pub fn with_typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// Sets `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// True when `typ` names `expected`, compared as RFC 7515 §4.1.9 says: case-insensitively
    /// and with an optional `application/` prefix.
    pub fn typ_is(&self, expected: &str) -> bool {
        let Some(typ) = self.typ.as_deref() else {
            return false;
        };
        let strip = |t: &str| {
            let lower = t.to_ascii_lowercase();
            lower
                .strip_prefix("application/")
                .map(str::to_owned)
                .unwrap_or(lower)
        };
        strip(typ) == strip(expected)
    }

    /// Parses a decoded header strictly.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let mut map = json::parse_object(bytes, Part::Header)?;
        for name in KEY_SOURCE_MEMBERS {
            if map.contains_key(name) {
                return Err(Error::HeaderKeyForbidden(name));
            }
        }
        if let Some(crit) = map.remove("crit") {
            return Err(Error::CritUnsupported(first_crit_name(&crit)));
        }
        if map.get("b64").is_some_and(|b64| b64 != &Value::Bool(true)) {
            return Err(Error::CritUnsupported("b64".into()));
        }
        let alg = match map.remove("alg") {
            Some(Value::String(name)) => name
                .parse::<Algorithm>()
                .map_err(|_| Error::AlgNotAllowed(cut(&name, 32)))?,
            Some(_) => return Err(not_string("alg")),
            None => return Err(Error::AlgNotAllowed(String::new())),
        };
        Ok(Self {
            alg,
            typ: take_string(&mut map, "typ")?,
            cty: take_string(&mut map, "cty")?,
            kid: take_string(&mut map, "kid")?,
            extra: map,
        })
    }

    /// The header as compact JSON: `alg`, `typ`, `cty`, `kid`, then other members.
    pub(crate) fn to_json(&self) -> String {
        let mut map = Map::new();
        map.insert("alg".into(), self.alg.as_str().into());
        for (name, value) in [("typ", &self.typ), ("cty", &self.cty), ("kid", &self.kid)] {
            if let Some(value) = value {
                map.insert(name.into(), value.as_str().into());
            }
        }
        for (name, value) in &self.extra {
            map.entry(name.clone()).or_insert_with(|| value.clone());
        }
        Value::Object(map).to_string()
    }
}

fn first_crit_name(crit: &Value) -> String {
    match crit
        .as_array()
        .and_then(|names| names.first())
        .and_then(Value::as_str)
    {
        Some(name) => cut(name, 32),
        None => "(malformed crit)".into(),
    }
}

fn take_string(map: &mut Map<String, Value>, name: &str) -> Result<Option<String>, Error> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(not_string(name)),
    }
}

fn not_string(name: &str) -> Error {
    Error::Malformed(Malformed::Json(
        Part::Header,
        format!("`{name}` must be a string"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(json: &str) -> &'static str {
        Header::parse(json.as_bytes())
            .map(|_| "ok")
            .unwrap_or_else(|e| e.code())
    }

    #[test]
    fn parses_known_members() {
        let header =
            Header::parse(br#"{"alg":"ES256","typ":"at+jwt","kid":"k1","x":1}"#).expect("valid");
        assert_eq!(header.alg, Algorithm::ES256);
        assert!(header.typ_is("application/AT+JWT"));
        assert_eq!(header.kid.as_deref(), Some("k1"));
        assert_eq!(header.extra.len(), 1);
    }

    #[test]
    fn refuses_what_rfc_8725_forbids() {
        assert_eq!(code(r#"{"alg":"none"}"#), "alg_not_allowed");
        assert_eq!(code(r#"{"alg":"NONE"}"#), "alg_not_allowed");
        assert_eq!(code(r#"{"typ":"JWT"}"#), "alg_not_allowed");
        assert_eq!(code(r#"{"alg":["RS256"]}"#), "token_malformed");
        assert_eq!(
            code(r#"{"alg":"RS256","crit":["exp"],"exp":1}"#),
            "crit_unsupported"
        );
        assert_eq!(code(r#"{"alg":"RS256","b64":false}"#), "crit_unsupported");
        assert_eq!(
            code(r#"{"alg":"RS256","alg":"HS256"}"#),
            "json_duplicate_member"
        );
        assert_eq!(code(r#"{"alg":"RS256","kid":7}"#), "token_malformed");
        for member in KEY_SOURCE_MEMBERS {
            assert_eq!(
                code(&format!(r#"{{"alg":"RS256","{member}":"x"}}"#)),
                "header_key_forbidden"
            );
        }
    }
}
