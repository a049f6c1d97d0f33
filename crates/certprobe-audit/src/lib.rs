//! The local certificate audit's reading side: certificates (and the private keys next to
//! them) from files, folders and keystores, each file with its own outcome.
//!
//! Formats are told by content, never by the file name: PEM, DER, PKCS#7, PKCS#12, Java JKS
//! and JCEKS. Hostile files are normal: every length is checked before it is used, a file
//! over the size cap is skipped without reading, and one file's failure (a folder without
//! permission, a symbolic link loop, a file that vanished) is that path's outcome, never the
//! end of the run. Nothing here writes anything or prints anything; the passwords given are
//! never part of any value returned.
//!
//! ```no_run
//! use certprobe_audit::{AuditOptions, Auditor};
//! let auditor = Auditor::new(&AuditOptions::default()).unwrap();
//! for outcome in auditor.audit(&["/etc/ssl".into()]) {
//!     match &outcome.result {
//!         Ok(contents) => println!("{}: {} certificates", outcome.display_path(), contents.certificates.len()),
//!         Err(error) => println!("{}: {error}", outcome.display_path()),
//!     }
//! }
//! ```

mod audit;
mod error;
mod formats;
mod judge;
mod keys;
mod outcome;
pub mod places;
mod secret;
mod walk;

pub use audit::{
    audit_paths, read_bytes, AuditOptions, Auditor, Listed, OptionsError, DEFAULT_MAX_FILE_SIZE,
};
pub use error::{FileError, NotFound, Store, Unreadable};
pub use judge::{judge_file, judge_store, JudgedPlace, Judging};
pub use outcome::{
    display_path, FileContents, FileOutcome, Format, FoundCertificate, KeyPresence, Note,
};
pub use secret::{password_from, PasswordError, Secret};
