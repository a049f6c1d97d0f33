//! Certificate policy beyond expiry and trust: signature hashes, key usage, basic constraints,
//! validity length, subjectAltName presence, the chain as sent and as built, and identity pins.

use super::{Check, Finding, Policy, State};
use crate::analysis::{name, CertFacts, NameMode, Report};

/// Certificates whose notBefore is on or after this date may be valid for at most 398 days in
/// browsers (CA/Browser Forum ballot SC31): 2020-09-01 00:00:00 UTC.
const SHORT_VALIDITY_SINCE: i64 = 1_598_918_400;

/// The chain as built and as sent; these follow the trust finding.
pub fn chain(report: &Report) -> Vec<Finding> {
    let mut out = Vec::new();
    chain_findings(report, &mut out);
    out
}

/// Everything else about the certificates; these follow the key finding.
pub fn certificates(report: &Report, policy: &Policy) -> Vec<Finding> {
    let mut out = Vec::new();
    signature_findings(&report.chain, &mut out);
    usage_findings(&report.chain, &mut out);
    validity_finding(report.leaf(), policy, &mut out);
    san_finding(report.leaf(), policy, &mut out);
    identity_findings(report.leaf(), policy, &mut out);
    out
}

fn label(chain: &[CertFacts], i: usize) -> String {
    if i == 0 {
        "the certificate".to_string()
    } else {
        format!("chain element {} ('{}')", i + 1, chain[i].display_name())
    }
}

/// The chain as built (when trusted), other valid paths, and what is wrong with the chain as sent.
fn chain_findings(report: &Report, out: &mut Vec<Finding>) {
    if !report.trust.path.is_empty() {
        out.push(Finding::new(
            Check::Chain,
            State::Ok,
            format!("chain as built: {}", report.trust.path.join(" > ")),
        ));
    }
    for alternative in &report.trust.alternatives {
        out.push(Finding::new(
            Check::Chain,
            State::Ok,
            format!(
                "another valid path (cross-signed): {}",
                alternative.join(" > ")
            ),
        ));
    }
    if report.trust.uses_fetched {
        let fetched: Vec<String> = report
            .fetched
            .iter()
            .map(|(url, name)| format!("'{name}' from {url}"))
            .collect();
        out.push(Finding::new(
            Check::Chain,
            State::Warning,
            format!(
                "incomplete chain, completed via AIA: fetched {} (browsers may cope, many clients will not)",
                fetched.join(", ")
            ),
        ));
    }
    if !report.trust.trusted {
        for error in &report.fetch_errors {
            out.push(Finding::new(
                Check::Chain,
                State::Warning,
                format!("could not complete the chain via AIA: {error}"),
            ));
        }
    }
    for note in &report.chain_notes {
        let state = if note.kind == "root-sent" {
            State::Ok
        } else {
            State::Warning
        };
        out.push(Finding::new(Check::Chain, state, note.message.clone()));
    }
}

/// MD5 and SHA-1 signatures are forgeable; roots are exempt, their signature is never checked.
fn signature_findings(chain: &[CertFacts], out: &mut Vec<Finding>) {
    let mut used: Vec<&str> = Vec::new();
    for (i, cert) in chain.iter().enumerate() {
        if cert.self_signed && i > 0 {
            continue;
        }
        let alg = cert.signature_algorithm.as_str();
        if alg.contains("MD5") || alg.contains("SHA1") {
            out.push(Finding::new(
                Check::Signature,
                State::Critical,
                format!("{} is signed with {alg}, a broken hash", label(chain, i)),
            ));
        } else if !used.contains(&alg) {
            used.push(alg);
        }
    }
    if !used.is_empty() && out.iter().all(|f| f.check != Check::Signature) {
        out.push(Finding::new(
            Check::Signature,
            State::Ok,
            format!("signatures use {}", used.join(", ")),
        ));
    }
}

/// serverAuth on the leaf, a TLS-capable key usage, and CA flags where they belong.
fn usage_findings(chain: &[CertFacts], out: &mut Vec<Finding>) {
    let leaf = &chain[0];
    let eku = &leaf.extended_key_usage;
    if !eku.is_empty()
        && !eku
            .iter()
            .any(|u| u == "serverAuth" || u == "anyExtendedKeyUsage")
    {
        out.push(Finding::new(
            Check::KeyUsage,
            State::Critical,
            format!(
                "the certificate is not for servers: its extended key usage is {}",
                eku.join(", ")
            ),
        ));
    }
    let ku = &leaf.key_usage;
    if !ku.is_empty()
        && !ku.iter().any(|u| {
            matches!(
                u.as_str(),
                "digitalSignature" | "keyEncipherment" | "keyAgreement"
            )
        })
    {
        out.push(Finding::new(
            Check::KeyUsage,
            State::Warning,
            format!(
                "the key usage ({}) allows no TLS key exchange",
                ku.join(", ")
            ),
        ));
    }
    if leaf.is_ca && !leaf.self_signed {
        out.push(Finding::new(
            Check::KeyUsage,
            State::Critical,
            "the certificate is a CA certificate used as a server certificate".into(),
        ));
    }
    for i in 1..chain.len() {
        let issues_something = chain.iter().any(|c| {
            c.issuer_raw == chain[i].subject_raw
                && c.sha256_fingerprint != chain[i].sha256_fingerprint
        });
        if issues_something && !chain[i].is_ca {
            out.push(Finding::new(
                Check::KeyUsage,
                State::Critical,
                format!("{} issues certificates but is not a CA", label(chain, i)),
            ));
        }
    }
}

fn validity_finding(leaf: &CertFacts, policy: &Policy, out: &mut Vec<Finding>) {
    let days = (leaf.not_after - leaf.not_before) as f64 / 86_400.0;
    if leaf.not_before >= SHORT_VALIDITY_SINCE && days > policy.max_validity_days {
        out.push(Finding::new(
            Check::Validity,
            State::Warning,
            format!(
                "validity period of {days:.0} days is longer than {} days (browsers refuse more than 398 for certificates issued since 2020-09-01)",
                policy.max_validity_days
            ),
        ));
    }
}

/// Browsers, Go and rustls ignore the CN: a certificate without subjectAltName names no host for them.
fn san_finding(leaf: &CertFacts, policy: &Policy, out: &mut Vec<Finding>) {
    if !leaf.dns_names.is_empty() || !leaf.ip_addresses.is_empty() {
        return;
    }
    let (state, note) = if policy.allow_empty_san {
        (State::Ok, " (allowed)")
    } else {
        (State::Warning, ": browsers, Go and rustls ignore the CN")
    };
    out.push(Finding::new(
        Check::San,
        state,
        format!("the certificate has no subjectAltName{note}"),
    ));
}

/// `--issuer`, `--fingerprint`, `--serial` and `--match`: what the admin pinned.
fn identity_findings(leaf: &CertFacts, policy: &Policy, out: &mut Vec<Finding>) {
    if let Some(re) = &policy.issuer {
        let hit = re.is_match(&leaf.issuer)
            || leaf
                .issuer_common_name
                .as_deref()
                .is_some_and(|cn| re.is_match(cn));
        let (state, verb) = if hit {
            (State::Ok, "matches")
        } else {
            (State::Critical, "does not match")
        };
        out.push(Finding::new(
            Check::Issuer,
            state,
            format!("issuer '{}' {verb} --issuer '{}'", leaf.issuer, re.as_str()),
        ));
    }
    if let Some(pin) = &policy.fingerprint {
        let (state, message) = if *pin == leaf.sha256_fingerprint {
            (State::Ok, "SHA-256 fingerprint matches the pin".to_string())
        } else {
            (
                State::Critical,
                format!(
                    "SHA-256 fingerprint {} does not match the pin {pin}",
                    leaf.sha256_fingerprint
                ),
            )
        };
        out.push(Finding::new(Check::Fingerprint, state, message));
    }
    if let Some(serial) = &policy.serial {
        let actual = leaf.serial.trim_start_matches('0');
        let (state, message) = if serial == actual {
            (State::Ok, format!("serial number {} matches", leaf.serial))
        } else {
            (
                State::Critical,
                format!("serial number {} is not the expected {serial}", leaf.serial),
            )
        };
        out.push(Finding::new(Check::Serial, state, message));
    }
    for wanted in &policy.match_names {
        let check = name::check(leaf, wanted, NameMode::CnSan);
        out.push(match check.matched_by {
            Some(entry) => Finding::new(
                Check::Match,
                State::Ok,
                format!("name '{wanted}' is covered by {entry}"),
            ),
            None => Finding::new(
                Check::Match,
                State::Critical,
                format!("name '{wanted}' is not covered by the certificate"),
            ),
        });
    }
}

/// A user-given value that is not hexadecimal (`--fingerprint`, `--serial`); the text as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexError(pub String);

impl std::fmt::Display for HexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "'{}' is not a hexadecimal value", self.0)
    }
}

impl std::error::Error for HexError {}

/// Normalises a user-given hex value (`ab:cd`, `AB CD`, `0x0abc`) to uppercase hex without separators.
pub fn normalise_hex(text: &str) -> Result<String, HexError> {
    let cleaned: String = text
        .trim()
        .trim_start_matches("0x")
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect::<String>()
        .to_ascii_uppercase();
    if cleaned.is_empty() || !cleaned.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(HexError(text.to_string()));
    }
    Ok(cleaned)
}
