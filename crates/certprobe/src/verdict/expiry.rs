//! Expiry: days left of the leaf, its alarm tier, and the chain elements that expire (or
//! expire before the leaf).

use super::{days, Check, Finding, Policy, State, Tier};
use crate::analysis::Report;
use crate::clock::format_utc;

/// The leaf's expiry finding and its tier.
pub fn leaf(report: &Report, policy: &Policy) -> (Finding, Tier) {
    let leaf = report.leaf();
    let now = report.now;
    let left = leaf.days_left(now);
    let (state, message) = if leaf.not_before > now {
        (
            State::Critical,
            format!(
                "certificate is not yet valid: valid from {}",
                format_utc(leaf.not_before)
            ),
        )
    } else if left < 0.0 {
        (
            State::Critical,
            format!(
                "certificate expired {} days ago on {}",
                days(-left),
                format_utc(leaf.not_after)
            ),
        )
    } else {
        (
            expiry_state(left, policy),
            format!(
                "certificate expires in {} days on {}",
                days(left),
                format_utc(leaf.not_after)
            ),
        )
    };
    (
        Finding::new(Check::Expiry, state, message),
        Tier::of(left, policy),
    )
}

/// The tier as a finding of its own (always OK: the tier informs, the expiry judges).
pub fn tier(tier: Tier, policy: &Policy) -> Finding {
    Finding::new(
        Check::Tier,
        State::Ok,
        format!("alarm tier {}", tier.describe(policy)),
    )
}

/// Chain elements that have expired, are not yet valid, or expire before the leaf.
pub fn chain(report: &Report, policy: &Policy) -> Vec<Finding> {
    let leaf = report.leaf();
    let now = report.now;
    let mut out = Vec::new();
    for (i, cert) in report.chain.iter().enumerate().skip(1) {
        // A root sent along is not used for trust (the store's copy is), so its dates do not count.
        if cert.self_signed {
            continue;
        }
        let left = cert.days_left(now);
        let who = format!("chain element {} ('{}')", i + 1, cert.display_name());
        let (state, message) = if left < 0.0 {
            (
                State::Critical,
                format!(
                    "{who} expired {} days ago on {}",
                    days(-left),
                    format_utc(cert.not_after)
                ),
            )
        } else if cert.not_before > now {
            (
                State::Critical,
                format!(
                    "{who} is not yet valid: valid from {}",
                    format_utc(cert.not_before)
                ),
            )
        } else if cert.not_after < leaf.not_after {
            (
                expiry_state(left, policy),
                format!(
                    "{who} expires before the leaf, in {} days on {}",
                    days(left),
                    format_utc(cert.not_after)
                ),
            )
        } else {
            continue;
        };
        out.push(Finding::new(Check::ChainExpiry, state, message));
    }
    out
}

fn expiry_state(left: f64, policy: &Policy) -> State {
    if policy.critical.alerts(left) {
        State::Critical
    } else if policy.warning.alerts(left) {
        State::Warning
    } else {
        State::Ok
    }
}
