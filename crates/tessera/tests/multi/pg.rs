//! A private PostgreSQL cluster for tests that must stop and restart the database: `initdb`
//! into a temporary directory, `postgres` on a free loopback port with its socket in that
//! directory and fsync off. It never touches a PostgreSQL the machine runs itself, and on
//! drop it stops only the process it started, by its id.
//!
//! PostgreSQL refuses to run as root; when the tests run as root the server runs as the
//! `postgres` user (through `setpriv`, which execs, so the id we hold is the server's).

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The message of a test that cannot run here.
pub(crate) const NEEDS: &str = "needs PostgreSQL server binaries (initdb)";
/// The superuser `initdb` creates (trust authentication, loopback only).
const SUPERUSER: &str = "tessera";
/// How long a start or a stop may take.
const DEADLINE: Duration = Duration::from_secs(60);

/// A running (or stopped) private cluster.
pub(crate) struct Cluster {
    bin: PathBuf,
    dir: TempDir,
    port: u16,
    run_as: Option<(u32, u32)>,
    server: Option<Child>,
}

impl Cluster {
    /// Creates and starts a cluster; panics with [`NEEDS`] if PostgreSQL is not installed.
    pub(crate) fn start() -> Self {
        let bin = server_binaries().unwrap_or_else(|| panic!("{NEEDS}: none found"));
        let run_as = run_as();
        let dir = tempfile::Builder::new()
            .prefix("tessera-pg")
            .tempdir()
            .expect("temp dir");
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown temp dir");
        }
        let mut cluster = Self {
            bin,
            dir,
            port: free_port(),
            run_as,
            server: None,
        };
        cluster.initdb();
        cluster.restart();
        cluster
    }

    /// `postgres://tessera@127.0.0.1:PORT/NAME`.
    pub(crate) fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a new, empty database and returns its URL.
    pub(crate) fn create_database(&self, name: &str) -> String {
        let status = self
            .tool("createdb")
            .arg(name)
            .status()
            .expect("run createdb");
        assert!(status.success(), "createdb {name}: {status}");
        self.url(name)
    }

    /// A client tool of this cluster's PostgreSQL (`pg_dump`, `pg_restore`), pointed at it.
    pub(crate) fn tool(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        command
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                SUPERUSER,
            ])
            .stdin(Stdio::null());
        command
    }

    /// Stops the server with a fast shutdown (clients are disconnected, committed work is
    /// kept), as an operator's restart or a failover does.
    pub(crate) fn stop(&mut self) {
        let Some(mut child) = self.server.take() else {
            return;
        };
        signal(child.id(), "-INT");
        if wait(&mut child, DEADLINE).is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server as `pg_ctl stop -m immediate` does (SIGQUIT: every backend is ended at
    /// once, with no shutdown checkpoint), as a crash or a failover looks to the clients.
    pub(crate) fn stop_immediately(&mut self) {
        let Some(mut child) = self.server.take() else {
            return;
        };
        signal(child.id(), "-QUIT");
        if wait(&mut child, DEADLINE).is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes every process of the server (SIGSTOP), as a hung host looks to its clients:
    /// connections are accepted by the kernel but nothing answers on them, or on the open
    /// ones.
    pub(crate) fn freeze(&self) {
        for pid in self.processes() {
            signal(pid, "-STOP");
        }
    }

    /// Lets the frozen processes run again (SIGCONT).
    pub(crate) fn thaw(&self) {
        for pid in self.processes() {
            signal(pid, "-CONT");
        }
    }

    /// The postmaster's id, then its children's (the backends and helpers), from /proc.
    fn processes(&self) -> Vec<u32> {
        let Some(postmaster) = self.server.as_ref().map(Child::id) else {
            return Vec::new();
        };
        let parent_of = |pid: u32| -> Option<u32> {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ppid …`: the name may hold spaces, so read after its `)`.
            stat.rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        };
        let mut pids = vec![postmaster];
        pids.extend(
            std::fs::read_dir("/proc")
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
                .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
                .filter(|&pid| parent_of(pid) == Some(postmaster)),
        );
        pids
    }

    /// Starts the server (again) on the same port and waits until it accepts connections.
    pub(crate) fn restart(&mut self) {
        assert!(self.server.is_none(), "the cluster runs already");
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("log file");
        let data = self.data_dir();
        let socket_dir = self.dir.path().display().to_string();
        let port = self.port.to_string();
        let mut cmd = self.command("postgres");
        cmd.arg("-D").arg(&data).args([
            "-p",
            &port,
            "-k",
            &socket_dir,
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ]);
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| panic!("{NEEDS}: cannot start postgres: {err}"));
        self.server = Some(child);
        self.wait_ready();
    }

    /// Runs one SQL statement on `database` with `psql` and returns its unaligned output
    /// (`|` between columns), trimmed; panics if it fails.
    pub(crate) fn query(&self, database: &str, sql: &str) -> String {
        let output = Command::new(self.bin.join("psql"))
            .args(["-X", "-At", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", SUPERUSER, "-d", database, "-c", sql])
            .stdin(Stdio::null())
            .output()
            .expect("run psql");
        assert!(
            output.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// The server's log so far.
    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn initdb(&self) {
        let output = self
            .command("initdb")
            .arg("-D")
            .arg(self.data_dir())
            .args([
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--no-locale",
                "-E",
                "UTF8",
                "--no-sync",
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|err| panic!("{NEEDS}: cannot run initdb: {err}"));
        assert!(
            output.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + DEADLINE;
        while Instant::now() < deadline {
            if let Some(child) = self.server.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("postgres exited ({status}); log:\n{}", self.log_text());
            }
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
        panic!("postgres not ready in time; log:\n{}", self.log_text());
    }

    /// A command for a server binary, as the `postgres` user when we are root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match self.run_as {
            None => Command::new(path),
            Some((uid, gid)) => {
                let mut cmd = Command::new("setpriv");
                cmd.arg(format!("--reuid={uid}"))
                    .arg(format!("--regid={gid}"))
                    .arg("--clear-groups")
                    .arg("--")
                    .arg(path);
                cmd
            }
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Immediate shutdown of our own server only; the temp dir goes with `dir`.
        if let Some(mut child) = self.server.take() {
            signal(child.id(), "-QUIT");
            if wait(&mut child, Duration::from_secs(10)).is_none() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb`, or the directory of an
/// `initdb` on the PATH.
pub(crate) fn server_binaries() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    if let Some((_, bin)) = found.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path).find(|dir| Path::new(dir).join("initdb").is_file())
    })
}

/// As root: the `postgres` user's ids (PostgreSQL will not run as root).
fn run_as() -> Option<(u32, u32)> {
    let id = |flag: &str, user: Option<&str>| -> Option<u32> {
        let output = Command::new("id").arg(flag).args(user).output().ok()?;
        String::from_utf8(output.stdout).ok()?.trim().parse().ok()
    };
    if id("-u", None)? != 0 {
        return None;
    }
    let uid = id("-u", Some("postgres"))
        .unwrap_or_else(|| panic!("{NEEDS}: running as root, and no `postgres` user to run as"));
    let gid = id("-g", Some("postgres")).expect("the postgres user's group");
    Some((uid, gid))
}

/// A free loopback port that is not PostgreSQL's usual one.
fn free_port() -> u16 {
    for _ in 0..10 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = listener.local_addr().expect("address").port();
        if port != 5432 {
            return port;
        }
    }
    panic!("no free port");
}

fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(signal)
        .arg(pid.to_string())
        .status();
}

fn wait(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        thread::sleep(Duration::from_millis(20));
    }
    None
}
