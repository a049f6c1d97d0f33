//! The inventory's logic, written once over the [`Connection`] seam: recording sightings
//! with their events, the queries, runs and their locks, notifications and cleanup. The
//! SQLite file (`crate::sqlite`) and a shared PostgreSQL database are connections to it.

#[macro_use]
mod schema;
mod cleanup;
mod copy;
mod export;
mod known;
mod notify;
mod query;
mod record;
mod runs;
mod units;
mod usage;

use crate::error::InventoryError;
use crate::sql::{Connection, DbError, Failure};

pub use copy::Copied;
pub use schema::{MIGRATIONS, POSTGRES_MIGRATIONS};

/// An inventory on one database connection.
pub struct SqlStore<C: Connection> {
    pub(crate) conn: C,
    /// How the database is named in messages (its path, or its URL without a password).
    name: String,
    /// The schema version: the latest once opened for writing; a database opened to be read
    /// only may be older, and queries use what it has.
    pub(crate) version: i64,
}

/// Whether a store may change its database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read and write: the schema is brought up to date (created if the database is empty).
    Write,
    /// Read only: the schema must be there already, and is never changed.
    Read,
}

impl<C: Connection> SqlStore<C> {
    /// The store on `conn`, named `name` in messages: for writing, its schema is made or
    /// brought up to date; for reading, it must be an inventory this certprobe knows.
    pub fn on(conn: C, name: &str, access: Access) -> Result<SqlStore<C>, InventoryError> {
        let mut store = SqlStore {
            conn,
            name: name.to_string(),
            version: 0,
        };
        match access {
            Access::Write => store.migrate()?,
            Access::Read => {
                let version = store.schema_version()?;
                let known = MIGRATIONS.len() as i64;
                if version == 0 {
                    return Err(InventoryError::NotAnInventory { path: store.path() });
                }
                if version > known {
                    return Err(InventoryError::TooNew {
                        path: store.path(),
                        found: version,
                        known,
                    });
                }
                store.version = version;
            }
        }
        Ok(store)
    }

    /// The database's name as shown in messages.
    pub fn path(&self) -> String {
        self.name.clone()
    }

    /// The connection.
    pub fn connection(&self) -> &C {
        &self.conn
    }

    /// A number that changes when another connection commits to the database: a reader
    /// that keeps what it read can ask whether it is still current.
    pub fn data_version(&self) -> Result<i64, InventoryError> {
        self.conn
            .change_counter()
            .map_err(|e| classify(&self.path(), "asking whether it changed", &e))
    }

    /// The connection as the seam's helpers take it.
    pub(crate) fn db(&self) -> &dyn Connection {
        &self.conn
    }
}

/// A database failure as the error a user can act on (the connection said it in words).
pub(crate) fn classify(name: &str, doing: &'static str, e: &DbError) -> InventoryError {
    let path = name.to_string();
    let reason = e.message.clone();
    match e.failure {
        Failure::Busy => InventoryError::Locked { path },
        Failure::ReadOnly | Failure::DiskFull => InventoryError::NotWritable { path, reason },
        Failure::NotADatabase | Failure::NoSuchTable => InventoryError::NotAnInventory { path },
        Failure::CannotOpen => InventoryError::Open { path, reason },
        Failure::Conflict | Failure::Other => InventoryError::Database {
            path,
            doing,
            reason,
        },
    }
}

impl InventoryError {
    /// A database failure of the inventory `name` while `doing`, as the error a user can
    /// act on (for a connection made outside this crate, such as PostgreSQL's).
    pub fn from_database(name: &str, doing: &'static str, e: &DbError) -> InventoryError {
        classify(name, doing, e)
    }
}
