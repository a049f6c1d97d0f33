//! PRTG EXE/Script Advanced JSON, with the channels and standard lookups of PRTG's built-in
//! SSL Certificate sensor, so existing PRTG dashboards and states carry over.
//!
//! ```text
//! {"prtg":{"result":[{"channel":"Days to Expiration","value":41,"unit":"Count","limitmode":1,
//!   "limitminwarning":30,"limitminerror":7}, {"channel":"Common Name Check","value":5,
//!   "valuelookup":"prtg.standardlookups.sslcertificatesensor.cncheck"}, ...],
//!   "text":"OK. Certificate Common Name: www.example.com - Certificate Thumbprint: 0A1B... - ..."}}
//! ```
//! Failures are `{"prtg":{"error":1,"text":"..."}}`. The exit code is always 0: PRTG reads the JSON.

use super::{summary, Outcome, Rendered};
use crate::analysis::revocation::RevocationStatus;
use crate::analysis::{KeyAlgorithm, NameMode, Report};
use crate::clock::format_utc;
use crate::verdict::State;
use crate::Protocol;
use serde_json::{json, Value};

/// PRTG truncates longer texts; we cut first, on a character boundary.
const MAX_TEXT: usize = 2000;
const LOOKUP: &str = "prtg.standardlookups.sslcertificatesensor";

pub fn render(outcome: &Outcome) -> Rendered {
    let body = match &outcome.report {
        Some(report) => {
            json!({"prtg": {"result": channels(outcome, report), "text": limit(&text(outcome, report))}})
        }
        None => {
            let place = outcome
                .target
                .as_ref()
                .map(|t| format!("{}: ", t.label()))
                .unwrap_or_default();
            json!({"prtg": {"error": 1, "text": limit(&format!("{place}{}", summary(outcome)))}})
        }
    };
    Rendered {
        text: format!("{body}\n"),
        exit_code: 0,
    }
}

fn channels(outcome: &Outcome, report: &Report) -> Vec<Value> {
    let leaf = report.leaf();
    let policy = &outcome.policy;
    let key_lookup = match leaf.key.algorithm {
        KeyAlgorithm::Ecdsa | KeyAlgorithm::Ed25519 | KeyAlgorithm::Ed448 => "publickeyecc",
        _ => "publickey",
    };
    let mut channels = vec![
        json!({
            "channel": "Days to Expiration",
            "value": leaf.days_left(report.now).floor() as i64,
            "unit": "Count",
            "limitmode": 1,
            "limitminwarning": number(policy.warning_days),
            "limitminerror": number(policy.critical_days),
            "limitwarningmsg": format!("Certificate expires in less than {} days", policy.warning_days),
            "limiterrormsg": format!("Certificate expires in less than {} days or has expired", policy.critical_days),
        }),
        lookup_channel(
            "Common Name Check",
            cn_check_value(outcome, report),
            "cncheck",
        ),
        lookup_channel("Public Key Length", i64::from(leaf.key.bits), key_lookup),
        lookup_channel(
            "Root Authority Trusted",
            i64::from(!report.trust.trusted),
            "trustedroot",
        ),
        lookup_channel("Self-Signed", i64::from(leaf.self_signed), "selfsigned"),
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
        channels.push(lookup_channel("Revoked", revoked, "revoked"));
    }
    if let Some(grade) = &report.grade {
        channels.push(json!({"channel": "Security Grade", "value": grade.value(), "valuelookup": "certprobe.securitygrade"}));
    }
    if let Some(tier) = outcome.verdict.tier {
        channels.push(json!({"channel": "Alarm Tier", "value": tier.value(), "valuelookup": "certprobe.alarmtier"}));
    }
    // certprobe's own verdict, so that PRTG alarms on every finding, not only on those the
    // built-in sensor's channels can express.
    channels.push(json!({
        "channel": "Check State",
        "value": outcome.verdict.state.exit_code(),
        "valuelookup": "certprobe.state",
    }));
    channels
}

/// Whole numbers as integers (`30`, not `30.0`), as PRTG's own examples write limits.
fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

fn lookup_channel(name: &str, value: i64, lookup: &str) -> Value {
    json!({"channel": name, "value": value, "valuelookup": format!("{LOOKUP}.{lookup}")})
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
