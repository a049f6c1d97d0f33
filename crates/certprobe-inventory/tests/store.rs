//! The SQLite store on its own: the shared cases (tests/cases) on a new file each, and
//! what only a file can be.

#![allow(clippy::unwrap_used)]

mod cases;

use certprobe_inventory::{SqliteStore, Store};
use std::path::PathBuf;

/// A new inventory file in a folder of its own.
struct Db {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Db {
    /// Another connection to the inventory.
    fn open(&self) -> Box<dyn Store + Send> {
        Box::new(SqliteStore::open(&self.path).unwrap())
    }
}

fn fresh() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.sqlite");
    Db { _dir: dir, path }
}

#[test]
fn a_file_that_is_not_an_inventory_is_named_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "not a database at all, just some text that is long enough to fill a header of one hundred bytes or so").unwrap();
    let error = SqliteStore::open(&path).err().unwrap();
    assert_eq!(
        error.to_string(),
        format!("{} is not a certprobe inventory", path.display())
    );
    let missing = SqliteStore::open_read_only(&dir.path().join("none.sqlite"))
        .err()
        .unwrap();
    assert_eq!(
        missing.to_string(),
        format!(
            "cannot open the inventory {}: there is no such file (run certprobe scan first)",
            dir.path().join("none.sqlite").display()
        )
    );
}

#[test]
fn processes_making_the_same_new_inventory_at_once_all_open_it() {
    // Scanners started together: each opens (and so makes) the same new file. SQLite answers
    // busy without waiting where a new file turns to WAL; the store tries again.
    for _ in 0..20 {
        let db = fresh();
        let opened: Vec<bool> = std::thread::scope(|s| {
            let each: Vec<_> = (0..4)
                .map(|_| s.spawn(|| SqliteStore::open(&db.path).is_ok()))
                .collect();
            each.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert_eq!(opened, [true; 4]);
    }
}
