//! Identity: the host name against the certificate's names, self-signed leaves, and trust.

use super::{Check, Finding, Policy, State};
use crate::analysis::{NameMode, Report, TrustStore};

/// The name check, unless it is turned off.
pub fn name(report: &Report, policy: &Policy) -> Option<Finding> {
    if report.name.mode == NameMode::None {
        return None;
    }
    let name = &report.name.name;
    Some(match &report.name.matched_by {
        Some(entry) => Finding::new(
            Check::Name,
            State::Ok,
            format!("name '{name}' matches {entry}"),
        ),
        None => Finding::new(
            Check::Name,
            State::Critical,
            format!(
                "name '{name}' does not match the certificate ({})",
                names_of(report, policy.name_mode)
            ),
        ),
    })
}

/// Self-signed and trust findings. A self-signed leaf is untrusted by nature: its own finding
/// says so once, without a second "not trusted" line.
pub fn trust(
    report: &Report,
    leaf_der: Option<&[u8]>,
    store: &TrustStore,
    policy: &Policy,
) -> Vec<Finding> {
    let leaf = report.leaf();
    let mut out = Vec::new();
    let pinned = leaf_der.is_some_and(|der| store.is_explicit_anchor(der));
    if leaf.self_signed {
        let (state, note) = if pinned {
            (State::Ok, " (trusted through --ca-file)")
        } else if policy.allow_self_signed {
            (State::Ok, " (allowed)")
        } else {
            (State::Critical, "")
        };
        out.push(Finding::new(
            Check::SelfSigned,
            state,
            format!("certificate is self-signed{note}"),
        ));
    }
    if !leaf.self_signed || report.trust.trusted {
        out.push(match (&report.trust.reason, &report.trust.unverifiable) {
            (None, Some(why)) => Finding::new(
                Check::Trust,
                State::Warning,
                format!(
                    "trust could not be verified: {why} (this one is not untrusted for that alone)"
                ),
            ),
            (None, None) => Finding::new(
                Check::Trust,
                State::Ok,
                format!("chain is trusted ({})", report.trust.store),
            ),
            (Some(reason), _) => Finding::new(
                Check::Trust,
                if policy.allow_untrusted {
                    State::Warning
                } else {
                    State::Critical
                },
                format!("chain is not trusted: {reason}"),
            ),
        });
    }
    out
}

/// SAN entries quoted in a mismatch message, at most.
const NAMES_SHOWN: usize = 5;

/// The names a certificate covers, for a mismatch message.
fn names_of(report: &Report, mode: NameMode) -> String {
    let leaf = report.leaf();
    let mut parts = Vec::new();
    if mode == NameMode::CnSan {
        let sans: Vec<String> = leaf
            .dns_names
            .iter()
            .map(|n| format!("DNS:{n}"))
            .chain(leaf.ip_addresses.iter().map(|ip| format!("IP:{ip}")))
            .collect();
        if !sans.is_empty() {
            // A certificate may name thousands: the first few, and how many more.
            let shown = sans
                .iter()
                .take(NAMES_SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            match sans.len().saturating_sub(NAMES_SHOWN) {
                0 => parts.push(format!("SAN {shown}")),
                more => parts.push(format!("SAN {shown} and {more} more")),
            }
        }
    }
    if let Some(cn) = &leaf.common_name {
        parts.push(format!("CN {cn}"));
    }
    if parts.is_empty() {
        "it names no host".into()
    } else {
        parts.join("; ")
    }
}
