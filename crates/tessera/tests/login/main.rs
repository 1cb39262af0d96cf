//! `tessera login` end to end: the real binary against a real `tessera serve` on a loopback
//! port, the request allowed or denied by driving the server's pages over plain HTTP as a
//! browser would (sign in, type the code, continue, allow or deny), with a cookie jar.
//! Every wait has a deadline; nothing leaves 127.0.0.1.

#[path = "../server/helpers.rs"]
mod helpers;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::Value;

use crate::helpers::{DataDir, PASSWORD, Reply, ServerProcess, reply};

/// How long a login may take end to end (the first poll comes after the 5 s interval).
const LOGIN_DEADLINE: Duration = Duration::from_secs(60);
/// How long `tessera login` may take to show its code.
const CODE_DEADLINE: Duration = Duration::from_secs(30);

/// A server with user `alice` and the public device client the README registers.
fn server(env: &[(&str, &str)]) -> (DataDir, ServerProcess, String) {
    let data = DataDir::new();
    let server = ServerProcess::start_with(&data, env);
    data.add_user("alice", &[]);
    let out = data.cli(
        &[
            "client",
            "add",
            "tv",
            "--grant",
            "device_code",
            "--grant",
            "refresh_token",
            "--public",
            "--scope",
            "openid orders:read",
        ],
        "",
    );
    let created: Value = serde_json::from_str(&out).expect("client JSON");
    assert!(
        created.get("client_secret").is_none(),
        "a public client: {out}"
    );
    let client_id = created["client_id"].as_str().expect("client_id").to_owned();
    (data, server, client_id)
}

/// A running `tessera login`, its stderr read line by line as it comes.
struct LoginRun {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl LoginRun {
    fn start(data: &DataDir, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = data.command(&["login"]);
        cmd.args(args);
        for (name, value) in env {
            cmd.env(name, value);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tessera login");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The user code from "Open URL and enter the code XXXX-XXXX", and the URL.
    fn code(&mut self) -> (String, String) {
        let deadline = Instant::now() + CODE_DEADLINE;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Ok(line) = self.lines.recv_timeout(left) else {
                break;
            };
            self.seen.push(line.clone());
            if let Some(rest) = line.strip_prefix("Open ") {
                let (url, code) = rest.split_once(" and enter the code ").expect("code line");
                return (code.trim().to_owned(), url.to_owned());
            }
        }
        self.kill();
        panic!(
            "no code shown in time; stderr so far:\n{}",
            self.seen.join("\n")
        );
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits (with a deadline) for the exit: its status, stdout and all of stderr.
    fn finish(mut self) -> (ExitStatus, String, String) {
        let status = wait_bounded(&mut self.child);
        let mut stdout = String::new();
        self.child
            .stdout
            .take()
            .expect("stdout")
            .read_to_string(&mut stdout)
            .expect("read stdout");
        // The reader thread ends at the end of the pipe, which the exit closed.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        (status, stdout, self.seen.join("\n"))
    }
}

/// A cookie jar over plain HTTP that follows no redirect by itself.
struct Browser {
    agent: ureq::Agent,
    cookies: HashMap<String, String>,
}

impl Browser {
    fn new() -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        Self {
            agent,
            cookies: HashMap::new(),
        }
    }

    fn jar(&self) -> String {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        pairs.join("; ")
    }

    fn keep(&mut self, answer: &Reply) {
        for (name, value) in &answer.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = value.split(';').next().unwrap_or("");
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() {
                    self.cookies.remove(k.trim());
                } else {
                    self.cookies.insert(k.trim().to_owned(), v.to_owned());
                }
            }
        }
    }

    fn get(&mut self, url: &str) -> Reply {
        let answer = reply(self.agent.get(url).header("Cookie", &self.jar()).call());
        self.keep(&answer);
        answer
    }

    fn post(&mut self, url: &str, form: &[(String, String)]) -> Reply {
        let request = self.agent.post(url).header("Cookie", &self.jar());
        let pairs = form.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let answer = reply(request.send_form(pairs));
        self.keep(&answer);
        answer
    }
}

/// The hidden inputs of a page (`<input type="hidden" name="…" value="…">`), unescaped.
fn hidden(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|rest| {
            let field = |start: &str| {
                let from = rest.find(start).expect("attribute") + start.len();
                unescape(&rest[from..from + rest[from..].find('"').expect("end")])
            };
            (field("name=\""), field("value=\""))
        })
        .collect()
}

/// The `value` of the input named `name`.
fn input_value(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no input {name}:\n{html}"));
    let rest = &html[at..html[at..].find('>').map_or(html.len(), |end| at + end)];
    let from = rest.find("value=\"").expect("a value") + "value=\"".len();
    unescape(&rest[from..from + rest[from..].find('"').expect("end")])
}

/// A user code as the server compares it: letters only, upper case.
fn normalized(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase()
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `Location` of a 303, made absolute.
fn location(server: &ServerProcess, answer: &Reply) -> String {
    assert_eq!(answer.status, 303, "{}", answer.body);
    let to = answer.header("location").expect("location");
    if to.starts_with('/') {
        server.url(to)
    } else {
        to.to_owned()
    }
}

/// Signs alice in at the server's pages and allows (or denies) the request `user_code`.
fn decide(server: &ServerProcess, user_code: &str, allow: bool) {
    let mut browser = Browser::new();
    // The QR code's URL: not signed in yet, so to the sign-in page first.
    let first = browser.get(&server.url(&format!("/ui/device?user_code={user_code}")));
    let page = browser.get(&location(server, &first));
    assert_eq!(page.status, 200, "{}", page.body);
    let mut form = hidden(&page.body);
    for (name, value) in [
        ("username", "alice"),
        ("password", PASSWORD),
        ("action", "sign_in"),
    ] {
        form.push((name.to_owned(), value.to_owned()));
    }
    let signed_in = browser.post(&server.url("/ui/login"), &form);
    let entry = browser.get(&location(server, &signed_in));
    assert_eq!(entry.status, 200, "{}", entry.body);
    // Filled in from the QR code's URL (with or without its dash: the server's choice).
    let typed = input_value(&entry.body, "user_code");
    assert_eq!(normalized(&typed), normalized(user_code), "{}", entry.body);
    let csrf = hidden(&entry.body)
        .into_iter()
        .find(|(name, _)| name == "csrf_token")
        .expect("csrf_token");
    let form = vec![
        csrf,
        ("user_code".to_owned(), user_code.to_owned()),
        ("action".to_owned(), "continue".to_owned()),
    ];
    let confirm = browser.post(&server.url("/ui/device"), &form);
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let mut form = hidden(&confirm.body);
    assert!(
        form.iter()
            .any(|(name, value)| name == "user_code" && normalized(value) == normalized(user_code)),
        "{}",
        confirm.body
    );
    let action = if allow { "allow" } else { "deny" };
    form.push(("action".to_owned(), action.to_owned()));
    let done = browser.post(&server.url("/ui/device"), &form);
    assert_eq!(done.status, 200, "{}", done.body);
}

/// A whole login allowed by alice: the run's status, stdout and stderr.
fn login(
    data: &DataDir,
    server: &ServerProcess,
    args: &[&str],
    env: &[(&str, &str)],
    allow: bool,
) -> (ExitStatus, String, String) {
    let mut run = LoginRun::start(data, args, env);
    let (code, url) = run.code();
    assert_eq!(url, server.url("/ui/device"));
    decide(server, &code, allow);
    run.finish()
}

/// `tessera login …` run to its end (bounded): status, stdout, stderr.
fn run(data: &DataDir, args: &[&str]) -> (ExitStatus, String, String) {
    let mut child = data
        .command(&["login"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tessera login");
    let read = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = read(Box::new(child.stdout.take().expect("stdout")));
    let stderr = read(Box::new(child.stderr.take().expect("stderr")));
    let status = wait_bounded(&mut child);
    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    (status, stdout, stderr)
}

/// Waits for `child` to exit, killing it (and failing) after [`LOGIN_DEADLINE`].
fn wait_bounded(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + LOGIN_DEADLINE;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tessera login did not end within {LOGIN_DEADLINE:?}");
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("token file")).expect("JSON")
}

fn entry<'a>(tokens: &'a Value, client_id: &str) -> &'a Value {
    tokens["logins"]
        .as_array()
        .expect("logins")
        .iter()
        .find(|login| login["client_id"] == client_id)
        .unwrap_or_else(|| panic!("no login for {client_id} in {tokens}"))
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {value}"))
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("claims JSON")
}

fn now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    i64::try_from(secs).expect("fits")
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// One `error: …` line on stderr, and nothing else.
fn one_error_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected:\n{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    lines[0]
}

#[test]
fn a_login_stores_the_tokens_privately_and_prints_only_with_print_token() {
    let (data, server, client_id) = server(&[]);
    let home = tempfile::tempdir().expect("temp dir");
    let xdg = home.path().join("config");
    let xdg_text = xdg.to_str().expect("utf-8 path");
    let env = [("XDG_CONFIG_HOME", xdg_text)];
    let args = ["--issuer", &server.base, "--client-id", &client_id, "--qr"];
    let (status, stdout, stderr) = login(&data, &server, &args, &env, true);
    assert!(status.success(), "{stderr}");
    assert_eq!(stdout, "", "nothing on stdout without --print-token");
    assert!(
        stderr.contains('\u{2580}') || stderr.contains('\u{2584}'),
        "--qr draws the code in half blocks:\n{stderr}"
    );
    assert!(stderr.contains("/ui/device?user_code="), "{stderr}");

    let path = xdg.join("tessera").join("tokens.json");
    let tokens = read_json(&path);
    let login = entry(&tokens, &client_id);
    assert_eq!(text(login, "issuer"), server.base);
    assert_eq!(text(login, "token_type"), "Bearer");
    assert_eq!(text(login, "scope"), "openid orders:read");
    let left = login["expires_at"].as_i64().expect("expires_at") - now();
    assert!(
        (800..=900).contains(&left),
        "a 15-minute token: {left} s left"
    );
    let access_token = text(login, "access_token");
    let refresh_token = text(login, "refresh_token");
    let id_token = text(login, "id_token");
    for secret in [access_token, refresh_token, id_token] {
        assert!(!stderr.contains(secret), "a token was printed:\n{stderr}");
    }
    #[cfg(unix)]
    {
        assert_eq!(mode(&path), 0o600, "the token file");
        assert_eq!(mode(&xdg.join("tessera")), 0o700, "its directory");
    }

    let token_file = path.to_str().expect("utf-8 path");
    let (status, stdout, stderr) = run(
        &data,
        &[
            "--issuer",
            &server.base,
            "--client-id",
            &client_id,
            "--print-token",
            "--token-file",
            token_file,
        ],
    );
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        format!("{access_token}\n"),
        "the stored token, alone"
    );
    assert_eq!(stderr, "");
    let claims = claims(stdout.trim());
    assert_eq!(claims["client_id"], client_id.as_str(), "{claims}");
    assert_eq!(claims["iss"], server.base.as_str(), "{claims}");
    assert!(
        text(&claims, "scope")
            .split(' ')
            .any(|s| s == "orders:read"),
        "{claims}"
    );
    // The token works where a service would use it.
    let userinfo = helpers::get(&server.url("/userinfo"), Some(stdout.trim()));
    assert_eq!(userinfo.status, 200, "{}", userinfo.body);
}

#[test]
fn print_token_refreshes_an_expired_token_and_stores_the_rotated_refresh_token() {
    let (data, server, client_id) = server(&[("TESSERA_TOKENS__ACCESS_TTL", "2s")]);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tokens.json");
    let token_file = path.to_str().expect("utf-8 path");
    let args = [
        "--issuer",
        &server.base,
        "--client-id",
        &client_id,
        "--token-file",
        token_file,
    ];
    let (status, _, stderr) = login(&data, &server, &args, &[], true);
    assert!(status.success(), "{stderr}");
    let first = entry(&read_json(&path), &client_id).clone();
    let expires_at = first["expires_at"].as_i64().expect("expires_at");
    // Past the access token's expiry.
    while now() <= expires_at {
        thread::sleep(Duration::from_millis(200));
    }
    let mut print = args.to_vec();
    print.push("--print-token");
    let (status, stdout, stderr) = run(&data, &print);
    assert!(status.success(), "{stderr}");
    let renewed = entry(&read_json(&path), &client_id).clone();
    let token = stdout.trim();
    assert_eq!(stdout, format!("{token}\n"));
    assert_ne!(token, text(&first, "access_token"), "a new access token");
    assert_eq!(token, text(&renewed, "access_token"), "stored as printed");
    assert_ne!(
        text(&renewed, "refresh_token"),
        text(&first, "refresh_token"),
        "the rotated refresh token is stored"
    );
    // The server sends a new ID token with the refresh; it replaces the old one.
    assert_eq!(
        claims(text(&renewed, "id_token"))["aud"],
        client_id.as_str()
    );
    assert_eq!(claims(token)["client_id"], client_id.as_str());
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600, "still private after the rewrite");
    // The stored (rotated) refresh token is the live one: the next refresh works too.
    let (status, again, stderr) = run(&data, &print);
    assert!(status.success(), "{stderr}");
    assert_ne!(again.trim(), token);
}

#[test]
fn a_denied_request_ends_with_one_line_and_stores_nothing() {
    let (data, server, client_id) = server(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tokens.json");
    let args = [
        "--issuer",
        &server.base,
        "--client-id",
        &client_id,
        "--token-file",
        path.to_str().expect("utf-8 path"),
    ];
    let (status, stdout, stderr) = login(&data, &server, &args, &[], false);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(stdout, "");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: the request was denied in the browser (access_denied)"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{stderr}"
    );
    assert!(!path.exists(), "nothing stored");
}

#[test]
fn print_token_without_a_usable_login_says_to_log_in() {
    // No login at all: answered from the file alone (nothing listens on this port).
    let data = DataDir::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tokens.json");
    let token_file = path.to_str().expect("utf-8 path");
    let issuer = "http://127.0.0.1:9";
    let args = [
        "--issuer",
        issuer,
        "--client-id",
        "c_nobody",
        "--print-token",
        "--token-file",
        token_file,
    ];
    let (status, stdout, stderr) = run(&data, &args);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(stdout, "");
    let line = one_error_line(&stderr);
    assert!(
        line.contains("no stored login for client c_nobody"),
        "{line}"
    );
    assert!(
        line.ends_with(
            "(login_required); hint: run `tessera login --issuer http://127.0.0.1:9 \
             --client-id c_nobody`"
        ),
        "{line}"
    );

    // A login whose refresh token the server refuses (ended, or never its own).
    let (data, server, client_id) = server(&[]);
    let stale = serde_json::json!({
        "version": 1,
        "logins": [{
            "issuer": server.base,
            "client_id": client_id,
            "token_type": "Bearer",
            "access_token": "expired.access.token",
            "expires_at": now() - 10,
            "refresh_token": "not-a-refresh-token-of-this-server",
        }]
    });
    write_private(&path, &stale.to_string());
    let args = [
        "--issuer",
        &server.base,
        "--client-id",
        &client_id,
        "--print-token",
        "--token-file",
        token_file,
    ];
    let (status, stdout, stderr) = run(&data, &args);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(stdout, "");
    let line = one_error_line(&stderr);
    assert!(line.contains("the stored login has ended"), "{line}");
    assert!(line.contains("(invalid_grant)"), "{line}");
    let hint = format!(
        "hint: run `tessera login --issuer {} --client-id {client_id}`",
        server.base
    );
    assert!(line.ends_with(&hint), "{line}");
}

fn write_private(path: &Path, contents: &str) {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).expect("token file");
    file.write_all(contents.as_bytes()).expect("write");
}

/// A request the fake issuer saw.
#[derive(Debug)]
struct Seen {
    /// `GET /.well-known/openid-configuration HTTP/1.1`.
    line: String,
    /// The form, for a POST.
    body: String,
    at: Instant,
}

/// A listener on 127.0.0.1 that answers the `n`th connection (one request each) with the
/// status and JSON body `reply(n, its own base URL)` gives, for up to `max` connections.
fn fake_issuer(
    max: usize,
    reply: impl Fn(usize, &str) -> (u16, String) + Send + 'static,
) -> (String, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    let issuer = base.clone();
    thread::spawn(move || {
        for (n, stream) in listener.incoming().take(max).enumerate() {
            let Ok(stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let mut length = 0;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
                let header = header.to_ascii_lowercase();
                if let Some(value) = header.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length.min(64 * 1024)];
            let _ = reader.read_exact(&mut body);
            let (status, json) = reply(n, &issuer);
            let _ = tx.send(Seen {
                line: line.trim_end().to_owned(),
                body: String::from_utf8_lossy(&body).into_owned(),
                at: Instant::now(),
            });
            let _ = write!(
                reader.get_mut(),
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{json}",
                json.len()
            );
        }
    });
    (base, rx)
}

/// Metadata naming `base` as issuer with its endpoints on it.
fn metadata(base: &str) -> String {
    serde_json::json!({
        "issuer": base,
        "token_endpoint": format!("{base}/oauth/token"),
        "device_authorization_endpoint": format!("{base}/oauth/device_authorization"),
    })
    .to_string()
}

/// A device authorization answer.
fn device_start(base: &str, interval: u64, expires_in: u64) -> String {
    serde_json::json!({
        "device_code": "dc-1",
        "user_code": "BCDF-GHJK",
        "verification_uri": format!("{base}/ui/device"),
        "verification_uri_complete": format!("{base}/ui/device?user_code=BCDF-GHJK"),
        "interval": interval,
        "expires_in": expires_in,
    })
    .to_string()
}

fn oauth_error(code: &str) -> (u16, String) {
    (400, serde_json::json!({ "error": code }).to_string())
}

#[test]
fn polling_slows_down_when_asked_and_stops_at_expired_token() {
    let data = DataDir::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let token_file = dir.path().join("tokens.json");
    let (issuer, requests) = fake_issuer(5, |n, base| match n {
        0 => (200, metadata(base)),
        1 => (200, device_start(base, 1, 60)),
        2 => oauth_error("slow_down"),
        3 => oauth_error("authorization_pending"),
        _ => oauth_error("expired_token"),
    });
    let args = [
        "--issuer",
        &issuer,
        "--client-id",
        "c1",
        "--token-file",
        token_file.to_str().expect("utf-8 path"),
    ];
    let (status, stdout, stderr) = run(&data, &args);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(stdout, "");
    let last = stderr.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        format!(
            "error: the code expired before the request was approved (expired_token); \
             hint: run `tessera login --issuer {issuer} --client-id c1` again"
        )
    );
    let seen: Vec<Seen> = requests.try_iter().collect();
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(seen[1].line, "POST /oauth/device_authorization HTTP/1.1");
    assert_eq!(seen[1].body, "client_id=c1", "no scope: the client's");
    for poll in &seen[2..] {
        assert_eq!(poll.line, "POST /oauth/token HTTP/1.1");
        assert_eq!(
            poll.body,
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code\
             &device_code=dc-1&client_id=c1"
        );
    }
    let gap = |a: usize, b: usize| seen[b].at.duration_since(seen[a].at);
    assert!(gap(1, 2) >= Duration::from_millis(950), "{:?}", gap(1, 2));
    // slow_down: 1 s + 5 s from then on (RFC 8628 §3.5).
    assert!(gap(2, 3) >= Duration::from_millis(5950), "{:?}", gap(2, 3));
    assert!(gap(3, 4) >= Duration::from_millis(5950), "{:?}", gap(3, 4));
    assert!(!token_file.exists(), "nothing stored");
}

#[test]
fn the_wait_ends_when_the_code_expires_whatever_the_server_says() {
    let data = DataDir::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let token_file = dir.path().join("tokens.json");
    let (issuer, requests) = fake_issuer(64, |n, base| match n {
        0 => (200, metadata(base)),
        1 => (200, device_start(base, 1, 3)),
        _ => oauth_error("authorization_pending"),
    });
    let args = [
        "--issuer",
        &issuer,
        "--client-id",
        "c1",
        "--scope",
        "orders:read",
        "--token-file",
        token_file.to_str().expect("utf-8 path"),
    ];
    let started = Instant::now();
    let (status, _, stderr) = run(&data, &args);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: the code expired before the request was approved"),
        "{stderr}"
    );
    let seen: Vec<Seen> = requests.try_iter().collect();
    assert_eq!(seen[1].body, "client_id=c1&scope=orders%3Aread");
    assert!(
        (3..=5).contains(&seen.len()),
        "polled about once a second: {seen:?}"
    );
}

#[test]
fn plain_http_to_other_hosts_is_refused_before_anything_connects() {
    let data = DataDir::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let token_file: PathBuf = dir.path().join("tokens.json");
    let token_file = token_file.to_str().expect("utf-8 path");
    // `.test` never resolves: a connection attempt would fail differently (and later).
    for extra in [&[][..], &["--print-token"]] {
        let mut args = vec![
            "--issuer",
            "http://auth.example.test",
            "--client-id",
            "c1",
            "--token-file",
            token_file,
        ];
        args.extend_from_slice(extra);
        let started = Instant::now();
        let (status, stdout, stderr) = run(&data, &args);
        assert_eq!(status.code(), Some(2), "{stderr}");
        assert_eq!(stdout, "");
        let line = one_error_line(&stderr);
        assert!(
            line.starts_with("error: refusing plain http for auth.example.test"),
            "{line}"
        );
        assert!(line.contains("(plain_http_refused)"), "{line}");
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    // An issuer on loopback whose metadata sends the device request to plain http
    // elsewhere: refused before the form (with its client_id) goes anywhere.
    let (issuer, requests) = fake_issuer(4, |_, issuer| {
        let doc = serde_json::json!({
            "issuer": issuer,
            "token_endpoint": "http://auth.example.test/oauth/token",
            "device_authorization_endpoint": "http://auth.example.test/oauth/device_authorization",
        });
        (200, doc.to_string())
    });
    let args = [
        "--issuer",
        &issuer,
        "--client-id",
        "c1",
        "--token-file",
        token_file,
    ];
    let (status, _, stderr) = run(&data, &args);
    assert_eq!(status.code(), Some(2), "{stderr}");
    let line = one_error_line(&stderr);
    assert!(
        line.starts_with("error: refusing plain http for auth.example.test"),
        "{line}"
    );
    let seen: Vec<String> = requests.try_iter().map(|seen| seen.line).collect();
    assert_eq!(
        seen,
        ["GET /.well-known/openid-configuration HTTP/1.1"],
        "only the metadata was fetched"
    );
    assert!(!Path::new(token_file).exists());
}

#[test]
fn metadata_naming_another_issuer_is_refused() {
    let data = DataDir::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let token_file = dir.path().join("tokens.json");
    let (issuer, _requests) = fake_issuer(2, |_, _| {
        let doc = serde_json::json!({
            "issuer": "https://evil.example.test",
            "token_endpoint": "https://evil.example.test/oauth/token",
            "device_authorization_endpoint": "https://evil.example.test/device",
        });
        (200, doc.to_string())
    });
    let args = [
        "--issuer",
        &issuer,
        "--client-id",
        "c1",
        "--token-file",
        token_file.to_str().expect("utf-8 path"),
    ];
    let (status, _, stderr) = run(&data, &args);
    assert_eq!(status.code(), Some(2), "{stderr}");
    let line = one_error_line(&stderr);
    assert!(
        line.contains("names the issuer \"https://evil.example.test\""),
        "{line}"
    );
}
