//! The non-registered claims of a JWT. Parsed claims keep them as the JSON text they arrived
//! in, read only when asked for: most verifiers never look at most of them, and building a
//! map of owned values for each token would cost more than the rest of the parsing.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::{Error, Part};
use crate::json::Name;

/// The claims of a [`crate::Claims`] other than the registered ones, as a JSON object.
///
/// Behaves like a map from name to JSON value: [`Self::insert`], [`Self::get`],
/// [`Self::contains_key`]. Claims parsed from a token are held as text until changed.
#[derive(Clone, Default)]
pub struct ExtraClaims {
    /// The claims, unless `raw` holds them.
    map: Map<String, Value>,
    /// Claims parsed from a token and not changed since: `map` is then empty.
    raw: Option<RawText>,
}

/// A JSON object text already checked by the claims parser (well formed, no duplicate names
/// at any depth, no registered names), with its member count.
#[derive(Clone)]
struct RawText {
    text: String,
    len: usize,
}

impl ExtraClaims {
    /// No claims.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of claims.
    pub fn len(&self) -> usize {
        match &self.raw {
            Some(raw) => raw.len,
            None => self.map.len(),
        }
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A claim's value.
    pub fn get(&self, name: &str) -> Option<Value> {
        match &self.raw {
            Some(raw) => raw_members(&raw.text)
                .into_iter()
                .find(|(member, _)| member == name)
                .and_then(|(_, value)| serde_json::from_str(value.get()).ok()),
            None => self.map.get(name).cloned(),
        }
    }

    /// True when the claim is present.
    pub fn contains_key(&self, name: &str) -> bool {
        match &self.raw {
            Some(raw) => raw_members(&raw.text)
                .iter()
                .any(|(member, _)| member == name),
            None => self.map.contains_key(name),
        }
    }

    /// Sets a claim, returning its previous value.
    pub fn insert(&mut self, name: String, value: Value) -> Option<Value> {
        self.map_mut().insert(name, value)
    }

    /// Removes a claim, keeping the order of the others.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.map_mut().shift_remove(name)
    }

    /// The claims as a JSON map.
    pub fn to_map(&self) -> Map<String, Value> {
        match &self.raw {
            Some(raw) => parse_raw(&raw.text),
            None => self.map.clone(),
        }
    }

    /// Deserializes the claims into an application type, straight from the token's text when
    /// they came from one.
    ///
    /// # Errors
    /// `token_malformed` when they do not fit `T`.
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        let result = match &self.raw {
            Some(raw) => serde_json::from_str(&raw.text),
            None => T::deserialize(&Value::Object(self.map.clone())),
        };
        result.map_err(|err| Error::json(Part::Payload, &err))
    }

    /// Appends the members, as `"name":value` pairs each preceded by a comma, to `out`.
    pub(crate) fn write_members(&self, out: &mut Vec<u8>, skip: impl Fn(&str) -> bool) {
        match &self.raw {
            Some(RawText { text, .. }) => {
                // `{` + members + `}`: the members are written as they arrived.
                if let Some(members) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                    out.push(b',');
                    out.extend_from_slice(members.as_bytes());
                }
            }
            None => {
                for (name, value) in self.map.iter().filter(|(name, _)| !skip(name)) {
                    out.push(b',');
                    super::write::string(out, name);
                    out.push(b':');
                    super::write::value(out, value);
                }
            }
        }
    }

    /// About how long the claims are as JSON text.
    pub(crate) fn len_hint(&self) -> usize {
        match &self.raw {
            Some(raw) => raw.text.len(),
            None => self.map.len() * 32,
        }
    }

    fn map_mut(&mut self) -> &mut Map<String, Value> {
        if let Some(raw) = self.raw.take() {
            self.map = parse_raw(&raw.text);
        }
        &mut self.map
    }
}

impl From<Map<String, Value>> for ExtraClaims {
    fn from(map: Map<String, Value>) -> Self {
        Self { map, raw: None }
    }
}

impl PartialEq for ExtraClaims {
    fn eq(&self, other: &Self) -> bool {
        match (&self.raw, &other.raw) {
            (Some(a), Some(b)) if a.text == b.text => true,
            (None, None) => self.map == other.map,
            _ => self.len() == other.len() && self.to_map() == other.to_map(),
        }
    }
}

impl fmt::Debug for ExtraClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_map(), f)
    }
}

/// Builds the raw form while the claims parser reads a payload.
#[derive(Default)]
pub(crate) struct RawBuilder {
    text: String,
    len: usize,
}

impl RawBuilder {
    /// Adds one member: its name as parsed, `escaped` when its JSON text had escapes (serde_json
    /// borrows a name from the input only when it has none, so that its text is the name), and
    /// its value's JSON text. `capacity` is the whole payload's length, so that the text is
    /// allocated once.
    pub(crate) fn push(&mut self, name: &str, escaped: bool, value: &str, capacity: usize) {
        if self.len == 0 {
            self.text.reserve(capacity);
            self.text.push('{');
        } else {
            self.text.push(',');
        }
        if escaped {
            // Serializing a string cannot fail.
            let text = serde_json::to_string(name).unwrap_or_default();
            self.text.push_str(&text);
        } else {
            self.text.push('"');
            self.text.push_str(name);
            self.text.push('"');
        }
        self.text.push(':');
        self.text.push_str(value);
        self.len += 1;
    }

    /// The finished claims.
    pub(crate) fn finish(mut self) -> ExtraClaims {
        if self.len == 0 {
            return ExtraClaims::new();
        }
        self.text.push('}');
        ExtraClaims {
            map: Map::new(),
            raw: Some(RawText {
                text: self.text,
                len: self.len,
            }),
        }
    }
}

/// The members of a raw text, values unparsed.
fn raw_members(text: &str) -> Vec<(Cow<'_, str>, &RawValue)> {
    serde_json::from_str::<Members<'_>>(text)
        .map(|members| members.0)
        .unwrap_or_default()
}

/// The raw text as a map. It was checked when parsed, so this does not fail.
fn parse_raw(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).unwrap_or_default()
}

struct Members<'de>(Vec<(Cow<'de, str>, &'de RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MembersVisitor)
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Members<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Members<'de>, A::Error> {
        let mut members = Vec::new();
        while let Some(Name(name)) = access.next_key::<Name<'de>>()? {
            members.push((name, access.next_value::<&'de RawValue>()?));
        }
        Ok(Members(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::Claims;

    fn parsed(json: &str) -> ExtraClaims {
        Claims::from_json(json.as_bytes()).expect("valid").extra
    }

    #[test]
    fn parsed_claims_read_like_a_map() {
        let extra = parsed(r#"{"exp":1,"scope":"a b","roles":["x"],"n\u0061me":{"k":2}}"#);
        assert_eq!(extra.len(), 3);
        assert_eq!(extra.get("scope"), Some(Value::from("a b")));
        assert_eq!(extra.get("name"), Some(serde_json::json!({"k": 2})));
        assert_eq!(extra.get("exp"), None, "registered claims are typed fields");
        assert!(extra.contains_key("roles") && !extra.contains_key("role"));
        let mut expected = Map::new();
        expected.insert("scope".into(), "a b".into());
        expected.insert("roles".into(), serde_json::json!(["x"]));
        expected.insert("name".into(), serde_json::json!({"k": 2}));
        assert_eq!(extra.to_map(), expected);
        assert_eq!(extra, ExtraClaims::from(expected));
        assert!(parsed(r#"{"exp":1}"#).is_empty());
    }

    #[test]
    fn changing_parsed_claims_keeps_the_others() {
        let mut extra = parsed(r#"{"a":1,"b":2,"c":3}"#);
        assert_eq!(
            extra.insert("b".into(), Value::from(20)),
            Some(Value::from(2))
        );
        assert_eq!(extra.remove("a"), Some(Value::from(1)));
        assert_eq!(extra.insert("d".into(), Value::Null), None);
        let names: Vec<String> = extra.to_map().keys().cloned().collect();
        assert_eq!(names, ["b", "c", "d"]);
        assert_ne!(extra, parsed(r#"{"b":20,"c":3}"#));
    }

    #[test]
    fn deserializes_into_application_types() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Custom {
            scope: String,
            roles: Vec<String>,
        }
        let extra = parsed(r#"{"scope":"s","roles":["r"]}"#);
        let custom: Custom = extra.deserialize().expect("fits");
        assert_eq!(custom.scope, "s");
        assert_eq!(
            extra.deserialize::<Custom>(),
            ExtraClaims::from(extra.to_map()).deserialize()
        );
        let err = parsed(r#"{"scope":1}"#)
            .deserialize::<Custom>()
            .expect_err("wrong type");
        assert_eq!(err.code(), "token_malformed");
    }
}
