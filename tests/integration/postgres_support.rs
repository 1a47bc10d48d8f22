//! A throwaway PostgreSQL server per test: a fresh cluster (`initdb`) in a new temporary folder,
//! `postgres` on a free loopback port, stopped (immediate shutdown) and deleted when dropped.
//! `stop`, `start` and `restart` keep the data folder and the port, for outage tests.
//!
//! The binaries are the ones `scripts/postgres-setup.sh` recorded in `.interop/postgres/bin-dir`
//! (with `lib-path` for `LD_LIBRARY_PATH`); without them the tests skip, or fail under
//! `TOLLGATE_INTEROP=require`. PostgreSQL refuses to run as root, so under root the server runs
//! as `nobody`.

use std::fs;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::interop::{free_port, installed, root, Spawned};

/// Who runs the server under root: `nobody`.
const NOBODY: u32 = 65534;

pub(crate) struct Postgres {
    bin: PathBuf,
    lib_path: String,
    /// The temporary folder: `data/` (the cluster, also the socket folder) and `server.log`.
    dir: PathBuf,
    pub(crate) port: u16,
    process: Option<Spawned>,
}

fn recorded(file: &str) -> Option<String> {
    fs::read_to_string(root().join(".interop/postgres").join(file))
        .ok()
        .map(|s| s.trim().to_owned())
}

impl Postgres {
    /// Whether the server binaries are installed (else the skip, or the failure, is reported).
    pub(crate) fn available(test: &str) -> bool {
        let bin = recorded("bin-dir").map(PathBuf::from);
        let found = bin
            .as_ref()
            .is_some_and(|b| b.join("initdb").exists() && b.join("postgres").exists());
        installed(
            test,
            &[(
                found,
                format!(
                    "the PostgreSQL server (initdb and postgres in .interop/postgres/bin-dir: {})",
                    bin.map_or("none recorded".into(), |b| b.display().to_string())
                ),
            )],
        )
    }

    /// A new cluster, started and accepting connections.
    pub(crate) async fn start_new() -> Self {
        static RUN: AtomicU32 = AtomicU32::new(0);
        let bin = PathBuf::from(recorded("bin-dir").expect("bin-dir"));
        let lib_path = recorded("lib-path").unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "tollgate-pg-{}-{}",
            std::process::id(),
            RUN.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .expect("create the server's temporary folder");
        if as_root() {
            std::os::unix::fs::chown(&dir, Some(NOBODY), Some(NOBODY)).expect("chown to nobody");
        }
        let mut pg = Self {
            bin,
            lib_path,
            dir,
            port: free_port(),
            process: None,
        };
        let output = pg
            .command("initdb")
            .arg("-D")
            .arg(pg.data())
            .args([
                "-U",
                "tollgate",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .output()
            .expect("run initdb");
        assert!(
            output.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        pg.start().await;
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        command
            .env("LD_LIBRARY_PATH", &self.lib_path)
            .env("TZ", "UTC");
        if as_root() {
            command.uid(NOBODY).gid(NOBODY);
        }
        command
    }

    /// `postgres://tollgate@127.0.0.1:<port>/postgres` (`tollgate` is the superuser).
    pub(crate) fn url(&self) -> String {
        self.url_as("tollgate")
    }

    /// The URL for another role (authentication is `trust`: no password).
    pub(crate) fn url_as(&self, user: &str) -> String {
        format!("postgres://{user}@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs `sql` as the superuser.
    pub(crate) async fn execute(&self, sql: &str) {
        self.client()
            .await
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Starts the server on the existing cluster and port; returns once it accepts connections.
    pub(crate) async fn start(&mut self) {
        assert!(self.process.is_none(), "already running");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))
            .expect("server.log");
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(self.data())
            .arg("-k")
            .arg(self.data())
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "fsync=off", "-c", "jit=off"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn postgres");
        self.process = Some(Spawned {
            child,
            what: "postgres",
        });
        let started = Instant::now();
        loop {
            if let Some(process) = &mut self.process {
                if let Ok(Some(status)) = process.child.try_wait() {
                    panic!("postgres exited: {status}\n{}", self.log());
                }
            }
            if self.query_ok().await {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "postgres did not accept connections within 30 s\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn query_ok(&self) -> bool {
        let Ok(Ok((client, connection))) = tokio::time::timeout(
            Duration::from_secs(2),
            tokio_postgres::connect(&self.url(), tokio_postgres::NoTls),
        )
        .await
        else {
            return false;
        };
        let driver = tokio::spawn(connection);
        let ok = client.simple_query("SELECT 1").await.is_ok();
        driver.abort();
        ok
    }

    /// Stops the server at once (immediate shutdown: every connection is cut, as in a crash).
    pub(crate) fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            // SIGQUIT: postgres's immediate shutdown, which also ends every backend, so the
            // cluster can be started again right away. A plain kill would orphan them.
            let _ = Command::new("kill")
                .args(["-QUIT", &process.child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = process.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            // Dropping `process` kills it.
        }
    }

    /// Stops and starts again: same cluster, same port.
    pub(crate) async fn restart(&mut self) {
        self.stop();
        self.start().await;
    }

    /// A plain client connection (its connection task is spawned).
    pub(crate) async fn client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url(), tokio_postgres::NoTls)
            .await
            .expect("connect to the test server");
        tokio::spawn(connection);
        client
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn as_root() -> bool {
    // The owner of /proc/self is the process's effective user.
    fs::metadata(Path::new("/proc/self")).is_ok_and(|m| m.uid() == 0)
}
