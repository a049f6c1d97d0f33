//! What the connection itself showed: the negotiated protocol, a server only a legacy
//! handshake could read, the TLS versions it accepts, the security grade, and revocation.

use super::{Check, Finding, Policy, State};
use crate::analysis::revocation::RevocationStatus;
use crate::analysis::Report;
use crate::clock::format_utc;
use crate::observation::Observation;

pub fn findings(report: &Report, observation: &Observation, policy: &Policy) -> Vec<Finding> {
    let mut out = Vec::new();
    let version = observation.tls_version.map_or("", |v| v.name());
    if !version.is_empty() {
        out.push(Finding::new(
            Check::Tls,
            State::Ok,
            format!("negotiated {version} with {}", observation.cipher_suite),
        ));
    }
    if let Some(why) = &observation.legacy_handshake {
        out.push(Finding::new(
            Check::Tls,
            State::Warning,
            format!(
                "modern TLS clients cannot connect ({why}); the certificate was read with a {version} ClientHello"
            ),
        ));
    }
    protocol_findings(observation, policy, &mut out);
    grade_finding(report, policy, &mut out);
    revocation_findings(report, policy, &mut out);
    out
}

fn protocol_findings(observation: &Observation, policy: &Policy, out: &mut Vec<Finding>) {
    if observation.protocols.is_empty() {
        return;
    }
    let accepted: Vec<&crate::observation::ProtocolSupport> = observation
        .protocols
        .iter()
        .filter(|p| p.accepted)
        .collect();
    let listed: Vec<String> = accepted
        .iter()
        .map(|p| {
            format!(
                "{} ({})",
                p.version,
                p.cipher_suite.as_deref().unwrap_or("?")
            )
        })
        .collect();
    out.push(Finding::new(
        Check::Protocols,
        State::Ok,
        if listed.is_empty() {
            "no TLS version accepted by the probe".into()
        } else {
            format!("accepts {}", listed.join(", "))
        },
    ));
    if let Some(min) = &policy.min_tls {
        for p in accepted.iter().filter(|p| p.version < *min) {
            out.push(Finding::new(
                Check::Protocols,
                State::Critical,
                format!("{} is accepted, below the minimum {min}", p.version),
            ));
        }
    }
}

fn grade_finding(report: &Report, policy: &Policy, out: &mut Vec<Finding>) {
    let Some(grade) = &report.grade else { return };
    let below = policy
        .min_grade
        .is_some_and(|min| grade.grade.worse_than(min));
    let mut message = format!("security grade {} (score {})", grade.grade, grade.score);
    if grade.grade != grade.letter {
        message.push_str(&format!(
            ", {} before trust and name problems",
            grade.letter
        ));
    }
    if !grade.caps.is_empty() {
        message.push_str(&format!("; {}", grade.caps.join("; ")));
    }
    match (&policy.min_grade, below) {
        (Some(min), true) => out.push(Finding::new(
            Check::Grade,
            State::Critical,
            format!("{message}, worse than the minimum {min}"),
        )),
        _ => out.push(Finding::new(Check::Grade, State::Ok, message)),
    }
}

fn revocation_findings(report: &Report, policy: &Policy, out: &mut Vec<Finding>) {
    let Some(rev) = &report.revocation else {
        return;
    };
    let unknown = if policy.revocation_strict {
        State::Critical
    } else {
        State::Warning
    };
    let source = rev.source.as_deref().unwrap_or("");
    match &rev.status {
        Some(RevocationStatus::Good) => out.push(Finding::new(Check::Revocation, State::Ok, format!("not revoked ({source})"))),
        Some(RevocationStatus::Revoked { revoked_at, reason }) => {
            let reason = reason.as_deref().map(|r| format!(", reason {r}")).unwrap_or_default();
            out.push(Finding::new(
                Check::Revocation,
                State::Critical,
                format!("certificate was revoked on {}{reason} ({source})", format_utc(*revoked_at)),
            ));
        }
        Some(RevocationStatus::Unknown) => out.push(Finding::new(
            Check::Revocation,
            unknown,
            format!("revocation status unknown: the responder does not know the certificate ({source})"),
        )),
        None if !rev.errors.is_empty() => {
            out.push(Finding::new(Check::Revocation, unknown, format!("revocation status unknown: {}", rev.errors.join("; "))))
        }
        None => out.push(Finding::new(
            Check::Revocation,
            State::Ok,
            "revocation not checked: the certificate names no OCSP responder or CRL distribution point".into(),
        )),
    }
    if policy.require_stapling && !rev.stapled {
        out.push(Finding::new(
            Check::Stapling,
            State::Critical,
            "the server staples no OCSP response (--require-stapling)".into(),
        ));
    }
}
