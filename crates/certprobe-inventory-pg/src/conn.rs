//! The seam over a PostgreSQL connection: `?N` parameters become `$N`; a statement's first
//! run goes to the server in one round trip (parsed, bound and run at once, its parameters
//! as text for the server to read as the types it infers), and one run again is prepared
//! once per connection, each parameter then bound in binary as the type the server inferred
//! for it (so the store binds 64-bit integers wherever PostgreSQL expects an integer or a
//! boolean); rows are read as they arrive. A named lock is a session advisory lock on a
//! connection of its own, freed when the lock is dropped or the process dies.

use crate::failure;
use crate::target::{SslMode, Target};
use bytes::BytesMut;
use certprobe_inventory::sql::{
    Connection, DbError, Dialect, Failure, Lock, LockName, Param, Row, RowRead, Value,
};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{IsNull, ToSql, Type};
use postgres::{Client, NoTls, Statement};
use std::cell::RefCell;
use std::collections::HashMap;

/// A connection to a PostgreSQL inventory.
pub struct PgConn {
    client: RefCell<Client>,
    statements: RefCell<HashMap<String, Seen>>,
    target: Target,
}

impl PgConn {
    /// Connects to `target`.
    pub fn connect(target: &Target) -> Result<PgConn, DbError> {
        Ok(PgConn {
            client: RefCell::new(connect(target)?),
            statements: RefCell::new(HashMap::new()),
            target: target.clone(),
        })
    }

    /// How to run `sql` this time: a statement run before is prepared (once), a new one is
    /// sent whole (a command that runs each statement once waits for one round trip per
    /// statement instead of two, and needs no server-side statement, which a pooler in
    /// transaction mode would not keep).
    fn plan(&self, client: &mut Client, sql: &str) -> Result<Run, DbError> {
        let mut statements = self.statements.borrow_mut();
        match statements.get(sql) {
            Some(Seen::Prepared(statement)) => Ok(Run::Prepared(statement.clone())),
            Some(Seen::Once) => {
                let statement = client
                    .prepare(&dollar_parameters(sql))
                    .map_err(|e| failure::statement(&e))?;
                statements.insert(sql.to_string(), Seen::Prepared(statement.clone()));
                Ok(Run::Prepared(statement))
            }
            None => {
                statements.insert(sql.to_string(), Seen::Once);
                Ok(Run::Whole(dollar_parameters(sql)))
            }
        }
    }

    fn client(&self) -> Result<std::cell::RefMut<'_, Client>, DbError> {
        self.client.try_borrow_mut().map_err(|_| {
            DbError::new(
                Failure::Other,
                "a statement was started inside another one's rows",
            )
        })
    }
}

/// What the connection knows of a statement it ran.
enum Seen {
    /// Run once, sent whole.
    Once,
    /// Run again: prepared on the server.
    Prepared(Statement),
}

/// A statement as it is run this time.
enum Run {
    /// The SQL (with `$N`) parsed, bound and run in one round trip.
    Whole(String),
    Prepared(Statement),
}

/// A new session to `target`, TLS as its sslmode says, with the session settings: sent with
/// the login, or set by a statement after it where the server refuses them with the login
/// (PgBouncer, unless told to ignore them).
fn connect(target: &Target) -> Result<Client, DbError> {
    let tls = match target.ssl_mode {
        SslMode::Disable => None,
        _ => Some(
            crate::tls::client_config(target)
                .map_err(|why| DbError::new(Failure::CannotOpen, why))?,
        ),
    };
    match login(&target.config, tls.clone()) {
        Err(e) if failure::refused_startup_options(&e) => {
            let mut client =
                login(&target.config_without_settings, tls).map_err(|e| failure::connecting(&e))?;
            client
                .batch_execute(&crate::target::session_settings_statement())
                .map_err(|e| failure::statement(&e))?;
            Ok(client)
        }
        connected => connected.map_err(|e| failure::connecting(&e)),
    }
}

fn login(
    config: &postgres::Config,
    tls: Option<rustls::ClientConfig>,
) -> Result<Client, postgres::Error> {
    match tls {
        None => config.connect(NoTls),
        Some(tls) => config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls)),
    }
}

/// `?N` as `$N`, outside quoted text and identifiers.
fn dollar_parameters(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some(_), c) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (None, '?') if chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
            (None, c) => out.push(c),
        }
    }
    out
}

/// A parameter sent with a statement sent whole: the server infers its type as it does
/// for a prepared statement and reads it from text (a blob goes as bytea, in binary).
#[derive(Debug)]
struct AsText<'a>(Param<'a>);

impl AsText<'_> {
    /// The type the parameter is declared as: a blob's, or none (0: the server infers it).
    fn declared(&self) -> Type {
        match self.0 {
            Param::Blob(_) => Type::BYTEA,
            _ => Type::new(
                "unspecified".to_string(),
                0,
                postgres::types::Kind::Pseudo,
                "pg_catalog".to_string(),
            ),
        }
    }
}

impl ToSql for AsText<'_> {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Param::Null => return Ok(IsNull::Yes),
            Param::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Param::Text(text) => out.extend_from_slice(text.as_bytes()),
            Param::Blob(bytes) => out.extend_from_slice(bytes),
        }
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    fn encode_format(&self, _: &Type) -> postgres::types::Format {
        match self.0 {
            Param::Blob(_) => postgres::types::Format::Binary,
            _ => postgres::types::Format::Text,
        }
    }

    postgres::types::to_sql_checked!();
}

/// A parameter bound as the type the server expects for it.
#[derive(Debug)]
struct Bound<'a>(Param<'a>);

impl ToSql for Bound<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(i) => {
                let out_of_range = || {
                    failure::Unsendable(format!(
                        "the value {i} is out of range for an {} column",
                        ty.name()
                    ))
                };
                match *ty {
                    Type::INT8 => i.to_sql(ty, out),
                    Type::INT4 => i32::try_from(i)
                        .map_err(|_| out_of_range())?
                        .to_sql(ty, out),
                    Type::INT2 => i16::try_from(i)
                        .map_err(|_| out_of_range())?
                        .to_sql(ty, out),
                    Type::BOOL => (i != 0).to_sql(ty, out),
                    _ => Err(failure::Unsendable(format!(
                        "an integer cannot be a {} value",
                        ty.name()
                    ))
                    .into()),
                }
            }
            Param::Text(text) => text.to_sql(ty, out),
            Param::Blob(bytes) => bytes.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

struct PgRow<'a>(&'a postgres::Row);

impl RowRead for PgRow<'_> {
    fn value(&self, index: usize) -> Result<Value<'_>, DbError> {
        let row = self.0;
        let column = row.columns().get(index).ok_or_else(|| {
            DbError::new(Failure::Other, format!("there is no column {}", index + 1))
        })?;
        let read = |e: postgres::Error| {
            DbError::new(
                Failure::Other,
                format!("column {} cannot be read: {e}", index + 1),
            )
        };
        Ok(match *column.type_() {
            Type::INT8 => row
                .try_get::<_, Option<i64>>(index)
                .map_err(read)?
                .map_or(Value::Null, Value::Int),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(index)
                .map_err(read)?
                .map_or(Value::Null, |i| Value::Int(i64::from(i))),
            Type::INT2 => row
                .try_get::<_, Option<i16>>(index)
                .map_err(read)?
                .map_or(Value::Null, |i| Value::Int(i64::from(i))),
            Type::BOOL => row
                .try_get::<_, Option<bool>>(index)
                .map_err(read)?
                .map_or(Value::Null, |b| Value::Int(i64::from(b))),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => row
                .try_get::<_, Option<&str>>(index)
                .map_err(read)?
                .map_or(Value::Null, Value::Text),
            Type::BYTEA => row
                .try_get::<_, Option<&[u8]>>(index)
                .map_err(read)?
                .map_or(Value::Null, Value::Blob),
            ref other => {
                return Err(DbError::new(
                    Failure::Other,
                    format!(
                        "column {} is of type {}, which the store does not read",
                        index + 1,
                        other.name()
                    ),
                ))
            }
        })
    }
}

impl Connection for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&self, sql: &str, params: &[Param<'_>]) -> Result<u64, DbError> {
        let mut client = self.client()?;
        match self.plan(&mut client, sql)? {
            Run::Whole(sql) => {
                let texts: Vec<AsText<'_>> = params.iter().map(|p| AsText(*p)).collect();
                let typed: Vec<(&(dyn ToSql + Sync), Type)> = texts
                    .iter()
                    .map(|t| (t as &(dyn ToSql + Sync), t.declared()))
                    .collect();
                client.execute_typed(&sql, &typed)
            }
            Run::Prepared(statement) => {
                let bound: Vec<Bound<'_>> = params.iter().map(|p| Bound(*p)).collect();
                let refs: Vec<&(dyn ToSql + Sync)> =
                    bound.iter().map(|b| b as &(dyn ToSql + Sync)).collect();
                client.execute(&statement, &refs)
            }
        }
        .map_err(|e| failure::statement(&e))
    }

    fn insert(&self, sql: &str, params: &[Param<'_>]) -> Result<Option<i64>, DbError> {
        let returning = format!("{sql} RETURNING id");
        let mut id = None;
        self.query(&returning, params, &mut |row| {
            id = Some(row.get::<i64>(0)?);
            Ok(())
        })?;
        Ok(id)
    }

    fn query(
        &self,
        sql: &str,
        params: &[Param<'_>],
        each: &mut dyn FnMut(&Row<'_>) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        let mut client = self.client()?;
        let mut rows = match self.plan(&mut client, sql)? {
            Run::Whole(sql) => {
                let texts: Vec<AsText<'_>> = params.iter().map(|p| AsText(*p)).collect();
                client.query_typed_raw(&sql, texts.iter().map(|t| (t, t.declared())))
            }
            Run::Prepared(statement) => {
                let bound: Vec<Bound<'_>> = params.iter().map(|p| Bound(*p)).collect();
                client.query_raw(&statement, bound.iter())
            }
        }
        .map_err(|e| failure::statement(&e))?;
        while let Some(row) = rows.next().map_err(|e| failure::statement(&e))? {
            each(&Row::new(&PgRow(&row)))?;
        }
        Ok(())
    }

    fn batch(&self, sql: &str) -> Result<(), DbError> {
        self.client()?
            .batch_execute(sql)
            .map_err(|e| failure::statement(&e))
    }

    fn begin(&self) -> Result<(), DbError> {
        self.batch("BEGIN")
    }

    fn try_lock(&self, lock: LockName<'_>) -> Result<Option<Lock>, DbError> {
        let name = match lock {
            LockName::Job(job) => format!("certprobe job {job}"),
            LockName::Notifier => "certprobe notifier".to_string(),
        };
        let key = lock_key(&name);
        let mut client = connect(&self.target)?;
        let taken = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .and_then(|row| row.try_get::<_, bool>(0))
            .map_err(|e| failure::statement(&e))?;
        Ok(taken.then(|| Lock::held_by(AdvisoryLock { client, key })))
    }

    fn change_counter(&self) -> Result<i64, DbError> {
        // The server's snapshot changes whenever a writing transaction starts or ends: a
        // commit is never missed (another database's writes count too, which only makes a
        // reader look again).
        let mut snapshot = String::new();
        self.query(
            "SELECT CAST(pg_current_snapshot() AS TEXT)",
            &[],
            &mut |row| {
                snapshot = row.get(0)?;
                Ok(())
            },
        )?;
        Ok(lock_key(&snapshot))
    }
}

/// A session advisory lock and the connection holding it. Dropped, it unlocks before the
/// connection closes: the server ends a closed session a moment later, and another process
/// taking the lock at once must find it free.
struct AdvisoryLock {
    client: Client,
    key: i64,
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        let _ = self
            .client
            .execute("SELECT pg_advisory_unlock($1)", &[&self.key]);
    }
}

/// A stable 64-bit key for a name (FNV-1a): the same in every certprobe process.
fn lock_key(name: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::{dollar_parameters, lock_key};

    #[test]
    fn numbered_parameters_become_dollars_outside_quotes() {
        assert_eq!(
            dollar_parameters("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND \"?3\" = ?10"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND \"?3\" = $10"
        );
        assert_eq!(dollar_parameters("SELECT '?' = ?"), "SELECT '?' = ?");
    }

    #[test]
    fn lock_keys_are_stable() {
        assert_eq!(
            lock_key(""),
            i64::from_ne_bytes(0xcbf2_9ce4_8422_2325u64.to_ne_bytes())
        );
        assert_ne!(lock_key("certprobe job a"), lock_key("certprobe job b"));
    }
}
