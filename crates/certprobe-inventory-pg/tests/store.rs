//! The PostgreSQL store on its own: the same cases as SQLite's (certprobe-inventory's
//! tests/cases), each on a new database of a private cluster, and what only a server can
//! be (TLS as sslmode says, a database that is someone else's, a lost server).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../certprobe-inventory/tests/cases/mod.rs"]
mod cases;

use certprobe_inventory::Store;
use certprobe_inventory_pg::{Locator, Open};
use std::path::Path;

/// A new database of the test cluster.
struct Db {
    url: String,
}

impl Db {
    /// Another connection to the inventory.
    fn open(&self) -> Box<dyn Store + Send> {
        Locator::of(Path::new(&self.url))
            .unwrap()
            .open(Open::Create)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

fn fresh() -> Db {
    let cluster = certprobe_testkit::postgres::cluster()
        .expect("PostgreSQL 15 is not installed: run tests/daemons/install.sh");
    Db {
        url: cluster.database(),
    }
}

fn open(url: &str, how: Open) -> Result<Box<dyn Store + Send>, String> {
    Locator::of(Path::new(url))
        .and_then(|l| l.open(how))
        .map_err(|e| e.to_string())
}

#[test]
fn tls_is_checked_as_sslmode_says() {
    let cluster = certprobe_testkit::postgres::cluster()
        .expect("PostgreSQL 15 is not installed: run tests/daemons/install.sh");
    let url = cluster.database();
    let base = url.split('?').next().unwrap().to_string();
    let shown = base.clone();
    open(&url, Open::Create).unwrap();
    // Not checked: encrypted to anyone (require), or not encrypted at all (disable).
    open(&format!("{base}?sslmode=require"), Open::Read).unwrap();
    open(&format!("{base}?sslmode=disable"), Open::Read).unwrap();
    // Another CA: refused by verify-ca and verify-full, and by require once a root is given.
    let other = certprobe_testkit::write_temp(
        "other-ca.pem",
        certprobe_testkit::Ca::root("not the server's CA")
            .pem()
            .as_bytes(),
    );
    for mode in ["verify-ca", "verify-full", "require"] {
        assert_eq!(
            open(
                &format!("{base}?sslmode={mode}&sslrootcert={}", other.display()),
                Open::Read
            )
            .err()
            .unwrap(),
            format!("cannot open the inventory {shown}: the server's certificate is not issued by the CA given (sslrootcert)")
        );
    }
    // The certificate is for localhost and 127.0.0.1: another name passes verify-ca only.
    let by_name = base.replace("127.0.0.1", "localhost");
    let ca = cluster.ca_file.display();
    open(
        &format!("{by_name}?sslmode=verify-full&sslrootcert={ca}"),
        Open::Read,
    )
    .unwrap();
    let missing = cluster.dir.join("none.pem");
    assert_eq!(
        open(
            &format!("{base}?sslmode=verify-full&sslrootcert={}", missing.display()),
            Open::Read
        )
        .err()
        .unwrap(),
        format!(
            "cannot open the inventory {shown}: cannot read the PostgreSQL CA file {}: there is no such file",
            missing.display()
        )
    );
}

#[test]
fn a_database_that_is_not_an_inventory_or_not_there_is_one_sentence() {
    let cluster = certprobe_testkit::postgres::cluster()
        .expect("PostgreSQL 15 is not installed: run tests/daemons/install.sh");
    let url = cluster.database();
    let shown = url.split('?').next().unwrap().to_string();
    // Empty: not an inventory to read, made one to write.
    assert_eq!(
        open(&url, Open::Read).err().unwrap(),
        format!("{shown} is not a certprobe inventory")
    );
    assert_eq!(
        open(&url, Open::Existing).err().unwrap(),
        format!("{shown} is not a certprobe inventory")
    );
    let name = shown.rsplit('/').next().unwrap();
    cluster.sql_in(name, "CREATE TABLE invoices (id integer)");
    assert_eq!(
        open(&url, Open::Create).err().unwrap(),
        format!("{shown} is not a certprobe inventory")
    );
    // No such database, no server.
    let gone = url.replace(name, "no_such_database");
    let gone_shown = shown.replace(name, "no_such_database");
    assert_eq!(
        open(&gone, Open::Read).err().unwrap(),
        format!(
            "cannot open the inventory {gone_shown}: database \"no_such_database\" does not exist"
        )
    );
    let port = certprobe_testkit::refused_port();
    let nobody = format!("postgres://postgres:secret@127.0.0.1:{port}/x");
    assert_eq!(
        open(&nobody, Open::Read).err().unwrap(),
        format!("cannot open the inventory postgres://postgres@127.0.0.1:{port}/x: the connection was refused")
    );
}

/// A statement's first run goes whole (parameters as text, typed by the server), later runs
/// prepared (parameters bound in binary): both store and read each kind of value alike.
#[test]
fn statements_sent_whole_and_prepared_bind_every_kind_alike() {
    use certprobe_inventory::sql::{self, Connection, Param};
    let cluster = certprobe_testkit::postgres::cluster()
        .expect("PostgreSQL 15 is not installed: run tests/daemons/install.sh");
    let url = cluster.database();
    let target = certprobe_inventory_pg::Target::parse(&url).unwrap();
    let conn = certprobe_inventory_pg::PgConn::connect(&target).unwrap();
    conn.batch(
        "CREATE TABLE kinds (big BIGINT, small INTEGER, tiny SMALLINT, flag BOOLEAN,
                             words TEXT, bytes BYTEA, none BIGINT)",
    )
    .unwrap();
    let insert = "INSERT INTO kinds (big, small, tiny, flag, words, bytes, none)
                  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    let blob = [0u8, 1, 0x27, 0x5c, 0xff];
    for n in 0..3i64 {
        let words = format!("run {n}: 'quoted' \\ back\u{e9}");
        let values = [
            Param::Int(i64::MAX - n),
            Param::Int(-70_000 - n),
            Param::Int(n),
            Param::Int(n % 2),
            Param::Text(&words),
            Param::Blob(&blob),
            Param::Null,
        ];
        assert_eq!(conn.execute(insert, &values).unwrap(), 1, "run {n}");
    }
    let select = "SELECT big, small, tiny, flag, words, bytes, none FROM kinds
                  WHERE flag = ?1 AND small <= ?2 AND words LIKE ?3 AND bytes = ?4
                  ORDER BY tiny";
    for pass in 0..3 {
        let rows = sql::rows(
            &conn,
            select,
            &[
                Param::Int(0),
                Param::Int(-70_000),
                Param::Text("run %"),
                Param::Blob(&blob),
            ],
            |row| {
                Ok((
                    row.get::<i64>(0)?,
                    row.get::<i64>(1)?,
                    row.get::<i64>(2)?,
                    row.get::<i64>(3)?,
                    row.get::<String>(4)?,
                    row.get::<Vec<u8>>(5)?,
                    row.get::<Option<i64>>(6)?,
                ))
            },
        )
        .unwrap();
        let expected: Vec<_> = [0i64, 2]
            .iter()
            .map(|&n| {
                (
                    i64::MAX - n,
                    -70_000 - n,
                    n,
                    0,
                    format!("run {n}: 'quoted' \\ back\u{e9}"),
                    blob.to_vec(),
                    None,
                )
            })
            .collect();
        assert_eq!(rows, expected, "pass {pass}");
    }
    // An integer out of a column's range: the server says so for a statement sent whole,
    // certprobe for a prepared one (it binds the server's type); neither shows a type name
    // of the client library.
    let too_big = || {
        conn.execute(
            "INSERT INTO kinds (small) VALUES (?1)",
            &[Param::Int(i64::from(i32::MAX) + 1)],
        )
        .unwrap_err()
        .message
    };
    assert_eq!(
        too_big(),
        "value \"2147483648\" is out of range for type integer (SQLSTATE 22003)"
    );
    assert_eq!(
        too_big(),
        "the value 2147483648 is out of range for an int4 column"
    );
}

#[test]
fn through_a_pooler_that_refuses_login_options_the_session_settings_are_set_by_statement() {
    use certprobe_inventory::sql;
    let cluster = certprobe_testkit::postgres::cluster()
        .expect("PostgreSQL 15 is not installed: run tests/daemons/install.sh");
    let pooler = certprobe_testkit::postgres::pooler()
        .expect("PgBouncer is not installed: run tests/daemons/install.sh");
    let direct = cluster.database();
    let connect = |url: &str| {
        certprobe_inventory_pg::PgConn::connect(
            &certprobe_inventory_pg::Target::parse(url).unwrap(),
        )
    };
    let settings = |url: &str| {
        let conn = connect(url).unwrap_or_else(|e| panic!("{}", e.message));
        sql::rows(
            &conn,
            "SELECT current_setting('statement_timeout'), current_setting('lock_timeout'),
                    current_setting('idle_in_transaction_session_timeout'),
                    current_setting('TimeZone'), current_setting('search_path')",
            &[],
            |row| Ok([0, 1, 2, 3, 4].map(|i| row.get::<String>(i).unwrap_or_default())),
        )
        .unwrap()
    };
    let expected = vec![["10min", "1min", "10min", "UTC", "\"$user\", public"].map(String::from)];
    assert_eq!(settings(&direct), expected);
    assert_eq!(settings(&pooler.url(&direct)), expected);
    // The URL's own options cannot go through such a pooler: one sentence that says so.
    let own = "&options=-c%20search_path%3Dx";
    assert_eq!(
        connect(&format!("{}{own}", pooler.url(&direct))).err().unwrap().message,
        "the server (a connection pooler?) refused a setting of the URL: unsupported startup parameter: options"
    );
    assert_eq!(settings(&format!("{direct}{own}"))[0][4], "x");
}
