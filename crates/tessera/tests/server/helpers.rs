//! [`ServerProcess`] (spawn `tessera serve` on port 0, wait until it serves, stop it on
//! drop), the admin CLI against its data directory, and a small HTTP client.

#![allow(dead_code)]

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;
use tempfile::TempDir;

/// The password of the test users.
pub(crate) const PASSWORD: &str = "correct horse battery staple";
/// How long a server may take to start.
const START_DEADLINE: Duration = Duration::from_secs(30);

/// A temporary data directory shared by a server and the CLI.
pub(crate) struct DataDir {
    dir: TempDir,
}

impl DataDir {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub(crate) fn path(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `tessera --data-dir DIR …` with cheap Argon2 and no inherited TESSERA_* variables.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("TESSERA_") {
                cmd.env_remove(name);
            }
        }
        cmd.env("TESSERA_PASSWORDS__MEMORY_KIB", "256")
            .env("TESSERA_PASSWORDS__ITERATIONS", "1")
            .arg("--data-dir")
            .arg(self.path())
            .args(args);
        cmd
    }

    /// Runs an admin command, feeding `stdin`; panics unless it succeeds.
    pub(crate) fn cli(&self, args: &[&str], stdin: &str) -> String {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tessera");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        let output: Output = child.wait_with_output().expect("wait");
        assert!(
            output.status.success(),
            "tessera {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8")
    }

    /// `tessera user add NAME --password-stdin [--role R]…`.
    pub(crate) fn add_user(&self, name: &str, roles: &[&str]) {
        let mut args = vec!["user", "add", name, "--password-stdin"];
        let email = format!("{name}@example.com");
        args.extend(["--email", &email]);
        for role in roles {
            args.extend(["--role", role]);
        }
        self.cli(&args, &format!("{PASSWORD}\n"));
    }

    /// `tessera client add …`: the client's credentials.
    pub(crate) fn add_client(&self, grants: &[&str]) -> Client {
        let mut args = vec![
            "client", "add", "app", "--scope", "read", "--scope", "write",
        ];
        for grant in grants {
            args.extend(["--grant", grant]);
        }
        let out: Value = serde_json::from_str(&self.cli(&args, "")).expect("client JSON");
        Client {
            id: out["client_id"].as_str().expect("id").to_owned(),
            secret: out["client_secret"].as_str().map(str::to_owned),
        }
    }
}

/// A registered client.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    pub(crate) id: String,
    pub(crate) secret: Option<String>,
}

impl Client {
    pub(crate) fn basic(&self) -> String {
        let raw = format!("{}:{}", self.id, self.secret.as_deref().unwrap_or(""));
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

/// A running `tessera serve`.
pub(crate) struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT` (or `https://…` with TLS).
    pub(crate) base: String,
    log: PathBuf,
    /// The client that checks `/healthz` (one that trusts the server's certificate).
    health_agent: ureq::Agent,
}

impl ServerProcess {
    /// Starts a server on a free port and waits (with a deadline) until `/healthz` answers.
    pub(crate) fn start(data: &DataDir) -> Self {
        Self::start_with(data, &[])
    }

    /// As [`Self::start`], with extra environment variables.
    pub(crate) fn start_with(data: &DataDir, env: &[(&str, &str)]) -> Self {
        Self::start_args(data, &[], env, agent())
    }

    /// Starts a server serving HTTPS with these PEM files; `agent` must trust the
    /// certificate.
    pub(crate) fn start_tls(data: &DataDir, cert: &Path, key: &Path, agent: ureq::Agent) -> Self {
        let (cert, key) = (shown(cert), shown(key));
        let args = ["--tls-cert", cert.as_str(), "--tls-key", key.as_str()];
        Self::start_args(data, &args, &[], agent)
    }

    fn start_args(
        data: &DataDir,
        args: &[&str],
        env: &[(&str, &str)],
        health_agent: ureq::Agent,
    ) -> Self {
        std::fs::create_dir_all(data.dir.path()).expect("dir");
        let log = data.dir.path().join(format!("server-{}.log", unique()));
        let mut cmd = data.command(&["serve", "--listen", "127.0.0.1:0"]);
        cmd.args(args);
        for (name, value) in env {
            cmd.env(name, value);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn tessera serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("tessera listening on ") {
                    let base = rest.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = tx.send(base);
                }
            }
        });
        let mut server = Self {
            child,
            base: String::new(),
            log,
            health_agent,
        };
        match rx.recv_timeout(START_DEADLINE) {
            Ok(base) => server.base = base,
            Err(_) => panic!("no listening line in time; log:\n{}", server.log_text()),
        }
        server.wait_healthy();
        server
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + START_DEADLINE;
        while Instant::now() < deadline {
            let answer = try_reply(self.health_agent.get(self.url("/healthz")).call());
            if answer.is_some_and(|reply| reply.status == 200) {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        panic!("/healthz never answered; log:\n{}", self.log_text());
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The server's log so far (stderr).
    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the exit.
    pub(crate) fn terminate(mut self) -> ExitStatus {
        self.signal("-TERM");
        let status = wait_deadline(&mut self.child, Duration::from_secs(15));
        status.unwrap_or_else(|| panic!("no exit after SIGTERM; log:\n{}", self.log_text()))
    }

    /// SIGKILL: no chance to clean up.
    pub(crate) fn crash(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The process id (to signal it from another thread).
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .arg(signal)
            .arg(self.child.id().to_string())
            .status();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        self.signal("-TERM");
        if wait_deadline(&mut self.child, Duration::from_secs(5)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn wait_deadline(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        thread::sleep(Duration::from_millis(20));
    }
    None
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// An HTTP answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or("").to_owned()
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

pub(crate) fn reply(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    try_reply(result).expect("HTTP exchange")
}

fn try_reply(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Option<Reply> {
    let mut response = result.ok()?;
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().ok()?;
    Some(Reply {
        status,
        headers,
        body,
    })
}

/// A refresh grant that may fail in transport (the server was killed): `None` then.
pub(crate) fn try_refresh(server_url: &str, client: &Client, refresh_token: &str) -> Option<Reply> {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    try_reply(
        agent()
            .post(&format!("{server_url}/oauth/token"))
            .header("Authorization", &client.basic())
            .send_form(form.iter().copied()),
    )
}

/// SIGKILL by process id.
pub(crate) fn kill_hard(pid: u32) {
    let _ = Command::new("kill")
        .arg("-KILL")
        .arg(pid.to_string())
        .status();
}

/// GET, with a bearer token if given.
pub(crate) fn get(url: &str, bearer: Option<&str>) -> Reply {
    let mut request = agent().get(url);
    if let Some(token) = bearer {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    reply(request.call())
}

/// DELETE with a bearer token.
pub(crate) fn delete(url: &str, bearer: &str) -> Reply {
    reply(
        agent()
            .delete(url)
            .header("Authorization", &format!("Bearer {bearer}"))
            .call(),
    )
}

/// A form POST with an `Authorization` header if given.
pub(crate) fn post_form(url: &str, authorization: Option<&str>, form: &[(&str, &str)]) -> Reply {
    let mut request = agent().post(url);
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    reply(request.send_form(form.iter().copied()))
}

/// A form POST with these extra headers (such as `DPoP`).
pub(crate) fn post_form_with(url: &str, headers: &[(&str, &str)], form: &[(&str, &str)]) -> Reply {
    let mut request = agent().post(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    reply(request.send_form(form.iter().copied()))
}

/// A GET with these headers (such as `Authorization: DPoP …` and `DPoP`).
pub(crate) fn get_with(url: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = agent().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    reply(request.call())
}

/// The token endpoint with HTTP Basic client authentication.
pub(crate) fn token(server: &ServerProcess, client: &Client, form: &[(&str, &str)]) -> Reply {
    post_form(&server.url("/oauth/token"), Some(&client.basic()), form)
}

/// A password login that must succeed: the token response.
pub(crate) fn login(server: &ServerProcess, client: &Client, user: &str) -> Value {
    let reply = token(
        server,
        client,
        &[
            ("grant_type", "password"),
            ("username", user),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

/// A refresh grant.
pub(crate) fn refresh(server: &ServerProcess, client: &Client, refresh_token: &str) -> Reply {
    token(
        server,
        client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
}

pub(crate) fn text(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {value}"))
        .to_owned()
}

/// A server with user `alice` and a confidential password+refresh client.
pub(crate) fn server_with_alice() -> (DataDir, ServerProcess, Client) {
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    data.add_user("alice", &[]);
    let client = data.add_client(&["password", "refresh_token"]);
    (data, server, client)
}

/// Reads an SSE stream until `needle` appears (or the deadline).
pub(crate) fn read_stream_until(url: &str, last_event_id: &str, needle: &str) -> String {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let response = agent
        .get(url)
        .header("Last-Event-ID", last_event_id)
        .call()
        .expect("stream");
    let reader = BufReader::new(response.into_body().into_reader());
    let mut seen = String::new();
    for line in reader.lines() {
        let Ok(line) = line else { break };
        seen.push_str(&line);
        seen.push('\n');
        if seen.contains(needle) {
            break;
        }
    }
    seen
}

/// The data directory path of a server, for messages.
pub(crate) fn shown(path: &Path) -> String {
    path.display().to_string()
}
