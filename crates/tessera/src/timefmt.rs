//! NumericDate values made readable: UTC dates (the calendar from the `time` crate) and
//! "3 min ago" / "in 14 min" text.

use time::OffsetDateTime;

/// Formats seconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC`; a value outside the
/// years -9999 to 9999 (a made-up claim) is shown as the number it is.
pub(crate) fn utc(secs: i64) -> String {
    let Ok(at) = OffsetDateTime::from_unix_timestamp(secs) else {
        return format!("{secs} (outside the years -9999 to 9999)");
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// A length of time in the largest unit that keeps it readable: `45 s`, `14 min`,
/// `2 h 5 min`, `3 days`.
pub(crate) fn span(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3_600 => format!("{} min", secs / 60),
        3_600..172_800 => match secs % 3_600 / 60 {
            0 => format!("{} h", secs / 3_600),
            min => format!("{} h {min} min", secs / 3_600),
        },
        _ => format!("{} days", secs / 86_400),
    }
}

/// `past` when `at` is not after `now`, else `future`; `{}` in the chosen template is
/// replaced by the span between them.
pub(crate) fn relative(at: i64, now: i64, past: &str, future: &str) -> String {
    let template = if at <= now { past } else { future };
    template.replace("{}", &span(at.abs_diff(now)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc(4_102_444_799), "2099-12-31 23:59:59 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59:59 UTC");
        assert_eq!(utc(253_402_300_799), "9999-12-31 23:59:59 UTC");
        assert_eq!(utc(-62_135_596_800), "0001-01-01 00:00:00 UTC");
    }

    #[test]
    fn made_up_instants_are_shown_as_numbers() {
        assert_eq!(
            utc(253_402_300_800),
            "253402300800 (outside the years -9999 to 9999)"
        );
        assert_eq!(
            utc(i64::MIN),
            "-9223372036854775808 (outside the years -9999 to 9999)"
        );
    }

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span(5), "5 s");
        assert_eq!(span(180), "3 min");
        assert_eq!(span(7_200), "2 h");
        assert_eq!(span(7_500), "2 h 5 min");
        assert_eq!(span(30 * 86_400), "30 days");
        assert_eq!(
            relative(100, 280, "expired {} ago", "expires in {}"),
            "expired 3 min ago"
        );
        assert_eq!(
            relative(940, 100, "expired {} ago", "expires in {}"),
            "expires in 14 min"
        );
    }
}
