//! The PRTG sensor model shared by the three PRTG formats (EXE/Script Advanced JSON and XML,
//! Script v2): the channels and standard lookups of PRTG's built-in SSL Certificate sensor,
//! so existing dashboards and states carry over, plus certprobe's own channels. Each channel
//! has a stable id for Script v2 (PRTG remembers channels by id: never reuse one).

use super::{summary, Outcome};
use crate::analysis::grade::Letter;
use crate::analysis::revocation::RevocationStatus;
use crate::analysis::{KeyAlgorithm, NameMode, Report};
use crate::clock::format_utc;
use crate::protocol::Protocol;
use crate::verdict::{State, Tier};

/// PRTG truncates longer texts; we cut first, on a character boundary.
const MAX_TEXT: usize = 2000;
const LOOKUP: &str = "prtg.standardlookups.sslcertificatesensor";

/// One channel of the sensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// Script v2 channel id (10 and up, stable).
    pub id: u32,
    /// The channel name PRTG shows, as the built-in sensor names it (`Days to Expiration`).
    pub name: &'static str,
    /// The integer value: days, bits, or a value of the channel's lookup.
    pub value: i64,
    /// A value lookup id; absent for plain counts.
    pub lookup: Option<String>,
    /// Lower limits (days) for the primary channel: warning, error.
    pub min_limits: Option<(f64, f64)>,
}

/// What PRTG gets: channels and a text, or an error text.
#[derive(Debug, Clone, PartialEq)]
pub enum Sensor {
    /// A certificate was read: every channel, and the sensor message.
    Result {
        /// The channels in id order; Revoked only when revocation is checked, Security Grade
        /// only when the protocols were probed.
        channels: Vec<Channel>,
        /// State, common name, SHA-1 thumbprint, STARTTLS protocol, issuer, expiry and tier,
        /// then every finding that is not OK, worst first; at most 2000 characters.
        text: String,
    },
    /// No certificate was read: PRTG shows the sensor in error with this text.
    Error {
        /// `host:port: ` (when the target is known) and the summary; at most 2000 characters.
        text: String,
    },
}

/// The sensor for `outcome`: its channels and text when a certificate was analysed, the
/// error text otherwise.
pub fn sensor(outcome: &Outcome) -> Sensor {
    match &outcome.report {
        Some(report) => Sensor::Result {
            channels: channels(outcome, report),
            text: limit(&text(outcome, report)),
        },
        None => {
            let place = outcome
                .target
                .as_ref()
                .map(|t| format!("{}: ", t.label()))
                .unwrap_or_default();
            Sensor::Error {
                text: limit(&format!("{place}{}", summary(outcome))),
            }
        }
    }
}

/// The warning and error messages of the primary channel's limits.
pub fn limit_messages(warning: f64, error: f64) -> (String, String) {
    (
        format!("Certificate expires in less than {warning} days"),
        format!("Certificate expires in less than {error} days or has expired"),
    )
}

fn channels(outcome: &Outcome, report: &Report) -> Vec<Channel> {
    let leaf = report.leaf();
    let policy = &outcome.policy;
    let key_lookup = match leaf.key.algorithm {
        KeyAlgorithm::Ecdsa | KeyAlgorithm::Ed25519 | KeyAlgorithm::Ed448 => "publickeyecc",
        _ => "publickey",
    };
    let standard = |id, name, value, lookup: &str| Channel {
        id,
        name,
        value,
        lookup: Some(format!("{LOOKUP}.{lookup}")),
        min_limits: None,
    };
    let own = |id, name, value, lookup: &str| Channel {
        id,
        name,
        value,
        lookup: Some(lookup.to_string()),
        min_limits: None,
    };
    let mut channels = vec![
        Channel {
            id: 10,
            name: "Days to Expiration",
            value: leaf.days_left(report.now).floor() as i64,
            lookup: None,
            min_limits: Some((policy.warning_days, policy.critical_days)),
        },
        standard(
            11,
            "Common Name Check",
            cn_check_value(outcome, report),
            "cncheck",
        ),
        standard(
            12,
            "Public Key Length",
            i64::from(leaf.key.bits),
            key_lookup,
        ),
        standard(
            13,
            "Root Authority Trusted",
            i64::from(!report.trust.trusted),
            "trustedroot",
        ),
        standard(14, "Self-Signed", i64::from(leaf.self_signed), "selfsigned"),
    ];
    if policy.revocation {
        // 0 also when the certificate publishes no revocation information: nothing can
        // revoke it. -1 ("unable to check", a PRTG warning) when published but unobtainable.
        let revocation = report.revocation.as_ref();
        let revoked = match revocation.and_then(|r| r.status.as_ref()) {
            Some(RevocationStatus::Good) => 0,
            Some(RevocationStatus::Revoked { .. }) => 1,
            None if revocation.is_some_and(|r| !r.published && !r.stapled) => 0,
            _ => -1,
        };
        channels.push(standard(15, "Revoked", revoked, "revoked"));
    }
    if let Some(grade) = &report.grade {
        channels.push(own(
            16,
            "Security Grade",
            grade_value(grade.grade),
            "certprobe.securitygrade",
        ));
    }
    if let Some(tier) = outcome.verdict.tier {
        channels.push(own(
            17,
            "Alarm Tier",
            tier_value(tier),
            "certprobe.alarmtier",
        ));
    }
    // certprobe's own verdict, so that PRTG alarms on every finding, not only on those the
    // built-in sensor's channels can express.
    channels.push(own(
        18,
        "Check State",
        i64::from(outcome.verdict.state.exit_code()),
        "certprobe.state",
    ));
    channels
}

/// The value of the channel `Security Grade` (lookup `certprobe.securitygrade`).
fn grade_value(grade: Letter) -> i64 {
    match grade {
        Letter::APlus => 0,
        Letter::A => 1,
        Letter::B => 2,
        Letter::C => 3,
        Letter::D => 4,
        Letter::E => 5,
        Letter::F => 6,
        Letter::T => 7,
        Letter::M => 8,
    }
}

/// The value of the channel `Alarm Tier` (lookup `certprobe.alarmtier`).
fn tier_value(tier: Tier) -> i64 {
    match tier {
        Tier::Ok => 0,
        Tier::Info => 1,
        Tier::Warning => 2,
        Tier::Critical => 3,
    }
}

/// The values of `prtg.standardlookups.sslcertificatesensor.cncheck`: 0/1 device address
/// (CN only), 2 disabled, 3/4 SNI (CN only, name given by --sni), 5/6 CN/SAN.
fn cn_check_value(outcome: &Outcome, report: &Report) -> i64 {
    let matched = report.name.matched();
    let explicit_sni = outcome.target.as_ref().is_some_and(|t| t.sni_explicit);
    match (report.name.mode, explicit_sni, matched) {
        (NameMode::None, _, _) => 2,
        (NameMode::Cn, false, true) => 0,
        (NameMode::Cn, false, false) => 1,
        (NameMode::Cn, true, true) => 3,
        (NameMode::Cn, true, false) => 4,
        (NameMode::CnSan, _, true) => 5,
        (NameMode::CnSan, _, false) => 6,
    }
}

fn text(outcome: &Outcome, report: &Report) -> String {
    let leaf = report.leaf();
    let state = outcome.verdict.state.as_str();
    let mut text = format!(
        "{state}. Certificate Common Name: {} - Certificate Thumbprint: {}",
        leaf.display_name(),
        leaf.sha1_fingerprint
    );
    if let Some(target) = outcome
        .target
        .as_ref()
        .filter(|t| t.protocol != Protocol::Tls)
    {
        text.push_str(&format!(
            " - STARTTLS Protocol: {}",
            target.protocol.label()
        ));
    }
    text.push_str(&format!(
        " - Issuer: {} - Expires: {}",
        leaf.issuer_display_name(),
        format_utc(leaf.not_after)
    ));
    if let Some(tier) = outcome.verdict.tier {
        text.push_str(&format!(" - Alarm Tier: {}", tier.name()));
    }
    // Every finding that is not OK, worst first: PRTG shows one text, so it carries them all.
    let mut problems: Vec<&crate::verdict::Finding> = outcome
        .verdict
        .findings
        .iter()
        .filter(|f| f.state != State::Ok)
        .collect();
    problems.sort_by_key(|f| std::cmp::Reverse(f.state));
    for finding in problems {
        text.push_str(&format!(
            " - {}: {}",
            finding.state.as_str(),
            finding.message
        ));
    }
    text
}

fn limit(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        Some((cut, _)) => text[..cut].to_string(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::limit;

    #[test]
    fn text_is_cut_at_2000_characters_on_a_char_boundary() {
        let long = "é".repeat(2500);
        let cut = limit(&long);
        assert_eq!(cut.chars().count(), 2000);
        assert_eq!(limit("short"), "short");
    }
}
