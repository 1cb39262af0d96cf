//! Shared fixtures: the binary, temporary files, keys and tokens, and a bounded HTTP server.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use serde_json::{Value, json};
use tempfile::TempDir;
use tessera_jose::{Algorithm, Jwk, SigningKey, b64};

/// The `tessera` binary, with no configuration inherited from the environment.
pub(crate) fn tessera() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
    for var in [
        "TESSERA_DATA_DIR",
        "TESSERA_DATABASE_URL",
        "TESSERA_CONFIG",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.timeout(Duration::from_secs(60));
    cmd
}

/// Runs `tessera` with `args` and returns its stdout, asserting exit 0.
pub(crate) fn run_ok(args: &[&str]) -> String {
    let output = tessera().args(args).output().expect("run tessera");
    assert!(
        output.status.success(),
        "tessera {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 stdout")
}

/// A temporary directory for key and token files.
pub(crate) struct Dir(TempDir);

impl Dir {
    /// A new empty directory.
    pub(crate) fn new() -> Self {
        Self(TempDir::new().expect("temp dir"))
    }

    /// Writes `contents` to `name` and returns its path as a string.
    pub(crate) fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write file");
        path.to_str().expect("utf-8 path").to_owned()
    }

    /// The path of `name` in the directory (which may not exist).
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(elapsed.as_secs()).expect("fits")
}

/// A new private key for `alg` as JWK JSON, made by `tessera keys generate`.
pub(crate) fn generate(alg: Algorithm) -> String {
    run_ok(&["keys", "generate", "--alg", alg.as_str()])
}

/// The public half of a private JWK, as JWK JSON.
pub(crate) fn public_jwk(private: &str) -> String {
    signing_key(private)
        .verifying_key()
        .expect("public half")
        .to_jwk()
        .to_json()
}

/// The private key as PKCS#8 PEM and its public key as SPKI PEM.
pub(crate) fn pems(private: &str) -> (String, String) {
    let key = signing_key(private);
    let public = key.verifying_key().expect("public").to_pem().expect("spki");
    (key.to_pem().expect("pkcs8").to_string(), public)
}

/// The raw secret bytes of an `oct` JWK.
pub(crate) fn secret_bytes(private: &str) -> Vec<u8> {
    let jwk = Jwk::from_json(private.as_bytes()).expect("jwk");
    b64::decode(jwk.k.as_deref().expect("k").as_bytes()).expect("base64url")
}

fn signing_key(private: &str) -> SigningKey {
    let jwk = Jwk::from_json(private.as_bytes()).expect("jwk");
    SigningKey::from_jwk(&jwk, None).expect("private key")
}

/// A JWK Set document holding `keys` (each JWK JSON).
pub(crate) fn jwks(keys: &[&str]) -> String {
    let keys: Vec<Value> = keys
        .iter()
        .map(|k| serde_json::from_str(k).expect("jwk json"))
        .collect();
    json!({ "keys": keys }).to_string()
}

/// Signs `claims` (JSON) with the key file at `key`, with extra `tessera token sign` args.
pub(crate) fn sign(key: &str, claims: &str, extra: &[&str]) -> String {
    let mut args = vec!["token", "sign", "--key", key, "--claims", claims];
    args.extend_from_slice(extra);
    run_ok(&args).trim().to_owned()
}

/// A token with the given header and claims and an empty signature (as `alg: none` has).
pub(crate) fn unsigned_token(header: &Value, claims: &Value) -> String {
    let part = |v: &Value| b64::encode(v.to_string().as_bytes());
    format!("{}.{}.", part(header), part(claims))
}

/// The token with its claims replaced, keeping the original signature.
pub(crate) fn tampered(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let payload = b64::encode(claims.to_string().as_bytes());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

/// One canned HTTP response.
pub(crate) struct Reply {
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Reply {
    /// `200 OK` with a JSON body.
    pub(crate) fn json(body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: "200 OK",
            headers: vec![("Content-Type", "application/json".into())],
            body: body.into(),
        }
    }

    /// A response with a status and no body.
    pub(crate) fn status(status: &'static str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// `302 Found` to `location`.
    pub(crate) fn redirect(location: &str) -> Self {
        Self {
            status: "302 Found",
            headers: vec![("Location", location.to_owned())],
            body: Vec::new(),
        }
    }
}

/// Serves `replies` in order, one per connection, on 127.0.0.1, then stops. Returns the port.
///
/// The thread ends after the last reply; if fewer requests come, it is left blocked in
/// `accept` and ends with the test process.
pub(crate) fn serve(replies: Vec<Reply>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("addr").port();
    thread::spawn(move || {
        for reply in replies {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            read_head(&mut stream);
            let mut head = format!(
                "HTTP/1.1 {}\r\nContent-Length: {}\r\nConnection: close\r\n",
                reply.status,
                reply.body.len()
            );
            for (name, value) in &reply.headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            // The client may hang up early (on an oversize body); that is not a failure here.
            let _ = stream
                .write_all(head.as_bytes())
                .and_then(|()| stream.write_all(&reply.body));
        }
    });
    port
}

fn read_head(stream: &mut impl Read) {
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"\r\n\r\n") && seen.len() < 64 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            _ => return,
        }
    }
}
