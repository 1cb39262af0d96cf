//! `tessera doctor`: a healthy deployment passes against its running server; a loose master
//! key file, an issuer that names another URL, an issuer that does not answer and pending
//! migrations (which doctor must not apply) are each reported with what to do; `--json`
//! parses. Only 127.0.0.1 and localhost are contacted.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{Deployment, assert_fails, stdout_of};

/// The checks, in the order doctor prints them.
const CHECKS: [&str; 8] = [
    "config",
    "database",
    "data-dir",
    "master-key",
    "keys",
    "issuer",
    "tls",
    "clock",
];

/// `tessera serve` on a free port of 127.0.0.1, stopped (by its own handle) when dropped.
struct Serving {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    base: String,
}

impl Serving {
    fn start(deployment: &Deployment) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("TESSERA_") {
                command.env_remove(name);
            }
        }
        let mut child = command
            .arg("--data-dir")
            .arg(deployment.data_dir())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tessera serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("tessera listening on ") {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("serve said where it listens");
        Self { child, base }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Stdout's lines, each `STATUS  NAME  message`, as (status, name, line).
fn lines(output: &Output) -> Vec<(String, String, String)> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let mut words = line.split_whitespace();
            let status = words.next().unwrap_or_default().to_owned();
            let name = words.next().unwrap_or_default().to_owned();
            (status, name, line.to_owned())
        })
        .collect()
}

/// The line of check `name`, which must have `status`.
fn line_of(output: &Output, name: &str, status: &str) -> String {
    let found = lines(output).into_iter().find(|(_, n, _)| n == name);
    let (got, _, line) = found.unwrap_or_else(|| panic!("no {name} line in {output:?}"));
    assert_eq!(got, status, "{line}");
    line
}

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[test]
fn a_healthy_deployment_passes_against_its_running_server() {
    let deployment = Deployment::new();
    let server = Serving::start(&deployment);

    let output = deployment.run(&["doctor", "--issuer", &server.base]);
    let stdout = stdout_of(&output, &["doctor"]);
    let found = lines(&output);
    let names: Vec<&str> = found.iter().map(|(_, name, _)| name.as_str()).collect();
    assert_eq!(names, CHECKS, "{stdout}");
    for (status, _, line) in &found {
        assert_eq!(status, "ok", "{line}");
    }
    assert!(
        stdout.contains("mode 0600; it opens the stored signing keys"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("answers with issuer {}", server.base)),
        "{stdout}"
    );

    let healthz = format!("{}/healthz", server.base);
    let output = deployment.run(&["doctor", "--healthz", &healthz]);
    let said = stdout_of(&output, &["doctor", "--healthz"]);
    assert!(said.starts_with("ok    healthz"), "{said}");
}

#[test]
fn a_master_key_file_others_can_read_is_reported_with_the_fix() {
    use std::os::unix::fs::PermissionsExt as _;
    let deployment = Deployment::new();
    let key = deployment.data_dir().join("master.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");

    let output = deployment.run(&["doctor", "--offline"]);
    assert_fails(&output, 2, "1 of 8 checks failed: master-key");
    let line = line_of(&output, "master-key", "fail");
    assert!(line.contains("has mode 0644"), "{line}");
    assert!(line.contains("the server refuses it"), "{line}");
    let shown = std::path::absolute(&key).expect("absolute");
    assert!(
        line.ends_with(&format!("fix: chmod 600 {}", shown.display())),
        "{line}"
    );
    line_of(&output, "keys", "skip");
    line_of(&output, "database", "ok");
    for name in ["issuer", "clock"] {
        assert!(line_of(&output, name, "skip").ends_with("--offline"));
    }
}

#[test]
fn an_issuer_that_names_another_url_is_reported() {
    let deployment = Deployment::new();
    let server = Serving::start(&deployment);
    // The same server, reached by another name than the one it issues tokens as.
    let other = server.base.replace("127.0.0.1", "localhost");

    let output = deployment.run(&["doctor", "--issuer", &other]);
    assert_fails(&output, 2, "1 of 8 checks failed: issuer");
    let line = line_of(&output, "issuer", "fail");
    assert!(
        line.contains(&format!(
            "says its issuer is {:?}, the settings say {other:?}",
            server.base
        )),
        "{line}"
    );
    assert!(line.contains("fix: set the same server.issuer"), "{line}");
    line_of(&output, "clock", "ok");
}

#[test]
fn an_issuer_that_does_not_answer_fails_and_the_checks_that_need_it_say_so() {
    let deployment = Deployment::new();
    let issuer = format!("http://127.0.0.1:{}", closed_port());

    let output = deployment.run(&["doctor", "--issuer", &issuer]);
    assert_fails(&output, 2, "1 of 8 checks failed: issuer");
    let line = line_of(&output, "issuer", "fail");
    assert!(
        line.contains(&format!(
            "cannot reach {issuer}/.well-known/openid-configuration: "
        )),
        "{line}"
    );
    assert!(line.contains("fix: start `tessera serve`"), "{line}");
    line_of(&output, "tls", "ok");
    assert!(line_of(&output, "clock", "skip").ends_with("the issuer did not answer"));

    let output = deployment.run(&["doctor", "--healthz", &format!("{issuer}/healthz")]);
    assert_fails(&output, 2, "1 of 1 checks failed: healthz");
}

#[test]
fn a_store_with_pending_migrations_is_reported_and_not_opened() {
    use std::os::unix::fs::DirBuilderExt as _;
    let deployment = Deployment::empty();
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(deployment.data_dir())
        .expect("data dir");
    // An empty SQLite file: a store that lacks every migration.
    std::fs::write(deployment.data_dir().join("tessera.db"), b"").expect("empty store");

    let output = deployment
        .cmd(&["doctor", "--offline"])
        .env(
            "TESSERA_MASTER_KEY",
            "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=",
        )
        .output()
        .expect("run tessera");
    stdout_of(&output, &["doctor"]);
    let line = line_of(&output, "database", "warn");
    assert!(
        line.contains("migrations are pending: 0001 initial"),
        "{line}"
    );
    assert!(line.contains("fix: run `tessera migrate`"), "{line}");
    assert!(line_of(&output, "master-key", "ok").contains("given in TESSERA_MASTER_KEY"));
    line_of(&output, "keys", "skip");
    // Doctor opened nothing: the migrations are still pending.
    assert_fails(
        &deployment.run(&["migrate", "--check"]),
        1,
        "migrations are pending",
    );
}

#[test]
fn json_output_parses_and_says_whether_all_passed() {
    let deployment = Deployment::new();
    let report = deployment.json(&["doctor", "--offline", "--json"]);
    assert_eq!(report["ok"], true, "{report}");
    let checks = report["checks"].as_array().expect("checks");
    let names: Vec<&str> = checks.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, CHECKS);
    for check in checks {
        let status = check["status"].as_str().expect("status");
        assert!(["ok", "skip"].contains(&status), "{check}");
        assert!(check["message"].is_string(), "{check}");
    }
    assert_eq!(checks[5]["status"], "skip");

    // Without a store: the database fails, with the fix in its own member.
    let empty = Deployment::empty();
    let output = empty.run(&["doctor", "--offline", "--json"]);
    assert_fails(&output, 2, "checks failed: database");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    assert_eq!(report["ok"], false);
    assert_eq!(report["checks"][1]["status"], "fail");
    assert!(
        report["checks"][1]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("no Tessera store")),
        "{report}"
    );
    assert!(report["checks"][1]["fix"].is_string(), "{report}");
}
