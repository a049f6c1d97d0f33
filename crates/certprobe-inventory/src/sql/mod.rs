//! The seam between the store's logic and a database: statements with numbered parameters
//! (`?1`, `?2`, ...), rows read by column, transactions and named locks. SQLite and
//! PostgreSQL connections implement [`Connection`]; the inventory's logic is written once
//! against it (see `SqlStore`).

pub(crate) mod sqlite;
mod value;

pub use sqlite::SqliteConn;

pub use value::{FromColumn, Owned, Param, Row, RowRead, ToParam, Value};

use std::fmt;

/// The SQL spoken: where the two differ, the logic asks [`Dialect`] for the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3.
    Sqlite,
    /// PostgreSQL 12 or later.
    Postgres,
}

impl Dialect {
    /// The aggregate joining `column`'s values with spaces.
    pub fn join_with_spaces(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("group_concat({column}, ' ')"),
            Dialect::Postgres => format!("string_agg({column}, ' ')"),
        }
    }

    /// The database server's clock in Unix seconds: leases are judged by one clock, however
    /// far the scanners' clocks are apart.
    pub fn now(self) -> &'static str {
        match self {
            Dialect::Sqlite => "unixepoch()",
            Dialect::Postgres => "CAST(extract(epoch FROM clock_timestamp()) AS BIGINT)",
        }
    }

    /// What locks the rows a SELECT reads until the transaction ends (PostgreSQL's
    /// `FOR UPDATE`); SQLite's one writer needs none.
    pub fn lock_rows(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// What makes a claiming SELECT skip the rows another transaction has locked
    /// (`FOR UPDATE SKIP LOCKED`); SQLite's one writer needs none.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// True when `needle` (a bound parameter) occurs in `haystack`, without LIKE's wildcards.
    pub fn contains(self, haystack: &str, needle: &str) -> String {
        match self {
            Dialect::Sqlite => format!("instr({haystack}, {needle}) > 0"),
            Dialect::Postgres => format!("strpos({haystack}, {needle}) > 0"),
        }
    }
}

/// What kind of failure a database reported, as far as the store acts on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Another writer holds the database longer than the wait allows.
    Busy,
    /// The database may not be written (read-only file, folder, server or user).
    ReadOnly,
    /// The disk is full.
    DiskFull,
    /// The file or server is no database of this kind.
    NotADatabase,
    /// A table the statement names is not in the database.
    NoSuchTable,
    /// The database cannot be reached or opened (permissions, no such folder or server).
    CannotOpen,
    /// Two writers' transactions collided (deadlock, serialization): the transaction may be
    /// tried again.
    Conflict,
    /// Anything else.
    Other,
}

/// A database failure: its kind and, in words a user reads (no type names), why: for the
/// kinds a user acts on (read-only, full, cannot open) the reason itself, else the
/// database's own message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbError {
    /// What kind of failure.
    pub failure: Failure,
    /// The database's message.
    pub message: String,
}

impl DbError {
    /// A failure of `kind` with these words.
    pub fn new(failure: Failure, message: impl Into<String>) -> DbError {
        DbError {
            failure,
            message: message.into(),
        }
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DbError {}

/// A held lock; dropping it frees it (and the operating system or the server frees it when
/// the process dies, however it dies).
pub struct Lock(#[allow(dead_code)] Box<dyn Send>);

impl Lock {
    /// A lock kept alive by `holder` (an open locked file, a connection holding the lock).
    pub fn held_by(holder: impl Send + 'static) -> Lock {
        Lock(Box::new(holder))
    }
}

/// The locks of an inventory: one per job (one scan of a job at a time) and the
/// notifier's (one notifier at a time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockName<'a> {
    /// The job's lock, held while a run of it lives.
    Job(&'a str),
    /// The notifier's lock, held while it plans and sends.
    Notifier,
}

/// A connection to one inventory database.
pub trait Connection: Send {
    /// The SQL spoken.
    fn dialect(&self) -> Dialect;

    /// Runs one statement; the number of rows it changed.
    fn execute(&self, sql: &str, params: &[Param<'_>]) -> Result<u64, DbError>;

    /// Runs one INSERT into a table with an `id` key: the new row's id, or `None` when it
    /// inserted nothing (`ON CONFLICT DO NOTHING`).
    fn insert(&self, sql: &str, params: &[Param<'_>]) -> Result<Option<i64>, DbError>;

    /// Runs one query, handing each row to `each` in order.
    fn query(
        &self,
        sql: &str,
        params: &[Param<'_>],
        each: &mut dyn FnMut(&Row<'_>) -> Result<(), DbError>,
    ) -> Result<(), DbError>;

    /// Runs statements separated by semicolons, without parameters (migrations).
    fn batch(&self, sql: &str) -> Result<(), DbError>;

    /// Starts a transaction.
    fn begin(&self) -> Result<(), DbError>;

    /// Commits the transaction.
    fn commit(&self) -> Result<(), DbError> {
        self.batch("COMMIT")
    }

    /// Rolls the transaction back (after a failure inside it).
    fn rollback(&self) -> Result<(), DbError> {
        self.batch("ROLLBACK")
    }

    /// Takes a lock without waiting: `None` when another process holds it.
    fn try_lock(&self, lock: LockName<'_>) -> Result<Option<Lock>, DbError>;

    /// A number that changes when another connection commits (a reader that keeps what it
    /// read asks whether it is still current).
    fn change_counter(&self) -> Result<i64, DbError>;
}

/// Every row of a query, each made by `map`.
pub fn rows<T>(
    conn: &dyn Connection,
    sql: &str,
    params: &[Param<'_>],
    mut map: impl FnMut(&Row<'_>) -> Result<T, DbError>,
) -> Result<Vec<T>, DbError> {
    let mut out = Vec::new();
    conn.query(sql, params, &mut |row| {
        out.push(map(row)?);
        Ok(())
    })?;
    Ok(out)
}

/// The first row of a query, if there is one.
pub fn first<T>(
    conn: &dyn Connection,
    sql: &str,
    params: &[Param<'_>],
    mut map: impl FnMut(&Row<'_>) -> Result<T, DbError>,
) -> Result<Option<T>, DbError> {
    let mut out = None;
    conn.query(sql, params, &mut |row| {
        if out.is_none() {
            out = Some(map(row)?);
        }
        Ok(())
    })?;
    Ok(out)
}

/// Runs `work` in a transaction: committed when it succeeds, rolled back when it fails.
pub fn transaction<T>(
    conn: &dyn Connection,
    work: impl FnOnce() -> Result<T, DbError>,
) -> Result<T, DbError> {
    conn.begin()?;
    match work().and_then(|value| conn.commit().map(|()| value)) {
        Ok(value) => Ok(value),
        Err(e) => {
            let _ = conn.rollback();
            Err(e)
        }
    }
}

/// Runs `work` (a whole transaction) again when it collided with another writer's
/// (PostgreSQL's deadlock and serialization failures), up to five times in all.
pub fn retried<T>(mut work: impl FnMut() -> Result<T, DbError>) -> Result<T, DbError> {
    let mut attempt = 1u64;
    loop {
        match work() {
            Err(e) if e.failure == Failure::Conflict && attempt < 5 => {
                std::thread::sleep(std::time::Duration::from_millis(20 * attempt));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// `count` numbered parameters from `?first`, separated by commas: the list of an `IN (...)`.
pub fn marks(count: usize, first: usize) -> String {
    let marks: Vec<String> = (first..first + count).map(|i| format!("?{i}")).collect();
    marks.join(", ")
}

/// `rows` parenthesised groups of `width` numbered parameters, numbered on from `?1`: the
/// `VALUES` of a multi-row INSERT.
pub fn value_rows(rows: usize, width: usize) -> String {
    let groups: Vec<String> = (0..rows)
        .map(|row| format!("({})", marks(width, row * width + 1)))
        .collect();
    groups.join(", ")
}

/// Rows one multi-row INSERT takes at most (SQLite takes 32,766 values a statement: 500 rows
/// of up to 65 columns).
const ROWS_PER_INSERT: usize = 500;

/// Inserts `values`, `width` to a row, as `INSERT INTO {into} VALUES ... {then}`: one
/// statement for up to 500 rows.
pub fn insert_rows(
    conn: &dyn Connection,
    into: &str,
    width: usize,
    values: &[Param<'_>],
    then: &str,
) -> Result<(), DbError> {
    for rows in values.chunks(width * ROWS_PER_INSERT) {
        conn.execute(
            &format!(
                "INSERT INTO {into} VALUES {} {then}",
                value_rows(rows.len() / width, width)
            ),
            rows,
        )?;
    }
    Ok(())
}

/// Parameters as a slice, each value borrowed: `params![a, b]`.
macro_rules! params {
    () => { &[] as &[$crate::sql::Param<'_>] };
    ($($value:expr),+ $(,)?) => {
        &[$($crate::sql::ToParam::to_param(&$value)),+] as &[$crate::sql::Param<'_>]
    };
}
pub(crate) use params;

#[cfg(test)]
mod tests {
    #[test]
    fn marks_number_on_from_the_first() {
        assert_eq!(super::marks(3, 1), "?1, ?2, ?3");
        assert_eq!(super::marks(2, 4), "?4, ?5");
        assert_eq!(super::marks(0, 1), "");
    }

    #[test]
    fn value_rows_group_the_marks_by_row() {
        assert_eq!(super::value_rows(2, 3), "(?1, ?2, ?3), (?4, ?5, ?6)");
        assert_eq!(super::value_rows(1, 2), "(?1, ?2)");
    }
}
