//! Policy: the user's thresholds turn facts into states. Each finding keeps its own state
//! and line; the worst state wins. Renderers never decide states, they print these.

mod certificate_policy;
mod check_id;
mod connection;
mod range;
mod tier;

pub use certificate_policy::normalise_hex;
pub use check_id::Check;
pub use range::{Range, Threshold};
pub use tier::Tier;

use crate::analysis::grade::Letter;
use crate::analysis::{KeyAlgorithm, NameMode, Report, TrustStore};
use crate::clock::format_utc;
use crate::observation::{ConnectError, ErrorKind, Observation};
use crate::tls_version::TlsVersion;
use serde::Serialize;

/// A monitoring state, ordered by severity for "worst wins" (UNKNOWN below CRITICAL,
/// as in monitoring-plugins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    Ok,
    Warning,
    Unknown,
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

    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        }
    }
}

/// One judged fact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// What the finding is about, by its stable id.
    pub check: Check,
    pub state: State,
    pub message: String,
}

impl Finding {
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
    pub state: State,
    /// The leaf's alarm tier, when a certificate was read.
    pub tier: Option<Tier>,
    pub findings: Vec<Finding>,
}

impl Verdict {
    fn from_findings(findings: Vec<Finding>) -> Verdict {
        let state = findings.iter().map(|f| f.state).max().unwrap_or(State::Ok);
        Verdict {
            state,
            tier: None,
            findings,
        }
    }

    /// The findings at the overall state, which explain it.
    pub fn worst(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.state == self.state)
    }
}

/// Thresholds and switches; every default is the documented one.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Days left at or below which the state is WARNING.
    pub warning_days: f64,
    /// The warning threshold as given (`30`, `30:`, `@10:20`); drives the state and perfdata.
    pub warning: Threshold,
    /// Days left at or below which the state is CRITICAL.
    pub critical_days: f64,
    /// The critical threshold as given.
    pub critical: Threshold,
    pub name_mode: NameMode,
    pub allow_untrusted: bool,
    pub allow_self_signed: bool,
    /// RSA/DSA keys below this are CRITICAL; replaces the default tiers (1024 / 2048).
    pub min_key_bits: Option<u32>,
    /// ECDSA/EdDSA keys below this are CRITICAL.
    pub min_ec_key_bits: u32,
    /// The state printed when the deadline passes.
    pub timeout_state: State,
    /// Days left up to which the alarm tier is Info.
    pub info_days: f64,
    /// A leaf valid longer than this (issued since 2020-09-01) is WARNING.
    pub max_validity_days: f64,
    /// A leaf without subjectAltName is OK instead of WARNING.
    pub allow_empty_san: bool,
    /// The issuer (DN or CN) must match this (`--issuer`).
    pub issuer: Option<regex_lite::Regex>,
    /// The leaf's SHA-256 fingerprint must be this (uppercase hex, `--fingerprint`).
    pub fingerprint: Option<String>,
    /// The leaf's serial must be this (uppercase hex without leading zeros, `--serial`).
    pub serial: Option<String>,
    /// Names the leaf must also cover (`--match`, ASCII form).
    pub match_names: Vec<String>,
    /// Check revocation (`--no-revocation` turns it off).
    pub revocation: bool,
    /// An unobtainable revocation status is CRITICAL instead of WARNING.
    pub revocation_strict: bool,
    /// No stapled OCSP response is CRITICAL.
    pub require_stapling: bool,
    /// Accepted TLS versions below this are CRITICAL.
    pub min_tls: Option<TlsVersion>,
    /// A grade worse than this (`B`) is CRITICAL.
    pub min_grade: Option<Letter>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            warning_days: 30.0,
            warning: Threshold::MinDays(30.0),
            critical_days: 7.0,
            critical: Threshold::MinDays(7.0),
            name_mode: NameMode::CnSan,
            allow_untrusted: false,
            allow_self_signed: false,
            min_key_bits: None,
            min_ec_key_bits: 256,
            timeout_state: State::Unknown,
            info_days: 90.0,
            max_validity_days: 398.0,
            allow_empty_san: false,
            issuer: None,
            fingerprint: None,
            serial: None,
            match_names: Vec::new(),
            revocation: true,
            revocation_strict: false,
            require_stapling: false,
            min_tls: None,
            min_grade: None,
        }
    }
}

/// Days with two decimals, the precision every output uses.
pub fn days(value: f64) -> String {
    format!("{value:.2}")
}

/// Judges a captured and analysed chain.
pub fn judge(
    report: &Report,
    observation: &Observation,
    store: &TrustStore,
    policy: &Policy,
) -> Verdict {
    let mut findings = Vec::new();
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
    findings.push(Finding {
        check: Check::Expiry,
        state,
        message,
    });
    let tier = Tier::of(left, policy);
    findings.push(Finding {
        check: Check::Tier,
        state: State::Ok,
        message: format!("alarm tier {}", tier.describe(policy)),
    });

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
        findings.push(Finding {
            check: Check::ChainExpiry,
            state,
            message,
        });
    }

    if report.name.mode != NameMode::None {
        let name = &report.name.name;
        let finding = match &report.name.matched_by {
            Some(entry) => Finding {
                check: Check::Name,
                state: State::Ok,
                message: format!("name '{name}' matches {entry}"),
            },
            None => Finding {
                check: Check::Name,
                state: State::Critical,
                message: format!(
                    "name '{name}' does not match the certificate ({})",
                    names_of(report, policy.name_mode)
                ),
            },
        };
        findings.push(finding);
    }

    let pinned = observation
        .chain
        .first()
        .is_some_and(|der| store.is_explicit_anchor(der));
    if leaf.self_signed {
        let (state, note) = if pinned {
            (State::Ok, " (trusted through --ca-file)")
        } else if policy.allow_self_signed {
            (State::Ok, " (allowed)")
        } else {
            (State::Critical, "")
        };
        findings.push(Finding {
            check: Check::SelfSigned,
            state,
            message: format!("certificate is self-signed{note}"),
        });
    }
    // A self-signed leaf is untrusted by nature; its own finding above says so once.
    if !leaf.self_signed || report.trust.trusted {
        let finding = match (&report.trust.reason, &report.trust.unverifiable) {
            (None, Some(why)) => Finding {
                check: Check::Trust,
                state: State::Warning,
                message: format!(
                    "trust could not be verified: {why} (this one is not untrusted for that alone)"
                ),
            },
            (None, None) => Finding {
                check: Check::Trust,
                state: State::Ok,
                message: format!("chain is trusted ({})", report.trust.store),
            },
            (Some(reason), _) => Finding {
                check: Check::Trust,
                state: if policy.allow_untrusted {
                    State::Warning
                } else {
                    State::Critical
                },
                message: format!("chain is not trusted: {reason}"),
            },
        };
        findings.push(finding);
    }
    findings.extend(certificate_policy::chain(report));

    findings.push(key_finding(
        leaf.key.algorithm,
        leaf.key.bits,
        &leaf.key.describe(),
        policy,
    ));
    findings.extend(certificate_policy::certificates(report, policy));
    findings.extend(connection::findings(report, observation, policy));

    if let Some(error) = &observation.handshake_error {
        findings.push(Finding {
            check: Check::Handshake,
            state: State::Warning,
            message: format!(
                "TLS handshake did not complete after the certificate was received: {error}"
            ),
        });
    }
    let mut verdict = Verdict::from_findings(findings);
    verdict.tier = Some(tier);
    verdict
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

/// A verdict for bad arguments or set-up problems: UNKNOWN.
pub fn judge_usage(message: &str) -> Verdict {
    Verdict::from_findings(vec![Finding {
        check: Check::Arguments,
        state: State::Unknown,
        message: message.to_string(),
    }])
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

fn key_finding(algorithm: KeyAlgorithm, bits: u32, described: &str, policy: &Policy) -> Finding {
    let (state, limit) = match algorithm {
        KeyAlgorithm::Rsa | KeyAlgorithm::Dsa => match policy.min_key_bits {
            Some(min) if bits < min => (State::Critical, min),
            Some(_) => (State::Ok, 0),
            None if bits < 1024 => (State::Critical, 1024),
            None if bits < 2048 => (State::Warning, 2048),
            None => (State::Ok, 0),
        },
        KeyAlgorithm::Ecdsa | KeyAlgorithm::Ed25519 | KeyAlgorithm::Ed448
            if bits < policy.min_ec_key_bits =>
        {
            (State::Critical, policy.min_ec_key_bits)
        }
        KeyAlgorithm::Unknown => (State::Warning, 0),
        _ => (State::Ok, 0),
    };
    let message = match (state, algorithm) {
        (State::Ok, _) => format!("key is {described}"),
        (_, KeyAlgorithm::Unknown) => "key type is not known".to_string(),
        _ => format!("key is {described}, below the minimum of {limit} bits"),
    };
    Finding {
        check: Check::Key,
        state,
        message,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{name, CertFacts, KeyInfo, TrustResult};

    const NOW: i64 = 1_800_000_000;
    const DAY: i64 = 86_400;

    fn facts(days_left: f64, key: KeyInfo, self_signed: bool) -> CertFacts {
        CertFacts {
            subject: "CN=a.example".into(),
            issuer: "CN=CA".into(),
            subject_rfc2253: "CN=a.example".into(),
            issuer_rfc2253: "CN=CA".into(),
            common_name: Some("a.example".into()),
            issuer_common_name: Some("CA".into()),
            dns_names: vec!["a.example".into()],
            ip_addresses: vec![],
            serial: "01".into(),
            not_before: NOW - 10 * DAY,
            not_after: NOW + (days_left * DAY as f64) as i64,
            key,
            signature_algorithm: "ECDSA-SHA256".into(),
            sha1_fingerprint: String::new(),
            sha256_fingerprint: String::new(),
            self_signed,
            is_ca: false,
            key_usage: vec![],
            extended_key_usage: vec!["serverAuth".into()],
            ca_issuers: vec![],
            subject_raw: vec![],
            issuer_raw: vec![],
        }
    }

    fn p256() -> KeyInfo {
        KeyInfo {
            algorithm: KeyAlgorithm::Ecdsa,
            bits: 256,
            curve: Some("P-256".into()),
        }
    }

    fn rsa(bits: u32) -> KeyInfo {
        KeyInfo {
            algorithm: KeyAlgorithm::Rsa,
            bits,
            curve: None,
        }
    }

    fn judge_leaf(leaf: CertFacts, trusted: bool, policy: &Policy) -> Verdict {
        let report = Report {
            now: NOW,
            name: name::check(&leaf, "a.example", NameMode::CnSan),
            chain: crate::analysis::chain::Chain::of_leaf(leaf),
            trust: TrustResult {
                trusted,
                reason: (!trusted).then(|| "unknown issuer".to_string()),
                store: "test".into(),
                ..TrustResult::default()
            },
            chain_notes: vec![],
            fetched: vec![],
            fetch_errors: vec![],
            revocation: None,
            grade: None,
        };
        let observation = Observation {
            source: Default::default(),
            observed_at: NOW,
            peer: "127.0.0.1:443".parse().unwrap(),
            chain: vec![vec![1]],
            tls_version: Some(TlsVersion::Tls13),
            cipher_suite: String::new(),
            handshake_error: None,
            greeting: None,
            legacy_handshake: None,
            protocols: vec![],
            stapled_ocsp: None,
            timings: Default::default(),
        };
        judge(&report, &observation, &TrustStore::empty(), policy)
    }

    fn state_of(verdict: &Verdict, check: &str) -> State {
        verdict
            .findings
            .iter()
            .find(|f| f.check.as_str() == check)
            .map(|f| f.state)
            .unwrap_or(State::Unknown)
    }

    #[test]
    fn expiry_thresholds_are_inclusive() {
        let policy = Policy::default();
        assert_eq!(
            judge_leaf(facts(30.0, p256(), false), true, &policy).state,
            State::Warning
        );
        assert_eq!(
            judge_leaf(facts(30.01, p256(), false), true, &policy).state,
            State::Ok
        );
        assert_eq!(
            judge_leaf(facts(7.0, p256(), false), true, &policy).state,
            State::Critical
        );
        assert_eq!(
            judge_leaf(facts(7.01, p256(), false), true, &policy).state,
            State::Warning
        );
        let expired = judge_leaf(facts(-0.5, p256(), false), true, &policy);
        assert_eq!(
            expired.findings[0].message,
            "certificate expired 0.50 days ago on 2027-01-14 20:00:00 UTC"
        );
    }

    #[test]
    fn rsa_key_tiers_and_override() {
        let policy = Policy::default();
        assert_eq!(
            state_of(
                &judge_leaf(facts(90.0, rsa(1023), false), true, &policy),
                "key"
            ),
            State::Critical
        );
        assert_eq!(
            state_of(
                &judge_leaf(facts(90.0, rsa(1024), false), true, &policy),
                "key"
            ),
            State::Warning
        );
        assert_eq!(
            state_of(
                &judge_leaf(facts(90.0, rsa(2048), false), true, &policy),
                "key"
            ),
            State::Ok
        );
        let strict = Policy {
            min_key_bits: Some(3072),
            ..Policy::default()
        };
        let verdict = judge_leaf(facts(90.0, rsa(2048), false), true, &strict);
        assert_eq!(state_of(&verdict, "key"), State::Critical);
        assert_eq!(
            verdict
                .findings
                .iter()
                .find(|f| f.check == Check::Key)
                .unwrap()
                .message,
            "key is RSA 2048 bits, below the minimum of 3072 bits"
        );
        let lenient = Policy {
            min_key_bits: Some(1024),
            ..Policy::default()
        };
        assert_eq!(
            state_of(
                &judge_leaf(facts(90.0, rsa(1024), false), true, &lenient),
                "key"
            ),
            State::Ok
        );
    }

    #[test]
    fn small_ec_keys_are_critical() {
        let p192 = KeyInfo {
            algorithm: KeyAlgorithm::Ecdsa,
            bits: 192,
            curve: None,
        };
        assert_eq!(
            state_of(
                &judge_leaf(facts(90.0, p192, false), true, &Policy::default()),
                "key"
            ),
            State::Critical
        );
    }

    #[test]
    fn untrusted_is_critical_or_warning_when_allowed() {
        assert_eq!(
            judge_leaf(facts(90.0, p256(), false), false, &Policy::default()).state,
            State::Critical
        );
        let allow = Policy {
            allow_untrusted: true,
            ..Policy::default()
        };
        assert_eq!(
            judge_leaf(facts(90.0, p256(), false), false, &allow).state,
            State::Warning
        );
    }

    #[test]
    fn self_signed_leaf_reports_once() {
        let verdict = judge_leaf(facts(90.0, p256(), true), false, &Policy::default());
        assert_eq!(verdict.state, State::Critical);
        let checks: Vec<&str> = verdict.findings.iter().map(|f| f.check.as_str()).collect();
        assert_eq!(
            checks,
            [
                "expiry",
                "tier",
                "name",
                "self-signed",
                "key",
                "signature",
                "tls"
            ]
        );
        let allow = Policy {
            allow_self_signed: true,
            ..Policy::default()
        };
        assert_eq!(
            judge_leaf(facts(90.0, p256(), true), false, &allow).state,
            State::Ok
        );
    }

    fn message_of(verdict: &Verdict, check: &str) -> String {
        verdict
            .findings
            .iter()
            .find(|f| f.check.as_str() == check)
            .map(|f| f.message.clone())
            .unwrap_or_default()
    }

    #[test]
    fn tiers_follow_the_thresholds() {
        let policy = Policy::default();
        let tier = |days: f64| judge_leaf(facts(days, p256(), false), true, &policy).tier;
        assert_eq!(tier(-1.0), Some(Tier::Critical));
        assert_eq!(tier(7.0), Some(Tier::Critical));
        assert_eq!(tier(8.0), Some(Tier::Warning));
        assert_eq!(tier(30.0), Some(Tier::Warning));
        assert_eq!(tier(31.0), Some(Tier::Info));
        assert_eq!(tier(90.0), Some(Tier::Info));
        assert_eq!(tier(91.0), Some(Tier::Ok));
        let verdict = judge_leaf(facts(45.0, p256(), false), true, &policy);
        assert_eq!(
            message_of(&verdict, "tier"),
            "alarm tier Info: expires within 31 to 90 days"
        );
    }

    #[test]
    fn weak_signature_hashes_are_critical() {
        let mut leaf = facts(90.0, p256(), false);
        leaf.signature_algorithm = "SHA1-RSA".into();
        let verdict = judge_leaf(leaf, true, &Policy::default());
        assert_eq!(state_of(&verdict, "signature"), State::Critical);
        assert_eq!(
            message_of(&verdict, "signature"),
            "the certificate is signed with SHA1-RSA, a broken hash"
        );
    }

    #[test]
    fn missing_san_and_long_validity_are_warnings() {
        let mut leaf = facts(400.0, p256(), false);
        leaf.dns_names.clear();
        let verdict = judge_leaf(leaf.clone(), true, &Policy::default());
        assert_eq!(state_of(&verdict, "san"), State::Warning);
        assert_eq!(state_of(&verdict, "validity"), State::Warning);
        assert_eq!(
            message_of(&verdict, "validity"),
            "validity period of 410 days is longer than 398 days (browsers refuse more than 398 for certificates issued since 2020-09-01)"
        );
        let allow = Policy {
            allow_empty_san: true,
            max_validity_days: 500.0,
            ..Policy::default()
        };
        let verdict = judge_leaf(leaf, true, &allow);
        assert_eq!(
            message_of(&verdict, "san"),
            "the certificate has no subjectAltName (allowed)"
        );
        assert_eq!(
            state_of(&verdict, "validity"),
            State::Unknown,
            "no validity finding"
        );
    }

    #[test]
    fn client_certificates_are_not_for_servers() {
        let mut leaf = facts(90.0, p256(), false);
        leaf.extended_key_usage = vec!["clientAuth".into()];
        let verdict = judge_leaf(leaf, true, &Policy::default());
        assert_eq!(
            message_of(&verdict, "usage"),
            "the certificate is not for servers: its extended key usage is clientAuth"
        );
        assert_eq!(verdict.state, State::Critical);
    }

    #[test]
    fn unknown_sits_between_warning_and_critical() {
        assert!(
            State::Critical > State::Unknown
                && State::Unknown > State::Warning
                && State::Warning > State::Ok
        );
    }
}
