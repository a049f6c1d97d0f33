//! What the audit returns for each path: plain data for the inventory to store and the
//! plugins to print.

use crate::error::FileError;
use std::fmt;
use std::path::PathBuf;

/// A file format, as told by the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// PEM text: certificates, private keys (and PKCS#7 blocks among them).
    Pem,
    /// One DER certificate (or a DER private key, for a `.key` file).
    Der,
    /// A PKCS#7 SignedData bundle, PEM or DER (`.p7b`, `.p7c`).
    Pkcs7,
    /// PKCS#12 (`.p12`, `.pfx`).
    Pkcs12,
    /// Java keystore, magic 0xFEEDFEED.
    Jks,
    /// Java cryptography extension keystore, magic 0xCECECECE.
    Jceks,
}

impl Format {
    /// A stable short name for storing: `pem`, `der`, `pkcs7`, `pkcs12`, `jks`, `jceks`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Pem => "pem",
            Format::Der => "der",
            Format::Pkcs7 => "pkcs7",
            Format::Pkcs12 => "pkcs12",
            Format::Jks => "jks",
            Format::Jceks => "jceks",
        }
    }

    /// The format in words, as the sentences name it.
    pub fn description(self) -> &'static str {
        match self {
            Format::Pem => "PEM file",
            Format::Der => "DER file",
            Format::Pkcs7 => "PKCS#7 bundle",
            Format::Pkcs12 => "PKCS#12 file",
            Format::Jks => "JKS keystore",
            Format::Jceks => "JCEKS keystore",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// One path's outcome: a file read (its certificates), or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOutcome {
    /// The path as walked (the root as given, joined with the names below it).
    pub path: PathBuf,
    /// The format, when the content was recognised.
    pub format: Option<Format>,
    /// The certificates, or the reason there are none.
    pub result: Result<FileContents, FileError>,
}

impl FileOutcome {
    /// The path made safe to print: control characters and bytes that are not UTF-8 as
    /// escapes (`\n`, `\xff`), so a hostile file name cannot break a line of output.
    pub fn display_path(&self) -> String {
        display_path(&self.path)
    }
}

/// `path` made visible (see [`FileOutcome::display_path`]).
pub fn display_path(path: &std::path::Path) -> String {
    #[cfg(unix)]
    let shown = {
        use std::os::unix::ffi::OsStrExt;
        certprobe::text::quote_bytes(path.as_os_str().as_bytes(), 4096)
    };
    #[cfg(not(unix))]
    let shown = certprobe::text::quote(&path.to_string_lossy(), 4096);
    shown
}

/// What one readable file holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileContents {
    /// The certificates, in the order of the file.
    pub certificates: Vec<FoundCertificate>,
    /// How many private keys the file holds (read or not).
    pub private_keys: usize,
    /// Private keys that match no certificate of the file: a finding. A file of keys only
    /// (`shop.key`) counts none here; its keys are compared from the certificate's side.
    pub unmatched_keys: usize,
    /// What the caller should know besides (integrity not verified, keys not compared).
    pub notes: Vec<Note>,
}

/// One certificate found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCertificate {
    /// The certificate's DER, as stored (hash it for the inventory's SHA-256).
    pub der: Vec<u8>,
    /// The JKS/JCEKS alias or the PKCS#12 friendlyName, made visible.
    pub alias: Option<String>,
    /// Its place among the file's certificates, from 0.
    pub position: usize,
    /// Whether a private key for it was found.
    pub private_key: KeyPresence,
}

impl FoundCertificate {
    /// The SHA-256 of the DER, the inventory's key of a certificate.
    pub fn sha256(&self) -> [u8; 32] {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.der);
        let mut out = [0; 32];
        out.copy_from_slice(digest.as_ref());
        out
    }
}

/// A certificate's private key, as far as the files show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPresence {
    /// No private key for it was found.
    None,
    /// A private key in the same file (PEM, PKCS#12) or in the `.key` file next to it has
    /// the certificate's public key.
    Matched,
    /// The `.key` file next to it (this path) holds keys, none with this certificate's
    /// public key: a finding. Given to the file's first certificate, the leaf by convention.
    Mismatch(PathBuf),
    /// A Java keystore's private key entry: the key is stored with this chain, encrypted,
    /// and was not compared.
    InStore,
}

/// Something to know about a file that was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A Java keystore read without its password: its integrity digest was not checked.
    IntegrityNotVerified,
    /// A Java keystore's integrity digest matches the password given.
    IntegrityVerified,
    /// This many encrypted private keys (PEM `ENCRYPTED PRIVATE KEY`, or a PEM key with
    /// `Proc-Type: 4,ENCRYPTED`) could not be read without their password.
    EncryptedKeys(usize),
    /// A private key of this algorithm (words) was not compared with the certificates.
    KeyNotCompared(String),
    /// The `.key` file next to it could not be read: its path and the reason.
    KeyFileUnreadable(PathBuf, FileError),
    /// A JCEKS secret key entry (Java serialized data, not readable here) ends the reading:
    /// the certificates after it are not listed. Its alias, made visible.
    StoppedAtSecretKey(String),
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::IntegrityNotVerified => {
                f.write_str("integrity not verified: no keystore password was given")
            }
            Note::IntegrityVerified => {
                f.write_str("integrity verified with the keystore password")
            }
            Note::EncryptedKeys(1) => f.write_str(
                "1 encrypted private key could not be read without its password",
            ),
            Note::EncryptedKeys(n) => write!(
                f,
                "{n} encrypted private keys could not be read without their password"
            ),
            Note::KeyNotCompared(what) => write!(
                f,
                "a private key ({what}) was not compared with the certificates"
            ),
            Note::KeyFileUnreadable(path, error) => write!(
                f,
                "the key file {} next to it was not compared: {error}",
                display_path(path)
            ),
            Note::StoppedAtSecretKey(alias) => write!(
                f,
                "the secret key entry '{alias}' cannot be read here: the entries after it are not listed"
            ),
        }
    }
}
