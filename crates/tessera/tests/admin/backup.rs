//! `tessera backup` and `tessera restore`: a copy taken while the server runs, put back into
//! another data dir with the same master key; every refusal leaves the target as it was.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{Deployment, assert_fails};

/// `tessera serve` on a deployment, stopped (by its own handle) when dropped.
struct Serving(Child);

impl Serving {
    fn start(deployment: &Deployment) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("TESSERA_") {
                command.env_remove(name);
            }
        }
        let child = command
            .arg("--data-dir")
            .arg(deployment.data_dir())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tessera serve");
        let lock = deployment.data_dir().join("serve.lock");
        let pid = child.id().to_string();
        let started = Instant::now();
        while std::fs::read_to_string(&lock)
            .ok()
            .as_deref()
            .map(str::trim)
            != Some(pid.as_str())
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "serve did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self(child)
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

/// What a deployment holds, as its admin commands list it.
fn listing(deployment: &Deployment) -> (String, String, String) {
    (
        deployment.ok(&["user", "list"]),
        deployment.ok(&["client", "list"]),
        deployment.ok(&["keys", "list", "--json"]),
    )
}

fn copy_master_key(from: &Deployment, to: &Deployment) {
    std::fs::create_dir_all(to.data_dir()).expect("data dir");
    std::fs::copy(
        from.data_dir().join("master.key"),
        to.data_dir().join("master.key"),
    )
    .expect("copy master.key");
}

#[test]
fn a_backup_taken_while_the_server_runs_restores_the_same_users_clients_and_keys() {
    let source = Deployment::new();
    source.add_user("alice", "correct horse battery staple");
    source.ok(&["client", "add", "shop", "--grant", "client_credentials"]);
    source.ok(&["keys", "rotate"]);
    let file = source.root().join("tessera-backup.db");

    let server = Serving::start(&source);
    let said = source.ok(&["backup", "--output", path_arg(&file)]);
    assert!(said.contains("the master key is not in it"), "{said}");
    // The server holds the data dir: it cannot be restored over.
    assert_fails(
        &source.run(&["restore", path_arg(&file)]),
        2,
        &format!("(process {})", server.pid()),
    );
    drop(server);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file)
            .expect("backup")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the backup holds hashes and sealed keys"
        );
    }
    let wal = source.root().join("tessera-backup.db-wal");
    assert!(!wal.exists(), "a backup is one standalone file");

    let target = Deployment::empty();
    copy_master_key(&source, &target);
    let said = target.ok(&["restore", path_arg(&file)]);
    assert!(said.starts_with("restored the store from"), "{said}");
    assert_eq!(listing(&target), listing(&source));
    // A server starts on the restored store (it takes the data dir and keeps running).
    let mut restored = Serving::start(&target);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        restored.0.try_wait().expect("wait").is_none(),
        "serve exited"
    );
}

#[test]
fn a_restore_under_another_master_key_changes_nothing() {
    let source = Deployment::new();
    source.add_user("alice", "correct horse battery staple");
    let file = source.root().join("b.db");
    source.ok(&["backup", "--output", path_arg(&file)]);

    let target = Deployment::new();
    target.add_user("bob", "correct horse battery staple");
    let before = listing(&target);
    assert_fails(&target.run(&["restore", path_arg(&file)]), 2, "master key");
    assert_eq!(listing(&target), before);
    let left: Vec<String> = std::fs::read_dir(target.data_dir())
        .expect("data dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.contains("restoring"))
        .collect();
    assert!(left.is_empty(), "staging files left behind: {left:?}");

    // Without any master key the restore is refused the same way.
    let bare = Deployment::empty();
    assert_fails(&bare.run(&["restore", path_arg(&file)]), 2, "master key");
    assert!(!bare.data_dir().join("tessera.db").exists());
}

#[test]
fn backups_never_overwrite_and_restores_take_only_tessera_stores() {
    let source = Deployment::new();
    let file = source.root().join("b.db");
    std::fs::write(&file, b"keep me").expect("write");
    assert_fails(
        &source.run(&["backup", "--output", path_arg(&file)]),
        2,
        "never overwrites",
    );
    assert_eq!(std::fs::read(&file).expect("read"), b"keep me");

    let nothing = Deployment::empty();
    assert_fails(
        &nothing.run(&["backup", "--output", path_arg(&nothing.root().join("x.db"))]),
        2,
        "no Tessera store",
    );
    assert!(!nothing.root().join("x.db").exists());

    let before = listing(&source);
    assert_fails(&source.run(&["restore", path_arg(&file)]), 2, "not a");
    assert_fails(
        &source.run(&["restore", path_arg(&source.root().join("missing.db"))]),
        2,
        "no backup file",
    );
    assert_eq!(listing(&source), before);
}
