//! Durations as people type them: `30s`, `15m`, `2h`, `7d`, `1h30m`, or bare seconds.

use std::time::Duration;

/// The longest duration accepted (100 years), far beyond any sensible token lifetime.
const MAX_SECS: u64 = 100 * 365 * 86_400;

/// Parses a duration: one or more `<number><unit>` pairs with units `s`, `m`, `h`, `d`, or a
/// bare number of seconds. Used by clap as a value parser, so the error is the message.
///
/// # Errors
/// A message naming what is wrong and showing the accepted forms.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format_error(text));
    }
    if let Ok(secs) = text.parse::<u64>() {
        return checked(secs, text);
    }
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let (number, tail) = rest.split_at(digits);
        let mut unit_chars = tail.chars();
        let unit = unit_chars.next().ok_or_else(|| format_error(text))?;
        let value: u64 = number.parse().map_err(|_| format_error(text))?;
        let secs = value
            .checked_mul(unit_secs(unit).ok_or_else(|| format_error(text))?)
            .ok_or_else(|| too_long(text))?;
        total = total.checked_add(secs).ok_or_else(|| too_long(text))?;
        rest = unit_chars.as_str();
    }
    checked(total, text)
}

/// Parses a leeway: a duration of at most one day.
///
/// # Errors
/// As [`parse`], or when the leeway is over a day.
pub fn parse_leeway(text: &str) -> Result<Duration, String> {
    let leeway = parse(text)?;
    if leeway.as_secs() > 86_400 {
        return Err(format!(
            "leeway {text:?} is over a day, which would make expiry meaningless; \
             use seconds or minutes (for example 60 or 2m)"
        ));
    }
    Ok(leeway)
}

fn unit_secs(unit: char) -> Option<u64> {
    match unit {
        's' => Some(1),
        'm' => Some(60),
        'h' => Some(3_600),
        'd' => Some(86_400),
        _ => None,
    }
}

fn checked(secs: u64, text: &str) -> Result<Duration, String> {
    if secs > MAX_SECS {
        return Err(too_long(text));
    }
    Ok(Duration::from_secs(secs))
}

fn format_error(text: &str) -> String {
    format!(
        "{text:?} is not a duration; use a number with a unit s, m, h or d (30s, 15m, 2h, 7d, 1h30m)"
    )
}

fn too_long(text: &str) -> String {
    format!("duration {text:?} is longer than 100 years")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_combinations() {
        let secs = |t: &str| parse(t).map(|d| d.as_secs());
        assert_eq!(secs("30s"), Ok(30));
        assert_eq!(secs("15m"), Ok(900));
        assert_eq!(secs("2h"), Ok(7_200));
        assert_eq!(secs("7d"), Ok(604_800));
        assert_eq!(secs("1h30m"), Ok(5_400));
        assert_eq!(secs("45"), Ok(45));
        assert_eq!(secs("0s"), Ok(0));
    }

    #[test]
    fn refuses_garbage_and_overflow() {
        for bad in [
            "",
            "m",
            "15x",
            "1.5h",
            "-3m",
            "15m3",
            "h1",
            "99999999999999999999d",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse_leeway("2d").is_err());
        assert_eq!(parse_leeway("5m").map(|d| d.as_secs()), Ok(300));
    }
}
