//! One typed configuration: everything a check needs, however it was asked for.

use crate::analysis::TrustStore;
use crate::connect::cache::Cache;
use crate::render::Format;
use crate::target::Target;
use crate::verdict::Policy;

/// One typed configuration, everything the pipeline needs.
pub struct Config {
    pub target: Target,
    pub policy: Policy,
    pub format: Format,
    pub verbosity: u8,
    pub(crate) trust: TrustSelection,
    /// Complete an incomplete chain from AIA caIssuers URLs.
    pub fetch_intermediates: bool,
    /// Where fetched issuer certificates, OCSP responses and CRLs are kept.
    pub cache: Cache,
    /// Probe which TLS versions the server accepts (and grade it).
    pub probe_protocols: bool,
}

pub(crate) struct TrustSelection {
    pub(crate) mozilla: bool,
    pub(crate) system: bool,
    pub(crate) files: Vec<String>,
}

impl TrustSelection {
    pub(crate) fn load(&self) -> Result<TrustStore, String> {
        let mut store = TrustStore::empty();
        if self.mozilla {
            store.add_mozilla();
        }
        if self.system {
            store.add_system()?;
        }
        for file in &self.files {
            store.add_pem_file(file)?;
        }
        Ok(store)
    }
}
