//! Compact JSON output for claims. Claim strings rarely need escaping, so they are checked
//! in one vectorizable pass and copied as they are; only strings with a quote, a backslash or
//! a control character go through serde_json's escaping.

use serde_json::Value;

use super::{Claims, REGISTERED};

/// The claims as compact JSON: `iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti`, then the
/// others (registered names among them are skipped: the typed fields hold those).
pub(crate) fn claims(claims: &Claims) -> Vec<u8> {
    let mut out = Vec::with_capacity(len_estimate(claims));
    out.push(b'{');
    for (name, value) in [("iss", &claims.iss), ("sub", &claims.sub)] {
        if let Some(value) = value {
            member(&mut out, name);
            string(&mut out, value);
        }
    }
    match claims.aud.as_slice() {
        [] => {}
        [one] => {
            member(&mut out, "aud");
            string(&mut out, one);
        }
        many => {
            member(&mut out, "aud");
            strings(&mut out, many);
        }
    }
    for (name, value) in [
        ("exp", claims.exp),
        ("nbf", claims.nbf),
        ("iat", claims.iat),
    ] {
        if let Some(value) = value {
            member(&mut out, name);
            // Writing a number into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut out, &value);
        }
    }
    if let Some(jti) = &claims.jti {
        member(&mut out, "jti");
        string(&mut out, jti);
    }
    let start = out.len();
    claims
        .extra
        .write_members(&mut out, |name| REGISTERED.contains(&name));
    if start == 1 && out.len() > start {
        // No registered claim came first: drop the separator before the first member.
        out.remove(1);
    }
    out.push(b'}');
    out
}

/// Starts a member of the claims object (`name` needs no escaping).
fn member(out: &mut Vec<u8>, name: &str) {
    if out.len() > 1 {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

/// An upper estimate of the JSON length for usual claims, so that writing allocates once.
fn len_estimate(claims: &Claims) -> usize {
    let strings = [&claims.iss, &claims.sub, &claims.jti]
        .into_iter()
        .flatten()
        .chain(&claims.aud)
        .map(|text| text.len() + 8)
        .sum::<usize>();
    strings + 3 * 28 + claims.extra.len_hint() + 8
}

/// Appends an array of strings.
fn strings(out: &mut Vec<u8>, items: &[String]) {
    out.push(b'[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        string(out, item);
    }
    out.push(b']');
}

/// Appends `text` as a JSON string, escaped exactly as serde_json escapes it.
pub(crate) fn string(out: &mut Vec<u8>, text: &str) {
    if needs_escape(text.as_bytes()) {
        // Writing a string into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, text);
    } else {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    }
}

/// Appends any JSON value, with the fast path for strings at every depth.
pub(crate) fn value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::String(text) => string(out, text),
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                self::value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (index, (name, item)) in map.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                string(out, name);
                out.push(b':');
                self::value(out, item);
            }
            out.push(b'}');
        }
        // Null, booleans and numbers: serde_json's formatting (shortest round-trip floats).
        // Writing into a Vec cannot fail.
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

/// True when `bytes` holds a character JSON requires to be escaped.
fn needs_escape(bytes: &[u8]) -> bool {
    crate::flat::string_end(bytes).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).expect("JSON text")
    }

    #[test]
    fn strings_match_serde_json() {
        for text in [
            "",
            "plain",
            "https://auth.example.com/x?y=1",
            "quote \" inside",
            "back\\slash",
            "tab\there",
            "\u{1}\u{1f}\u{7f}",
            "é ✓ 🦀",
            "a long string of more than sixteen bytes with a \" late in it",
        ] {
            let expected = serde_json::to_string(text).expect("string");
            assert_eq!(written(|out| string(out, text)), expected, "{text:?}");
        }
    }

    #[test]
    fn values_match_serde_json() {
        let value = serde_json::json!({
            "a": [1, -2, 3.5, 1e300, null, true, "x\ny"],
            "b": {"c": {}, "d": []},
            "e\"": u64::MAX,
        });
        assert_eq!(written(|out| self::value(out, &value)), value.to_string());
    }
}
