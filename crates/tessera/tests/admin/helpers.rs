//! Shared fixtures: a temporary deployment and the binary pointed at it.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// A temporary data dir, and runs of `tessera` against it.
pub(crate) struct Deployment {
    dir: TempDir,
    /// Keep the OWASP password costs (slow in debug builds) instead of the small test ones.
    pub(crate) real_password_costs: bool,
}

impl Deployment {
    /// A new deployment whose store exists (`tessera init`), as after a server's first start.
    pub(crate) fn new() -> Self {
        let deployment = Self::empty();
        stdout_of(&deployment.run(&["init"]), &["init"]);
        deployment
    }

    /// A temporary directory with no store in it yet.
    pub(crate) fn empty() -> Self {
        Self {
            dir: TempDir::new().expect("temp dir"),
            real_password_costs: false,
        }
    }

    /// The root of the temporary directory (the data dir is `data` in it).
    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The data dir.
    pub(crate) fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `tessera --data-dir <data> …` with no TESSERA_* variables inherited.
    pub(crate) fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("TESSERA_") {
                cmd.env_remove(name);
            }
        }
        if !self.real_password_costs {
            cmd.env("TESSERA_PASSWORDS__MEMORY_KIB", "256")
                .env("TESSERA_PASSWORDS__ITERATIONS", "1");
        }
        cmd.arg("--data-dir").arg(self.data_dir()).args(args);
        cmd.timeout(Duration::from_secs(120));
        cmd
    }

    /// As [`Self::cmd`], as a plain process (for a run that must be read while it goes on).
    pub(crate) fn spawnable(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("TESSERA_") {
                cmd.env_remove(name);
            }
        }
        cmd.arg("--data-dir").arg(self.data_dir()).args(args);
        cmd
    }

    /// Runs and returns the output, whatever the exit code.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run tessera")
    }

    /// Runs with `stdin` and returns the output.
    pub(crate) fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        self.cmd(args)
            .write_stdin(stdin.to_owned())
            .output()
            .expect("run tessera")
    }

    /// Runs, asserts exit 0, and returns stdout.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        stdout_of(&self.run(args), args)
    }

    /// Runs `--json` listings and parses them.
    pub(crate) fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).expect("JSON output")
    }

    /// Adds a user with a password from stdin.
    pub(crate) fn add_user(&self, name: &str, password: &str) {
        let output = self.run_with_stdin(&["user", "add", name, "--password-stdin"], password);
        stdout_of(&output, &["user", "add", name]);
    }
}

/// Stdout of a run that must have succeeded.
pub(crate) fn stdout_of(output: &Output, args: &[&str]) -> String {
    assert!(
        output.status.success(),
        "tessera {args:?} failed ({:?}): {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

/// Asserts the exit code and that stderr is one line containing `needle`; returns stderr.
pub(crate) fn assert_fails(output: &Output, code: i32, needle: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert!(stderr.contains(needle), "{needle:?} not in: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    stderr
}
