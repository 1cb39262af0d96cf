//! The username profile, applied when an account is created: the equivalent of PRECIS's
//! IdentifierClass (RFC 8264) for the characters that make two names look alike or hide
//! part of one.
//!
//! A username is 1 to 128 bytes of UTF-8 that
//! - is in Unicode Normalization Form C (a decomposed `é` is refused, not silently changed,
//!   so that what the administrator typed is what the user types);
//! - has no control character (`Cc`), no format character (`Cf`: the bidirectional
//!   overrides and isolates U+202A–U+202E and U+2066–U+2069, the marks U+200E/U+200F,
//!   zero-width spaces and joiners, the soft hyphen, the byte-order mark, tag characters),
//!   no other invisible character (variation selectors, the combining grapheme joiner,
//!   Hangul fillers), no private-use character and no noncharacter;
//! - has no whitespace but the ASCII space, and none at either end.
//!
//! Usernames are compared without regard to case: the stores look a name up by its Unicode
//! lower case (`str::to_lowercase`), so `Alice` and `alice` are one account and the second
//! cannot be created.

use unicode_normalization::is_nfc;

/// The longest username accepted, in bytes.
pub const MAX_USERNAME_LEN: usize = 128;

/// Why a username does not fit the profile, as text safe to show.
///
/// # Errors
/// The rule the name breaks.
pub fn check(username: &str) -> Result<(), &'static str> {
    if username.is_empty() || username.len() > MAX_USERNAME_LEN {
        return Err("a username is 1 to 128 bytes");
    }
    if username.trim() != username {
        return Err("a username cannot start or end with a space");
    }
    if let Some(c) = username.chars().find(|&c| refused(c)) {
        return Err(if c.is_whitespace() {
            "a username cannot hold whitespace other than a plain space"
        } else {
            "a username cannot hold control, format (such as bidirectional overrides), \
             invisible or private-use characters"
        });
    }
    if !is_nfc(username) {
        return Err("a username must be in Unicode Normalization Form C (NFC)");
    }
    Ok(())
}

/// True for a character the profile refuses.
fn refused(c: char) -> bool {
    (c.is_whitespace() && c != ' ') || c.is_control() || format_or_invisible(c) || private(c)
}

/// The format characters (`Cf`) and the other characters that draw nothing.
fn format_or_invisible(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x034F
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
    )
}

/// Private-use characters and noncharacters.
fn private(c: char) -> bool {
    let n = u32::from(c);
    matches!(n, 0xE000..=0xF8FF | 0xF0000.. | 0xFDD0..=0xFDEF) || n & 0xFFFE == 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_pass() {
        for name in [
            "alice",
            "Bob",
            "jean-luc",
            "o'brien",
            "李小龍",
            "müller",
            "a b",
            "δ",
        ] {
            assert_eq!(check(name), Ok(()), "{name}");
        }
        assert!(check(&"a".repeat(128)).is_ok());
    }

    #[test]
    fn look_alikes_and_hidden_characters_are_refused() {
        let refused = [
            "",
            " alice",
            "alice ",
            "a\nb",
            "a\u{7f}b",
            "admin\u{202E}nimda",
            "\u{2066}alice\u{2069}",
            "al\u{200B}ice",
            "al\u{200D}ice",
            "al\u{00AD}ice",
            "\u{FEFF}alice",
            "alice\u{200E}",
            "a\u{E0041}",
            "a\u{FE0F}",
            "a\u{3164}",
            "a\u{E000}",
            "a\u{FFFF}",
            "a\u{00A0}b",
            "a\u{3000}b",
            "a\tb",
            "mu\u{0308}ller",
        ];
        for name in refused {
            assert!(check(name).is_err(), "{name:?}");
        }
        assert!(check(&"a".repeat(129)).is_err());
        assert_eq!(
            check("mu\u{0308}ller"),
            Err("a username must be in Unicode Normalization Form C (NFC)")
        );
    }
}
