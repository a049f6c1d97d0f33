//! The embedded inventory: one SQLite file in WAL mode, so a scan writes while plugins and
//! queries read, and a process killed at any moment leaves the last committed batch.

use crate::error::InventoryError;
use crate::sql::sqlite::failure;
use crate::sql::SqliteConn;
use crate::sql_store::{classify, Access, SqlStore};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The SQLite inventory.
pub type SqliteStore = SqlStore<SqliteConn>;

/// How long a writer waits for another one before the database counts as locked.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A page cache of up to 16 MiB (SQLite's default is 2 MiB). A query over thousands of
/// certificates visits their rows, deployments and endpoints in random page order; with the
/// default cache it read the same pages again and again (15,855 page reads instead of 1,380
/// for `certificates --expiring 30` on the 100,000-endpoint benchmark inventory). Memory is
/// taken only as pages are read.
const CACHE_SIZE: &str = "PRAGMA cache_size = -16384;";

/// An inventory that must be there already: a missing file says to scan first, a folder
/// the user may not enter says so (not that there is no file).
fn must_exist(path: &Path) -> Result<(), InventoryError> {
    let reason = match std::fs::metadata(path) {
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "there is no such file (run certprobe scan first)".to_string()
        }
        Err(e) => crate::error::io_words(&e),
    };
    Err(InventoryError::Open {
        path: path.display().to_string(),
        reason,
    })
}

impl SqlStore<SqliteConn> {
    /// Opens the inventory for writing, creating the file (and its folder) and bringing its
    /// schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore, InventoryError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| InventoryError::Open {
                path: path.display().to_string(),
                reason: if parent.is_file() {
                    format!("{} is a file, not a folder", parent.display())
                } else {
                    format!(
                        "cannot create the folder {}: {}",
                        parent.display(),
                        crate::error::io_words(&e)
                    )
                },
            })?;
        }
        // Two processes making the same new inventory at once (scanners started together)
        // meet where SQLite returns busy without waiting (switching a new file to WAL, the
        // schema's first transaction): the one that lost tries again, as the busy timeout
        // would have it wait. Nothing half-done stays behind: each step is atomic.
        let began = std::time::Instant::now();
        loop {
            match SqliteStore::open_once(path) {
                Err(InventoryError::Locked { .. }) if began.elapsed() < BUSY_TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                opened => return opened,
            }
        }
    }

    fn open_once(path: &Path) -> Result<SqliteStore, InventoryError> {
        let shown = path.display().to_string();
        let opening = |e: rusqlite::Error| classify(&shown, "opening it", &failure(&e));
        let conn = Connection::open(path).map_err(opening)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(opening)?;
        // WAL: readers never block the scanner; NORMAL sync keeps every committed
        // transaction across a process crash (a power cut may lose the last one, never
        // consistency).
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| classify(&shown, "switching to WAL mode", &failure(&e)))?;
        // Statement journals in memory: one that outgrows SQLite's 64 KiB spill size would
        // otherwise go to a temporary file.
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
        )
        .and_then(|()| conn.execute_batch(CACHE_SIZE))
        .map_err(opening)?;
        SqlStore::on(SqliteConn::new(conn, path), &shown, Access::Write)
    }

    /// Opens an existing inventory for writing (`cleanup`): a missing file is an error, not a
    /// new inventory.
    pub fn open_existing(path: &Path) -> Result<SqliteStore, InventoryError> {
        must_exist(path)?;
        SqliteStore::open(path)
    }

    /// Opens an existing inventory for reading only (queries and `check_cert_inventory`):
    /// it is never created or migrated here.
    pub fn open_read_only(path: &Path) -> Result<SqliteStore, InventoryError> {
        must_exist(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        match SqliteStore::read_only_with(path, path, flags) {
            // A WAL database needs its -shm file even to be read. With no writer connected
            // there is none, and a reader that may not create one next to the database (the
            // monitoring user, before a file of root's) cannot open it. Without a -wal file
            // the database file holds every committed transaction, so it is read as it is;
            // a scan starting meanwhile writes to its own -wal file, not to this one.
            Err(InventoryError::NotWritable { .. } | InventoryError::Open { .. })
                if !wal_file(path).exists() =>
            {
                let uri = format!("file:{}?mode=ro&immutable=1", uri_path(path));
                SqliteStore::read_only_with(
                    path,
                    Path::new(&uri),
                    flags | OpenFlags::SQLITE_OPEN_URI,
                )
            }
            other => other,
        }
    }

    /// A read-only store on `target` (the path, or a URI for it).
    fn read_only_with(
        path: &Path,
        target: &Path,
        flags: OpenFlags,
    ) -> Result<SqliteStore, InventoryError> {
        let shown = path.display().to_string();
        let opening = |e: rusqlite::Error| classify(&shown, "opening it", &failure(&e));
        let conn = Connection::open_with_flags(target, flags).map_err(opening)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(opening)?;
        conn.execute_batch(CACHE_SIZE).map_err(opening)?;
        SqlStore::on(SqliteConn::new(conn, path), &shown, Access::Read)
    }
}

/// The database's write-ahead log, `<path>-wal`.
fn wal_file(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push("-wal");
    PathBuf::from(name)
}

/// A path as the path of an SQLite `file:` URI: `%`, `?`, `#` and every byte that is not
/// printable ASCII percent-encoded.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for b in path.to_string_lossy().bytes() {
        match b {
            b'%' | b'?' | b'#' => out.push_str(&format!("%{b:02X}")),
            0x21..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{uri_path, wal_file, SqliteStore};
    use crate::sql_store::MIGRATIONS;
    use rusqlite::Connection;
    use std::path::Path;

    #[test]
    fn an_inventory_of_an_older_schema_is_migrated_on_open_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.sqlite");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(MIGRATIONS[0]).unwrap();
        old.execute_batch(
            "INSERT INTO scan_run (job, zone, host, pid, started, status, planned)
             VALUES ('dmz', '', 'scanner', 1, 1800000000, 'done', 1);
             INSERT INTO certificate (id, sha256, der, subject, issuer, common_name,
                 issuer_common_name, serial, not_before, not_after, key_type, key_bits,
                 signature, self_signed, is_ca, first_seen)
             VALUES (7, x'07', x'3007', 'CN=a', 'CN=ca', 'a', 'ca', '07', 0, 1900000000,
                 'EC', 256, 'ecdsa-with-SHA256', 0, 0, 1800000000);
             INSERT INTO chain (id, hash, length) VALUES (1, x'01', 1);
             INSERT INTO endpoint (id, zone, address, port, sni, protocol, job, first_seen,
                 last_scan, last_run_id, state, summary, findings, deployment_id, address_key)
             VALUES (1, '', '192.0.2.1', 443, '', 'tls', 'dmz', 1800000000, 1800000000, 1,
                 1, 'warning', '[]', 1, x'01'),
                 (2, '', '192.0.2.2', 443, '', 'tls', 'dmz', 1800000000, 1800000000, 1,
                 3, 'unknown', '[]', 2, x'02');
             INSERT INTO deployment (id, endpoint_id, chain_id, leaf_id, first_seen, last_seen,
                 scans)
             VALUES (1, 1, 1, 7, 1800000000, 1800000000, 1),
                 (2, 2, 1, 7, 1800000000, 1800000000, 1);
             PRAGMA user_version = 1;",
        )
        .unwrap();
        drop(old);
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let indexes: Vec<String> = store
            .connection()
            .raw()
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'index'
                 AND tbl_name IN ('deployment', 'endpoint') AND sql IS NOT NULL ORDER BY name",
            )
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            indexes,
            [
                "deployment_chain",
                "deployment_endpoint",
                "deployment_leaf_open",
                "endpoint_address",
                "endpoint_address_key",
                "endpoint_deployment_state",
                "endpoint_job",
                "endpoint_sni",
                "endpoint_state",
            ]
        );
        let jobs: String = store
            .connection()
            .raw()
            .query_row("SELECT group_concat(job) FROM scan_run", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(jobs, "dmz");
        // Migration 3 counts what was deployed before it: two endpoints, WARNING and UNKNOWN.
        let used: Vec<i64> = store
            .connection()
            .raw()
            .query_row("SELECT * FROM certificate_use", [], |row| {
                (0..6).map(|i| row.get(i)).collect()
            })
            .unwrap();
        assert_eq!(used, [7, 2, 0, 1, 0, 1]);
    }

    #[test]
    fn uri_paths_escape_what_a_uri_would_read_otherwise() {
        assert_eq!(
            uri_path(Path::new("/var/lib/certprobe/inventory.sqlite")),
            "/var/lib/certprobe/inventory.sqlite"
        );
        assert_eq!(
            uri_path(Path::new("/tmp/a b?#%é")),
            "/tmp/a%20b%3F%23%25%C3%A9"
        );
        assert_eq!(
            wal_file(Path::new("/x/inventory.sqlite")),
            Path::new("/x/inventory.sqlite-wal")
        );
    }
}
