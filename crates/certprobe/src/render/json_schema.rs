//! The published JSON schema (`--output json`, version [`SCHEMA_VERSION`]) as its own types.
//! Internal structs may be renamed or reshaped freely: only this file says what scripts get,
//! and fields are only ever added. Every type is built from the engine's data by `From`.

use crate::analysis::{self, CertFacts};
use crate::observation;
use crate::verdict;
use serde::Serialize;

/// Bumped only when a field changes meaning or goes away (never so far).
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct Document {
    pub schema_version: u32,
    pub plugin: String,
    pub target: Option<Target>,
    pub state: &'static str,
    pub exit_code: i32,
    pub summary: String,
    pub tier: Option<&'static str>,
    pub findings: Vec<Finding>,
    pub connection: Option<Connection>,
    pub chain: Vec<Element>,
    pub name_check: Option<NameCheck>,
    pub chain_notes: Vec<ChainNote>,
    pub revocation: Option<Revocation>,
    pub protocols: Vec<ProtocolSupport>,
    pub grade: Option<Grade>,
    pub trust: Option<Trust>,
}

#[derive(Serialize)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub protocol: &'static str,
    pub address: Option<String>,
    pub sni: Option<String>,
}

#[derive(Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub state: &'static str,
    pub message: String,
}

impl From<&verdict::Finding> for Finding {
    fn from(f: &verdict::Finding) -> Finding {
        Finding {
            check: f.check.as_str(),
            state: f.state.as_str(),
            message: f.message.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct Connection {
    pub peer: String,
    pub protocol: &'static str,
    pub greeting: Option<String>,
    pub tls_version: &'static str,
    pub cipher_suite: String,
    pub handshake_error: Option<String>,
    pub legacy_handshake: Option<String>,
    pub ocsp_stapled: bool,
    pub timings_ms: Timings,
}

#[derive(Serialize)]
pub struct Timings {
    pub resolve_ms: f64,
    pub connect_ms: f64,
    pub starttls_ms: f64,
    pub handshake_ms: f64,
}

impl From<&observation::Timings> for Timings {
    fn from(t: &observation::Timings) -> Timings {
        Timings {
            resolve_ms: t.resolve_ms,
            connect_ms: t.connect_ms,
            starttls_ms: t.starttls_ms,
            handshake_ms: t.handshake_ms,
        }
    }
}

/// One certificate of the chain as sent.
#[derive(Serialize)]
pub struct Element {
    pub subject: String,
    pub issuer: String,
    pub subject_rfc2253: String,
    pub issuer_rfc2253: String,
    pub common_name: Option<String>,
    pub issuer_common_name: Option<String>,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<String>,
    pub serial: String,
    pub not_before: i64,
    pub not_after: i64,
    pub key: Key,
    pub signature_algorithm: String,
    pub sha1_fingerprint: String,
    pub sha256_fingerprint: String,
    pub self_signed: bool,
    pub is_ca: bool,
    pub key_usage: Vec<String>,
    pub extended_key_usage: Vec<String>,
    pub ca_issuers: Vec<String>,
    pub days_left: f64,
}

impl Element {
    /// The element with its days left at `now`, to two decimals.
    pub fn of(facts: &CertFacts, now: i64) -> Element {
        Element {
            subject: facts.subject.clone(),
            issuer: facts.issuer.clone(),
            subject_rfc2253: facts.subject_rfc2253.clone(),
            issuer_rfc2253: facts.issuer_rfc2253.clone(),
            common_name: facts.common_name.clone(),
            issuer_common_name: facts.issuer_common_name.clone(),
            dns_names: facts.dns_names.clone(),
            ip_addresses: facts.ip_addresses.clone(),
            serial: facts.serial.clone(),
            not_before: facts.not_before,
            not_after: facts.not_after,
            key: Key {
                // As serialised since schema 1: the variant's own name for unknown keys.
                algorithm: match facts.key.algorithm {
                    analysis::KeyAlgorithm::Unknown => "Unknown",
                    other => other.name(),
                },
                bits: facts.key.bits,
                curve: facts.key.curve.clone(),
            },
            signature_algorithm: facts.signature_algorithm.clone(),
            sha1_fingerprint: facts.sha1_fingerprint.clone(),
            sha256_fingerprint: facts.sha256_fingerprint.clone(),
            self_signed: facts.self_signed,
            is_ca: facts.is_ca,
            key_usage: facts.key_usage.clone(),
            extended_key_usage: facts.extended_key_usage.clone(),
            ca_issuers: facts.ca_issuers.clone(),
            days_left: (facts.days_left(now) * 100.0).round() / 100.0,
        }
    }
}

#[derive(Serialize)]
pub struct Key {
    /// `RSA`, `ECDSA`, `Ed25519`, `Ed448`, `DSA` or `Unknown`.
    pub algorithm: &'static str,
    pub bits: u32,
    pub curve: Option<String>,
}

#[derive(Serialize)]
pub struct NameCheck {
    /// `none`, `cn` or `cn-san`.
    pub mode: &'static str,
    pub name: String,
    pub matched_by: Option<String>,
}

impl From<&analysis::NameCheck> for NameCheck {
    fn from(n: &analysis::NameCheck) -> NameCheck {
        NameCheck {
            mode: n.mode.name(),
            name: n.name.clone(),
            matched_by: n.matched_by.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct ChainNote {
    pub kind: &'static str,
    pub message: String,
}

impl From<&analysis::chain::ChainNote> for ChainNote {
    fn from(n: &analysis::chain::ChainNote) -> ChainNote {
        ChainNote {
            kind: n.kind,
            message: n.message.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct Revocation {
    pub status: Option<RevocationStatus>,
    pub source: Option<String>,
    pub stapled: bool,
    pub published: bool,
    pub errors: Vec<String>,
}

#[derive(Serialize)]
pub struct RevocationStatus {
    /// `good`, `revoked` or `unknown`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
    /// Present (possibly null) for a revoked certificate only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Option<String>>,
}

impl From<&analysis::revocation::RevocationReport> for Revocation {
    fn from(r: &analysis::revocation::RevocationReport) -> Revocation {
        use analysis::revocation::RevocationStatus as S;
        Revocation {
            status: r.status.as_ref().map(|s| match s {
                S::Good => RevocationStatus {
                    status: "good",
                    revoked_at: None,
                    reason: None,
                },
                S::Revoked { revoked_at, reason } => RevocationStatus {
                    status: "revoked",
                    revoked_at: Some(*revoked_at),
                    reason: Some(reason.clone()),
                },
                S::Unknown => RevocationStatus {
                    status: "unknown",
                    revoked_at: None,
                    reason: None,
                },
            }),
            source: r.source.clone(),
            stapled: r.stapled,
            published: r.published,
            errors: r.errors.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct ProtocolSupport {
    pub version: &'static str,
    pub accepted: bool,
    pub cipher_suite: Option<String>,
    pub note: Option<String>,
}

impl From<&observation::ProtocolSupport> for ProtocolSupport {
    fn from(p: &observation::ProtocolSupport) -> ProtocolSupport {
        ProtocolSupport {
            version: p.version.name(),
            accepted: p.accepted,
            cipher_suite: p.cipher_suite.clone(),
            note: p.note.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct Grade {
    pub grade: &'static str,
    pub letter: &'static str,
    pub score: u32,
    pub caps: Vec<String>,
}

impl From<&analysis::grade::Grade> for Grade {
    fn from(g: &analysis::grade::Grade) -> Grade {
        Grade {
            grade: g.grade.as_str(),
            letter: g.letter.as_str(),
            score: g.score,
            caps: g.caps.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct Trust {
    pub trusted: bool,
    pub reason: Option<String>,
    pub store: String,
    pub path: Vec<String>,
    pub alternatives: Vec<Vec<String>>,
    pub uses_fetched: bool,
    /// Present when the verifier could not handle the chain: trust unknown, not refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unverifiable: Option<String>,
}

impl From<&analysis::TrustResult> for Trust {
    fn from(t: &analysis::TrustResult) -> Trust {
        Trust {
            trusted: t.trusted,
            reason: t.reason.clone(),
            store: t.store.clone(),
            path: t.path.clone(),
            alternatives: t.alternatives.clone(),
            uses_fetched: t.uses_fetched,
            unverifiable: t.unverifiable.clone(),
        }
    }
}
