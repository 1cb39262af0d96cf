//! NumericDate values made readable: UTC dates and "3 min ago" / "in 14 min" text.

/// Formats seconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC`.
pub(crate) fn utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60
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

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month, day).
/// The algorithm is Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
