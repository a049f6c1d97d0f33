//! A file cache for fetched PKI material (`--cache-dir`): issuer certificates, OCSP responses
//! and CRLs, keyed by a hash of what was asked. Entries are not trusted: each user re-verifies
//! what it reads (signature and freshness), so a stale or damaged entry is simply fetched anew.

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Cache {
    dir: Option<PathBuf>,
}

impl Cache {
    /// No caching.
    pub fn none() -> Cache {
        Cache { dir: None }
    }

    pub fn at(dir: PathBuf) -> Cache {
        Cache { dir: Some(dir) }
    }

    /// The cached bytes for `key`, if any.
    pub fn read(&self, kind: &str, key: &[u8]) -> Option<Vec<u8>> {
        std::fs::read(self.path(kind, key)?).ok()
    }

    /// Stores `bytes` for `key`; failures are ignored (the cache is an optimisation).
    /// Written to a temporary name and renamed, so a concurrent reader never sees half a file.
    pub fn write(&self, kind: &str, key: &[u8], bytes: &[u8]) {
        let Some(path) = self.path(kind, key) else {
            return;
        };
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let temp = path.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&temp, bytes).is_ok() && std::fs::rename(&temp, &path).is_err() {
            let _ = std::fs::remove_file(&temp);
        }
    }

    fn path(&self, kind: &str, key: &[u8]) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let digest = ring::digest::digest(&ring::digest::SHA256, key);
        Some(dir.join(format!(
            "{kind}-{}",
            crate::encoding::hex_upper(&digest.as_ref()[..16])
        )))
    }
}
