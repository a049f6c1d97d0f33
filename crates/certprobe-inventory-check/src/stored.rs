//! What a scan stored, read back: its findings as the verdict's, and the facts the renderers
//! need that only those findings record.
//!
//! The inventory keeps each endpoint's chain (DER) and the verdict's findings as lines, not the
//! trust path, the name match or the revocation answer they were judged from. The certificate
//! facts come from the DER again; these three come from the stored findings, whose lines the
//! engine writes in fixed forms (`chain is trusted (Mozilla roots)`, `name 'x' matches DNS:x`,
//! `not revoked (OCSP http://...)`). A line in no known form still gives the right state
//! (trusted or not, matched or not), only less detail.

use certprobe::analysis::revocation::{RevocationReport, RevocationStatus};
use certprobe::analysis::{NameCheck, NameMode, TrustResult};
use certprobe::verdict::{Check, Finding, State};
use certprobe_inventory::model::StoredFinding;

/// The stored findings as the verdict's: an id this certprobe does not know (a newer scanner's)
/// becomes an inventory finding that names it, an unknown state UNKNOWN.
pub fn findings(stored: &[StoredFinding]) -> Vec<Finding> {
    stored
        .iter()
        .map(|f| {
            let state = State::from_name(&f.state).unwrap_or(State::Unknown);
            match Check::from_id(&f.check) {
                Some(check) => Finding::new(check, state, f.message.clone()),
                None => Finding::new(
                    Check::Inventory,
                    state,
                    format!("{}: {}", f.check, f.message),
                ),
            }
        })
        .collect()
}

/// The name check as the scan judged it against `sni`: off when the endpoint was scanned
/// without a name (or the scan checked none), matched when the stored finding is OK, with the
/// entry that matched as its line names it.
pub fn name_check(sni: &str, findings: &[Finding]) -> NameCheck {
    let stored = findings.iter().find(|f| f.check == Check::Name);
    match stored {
        Some(finding) if !sni.is_empty() => NameCheck {
            mode: NameMode::CnSan,
            name: sni.to_string(),
            matched_by: (finding.state == State::Ok).then(|| {
                finding
                    .message
                    .rsplit_once(" matches ")
                    .map_or("as the scan found", |(_, entry)| entry)
                    .to_string()
            }),
        },
        _ => NameCheck {
            mode: NameMode::None,
            name: sni.to_string(),
            matched_by: None,
        },
    }
}

/// Trust as the scan judged it: trusted when its trust finding is OK (the store named in its
/// line); the reason of an untrusted chain, or why trust could not be verified, from the line;
/// a self-signed leaf without a trust finding is untrusted for being self-signed. The path is
/// not stored, so it stays empty.
pub fn trust(findings: &[Finding]) -> TrustResult {
    let trust = findings.iter().find(|f| f.check == Check::Trust);
    let self_signed = findings.iter().any(|f| f.check == Check::SelfSigned);
    match trust {
        Some(f) if f.state == State::Ok => TrustResult {
            trusted: true,
            store: f
                .message
                .strip_prefix("chain is trusted (")
                .and_then(|s| s.strip_suffix(')'))
                .unwrap_or_default()
                .to_string(),
            ..TrustResult::default()
        },
        Some(f) => match f.message.strip_prefix("trust could not be verified: ") {
            Some(why) => TrustResult {
                unverifiable: Some(
                    why.trim_end_matches(" (this one is not untrusted for that alone)")
                        .to_string(),
                ),
                ..TrustResult::default()
            },
            None => TrustResult {
                reason: Some(
                    f.message
                        .strip_prefix("chain is not trusted: ")
                        .unwrap_or(&f.message)
                        .to_string(),
                ),
                ..TrustResult::default()
            },
        },
        None if self_signed => TrustResult {
            reason: Some("the certificate is self-signed".to_string()),
            ..TrustResult::default()
        },
        None => TrustResult {
            unverifiable: Some("the inventory holds no trust finding for this endpoint".into()),
            ..TrustResult::default()
        },
    }
}

/// The revocation lookup as the scan's finding tells it; none when the scan checked none.
pub fn revocation(findings: &[Finding]) -> Option<RevocationReport> {
    let message = &findings
        .iter()
        .find(|f| f.check == Check::Revocation)?
        .message;
    let in_parens = |text: &str| {
        text.rsplit_once(" (")
            .and_then(|(_, s)| s.strip_suffix(')'))
            .map(str::to_string)
    };
    let mut report = RevocationReport {
        published: true,
        ..RevocationReport::default()
    };
    if let Some(rest) = message.strip_prefix("not revoked (") {
        report.status = Some(RevocationStatus::Good);
        report.source = rest.strip_suffix(')').map(str::to_string);
    } else if message.starts_with("revocation not checked:") {
        report.published = false;
    } else if let Some(rest) = message.strip_prefix("certificate was revoked on ") {
        let date = rest.get(..23).and_then(certprobe::clock::parse_utc);
        let reason = rest
            .get(23..)
            .and_then(|r| r.strip_prefix(", reason "))
            .and_then(|r| r.split_once(" (").map(|(reason, _)| reason.to_string()));
        report.source = in_parens(rest);
        match date {
            Some(revoked_at) => {
                report.status = Some(RevocationStatus::Revoked { revoked_at, reason })
            }
            None => report.errors.push(message.clone()),
        }
    } else if message.starts_with("revocation status unknown: the responder does not know") {
        report.status = Some(RevocationStatus::Unknown);
        report.source = in_parens(message);
    } else if let Some(rest) = message.strip_prefix("revocation status unknown: ") {
        report.errors = rest.split("; ").map(str::to_string).collect();
    } else {
        report.errors.push(message.clone());
    }
    report.stapled = report.source.as_deref() == Some("stapled OCSP response");
    Some(report)
}

#[cfg(test)]
mod tests;
