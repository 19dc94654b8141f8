//! A real PostgreSQL for tests: Debian's server, initialised in a temporary folder and started
//! on 127.0.0.1 with a free port, as the `postgres` system user when the tests run as root (the
//! server refuses root), stopped by pid on drop. `.ci/test` installs the package when missing.
#![allow(dead_code)]

use super::{as_root, free_port};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Postgres {
    dir: tempfile::TempDir,
    pub port: u16,
    bin: PathBuf,
}

/// The folder holding `initdb` and `pg_ctl`: Debian's versioned one, else the PATH's.
fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().unwrap_or_default()
}

impl Postgres {
    /// Run a server tool as the user the server may run as.
    fn tool(&self, name: &str) -> Command {
        let exe = if self.bin.as_os_str().is_empty() {
            PathBuf::from(name)
        } else {
            self.bin.join(name)
        };
        if as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    /// Initialise and start a server; panics with the server's own words if it cannot.
    pub fn start() -> Postgres {
        let dir = tempfile::tempdir().expect("tempdir");
        if as_root() {
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success(), "chown of the data folder failed");
        }
        let pg = Postgres {
            dir,
            port: free_port(),
            bin: bin_dir(),
        };
        let data = pg.data();
        let out = pg
            .tool("initdb")
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "-D"])
            .arg(&data)
            .output()
            .expect("initdb must be installed to run this test (bash .ci/test installs it)");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pg.launch();
        pg
    }

    /// Start the server on its data folder and port (again, after [`Postgres::stop`]).
    pub fn launch(&self) {
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let out = self
            .tool("pg_ctl")
            .args(["-w", "-t", "30", "-D"])
            .arg(self.data())
            .args(["-l"])
            .arg(self.dir.path().join("server.log"))
            .args(["-o", &opts, "start"])
            .output()
            .expect("pg_ctl");
        assert!(
            out.status.success(),
            "the server did not start: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
        self.wait_ready();
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn wait_ready(&self) {
        let t0 = Instant::now();
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "PostgreSQL never listened"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A connection URL to the `postgres` database (trust authentication, loopback).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The server's pid, from its `postmaster.pid`.
    pub fn pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.data().join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    /// Stop the server at once (SIGQUIT to its pid: an immediate shutdown).
    pub fn stop(&self) {
        if let Some(pid) = self.pid() {
            let pid = nix::unistd::Pid::from_raw(pid);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGQUIT);
            let t0 = Instant::now();
            while nix::sys::signal::kill(pid, None).is_ok()
                && t0.elapsed() < Duration::from_secs(10)
            {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The pid of the process guarding the database's project: its session names itself
/// `cutover guard pid N on HOST` (what `status` shows).
pub fn guard_pid(db: &mut postgres::Client) -> Option<u32> {
    let row = db
        .query_opt(
            "SELECT application_name FROM pg_stat_activity
             WHERE datname = current_database() AND starts_with(application_name, 'cutover guard pid ')",
            &[],
        )
        .ok()??;
    let name: String = row.get(0);
    name.strip_prefix("cutover guard pid ")?
        .split(' ')
        .next()?
        .parse()
        .ok()
}
