//! Compact JSON output for claims. Claim strings rarely need escaping, so they are checked
//! in one vectorizable pass and copied as they are; only strings with a quote, a backslash or
//! a control character go through serde_json's escaping.

use serde_json::Value;

use super::{Claims, REGISTERED};

/// The claims as compact JSON: `iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti`, then the
/// others (registered names among them are skipped: the typed fields hold those).
pub(crate) fn claims(claims: &Claims) -> Vec<u8> {
    let mut out = Vec::with_capacity(len_estimate(claims));
    write_claims(claims, &mut out);
    out
}

/// The body of [`claims`], into an empty `out` sized for it.
fn write_claims(claims: &Claims, out: &mut Vec<u8>) {
    out.push(b'{');
    for (name, value) in [(b"iss", &claims.iss), (b"sub", &claims.sub)] {
        if let Some(value) = value {
            member(out, name);
            string(out, value);
        }
    }
    match claims.aud.as_slice() {
        [] => {}
        [one] => {
            member(out, b"aud");
            string(out, one);
        }
        many => {
            member(out, b"aud");
            strings(out, many);
        }
    }
    for (name, value) in [
        (b"exp", claims.exp),
        (b"nbf", claims.nbf),
        (b"iat", claims.iat),
    ] {
        if let Some(value) = value {
            member(out, name);
            // Writing a number into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, &value);
        }
    }
    if let Some(jti) = &claims.jti {
        member(out, b"jti");
        string(out, jti);
    }
    let start = out.len();
    claims
        .extra
        .write_members(out, |name| REGISTERED.contains(&name));
    if start == 1 && out.len() > start {
        // No registered claim came first: drop the separator before the first member.
        out.remove(1);
    }
    out.push(b'}');
}

/// Starts a member of the claims object with a registered (three-letter) name: one
/// fixed-size copy.
fn member(out: &mut Vec<u8>, name: &[u8; 3]) {
    let [a, b, c] = *name;
    if out.len() > 1 {
        out.push(b',');
    }
    out.extend_from_slice(&[b'"', a, b, c, b'"', b':']);
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
///
/// Claim strings are short, so the bytes are checked and copied eight at a time in one pass:
/// fixed-size copies compile to plain stores, where copying a slice of unknown length calls
/// `memcpy`, which costs more than the copy itself at these lengths.
pub(crate) fn string(out: &mut Vec<u8>, text: &str) {
    let start = out.len();
    out.reserve(text.len() + 2);
    out.push(b'"');
    let mut chunks = text.as_bytes().chunks_exact(8);
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if crate::flat::first_special(word).is_some() {
            return escaped(out, start, text);
        }
        out.extend_from_slice(&word);
    }
    // The tail, padded with a byte that is not special, written whole and then cut back.
    let tail = chunks.remainder();
    let mut word = [b'a'; 8];
    for (slot, byte) in word.iter_mut().zip(tail) {
        *slot = *byte;
    }
    if crate::flat::first_special(word).is_some() {
        return escaped(out, start, text);
    }
    out.extend_from_slice(&word);
    out.truncate(out.len() - (8 - tail.len()));
    out.push(b'"');
}

/// Replaces what [`string`] wrote from `start` on with serde_json's escaped form of `text`.
#[cold]
fn escaped(out: &mut Vec<u8>, start: usize, text: &str) {
    out.truncate(start);
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
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
