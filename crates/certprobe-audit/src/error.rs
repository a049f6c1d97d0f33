//! Why a file gave no certificates: one typed value per reason, each shown as one plain
//! sentence (no library enum names, no Debug text), so the inventory and the plugins can
//! store and print it as it is.

use std::fmt;
use std::io;

/// A file's (or folder's) failure. The run goes on with the next path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// Read, but nothing in it is a certificate or a private key.
    NoCertificate(NotFound),
    /// A password was given and the file's integrity check fails with it.
    BadPassword(Store),
    /// The file needs a password and none was given (an empty one was tried).
    PasswordNeeded,
    /// PKCS#12 and keystore passwords are text; the bytes given are not UTF-8.
    PasswordNotText,
    /// Recognised, but a kind or version this reader does not handle; the words say which.
    Unsupported(String),
    /// The format is known but the bytes break it; the words say where.
    Corrupt {
        /// The format, in words ("JKS keystore").
        format: &'static str,
        /// Where and how, in words.
        detail: String,
    },
    /// The operating system refused or could not find it.
    Unreadable(Unreadable),
    /// Larger than the cap: skipped without reading.
    TooLarge {
        /// Its size in bytes.
        size: u64,
        /// The cap in bytes.
        limit: u64,
    },
    /// A symbolic link that leads back into a folder being walked (or to itself).
    SymlinkLoop,
    /// A FIFO, socket or device: never opened (a FIFO would block the run).
    NotAFile(&'static str),
}

/// What a file without certificates looked like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFound {
    /// Zero bytes.
    Empty,
    /// PEM blocks, none of them a certificate, a PKCS#7 bundle or a private key.
    PemWithoutCertificate,
    /// Not any format read here.
    UnknownContent,
    /// A container (PKCS#7 bundle, PKCS#12 file, Java keystore) without certificates or keys.
    EmptyContainer(crate::Format),
}

/// Which integrity check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// The PKCS#12 MAC.
    Pkcs12,
    /// The JKS/JCEKS SHA-1 digest.
    JavaKeystore,
}

/// Why the operating system could not give the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// EACCES / EPERM.
    PermissionDenied,
    /// Gone (vanished during the run) or a dangling symbolic link.
    NotFound,
    /// Anything else, in the system's words (made visible).
    Other(String),
}

impl Unreadable {
    /// The I/O error as one of the cases, never its Debug text.
    pub fn from_io(error: &io::Error) -> Unreadable {
        match error.kind() {
            io::ErrorKind::PermissionDenied => Unreadable::PermissionDenied,
            io::ErrorKind::NotFound => Unreadable::NotFound,
            _ => {
                // "Permission denied (os error 13)": the words, without the number.
                let text = error.to_string();
                let words = text.split(" (os error").next().unwrap_or_default();
                Unreadable::Other(certprobe::text::quote(words, 200))
            }
        }
    }
}

impl FileError {
    /// The error for an I/O failure on the path, a symbolic link loop included.
    pub fn from_io(error: &io::Error) -> FileError {
        if is_loop(error) {
            FileError::SymlinkLoop
        } else {
            FileError::Unreadable(Unreadable::from_io(error))
        }
    }

    /// A stable id of the reason, for storing and for machine-readable output (the
    /// sentence may be reworded, this may not): `no-certificate`, `bad-password`,
    /// `password-needed`, `password-not-text`, `unsupported`, `corrupt`, `unreadable`,
    /// `too-large`, `symlink-loop`, `not-a-file`.
    pub fn code(&self) -> &'static str {
        match self {
            FileError::NoCertificate(_) => "no-certificate",
            FileError::BadPassword(_) => "bad-password",
            FileError::PasswordNeeded => "password-needed",
            FileError::PasswordNotText => "password-not-text",
            FileError::Unsupported(_) => "unsupported",
            FileError::Corrupt { .. } => "corrupt",
            FileError::Unreadable(_) => "unreadable",
            FileError::TooLarge { .. } => "too-large",
            FileError::SymlinkLoop => "symlink-loop",
            FileError::NotAFile(_) => "not-a-file",
        }
    }

    /// A `Corrupt` with `detail`.
    pub(crate) fn corrupt(format: &'static str, detail: impl Into<String>) -> FileError {
        FileError::Corrupt {
            format,
            detail: detail.into(),
        }
    }
}

/// ELOOP: a link to itself, or too many levels of links (std has no stable kind for it).
fn is_loop(error: &io::Error) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const ELOOP: i32 = 40;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const ELOOP: i32 = 62;
    cfg!(unix) && error.raw_os_error() == Some(ELOOP)
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::NoCertificate(NotFound::Empty) => {
                f.write_str("no certificate found: the file is empty")
            }
            FileError::NoCertificate(NotFound::PemWithoutCertificate) => f.write_str(
                "no certificate found: the PEM file holds no certificate, PKCS#7 bundle or private key",
            ),
            FileError::NoCertificate(NotFound::UnknownContent) => f.write_str(
                "no certificate found: the file is not PEM, DER, PKCS#7, PKCS#12, JKS or JCEKS",
            ),
            FileError::NoCertificate(NotFound::EmptyContainer(format)) => write!(
                f,
                "no certificate found: the {} holds no certificate or private key",
                format.description()
            ),
            FileError::BadPassword(Store::Pkcs12) => f.write_str(
                "bad password: the PKCS#12 file's integrity check (MAC) fails with the password given",
            ),
            FileError::BadPassword(Store::JavaKeystore) => f.write_str(
                "bad password: the keystore's integrity digest does not match with the password given (or the file was altered)",
            ),
            FileError::PasswordNeeded => f.write_str(
                "password needed: the PKCS#12 file is protected by a password and none was given",
            ),
            FileError::PasswordNotText => {
                f.write_str("the password given is not UTF-8 text, as PKCS#12 and keystore passwords must be")
            }
            FileError::Unsupported(what) => write!(f, "unsupported format: {what}"),
            FileError::Corrupt { format, detail } => {
                write!(f, "truncated or corrupt {format}: {detail}")
            }
            FileError::Unreadable(Unreadable::PermissionDenied) => {
                f.write_str("unreadable: permission denied")
            }
            FileError::Unreadable(Unreadable::NotFound) => {
                f.write_str("unreadable: no such file or folder (it may have vanished during the run)")
            }
            FileError::Unreadable(Unreadable::Other(words)) => write!(f, "unreadable: {words}"),
            FileError::TooLarge { size, limit } => write!(
                f,
                "too large: {size} bytes, over the limit of {limit} bytes; not read"
            ),
            FileError::SymlinkLoop => {
                f.write_str("symbolic link loop: the link leads back to a folder above it or to itself; not followed")
            }
            FileError::NotAFile(kind) => write!(f, "not a regular file ({kind}); not read"),
        }
    }
}

impl std::error::Error for FileError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_become_words_and_codes() {
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        assert_eq!(
            FileError::from_io(&denied).to_string(),
            "unreadable: permission denied"
        );
        assert_eq!(FileError::from_io(&denied).code(), "unreadable");
        let looped = io::Error::from_raw_os_error(if cfg!(target_os = "linux") { 40 } else { 62 });
        if cfg!(unix) {
            assert_eq!(FileError::from_io(&looped).code(), "symlink-loop");
        }
        // The system's words without "(os error 16)"; Linux's text.
        if cfg!(target_os = "linux") {
            let busy = io::Error::from_raw_os_error(16);
            assert_eq!(
                FileError::from_io(&busy).to_string(),
                "unreadable: Device or resource busy"
            );
        }
    }
}
