//! The JWT claims set (RFC 7519 §4): registered claims typed, the rest as JSON.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::error::{ClaimReason, Error, Part};
use crate::json::{self, Name, StrictValue};

/// The registered claim names this type holds in typed fields.
pub const REGISTERED: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

/// A JWT claims set. Times are whole seconds since the Unix epoch.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Claims {
    /// Issuer.
    pub iss: Option<String>,
    /// Subject.
    pub sub: Option<String>,
    /// Audiences (`aud` may be a string or an array on the wire).
    pub aud: Vec<String>,
    /// Expiration time.
    pub exp: Option<i64>,
    /// Not-before time.
    pub nbf: Option<i64>,
    /// Issued-at time.
    pub iat: Option<i64>,
    /// JWT id.
    pub jti: Option<String>,
    /// Every other claim.
    pub extra: Map<String, Value>,
}

impl Claims {
    /// An empty claims set; fill it with the `with_*` setters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `iss`.
    pub fn with_issuer(mut self, iss: impl Into<String>) -> Self {
        self.iss = Some(iss.into());
        self
    }

    /// Sets `sub`.
    pub fn with_subject(mut self, sub: impl Into<String>) -> Self {
        self.sub = Some(sub.into());
        self
    }

    /// Adds an audience.
    pub fn with_audience(mut self, aud: impl Into<String>) -> Self {
        self.aud.push(aud.into());
        self
    }

    /// Sets `exp`.
    pub fn with_expiry(mut self, exp: i64) -> Self {
        self.exp = Some(exp);
        self
    }

    /// Sets `nbf`.
    pub fn with_not_before(mut self, nbf: i64) -> Self {
        self.nbf = Some(nbf);
        self
    }

    /// Sets `iat`.
    pub fn with_issued_at(mut self, iat: i64) -> Self {
        self.iat = Some(iat);
        self
    }

    /// Sets `jti`.
    pub fn with_jwt_id(mut self, jti: impl Into<String>) -> Self {
        self.jti = Some(jti.into());
        self
    }

    /// Sets any claim; registered names go to their typed field.
    ///
    /// # Errors
    /// `claim_invalid` when a registered claim gets a value of the wrong JSON type.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Result<Self, Error> {
        self.set(name, value.into())?;
        Ok(self)
    }

    /// Sets any claim in place; registered names go to their typed field.
    ///
    /// # Errors
    /// `claim_invalid` when a registered claim gets a value of the wrong JSON type.
    pub fn set(&mut self, name: &str, value: Value) -> Result<(), Error> {
        match name {
            "iss" => self.iss = Some(string(name, value)?),
            "sub" => self.sub = Some(string(name, value)?),
            "jti" => self.jti = Some(string(name, value)?),
            "aud" => self.aud = audience(value)?,
            "exp" => self.exp = Some(numeric_date(name, &value)?),
            "nbf" => self.nbf = Some(numeric_date(name, &value)?),
            "iat" => self.iat = Some(numeric_date(name, &value)?),
            _ => {
                self.extra.insert(name.to_owned(), value);
            }
        }
        Ok(())
    }

    /// A claim by name, registered or not, as JSON.
    pub fn get(&self, name: &str) -> Option<Value> {
        match name {
            "iss" => self.iss.clone().map(Value::String),
            "sub" => self.sub.clone().map(Value::String),
            "jti" => self.jti.clone().map(Value::String),
            "aud" => (!self.aud.is_empty()).then(|| audience_value(&self.aud)),
            "exp" => self.exp.map(Value::from),
            "nbf" => self.nbf.map(Value::from),
            "iat" => self.iat.map(Value::from),
            _ => self.extra.get(name).cloned(),
        }
    }

    /// True when the claim is present.
    pub fn contains(&self, name: &str) -> bool {
        match name {
            "aud" => !self.aud.is_empty(),
            "iss" => self.iss.is_some(),
            "sub" => self.sub.is_some(),
            "jti" => self.jti.is_some(),
            "exp" => self.exp.is_some(),
            "nbf" => self.nbf.is_some(),
            "iat" => self.iat.is_some(),
            _ => self.extra.contains_key(name),
        }
    }

    /// Deserializes the non-registered claims into an application type.
    ///
    /// # Errors
    /// `token_malformed` when they do not fit `T`.
    pub fn custom<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        T::deserialize(&Value::Object(self.extra.clone()))
            .map_err(|err| Error::json(Part::Payload, &err))
    }

    /// Builds claims from a JSON object, type-checking the registered claims.
    ///
    /// # Errors
    /// `claim_invalid` for a registered claim of the wrong JSON type.
    pub fn from_map(map: Map<String, Value>) -> Result<Self, Error> {
        let mut claims = Self::new();
        for (name, value) in map {
            claims.set(&name, value)?;
        }
        Ok(claims)
    }

    /// Parses a JWT payload strictly (duplicate claim names refused).
    ///
    /// # Errors
    /// JSON errors, or `claim_invalid` for a registered claim of the wrong type.
    pub fn from_json(json: &[u8]) -> Result<Self, Error> {
        json::visit_object(json, Part::Payload, ClaimsVisitor)
    }

    /// The claims as compact JSON.
    pub fn to_json(&self) -> String {
        // Serializing claims writes only valid UTF-8 (JSON text).
        String::from_utf8(self.to_json_bytes()).unwrap_or_default()
    }

    /// The claims as compact JSON bytes, written into a buffer sized for a typical token.
    pub(crate) fn to_json_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(320);
        // A map of strings, numbers and JSON values always serializes.
        let _ = serde_json::to_writer(&mut out, self);
        out
    }
}

impl Serialize for Claims {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (name, value) in [("iss", &self.iss), ("sub", &self.sub)] {
            if let Some(value) = value {
                map.serialize_entry(name, value)?;
            }
        }
        match self.aud.as_slice() {
            [] => {}
            [one] => map.serialize_entry("aud", one)?,
            many => map.serialize_entry("aud", many)?,
        }
        for (name, value) in [("exp", self.exp), ("nbf", self.nbf), ("iat", self.iat)] {
            if let Some(value) = value {
                map.serialize_entry(name, &value)?;
            }
        }
        if let Some(jti) = &self.jti {
            map.serialize_entry("jti", jti)?;
        }
        for (name, value) in self
            .extra
            .iter()
            .filter(|(n, _)| !REGISTERED.contains(&n.as_str()))
        {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// Reads a claims set in one pass: registered claims straight into their typed fields,
/// others into `extra`, refusing any name seen twice.
struct ClaimsVisitor;

impl<'de> Visitor<'de> for ClaimsVisitor {
    type Value = Result<Claims, Error>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut claims = Claims::new();
        let mut seen = 0u8;
        let mut first_error = None;
        while let Some(Name(name)) = access.next_key::<Name<'de>>()? {
            let StrictValue(value) = access.next_value()?;
            match REGISTERED.iter().position(|r| *r == name) {
                Some(index) => {
                    let bit = 1u8 << index;
                    if seen & bit != 0 {
                        return Err(json::duplicate(&name));
                    }
                    seen |= bit;
                    if let Err(err) = claims.set(&name, value) {
                        first_error.get_or_insert(err);
                    }
                }
                None => {
                    if claims
                        .extra
                        .insert(name.clone().into_owned(), value)
                        .is_some()
                    {
                        return Err(json::duplicate(&name));
                    }
                }
            }
        }
        Ok(first_error.map_or(Ok(claims), Err))
    }
}

fn wrong_type(name: &str) -> Error {
    Error::claim(name, ClaimReason::WrongType)
}

fn string(name: &str, value: Value) -> Result<String, Error> {
    match value {
        Value::String(text) => Ok(text),
        _ => Err(wrong_type(name)),
    }
}

fn audience(value: Value) -> Result<Vec<String>, Error> {
    match value {
        Value::String(one) => Ok(vec![one]),
        Value::Array(items) => items.into_iter().map(|item| string("aud", item)).collect(),
        _ => Err(wrong_type("aud")),
    }
}

fn audience_value(aud: &[String]) -> Value {
    match aud {
        [one] => Value::String(one.clone()),
        many => Value::Array(many.iter().cloned().map(Value::String).collect()),
    }
}

/// A NumericDate: a JSON number of seconds; fractions are truncated toward the past.
fn numeric_date(name: &str, value: &Value) -> Result<i64, Error> {
    let Value::Number(number) = value else {
        return Err(wrong_type(name));
    };
    if let Some(whole) = number.as_i64() {
        return Ok(whole);
    }
    match number.as_f64() {
        Some(seconds) if seconds.is_finite() && seconds.abs() < 9.0e15 => {
            Ok(seconds.floor() as i64)
        }
        _ => Err(wrong_type(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(json: &str) -> &'static str {
        Claims::from_json(json.as_bytes())
            .map(|_| "ok")
            .unwrap_or_else(|e| e.code())
    }

    #[test]
    fn registered_claims_are_typed() {
        let claims = Claims::from_json(br#"{"iss":"i","aud":["a","b"],"exp":10.9,"scope":"x"}"#)
            .expect("valid");
        assert_eq!(claims.aud, ["a", "b"]);
        assert_eq!(claims.exp, Some(10));
        assert_eq!(claims.get("scope"), Some(Value::from("x")));
    }

    #[test]
    fn wrong_types_are_refused() {
        for doc in [
            r#"{"exp":"123"}"#,
            r#"{"nbf":true}"#,
            r#"{"iat":null}"#,
            r#"{"iss":1}"#,
            r#"{"sub":{}}"#,
            r#"{"aud":[1]}"#,
            r#"{"aud":{"a":1}}"#,
            r#"{"jti":[]}"#,
            r#"{"exp":1e300}"#,
        ] {
            assert_eq!(code(doc), "claim_invalid", "{doc}");
        }
        assert_eq!(code(r#"{"exp":1,"exp":2}"#), "json_duplicate_member");
    }

    #[test]
    fn serializes_a_single_audience_as_a_string() {
        let json = Claims::new().with_audience("api").with_expiry(5).to_json();
        assert_eq!(json, r#"{"aud":"api","exp":5}"#);
    }
}
