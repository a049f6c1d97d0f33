//! Formats told by content: the first bytes decide (the Java magics, a PEM line, a DER
//! SEQUENCE and what its first element is), never the file name. Each module reads one
//! format into a [`Parsed`]: certificates with their aliases, private keys, notes.

pub(crate) mod cert;
pub(crate) mod der_file;
pub(crate) mod jks;
pub(crate) mod jks_key;
pub(crate) mod pem;
pub(crate) mod pkcs12;
pub(crate) mod pkcs7;

use crate::error::{FileError, NotFound};
use crate::keys::PrivateKey;
use crate::{Format, Note, Secret};

/// A certificate as a format found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cert {
    pub der: Vec<u8>,
    pub alias: Option<String>,
    /// A Java private key entry's leaf: its key is stored with it, encrypted.
    pub key_in_store: bool,
}

impl Cert {
    pub(crate) fn plain(der: Vec<u8>) -> Cert {
        Cert {
            der,
            alias: None,
            key_in_store: false,
        }
    }
}

/// What one file holds.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub certs: Vec<Cert>,
    pub keys: Vec<PrivateKey>,
    /// Keys seen but not readable (encrypted ones, a Java store's private keys).
    pub unreadable_keys: usize,
    pub notes: Vec<Note>,
}

/// The format of `bytes` and what they hold, or why not.
pub(crate) fn parse(
    bytes: &[u8],
    password: Option<&Secret>,
) -> (Option<Format>, Result<Parsed, FileError>) {
    if bytes.is_empty() {
        return (None, Err(FileError::NoCertificate(NotFound::Empty)));
    }
    if let Some(format) = jks::detect(bytes) {
        return (Some(format), jks::parse(bytes, format, password));
    }
    // DER first when the file is exactly one element (or a PKCS#12), so a certificate that
    // carries "-----BEGIN " in a field is still read as the DER it is.
    if der_file::detect(bytes) {
        return der_file::parse(bytes, password);
    }
    if pem::detect(bytes) {
        return pem::parse(bytes);
    }
    if bytes.first() == Some(&0x30) {
        return der_file::parse(bytes, password);
    }
    (
        None,
        Err(FileError::NoCertificate(NotFound::UnknownContent)),
    )
}
