//! Points in time as their own types: [`Timestamp`] in whole seconds (what tokens and
//! records carry) and [`UnixMillis`] in milliseconds (lock-outs, which start at one second).
//! Both count from the Unix epoch and come from the authority's [`Clock`](crate::Clock), never
//! from the system clock directly, so that every rule can be tested at any instant.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch. Serialized as a plain integer.
#[derive(
    Clone, Copy, Debug, Default, Deserialize, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize,
)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timestamp(i64);

impl Timestamp {
    /// The epoch itself.
    pub const EPOCH: Self = Self(0);

    /// The instant `secs` seconds after the epoch.
    pub const fn from_secs(secs: i64) -> Self {
        Self(secs)
    }

    /// Seconds since the epoch.
    pub const fn secs(self) -> i64 {
        self.0
    }

    /// `duration` later (whole seconds, saturating).
    pub fn plus(self, duration: Duration) -> Self {
        self.plus_secs(secs_of(duration))
    }

    /// `duration` earlier (whole seconds, saturating).
    pub fn minus(self, duration: Duration) -> Self {
        Self(self.0.saturating_sub(secs_of(duration)))
    }

    /// `secs` seconds later (negative: earlier), saturating.
    pub const fn plus_secs(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// Seconds from `earlier` to this instant (negative if `earlier` is later).
    pub const fn secs_since(self, earlier: Self) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The same instant in milliseconds.
    pub const fn to_millis(self) -> UnixMillis {
        UnixMillis(self.0.saturating_mul(1000))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Milliseconds since the Unix epoch.
#[derive(
    Clone, Copy, Debug, Default, Deserialize, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize,
)]
#[serde(transparent)]
pub struct UnixMillis(i64);

impl UnixMillis {
    /// The instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the epoch.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// `duration` later (whole milliseconds, saturating).
    pub fn plus(self, duration: Duration) -> Self {
        let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        Self(self.0.saturating_add(millis))
    }

    /// The time from this instant until `later` (zero if `later` is not later).
    pub fn until(self, later: Self) -> Duration {
        Duration::from_millis(u64::try_from(later.0.saturating_sub(self.0)).unwrap_or(0))
    }

    /// `duration` earlier (whole milliseconds, saturating).
    pub fn minus(self, duration: Duration) -> Self {
        let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        Self(self.0.saturating_sub(millis))
    }

    /// The instant as RFC 3339 in UTC with milliseconds (`2026-12-07T17:40:15.250Z`); an
    /// instant outside the years 0 to 9999 as its number of milliseconds.
    pub fn to_rfc3339(self) -> String {
        let nanos = i128::from(self.0) * 1_000_000;
        ::time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .and_then(|at| {
                at.format(::time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
                ))
                .ok()
            })
            .unwrap_or_else(|| self.0.to_string())
    }

    /// Reads an RFC 3339 date-time (any offset; fractions beyond milliseconds dropped).
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let at =
            ::time::OffsetDateTime::parse(text, &::time::format_description::well_known::Rfc3339)
                .ok()?;
        i64::try_from(at.unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(Self)
    }
}

/// Whole seconds of `duration`, saturating.
pub(crate) fn secs_of(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_and_serializes_as_an_integer() {
        let t = Timestamp::from_secs(100);
        assert_eq!(t.plus(Duration::from_secs(20)).secs(), 120);
        assert_eq!(t.minus(Duration::from_secs(20)).secs(), 80);
        assert_eq!(Timestamp::from_secs(i64::MAX).plus_secs(1).secs(), i64::MAX);
        assert_eq!(t.plus_secs(5).secs_since(t), 5);
        assert_eq!(t.to_millis().millis(), 100_000);
        assert_eq!(serde_json::to_string(&t).expect("json"), "100");
        let ms = UnixMillis::from_millis(1_000);
        assert_eq!(
            ms.until(ms.plus(Duration::from_millis(1_500))).as_millis(),
            1_500
        );
        assert_eq!(ms.until(UnixMillis::from_millis(10)), Duration::ZERO);
        let at = UnixMillis::from_millis(1_700_000_000_250);
        assert_eq!(at.to_rfc3339(), "2023-11-14T22:13:20.250Z");
        assert_eq!(UnixMillis::parse_rfc3339(&at.to_rfc3339()), Some(at));
        assert_eq!(
            UnixMillis::parse_rfc3339("2023-11-14T23:13:20.250+01:00"),
            Some(at)
        );
        assert_eq!(UnixMillis::parse_rfc3339("2023-11-14 22:13:20"), None);
        assert_eq!(
            UnixMillis::from_millis(i64::MAX).to_rfc3339(),
            i64::MAX.to_string()
        );
        assert_eq!(
            at.minus(Duration::from_millis(250)).millis(),
            1_700_000_000_000
        );
    }
}
