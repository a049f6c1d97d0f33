//! The seam over an SQLite connection (rusqlite): statements are prepared once and cached,
//! locks are files next to the database.

use super::{Connection, DbError, Dialect, Failure, Lock, LockName, Param, Row, RowRead, Value};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{params_from_iter, ErrorCode, ToSql};
use std::fs::{OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// Room for every statement the store uses (about ninety) and a few built at run time.
const STATEMENT_CACHE: usize = 160;

/// An open SQLite database.
pub struct SqliteConn {
    conn: rusqlite::Connection,
    path: PathBuf,
}

impl SqliteConn {
    /// The connection to the database at `path`.
    pub fn new(conn: rusqlite::Connection, path: &Path) -> SqliteConn {
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        SqliteConn {
            conn,
            path: path.to_path_buf(),
        }
    }

    /// The rusqlite connection, for what only SQLite has (pragmas, in-crate tests).
    pub fn raw(&self) -> &rusqlite::Connection {
        &self.conn
    }

    /// The lock file of `lock`, next to the database: `DB.JOB.lock` (the job's name with
    /// anything but letters, digits, `-` and `_` as `_`) and `DB-notifier.lock`, so no
    /// job's lock can be the notifier's.
    fn lock_path(&self, lock: LockName<'_>) -> PathBuf {
        let mut name = self.path.as_os_str().to_os_string();
        match lock {
            LockName::Job(job) => {
                let safe: String = job
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                name.push(format!(".{safe}.lock"));
            }
            LockName::Notifier => name.push("-notifier.lock"),
        }
        PathBuf::from(name)
    }
}

/// A parameter as rusqlite binds it.
struct Bound<'a>(Param<'a>);

impl ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Param::Null => ValueRef::Null,
            Param::Int(i) => ValueRef::Integer(i),
            Param::Text(text) => ValueRef::Text(text.as_bytes()),
            Param::Blob(bytes) => ValueRef::Blob(bytes),
        }))
    }
}

fn bound<'a>(params: &'a [Param<'a>]) -> impl Iterator<Item = Bound<'a>> + 'a {
    params.iter().map(|p| Bound(*p))
}

struct SqliteRow<'a, 'b>(&'a rusqlite::Row<'b>);

impl RowRead for SqliteRow<'_, '_> {
    fn value(&self, index: usize) -> Result<Value<'_>, DbError> {
        Ok(match self.0.get_ref(index).map_err(|e| failure(&e))? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Int(i),
            ValueRef::Real(_) => {
                return Err(DbError::new(
                    Failure::Other,
                    format!("column {} holds a real number", index + 1),
                ))
            }
            ValueRef::Text(bytes) => Value::Text(std::str::from_utf8(bytes).map_err(|_| {
                DbError::new(
                    Failure::Other,
                    format!("column {} holds text that is not UTF-8", index + 1),
                )
            })?),
            ValueRef::Blob(bytes) => Value::Blob(bytes),
        })
    }
}

impl Connection for SqliteConn {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&self, sql: &str, params: &[Param<'_>]) -> Result<u64, DbError> {
        let mut statement = self.conn.prepare_cached(sql).map_err(|e| failure(&e))?;
        let changed = statement
            .execute(params_from_iter(bound(params)))
            .map_err(|e| failure(&e))?;
        Ok(changed as u64)
    }

    fn insert(&self, sql: &str, params: &[Param<'_>]) -> Result<Option<i64>, DbError> {
        let changed = self.execute(sql, params)?;
        Ok((changed > 0).then(|| self.conn.last_insert_rowid()))
    }

    fn query(
        &self,
        sql: &str,
        params: &[Param<'_>],
        each: &mut dyn FnMut(&Row<'_>) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        let mut statement = self.conn.prepare_cached(sql).map_err(|e| failure(&e))?;
        let mut rows = statement
            .query(params_from_iter(bound(params)))
            .map_err(|e| failure(&e))?;
        while let Some(row) = rows.next().map_err(|e| failure(&e))? {
            each(&Row::new(&SqliteRow(row)))?;
        }
        Ok(())
    }

    fn batch(&self, sql: &str) -> Result<(), DbError> {
        self.conn.execute_batch(sql).map_err(|e| failure(&e))
    }

    fn begin(&self) -> Result<(), DbError> {
        // Every transaction of the store writes: taking the write lock first waits for
        // another writer (the busy timeout), where a read lock upgraded later would fail at
        // once when two processes write together.
        self.batch("BEGIN IMMEDIATE")
    }

    fn try_lock(&self, lock: LockName<'_>) -> Result<Option<Lock>, DbError> {
        let path = self.lock_path(lock);
        let cannot = |e: std::io::Error| {
            DbError::new(
                Failure::ReadOnly,
                format!(
                    "cannot use the lock file {}: {}",
                    path.display(),
                    crate::error::io_words(&e)
                ),
            )
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(cannot)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Lock::held_by(file))),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(cannot(e)),
        }
    }

    fn change_counter(&self) -> Result<i64, DbError> {
        self.conn
            .query_row("PRAGMA data_version", [], |row| row.get(0))
            .map_err(|e| failure(&e))
    }
}

/// rusqlite's error as the seam's: its kind, and SQLite's words without type names.
pub(crate) fn failure(e: &rusqlite::Error) -> DbError {
    let (kind, words) = match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => (Failure::Busy, ""),
        Some(ErrorCode::ReadOnly) => (Failure::ReadOnly, "the file or its folder is read-only"),
        Some(ErrorCode::DiskFull) => (Failure::DiskFull, "the disk is full"),
        Some(ErrorCode::NotADatabase) => (Failure::NotADatabase, ""),
        Some(ErrorCode::CannotOpen) | Some(ErrorCode::PermissionDenied) => {
            (Failure::CannotOpen, "permission denied or no such folder")
        }
        _ => (Failure::Other, ""),
    };
    if !words.is_empty() {
        return DbError::new(kind, words);
    }
    let message = match e {
        rusqlite::Error::SqliteFailure(failure, Some(message)) => {
            format!("{message} ({})", failure.extended_code)
        }
        rusqlite::Error::SqliteFailure(failure, None) => failure.to_string(),
        other => other.to_string(),
    };
    DbError::new(kind, message)
}
