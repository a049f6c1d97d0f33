//! Zabbix: the JSON of Zabbix agent 2's `web.certificate.get`, field for field, so the official
//! "Website certificate by Zabbix agent 2" template's JSONPaths and triggers work unchanged on
//! an external check; plus certprobe's own fields under `certprobe`. Nothing on stderr and
//! exit 0: Zabbix external checks read stdout and ignore the exit code.
//!
//! ```text
//! {"x509":{"version":3,"serial_number":"0a1b","signature_algorithm":"SHA256-RSA",
//!   "issuer":"CN=Example CA,O=Example","not_before":{"value":"Jan 02 15:04:05 2026 GMT","timestamp":...},
//!   "not_after":{...},"subject":"CN=www.example.com","public_key_algorithm":"RSA",
//!   "alternative_names":["www.example.com"]},
//!  "result":{"value":"valid","message":"certificate verified successfully"},
//!  "sha1_fingerprint":"...","sha256_fingerprint":"...","certprobe":{"state":"OK",...}}
//! ```
//! A failed check is `{"error":{"code":2,"message":"..."},"certprobe":{...}}`.

use super::{summary, Outcome, Rendered};
use crate::analysis::{KeyAlgorithm, Report};
use crate::clock::format_go_gmt;
use serde_json::{json, Value};

/// The certificate in agent 2's shape with certprobe's verdict under `certprobe`, or an
/// `error` object (code 2) with the summary when no certificate was read. Exit 0.
pub fn render(outcome: &Outcome) -> Rendered {
    Rendered {
        text: format!("{}\n", document(outcome)),
        exit_code: 0,
    }
}

/// The JSON value [`render`] prints, for a caller that puts several in one output or adds
/// fields of its own.
pub fn document(outcome: &Outcome) -> Value {
    let certprobe = json!({
        "state": outcome.verdict.state.as_str(),
        "exit_code": outcome.verdict.state.exit_code(),
        "summary": summary(outcome),
        "tier": outcome.verdict.tier.map(|t| t.name()),
        "days_left": outcome.report.as_ref().map(|r| (r.leaf().days_left(r.now) * 100.0).round() / 100.0),
        "findings": outcome
            .verdict
            .findings
            .iter()
            .map(super::json_schema::Finding::from)
            .collect::<Vec<_>>(),
    });
    match &outcome.report {
        Some(report) => certificate(report, certprobe),
        None => json!({"error": {"code": 2, "message": summary(outcome)}, "certprobe": certprobe}),
    }
}

fn certificate(report: &Report, certprobe: Value) -> Value {
    let leaf = report.leaf();
    let date = |unix: i64| json!({"value": format_go_gmt(unix), "timestamp": unix});
    json!({
        "x509": {
            "version": 3,
            "serial_number": super::agent_serial(&leaf.serial),
            "signature_algorithm": leaf.signature_algorithm,
            "issuer": leaf.issuer_rfc2253,
            "not_before": date(leaf.not_before),
            "not_after": date(leaf.not_after),
            "subject": leaf.subject_rfc2253,
            "public_key_algorithm": match leaf.key.algorithm {
                KeyAlgorithm::Ed448 | KeyAlgorithm::Unknown => "unknown",
                other => other.name(),
            },
            "alternative_names": leaf.dns_names,
        },
        "result": result(report),
        "sha1_fingerprint": leaf.sha1_fingerprint.to_ascii_lowercase(),
        "sha256_fingerprint": leaf.sha256_fingerprint.to_ascii_lowercase(),
        "certprobe": certprobe,
    })
}

/// Agent 2's three outcomes: valid, valid-but-self-signed (untrusted only because it is
/// self-signed) and invalid with the reason.
fn result(report: &Report) -> Value {
    let leaf = report.leaf();
    let expired = leaf.not_after < report.now || leaf.not_before > report.now;
    let (value, message) = if report.trust.trusted && report.name.matched() {
        ("valid", "certificate verified successfully".to_string())
    } else if leaf.self_signed && !expired && report.name.matched() {
        (
            "valid-but-self-signed",
            "certificate verified successfully, but determined to be self signed".to_string(),
        )
    } else if !report.name.matched() {
        (
            "invalid",
            format!(
                "failed to verify certificate: certificate is not valid for {}",
                report.name.name
            ),
        )
    } else {
        let reason = report.trust.reason.clone().unwrap_or_default();
        ("invalid", format!("failed to verify certificate: {reason}"))
    };
    json!({"value": value, "message": message})
}
