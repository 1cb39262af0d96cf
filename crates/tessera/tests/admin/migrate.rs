//! `tessera migrate [--check]` on SQLite, and on PostgreSQL when TESSERA_TEST_DATABASE_URL
//! names a server (with the other admin commands there).

use std::process::Command as Process;

use crate::helpers::{Deployment, assert_fails, stdout_of};

#[test]
fn check_lists_pending_migrations_exits_1_and_creates_nothing() {
    let d = Deployment::empty();
    let output = d.run(&["migrate", "--check"]);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        stdout,
        "pending 0001 initial\npending 0002 login lockouts\npending 0003 browser sign in\npending 0004 dpop\npending 0005 audit trail\npending 0006 webhooks\npending 0007 factors\npending 0008 device grant\n"
    );
    assert_fails(&output, 1, "8 migrations are pending");
    assert!(!d.data_dir().exists(), "--check changed nothing");
}

#[test]
fn migrate_applies_each_migration_once_then_check_passes() {
    let d = Deployment::empty();
    let applied = d.ok(&["migrate"]);
    assert_eq!(
        applied,
        "applied 0001 initial\napplied 0002 login lockouts\napplied 0003 browser sign in\napplied 0004 dpop\napplied 0005 audit trail\napplied 0006 webhooks\napplied 0007 factors\napplied 0008 device grant\n"
    );
    assert!(d.data_dir().join("tessera.db").is_file());
    assert!(d.ok(&["migrate"]).contains("nothing to apply"));
    assert!(d.ok(&["migrate", "--check"]).contains("nothing is pending"));
    // The migrated database is a usable deployment.
    d.add_user("alice", "correct horse battery");
    assert!(d.ok(&["user", "list"]).contains("alice"));
}

#[test]
fn bad_usage_or_configuration_exits_2() {
    let d = Deployment::empty();
    let output = d.run(&["migrate", "--check", "--all"]);
    assert_eq!(output.status.code(), Some(2));
    let output = d.run(&[
        "--database-url",
        "mysql://u:secret-pw@db/x",
        "migrate",
        "--check",
    ]);
    let stderr = assert_fails(&output, 2, "database.url");
    assert!(!stderr.contains("secret-pw"), "{stderr}");
}

#[test]
fn unreachable_postgres_exits_2_without_showing_the_password() {
    let d = Deployment::empty();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("postgres://u:secret-pw@127.0.0.1:{port}/tessera");
    for args in [["migrate", "--check"].as_slice(), &["migrate"]] {
        let output = d
            .cmd(args)
            .arg("--database-url")
            .arg(&url)
            .output()
            .expect("run");
        let stderr = assert_fails(&output, 2, "database");
        assert!(!stderr.contains("secret-pw"), "{stderr}");
    }
}

#[test]
fn help_explains_the_exit_codes_with_an_example() {
    let help = Deployment::empty().ok(&["migrate", "--help"]);
    assert!(help.contains("Exit codes: 0"), "{help}");
    assert!(help.contains("1 with --check"), "{help}");
    assert!(
        help.contains("tessera migrate --check || tessera migrate"),
        "{help}"
    );
}

/// A schema of its own on the test server, made and dropped with `psql`.
struct PgSchema {
    server: String,
    name: String,
}

impl PgSchema {
    fn create(server: &str) -> Self {
        let name = format!("tessera_cli_{}", std::process::id());
        let schema = Self {
            server: server.to_owned(),
            name,
        };
        schema.psql(&format!(
            "DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}",
            schema.name
        ));
        schema
    }

    fn url(&self) -> String {
        let separator = if self.server.contains('?') { '&' } else { '?' };
        format!(
            "{}{separator}options=-c%20search_path%3D{}",
            self.server, self.name
        )
    }

    fn psql(&self, sql: &str) {
        let status = Process::new("psql")
            .env("PGOPTIONS", "-c client_min_messages=warning")
            .args(["-q", "-v", "ON_ERROR_STOP=1", &self.server, "-c", sql])
            .status()
            .expect("psql runs");
        assert!(status.success(), "psql {sql}");
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        self.psql(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

#[test]
#[ignore = "needs PostgreSQL: set TESSERA_TEST_DATABASE_URL"]
fn postgres_migrate_then_admin_commands() {
    let server = std::env::var("TESSERA_TEST_DATABASE_URL")
        .expect("TESSERA_TEST_DATABASE_URL is not set: the PostgreSQL CLI test did not run");
    let schema = PgSchema::create(&server);
    let url = schema.url();
    let d = Deployment::empty();
    let run = |args: &[&str]| {
        d.cmd(args)
            .arg("--database-url")
            .arg(&url)
            .output()
            .expect("run")
    };

    assert_fails(&run(&["migrate", "--check"]), 1, "8 migrations are pending");
    let applied = stdout_of(&run(&["migrate"]), &["migrate"]);
    assert_eq!(
        applied,
        "applied 0001 initial\napplied 0002 login lockouts\napplied 0003 browser sign in\napplied 0004 dpop\napplied 0005 audit trail\napplied 0006 webhooks\napplied 0007 factors\napplied 0008 device grant\n"
    );
    let checked = stdout_of(&run(&["migrate", "--check"]), &["migrate", "--check"]);
    assert!(checked.contains("nothing is pending"), "{checked}");

    let added = d
        .cmd(&["user", "add", "alice", "--password-stdin"])
        .arg("--database-url")
        .arg(&url)
        .write_stdin("correct horse battery")
        .output()
        .expect("run");
    stdout_of(&added, &["user", "add"]);
    let client = stdout_of(
        &run(&["client", "add", "app", "--grant", "client_credentials"]),
        &["client", "add"],
    );
    assert!(client.contains("client_secret"), "{client}");
    assert!(stdout_of(&run(&["user", "list"]), &["user", "list"]).contains("alice"));
    let keys: serde_json::Value =
        serde_json::from_str(&stdout_of(&run(&["keys", "list", "--json"]), &["keys"]))
            .expect("json");
    assert_eq!(keys.as_array().map(Vec::len), Some(1));
    stdout_of(
        &run(&["keys", "rotate", "--alg", "ES256"]),
        &["keys", "rotate"],
    );
    let keys: serde_json::Value =
        serde_json::from_str(&stdout_of(&run(&["keys", "list", "--json"]), &["keys"]))
            .expect("json");
    assert_eq!(keys[1]["alg"], "ES256");
}
