//! The certprobe inventory on a shared PostgreSQL database, and the `--db` locator every
//! command opens its inventory with: a path is the embedded SQLite file, a `postgres://`
//! URL this crate's store. Both are the same logic (`certprobe_inventory::SqlStore`) on
//! another connection, so every command behaves the same on either.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod conn;
mod failure;
mod target;
mod tls;

pub use conn::PgConn;
pub use target::{is_postgres_url, BadUrl, Roots, SslMode, Target};

use certprobe_inventory::{Access, Copied, InventoryError, SqlStore, SqliteStore, Store};
use std::path::{Path, PathBuf};

/// The PostgreSQL inventory.
pub type PgStore = SqlStore<PgConn>;

/// Where an inventory is, as `--db` or `CERTPROBE_DB` give it.
#[derive(Clone)]
pub enum Locator {
    /// The embedded SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres(Box<Target>),
}

/// How a command opens its inventory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Open {
    /// To write, made if missing (scan, audit, import, notify).
    Create,
    /// To write, but it must be there (cleanup).
    Existing,
    /// To read only (queries, reports, the dashboard, check_cert_inventory).
    Read,
}

impl Locator {
    /// The inventory `db` names: a `postgres://` URL, else a file's path (`sqlite:PATH`
    /// too).
    pub fn of(db: &Path) -> Result<Locator, InventoryError> {
        match db.to_str() {
            Some(text) if text.starts_with("sqlite:") => Ok(Locator::Sqlite(PathBuf::from(
                text.trim_start_matches("sqlite:").trim_start_matches("//"),
            ))),
            Some(text) if is_postgres_url(text) => Target::parse(text)
                .map(|t| Locator::Postgres(Box::new(t)))
                .map_err(|why| InventoryError::Open {
                    path: target::without_password(text.split('?').next().unwrap_or_default()),
                    reason: why.0,
                }),
            _ => Ok(Locator::Sqlite(db.to_path_buf())),
        }
    }

    /// The inventory as shown in messages (a URL without its password).
    pub fn shown(&self) -> String {
        match self {
            Locator::Sqlite(path) => path.display().to_string(),
            Locator::Postgres(target) => target.shown.clone(),
        }
    }

    /// Opens the inventory.
    pub fn open(&self, how: Open) -> Result<Box<dyn Store + Send>, InventoryError> {
        Ok(match self {
            Locator::Sqlite(path) => Box::new(match how {
                Open::Create => SqliteStore::open(path)?,
                Open::Existing => SqliteStore::open_existing(path)?,
                Open::Read => SqliteStore::open_read_only(path)?,
            }),
            Locator::Postgres(target) => Box::new(open_postgres(target, how)?),
        })
    }
}

/// Opens the PostgreSQL inventory at `target`: to write, its schema is made or brought up
/// to date (an empty database becomes an inventory; `Existing` refuses one without it).
pub fn open_postgres(target: &Target, how: Open) -> Result<PgStore, InventoryError> {
    let conn = PgConn::connect(target)
        .map_err(|e| InventoryError::from_database(&target.shown, "connecting", &e))?;
    match how {
        Open::Create => SqlStore::on(conn, &target.shown, Access::Write),
        Open::Read => SqlStore::on(conn, &target.shown, Access::Read),
        Open::Existing => {
            // Read first: a database without the schema is refused, not made an inventory.
            let store = SqlStore::on(conn, &target.shown, Access::Read)?;
            drop(store);
            let conn = PgConn::connect(target)
                .map_err(|e| InventoryError::from_database(&target.shown, "connecting", &e))?;
            SqlStore::on(conn, &target.shown, Access::Write)
        }
    }
}

/// An opened inventory of either kind, for what needs its connection (a copy).
enum Opened {
    Sqlite(SqliteStore),
    Postgres(Box<PgStore>),
}

fn opened(locator: &Locator, how: Open) -> Result<Opened, InventoryError> {
    Ok(match locator {
        Locator::Sqlite(path) => Opened::Sqlite(match how {
            Open::Create => SqliteStore::open(path)?,
            Open::Existing => SqliteStore::open_existing(path)?,
            Open::Read => SqliteStore::open_read_only(path)?,
        }),
        Locator::Postgres(target) => Opened::Postgres(Box::new(open_postgres(target, how)?)),
    })
}

/// Copies the inventory `from` (brought up to date first) into `to`, made if missing and
/// empty (`certprobe inventory migrate`).
pub fn copy(from: &Locator, to: &Locator) -> Result<Copied, InventoryError> {
    if from.shown() == to.shown() {
        return Err(InventoryError::Database {
            path: to.shown(),
            doing: "copying",
            reason: "it is the inventory copied from".to_string(),
        });
    }
    let source = opened(from, Open::Existing)?;
    let mut target = opened(to, Open::Create)?;
    match (&source, &mut target) {
        (Opened::Sqlite(a), Opened::Sqlite(b)) => a.copy_into(b),
        (Opened::Sqlite(a), Opened::Postgres(b)) => a.copy_into(b.as_mut()),
        (Opened::Postgres(a), Opened::Sqlite(b)) => a.copy_into(b),
        (Opened::Postgres(a), Opened::Postgres(b)) => a.copy_into(b.as_mut()),
    }
}
