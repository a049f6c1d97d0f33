//! A private PostgreSQL cluster for the tests that need a shared inventory: Debian's
//! PostgreSQL 15, started once per test process by tests/daemons/postgresql.sh on
//! 127.0.0.1 with TLS (a certificate for `localhost` and 127.0.0.1 from a CA made here),
//! and stopped by a watchdog when the test process ends. Each test takes a database of
//! its own.

use crate::{pem, write_temp, Ca, LeafSpec};
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/daemons/postgresql.sh"
);
const POOLER_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/daemons/pgbouncer.sh"
);
const PGBOUNCER: &str = "/usr/sbin/pgbouncer";
const INITDB: &str = "/usr/lib/postgresql/15/bin/initdb";
const PSQL: &str = "/usr/lib/postgresql/15/bin/psql";

/// The running cluster.
pub struct Cluster {
    /// Its TCP port on 127.0.0.1.
    pub port: u16,
    /// The folder of its data, socket and log.
    pub dir: PathBuf,
    /// The CA that issued its certificate (PEM), for `sslrootcert`.
    pub ca_file: PathBuf,
}

/// The cluster, started on first use. `None` when PostgreSQL is not installed and this is
/// not CI (the caller says SKIPPED); under `CI=true` a missing PostgreSQL fails the test.
pub fn cluster() -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
    CLUSTER.get_or_init(start).as_ref()
}

fn start() -> Option<Cluster> {
    if !Path::new(INITDB).exists() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "PostgreSQL 15 is not installed ({INITDB} is missing): run tests/daemons/install.sh"
        );
        eprintln!("SKIPPED: PostgreSQL 15 is not installed; run tests/daemons/install.sh");
        return None;
    }
    let ca = Ca::root("certprobe test PostgreSQL CA");
    let leaf = ca.issue(
        &LeafSpec::new("localhost")
            .dns(&["localhost"])
            .ips(&[IpAddr::V4(Ipv4Addr::LOCALHOST)])
            .valid_until(30.0),
    );
    let chain = write_temp("pg-chain.pem", pem(&leaf.der).as_bytes());
    let key = write_temp("pg-key.pem", leaf.key_pem().as_bytes());
    let ca_file = write_temp("pg-ca.pem", ca.pem().as_bytes());
    let dir = write_temp("inventory-pg.d", b"");
    std::fs::remove_file(&dir).expect("placeholder");
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let out = Command::new("bash")
            .arg(SCRIPT)
            .args(["start"])
            .arg(&dir)
            .arg(&chain)
            .arg(&key)
            .arg(port.to_string())
            .arg("localhost")
            .env("MAX_CONNECTIONS", "120")
            .stdin(Stdio::null())
            .output()
            .expect("run postgresql.sh");
        if out.status.success() {
            watch(SCRIPT, &dir);
            return Some(Cluster { port, dir, ca_file });
        }
        let _ = Command::new("bash")
            .arg(SCRIPT)
            .arg("stop")
            .arg(&dir)
            .status();
        eprintln!(
            "PostgreSQL did not start on port {port}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    panic!("PostgreSQL did not start");
}

/// PgBouncer in front of the cluster (session pooling), started on first use: what a site
/// puts before PostgreSQL for many short connections. `None` as for [`cluster`], or when
/// PgBouncer is not installed and this is not CI.
pub fn pooler() -> Option<&'static Pooler> {
    static POOLER: OnceLock<Option<Pooler>> = OnceLock::new();
    POOLER.get_or_init(start_pooler).as_ref()
}

/// The running PgBouncer.
pub struct Pooler {
    /// Its TCP port on 127.0.0.1.
    pub port: u16,
    cluster_port: u16,
}

impl Pooler {
    /// `url` (one of the cluster's, from [`Cluster::database`]) through the pooler.
    pub fn url(&self, url: &str) -> String {
        let direct = format!("@127.0.0.1:{}/", self.cluster_port);
        assert!(url.contains(&direct), "{url} is not the test cluster's");
        url.replace(&direct, &format!("@127.0.0.1:{}/", self.port))
    }
}

fn start_pooler() -> Option<Pooler> {
    let cluster = cluster()?;
    if !Path::new(PGBOUNCER).exists() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "PgBouncer is not installed ({PGBOUNCER} is missing): run tests/daemons/install.sh"
        );
        eprintln!("SKIPPED: PgBouncer is not installed; run tests/daemons/install.sh");
        return None;
    }
    let dir = write_temp("inventory-pgbouncer.d", b"");
    std::fs::remove_file(&dir).expect("placeholder");
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let out = Command::new("bash")
            .arg(POOLER_SCRIPT)
            .arg("start")
            .arg(&dir)
            .arg(port.to_string())
            .arg(&cluster.dir)
            .arg(cluster.port.to_string())
            .stdin(Stdio::null())
            .output()
            .expect("run pgbouncer.sh");
        if out.status.success() {
            watch(POOLER_SCRIPT, &dir);
            return Some(Pooler {
                port,
                cluster_port: cluster.port,
            });
        }
        let _ = Command::new("bash")
            .arg(POOLER_SCRIPT)
            .arg("stop")
            .arg(&dir)
            .status();
        eprintln!(
            "PgBouncer did not start on port {port}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    panic!("PgBouncer did not start");
}

/// Stops the daemon `script` started in `dir` once this process is gone, however it ends.
fn watch(script: &str, dir: &Path) {
    let watchdog = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; bash '{script}' stop '{dir}'; rm -rf '{dir}'",
        pid = std::process::id(),
        dir = dir.display()
    );
    // `setsid -f` forks the watchdog off and returns: nothing is left to wait for.
    let started = Command::new("setsid")
        .args(["-f", "bash", "-c", &watchdog])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("start the PostgreSQL watchdog");
    assert!(started.success(), "the PostgreSQL watchdog did not start");
}

impl Cluster {
    /// A new empty database; its URL (as superuser `postgres`, TLS verified against the
    /// cluster's CA).
    pub fn database(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "inventory_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        self.sql(&format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    /// The URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{name}?sslmode=verify-full&sslrootcert={}",
            self.port,
            self.ca_file.display()
        )
    }

    /// Runs SQL as the superuser through the cluster's socket (psql); its output.
    pub fn sql(&self, sql: &str) -> String {
        self.sql_in("postgres", sql)
    }

    /// Runs SQL in database `name`; its output (unaligned, tuples only).
    pub fn sql_in(&self, name: &str, sql: &str) -> String {
        self.try_sql_in(name, sql)
            .unwrap_or_else(|why| panic!("psql failed on {sql}: {why}"))
    }

    /// [`Cluster::sql_in`], or psql's complaint (a table not made yet, for a test that
    /// waits for it).
    pub fn try_sql_in(&self, name: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(PSQL)
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-U",
                "postgres",
                "-h",
            ])
            .arg(&self.dir)
            .args(["-p", &self.port.to_string(), "-d", name, "-c", sql])
            .stdin(Stdio::null())
            .output()
            .expect("run psql");
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim_end().to_string());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    }
}
