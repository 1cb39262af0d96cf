//! The JOSE header of a JWE (RFC 7516 §4), parsed strictly: duplicate members, `crit`,
//! `zip` and header-embedded keys (other than the ECDH `epk`) are refused.

use serde_json::{Map, Value};

use super::{ContentEncryption, KeyAlgorithm};
use crate::error::{Error, Malformed, Part};
use crate::header::{KEY_SOURCE_MEMBERS, first_crit_name, media_type_is};
use crate::json;
use crate::jwk::Jwk;

/// A JWE protected header. Unknown members are kept in `extra`.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct Header {
    /// The key management algorithm.
    pub alg: KeyAlgorithm,
    /// The content encryption algorithm.
    pub enc: ContentEncryption,
    /// Media type of the whole object.
    pub typ: Option<String>,
    /// Media type of the content (`JWT` for a nested token).
    pub cty: Option<String>,
    /// Key id of the recipient's key.
    pub kid: Option<String>,
    /// The ephemeral public key of ECDH-ES (set by encryption; never a private key).
    pub epk: Option<Jwk>,
    /// Agreement PartyUInfo (`apu`), decoded.
    pub apu: Option<Vec<u8>>,
    /// Agreement PartyVInfo (`apv`), decoded.
    pub apv: Option<Vec<u8>>,
    /// Any other members.
    pub extra: Map<String, Value>,
}

impl Header {
    /// A header with `alg` and `enc` only.
    pub fn new(alg: KeyAlgorithm, enc: ContentEncryption) -> Self {
        Self {
            alg,
            enc,
            typ: None,
            cty: None,
            kid: None,
            epk: None,
            apu: None,
            apv: None,
            extra: Map::new(),
        }
    }

    /// Sets `typ`.
    pub fn with_typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// Sets `cty` (`JWT` for a nested, signed token).
    pub fn with_cty(mut self, cty: impl Into<String>) -> Self {
        self.cty = Some(cty.into());
        self
    }

    /// Sets `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// True when `cty` names `expected`, compared as `typ` is (RFC 7515 §4.1.10):
    /// case-insensitively and with an optional `application/` prefix.
    pub fn cty_is(&self, expected: &str) -> bool {
        media_type_is(self.cty.as_deref(), expected)
    }

    /// Parses a decoded protected header strictly.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let mut map = json::parse_object(bytes, Part::Header)?;
        if let Some(name) = KEY_SOURCE_MEMBERS.iter().find(|m| map.contains_key(**m)) {
            return Err(Error::HeaderKeyForbidden(name));
        }
        if let Some(crit) = map.get("crit") {
            return Err(Error::CritUnsupported(first_crit_name(crit)));
        }
        if map.contains_key("zip") {
            return Err(Error::ZipUnsupported);
        }
        let alg = match map.remove("alg") {
            Some(Value::String(name)) => name.parse::<KeyAlgorithm>()?,
            _ => return Err(Error::AlgNotAllowed(String::new())),
        };
        let enc = match map.remove("enc") {
            Some(Value::String(name)) => name.parse::<ContentEncryption>()?,
            _ => return Err(Error::EncNotAllowed(String::new())),
        };
        let epk = match map.remove("epk") {
            None => None,
            Some(value @ Value::Object(_)) => Some(
                serde_json::from_value::<Jwk>(value)
                    .map_err(|_| Error::EpkInvalid("not a JWK".into()))?,
            ),
            Some(_) => return Err(Error::EpkInvalid("not a JSON object".into())),
        };
        Ok(Self {
            alg,
            enc,
            typ: string_member(&mut map, "typ")?,
            cty: string_member(&mut map, "cty")?,
            kid: string_member(&mut map, "kid")?,
            epk,
            apu: bytes_member(&mut map, "apu")?,
            apv: bytes_member(&mut map, "apv")?,
            extra: map,
        })
    }

    /// The header as compact JSON: `alg`, `enc`, `kid`, `typ`, `cty`, `epk`, `apu`, `apv`,
    /// then other members.
    pub(crate) fn to_json(&self) -> String {
        let mut map = Map::new();
        map.insert("alg".into(), self.alg.as_str().into());
        map.insert("enc".into(), self.enc.as_str().into());
        for (name, value) in [("kid", &self.kid), ("typ", &self.typ), ("cty", &self.cty)] {
            if let Some(value) = value {
                map.insert(name.into(), value.as_str().into());
            }
        }
        if let Some(epk) = &self.epk {
            // A JWK of strings serializes without fail.
            map.insert("epk".into(), serde_json::to_value(epk).unwrap_or_default());
        }
        for (name, value) in [("apu", &self.apu), ("apv", &self.apv)] {
            if let Some(value) = value {
                map.insert(name.into(), crate::b64::encode(value).into());
            }
        }
        for (name, value) in &self.extra {
            map.entry(name.clone()).or_insert_with(|| value.clone());
        }
        Value::Object(map).to_string()
    }
}

fn string_member(map: &mut Map<String, Value>, name: &str) -> Result<Option<String>, Error> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(Error::Malformed(Malformed::Json(
            Part::Header,
            format!("member {name} must be a string"),
        ))),
    }
}

fn bytes_member(map: &mut Map<String, Value>, name: &str) -> Result<Option<Vec<u8>>, Error> {
    let Some(text) = string_member(map, name)? else {
        return Ok(None);
    };
    crate::b64::decode(text.as_bytes())
        .map(Some)
        .ok_or_else(|| {
            Error::Malformed(Malformed::Json(
                Part::Header,
                format!("member {name} is not base64url"),
            ))
        })
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
    fn parses_and_writes_the_registered_members() {
        let header = Header::parse(
            br#"{"alg":"ECDH-ES","enc":"A128GCM","apu":"QWxpY2U","apv":"Qm9i","cty":"JWT","x":1,
                "epk":{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}}"#,
        )
        .expect("valid");
        assert_eq!(header.alg, KeyAlgorithm::EcdhEs);
        assert_eq!(header.apu.as_deref(), Some(&b"Alice"[..]));
        assert!(header.cty_is("application/jwt"));
        assert_eq!(header.extra.len(), 1);
        assert_eq!(Header::parse(header.to_json().as_bytes()), Ok(header));
    }

    #[test]
    fn refuses_what_the_rules_forbid() {
        let base = r#""alg":"A128KW","enc":"A128GCM""#;
        assert_eq!(code(&format!("{{{base}}}")), "ok");
        assert_eq!(
            code(&format!(r#"{{{base},"zip":"DEF"}}"#)),
            "zip_unsupported"
        );
        assert_eq!(
            code(&format!(r#"{{{base},"crit":["x"],"x":1}}"#)),
            "crit_unsupported"
        );
        assert_eq!(
            code(&format!(r#"{{{base},"alg":"A128KW"}}"#)),
            "json_duplicate_member"
        );
        assert_eq!(code(&format!(r#"{{{base},"kid":7}}"#)), "token_malformed");
        assert_eq!(
            code(&format!(r#"{{{base},"apu":"a+b"}}"#)),
            "token_malformed"
        );
        assert_eq!(code(&format!(r#"{{{base},"epk":"x"}}"#)), "epk_invalid");
        for member in KEY_SOURCE_MEMBERS {
            assert_eq!(
                code(&format!(r#"{{{base},"{member}":"x"}}"#)),
                "header_key_forbidden"
            );
        }
        assert_eq!(code(r#"{"alg":"RSA1_5","enc":"A128GCM"}"#), "alg_insecure");
        assert_eq!(
            code(r#"{"alg":"PBES2-HS256+A128KW","enc":"A128GCM"}"#),
            "alg_not_allowed"
        );
        assert_eq!(code(r#"{"enc":"A128GCM"}"#), "alg_not_allowed");
        assert_eq!(code(r#"{"alg":"dir","enc":"A192GCM"}"#), "enc_not_allowed");
        assert_eq!(code(r#"{"alg":"dir"}"#), "enc_not_allowed");
        assert_eq!(code("[]"), "token_malformed");
    }
}
