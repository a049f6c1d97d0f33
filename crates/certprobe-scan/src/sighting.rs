//! The engine's outcome for one endpoint as the inventory stores it.

use crate::plan::Work;
use certprobe::analysis::certificate::CertFacts;
use certprobe::{ErrorKind, Outcome};
use certprobe_inventory::model::{CertRecord, EndpointKey, Seen, Sighting, StoredFinding};

/// The endpoint key of a work item in `zone`.
pub fn key_of(work: &Work, zone: &str) -> EndpointKey {
    EndpointKey {
        zone: zone.to_string(),
        address: work.address.to_string(),
        port: work.port,
        sni: work.sni.clone().unwrap_or_default(),
        protocol: work.protocol.name().to_string(),
    }
}

/// What the inventory keeps of an outcome: state, summary, findings, and the chain as sent
/// (leaf first) or why there was none.
pub fn sighting_of(work: &Work, zone: &str, outcome: &Outcome, observed_at: i64) -> Sighting {
    let verdict = &outcome.verdict;
    let findings = stored_findings(verdict);
    let seen = match (&outcome.observation, &outcome.report) {
        (Some(observation), Some(report)) => Seen::Served {
            chain: report
                .chain
                .iter()
                .zip(&observation.chain)
                .map(|(facts, der)| record_of(facts, der))
                .collect(),
            tls_version: observation
                .tls_version
                .map(|v| v.name().to_string())
                .unwrap_or_default(),
        },
        _ => {
            let kind = outcome.error.as_ref().map(|e| e.kind);
            Seen::Failed {
                kind: kind.map_or("unknown", ErrorKind::name).to_string(),
                answered: !matches!(
                    kind,
                    Some(
                        ErrorKind::ConnectionRefused | ErrorKind::Unreachable | ErrorKind::Resolve
                    )
                ) && !connect_timeout(outcome),
            }
        }
    };
    Sighting {
        endpoint: key_of(work, zone),
        observed_at,
        state: verdict.state.exit_code() as u8,
        summary: certprobe::render::summary(outcome),
        findings,
        seen,
    }
}

/// A verdict's findings as the inventory stores them (check id, state name, message).
pub fn stored_findings(verdict: &certprobe::verdict::Verdict) -> Vec<StoredFinding> {
    verdict
        .findings
        .iter()
        .map(|f| StoredFinding {
            check: f.check.as_str().to_string(),
            state: f.state.as_str().to_string(),
            message: f.message.clone(),
        })
        .collect()
}

/// A timeout while connecting: nothing answered.
fn connect_timeout(outcome: &Outcome) -> bool {
    outcome
        .error
        .as_ref()
        .is_some_and(|e| e.kind == ErrorKind::Timeout && e.message.contains("connecting to"))
}

/// The inventory record of one certificate: its facts and DER, with its SHA-256.
pub fn record_of(facts: &CertFacts, der: &[u8]) -> CertRecord {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let mut sha256 = [0u8; 32];
    sha256.copy_from_slice(digest.as_ref());
    let mut names: Vec<String> = facts
        .dns_names
        .iter()
        .chain(&facts.ip_addresses)
        .map(|n| n.to_lowercase())
        .collect();
    if names.is_empty() {
        if let Some(cn) = &facts.common_name {
            names.push(cn.to_lowercase());
        }
    }
    names.sort();
    names.dedup();
    CertRecord {
        sha256,
        der: der.to_vec(),
        subject: facts.subject.clone(),
        issuer: facts.issuer.clone(),
        common_name: facts.common_name.clone().unwrap_or_default(),
        issuer_common_name: facts.issuer_common_name.clone().unwrap_or_default(),
        serial: facts.serial.clone(),
        not_before: facts.not_before,
        not_after: facts.not_after,
        key_type: facts.key.algorithm.name().to_string(),
        key_bits: facts.key.bits,
        signature: facts.signature_algorithm.clone(),
        self_signed: facts.self_signed,
        is_ca: facts.is_ca,
        names,
    }
}
