//! Risks a person should know about before trusting or issuing a token: weak or missing
//! algorithms, keys named by the token itself, no or long expiry, and data that does not
//! belong in a token (JWTs are only base64-encoded, so anyone holding one can read it).

use serde::Serialize;
use serde_json::{Map, Value};
use tessera_jose::Algorithm;

use crate::timefmt;

/// Header members that name a key; RFC 8725 §3.10 says never to trust them.
const KEY_HEADERS: [&str; 4] = ["jku", "jwk", "x5u", "x5c"];

/// Lifetimes above this many seconds get a warning.
const MAX_LIFETIME: i64 = 86_400;

/// How deep nested claims are searched for sensitive data.
const MAX_DEPTH: usize = 16;

/// Claim name words that suggest credentials or personal data.
const SENSITIVE_WORDS: [&str; 11] = [
    "password", "passwd", "pwd", "secret", "pan", "cvv", "cvc", "cvv2", "ssn", "pin", "iban",
];

/// Claim name fragments (after removing separators) that suggest the same.
const SENSITIVE_FRAGMENTS: [&str; 12] = [
    "password",
    "passwd",
    "passphrase",
    "secret",
    "cardnumber",
    "creditcard",
    "cardno",
    "privatekey",
    "socialsecurity",
    "securitycode",
    "apikey",
    "accesskey",
];

/// One risk found in a token, with a stable code for scripts.
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
pub(crate) struct Warning {
    /// A stable snake_case code (`no_exp`, `alg_none`, …).
    pub(crate) code: &'static str,
    /// What the risk is, for a person.
    pub(crate) message: String,
}

impl Warning {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Risks in a token's header: its algorithm, embedded keys, critical extensions.
pub(crate) fn header(header: &Map<String, Value>) -> Vec<Warning> {
    let mut found: Vec<Warning> = alg(header.get("alg")).into_iter().collect();
    for name in KEY_HEADERS.into_iter().filter(|n| header.contains_key(*n)) {
        found.push(Warning::new(
            "header_key",
            format!(
                "header carries `{name}`: a key chosen by the token proves nothing (RFC 8725 \
                 §3.10); never fetch or trust it. Tessera's verifiers refuse such tokens"
            ),
        ));
    }
    if header.contains_key("crit") {
        found.push(Warning::new(
            "crit",
            "header lists `crit` extensions, which verifiers that do not implement them must \
             refuse (Tessera refuses them all)",
        ));
    }
    found
}

fn alg(value: Option<&Value>) -> Option<Warning> {
    let Some(Value::String(name)) = value else {
        return Some(Warning::new(
            "alg_missing",
            "header has no string `alg`; every verifier refuses it",
        ));
    };
    if name.eq_ignore_ascii_case("none") {
        return Some(Warning::new(
            "alg_none",
            format!(
                "alg is {name:?}: the token is unsigned and anyone can forge it; every verifier \
                 must refuse it"
            ),
        ));
    }
    match name.parse::<Algorithm>() {
        Ok(alg) if alg.is_symmetric() => Some(Warning::new(
            "alg_hmac",
            format!(
                "alg {alg} is a shared-secret MAC: whoever can verify these tokens can also forge \
                 them; prefer ES256, EdDSA or RS256/PS256 when other services verify them"
            ),
        )),
        Ok(_) => None,
        Err(_) => Some(Warning::new(
            "alg_unsupported",
            format!(
                "alg {:?} is not an algorithm Tessera accepts (names are case-sensitive)",
                short(name)
            ),
        )),
    }
}

/// Risks in a token's claims: expiry, lifetime, and data that should not be in a token.
pub(crate) fn claims(claims: &Map<String, Value>, now: i64) -> Vec<Warning> {
    let mut found = expiry(claims, now);
    sensitive(claims, "", 0, &mut found);
    found
}

fn expiry(claims: &Map<String, Value>, now: i64) -> Vec<Warning> {
    let Some(exp) = claims.get("exp") else {
        return vec![Warning::new(
            "no_exp",
            "no `exp`: the token never expires, so a stolen copy works forever; Tessera's \
             verifiers refuse tokens without exp",
        )];
    };
    let Some(exp) = numeric(exp) else {
        return Vec::new();
    };
    let (lifetime, what) = match claims.get("iat").and_then(numeric) {
        Some(iat) => (exp.saturating_sub(iat), "lifetime (exp - iat) is"),
        None => (exp.saturating_sub(now), "no `iat`, and it expires in"),
    };
    if lifetime <= MAX_LIFETIME {
        return Vec::new();
    }
    vec![Warning::new(
        "long_lifetime",
        format!(
            "{what} {}: a stolen token stays usable that long; access tokens should live \
             minutes (Tessera issues 15 min) with refresh tokens for longer sessions",
            timefmt::span(lifetime.unsigned_abs())
        ),
    )]
}

/// A NumericDate as whole seconds, fractions truncated toward the past.
pub(crate) fn numeric(value: &Value) -> Option<i64> {
    let number = value.as_number()?;
    number.as_i64().or_else(|| {
        number
            .as_f64()
            .filter(|secs| secs.is_finite() && secs.abs() < 9.0e15)
            .map(|secs| secs.floor() as i64)
    })
}

fn sensitive(map: &Map<String, Value>, prefix: &str, depth: usize, found: &mut Vec<Warning>) {
    for (name, value) in map {
        let path = if prefix.is_empty() {
            short(name)
        } else {
            format!("{prefix}.{}", short(name))
        };
        if is_sensitive_name(name) {
            found.push(Warning::new(
                "sensitive_claim",
                format!(
                    "claim `{path}` looks like a credential or personal data; anyone holding the \
                     token can read it, so keep it out of tokens"
                ),
            ));
        }
        sensitive_value(value, &path, depth, found);
    }
}

fn sensitive_value(value: &Value, path: &str, depth: usize, found: &mut Vec<Warning>) {
    if depth >= MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => sensitive(map, path, depth + 1, found),
        Value::Array(items) => {
            for item in items {
                sensitive_value(item, &format!("{path}[]"), depth + 1, found);
            }
        }
        Value::String(text) => card_warning(card_digits(text), path, found),
        Value::Number(number) => {
            let digits = number.as_u64().map(|n| n.to_string()).unwrap_or_default();
            // Short integers are often millisecond times; only long ones are flagged.
            if digits.len() >= 15 {
                card_warning(card_digits(&digits), path, found);
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
}

fn card_warning(digits: Option<usize>, path: &str, found: &mut Vec<Warning>) {
    if let Some(count) = digits {
        found.push(Warning::new(
            "card_number",
            format!(
                "claim `{path}` holds what looks like a payment card number ({count} digits, \
                 Luhn-valid); card data must never be put in a token"
            ),
        ));
    }
}

/// The digit count when `text` is a Luhn-valid 13–19 digit number, allowing single spaces
/// or dashes between digit groups.
fn card_digits(text: &str) -> Option<usize> {
    if text.len() > 40 {
        return None;
    }
    let mut digits = Vec::with_capacity(19);
    let mut after_separator = true;
    for c in text.trim().chars() {
        match c {
            '0'..='9' => {
                digits.push(u32::from(c) - u32::from('0'));
                after_separator = false;
            }
            ' ' | '-' if !after_separator => after_separator = true,
            _ => return None,
        }
    }
    let plausible = !after_separator
        && (13..=19).contains(&digits.len())
        && digits.iter().any(|d| *d != digits[0]);
    (plausible && luhn(&digits)).then_some(digits.len())
}

fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| match (i % 2, d * 2) {
            (0, _) => *d,
            (_, doubled) if doubled > 9 => doubled - 9,
            (_, doubled) => doubled,
        })
        .sum();
    sum.is_multiple_of(10)
}

fn is_sensitive_name(name: &str) -> bool {
    let words = words(name);
    let joined = words.concat();
    words.iter().any(|w| SENSITIVE_WORDS.contains(&w.as_str()))
        || SENSITIVE_FRAGMENTS.iter().any(|f| joined.contains(f))
}

/// Splits `cardNumber`, `card_number` or `card-number` into lowercase words.
fn words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        let boundary = !c.is_alphanumeric() || (c.is_uppercase() && prev_lower);
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        if c.is_alphanumeric() {
            current.extend(c.to_lowercase());
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Untrusted text cut to a printable length (Debug escaping happens where it is shown).
fn short(text: &str) -> String {
    let cut: String = text.chars().take(48).filter(|c| !c.is_control()).collect();
    if text.chars().nth(48).is_some() {
        format!("{cut}…")
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn codes(found: &[Warning]) -> Vec<&'static str> {
        found.iter().map(|w| w.code).collect()
    }

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn header_risks() {
        assert_eq!(
            codes(&header(&object(json!({"alg": "ES256"})))),
            Vec::<&str>::new()
        );
        assert_eq!(
            codes(&header(&object(json!({"alg": "nOnE"})))),
            ["alg_none"]
        );
        assert_eq!(
            codes(&header(&object(json!({"alg": "HS512"})))),
            ["alg_hmac"]
        );
        assert_eq!(codes(&header(&object(json!({})))), ["alg_missing"]);
        assert_eq!(
            codes(&header(&object(
                json!({"alg": "RS256", "jku": "x", "x5c": []})
            ))),
            ["header_key", "header_key"]
        );
    }

    #[test]
    fn expiry_risks() {
        let now = 1_000_000;
        assert_eq!(
            codes(&claims(&object(json!({"sub": "a"})), now)),
            ["no_exp"]
        );
        let short_lived = json!({"iat": now, "exp": now + 900});
        assert!(claims(&object(short_lived), now).is_empty());
        let long = json!({"iat": now, "exp": now + 2 * 86_400});
        assert_eq!(codes(&claims(&object(long), now)), ["long_lifetime"]);
        let no_iat = json!({"exp": now + 90 * 86_400});
        assert_eq!(codes(&claims(&object(no_iat), now)), ["long_lifetime"]);
    }

    #[test]
    fn sensitive_names_and_card_numbers() {
        let doc = json!({
            "exp": 1, "password": "x", "clientSecret": "y", "card_number": "z",
            "profile": {"SSN": "078-05-1120"}, "scope": "read", "sub": "4111 1111 1111 1111",
            "pan_id": 1, "company": "x", "session": "s", "spin": 1
        });
        let found = claims(&object(doc), 0);
        assert_eq!(
            codes(&found),
            [
                "sensitive_claim",
                "sensitive_claim",
                "sensitive_claim",
                "sensitive_claim",
                "card_number",
                "sensitive_claim"
            ],
            "{found:#?}"
        );
    }

    #[test]
    fn card_detection_uses_luhn_and_length() {
        assert_eq!(card_digits("4111111111111111"), Some(16));
        assert_eq!(card_digits("4111-1111-1111-1111"), Some(16));
        assert_eq!(card_digits("378282246310005"), Some(15));
        assert_eq!(card_digits("4111111111111112"), None);
        assert_eq!(card_digits("0000000000000000"), None);
        assert_eq!(card_digits("411111111111"), None);
        assert_eq!(card_digits("4111--1111111111111"), None);
        assert_eq!(card_digits(" 4111111111111111"), Some(16));
        assert_eq!(card_digits("-4111111111111111"), None);
    }
}
