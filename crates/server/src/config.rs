//! Settings: compiled defaults, then a TOML file, then `TESSERA_SECTION__KEY` env vars, then flags.
//!
//! Every layer is merged into one TOML table first (a later layer replaces single keys of an
//! earlier one), then parsed once into domain types: a [`Settings`] that exists is usable.
//! Any bad value, and any unknown key (a typo would otherwise be silently ignored), is a
//! [`ConfigError`] that names the key, the environment variable that sets it, and the fix.
//! docs/configuration.md lists every key.
//!
//! # Examples
//!
//! ```
//! use tessera_server::config::{Flags, Settings};
//!
//! let env = vec![("TESSERA_TOKENS__ACCESS_TTL".to_owned(), "10m".to_owned())];
//! let settings = Settings::load_from(&Flags::default(), &env)?;
//! assert_eq!(settings.tokens.access_ttl.as_secs(), 600);
//! assert_eq!(settings.server.issuer, "http://127.0.0.1:8080");
//! # Ok::<(), tessera_server::config::ConfigError>(())
//! ```

pub mod duration;
mod error;
mod layers;
mod parse;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tessera_core::lockout::LockoutPolicy;
use tessera_core::{Config, MasterKey, PasswordPolicy};
use tessera_jose::Algorithm;
use tessera_store::{Location, PgOptions, SqliteOptions, StoreOptions, Synchronous};

use crate::proxy::TrustedProxies;

pub use error::{ConfigError, env_name};

/// The data directory when neither `--data-dir` nor `TESSERA_DATA_DIR` says otherwise.
pub const DEFAULT_DATA_DIR: &str = "./tessera-data";

/// The file name of the SQLite database in the data directory.
pub const DATABASE_FILE: &str = "tessera.db";

/// The file name of the master key in the data directory.
pub const MASTER_KEY_FILE: &str = "master.key";

/// What the command line says, the last and strongest layer. `None` leaves the key to the
/// layers below.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Flags {
    /// `--config FILE` (else `TESSERA_CONFIG`).
    pub config_file: Option<PathBuf>,
    /// `--data-dir DIR` (else `TESSERA_DATA_DIR`, else `./tessera-data`).
    pub data_dir: Option<PathBuf>,
    /// `--database-url URL`: `database.url`.
    pub database_url: Option<String>,
    /// `--listen ADDR`: `server.listen`.
    pub listen: Option<String>,
    /// `--issuer URL`: `server.issuer`.
    pub issuer: Option<String>,
    /// `--tls-cert PEM`: `server.tls_cert`.
    pub tls_cert: Option<PathBuf>,
    /// `--tls-key PEM`: `server.tls_key`.
    pub tls_key: Option<PathBuf>,
}

/// A deployment's whole configuration, parsed and checked.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Settings {
    /// The data directory (database file, master key file).
    pub data_dir: PathBuf,
    /// `[server]`: listening, issuer, TLS, logs, request limits.
    pub server: ServerSettings,
    /// `[database]`: where the store lives.
    pub database: DatabaseSettings,
    /// `[tokens]`: lifetimes, audience, signing algorithm.
    pub tokens: TokenSettings,
    /// `[keys]`: the signing key rotation schedule.
    pub keys: KeySettings,
    /// `[passwords]`: Argon2id costs.
    pub passwords: PasswordPolicy,
    /// `passwords.min_length`: the shortest new password, in characters (default 8).
    pub min_password_chars: usize,
    /// `[throttle]`: login failure limits.
    pub throttle: ThrottleSettings,
    /// `[audit]`: how long the audit trail is kept, and how large it may grow.
    pub audit: AuditSettings,
    /// `[mfa]`: who must sign in with a second factor.
    pub mfa: MfaSettings,
    /// `[ui]`: the sign-in pages' branding (`brand_name`, `accent_color`, `templates_dir`).
    pub ui: crate::ui::Branding,
    /// Where the master key comes from.
    pub master_key: MasterKeySource,
}

/// `[server]`.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct ServerSettings {
    /// `listen`: the socket address to bind (default `127.0.0.1:8080`; port 0 picks one).
    pub listen: SocketAddr,
    /// `issuer`: the `iss` of tokens and base of the metadata URLs, without a trailing slash
    /// (default `http://<listen>`; required when `listen` is not a loopback address).
    pub issuer: String,
    /// True when `issuer` was not configured but derived from `listen`: a server that binds
    /// port 0 may then derive it again from the real address.
    pub issuer_is_default: bool,
    /// `tls_cert` and `tls_key`: PEM files to serve HTTPS with (both or neither).
    pub tls: Option<TlsFiles>,
    /// `allow_plain_http`: serve plain HTTP on a non-loopback address (behind a
    /// TLS-terminating proxy). Default false.
    pub allow_plain_http: bool,
    /// `log_format`: `text` (default) or `json`.
    pub log_format: LogFormat,
    /// `max_body_bytes`: the largest request body accepted (default 64 KiB).
    pub max_body_bytes: usize,
    /// `trusted_proxies`: addresses or blocks (`10.0.0.0/8`) of reverse proxies whose
    /// `X-Forwarded-For` names the client for throttling and logs (default none).
    pub trusted_proxies: TrustedProxies,
    /// `maintenance_interval`: how often the background task rotates keys (and reloads
    /// the keys other instances made), purges expired records and forgets idle throttle
    /// counters (default 60s, from 1s to 10m).
    pub maintenance_interval: Duration,
    /// `header_read_timeout`, `max_connections`, `max_header_bytes`,
    /// `max_streams_per_address`: the listener's limits against slow and idle clients.
    pub limits: crate::connections::ConnectionLimits,
    /// `metrics_listen`, `metrics_token`: where and to whom `/metrics` is served.
    pub metrics: crate::http::metrics_access::MetricsSettings,
}

/// The certificate chain and private key to serve HTTPS with.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct TlsFiles {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// `[database]`.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct DatabaseSettings {
    /// `url`: where the store is (default the SQLite file `<data-dir>/tessera.db`).
    pub url: DatabaseUrl,
    /// `synchronous`: `full` (default) or `normal`, for SQLite.
    pub synchronous: Synchronous,
    /// `pool_size`: connections (SQLite: readers beside the one writer, default 4;
    /// PostgreSQL: the most connections of this instance's pool, default 10).
    pub pool_size: u32,
    /// `connect_timeout`: PostgreSQL: how long start-up waits for the database (default 5s).
    pub connect_timeout: Duration,
    /// `acquire_timeout`: how long a request waits for a connection before it is answered
    /// 503 with `Retry-After` (default 10s).
    pub acquire_timeout: Duration,
    /// `statement_timeout`: PostgreSQL: the server cancels a statement running or waiting
    /// for a lock longer than this (default 30s; 0s turns it off).
    pub statement_timeout: Duration,
}

impl DatabaseSettings {
    /// The SQLite options these settings ask for.
    pub fn sqlite_options(&self) -> SqliteOptions {
        SqliteOptions::default()
            .synchronous(self.synchronous)
            .readers(self.pool_size)
            .acquire_timeout(self.acquire_timeout)
    }

    /// The PostgreSQL options these settings ask for.
    pub fn postgres_options(&self) -> PgOptions {
        PgOptions::default()
            .max_connections(self.pool_size)
            .connect_timeout(self.connect_timeout)
            .acquire_timeout(self.acquire_timeout)
            .statement_timeout(self.statement_timeout)
    }

    /// Where the store is, with both backends' options.
    pub fn store_location(&self) -> (Location, StoreOptions) {
        let location = match &self.url {
            DatabaseUrl::SqliteFile(path) => Location::SqliteFile(path.clone()),
            DatabaseUrl::Sqlite(url) => Location::SqliteUrl(url.clone()),
            DatabaseUrl::Postgres(url) => Location::Postgres(url.clone()),
        };
        let options = StoreOptions::new(self.sqlite_options(), self.postgres_options());
        (location, options)
    }
}

/// Where the store lives.
#[derive(Clone, Eq, PartialEq)]
#[non_exhaustive]
pub enum DatabaseUrl {
    /// A SQLite database file.
    SqliteFile(PathBuf),
    /// A `sqlite:` URL, as given.
    Sqlite(String),
    /// A `postgres://` or `postgresql://` URL. Its `Debug` hides it (it may hold a password).
    Postgres(String),
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SqliteFile(path) => f.debug_tuple("SqliteFile").field(path).finish(),
            Self::Sqlite(url) => f.debug_tuple("Sqlite").field(url).finish(),
            Self::Postgres(_) => f.write_str("Postgres(..)"),
        }
    }
}

/// `[tokens]`.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct TokenSettings {
    /// `access_ttl`: access token lifetime (default 15m, 1s to 1d).
    pub access_ttl: Duration,
    /// `refresh_idle_ttl`: a refresh token unused this long expires (default 14d).
    pub refresh_idle_ttl: Duration,
    /// `refresh_absolute_ttl`: a session ends this long after login (default 30d).
    pub refresh_absolute_ttl: Duration,
    /// `refresh_grace`: a just-rotated refresh token may be retried this long (default 0s,
    /// at most 60s).
    pub refresh_grace: Duration,
    /// `browser_idle_ttl`: a browser sign-in (single sign-on session) unused this long ends
    /// (default 12h, at least 1m).
    pub browser_idle_ttl: Duration,
    /// `browser_absolute_ttl`: a browser sign-in ends this long after it began, however much
    /// it is used (default 14d, at most 365d).
    pub browser_absolute_ttl: Duration,
    /// `default_audience`: `aud` for clients that name none (default: the issuer).
    pub default_audience: Option<String>,
    /// `signing_alg`: RS256 (default), PS256, ES256, ES384 or EdDSA.
    pub signing_alg: Algorithm,
}

/// `[keys]`.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct KeySettings {
    /// `rotate_every`: how long a key signs before the next takes over (default 30d).
    pub rotate_every: Duration,
    /// `publish_ahead`: how long a key is in the JWKS before it signs (default 1h; the JWKS
    /// `Cache-Control` max-age is half of it). A key waits longer when the other instances
    /// need more time to load it: at least `server.maintenance_interval` + 2s + the max-age.
    pub publish_ahead: Duration,
}

/// `[audit]` and `[webhooks]`: the audit trail's bounds, and how its events are pushed.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct AuditSettings {
    /// `audit.retention`: events older than this are purged (default 90d, 1d to 3650d).
    pub retention: Duration,
    /// `audit.max_events`: the most events kept, oldest purged first (default 10000000).
    pub max_events: u64,
    /// `webhooks.max_backoff`: the longest wait between two delivery attempts to a webhook
    /// (default 5m, 1s to 1h).
    pub webhook_max_backoff: Duration,
}

/// `[mfa]`: the second-factor policy.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct MfaSettings {
    /// `mfa.console`: the operator console asks administrators for a second factor
    /// (default true).
    pub console: bool,
    /// `mfa.required_roles`: users holding any of these roles must sign in to the browser
    /// with a second factor, and are sent to set one up first (default none).
    pub required_roles: Vec<String>,
}

impl Default for MfaSettings {
    fn default() -> Self {
        Self {
            console: true,
            required_roles: Vec::new(),
        }
    }
}

/// `[throttle]`: how failed logins slow down further attempts, per account and per client IP.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct ThrottleSettings {
    /// `[throttle.account]`: failures counted per username (default 5 free, 1s, 15m).
    pub account: ThrottleLimits,
    /// `[throttle.ip]`: failures counted per client IP address (default 20 free, 1s, 15m).
    pub ip: ThrottleLimits,
}

impl ThrottleSettings {
    /// The per-account lock-out policy, which the authority applies.
    pub fn account_policy(&self) -> LockoutPolicy {
        self.account.policy()
    }

    /// The per-address policy, which the server's throttle applies.
    pub fn ip_policy(&self) -> LockoutPolicy {
        self.ip.policy()
    }
}

impl ThrottleLimits {
    /// As a lock-out policy; a counter is forgotten after a quiet `max_backoff` (at least a
    /// minute).
    fn policy(&self) -> LockoutPolicy {
        LockoutPolicy::new(self.max_failures, self.base_backoff, self.max_backoff)
            .forget_after(self.max_backoff.max(Duration::from_secs(60)))
    }
}

/// One throttle: after `max_failures` consecutive failures, each further attempt must wait
/// `base_backoff * 2^(failures - max_failures)`, at most `max_backoff`; early attempts get
/// 429 with `Retry-After`. A success resets the count, and so does a quiet `max_backoff`.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct ThrottleLimits {
    /// `max_failures`: failures allowed before any wait (at least 1).
    pub max_failures: u32,
    /// `base_backoff`: the first wait (more than 0).
    pub base_backoff: Duration,
    /// `max_backoff`: the longest wait (at least `base_backoff`, at most 1d).
    pub max_backoff: Duration,
}

/// Where the master key comes from. `Debug` never shows the key.
#[derive(Clone)]
#[non_exhaustive]
pub enum MasterKeySource {
    /// Given in `TESSERA_MASTER_KEY` or read from `TESSERA_MASTER_KEY_FILE`.
    Given {
        /// The key.
        key: Arc<MasterKey>,
        /// Which variable gave it.
        origin: &'static str,
    },
    /// `<data-dir>/master.key`, created (mode 0600) on first start.
    DataDirFile(PathBuf),
}

impl fmt::Debug for MasterKeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Given { origin, .. } => write!(f, "MasterKeySource::Given({origin})"),
            Self::DataDirFile(path) => write!(f, "MasterKeySource::DataDirFile({path:?})"),
        }
    }
}

impl Settings {
    /// Loads the settings from the process environment and `flags`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad key and the fix.
    pub fn load(flags: &Flags) -> Result<Self, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, _)| k.starts_with("TESSERA_"))
            .collect();
        Self::load_from(flags, &env)
    }

    /// Loads the settings from `flags` and the given environment (name, value) pairs, for
    /// tests and embedding. Only `TESSERA_*` variables are looked at.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad key and the fix.
    pub fn load_from(flags: &Flags, env: &[(String, String)]) -> Result<Self, ConfigError> {
        parse::load(flags, env)
    }

    /// The defaults, with the data directory `data_dir`.
    ///
    /// # Errors
    /// Only if a `TESSERA_MASTER_KEY…` variable were involved, which it is not: never in
    /// practice.
    pub fn defaults(data_dir: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let flags = Flags {
            data_dir: Some(data_dir.as_ref().to_path_buf()),
            ..Flags::default()
        };
        Self::load_from(&flags, &[])
    }

    /// The authority's configuration.
    pub fn to_authority_config(&self) -> Config {
        let mut config = Config::new(self.server.issuer.clone());
        config.access_token_lifetime = self.tokens.access_ttl;
        config.refresh_idle_lifetime = self.tokens.refresh_idle_ttl;
        config.browser_idle_lifetime = self.tokens.browser_idle_ttl;
        config.browser_absolute_lifetime = self.tokens.browser_absolute_ttl;
        config.refresh_absolute_lifetime = self.tokens.refresh_absolute_ttl;
        config.refresh_grace = self.tokens.refresh_grace;
        config.default_audience = self.tokens.default_audience.clone();
        config.rotation.algorithm = self.tokens.signing_alg;
        config.rotation.rotate_every = self.keys.rotate_every;
        config.rotation.publish_ahead = self.keys.publish_ahead;
        config.rotation.reload_every = self.server.maintenance_interval;
        config.passwords = self.passwords;
        config.min_password_chars = self.min_password_chars;
        config.lockout = self.throttle.account_policy();
        config.audit_retention = self.audit.retention;
        config.audit_max_events = self.audit.max_events;
        config.webhook_max_backoff = self.audit.webhook_max_backoff;
        config.second_factor_roles = self.mfa.required_roles.clone();
        config.console_second_factor = self.mfa.console;
        config
    }
}

#[cfg(test)]
mod tests;
