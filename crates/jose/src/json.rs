//! Strict JSON: a parser into `serde_json` values that refuses duplicate member names at any
//! depth (RFC 7515 §4 and RFC 7519 §4 require unique names; parsers that keep the last one
//! let two components see two different tokens).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{Error, Malformed, Part};

/// The prefix of the serde error message for a duplicate member; [`Error::json`] turns it into
/// [`Malformed::DuplicateMember`].
pub(crate) const DUPLICATE_PREFIX: &str = "duplicate member ";

/// A JSON value parsed with duplicate-member detection.
pub(crate) struct StrictValue(pub(crate) Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        visit_strict_map(&mut access).map(Value::Object)
    }
}

/// Reads the members of one JSON object, refusing a name seen before.
pub(crate) fn visit_strict_map<'de, A: MapAccess<'de>>(
    access: &mut A,
) -> Result<Map<String, Value>, A::Error> {
    let mut map = Map::new();
    while let Some(name) = access.next_key::<String>()? {
        let StrictValue(value) = access.next_value()?;
        if map.contains_key(&name) {
            return Err(de::Error::custom(format_args!(
                "{DUPLICATE_PREFIX}{name:?}"
            )));
        }
        map.insert(name, value);
    }
    Ok(map)
}

/// A member name, borrowed from the input when it has no escapes.
pub(crate) struct Name<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(NameVisitor)
    }
}

struct NameVisitor;

impl<'de> Visitor<'de> for NameVisitor {
    type Value = Name<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Owned(v)))
    }
}

/// The error for a member seen twice.
pub(crate) fn duplicate<E: de::Error>(name: &str) -> E {
    E::custom(format_args!("{DUPLICATE_PREFIX}{name:?}"))
}

/// Names already seen in one JSON object: a linear scan while there are few (the common case,
/// no allocation), a hash set once there are many, so that a crafted token with thousands of
/// members costs linear time rather than quadratic.
#[derive(Default)]
pub(crate) struct SeenNames<'de> {
    few: [Cow<'de, str>; FEW_NAMES],
    count: usize,
    many: Option<HashSet<Cow<'de, str>>>,
}

/// Members tracked by linear scan before switching to the hash set.
const FEW_NAMES: usize = 12;

impl<'de> SeenNames<'de> {
    /// Records `name`; false when it was seen before.
    pub(crate) fn insert(&mut self, name: Cow<'de, str>) -> bool {
        if let Some(many) = &mut self.many {
            return many.insert(name);
        }
        if self.few[..self.count].contains(&name) {
            return false;
        }
        if let Some(slot) = self.few.get_mut(self.count) {
            *slot = name;
            self.count += 1;
        } else {
            let mut many: HashSet<_> = self.few.iter_mut().map(std::mem::take).collect();
            many.insert(name);
            self.many = Some(many);
        }
        true
    }
}

/// Completes the checks on a JSON value that serde_json skipped over as raw text (which only
/// checks its syntax): no duplicate member names at any depth, and no `\u` escape that is a
/// lone surrogate (which no string can hold). Only values with an object inside or a `\u`
/// escape need the second pass.
pub(crate) fn check_skipped_value<E: de::Error>(raw: &str) -> Result<(), E> {
    let bytes = raw.as_bytes();
    let may_hold_object =
        matches!(bytes.first(), Some(b'{' | b'[')) && memchr::memchr(b'{', bytes).is_some();
    if !may_hold_object && memchr::memmem::find(bytes, b"\\u").is_none() {
        return Ok(());
    }
    let mut deserializer = serde_json::Deserializer::from_str(raw);
    match de::Deserializer::deserialize_any(&mut deserializer, UniqueNames) {
        Ok(()) => Ok(()),
        // Keep the inner message without its position; the caller's parser adds its own.
        Err(err) => Err(E::custom(without_position(&err.to_string()))),
    }
}

/// Drops the ` at line L column C` suffix serde_json adds to its messages.
pub(crate) fn without_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    }
}

/// Walks any JSON value, refusing an object that repeats a member name.
struct UniqueNames;

impl<'de> Deserialize<'de> for UniqueNames {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(UniqueNames)
            .map(|()| UniqueNames)
    }
}

impl<'de> Visitor<'de> for UniqueNames {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<UniqueNames>()?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        let mut seen = SeenNames::default();
        while let Some(Name(name)) = access.next_key::<Name<'de>>()? {
            access.next_value::<UniqueNames>()?;
            if !seen.insert(name.clone()) {
                return Err(duplicate(&name));
            }
        }
        Ok(())
    }
}

/// Checks that a document is UTF-8, once for the whole of it (cheaper than once per string).
///
/// # Errors
/// [`Malformed::Json`] for `part`.
pub(crate) fn utf8(bytes: &[u8], part: Part) -> Result<&str, Error> {
    std::str::from_utf8(bytes).map_err(|_| not_utf8(part))
}

/// The error for a part that is not UTF-8.
pub(crate) fn not_utf8(part: Part) -> Error {
    Error::Malformed(Malformed::Json(part, "not valid UTF-8".into()))
}

/// Runs `visitor` over one JSON object in `text`, then requires the end of input.
///
/// The visitor's own result type carries domain errors found while reading (a claim of the
/// wrong type) so that the JSON is still read to its end and JSON errors keep their meaning.
pub(crate) fn visit_object_str<'de, V, T>(
    text: &'de str,
    part: Part,
    visitor: V,
) -> Result<T, Error>
where
    V: Visitor<'de, Value = Result<T, Error>>,
{
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let outcome = deserializer
        .deserialize_map(visitor)
        .map_err(|err| Error::json(part, &err))?;
    deserializer.end().map_err(|err| Error::json(part, &err))?;
    outcome
}

/// Parses `bytes` as one strict JSON object.
///
/// # Errors
/// [`Malformed::Json`], [`Malformed::DuplicateMember`] or [`Malformed::NotObject`] for `part`.
pub(crate) fn parse_object(bytes: &[u8], part: Part) -> Result<Map<String, Value>, Error> {
    match serde_json::from_slice::<StrictValue>(bytes) {
        Ok(StrictValue(Value::Object(map))) => Ok(map),
        Ok(_) => Err(Error::Malformed(Malformed::NotObject(part))),
        Err(err) => Err(Error::json(part, &err)),
    }
}

/// Parses `bytes` strictly into `T`, after checking that no object in it repeats a member.
///
/// # Errors
/// As [`parse_object`], or a JSON error when the document does not fit `T`.
pub(crate) fn parse_strict<T: de::DeserializeOwned>(bytes: &[u8], part: Part) -> Result<T, Error> {
    let map = parse_object(bytes, part)?;
    T::deserialize(Value::Object(map)).map_err(|err| Error::json(part, &err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_unique_members() {
        let map = parse_object(br#"{"a":1,"b":{"c":[1,{"d":2}]}}"#, Part::Payload).expect("valid");
        assert_eq!(map.len(), 2);
    }

    #[test]
    fn refuses_duplicates_at_any_depth() {
        for doc in [
            r#"{"a":1,"a":2}"#,
            r#"{"a":{"b":1,"b":1}}"#,
            r#"{"a":[{"x":1,"x":2}]}"#,
            r#"{"exp":1,"\u0065xp":2}"#,
        ] {
            let err = parse_object(doc.as_bytes(), Part::Payload).expect_err(doc);
            assert_eq!(err.code(), "json_duplicate_member", "{doc}");
        }
    }

    #[test]
    fn refuses_non_objects_and_trailing_garbage() {
        for doc in ["[]", "1", "\"x\"", "{} {}", "{", ""] {
            assert!(parse_object(doc.as_bytes(), Part::Header).is_err(), "{doc}");
        }
    }
}
