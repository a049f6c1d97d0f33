//! Policy: the user's thresholds turn facts into states. Each finding keeps its own state
//! and line; the worst state wins. Renderers never decide states, they print these.

mod certificate_policy;
mod check_id;
mod connection;
mod expiry;
mod identity;
mod key;
mod policy;
mod range;
mod tier;

pub use certificate_policy::{normalise_hex, HexError};
pub use check_id::Check;
pub use policy::Policy;
pub use range::{Range, RangeError, Threshold};
pub use tier::Tier;

use crate::analysis::{Report, TrustStore};
use crate::observation::{ConnectError, ErrorKind, Observation};
use serde::Serialize;

/// A monitoring state, ordered by severity for "worst wins" (UNKNOWN below CRITICAL,
/// as in monitoring-plugins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    /// Nothing to report; exit code 0.
    Ok,
    /// Act soon (the warning threshold reached, an RSA key under 2048 bits, ...); exit code 1.
    Warning,
    /// The state could not be determined (bad arguments, set-up, by default a timeout); exit 3.
    Unknown,
    /// Act now: expired, untrusted, wrong name, or the service unreachable; exit code 2.
    Critical,
}

impl State {
    /// The Nagios plugin exit code.
    pub fn exit_code(self) -> i32 {
        match self {
            State::Ok => 0,
            State::Warning => 1,
            State::Critical => 2,
            State::Unknown => 3,
        }
    }

    /// The name every output prints: `OK`, `WARNING`, `CRITICAL`, `UNKNOWN`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        }
    }

    /// The state of a printed name ([`State::as_str`]), as an inventory stores it.
    pub fn from_name(name: &str) -> Option<State> {
        [State::Ok, State::Warning, State::Critical, State::Unknown]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// One judged fact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// What the finding is about, by its stable id.
    pub check: Check,
    /// The state this fact alone deserves.
    pub state: State,
    /// One line for the outputs, without the `host:port` prefix.
    pub message: String,
}

impl Finding {
    /// A finding about `check` with its state and line.
    pub fn new(check: Check, state: State, message: String) -> Finding {
        Finding {
            check,
            state,
            message,
        }
    }
}

/// All findings and the overall state.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The worst state among the findings (OK when there are none).
    pub state: State,
    /// The leaf's alarm tier, when a certificate was read.
    pub tier: Option<Tier>,
    /// Every finding, in the fixed order of [`judge`]; a failed check has exactly one.
    pub findings: Vec<Finding>,
}

impl Verdict {
    fn from_findings(findings: Vec<Finding>) -> Verdict {
        Verdict::new(findings, None)
    }

    /// A verdict of these findings, the worst state winning (OK when there are none), with the
    /// leaf's tier when a certificate was read: for findings judged elsewhere and kept (an
    /// inventory's), which [`judge`] would otherwise make.
    pub fn new(findings: Vec<Finding>, tier: Option<Tier>) -> Verdict {
        let state = findings.iter().map(|f| f.state).max().unwrap_or(State::Ok);
        Verdict {
            state,
            tier,
            findings,
        }
    }

    /// The findings at the overall state, which explain it.
    pub fn worst(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.state == self.state)
    }
}

/// Days with two decimals, the precision every output uses.
pub fn days(value: f64) -> String {
    format!("{value:.2}")
}

/// Judges a captured and analysed chain: one finding per fact, in a fixed order. Thresholds
/// given as a share of the lifetime are the leaf's ([`Policy::for_leaf`]).
pub fn judge(
    report: &Report,
    observation: &Observation,
    store: &TrustStore,
    policy: &Policy,
) -> Verdict {
    let leaf_der = observation.chain.first().map(Vec::as_slice);
    let (mut findings, tier) = certificate_findings(report, leaf_der, store, policy);
    findings.extend(connection::findings(
        report,
        observation,
        &policy.for_leaf(report.leaf()),
    ));
    if let Some(error) = &observation.handshake_error {
        findings.push(Finding::new(
            Check::Handshake,
            State::Warning,
            format!("TLS handshake did not complete after the certificate was received: {error}"),
        ));
    }
    let mut verdict = Verdict::from_findings(findings);
    verdict.tier = Some(tier);
    verdict
}

/// Judges a chain read from a file or a certificate store: [`judge`] without a connection
/// (no TLS version, cipher or handshake findings). `chain_der` is the chain as found. A
/// self-signed CA certificate on its own (a CA bundle's entry, a store's root) is a trust
/// anchor: being self-signed is what it is, its own signature is never checked, and the
/// checks of a TLS server's leaf (key usage for a key exchange, a subjectAltName, the
/// 398-day validity) are not its.
pub fn judge_chain(
    report: &Report,
    chain_der: &[Vec<u8>],
    store: &TrustStore,
    policy: &Policy,
) -> Verdict {
    let leaf_der = chain_der.first().map(Vec::as_slice);
    let leaf = report.leaf();
    let anchor = leaf.self_signed && leaf.is_ca;
    let policy = Policy {
        allow_self_signed: policy.allow_self_signed || anchor,
        ..policy.clone()
    };
    let (mut findings, tier) = certificate_findings(report, leaf_der, store, &policy);
    if anchor {
        findings.retain(|f| {
            !matches!(
                f.check,
                Check::Signature | Check::KeyUsage | Check::San | Check::Validity
            )
        });
        for finding in findings.iter_mut().filter(|f| f.check == Check::SelfSigned) {
            finding.message =
                "certificate is self-signed: a CA certificate, a trust anchor".to_string();
        }
    }
    let mut verdict = Verdict::from_findings(findings);
    verdict.tier = Some(tier);
    verdict
}

/// The findings about the certificates themselves, in [`judge`]'s order, with the tier.
fn certificate_findings(
    report: &Report,
    leaf_der: Option<&[u8]>,
    store: &TrustStore,
    policy: &Policy,
) -> (Vec<Finding>, Tier) {
    let leaf = report.leaf();
    let policy = &policy.for_leaf(leaf);
    let (mut findings, tier) = judge_expiry(report, policy);
    findings.extend(identity::name(report, policy));
    findings.extend(identity::trust(report, leaf_der, store, policy));
    findings.extend(certificate_policy::chain(report));
    findings.push(key::finding(
        leaf.key.algorithm,
        leaf.key.bits,
        &leaf.key.describe(),
        policy,
    ));
    findings.extend(certificate_policy::certificates(report, policy));
    (findings, tier)
}

/// The findings about time, which [`judge`] puts first: the leaf's expiry, its alarm tier,
/// and the chain elements that expire (or expire before the leaf), at `report.now`; with the
/// tier. These are the findings `-w`/`-c` decide and that a certificate crosses just by sitting
/// on a server, so an inventory judges them again at the current time and keeps the rest as the
/// scan found it.
/// Thresholds given as a share of the lifetime are the leaf's ([`Policy::for_leaf`]).
pub fn judge_expiry(report: &Report, policy: &Policy) -> (Vec<Finding>, Tier) {
    let policy = &policy.for_leaf(report.leaf());
    let (expiry, tier) = expiry::leaf(report, policy);
    let mut findings = vec![expiry, expiry::tier(tier, policy)];
    findings.extend(expiry::chain(report, policy));
    (findings, tier)
}

/// Judges a failed capture: timeouts take the chosen state, everything else is CRITICAL
/// (the service is not usable), as the plugin guidelines ask.
pub fn judge_error(error: &ConnectError, policy: &Policy) -> Verdict {
    let (check, state) = match error.kind {
        ErrorKind::Timeout => (Check::Timeout, policy.timeout_state),
        ErrorKind::BadCertificate => (Check::Certificate, State::Critical),
        ErrorKind::Setup => (Check::Setup, State::Unknown),
        _ => (Check::Connection, State::Critical),
    };
    Verdict::from_findings(vec![Finding {
        check,
        state,
        message: crate::text::visible(&error.message),
    }])
}

/// A verdict of one UNKNOWN finding about `check`: what could not be determined, and why.
pub fn judge_unknown(check: Check, message: &str) -> Verdict {
    Verdict::from_findings(vec![Finding {
        check,
        state: State::Unknown,
        message: crate::text::visible(message),
    }])
}

/// A verdict for bad arguments or set-up problems: UNKNOWN.
pub fn judge_usage(message: &str) -> Verdict {
    Verdict::from_findings(vec![Finding {
        check: Check::Arguments,
        state: State::Unknown,
        // Arguments quote what the user typed: control characters in it stay visible.
        message: crate::text::visible(message),
    }])
}

#[cfg(test)]
mod tests;
