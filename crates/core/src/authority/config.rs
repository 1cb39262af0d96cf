//! The authority's settings, with the defaults of DESIGN.md.

use std::fmt;
use std::time::Duration;

use crate::keys::{ALLOWED_ALGS, RotationPolicy};
use crate::lockout::LockoutPolicy;
use crate::password::PasswordPolicy;

/// The longest refresh grace window allowed.
pub const MAX_REFRESH_GRACE: Duration = Duration::from_secs(60);

/// What the authority issues, and for how long.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// The `iss` of every token, an `https` URL (`http` only for local use).
    pub issuer: String,
    /// Lifetime of access and ID tokens (default 15 minutes).
    pub access_token_lifetime: Duration,
    /// A refresh token unused for this long expires (default 14 days).
    pub refresh_idle_lifetime: Duration,
    /// A session ends this long after login whatever happens (default 30 days).
    pub refresh_absolute_lifetime: Duration,
    /// How long a just-rotated refresh token may be presented again and get the same
    /// successor, for clients retrying on a flaky network (default 0, at most 60 s).
    pub refresh_grace: Duration,
    /// The audience of access tokens for clients that name none (default: the issuer).
    pub default_audience: Option<String>,
    /// A browser sign-in session unused for this long ends (default 12 hours).
    pub browser_idle_lifetime: Duration,
    /// A browser sign-in session ends this long after sign-in whatever happens (default 14
    /// days).
    pub browser_absolute_lifetime: Duration,
    /// Signing algorithm and rotation schedule.
    pub rotation: RotationPolicy,
    /// Argon2id costs.
    pub passwords: PasswordPolicy,
    /// The shortest new password, in characters (default 8, NIST SP 800-63B; 8 to 128).
    pub min_password_chars: usize,
    /// Failed logins per account before it is locked, and for how long (default 5 free,
    /// then 1 s doubling up to 15 minutes, forgotten after an hour).
    pub lockout: LockoutPolicy,
    /// Audit events older than this are purged (default 90 days; at least a day).
    pub audit_retention: Duration,
    /// At most this many audit events are kept, the oldest purged first (default ten
    /// million; at least 1,000), so that a flood of failed logins cannot fill the disk.
    pub audit_max_events: u64,
    /// The longest wait between two attempts to deliver an event to a webhook (default 5
    /// minutes; 1 s to 1 hour).
    pub webhook_max_backoff: Duration,
    /// Users holding any of these roles must sign in to the browser with a second factor
    /// (default none): to reach any client or the console, they are asked for it, or sent
    /// to set one up first.
    pub second_factor_roles: Vec<String>,
    /// The operator console asks administrators for a second factor (default true).
    pub console_second_factor: bool,
}

/// A setting is out of range.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// The defaults, for tokens issued by `issuer`.
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            access_token_lifetime: Duration::from_secs(15 * 60),
            refresh_idle_lifetime: Duration::from_secs(14 * 86_400),
            refresh_absolute_lifetime: Duration::from_secs(30 * 86_400),
            refresh_grace: Duration::ZERO,
            default_audience: None,
            browser_idle_lifetime: Duration::from_secs(12 * 3600),
            browser_absolute_lifetime: Duration::from_secs(14 * 86_400),
            rotation: RotationPolicy::default(),
            passwords: PasswordPolicy::default(),
            min_password_chars: crate::password::DEFAULT_MIN_PASSWORD_CHARS,
            lockout: LockoutPolicy::default(),
            audit_retention: Duration::from_secs(90 * 86_400),
            audit_max_events: 10_000_000,
            webhook_max_backoff: Duration::from_secs(300),
            second_factor_roles: Vec::new(),
            console_second_factor: true,
        }
    }

    /// Checks that the settings make sense together.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |why: &str| Err(ConfigError(why.to_owned()));
        if !(self.issuer.starts_with("https://") || self.issuer.starts_with("http://"))
            || self.issuer.ends_with('/')
        {
            return fail("issuer must be an http(s) URL without a trailing slash");
        }
        let access = self.access_token_lifetime;
        if access < Duration::from_secs(1) || access > Duration::from_secs(86_400) {
            return fail("access_token_lifetime must be between 1 s and 1 day");
        }
        if self.refresh_idle_lifetime.is_zero()
            || self.refresh_idle_lifetime > self.refresh_absolute_lifetime
        {
            return fail("refresh_idle_lifetime must be positive and at most the absolute one");
        }
        if self.browser_idle_lifetime < Duration::from_secs(60)
            || self.browser_idle_lifetime > self.browser_absolute_lifetime
        {
            return fail(
                "browser_idle_lifetime must be at least a minute and at most the absolute one",
            );
        }
        if !(8..=128).contains(&self.min_password_chars) {
            return fail("min_password_chars must be between 8 and 128");
        }
        if self.audit_retention < Duration::from_secs(86_400) {
            return fail("audit retention must be at least a day");
        }
        if self.webhook_max_backoff < Duration::from_secs(1)
            || self.webhook_max_backoff > Duration::from_secs(3_600)
        {
            return fail("webhooks max_backoff must be between 1 s and 1 hour");
        }
        if self.audit_max_events < 1_000 {
            return fail("audit max_events must be at least 1000");
        }
        if self.refresh_grace > MAX_REFRESH_GRACE {
            return fail("refresh_grace must be at most 60 s");
        }
        if !ALLOWED_ALGS.contains(&self.rotation.algorithm) {
            return fail("the signing algorithm must be RS256, PS256, ES256, ES384 or EdDSA");
        }
        if self.rotation.publish_ahead >= self.rotation.rotate_every {
            return fail("publish_ahead must be shorter than rotate_every");
        }
        if self.rotation.reload_every.is_zero() {
            return fail("the maintenance interval must be positive");
        }
        // Otherwise every key would get its successor as soon as it starts signing.
        if self.rotation.publish_window() >= self.rotation.rotate_every {
            return fail(
                "rotate_every must be longer than the maintenance interval + 2 s + half of \
                 publish_ahead (the time a new key waits until every instance has published \
                 it for a JWKS cache lifetime)",
            );
        }
        Ok(())
    }

    /// The rotation policy with a token lifetime of at least the access token lifetime.
    pub fn effective_rotation(&self) -> RotationPolicy {
        let mut policy = self.rotation;
        policy.token_lifetime = policy.token_lifetime.max(self.access_token_lifetime);
        policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_as_documented() {
        let config = Config::new("https://auth.example.com");
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.access_token_lifetime, Duration::from_secs(900));
        assert_eq!(config.refresh_grace, Duration::ZERO);
        assert_eq!(config.rotation.algorithm, tessera_jose::Algorithm::RS256);
    }

    #[test]
    fn refuses_out_of_range_settings() {
        let base = Config::new("https://auth.example.com");
        let mut bad = base.clone();
        bad.refresh_grace = Duration::from_secs(61);
        assert!(bad.validate().is_err());
        let mut bad = base.clone();
        bad.issuer = "auth.example.com".into();
        assert!(bad.validate().is_err());
        let mut bad = base.clone();
        bad.refresh_idle_lifetime = Duration::from_secs(40 * 86_400);
        assert!(bad.validate().is_err());
        let mut bad = base.clone();
        bad.rotation.algorithm = tessera_jose::Algorithm::HS256;
        assert!(bad.validate().is_err());
        let mut bad = base.clone();
        bad.rotation.reload_every = Duration::ZERO;
        assert!(bad.validate().is_err());
        // A key would wait 60 + 2 + 10 s before it signs, longer than it signs.
        let mut bad = base.clone();
        bad.rotation.rotate_every = Duration::from_secs(40);
        bad.rotation.publish_ahead = Duration::from_secs(20);
        assert!(bad.validate().is_err());
        bad.rotation.reload_every = Duration::from_secs(1);
        assert_eq!(bad.validate(), Ok(()));
        let mut longer = base;
        longer.access_token_lifetime = Duration::from_secs(3_600);
        assert_eq!(
            longer.effective_rotation().token_lifetime,
            Duration::from_secs(3_600)
        );
    }
}
