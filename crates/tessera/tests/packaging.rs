//! The systemd unit in packaging/systemd: `systemd-analyze verify` accepts it, and says
//! nothing about it (an unknown or misspelt key is only a warning, with exit status 0).
//!
//! Ignored by default, since a build machine may lack systemd; run it with
//! `cargo test -p tessera --test packaging -- --include-ignored`. Where systemd-analyze is
//! missing it fails rather than passes.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the unit says the binary is.
const INSTALLED_BINARY: &str = "/usr/local/bin/tessera";

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The unit, with `ExecStart` pointing at the binary under test (verify checks that the
/// command exists and is executable).
fn unit_for_this_build() -> String {
    let path = repository().join("packaging/systemd/tessera.service");
    let unit = std::fs::read_to_string(&path).expect("packaging/systemd/tessera.service");
    let start = format!("ExecStart={INSTALLED_BINARY} serve");
    assert_eq!(unit.matches(&start).count(), 1, "one {start:?} line");
    unit.replace(
        &start,
        &format!("ExecStart={} serve", env!("CARGO_BIN_EXE_tessera")),
    )
}

#[test]
#[ignore = "needs systemd-analyze"]
fn the_systemd_unit_verifies_without_warnings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let unit = dir.path().join("tessera.service");
    std::fs::write(&unit, unit_for_this_build()).expect("write the unit");

    let output = match Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
    {
        Ok(output) => output,
        Err(err) => panic!(
            "cannot run systemd-analyze ({err}): install systemd to run this test, or leave it \
             ignored"
        ),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "systemd-analyze verify failed ({:?}): {stderr}",
        output.status.code()
    );
    let shown = unit.display().to_string();
    let about_the_unit: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("tessera.service") || line.contains(&shown))
        .collect();
    assert!(
        about_the_unit.is_empty(),
        "systemd-analyze warns about the unit:\n{}",
        about_the_unit.join("\n")
    );
}

#[test]
fn the_unit_runs_sandboxed_from_its_state_directory() {
    let unit = std::fs::read_to_string(repository().join("packaging/systemd/tessera.service"))
        .expect("the unit");
    for line in [
        "StateDirectory=tessera",
        "Environment=TESSERA_DATA_DIR=/var/lib/tessera",
        "EnvironmentFile=-/etc/tessera/env",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=",
        "MemoryDenyWriteExecute=yes",
        "SystemCallFilter=@system-service",
    ] {
        assert!(
            unit.lines().any(|l| l == line),
            "{line:?} is not in the unit"
        );
    }
}
