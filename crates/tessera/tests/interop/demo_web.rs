//! The demo web application (examples/demo-web) with protected-api behind it, in Chromium:
//! signing in through Tessera, the orders fetched with the access token, single sign-on for a
//! second client, RP-initiated logout, and back-channel logout.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::helpers::{DataDir, PASSWORD, ServerProcess};
use crate::tools::{Runtime, json_output};

/// A child process that is stopped (by its PID) when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A binary of this workspace next to `tessera`; `.ci/run` builds it.
fn binary(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_BIN_EXE_tessera")).with_file_name(name);
    assert!(
        path.is_file(),
        "{} is missing; build it first: cargo build -p {name}",
        path.display()
    );
    path
}

/// Starts `program` and waits for its `… listening on http://ADDR` line.
fn start(program: PathBuf, args: &[&str], env: &[(&str, &str)]) -> (Running, String) {
    let mut child = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let address = line
        .trim()
        .rsplit(' ')
        .next()
        .expect("an address")
        .to_owned();
    assert!(address.starts_with("http://"), "{line}");
    (Running(child), address)
}

/// A port that is free now, taken below Linux's ephemeral range (32768–60999): the demo and
/// the second redirect receiver bind it a little later, and a port from that range could be
/// handed meanwhile to one of the other tests binding port 0 in parallel.
fn free_port() -> u16 {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    (0..2_000u32)
        .map(|step| 20_000 + u16::try_from((seed / 7 + step * 7_919) % 12_000).unwrap_or(0))
        .find(|&port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
        .expect("a free port between 20000 and 31999")
}

#[test]
#[ignore = "needs chromium (apt), interop/node packages (npm ci), and cargo build -p demo-web -p protected-api"]
fn demo_web_signs_in_calls_the_api_and_signs_out() {
    Runtime::Node.require();
    let (demo_bin, api_bin) = (binary("demo-web"), binary("protected-api"));
    let data = DataDir::new();
    let server = ServerProcess::start(&data);
    data.add_user("alice", &[]);
    let demo = format!("http://127.0.0.1:{}", free_port());
    let (callback, after, backchannel) = (
        format!("{demo}/callback"),
        format!("{demo}/"),
        format!("{demo}/backchannel-logout"),
    );
    let added = data.cli(
        &[
            "client",
            "add",
            "Demo shop",
            "--grant",
            "authorization_code",
            "--scope",
            "openid orders:read",
            "--audience",
            "orders-api",
            "--redirect-uri",
            &callback,
            "--post-logout-redirect-uri",
            &after,
            "--backchannel-logout-uri",
            &backchannel,
            "--first-party",
        ],
        "",
    );
    let client: Value = serde_json::from_str(&added).expect("client JSON");
    // Never served: the browser script intercepts it (port 9, the usual "nothing here",
    // is one Chromium refuses to visit).
    let second_redirect = &format!("http://127.0.0.1:{}/second", free_port());
    let second: Value = serde_json::from_str(&data.cli(
        &[
            "client",
            "add",
            "Second app",
            "--grant",
            "authorization_code",
            "--scope",
            "openid",
            "--redirect-uri",
            second_redirect,
            "--first-party",
            "--public",
        ],
        "",
    ))
    .expect("client JSON");
    let (_api, api) = start(
        api_bin,
        &[
            "--issuer",
            &server.base,
            "--audience",
            "orders-api",
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    let listen = demo.trim_start_matches("http://");
    let orders = format!("{api}/orders");
    let (_demo, _) = start(
        demo_bin,
        &[
            "--issuer",
            &server.base,
            "--client-id",
            client["client_id"].as_str().expect("id"),
            "--listen",
            listen,
            "--api",
            &orders,
        ],
        &[(
            "DEMO_CLIENT_SECRET",
            client["client_secret"].as_str().expect("secret"),
        )],
    );
    let screenshots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    let output = Runtime::Node.run(
        "demo-flow.mjs",
        &[
            "--issuer",
            &server.base,
            "--demo",
            &demo,
            "--username",
            "alice",
            "--second-client-id",
            second["client_id"].as_str().expect("id"),
            "--second-redirect-uri",
            second_redirect,
            "--screenshots",
            screenshots.to_str().expect("utf-8 path"),
        ],
        &json!({ "password": PASSWORD }).to_string(),
    );
    if !output.status.success() {
        eprintln!("server log:\n{}", server.log_text());
    }
    let report = json_output("demo flow", &output);
    assert_eq!(report["login_page_at_issuer"], true, "{report}");
    assert_eq!(report["demo_user"], "alice", "{report}");
    assert_eq!(report["api_status"], "The API answered 200.", "{report}");
    assert_eq!(report["orders"], "[]", "{report}");
    assert_eq!(report["sso_second_client"], true, "{report}");
    assert_eq!(report["after_demo_logout"], true, "{report}");
    assert_eq!(report["issuer_session_ended"], true, "{report}");
    assert_eq!(report["signed_in_again"], true, "{report}");
    assert_eq!(report["backchannel_signed_demo_out"], true, "{report}");
}
