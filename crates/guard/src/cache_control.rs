//! How long a fetched JWKS stays fresh: the server's `Cache-Control`, within bounds.

use std::time::Duration;

/// Freshness bounds for the JWKS cache.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) struct Bounds {
    /// The shortest freshness, whatever the server says (so `no-cache` cannot make every
    /// request fetch).
    pub(crate) min: Duration,
    /// The longest freshness (so a year-long `max-age` cannot hide a key rotation).
    pub(crate) max: Duration,
    /// The freshness when the server sends no usable `max-age`.
    pub(crate) default: Duration,
}

impl Default for Bounds {
    fn default() -> Self {
        Self {
            min: Duration::from_secs(30),
            max: Duration::from_secs(24 * 3600),
            default: Duration::from_secs(300),
        }
    }
}

/// The freshness lifetime a `Cache-Control` header asks for, clamped to `bounds`.
///
/// `no-cache` and `no-store` mean "as short as allowed"; `max-age=N` means N seconds; anything
/// else (absent, unparsable) means the default.
pub(crate) fn freshness(header: Option<&str>, bounds: Bounds) -> Duration {
    let asked = header.map_or(bounds.default, |value| parse(value, bounds));
    asked.clamp(bounds.min, bounds.max.max(bounds.min))
}

fn parse(value: &str, bounds: Bounds) -> Duration {
    let mut max_age = None;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-cache" || lower == "no-store" {
            return bounds.min;
        }
        if let Some(secs) = lower.strip_prefix("max-age=") {
            match secs.trim_matches('"').parse::<u64>() {
                Ok(secs) => max_age = Some(Duration::from_secs(secs)),
                // RFC 9111 §4.2.1: an invalid max-age makes the response stale.
                Err(_) => return bounds.min,
            }
        }
    }
    max_age.unwrap_or(bounds.default)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(header: Option<&str>) -> u64 {
        freshness(header, Bounds::default()).as_secs()
    }

    #[test]
    fn max_age_within_bounds_is_honoured() {
        assert_eq!(secs(Some("public, max-age=3600")), 3600);
        assert_eq!(secs(Some("Max-Age=120, public")), 120);
    }

    #[test]
    fn out_of_bounds_values_are_clamped() {
        assert_eq!(secs(Some("max-age=1")), 30);
        assert_eq!(secs(Some("max-age=0")), 30);
        assert_eq!(secs(Some("max-age=31536000")), 86_400);
        assert_eq!(secs(Some("max-age=99999999999999999999999")), 30);
    }

    #[test]
    fn no_cache_means_the_minimum_and_absent_means_the_default() {
        assert_eq!(secs(Some("no-cache")), 30);
        assert_eq!(secs(Some("public, no-store, max-age=600")), 30);
        assert_eq!(secs(None), 300);
        assert_eq!(secs(Some("public")), 300);
        assert_eq!(secs(Some("max-age=abc")), 30);
    }
}
