//! One stored endpoint as the engine's [`Outcome`], judged now, without a network or a trust
//! store, so that every renderer prints it as `check_tls_cert` would have at the scan.
//!
//! - The target is the endpoint: its SNI name as the host (an address scanned without a name:
//!   the address), the address connected to, the port and the protocol.
//! - The report comes from the stored chain's DER ([`Report::from_der`]): the facts, days left
//!   and chain notes are the engine's own, at the current time. Name match, trust and
//!   revocation are read from the stored findings ([`crate::stored`]).
//! - The verdict is the stored findings, with the expiry ones (leaf, tier, chain elements)
//!   judged again now with this plugin's `-w`/`-c` ([`verdict::judge_expiry`]), and the
//!   inventory's own: stale, and older than `--max-age`.
//! - There is no observation: the inventory keeps neither the cipher suite nor the timings,
//!   so the outputs show no connection (JSON `connection` is null); the TLS version is in the
//!   plugin's `inventory` block.

use crate::stored;
use certprobe::analysis::Report;
use certprobe::clock::format_utc;
use certprobe::verdict::{self, Check, Finding, Policy, State, Verdict};
use certprobe::{ConnectError, ErrorKind, Outcome, Protocol, Target};
use certprobe_inventory::query::EndpointDetail;

/// How an endpoint is judged beside its stored findings.
#[derive(Debug, Clone)]
pub struct Judging {
    /// `-w`/`-c` (in days or shares of the lifetime) for the expiry findings.
    pub policy: Policy,
    /// Now, Unix seconds.
    pub now: i64,
    /// `--max-age` in seconds, with the text given (for the sentence).
    pub max_age: Option<(i64, String)>,
    /// The state of data older than `--max-age`.
    pub max_age_state: State,
}

/// The endpoint's outcome, judged now.
pub fn outcome(detail: &EndpointDetail, judging: &Judging) -> Outcome {
    let row = &detail.row;
    let mut findings = stored::findings(&row.findings);
    let mut outcome = Outcome {
        target: target(detail),
        observation: None,
        report: None,
        verdict: Verdict::new(Vec::new(), None),
        policy: judging.policy.clone(),
        error: None,
    };
    let mut tier = None;
    if detail.chain.is_empty() {
        if findings.is_empty() {
            // A store written without findings: its state and summary are all there is.
            let state = State::from_name(&row.state).unwrap_or(State::Unknown);
            findings.push(Finding::new(Check::Connection, state, row.summary.clone()));
        }
        outcome.error = detail
            .error_kind
            .as_deref()
            .and_then(ErrorKind::from_name)
            .zip(findings.first())
            .map(|(kind, first)| ConnectError::new(kind, first.message.clone()));
    } else {
        match Report::from_der(&detail.chain, judging.now) {
            Ok(mut report) => {
                report.name = stored::name_check(&row.sni, &findings);
                report.trust = stored::trust(&findings);
                report.revocation = stored::revocation(&findings);
                let mut policy = judging.policy.for_leaf(report.leaf());
                policy.revocation = report.revocation.is_some();
                policy.name_mode = report.name.mode;
                let (expiry, judged_tier) = verdict::judge_expiry(&report, &policy);
                findings.retain(|f| {
                    !matches!(f.check, Check::Expiry | Check::Tier | Check::ChainExpiry)
                });
                findings.splice(0..0, expiry);
                tier = Some(judged_tier);
                outcome.policy = policy;
                outcome.report = Some(report);
            }
            Err(e) => findings.push(Finding::new(
                Check::Inventory,
                State::Unknown,
                format!("the stored chain cannot be read: {e}"),
            )),
        }
    }
    findings.extend(inventory_findings(detail, judging));
    outcome.verdict = Verdict::new(findings, tier);
    outcome
}

/// The endpoint as a target: the SNI name as the host when there is one.
fn target(detail: &EndpointDetail) -> Option<Target> {
    let row = &detail.row;
    let named = (!row.sni.is_empty())
        .then(|| Target::new(&row.sni, row.port, Some(&row.sni)).ok())
        .flatten();
    let mut target = named.or_else(|| Target::new(&row.address, row.port, None).ok())?;
    target.address = Some(row.address.clone());
    target.protocol = Protocol::from_name(&row.protocol).unwrap_or(Protocol::Tls);
    Some(target)
}

/// What the inventory adds: stale, and older than `--max-age`.
fn inventory_findings(detail: &EndpointDetail, judging: &Judging) -> Vec<Finding> {
    let row = &detail.row;
    let mut out = Vec::new();
    let scanned = format_utc(row.last_scan);
    if row.stale {
        out.push(Finding::new(
            Check::Inventory,
            State::Warning,
            format!(
                "stale: not seen in the latest completed run of job '{}'; last scanned {scanned}",
                row.job
            ),
        ));
    }
    if let Some((max_age, given)) = &judging.max_age {
        let age = judging.now - row.last_scan;
        if age > *max_age {
            out.push(Finding::new(
                Check::Inventory,
                judging.max_age_state,
                format!(
                    "last scanned {scanned}, {} ago: older than --max-age {given}",
                    age_words(age)
                ),
            ));
        }
    }
    out
}

/// An age in the largest whole unit that fits twice (`3 days`, `36 hours`, `90 minutes`).
pub fn age_words(seconds: i64) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    match seconds {
        s if s >= 2 * 86_400 => plural(s / 86_400, "day"),
        s if s >= 2 * 3600 => plural(s / 3600, "hour"),
        s if s >= 120 => plural(s / 60, "minute"),
        s => plural(s.max(0), "second"),
    }
}

#[cfg(test)]
mod tests {
    use super::age_words;

    #[test]
    fn ages_are_in_whole_units() {
        assert_eq!(age_words(3 * 86_400 + 50), "3 days");
        assert_eq!(age_words(2 * 86_400 - 1), "47 hours");
        assert_eq!(age_words(36 * 3600), "36 hours");
        assert_eq!(age_words(90 * 60), "90 minutes");
        assert_eq!(age_words(61), "61 seconds");
        assert_eq!(age_words(1), "1 second");
        assert_eq!(age_words(-5), "0 seconds");
    }
}
