//! Pure functions from an [`Observation`](crate::Observation) to facts: no I/O, and the
//! clock is a parameter so that tests pin time. One file per concern.

pub mod aia;
pub mod certificate;
pub mod chain;
pub mod grade;
pub mod name;
pub mod revocation;
mod signature;
pub mod trust;
pub mod trust_cache;
mod trust_explain;

pub use certificate::{CertError, CertFacts, KeyAlgorithm, KeyInfo};
pub use name::{NameCheck, NameMode};
pub use trust::{TrustError, TrustResult, TrustStore};

use serde::Serialize;

/// Everything learnt about one chain.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The instant the analysis was made for (Unix seconds).
    pub now: i64,
    /// The chain as sent, leaf first.
    pub chain: chain::Chain,
    /// The host name against the leaf.
    pub name: NameCheck,
    /// Whether the chain builds to a trust anchor, and why not.
    pub trust: TrustResult,
    /// What is wrong with the order or content of the chain as sent.
    pub chain_notes: Vec<chain::ChainNote>,
    /// Issuer certificates fetched via AIA (`--fetch-intermediates`): URL and name.
    pub fetched: Vec<(String, String)>,
    /// Why fetching via AIA failed, one line each.
    pub fetch_errors: Vec<String>,
    /// The revocation lookup for the leaf, unless turned off.
    pub revocation: Option<revocation::RevocationReport>,
    /// The security grade, when the TLS versions were probed.
    pub grade: Option<grade::Grade>,
}

impl Report {
    /// The server's own certificate.
    pub fn leaf(&self) -> &CertFacts {
        self.chain.leaf()
    }
}

/// Why a captured chain cannot be analysed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnalysisError {
    /// The server sent an empty Certificate message.
    NoCertificate,
    /// A certificate of the chain cannot be read.
    Element {
        /// Its place in the chain as sent, from 0.
        index: usize,
        /// Why it cannot be read.
        error: CertError,
    },
}

impl std::fmt::Display for AnalysisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnalysisError::NoCertificate => f.write_str("the server sent no certificate"),
            AnalysisError::Element { index, error } => {
                write!(f, "chain element {}: {error}", index + 1)
            }
        }
    }
}

impl std::error::Error for AnalysisError {}

/// Analyses a captured chain against a name, a trust store and a time.
/// Fails only when a certificate cannot be parsed at all.
pub fn analyze(
    chain_der: &[Vec<u8>],
    name: &str,
    mode: NameMode,
    store: &TrustStore,
    now: i64,
) -> Result<Report, AnalysisError> {
    let mut report = Report::from_der(chain_der, now)?;
    report.name = name::check(report.chain.leaf(), name, mode);
    report.trust = trust::verify(chain_der, &[], &report.chain, store, now);
    Ok(report)
}

/// Text of the trust verdict of a report that was never verified against a store.
pub const TRUST_NOT_VERIFIED: &str = "no trust store was used";

impl Report {
    /// The facts the DER alone gives, with no trust store, network or name: every
    /// certificate's facts and the notes on the chain as sent, as [`analyze`] makes them, for
    /// the time `now`. The name check is off (mode `none`) and trust is "could not be
    /// verified" ([`TRUST_NOT_VERIFIED`]) until the caller sets both from what it knows: an
    /// inventory rebuilds a stored chain's report so, and takes name and trust from the
    /// findings the scan stored. Fails only when a certificate cannot be parsed at all.
    pub fn from_der(chain_der: &[Vec<u8>], now: i64) -> Result<Report, AnalysisError> {
        let facts = chain_der
            .iter()
            .enumerate()
            .map(|(i, der)| {
                CertFacts::parse(der).map_err(|error| AnalysisError::Element { index: i, error })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let chain = chain::Chain::new(facts).ok_or(AnalysisError::NoCertificate)?;
        let chain_notes = chain::inspect(chain_der, &chain);
        Ok(Report {
            now,
            name: NameCheck {
                mode: NameMode::None,
                name: String::new(),
                matched_by: None,
            },
            trust: TrustResult {
                unverifiable: Some(TRUST_NOT_VERIFIED.to_string()),
                ..TrustResult::default()
            },
            chain,
            chain_notes,
            fetched: Vec::new(),
            fetch_errors: Vec::new(),
            revocation: None,
            grade: None,
        })
    }
}

impl Report {
    /// Verifies trust again with issuer certificates fetched via AIA (`(url, der)` pairs).
    pub fn complete_with(
        &mut self,
        chain_der: &[Vec<u8>],
        fetched: &[(String, Vec<u8>)],
        errors: Vec<String>,
        store: &TrustStore,
    ) {
        let ders: Vec<Vec<u8>> = fetched.iter().map(|(_, der)| der.clone()).collect();
        self.trust = trust::verify(chain_der, &ders, &self.chain, store, self.now);
        self.fetched = fetched
            .iter()
            .map(|(url, der)| {
                let name = CertFacts::parse(der)
                    .map(|f| f.display_name().to_string())
                    .unwrap_or_default();
                (url.clone(), name)
            })
            .collect();
        self.fetch_errors = errors;
    }
}
