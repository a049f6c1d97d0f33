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
