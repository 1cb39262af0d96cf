//! From the merged layers to [`Settings`]: one function per section, each checking its
//! ranges and naming the key at fault.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tessera_core::keys::parse_alg;
use tessera_core::{MasterKey, PasswordPolicy};
use tessera_store::Synchronous;
use toml::{Table, Value};

use super::error::shown;
use super::layers::{Origins, Reader, check_env_names, overlay_env, read_file, set};
use super::{
    AuditSettings, ConfigError, DATABASE_FILE, DEFAULT_DATA_DIR, DatabaseSettings, DatabaseUrl,
    Flags, KeySettings, LogFormat, MASTER_KEY_FILE, MasterKeySource, MfaSettings, ServerSettings,
    Settings, ThrottleLimits, ThrottleSettings, TlsFiles, TokenSettings,
};
use crate::connections::ConnectionLimits;
use crate::http::metrics_access::MetricsSettings;
use crate::proxy::{IpNet, TrustedProxies};

const DAY: u64 = 86_400;

/// Merges the layers and parses them.
pub(super) fn load(flags: &Flags, env: &[(String, String)]) -> Result<Settings, ConfigError> {
    let var = |name: &str| {
        env.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let data_dir = flags
        .data_dir
        .clone()
        .or_else(|| var("TESSERA_DATA_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    let config_file = flags
        .config_file
        .clone()
        .or_else(|| var("TESSERA_CONFIG").map(PathBuf::from));
    check_env_names(env)?;
    let mut origins = Origins::default();
    let mut table = match &config_file {
        Some(path) => read_file(path, &mut origins)?,
        None => Table::new(),
    };
    overlay_env(&mut table, env, &mut origins);
    if let Some(url) = var("TESSERA_DATABASE_URL") {
        set(&mut table, "database.url", Value::String(url));
    }
    overlay_flags(&mut table, flags);
    let mut reader = Reader::new(table);
    let settings = Settings {
        server: server(&mut reader)?,
        database: database(&mut reader, &data_dir)?,
        tokens: tokens(&mut reader)?,
        keys: keys(&mut reader)?,
        passwords: passwords(&mut reader)?,
        min_password_chars: min_password_chars(&mut reader)?,
        throttle: throttle(&mut reader)?,
        audit: audit(&mut reader)?,
        mfa: mfa(&mut reader)?,
        ui: ui(&mut reader)?,
        master_key: master_key(
            var("TESSERA_MASTER_KEY"),
            var("TESSERA_MASTER_KEY_FILE"),
            &data_dir,
        )?,
        data_dir,
    };
    reader.finish(&origins)?;
    check_together(&settings)?;
    Ok(settings)
}

fn overlay_flags(table: &mut Table, flags: &Flags) {
    let text = |value: &Option<String>| value.clone().map(Value::String);
    let path = |value: &Option<PathBuf>| {
        value
            .as_ref()
            .map(|p| Value::String(p.to_string_lossy().into_owned()))
    };
    let given = [
        ("database.url", text(&flags.database_url)),
        ("server.listen", text(&flags.listen)),
        ("server.issuer", text(&flags.issuer)),
        ("server.tls_cert", path(&flags.tls_cert)),
        ("server.tls_key", path(&flags.tls_key)),
    ];
    for (key, value) in given {
        if let Some(value) = value {
            set(table, key, value);
        }
    }
}

fn server(r: &mut Reader) -> Result<ServerSettings, ConfigError> {
    let listen = listen(r)?;
    let tls = tls(r)?;
    let allow_plain_http = r.boolean("server.allow_plain_http", false)?;
    let loopback = listen.ip().is_loopback();
    if !loopback && tls.is_none() && !allow_plain_http {
        return Err(ConfigError::key(
            "server.allow_plain_http",
            format!(
                "plain HTTP is only served on loopback, and {listen} is not; set \
                 server.tls_cert and server.tls_key, or allow_plain_http = true behind a \
                 TLS-terminating proxy"
            ),
        ));
    }
    let (issuer, issuer_is_default) = match r.string("server.issuer")? {
        Some(issuer) => (check_issuer(&issuer)?, false),
        None if loopback => (format!("http://{listen}"), true),
        None => {
            return Err(ConfigError::key(
                "server.issuer",
                format!(
                    "must be set when listening on {listen}, which is not loopback; use the \
                     public URL clients reach, for example https://auth.example.com"
                ),
            ));
        }
    };
    let log_format = match r.string("server.log_format")?.as_deref() {
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some(other) => {
            return Err(ConfigError::key(
                "server.log_format",
                format!("{} is not a log format; use text or json", shown(other)),
            ));
        }
    };
    let max_body = r.number("server.max_body_bytes", 64 * 1024, (1024, 16 * 1024 * 1024))?;
    let trusted_proxies = trusted_proxies(r)?;
    let maintenance_interval = r.duration(
        "server.maintenance_interval",
        crate::serve::DEFAULT_MAINTENANCE_INTERVAL,
    )?;
    in_range(
        "server.maintenance_interval",
        maintenance_interval,
        1,
        600,
        "from 1s to 10m",
    )?;
    let limits = connection_limits(r)?;
    let metrics = metrics_settings(r)?;
    Ok(ServerSettings {
        limits,
        metrics,
        listen,
        issuer,
        issuer_is_default,
        tls,
        allow_plain_http,
        log_format,
        max_body_bytes: usize::try_from(max_body).unwrap_or(usize::MAX),
        trusted_proxies,
        maintenance_interval,
    })
}

/// `[server]`'s `/metrics` access: its own listener and its bearer token.
fn metrics_settings(r: &mut Reader) -> Result<MetricsSettings, ConfigError> {
    let mut metrics = MetricsSettings::default();
    if let Some(text) = r.string("server.metrics_listen")? {
        let address = text.trim().parse::<SocketAddr>().map_err(|_| {
            ConfigError::key(
                "server.metrics_listen",
                format!("{} is not a socket address; use IP:PORT", shown(&text)),
            )
        })?;
        metrics.listen = Some(address);
    }
    if let Some(token) = r.string("server.metrics_token")? {
        if token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::key(
                "server.metrics_token",
                "must be at least 16 printable ASCII characters without spaces; make one \
                 with `openssl rand -hex 32`",
            ));
        }
        metrics.token = Some(token);
    }
    Ok(metrics)
}

/// `[server]`'s limits against slow and idle clients.
fn connection_limits(r: &mut Reader) -> Result<ConnectionLimits, ConfigError> {
    let defaults = ConnectionLimits::default();
    let key = "server.header_read_timeout";
    let header_read_timeout = r.duration(key, defaults.header_read_timeout)?;
    in_range(key, header_read_timeout, 1, 300, "from 1s to 5m")?;
    let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let max_connections = r.number(
        "server.max_connections",
        defaults.max_connections as u64,
        (1, 1_000_000),
    )?;
    let max_header_bytes = r.number(
        "server.max_header_bytes",
        defaults.max_header_bytes as u64,
        (4 * 1024, 1024 * 1024),
    )?;
    let max_streams = r.number(
        "server.max_streams_per_address",
        defaults.max_streams_per_address as u64,
        (1, 10_000),
    )?;
    let mut limits = defaults;
    limits.header_read_timeout = header_read_timeout;
    limits.max_connections = count(max_connections);
    limits.max_header_bytes = count(max_header_bytes);
    limits.max_streams_per_address = count(max_streams);
    Ok(limits)
}

fn trusted_proxies(r: &mut Reader) -> Result<TrustedProxies, ConfigError> {
    let key = "server.trusted_proxies";
    let entries = r.string_list(key)?.unwrap_or_default();
    let nets = entries
        .iter()
        .map(|entry| entry.parse::<IpNet>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| ConfigError::key(key, err.to_string()))?;
    Ok(TrustedProxies::new(nets))
}

fn listen(r: &mut Reader) -> Result<SocketAddr, ConfigError> {
    let Some(text) = r.string("server.listen")? else {
        return Ok(SocketAddr::from(([127, 0, 0, 1], 8080)));
    };
    text.trim().parse().map_err(|_| {
        ConfigError::key(
            "server.listen",
            format!(
                "{} is not a socket address; use IP:PORT, for example 127.0.0.1:8080 or \
                 [::]:443",
                shown(&text)
            ),
        )
    })
}

fn check_issuer(issuer: &str) -> Result<String, ConfigError> {
    let rest = issuer
        .strip_prefix("https://")
        .or_else(|| issuer.strip_prefix("http://"));
    let ok = rest.is_some_and(|host| {
        !host.is_empty() && !host.contains(['?', '#']) && !host.chars().any(char::is_whitespace)
    }) && !issuer.ends_with('/');
    if ok {
        Ok(issuer.to_owned())
    } else {
        Err(ConfigError::key(
            "server.issuer",
            format!(
                "{} is not an issuer; use an http(s) URL without a trailing slash, query or \
                 fragment, for example https://auth.example.com",
                shown(issuer)
            ),
        ))
    }
}

fn tls(r: &mut Reader) -> Result<Option<TlsFiles>, ConfigError> {
    let cert = r.string("server.tls_cert")?.filter(|s| !s.is_empty());
    let key = r.string("server.tls_key")?.filter(|s| !s.is_empty());
    match (cert, key) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => Ok(Some(TlsFiles {
            cert: PathBuf::from(cert),
            key: PathBuf::from(key),
        })),
        (Some(_), None) => Err(ConfigError::key(
            "server.tls_key",
            "missing: server.tls_cert is set, so give the private key file too (--tls-key)",
        )),
        (None, Some(_)) => Err(ConfigError::key(
            "server.tls_cert",
            "missing: server.tls_key is set, so give the certificate file too (--tls-cert)",
        )),
    }
}

fn database(r: &mut Reader, data_dir: &Path) -> Result<DatabaseSettings, ConfigError> {
    let url = match r.string("database.url")?.filter(|s| !s.trim().is_empty()) {
        None => DatabaseUrl::SqliteFile(data_dir.join(DATABASE_FILE)),
        Some(url) => database_url(url)?,
    };
    let synchronous = match r.string("database.synchronous")?.as_deref() {
        None | Some("full") => Synchronous::Full,
        Some("normal") => Synchronous::Normal,
        Some(other) => {
            return Err(ConfigError::key(
                "database.synchronous",
                format!("{} is not a mode; use full or normal", shown(other)),
            ));
        }
    };
    let default_pool = if matches!(url, DatabaseUrl::Postgres(_)) {
        10
    } else {
        4
    };
    let pool_size = r.number("database.pool_size", default_pool, (1, 64))?;
    let connect_timeout = r.duration("database.connect_timeout", Duration::from_secs(5))?;
    in_range(
        "database.connect_timeout",
        connect_timeout,
        1,
        300,
        "from 1s to 5m",
    )?;
    let acquire_timeout = r.duration("database.acquire_timeout", Duration::from_secs(10))?;
    in_range(
        "database.acquire_timeout",
        acquire_timeout,
        1,
        300,
        "from 1s to 5m",
    )?;
    let statement_timeout = r.duration("database.statement_timeout", Duration::from_secs(30))?;
    in_range(
        "database.statement_timeout",
        statement_timeout,
        0,
        3_600,
        "from 0s (off) to 1h",
    )?;
    Ok(DatabaseSettings {
        url,
        synchronous,
        pool_size: u32::try_from(pool_size).unwrap_or(64),
        connect_timeout,
        acquire_timeout,
        statement_timeout,
    })
}

fn database_url(url: String) -> Result<DatabaseUrl, ConfigError> {
    if url.starts_with("sqlite:") {
        Ok(DatabaseUrl::Sqlite(url))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(DatabaseUrl::Postgres(url))
    } else {
        // Not echoed: a URL may hold a password.
        Err(ConfigError::key(
            "database.url",
            "not a database URL; use sqlite://PATH or postgres://USER@HOST/DB, or leave it \
             unset for a SQLite file in the data dir",
        ))
    }
}

fn tokens(r: &mut Reader) -> Result<TokenSettings, ConfigError> {
    let access_ttl = r.duration("tokens.access_ttl", Duration::from_secs(15 * 60))?;
    in_range("tokens.access_ttl", access_ttl, 1, DAY, "from 1s to 1d")?;
    let refresh_idle_ttl = r.duration("tokens.refresh_idle_ttl", Duration::from_secs(14 * DAY))?;
    let refresh_absolute_ttl =
        r.duration("tokens.refresh_absolute_ttl", Duration::from_secs(30 * DAY))?;
    in_range(
        "tokens.refresh_absolute_ttl",
        refresh_absolute_ttl,
        60,
        3_650 * DAY,
        "from 1m to 3650d",
    )?;
    if refresh_idle_ttl.is_zero() || refresh_idle_ttl > refresh_absolute_ttl {
        return Err(ConfigError::key(
            "tokens.refresh_idle_ttl",
            "must be more than 0 and at most tokens.refresh_absolute_ttl",
        ));
    }
    let refresh_grace = r.duration("tokens.refresh_grace", Duration::ZERO)?;
    in_range(
        "tokens.refresh_grace",
        refresh_grace,
        0,
        60,
        "from 0s to 60s",
    )?;
    let browser_idle_ttl = r.duration("tokens.browser_idle_ttl", Duration::from_secs(12 * 3600))?;
    let browser_absolute_ttl =
        r.duration("tokens.browser_absolute_ttl", Duration::from_secs(14 * DAY))?;
    in_range(
        "tokens.browser_absolute_ttl",
        browser_absolute_ttl,
        60,
        365 * DAY,
        "from 1m to 365d",
    )?;
    if browser_idle_ttl < Duration::from_secs(60) || browser_idle_ttl > browser_absolute_ttl {
        return Err(ConfigError::key(
            "tokens.browser_idle_ttl",
            "must be at least 1m and at most tokens.browser_absolute_ttl",
        ));
    }
    let default_audience = r.string("tokens.default_audience")?;
    if default_audience
        .as_deref()
        .is_some_and(|a| a.is_empty() || a.chars().any(char::is_whitespace))
    {
        return Err(ConfigError::key(
            "tokens.default_audience",
            "must be a non-empty value without spaces, or left unset (the issuer)",
        ));
    }
    let signing_alg = match r.string("tokens.signing_alg")? {
        None => tessera_core::keys::DEFAULT_ALG,
        Some(name) => parse_alg(&name).map_err(|_| {
            ConfigError::key(
                "tokens.signing_alg",
                format!(
                    "{} is not a signing algorithm; use RS256, PS256, ES256, ES384 or EdDSA",
                    shown(&name)
                ),
            )
        })?,
    };
    Ok(TokenSettings {
        access_ttl,
        browser_idle_ttl,
        browser_absolute_ttl,
        refresh_idle_ttl,
        refresh_absolute_ttl,
        refresh_grace,
        default_audience,
        signing_alg,
    })
}

fn keys(r: &mut Reader) -> Result<KeySettings, ConfigError> {
    let rotate_every = r.duration("keys.rotate_every", Duration::from_secs(30 * DAY))?;
    // Seconds are allowed for tests that watch a rotation happen; a deployment wants days.
    in_range(
        "keys.rotate_every",
        rotate_every,
        10,
        3_650 * DAY,
        "from 10s to 3650d",
    )?;
    let publish_ahead = r.duration("keys.publish_ahead", Duration::from_secs(3_600))?;
    if publish_ahead.is_zero() || publish_ahead >= rotate_every {
        return Err(ConfigError::key(
            "keys.publish_ahead",
            "must be more than 0 and shorter than keys.rotate_every",
        ));
    }
    Ok(KeySettings {
        rotate_every,
        publish_ahead,
    })
}

fn passwords(r: &mut Reader) -> Result<PasswordPolicy, ConfigError> {
    let default = PasswordPolicy::default();
    let parallelism = r.number("passwords.parallelism", default.parallelism.into(), (1, 64))?;
    let memory = r.number(
        "passwords.memory_kib",
        default.memory_kib.into(),
        (8 * parallelism, 4 * 1024 * 1024),
    )?;
    let iterations = r.number("passwords.iterations", default.iterations.into(), (1, 100))?;
    let narrow = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(PasswordPolicy::new(
        narrow(memory),
        narrow(iterations),
        narrow(parallelism),
    ))
}

/// `[ui]`: checked by building the pages, so that a bad colour or a broken template override
/// stops the server at startup.
fn ui(r: &mut Reader) -> Result<crate::ui::Branding, ConfigError> {
    let defaults = crate::ui::Branding::default();
    let branding = crate::ui::Branding {
        name: r.string("ui.brand_name")?.unwrap_or(defaults.name),
        accent: r.string("ui.accent_color")?.unwrap_or(defaults.accent),
        templates_dir: r
            .string("ui.templates_dir")?
            .filter(|s| !s.is_empty())
            .map(PathBuf::from),
        logo_file: r
            .string("ui.logo_file")?
            .filter(|s| !s.is_empty())
            .map(PathBuf::from),
        extra_css_file: r
            .string("ui.extra_css_file")?
            .filter(|s| !s.is_empty())
            .map(PathBuf::from),
    };
    crate::ui::Ui::new(branding.clone()).map_err(|err| {
        let key = match err {
            crate::ui::UiError::Accent(_) => "ui.accent_color",
            crate::ui::UiError::Name => "ui.brand_name",
            crate::ui::UiError::Asset { key, .. } => key,
            _ => "ui.templates_dir",
        };
        ConfigError::key(key, err.to_string())
    })?;
    Ok(branding)
}

/// `passwords.min_length`: 8 (NIST SP 800-63B) to 128 characters.
fn min_password_chars(r: &mut Reader) -> Result<usize, ConfigError> {
    let default = tessera_core::password::DEFAULT_MIN_PASSWORD_CHARS as u64;
    let chars = r.number("passwords.min_length", default, (8, 128))?;
    Ok(usize::try_from(chars).unwrap_or(128))
}

/// `[audit]`: retention from a day to ten years, and at least a thousand events; and
/// `[webhooks]`, which deliver the trail's events.
fn audit(r: &mut Reader) -> Result<AuditSettings, ConfigError> {
    let retention = r.duration("audit.retention", Duration::from_secs(90 * DAY))?;
    in_range(
        "audit.retention",
        retention,
        DAY,
        3650 * DAY,
        "from 1d to 3650d",
    )?;
    let max_events = r.number("audit.max_events", 10_000_000, (1_000, 10_000_000_000))?;
    let webhook_max_backoff = r.duration("webhooks.max_backoff", Duration::from_secs(300))?;
    in_range(
        "webhooks.max_backoff",
        webhook_max_backoff,
        1,
        3_600,
        "from 1s to 1h",
    )?;
    Ok(AuditSettings {
        retention,
        max_events,
        webhook_max_backoff,
    })
}

/// The most roles `mfa.required_roles` may list (as many as an account may hold).
const MAX_MFA_ROLES: usize = 64;

/// `[mfa]`: `console` (default true), and `required_roles`, each a role as accounts can hold
/// it (1 to 64 printable ASCII characters, the rule `tessera user set-roles` applies:
/// anything else could never match); none by default. Repeats are dropped.
fn mfa(r: &mut Reader) -> Result<MfaSettings, ConfigError> {
    let console = r.boolean("mfa.console", true)?;
    let key = "mfa.required_roles";
    let Some(roles) = r.string_list(key)? else {
        return Ok(MfaSettings {
            console,
            ..MfaSettings::default()
        });
    };
    if roles.len() > MAX_MFA_ROLES {
        return Err(ConfigError::key(key, "lists at most 64 roles"));
    }
    if let Some(bad) = roles
        .iter()
        .find(|role| role.len() > 64 || !role.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(ConfigError::key(
            key,
            format!(
                "{} is not a role; a role is 1 to 64 printable ASCII characters without \
                 spaces, such as \"admin\"; use [] to ask no role for a second factor",
                shown(bad)
            ),
        ));
    }
    let mut unique: Vec<String> = Vec::with_capacity(roles.len());
    for role in roles {
        if !unique.contains(&role) {
            unique.push(role);
        }
    }
    Ok(MfaSettings {
        console,
        required_roles: unique,
    })
}

fn throttle(r: &mut Reader) -> Result<ThrottleSettings, ConfigError> {
    Ok(ThrottleSettings {
        account: throttle_limits(r, "throttle.account", 5)?,
        ip: throttle_limits(r, "throttle.ip", 20)?,
    })
}

fn throttle_limits(
    r: &mut Reader,
    section: &str,
    free: u64,
) -> Result<ThrottleLimits, ConfigError> {
    let key = |name: &str| format!("{section}.{name}");
    let max_failures = r.number(&key("max_failures"), free, (1, 1_000_000))?;
    let base_backoff = r.duration(&key("base_backoff"), Duration::from_secs(1))?;
    in_range(&key("base_backoff"), base_backoff, 1, DAY, "from 1s to 1d")?;
    let max_backoff = r.duration(&key("max_backoff"), Duration::from_secs(15 * 60))?;
    if max_backoff < base_backoff || max_backoff > Duration::from_secs(DAY) {
        return Err(ConfigError::key(
            &key("max_backoff"),
            format!("must be at least {section}.base_backoff and at most 1d"),
        ));
    }
    Ok(ThrottleLimits {
        max_failures: u32::try_from(max_failures).unwrap_or(u32::MAX),
        base_backoff,
        max_backoff,
    })
}

fn master_key(
    inline: Option<String>,
    file: Option<String>,
    data_dir: &Path,
) -> Result<MasterKeySource, ConfigError> {
    let bad = |origin: &str, why: &str| {
        ConfigError::key(
            origin,
            format!(
                "{why}; a master key is 32 bytes as 64 hex digits or base64 (make one with: \
                 openssl rand -base64 32)"
            ),
        )
    };
    let (text, origin) = match (inline, file) {
        (None, None) => return Ok(MasterKeySource::DataDirFile(data_dir.join(MASTER_KEY_FILE))),
        (Some(_), Some(_)) => {
            return Err(ConfigError::key(
                "TESSERA_MASTER_KEY_FILE",
                "TESSERA_MASTER_KEY is set too; set only one of them",
            ));
        }
        (Some(text), None) => (zeroize::Zeroizing::new(text), "TESSERA_MASTER_KEY"),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(&path).map_err(|err| {
                ConfigError::key(
                    "TESSERA_MASTER_KEY_FILE",
                    format!("cannot read {path}: {err}; point it at the key file"),
                )
            })?;
            (zeroize::Zeroizing::new(text), "TESSERA_MASTER_KEY_FILE")
        }
    };
    let key = MasterKey::parse(&text).map_err(|_| bad(origin, "not a valid master key"))?;
    Ok(MasterKeySource::Given {
        key: Arc::new(key),
        origin,
    })
}

fn in_range(
    key: &str,
    value: Duration,
    min: u64,
    max: u64,
    range: &str,
) -> Result<(), ConfigError> {
    if (min..=max).contains(&value.as_secs()) && !(min > 0 && value.is_zero()) {
        Ok(())
    } else {
        Err(ConfigError::key(key, format!("must be {range}")))
    }
}

/// The authority's own checks, as a backstop for rules across sections.
fn check_together(settings: &Settings) -> Result<(), ConfigError> {
    settings
        .to_authority_config()
        .validate()
        .map_err(|err| ConfigError::other(format!("{err}; see docs/configuration.md")))
}
