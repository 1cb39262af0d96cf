//! The JOSE header of a JWS, parsed strictly.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use serde::de::{MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::error::{Error, Part, cut};
use crate::header::{KEY_SOURCE_MEMBERS, first_crit_name, media_type_is};
use crate::json::{self, Name, StrictValue};

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
        media_type_is(self.typ.as_deref(), expected)
    }

    /// Parses a decoded header strictly, in one pass over the JSON.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let text = json::utf8(bytes, Part::Header)?;
        if let Some(header) = Self::parse_flat(text) {
            return Ok(header);
        }
        json::visit_object_str(text, Part::Header, HeaderVisitor)
    }

    /// The fast path for the usual header: only `alg`, `typ`, `cty` and `kid`, each a plain
    /// string and each once, with a known `alg`. `None` hands the document to the full parser
    /// (see [`crate::flat`]), which applies every rule and reports every error.
    fn parse_flat(text: &str) -> Option<Self> {
        let mut alg = None;
        let (mut typ, mut cty, mut kid) = (None, None, None);
        crate::flat::members(text, |member| {
            let Some(value) = member.str() else {
                return false;
            };
            match member.name {
                "alg" => set_once(&mut alg, value),
                "typ" => set_once(&mut typ, value.to_owned()),
                "cty" => set_once(&mut cty, value.to_owned()),
                "kid" => set_once(&mut kid, value.to_owned()),
                _ => false,
            }
        })?;
        Some(Self {
            alg: alg?.parse().ok()?,
            typ,
            cty,
            kid,
            extra: Map::new(),
        })
    }

    /// The header as compact JSON: `alg`, `typ`, `cty`, `kid`, then other members.
    pub(crate) fn to_json(&self) -> String {
        if self.extra.is_empty() {
            let fields = HeaderFields {
                alg: self.alg.as_str(),
                typ: self.typ.as_deref(),
                cty: self.cty.as_deref(),
                kid: self.kid.as_deref(),
            };
            // Serializing a struct of strings cannot fail.
            return serde_json::to_string(&fields).unwrap_or_default();
        }
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

/// The registered members written by [`Header::to_json`] when there are no others.
#[derive(Serialize)]
struct HeaderFields<'a> {
    alg: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    typ: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cty: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
}

/// What one pass over the header JSON collects before the rules are applied.
#[derive(Default)]
struct RawHeader<'de> {
    alg: Option<Cow<'de, str>>,
    typ: Option<String>,
    cty: Option<String>,
    kid: Option<String>,
    crit: Option<Value>,
    b64: Option<Value>,
    key_source: Option<&'static str>,
    extra: Map<String, Value>,
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = Result<Header, Error>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut raw = RawHeader::default();
        while let Some(Name(name)) = access.next_key::<Name<'de>>()? {
            raw.read_member(name, &mut access)?;
        }
        Ok(raw.finish())
    }
}

impl<'de> RawHeader<'de> {
    fn read_member<A: MapAccess<'de>>(
        &mut self,
        name: Cow<'de, str>,
        access: &mut A,
    ) -> Result<(), A::Error> {
        let fresh = match name.as_ref() {
            "alg" => set_once(&mut self.alg, access.next_value::<Name<'de>>()?.0),
            "typ" => set_once(&mut self.typ, access.next_value::<String>()?),
            "cty" => set_once(&mut self.cty, access.next_value::<String>()?),
            "kid" => set_once(&mut self.kid, access.next_value::<String>()?),
            "crit" => set_once(&mut self.crit, access.next_value::<StrictValue>()?.0),
            "b64" => set_once(&mut self.b64, access.next_value::<StrictValue>()?.0),
            other => {
                let StrictValue(value) = access.next_value()?;
                if let Some(source) = KEY_SOURCE_MEMBERS.iter().find(|m| **m == other) {
                    self.key_source.get_or_insert(source);
                }
                self.extra
                    .insert(name.clone().into_owned(), value)
                    .is_none()
            }
        };
        if fresh {
            Ok(())
        } else {
            Err(json::duplicate(&name))
        }
    }

    /// Applies the rules: no embedded keys, no `crit`, no `b64: false`, a known `alg`.
    fn finish(self) -> Result<Header, Error> {
        if let Some(name) = self.key_source {
            return Err(Error::HeaderKeyForbidden(name));
        }
        if let Some(crit) = &self.crit {
            return Err(Error::CritUnsupported(first_crit_name(crit)));
        }
        if self
            .b64
            .as_ref()
            .is_some_and(|b64| b64 != &Value::Bool(true))
        {
            return Err(Error::CritUnsupported("b64".into()));
        }
        let alg = self
            .alg
            .ok_or_else(|| Error::AlgNotAllowed(String::new()))?;
        let alg = alg
            .parse::<Algorithm>()
            .map_err(|_| Error::AlgNotAllowed(cut(&alg, 32)))?;
        Ok(Header {
            alg,
            typ: self.typ,
            cty: self.cty,
            kid: self.kid,
            extra: self.extra,
        })
    }
}

/// Fills an empty slot; false when it was already filled (a duplicate member).
fn set_once<T>(slot: &mut Option<T>, value: T) -> bool {
    slot.replace(value).is_none()
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
    fn the_fast_path_reads_what_the_full_parser_reads() {
        for doc in [
            r#"{"alg":"ES256","typ":"JWT","kid":"k1"}"#,
            r#"{"kid":"","alg":"EdDSA","cty":"JWT"}"#,
            r#"{"alg":"HS256"}"#,
        ] {
            let fast = Header::parse_flat(doc).expect("fast path");
            let full = json::visit_object_str(doc, Part::Header, HeaderVisitor).expect("valid");
            assert_eq!(fast, full, "{doc}");
        }
        for doc in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS256","alg":"HS256"}"#,
            r#"{"alg":"HS256","kid":7}"#,
            r#"{"alg":"HS256","x":"1"}"#,
            r#"{"alg":"HS256","jwk":"x"}"#,
            r#"{"typ":"JWT"}"#,
        ] {
            assert!(Header::parse_flat(doc).is_none(), "{doc}");
        }
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
