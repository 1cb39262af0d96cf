use std::io::Write as _;
use std::time::Duration;

use tessera_jose::Algorithm;

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn config_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(text.as_bytes()).expect("write");
    file
}

fn flags_with(file: &tempfile::NamedTempFile) -> Flags {
    Flags {
        config_file: Some(file.path().to_path_buf()),
        ..Flags::default()
    }
}

fn error_key(result: Result<Settings, ConfigError>) -> String {
    result
        .expect_err("should be refused")
        .key_name()
        .unwrap_or("")
        .to_owned()
}

#[test]
fn defaults_are_as_documented() {
    let s = Settings::load_from(&Flags::default(), &[]).expect("defaults");
    assert_eq!(s.data_dir, PathBuf::from("./tessera-data"));
    assert_eq!(s.server.listen, SocketAddr::from(([127, 0, 0, 1], 8080)));
    assert_eq!(s.server.issuer, "http://127.0.0.1:8080");
    assert!(s.server.issuer_is_default);
    assert_eq!(s.server.log_format, LogFormat::Text);
    assert_eq!(s.server.max_body_bytes, 65_536);
    assert_eq!(
        s.database.url,
        DatabaseUrl::SqliteFile(PathBuf::from("./tessera-data/tessera.db"))
    );
    assert_eq!(s.database.synchronous, Synchronous::Full);
    assert_eq!(s.tokens.access_ttl, Duration::from_secs(900));
    assert_eq!(s.tokens.refresh_grace, Duration::ZERO);
    assert_eq!(s.tokens.signing_alg, Algorithm::RS256);
    assert_eq!(s.keys.rotate_every, Duration::from_secs(30 * 86_400));
    assert_eq!(s.server.maintenance_interval, Duration::from_secs(60));
    assert_eq!(
        s.to_authority_config().rotation.reload_every,
        Duration::from_secs(60)
    );
    assert_eq!(s.passwords, PasswordPolicy::default());
    assert_eq!(s.throttle.account.max_failures, 5);
    assert_eq!(s.throttle.ip.max_failures, 20);
    assert_eq!(s.audit.retention, Duration::from_secs(90 * 86_400));
    assert_eq!(s.audit.max_events, 10_000_000);
    assert_eq!(s.audit.webhook_max_backoff, Duration::from_secs(300));
    assert!(matches!(s.master_key, MasterKeySource::DataDirFile(_)));
    assert_eq!(s.to_authority_config().validate(), Ok(()));
}

#[test]
fn file_then_env_then_flags() {
    let file = config_file(
        "[server]\nlisten = \"127.0.0.1:9000\"\nissuer = \"https://file.example\"\n\
         [tokens]\naccess_ttl = \"5m\"\nrefresh_grace = \"10s\"\nsigning_alg = \"ES256\"\n\
         [throttle.account]\nmax_failures = 3\n[audit]\nretention = \"30d\"\n",
    );
    let env = env(&[
        ("TESSERA_TOKENS__ACCESS_TTL", "10m"),
        ("TESSERA_AUDIT__MAX_EVENTS", "5000"),
        ("TESSERA_SERVER__ISSUER", "https://env.example"),
        ("TESSERA_THROTTLE__IP__MAX_BACKOFF", "1h"),
    ]);
    let mut flags = flags_with(&file);
    flags.issuer = Some("https://flag.example".into());
    let s = Settings::load_from(&flags, &env).expect("settings");
    assert_eq!(s.server.listen.port(), 9000, "from the file");
    assert_eq!(
        s.tokens.refresh_grace,
        Duration::from_secs(10),
        "from the file"
    );
    assert_eq!(s.tokens.signing_alg, Algorithm::ES256);
    assert_eq!(
        s.tokens.access_ttl,
        Duration::from_secs(600),
        "env beats the file"
    );
    assert_eq!(
        s.server.issuer, "https://flag.example",
        "the flag beats env"
    );
    assert!(!s.server.issuer_is_default);
    assert_eq!(s.throttle.account.max_failures, 3);
    assert_eq!(s.throttle.ip.max_backoff, Duration::from_secs(3_600));
    let config = s.to_authority_config();
    assert_eq!(config.audit_retention, Duration::from_secs(30 * 86_400));
    assert_eq!(config.audit_max_events, 5_000);
    assert_eq!(config.issuer, "https://flag.example");
    assert_eq!(config.access_token_lifetime, Duration::from_secs(600));
    assert_eq!(config.rotation.algorithm, Algorithm::ES256);
}

#[test]
fn config_file_from_env_and_data_dir_from_env() {
    let file = config_file("[database]\nsynchronous = \"normal\"\npool_size = 2\n");
    let path = file.path().to_string_lossy().into_owned();
    let env = env(&[
        ("TESSERA_CONFIG", &path),
        ("TESSERA_DATA_DIR", "/srv/tessera"),
    ]);
    let s = Settings::load_from(&Flags::default(), &env).expect("settings");
    assert_eq!(s.database.synchronous, Synchronous::Normal);
    assert_eq!(s.database.pool_size, 2);
    assert_eq!(s.data_dir, PathBuf::from("/srv/tessera"));
    assert_eq!(
        s.database.url,
        DatabaseUrl::SqliteFile(PathBuf::from("/srv/tessera/tessera.db"))
    );
}

#[test]
fn database_urls() {
    let load = |url: &str| {
        let flags = Flags {
            database_url: Some(url.into()),
            ..Flags::default()
        };
        Settings::load_from(&flags, &[]).map(|s| s.database.url)
    };
    assert_eq!(
        load("sqlite:///tmp/x.db"),
        Ok(DatabaseUrl::Sqlite("sqlite:///tmp/x.db".into()))
    );
    let pg = load("postgres://u:secret@db/tessera").expect("parsed");
    assert!(matches!(pg, DatabaseUrl::Postgres(_)));
    assert!(!format!("{pg:?}").contains("secret"));
    let err = load("mysql://u:secret@db/x").expect_err("refused");
    assert_eq!(err.key_name(), Some("database.url"));
    assert!(!err.to_string().contains("secret"));
    let env = env(&[("TESSERA_DATABASE_URL", "sqlite://env.db")]);
    let s = Settings::load_from(&Flags::default(), &env).expect("settings");
    assert_eq!(
        s.database.url,
        DatabaseUrl::Sqlite("sqlite://env.db".into())
    );
}

#[test]
fn bad_values_name_their_key() {
    let cases = [
        ("TESSERA_TOKENS__ACCESS_TTL", "15x", "tokens.access_ttl"),
        ("TESSERA_TOKENS__ACCESS_TTL", "2d", "tokens.access_ttl"),
        (
            "TESSERA_TOKENS__REFRESH_GRACE",
            "61s",
            "tokens.refresh_grace",
        ),
        (
            "TESSERA_TOKENS__REFRESH_IDLE_TTL",
            "40d",
            "tokens.refresh_idle_ttl",
        ),
        ("TESSERA_TOKENS__SIGNING_ALG", "HS256", "tokens.signing_alg"),
        ("TESSERA_SERVER__LISTEN", "localhost", "server.listen"),
        (
            "TESSERA_SERVER__ISSUER",
            "https://a.example/",
            "server.issuer",
        ),
        ("TESSERA_SERVER__LOG_FORMAT", "xml", "server.log_format"),
        (
            "TESSERA_SERVER__ALLOW_PLAIN_HTTP",
            "yes",
            "server.allow_plain_http",
        ),
        ("TESSERA_SERVER__TLS_CERT", "cert.pem", "server.tls_key"),
        (
            "TESSERA_DATABASE__SYNCHRONOUS",
            "off",
            "database.synchronous",
        ),
        ("TESSERA_PASSWORDS__ITERATIONS", "0", "passwords.iterations"),
        ("TESSERA_PASSWORDS__MEMORY_KIB", "4", "passwords.memory_kib"),
        ("TESSERA_KEYS__PUBLISH_AHEAD", "31d", "keys.publish_ahead"),
        ("TESSERA_KEYS__ROTATE_EVERY", "9s", "keys.rotate_every"),
        ("TESSERA_AUDIT__RETENTION", "1h", "audit.retention"),
        ("TESSERA_AUDIT__MAX_EVENTS", "999", "audit.max_events"),
        (
            "TESSERA_WEBHOOKS__MAX_BACKOFF",
            "2h",
            "webhooks.max_backoff",
        ),
        (
            "TESSERA_SERVER__MAINTENANCE_INTERVAL",
            "0s",
            "server.maintenance_interval",
        ),
        (
            "TESSERA_SERVER__MAINTENANCE_INTERVAL",
            "11m",
            "server.maintenance_interval",
        ),
        (
            "TESSERA_THROTTLE__ACCOUNT__MAX_BACKOFF",
            "0s",
            "throttle.account.max_backoff",
        ),
        ("TESSERA_TOKENS__ACESS_TTL", "10m", "tokens.acess_ttl"),
        ("TESSERA_MASTER_KEY", "short", "TESSERA_MASTER_KEY"),
    ];
    for (name, value, key) in cases {
        let result = Settings::load_from(&Flags::default(), &env(&[(name, value)]));
        assert_eq!(error_key(result), key, "{name}={value}");
    }
}

#[test]
fn messages_say_what_to_do() {
    let result = Settings::load_from(
        &Flags::default(),
        &env(&[("TESSERA_TOKENS__ACCESS_TTL", "soon")]),
    );
    let text = result.expect_err("refused").to_string();
    assert!(
        text.starts_with("tokens.access_ttl (TESSERA_TOKENS__ACCESS_TTL): "),
        "{text}"
    );
    assert!(text.contains("15m"), "{text}");
}

#[test]
fn non_loopback_needs_issuer_and_tls_or_explicit_plain_http() {
    let flags = Flags {
        listen: Some("0.0.0.0:8080".into()),
        ..Flags::default()
    };
    let key = error_key(Settings::load_from(&flags, &[]));
    assert_eq!(key, "server.allow_plain_http");
    let plain = env(&[("TESSERA_SERVER__ALLOW_PLAIN_HTTP", "true")]);
    assert_eq!(
        error_key(Settings::load_from(&flags, &plain)),
        "server.issuer"
    );
    let mut flags = flags;
    flags.issuer = Some("https://auth.example.com".into());
    flags.tls_cert = Some("cert.pem".into());
    flags.tls_key = Some("key.pem".into());
    let s = Settings::load_from(&flags, &[]).expect("settings");
    assert!(s.server.tls.is_some());
}

#[test]
fn file_errors_are_reported() {
    let file = config_file("[tokens\naccess_ttl = 1");
    let err = Settings::load_from(&flags_with(&file), &[]).expect_err("bad toml");
    assert!(err.to_string().contains("not valid TOML"), "{err}");
    let file = config_file("[tokens]\naccess_ttl = true\n");
    assert_eq!(
        error_key(Settings::load_from(&flags_with(&file), &[])),
        "tokens.access_ttl"
    );
    let flags = Flags {
        config_file: Some("/nonexistent/tessera.toml".into()),
        ..Flags::default()
    };
    let err = Settings::load_from(&flags, &[]).expect_err("missing");
    assert!(err.to_string().contains("TESSERA_CONFIG"), "{err}");
}

#[test]
fn master_key_sources() {
    let hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    let s = Settings::load_from(&Flags::default(), &env(&[("TESSERA_MASTER_KEY", hex)]))
        .expect("settings");
    assert!(matches!(
        s.master_key,
        MasterKeySource::Given {
            origin: "TESSERA_MASTER_KEY",
            ..
        }
    ));
    assert!(!format!("{s:?}").contains("0001020304"));
    let file = config_file(hex);
    let path = file.path().to_string_lossy().into_owned();
    let s = Settings::load_from(
        &Flags::default(),
        &env(&[("TESSERA_MASTER_KEY_FILE", &path)]),
    )
    .expect("settings");
    assert!(matches!(s.master_key, MasterKeySource::Given { .. }));
    let both = env(&[
        ("TESSERA_MASTER_KEY", hex),
        ("TESSERA_MASTER_KEY_FILE", &path),
    ]);
    assert_eq!(
        error_key(Settings::load_from(&Flags::default(), &both)),
        "TESSERA_MASTER_KEY_FILE"
    );
}

#[test]
fn small_password_costs_for_tests() {
    let env = env(&[
        ("TESSERA_PASSWORDS__MEMORY_KIB", "256"),
        ("TESSERA_PASSWORDS__ITERATIONS", "1"),
    ]);
    let s = Settings::load_from(&Flags::default(), &env).expect("settings");
    assert_eq!(s.passwords, PasswordPolicy::new(256, 1, 1));
}

#[test]
fn trusted_proxies_come_from_a_list_or_a_comma_separated_variable() {
    let none = Settings::load_from(&Flags::default(), &[]).expect("defaults");
    assert!(none.server.trusted_proxies.is_empty());

    let file = config_file("[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"fd00::1\"]\n");
    let s = Settings::load_from(&flags_with(&file), &[]).expect("settings");
    let proxies = &s.server.trusted_proxies;
    assert!(proxies.contains([10, 9, 8, 7].into()));
    assert!(proxies.contains("fd00::1".parse().expect("ip")));
    assert!(!proxies.contains([192, 0, 2, 1].into()));

    let env = env(&[("TESSERA_SERVER__TRUSTED_PROXIES", "192.0.2.0/24, 127.0.0.1")]);
    let s = Settings::load_from(&Flags::default(), &env).expect("settings");
    assert!(s.server.trusted_proxies.contains([192, 0, 2, 200].into()));
    assert!(s.server.trusted_proxies.contains([127, 0, 0, 1].into()));

    let env_bad = env_list_bad();
    assert_eq!(
        error_key(Settings::load_from(&Flags::default(), &env_bad)),
        "server.trusted_proxies"
    );
    let file = config_file("[server]\ntrusted_proxies = [10]\n");
    assert_eq!(
        error_key(Settings::load_from(&flags_with(&file), &[])),
        "server.trusted_proxies"
    );
}

fn env_list_bad() -> Vec<(String, String)> {
    env(&[("TESSERA_SERVER__TRUSTED_PROXIES", "10.0.0.0/40")])
}

#[test]
fn database_pool_and_timeouts() {
    let defaults = Settings::load_from(&Flags::default(), &[]).expect("defaults");
    assert_eq!(defaults.database.pool_size, 4);
    assert_eq!(defaults.database.connect_timeout, Duration::from_secs(5));
    assert_eq!(defaults.database.acquire_timeout, Duration::from_secs(10));
    assert_eq!(defaults.database.statement_timeout, Duration::from_secs(30));
    let pg = env(&[("TESSERA_DATABASE_URL", "postgres://db/tessera")]);
    let s = Settings::load_from(&Flags::default(), &pg).expect("postgres");
    assert_eq!(s.database.pool_size, 10, "a larger pool by default");

    let file = config_file(
        "[database]\nurl = \"postgres://db/t\"\npool_size = 20\nconnect_timeout = \"2s\"\n\
         acquire_timeout = 3\nstatement_timeout = \"0s\"\n",
    );
    let path = file.path().to_string_lossy().into_owned();
    let s =
        Settings::load_from(&Flags::default(), &env(&[("TESSERA_CONFIG", &path)])).expect("file");
    assert_eq!(s.database.pool_size, 20);
    assert_eq!(s.database.connect_timeout, Duration::from_secs(2));
    assert_eq!(s.database.acquire_timeout, Duration::from_secs(3));
    assert_eq!(s.database.statement_timeout, Duration::ZERO);

    for (name, value) in [
        ("TESSERA_DATABASE__CONNECT_TIMEOUT", "0s"),
        ("TESSERA_DATABASE__ACQUIRE_TIMEOUT", "1h"),
        ("TESSERA_DATABASE__STATEMENT_TIMEOUT", "soon"),
        ("TESSERA_DATABASE__POOL_SIZE", "0"),
    ] {
        let err = Settings::load_from(&Flags::default(), &env(&[(name, value)])).expect_err(name);
        let key = name.trim_start_matches("TESSERA_DATABASE__").to_lowercase();
        assert_eq!(
            err.key_name(),
            Some(format!("database.{key}").as_str()),
            "{err}"
        );
    }
}

#[test]
fn a_short_rotation_needs_a_short_maintenance_interval() {
    let short = [
        ("TESSERA_KEYS__ROTATE_EVERY", "16s"),
        ("TESSERA_KEYS__PUBLISH_AHEAD", "6s"),
    ];
    // A key would wait 60s + 2s + 3s for the other instances before it signs: longer than
    // it signs.
    let refused = Settings::load_from(&Flags::default(), &env(&short));
    assert!(refused.is_err(), "{refused:?}");
    let mut fast = short.to_vec();
    fast.push(("TESSERA_SERVER__MAINTENANCE_INTERVAL", "1s"));
    let s = Settings::load_from(&Flags::default(), &env(&fast)).expect("valid");
    assert_eq!(s.server.maintenance_interval, Duration::from_secs(1));
    let rotation = s.to_authority_config().rotation;
    assert_eq!(rotation.reload_every, Duration::from_secs(1));
    assert_eq!(rotation.publish_window(), Duration::from_secs(6));
}

#[test]
fn ui_branding_is_read_and_checked() {
    let file = config_file("[ui]\nbrand_name = \"Acme ID\"\naccent_color = \"#aa3300\"\n");
    let s = Settings::load_from(&flags_with(&file), &[]).expect("parsed");
    assert_eq!(s.ui.name, "Acme ID");
    assert_eq!(s.ui.accent, "#aa3300");
    let defaults = Settings::load_from(&Flags::default(), &[]).expect("defaults");
    assert_eq!(defaults.ui.name, "Tessera");
    let bad = config_file("[ui]\naccent_color = \"red; } body { display: none\"\n");
    assert_eq!(
        error_key(Settings::load_from(&flags_with(&bad), &[])),
        "ui.accent_color"
    );
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("login.html"), "{% if %}").expect("write");
    let broken = config_file(&format!(
        "[ui]\ntemplates_dir = \"{}\"\n",
        dir.path().display()
    ));
    assert_eq!(
        error_key(Settings::load_from(&flags_with(&broken), &[])),
        "ui.templates_dir"
    );
}

#[test]
fn browser_sign_in_lifetimes_are_read_and_checked() {
    let defaults = Settings::load_from(&Flags::default(), &[]).expect("defaults");
    assert_eq!(
        defaults.tokens.browser_idle_ttl,
        Duration::from_secs(12 * 3600)
    );
    assert_eq!(
        defaults.tokens.browser_absolute_ttl,
        Duration::from_secs(14 * 86_400)
    );
    let file = config_file("[tokens]\nbrowser_idle_ttl = \"30m\"\nbrowser_absolute_ttl = \"1d\"\n");
    let s = Settings::load_from(&flags_with(&file), &[]).expect("parsed");
    assert_eq!(s.tokens.browser_idle_ttl, Duration::from_secs(1800));
    assert_eq!(s.tokens.browser_absolute_ttl, Duration::from_secs(86_400));
    let bad = config_file("[tokens]\nbrowser_idle_ttl = \"2d\"\nbrowser_absolute_ttl = \"1d\"\n");
    assert_eq!(
        error_key(Settings::load_from(&flags_with(&bad), &[])),
        "tokens.browser_idle_ttl"
    );
}

#[test]
fn connection_limits_have_defaults_and_bounds() {
    let s = Settings::load_from(&Flags::default(), &[]).expect("defaults");
    let limits = s.server.limits;
    assert_eq!(limits.header_read_timeout, Duration::from_secs(10));
    assert_eq!(limits.max_connections, 1024);
    assert_eq!(limits.max_header_bytes, 32 * 1024);
    assert_eq!(limits.max_streams_per_address, 8);
    let file = config_file(
        "[server]\nheader_read_timeout = \"5s\"\nmax_connections = 10\n\
         max_header_bytes = 8192\nmax_streams_per_address = 1\n",
    );
    let s = Settings::load_from(&flags_with(&file), &[]).expect("valid");
    assert_eq!(s.server.limits.header_read_timeout, Duration::from_secs(5));
    assert_eq!(s.server.limits.max_connections, 10);
    assert_eq!(s.server.limits.max_header_bytes, 8192);
    assert_eq!(s.server.limits.max_streams_per_address, 1);
    for (var, value, key) in [
        (
            "TESSERA_SERVER__HEADER_READ_TIMEOUT",
            "0s",
            "server.header_read_timeout",
        ),
        (
            "TESSERA_SERVER__HEADER_READ_TIMEOUT",
            "6m",
            "server.header_read_timeout",
        ),
        (
            "TESSERA_SERVER__MAX_CONNECTIONS",
            "0",
            "server.max_connections",
        ),
        (
            "TESSERA_SERVER__MAX_HEADER_BYTES",
            "100",
            "server.max_header_bytes",
        ),
        (
            "TESSERA_SERVER__MAX_STREAMS_PER_ADDRESS",
            "0",
            "server.max_streams_per_address",
        ),
    ] {
        let result = Settings::load_from(&Flags::default(), &env(&[(var, value)]));
        assert_eq!(error_key(result), key, "{var}={value}");
    }
}

#[test]
fn metrics_access_is_open_by_default_and_configurable() {
    let s = Settings::load_from(&Flags::default(), &[]).expect("defaults");
    assert_eq!(s.server.metrics.listen, None);
    assert_eq!(s.server.metrics.token, None);
    let token = "0123456789abcdef0123456789abcdef";
    let vars = env(&[
        ("TESSERA_SERVER__METRICS_LISTEN", "127.0.0.1:9100"),
        ("TESSERA_SERVER__METRICS_TOKEN", token),
    ]);
    let s = Settings::load_from(&Flags::default(), &vars).expect("valid");
    assert_eq!(
        s.server.metrics.listen,
        Some(SocketAddr::from(([127, 0, 0, 1], 9100)))
    );
    assert_eq!(s.server.metrics.token.as_deref(), Some(token));
    assert!(
        !format!("{s:?}").contains(token),
        "the token is never printed"
    );
    for (var, value, key) in [
        (
            "TESSERA_SERVER__METRICS_LISTEN",
            "localhost",
            "server.metrics_listen",
        ),
        (
            "TESSERA_SERVER__METRICS_TOKEN",
            "short",
            "server.metrics_token",
        ),
        (
            "TESSERA_SERVER__METRICS_TOKEN",
            "has a space in it, sixteen+",
            "server.metrics_token",
        ),
    ] {
        let result = Settings::load_from(&Flags::default(), &env(&[(var, value)]));
        assert_eq!(error_key(result), key, "{var}={value}");
    }
}

#[test]
fn mfa_asks_administrators_in_the_console_by_default_and_listed_roles_everywhere() {
    let s = Settings::load_from(&Flags::default(), &[]).expect("defaults");
    assert!(s.mfa.required_roles.is_empty());
    let authority = s.to_authority_config();
    assert!(authority.second_factor_roles.is_empty());
    assert!(authority.console_second_factor);
    let off = config_file("[mfa]\nconsole = false\n");
    let s = Settings::load_from(&flags_with(&off), &[]).expect("settings");
    assert!(!s.to_authority_config().console_second_factor);
    let vars = env(&[("TESSERA_MFA__CONSOLE", "maybe")]);
    let err = Settings::load_from(&Flags::default(), &vars);
    assert_eq!(error_key(err), "mfa.console");

    let file = config_file("[mfa]\nrequired_roles = [\"admin\", \"ops\", \"admin\"]\n");
    let s = Settings::load_from(&flags_with(&file), &[]).expect("settings");
    assert_eq!(s.mfa.required_roles, ["admin", "ops"], "repeats dropped");
    assert_eq!(
        s.to_authority_config().second_factor_roles,
        ["admin", "ops"]
    );

    let off = config_file("[mfa]\nrequired_roles = []\n");
    let s = Settings::load_from(&flags_with(&off), &[]).expect("settings");
    assert!(s.to_authority_config().second_factor_roles.is_empty());

    // The environment beats the file, comma-separated; empty turns the policy off too.
    let vars = env(&[("TESSERA_MFA__REQUIRED_ROLES", "auditor, support")]);
    let s = Settings::load_from(&flags_with(&file), &vars).expect("settings");
    assert_eq!(s.mfa.required_roles, ["auditor", "support"]);
    let vars = env(&[("TESSERA_MFA__REQUIRED_ROLES", "")]);
    let s = Settings::load_from(&Flags::default(), &vars).expect("settings");
    assert!(s.mfa.required_roles.is_empty());

    for bad in [
        "[mfa]\nrequired_roles = [\"site admin\"]\n",
        "[mfa]\nrequired_roles = [\"ünïcode\"]\n",
        "[mfa]\nrequired_roles = [1]\n",
        "[mfa]\nrequired_roles = \"admin\"\nother = 1\n",
    ] {
        let file = config_file(bad);
        let err = Settings::load_from(&flags_with(&file), &[]).expect_err(bad);
        let key = err.key_name().unwrap_or("");
        assert!(key.starts_with("mfa."), "{bad}: {err}");
    }
    let long = format!("[mfa]\nrequired_roles = [\"{}\"]\n", "r".repeat(65));
    let file = config_file(&long);
    let err = Settings::load_from(&flags_with(&file), &[]).expect_err("too long");
    assert_eq!(err.key_name(), Some("mfa.required_roles"));
    assert!(
        err.to_string().contains("TESSERA_MFA__REQUIRED_ROLES"),
        "{err}"
    );
    let vars = env(&[("TESSERA_MFA__REQUIRED_ROLES", "admin,site admin")]);
    assert_eq!(
        error_key(Settings::load_from(&Flags::default(), &vars)),
        "mfa.required_roles"
    );
}
