//! The outside interpreters and the interop scripts: locating them, checking once per run that
//! their packages are installed (failing with the command that installs them), and running a
//! script with a deadline.

use std::io::ErrorKind;
use std::path::PathBuf;
use std::process::Output;
use std::sync::OnceLock;
use std::time::Duration;

use assert_cmd::Command;

/// The longest a script may run: one fetch of discovery and keys plus a few grants.
const SCRIPT_DEADLINE: Duration = Duration::from_secs(60);

/// An outside runtime with the interop packages of its folder.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Runtime {
    /// python3 with interop/python/requirements.txt (PyJWT, cryptography, Authlib).
    Python,
    /// node with interop/node's packages (jose, openid-client).
    Node,
}

impl Runtime {
    fn program(self) -> &'static str {
        match self {
            Self::Python => "python3",
            Self::Node => "node",
        }
    }

    fn folder(self) -> PathBuf {
        let name = match self {
            Self::Python => "python",
            Self::Node => "node",
        };
        interop_dir().join(name)
    }

    fn install_hint(self) -> &'static str {
        match self {
            Self::Python => "pip install -r interop/python/requirements.txt",
            Self::Node => "npm ci --prefix interop/node",
        }
    }

    /// Code that imports every package the scripts use, and fails when one is missing.
    fn import_check(self) -> &'static [&'static str] {
        match self {
            Self::Python => &["-c", "import authlib, cryptography, jwt, requests"],
            Self::Node => &[
                "--input-type=module",
                "-e",
                "await import('jose'); await import('openid-client');",
            ],
        }
    }

    /// Panics, saying what to install, unless the runtime and its packages are present.
    /// Checked once per test run.
    pub(crate) fn require(self) {
        static PYTHON: OnceLock<Result<(), String>> = OnceLock::new();
        static NODE: OnceLock<Result<(), String>> = OnceLock::new();
        let cell = match self {
            Self::Python => &PYTHON,
            Self::Node => &NODE,
        };
        if let Err(problem) = cell.get_or_init(|| self.check()) {
            panic!("{problem}");
        }
    }

    fn check(self) -> Result<(), String> {
        let output = Command::new(self.program())
            .args(self.import_check())
            .current_dir(self.folder())
            .timeout(SCRIPT_DEADLINE)
            .output();
        let hint = self.install_hint();
        match output {
            Err(err) if err.kind() == ErrorKind::NotFound => Err(format!(
                "`{}` is not installed; the interop tests need it, then `{hint}` \
                 (interop/README.md)",
                self.program()
            )),
            Err(err) => Err(format!("cannot run `{}`: {err}", self.program())),
            Ok(out) if !out.status.success() => Err(format!(
                "`{}` lacks an interop package; run `{hint}` from the repository root\n{}",
                self.program(),
                String::from_utf8_lossy(&out.stderr)
            )),
            Ok(_) => Ok(()),
        }
    }

    /// Runs `script` (in this runtime's folder) with `args`, feeding `stdin`.
    pub(crate) fn run(self, script: &str, args: &[&str], stdin: &str) -> Output {
        self.require();
        let path = self.folder().join(script);
        let mut cmd = Command::new(self.program());
        // Every server here is on 127.0.0.1: no proxy may stand in between.
        for var in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
        ] {
            cmd.env_remove(var);
        }
        cmd.arg(&path)
            .args(args)
            // Keep the source tree free of bytecode caches.
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .write_stdin(stdin)
            .timeout(SCRIPT_DEADLINE)
            .output()
            .unwrap_or_else(|err| panic!("run {}: {err}", path.display()))
    }
}

/// The repository's interop/ folder.
pub(crate) fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop")
}

/// A script's stdout as JSON, after asserting that it exited 0.
pub(crate) fn json_output(what: &str, output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{what}: exit {:?}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|err| panic!("{what}: stdout is not JSON ({err})"))
}

/// Asserts that a script rejected its input: exit 1 and a `rejected: …` line naming `code`.
pub(crate) fn assert_rejected(what: &str, output: &Output, code: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{what}: {stderr}");
    assert!(
        stderr.starts_with("rejected: ") && stderr.contains(code),
        "{what}: expected a rejection naming {code}, got: {stderr}"
    );
}

/// Checks a browser script's report: its pages, in order, with their HTTP status, no axe-core
/// violation, and a screenshot of each in `screenshots`.
pub(crate) fn assert_pages(
    report: &serde_json::Value,
    expected: &[(&str, u16)],
    screenshots: &std::path::Path,
) {
    let pages = report["pages"].as_array().expect("pages");
    assert_eq!(pages.len(), expected.len(), "{report}");
    for ((name, status), page) in expected.iter().zip(pages) {
        assert_eq!(page["name"], *name, "{report}");
        assert_eq!(page["status"], *status, "{page}");
        assert_eq!(
            page["violations"],
            serde_json::json!([]),
            "axe on {name}: {page}"
        );
        assert!(
            screenshots.join(format!("{name}.png")).is_file(),
            "screenshot of {name}"
        );
    }
}
