//! A fast path for the usual shape of JWT headers and claims: one JSON object, without
//! whitespace, whose member names and string values have no escapes, and whose values are
//! such strings, integers, arrays of such strings, `true`, `false` or `null`.
//!
//! It only accepts: anything else (whitespace, escapes, fractions, nested objects, a
//! repeated name, trailing bytes, malformed input) makes it give up, and the caller runs
//! the full strict parser, which also produces every error. So the fast path only has to be
//! right about what it accepts, and what it accepts is a small subset of JSON.

/// The kind of a member's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A string without escapes or control characters.
    Str,
    /// An integer literal (`-?(0|[1-9][0-9]*)`).
    Int,
    /// An array of strings without escapes.
    StrArray,
    /// `true`, `false` or `null`.
    Literal,
}

/// One member of a flat object.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Member<'a> {
    /// The name (it had no escapes, so its text is the name).
    pub(crate) name: &'a str,
    /// The value's JSON text.
    pub(crate) value: &'a str,
    /// Where the value starts in the object's text.
    pub(crate) value_at: usize,
    /// What the value is.
    pub(crate) kind: Kind,
}

impl<'a> Member<'a> {
    /// The content of a [`Kind::Str`] value.
    pub(crate) fn str(&self) -> Option<&'a str> {
        match self.kind {
            Kind::Str => self.value.get(1..self.value.len() - 1),
            _ => None,
        }
    }

    /// The items of a [`Kind::StrArray`] value. They have no quote or backslash, so the
    /// text splits exactly at `","`.
    pub(crate) fn str_items(&self) -> Option<impl Iterator<Item = &'a str>> {
        if self.kind != Kind::StrArray {
            return None;
        }
        Some(str_items(self.value))
    }
}

/// The items of the text of a [`Kind::StrArray`] value (see [`Member::str_items`]).
pub(crate) fn str_items(array: &str) -> impl Iterator<Item = &str> {
    let inner = array.get(1..array.len().saturating_sub(1)).unwrap_or("");
    let items = inner.get(1..inner.len().saturating_sub(1)).unwrap_or("");
    items.split("\",\"").filter(move |_| !inner.is_empty())
}

/// Calls `visit` for each member of `text` in order, as long as it returns true. `None`
/// when `text` is not a flat object of the accepted shape, or when `visit` returned false.
pub(crate) fn members<'a>(text: &'a str, mut visit: impl FnMut(Member<'a>) -> bool) -> Option<()> {
    let mut cursor = Cursor { text, pos: 0 };
    cursor.expect(b'{')?;
    if cursor.peek() == Some(b'}') {
        cursor.pos += 1;
    } else {
        loop {
            let name = cursor.plain_string()?;
            let name = name.get(1..name.len() - 1)?;
            cursor.expect(b':')?;
            let value_at = cursor.pos;
            let (value, kind) = cursor.value()?;
            if !visit(Member {
                name,
                value,
                value_at,
                kind,
            }) {
                return None;
            }
            match cursor.next()? {
                b',' => {}
                b'}' => break,
                _ => return None,
            }
        }
    }
    (cursor.pos == text.len()).then_some(())
}

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then_some(())
    }

    /// A value and its text.
    fn value(&mut self) -> Option<(&'a str, Kind)> {
        let start = self.pos;
        let kind = match self.peek()? {
            b'"' => self.plain_string().map(|_| Kind::Str)?,
            b'-' | b'0'..=b'9' => self.integer().map(|()| Kind::Int)?,
            b'[' => self.string_array().map(|()| Kind::StrArray)?,
            b't' => self.literal("true").map(|()| Kind::Literal)?,
            b'f' => self.literal("false").map(|()| Kind::Literal)?,
            b'n' => self.literal("null").map(|()| Kind::Literal)?,
            _ => return None,
        };
        // Every value starts and ends at an ASCII byte: character boundaries.
        Some((self.text.get(start..self.pos)?, kind))
    }

    /// A string without escapes or control characters, quotes included.
    fn plain_string(&mut self) -> Option<&'a str> {
        let start = self.pos;
        self.expect(b'"')?;
        let rest = self.text.as_bytes().get(self.pos..)?;
        let len = string_end(rest)?;
        // The first byte that ends a plain string must be its closing quote.
        if rest[len] != b'"' {
            return None;
        }
        self.pos += len + 1;
        self.text.get(start..self.pos)
    }

    /// An integer literal as JSON writes it: no leading zero, no fraction or exponent (those
    /// go to the full parser).
    fn integer(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = self.text.as_bytes().get(self.pos..)?;
        let len = digits.iter().take_while(|b| b.is_ascii_digit()).count();
        if len == 0 || (len > 1 && digits[0] == b'0') {
            return None;
        }
        self.pos += len;
        match self.peek()? {
            b',' | b'}' => Some(()),
            _ => None,
        }
    }

    fn string_array(&mut self) -> Option<()> {
        self.expect(b'[')?;
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.plain_string()?;
            match self.next()? {
                b',' => {}
                b']' => return Some(()),
                _ => return None,
            }
        }
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        let rest = self.text.get(self.pos..)?;
        rest.starts_with(word).then(|| self.pos += word.len())
    }
}

/// The position of the first byte that a plain string cannot hold as it is: a quote, a
/// backslash or a control character (U+0000 to U+001F). Eight bytes at a time: claim
/// strings are short, so this beats a SIMD search's set-up.
pub(crate) fn string_end(bytes: &[u8]) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if let Some(at) = first_special(word) {
            return Some(offset + at);
        }
        offset += 8;
    }
    // The tail, padded with a byte that is not special.
    let tail = chunks.remainder();
    let mut word = [b'a'; 8];
    word[..tail.len()].copy_from_slice(tail);
    first_special(word).map(|at| offset + at)
}

/// The index of the first special byte in `bytes`, with the classic bit tricks on one word.
/// Each test can also flag a lane above a flagged one (a borrow carries upward), never one
/// below, so the lowest flagged lane is exact.
pub(crate) fn first_special(bytes: [u8; 8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    let word = u64::from_le_bytes(bytes);
    let zero_lane = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let quote = zero_lane(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_lane(word ^ (ONES * u64::from(b'\\')));
    let flagged = below_space | quote | backslash;
    // Little-endian lanes: the lowest set bit is in the first flagged byte.
    (flagged != 0).then(|| (flagged.trailing_zeros() / 8) as usize)
}

#[cfg(test)]
fn ends_string(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Option<Vec<(String, String, Kind)>> {
        let mut out = Vec::new();
        members(text, |m| {
            out.push((m.name.to_owned(), m.value.to_owned(), m.kind));
            true
        })?;
        Some(out)
    }

    #[test]
    fn accepts_the_usual_shape() {
        let doc = r#"{"a":"x","b":-12,"c":["p","q"],"d":[],"e":true,"f":null,"g":0,"h":""}"#;
        let got = kinds(doc).expect("flat");
        let found: Vec<Kind> = got.iter().map(|m| m.2).collect();
        use Kind::*;
        assert_eq!(
            found,
            [Str, Int, StrArray, StrArray, Literal, Literal, Int, Str]
        );
        assert_eq!(got[2].1, r#"["p","q"]"#);
        assert_eq!(kinds_of_items(r#"{"c":["p","q"]}"#), ["p", "q"]);
        assert_eq!(kinds_of_items(r#"{"c":[]}"#), Vec::<String>::new());
        assert_eq!(kinds_of_items(r#"{"c":[""]}"#), [""]);
        assert_eq!(kinds("{}"), Some(vec![]));
    }

    fn kinds_of_items(text: &str) -> Vec<String> {
        let mut items = Vec::new();
        members(text, |m| {
            items.extend(m.str_items().expect("array").map(str::to_owned));
            true
        })
        .expect("flat");
        items
    }

    #[test]
    fn finds_the_end_of_a_plain_string_exactly() {
        for len in 0..40 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = byte;
                    let expected = bytes.iter().position(|&b| ends_string(b));
                    assert_eq!(string_end(&bytes), expected, "{byte:#x} at {at} of {len}");
                }
            }
        }
    }

    #[test]
    fn finds_the_first_of_two_special_bytes() {
        let interesting = [
            0x00, 0x01, 0x1f, 0x20, b'"', b'\\', b'a', 0x7f, 0x80, 0xc3, 0xff,
        ];
        for len in 2..20 {
            for first in 0..len {
                for second in first + 1..len {
                    for &a in &interesting {
                        for &b in &interesting {
                            let mut bytes = vec![b'x'; len];
                            (bytes[first], bytes[second]) = (a, b);
                            let expected = bytes.iter().position(|&b| ends_string(b));
                            assert_eq!(string_end(&bytes), expected, "{bytes:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn gives_up_on_anything_else() {
        for doc in [
            "",
            "{",
            "}",
            "[]",
            r#"{"a":1} "#,
            r#" {"a":1}"#,
            r#"{"a" :1}"#,
            r#"{"a":1,}"#,
            r#"{"a":01}"#,
            r#"{"a":-}"#,
            r#"{"a":1.5}"#,
            r#"{"a":1e3}"#,
            r#"{"a":"\n"}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"\u0061":1}"#,
            r#"{"a":{}}"#,
            r#"{"a":[1]}"#,
            r#"{"a":["x",]}"#,
            r#"{"a":tru}"#,
            r#"{"a":"x"}x"#,
            r#"{"a":"x}"#,
            r#"{"a"}"#,
        ] {
            assert!(kinds(doc).is_none(), "{doc}");
        }
        assert!(members(r#"{"a":1}"#, |_| false).is_none());
    }
}
