//! Why the inventory cannot do what was asked, as one sentence.

use std::fmt;

/// An inventory failure.
#[derive(Debug)]
pub enum InventoryError {
    /// The database file cannot be opened or created.
    Open {
        /// The database's path.
        path: String,
        /// Why, in the database library's words.
        reason: String,
    },
    /// The database is locked by another process longer than the busy timeout allows.
    Locked {
        /// The database's path.
        path: String,
    },
    /// The database cannot be written (read-only file or folder, full disk).
    NotWritable {
        /// The database's path.
        path: String,
        /// Why.
        reason: String,
    },
    /// The database was made by a newer certprobe.
    TooNew {
        /// The database's path.
        path: String,
        /// Its schema version.
        found: i64,
        /// The newest this certprobe knows.
        known: i64,
    },
    /// The file is not a certprobe inventory (or not SQLite at all).
    NotAnInventory {
        /// The database's path.
        path: String,
    },
    /// Another scan of the same job is running.
    JobRunning {
        /// The job.
        job: String,
        /// The run's id.
        run: i64,
        /// The process that holds it.
        pid: i64,
    },
    /// The job's latest run is shared by several scanners and not done.
    SharedRunning {
        /// The job.
        job: String,
        /// The run's id.
        run: i64,
    },
    /// A shared run's work unit was taken over by another scanner: this one's lease ended
    /// before it was done, so what it found is not stored.
    UnitLost {
        /// The unit's id.
        unit: i64,
    },
    /// Another `certprobe notify` is sending from this inventory.
    NotifierRunning {
        /// The database's path.
        path: String,
    },
    /// Any other database failure.
    Database {
        /// The database's path.
        path: String,
        /// What was being done.
        doing: &'static str,
        /// The database library's words.
        reason: String,
    },
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InventoryError::Open { path, reason } => {
                write!(f, "cannot open the inventory {path}: {reason}")
            }
            InventoryError::Locked { path } => write!(
                f,
                "the inventory {path} is locked by another process; try again when it is done"
            ),
            InventoryError::NotWritable { path, reason } => {
                write!(f, "cannot write to the inventory {path}: {reason}")
            }
            InventoryError::TooNew { path, found, known } => write!(
                f,
                "the inventory {path} has schema version {found}, made by a newer certprobe (this one knows up to {known})"
            ),
            InventoryError::NotAnInventory { path } => {
                write!(f, "{path} is not a certprobe inventory")
            }
            InventoryError::JobRunning { job, run, pid } => write!(
                f,
                "a scan of job '{job}' is already running (run {run}, process {pid}); wait for it to end"
            ),
            InventoryError::SharedRunning { job, run } => write!(
                f,
                "job '{job}' is being scanned by several scanners (run {run}): join them with --share, or end that run with --restart"
            ),
            InventoryError::UnitLost { unit } => write!(
                f,
                "work unit {unit} was taken over by another scanner: this one's lease ended before it was done (make --lease longer)"
            ),
            InventoryError::NotifierRunning { path } => write!(
                f,
                "another certprobe notify is sending from {path}; wait for it to end"
            ),
            InventoryError::Database {
                path,
                doing,
                reason,
            } => write!(f, "the inventory {path} failed while {doing}: {reason}"),
        }
    }
}

impl std::error::Error for InventoryError {}

/// An operating-system error in words, without Rust's "(os error N)" tail: what the scanner,
/// the inventory and the exports say about a file they cannot read or write.
pub fn io_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
        std::io::ErrorKind::AlreadyExists => "it exists already".to_string(),
        std::io::ErrorKind::NotADirectory => {
            "a part of the path is a file, not a folder".to_string()
        }
        std::io::ErrorKind::IsADirectory => "it is a folder".to_string(),
        std::io::ErrorKind::StorageFull => "the disk is full".to_string(),
        std::io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only".to_string(),
        _ => {
            // The system's words ("Too many open files"), as part of a sentence.
            let text = e.to_string();
            let text = match text.find(" (os error") {
                Some(cut) => &text[..cut],
                None => &text,
            };
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => String::new(),
            }
        }
    }
}
