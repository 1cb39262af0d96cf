//! Helpers shared by the conformance and rule suites.

// Each test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

use serde_json::Value;
use tessera_jose::{Error, Jwk, SigningKey, b64};

/// The stable code of a result: `"ok"` on success, else the error's [`Error::code`].
pub(crate) fn code<T>(result: Result<T, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(err) => err.code(),
    }
}

/// Parses a JSON test-vector document.
pub(crate) fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("test vector is valid JSON")
}

/// The string at a JSON pointer of a vector; a missing or non-string value fails the test.
pub(crate) fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("vector has no string at {pointer}"))
}

/// A JWK taken from a vector, parsed by the library's strict JWK parser.
pub(crate) fn jwk(value: &Value) -> Jwk {
    Jwk::from_json(value.to_string().as_bytes()).expect("vector JWK parses")
}

/// Decodes base64url that the test itself knows to be canonical.
pub(crate) fn unb64(text: &str) -> Vec<u8> {
    b64::decode(text.as_bytes()).expect("canonical base64url")
}

/// Builds a compact token from the exact header JSON and payload bytes given, with a real
/// signature over them, so that a check other than the signature is what decides.
pub(crate) fn forge(header: &str, payload: &[u8], key: &SigningKey) -> String {
    let input = format!(
        "{}.{}",
        b64::encode(header.as_bytes()),
        b64::encode(payload)
    );
    sign_input(&input, key)
}

/// Appends `.signature` to a signing input, signed with `key`.
pub(crate) fn sign_input(input: &str, key: &SigningKey) -> String {
    let signature = key.sign(input.as_bytes()).expect("signing works");
    format!("{input}.{}", b64::encode(&signature))
}

/// Decodes lowercase or uppercase hex that the test itself wrote.
pub(crate) fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digits"))
        .collect()
}
