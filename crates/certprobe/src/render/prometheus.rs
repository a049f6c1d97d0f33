//! Prometheus exposition format for the node_exporter textfile collector: blackbox_exporter's
//! TLS metric names, plus `certprobe_*` for the rest. Every series carries a `target` label
//! (`host:port`): blackbox gets it from the scrape, a textfile holding several checks needs it.
//!
//! ```text
//! # HELP probe_ssl_earliest_cert_expiry Returns earliest SSL cert expiry in unixtime
//! # TYPE probe_ssl_earliest_cert_expiry gauge
//! probe_ssl_earliest_cert_expiry{target="www.example.com:443"} 1.79876e+09
//! ...
//! certprobe_state{target="www.example.com:443"} 0
//! ```
//! The exit code is 0 whatever the state: the state is `certprobe_state`.

use super::{Outcome, Rendered};
use std::fmt::Write;

/// Every metric as a gauge with its `# HELP` and `# TYPE` lines; the certificate metrics only
/// when a certificate was read, `certprobe_success` and `certprobe_state` always. Exit 0.
pub fn render(outcome: &Outcome) -> Rendered {
    let target = outcome
        .target
        .as_ref()
        .map(|t| t.label())
        .unwrap_or_default();
    let base = vec![("target", target)];
    let mut out = String::new();
    let success = outcome.report.is_some();
    if let (Some(report), Some(observation)) = (&outcome.report, &outcome.observation) {
        let leaf = report.leaf();
        let earliest = report
            .chain
            .iter()
            .map(|c| c.not_after)
            .min()
            .unwrap_or(leaf.not_after);
        metric(
            &mut out,
            "probe_ssl_earliest_cert_expiry",
            "Returns earliest SSL cert expiry in unixtime",
            &base,
            earliest as f64,
        );
        // blackbox: the verified chain's earliest expiry; Go's zero time when nothing verified.
        let verified = if report.trust.trusted {
            earliest
        } else {
            -62_135_596_800
        };
        metric(
            &mut out,
            "probe_ssl_last_chain_expiry_timestamp_seconds",
            "Returns last SSL chain expiry in timestamp",
            &base,
            verified as f64,
        );
        let mut info = base.clone();
        info.extend([
            (
                "fingerprint_sha256",
                leaf.sha256_fingerprint.to_ascii_lowercase(),
            ),
            ("issuer", leaf.issuer_rfc2253.clone()),
            ("serialnumber", super::agent_serial(&leaf.serial)),
            ("subject", leaf.subject_rfc2253.clone()),
            ("subjectalternative", leaf.dns_names.join(",")),
        ]);
        metric(
            &mut out,
            "probe_ssl_last_chain_info",
            "Contains SSL leaf certificate information",
            &info,
            1.0,
        );
        let mut version = base.clone();
        version.push((
            "version",
            observation
                .tls_version
                .map_or(String::new(), |v| v.name().replace("TLSv", "TLS ")),
        ));
        metric(
            &mut out,
            "probe_tls_version_info",
            "Returns the TLS version used or NaN when unknown",
            &version,
            1.0,
        );
        let mut cipher = base.clone();
        cipher.push(("cipher", observation.cipher_suite.replace("TLS13_", "TLS_")));
        metric(
            &mut out,
            "probe_tls_cipher_info",
            "Returns the TLS cipher negotiated during handshake",
            &cipher,
            1.0,
        );
        // Base units, as promtool asks: seconds, and a plain size for the key.
        metric(
            &mut out,
            "certprobe_expires_in_seconds",
            "Seconds until the leaf certificate expires (negative once expired)",
            &base,
            (leaf.not_after - report.now) as f64,
        );
        metric(
            &mut out,
            "certprobe_key_size",
            "Public key size of the leaf certificate, in bits",
            &base,
            f64::from(leaf.key.bits),
        );
        metric(
            &mut out,
            "certprobe_trusted",
            "1 if the chain is trusted",
            &base,
            f64::from(u8::from(report.trust.trusted)),
        );
        metric(
            &mut out,
            "certprobe_name_match",
            "1 if the name matches the certificate",
            &base,
            f64::from(u8::from(report.name.matched())),
        );
        if let Some(grade) = &report.grade {
            let mut labels = base.clone();
            labels.push(("grade", grade.grade.to_string()));
            metric(
                &mut out,
                "certprobe_grade_info",
                "The security grade (A+ to F, T, M)",
                &labels,
                1.0,
            );
        }
    }
    metric(
        &mut out,
        "certprobe_success",
        "1 if a certificate was read",
        &base,
        f64::from(u8::from(success)),
    );
    metric(
        &mut out,
        "certprobe_state",
        "The check state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
        &base,
        f64::from(outcome.verdict.state.exit_code()),
    );
    // Exit 0: the state is in the metrics, and `check ... > file.prom && mv` must not stop.
    Rendered {
        text: out,
        exit_code: 0,
    }
}

fn metric(out: &mut String, name: &str, help: &str, labels: &[(&str, String)], value: f64) {
    let labels: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    let _ = writeln!(out, "{name}{{{}}} {value}", labels.join(","));
}

/// Label values escape backslash, double quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
