//! The run: the walk's files read one by one (size cap before reading), their format
//! parsed, their private keys (or the `.key` file next to them) matched to their
//! certificates by public key.

use crate::error::FileError;
use crate::formats::{self, Parsed};
use crate::keys::{self, KeyId, PublicKey};
use crate::walk::{self, Filter};
use crate::{FileContents, FileOutcome, FoundCertificate, KeyPresence, Note, Secret};
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::io::Read;
use std::path::{Path, PathBuf};

pub use crate::walk::Listed;

/// 16 MiB: far above any certificate file or keystore, far below what would hurt.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// What to read and how.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// Globs a file below a root must match one of (all files when empty); `**/*.pem`.
    /// A root named as a file is read whatever the globs say.
    pub include: Vec<String>,
    /// Globs of files and folders to leave out (a folder is not entered).
    pub exclude: Vec<String>,
    /// Follow symbolic links below the roots (loops are reported, never followed).
    pub follow_symlinks: bool,
    /// Files larger than this many bytes are skipped without reading.
    pub max_file_size: u64,
    /// The password of PKCS#12 files and Java keystores.
    pub password: Option<Secret>,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            include: Vec::new(),
            exclude: Vec::new(),
            follow_symlinks: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            password: None,
        }
    }
}

/// A glob that does not parse: the configuration is wrong, nothing is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionsError {
    /// The glob, made visible.
    pub glob: String,
    /// Why, in globset's words (made visible).
    pub reason: String,
}

impl std::fmt::Display for OptionsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the glob '{}' is not valid: {}", self.glob, self.reason)
    }
}

impl std::error::Error for OptionsError {}

/// The options with their globs compiled: build once, audit any number of roots.
#[derive(Debug, Clone)]
pub struct Auditor {
    options: AuditOptions,
    include: GlobSet,
    exclude: GlobSet,
}

/// Every file under `paths` with its outcome, in walk order.
pub fn audit_paths(
    paths: &[PathBuf],
    options: &AuditOptions,
) -> Result<Vec<FileOutcome>, OptionsError> {
    let auditor = Auditor::new(options)?;
    Ok(auditor.audit(paths).collect())
}

impl Auditor {
    /// Compiles the globs.
    pub fn new(options: &AuditOptions) -> Result<Auditor, OptionsError> {
        Ok(Auditor {
            options: options.clone(),
            include: globs(&options.include)?,
            exclude: globs(&options.exclude)?,
        })
    }

    /// Each file's outcome, one file read at a time (the caller can store as it goes).
    pub fn audit<'a>(&'a self, paths: &'a [PathBuf]) -> impl Iterator<Item = FileOutcome> + 'a {
        self.list(paths).map(move |listed| self.read(listed))
    }

    /// The walk alone: the files that [`Auditor::read`] would read, and the paths that
    /// failed already (a folder without permission, a symbolic link loop).
    pub fn list<'a>(&'a self, paths: &'a [PathBuf]) -> impl Iterator<Item = Listed> + 'a {
        paths.iter().flat_map(move |root| {
            let filter = Filter {
                include: &self.include,
                exclude: &self.exclude,
                follow_symlinks: self.options.follow_symlinks,
            };
            walk::walk(root, filter)
        })
    }

    /// One listed path read and parsed.
    pub fn read(&self, listed: Listed) -> FileOutcome {
        let Listed { path, state } = listed;
        let result = state.and_then(|size| check_size(size, self.options.max_file_size));
        let bytes = match result.and_then(|()| read_capped(&path, self.options.max_file_size)) {
            Ok(bytes) => bytes,
            Err(error) => {
                return FileOutcome {
                    path,
                    format: None,
                    result: Err(error),
                }
            }
        };
        let (format, parsed) = formats::parse(&bytes, self.options.password.as_ref());
        let limit = self.options.max_file_size;
        let result = parsed.map(|parsed| contents(parsed, Some((&path, limit))));
        FileOutcome {
            path,
            format,
            result,
        }
    }
}

/// What `bytes` hold, told by content, as [`Auditor::read`] would say for a file of them,
/// without a walk, a size cap or the `.key` file next to it: for bytes from elsewhere (a
/// certificate store, standard input) and for fuzzing.
pub fn read_bytes(
    bytes: &[u8],
    password: Option<&Secret>,
) -> (Option<crate::Format>, Result<FileContents, FileError>) {
    let (format, parsed) = formats::parse(bytes, password);
    (format, parsed.map(|parsed| contents(parsed, None)))
}

fn check_size(size: u64, limit: u64) -> Result<(), FileError> {
    if size > limit {
        Err(FileError::TooLarge { size, limit })
    } else {
        Ok(())
    }
}

/// The certificates with their key presence; the `.key` file next to `path` (read with
/// the size cap `limit`) when the file holds certificates and no key of its own.
fn contents(parsed: Parsed, key_file_of: Option<(&Path, u64)>) -> FileContents {
    let Parsed {
        certs,
        keys: private_keys,
        unreadable_keys,
        mut notes,
    } = parsed;
    let cert_keys: Vec<Option<PublicKey>> =
        certs.iter().map(|c| keys::of_certificate(&c.der)).collect();
    let mut presence: Vec<KeyPresence> = certs
        .iter()
        .map(|c| {
            if c.key_in_store {
                KeyPresence::InStore
            } else {
                KeyPresence::None
            }
        })
        .collect();
    let mut unmatched = 0;
    for key in &private_keys {
        match keys::of_private(key) {
            Ok(public) => {
                let matches = mark(&cert_keys, &mut presence, &public);
                if !matches && !certs.is_empty() {
                    unmatched += 1;
                }
            }
            Err(words) => notes.push(Note::KeyNotCompared(words)),
        }
    }
    if private_keys.is_empty() && unreadable_keys == 0 && !certs.is_empty() {
        let sibling = key_file_of.and_then(|(path, limit)| Some((sibling_key(path)?, limit)));
        if let Some((key_path, limit)) = sibling {
            compare_key_file(&key_path, limit, &cert_keys, &mut presence, &mut notes);
        }
    }
    let certificates = certs
        .into_iter()
        .zip(presence)
        .enumerate()
        .map(|(position, (cert, private_key))| FoundCertificate {
            der: cert.der,
            alias: cert.alias,
            position,
            private_key,
        })
        .collect();
    FileContents {
        certificates,
        private_keys: private_keys.len() + unreadable_keys,
        unmatched_keys: unmatched,
        notes,
    }
}

/// `shop.key` next to `shop.pem`: its keys matched to the certificates; none matching
/// makes the first certificate (the leaf) a mismatch.
fn compare_key_file(
    key_path: &Path,
    limit: u64,
    cert_keys: &[Option<PublicKey>],
    presence: &mut [KeyPresence],
    notes: &mut Vec<Note>,
) {
    let bytes = match read_capped(key_path, limit) {
        Ok(bytes) => bytes,
        Err(error) => {
            notes.push(Note::KeyFileUnreadable(key_path.to_path_buf(), error));
            return;
        }
    };
    let parsed = match formats::parse(&bytes, None).1 {
        Ok(parsed) => parsed,
        Err(error) => {
            notes.push(Note::KeyFileUnreadable(key_path.to_path_buf(), error));
            return;
        }
    };
    if parsed.unreadable_keys > 0 {
        notes.push(Note::EncryptedKeys(parsed.unreadable_keys));
    }
    let mut compared = 0;
    let mut any = false;
    for key in &parsed.keys {
        match keys::of_private(key) {
            Ok(public) => {
                compared += 1;
                any |= mark(cert_keys, presence, &public);
            }
            Err(words) => notes.push(Note::KeyNotCompared(words)),
        }
    }
    if compared > 0 && !any {
        if let Some(first) = presence.first_mut() {
            *first = KeyPresence::Mismatch(key_path.to_path_buf());
        }
    }
}

/// Marks every certificate with `public` as matched; whether there was one.
fn mark(cert_keys: &[Option<PublicKey>], presence: &mut [KeyPresence], key: &KeyId) -> bool {
    let mut any = false;
    for (cert_key, state) in cert_keys.iter().zip(presence.iter_mut()) {
        if cert_key.as_ref().is_some_and(|c| key.matches(c)) {
            *state = KeyPresence::Matched;
            any = true;
        }
    }
    any
}

/// `dir/shop.key` for `dir/shop.pem` (not for a `.key` file itself), if it exists.
fn sibling_key(path: &Path) -> Option<PathBuf> {
    if path.extension().is_some_and(|e| e == "key") {
        return None;
    }
    let candidate = path.with_extension("key");
    std::fs::symlink_metadata(&candidate)
        .ok()
        .map(|_| candidate)
}

/// The file's bytes, at most `limit` of them: the size is checked on the opened file
/// before reading, and the read stops one byte past the cap (a file that grew).
fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    // Checked before open: opening a FIFO would block.
    let meta = std::fs::metadata(path).map_err(|e| FileError::from_io(&e))?;
    if !meta.is_file() {
        return Err(FileError::NotAFile(walk::special_kind(&meta.file_type())));
    }
    let file = std::fs::File::open(path).map_err(|e| FileError::from_io(&e))?;
    let size = file.metadata().map_err(|e| FileError::from_io(&e))?.len();
    if size > limit {
        return Err(FileError::TooLarge { size, limit });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::from_io(&e))?;
    let read = bytes.len() as u64;
    if read > limit {
        return Err(FileError::TooLarge { size: read, limit });
    }
    Ok(bytes)
}

fn globs(patterns: &[String]) -> Result<GlobSet, OptionsError> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|e| OptionsError {
            glob: certprobe::text::quote(pattern, 200),
            reason: certprobe::text::quote(&e.kind().to_string(), 200),
        })?;
        builder.add(glob);
    }
    builder.build().map_err(|e| OptionsError {
        glob: String::new(),
        reason: certprobe::text::quote(&e.to_string(), 200),
    })
}
