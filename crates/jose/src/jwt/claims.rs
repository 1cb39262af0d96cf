//! The JWT claims set (RFC 7519 §4): registered claims typed, the rest as JSON.

use std::borrow::Cow;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::extra::{ExtraClaims, RawBuilder};
use super::write;
use crate::error::{ClaimReason, Error, Part};
use crate::flat;
use crate::json::{self, Name, SeenNames};

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
    pub extra: ExtraClaims,
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
            _ => self.extra.get(name),
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
        self.extra.deserialize()
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
        let text = json::utf8(json, Part::Payload)?;
        if let Some(claims) = Self::from_flat_json(text) {
            return Ok(claims);
        }
        json::visit_object_str(text, Part::Payload, ClaimsVisitor { len: json.len() })
    }

    /// The fast path for the usual claims (see [`crate::flat`]): `None` hands the document
    /// to the full parser, which also reports every error.
    fn from_flat_json(text: &str) -> Option<Self> {
        let mut claims = Self::new();
        let mut registered = 0u8;
        let mut others = SeenNames::default();
        let mut extra = RawBuilder::default();
        flat::members(text, |member| match registered_index(member.name) {
            Some(index) => {
                let bit = 1u8 << index;
                let fresh = registered & bit == 0;
                registered |= bit;
                fresh && claims.set_flat(member).is_some()
            }
            None => {
                extra.push(member.name, false, member.value, text.len());
                others.insert(Cow::Borrowed(member.name))
            }
        })?;
        claims.extra = extra.finish();
        Some(claims)
    }

    /// Sets a registered claim from a flat member; `None` for a type the fast path leaves to
    /// the full parser (a wrong type, or an integer beyond i64).
    fn set_flat(&mut self, member: flat::Member<'_>) -> Option<()> {
        let string = || member.str().map(str::to_owned);
        let integer = || match member.kind {
            flat::Kind::Int => member.value.parse::<i64>().ok(),
            _ => None,
        };
        match member.name {
            "iss" => self.iss = Some(string()?),
            "sub" => self.sub = Some(string()?),
            "jti" => self.jti = Some(string()?),
            "aud" => {
                self.aud = match member.str_items() {
                    Some(items) => items.map(str::to_owned).collect(),
                    None => vec![string()?],
                }
            }
            "exp" => self.exp = Some(integer()?),
            "nbf" => self.nbf = Some(integer()?),
            "iat" => self.iat = Some(integer()?),
            _ => return None,
        }
        Some(())
    }

    /// The claims as compact JSON.
    pub fn to_json(&self) -> String {
        // Serializing claims writes only valid UTF-8 (JSON text).
        String::from_utf8(self.to_json_bytes()).unwrap_or_default()
    }

    /// The claims as compact JSON bytes, in the order of [`Serialize`].
    pub(crate) fn to_json_bytes(&self) -> Vec<u8> {
        write::claims(self)
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
            .to_map()
            .iter()
            .filter(|(n, _)| !REGISTERED.contains(&n.as_str()))
        {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// The index of a registered claim name in [`REGISTERED`].
pub(super) fn registered_index(name: &str) -> Option<usize> {
    Some(match name {
        "iss" => 0,
        "sub" => 1,
        "aud" => 2,
        "exp" => 3,
        "nbf" => 4,
        "iat" => 5,
        "jti" => 6,
        _ => return None,
    })
}

/// Reads a claims set in one pass: registered claims straight into their typed fields,
/// the others kept as text, refusing any name seen twice. Values are taken as raw JSON text
/// and converted only as far as needed.
struct ClaimsVisitor {
    /// The payload's length: an upper bound for the text of the other claims.
    len: usize,
}

impl<'de> Visitor<'de> for ClaimsVisitor {
    type Value = Result<Claims, Error>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut claims = Claims::new();
        let mut registered = 0u8;
        let mut others = SeenNames::default();
        let mut extra = RawBuilder::default();
        let mut first_error = None;
        while let Some(Name(name)) = access.next_key::<Name<'de>>()? {
            let value = access.next_value::<&'de RawValue>()?.get();
            json::check_skipped_value(value)?;
            match registered_index(&name) {
                Some(index) => {
                    let bit = 1u8 << index;
                    if registered & bit != 0 {
                        return Err(json::duplicate(&name));
                    }
                    registered |= bit;
                    if let Err(err) = claims.set_raw(&name, value) {
                        first_error.get_or_insert(err);
                    }
                }
                None => {
                    if !others.insert(name.clone()) {
                        return Err(json::duplicate(&name));
                    }
                    let escaped = matches!(name, Cow::Owned(_));
                    extra.push(&name, escaped, value, self.len);
                }
            }
        }
        claims.extra = extra.finish();
        Ok(first_error.map_or(Ok(claims), Err))
    }
}

impl Claims {
    /// Sets a registered claim from its JSON text, converting the common forms (a string
    /// without escapes, an integer) directly.
    fn set_raw(&mut self, name: &str, text: &str) -> Result<(), Error> {
        let plain_string = || {
            text.strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .filter(|t| !t.contains('\\'))
                .map(str::to_owned)
        };
        let fast = match name {
            "iss" => plain_string().map(|s| self.iss = Some(s)),
            "sub" => plain_string().map(|s| self.sub = Some(s)),
            "jti" => plain_string().map(|s| self.jti = Some(s)),
            "aud" => plain_string().map(|s| self.aud = vec![s]),
            // A JSON number that reads as an i64 is an integer literal: exact.
            "exp" => text.parse().ok().map(|n| self.exp = Some(n)),
            "nbf" => text.parse().ok().map(|n| self.nbf = Some(n)),
            "iat" => text.parse().ok().map(|n| self.iat = Some(n)),
            _ => None,
        };
        if fast.is_some() {
            return Ok(());
        }
        let value = serde_json::from_str(text).map_err(|err| Error::json(Part::Payload, &err))?;
        self.set(name, value)
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
        assert!(claims.contains("scope") && !claims.contains("other"));
    }

    #[test]
    fn registered_indexes_follow_the_list() {
        for (index, name) in REGISTERED.iter().enumerate() {
            assert_eq!(registered_index(name), Some(index));
        }
        assert_eq!(registered_index("other"), None);
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
    fn duplicates_are_found_among_many_claims_and_inside_values() {
        let many: String = (0..30).map(|i| format!(r#""c{i}":{i},"#)).collect();
        for doc in [
            format!(r#"{{{many}"c29":0}}"#),
            format!(r#"{{{many}"c\u0030":0}}"#),
            r#"{"x":1,"\u0078":2}"#.to_owned(),
            r#"{"sub":{"a":1,"a":2}}"#.to_owned(),
            r#"{"aud":["a",{"b":[{"c":1,"c":1}]}]}"#.to_owned(),
            r#"{"x":[{"k":1},{"k":2,"k":3}]}"#.to_owned(),
        ] {
            assert_eq!(code(&doc), "json_duplicate_member", "{doc}");
        }
        assert_eq!(
            code(&format!(r#"{{{many}"d":[{{"k":1}},{{"k":2}}]}}"#)),
            "ok"
        );
        // A lone surrogate is no string: refused wherever it is, as before the raw fast path.
        for doc in [
            r#"{"x":"\ud800"}"#,
            r#"{"x":["a",{"y":"\udc00z"}]}"#,
            r#"{"sub":"\ud800"}"#,
            r#"{"aud":["\ud800"]}"#,
        ] {
            assert_eq!(code(doc), "token_malformed", "{doc}");
        }
        assert_eq!(code(r#"{"x":"\ud83e\udd80","y":"\\u"}"#), "ok");
    }

    #[test]
    fn registered_claims_in_unusual_forms_are_read() {
        let claims = Claims::from_json(
            br#"{"iss":"a\"b","sub":"\u00e9","aud":"x\/y","exp":1e3,"nbf":-5,"iat":12.0}"#,
        )
        .expect("valid");
        assert_eq!(claims.iss.as_deref(), Some("a\"b"));
        assert_eq!(claims.sub.as_deref(), Some("é"));
        assert_eq!(claims.aud, ["x/y"]);
        assert_eq!(
            (claims.exp, claims.nbf, claims.iat),
            (Some(1000), Some(-5), Some(12))
        );
        assert_eq!(code(r#"{"exp":9223372036854775808}"#), "claim_invalid");
    }

    #[test]
    fn parsed_claims_write_back_what_they_read() {
        let json = r#"{"iss":"i","aud":["a","b"],"exp":5,"n\"x":[1,{"y":null}],"s":"t\n"}"#;
        let claims = Claims::from_json(json.as_bytes()).expect("valid");
        assert_eq!(claims.to_json(), json);
        let only_extra = Claims::from_json(br#"{"a":1}"#).expect("valid");
        assert_eq!(only_extra.to_json(), r#"{"a":1}"#);
        assert_eq!(Claims::new().to_json(), "{}");
    }

    proptest::proptest! {
        /// Whatever the fast path accepts, the full parser reads the same way.
        #[test]
        fn the_fast_path_agrees_with_the_full_parser(
            members in proptest::collection::vec((0..NAMES.len(), 0..VALUES.len()), 0..8)
        ) {
            let body: Vec<String> = members
                .iter()
                .map(|&(n, v)| format!("{}:{}", NAMES[n], VALUES[v]))
                .collect();
            let text = format!("{{{}}}", body.join(","));
            let full = json::visit_object_str(&text, Part::Payload, ClaimsVisitor { len: text.len() });
            if let Some(fast) = Claims::from_flat_json(&text) {
                let full = full.expect("the full parser accepts what the fast path accepts");
                proptest::prop_assert_eq!(&fast, &full, "{}", text);
                proptest::prop_assert_eq!(fast.to_json(), full.to_json());
            }
        }
    }

    const NAMES: [&str; 10] = [
        r#""iss""#,
        r#""sub""#,
        r#""aud""#,
        r#""exp""#,
        r#""nbf""#,
        r#""iat""#,
        r#""jti""#,
        r#""x""#,
        r#""scope""#,
        r#""\u0078""#,
    ];
    const VALUES: [&str; 17] = [
        r#""a""#,
        r#""""#,
        "1",
        "-0",
        "0",
        "9223372036854775808",
        "-12",
        "[]",
        r#"["a","b"]"#,
        r#"[""]"#,
        "true",
        "null",
        "1.5",
        r#""\n""#,
        "{}",
        "[1]",
        r#""é""#,
    ];

    #[test]
    fn serializes_a_single_audience_as_a_string() {
        let json = Claims::new().with_audience("api").with_expiry(5).to_json();
        assert_eq!(json, r#"{"aud":"api","exp":5}"#);
    }
}
