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
    // Exit 0: the state is in the metrics, and `check ... > file.prom && mv` must not stop.
    Rendered {
        text: exposition(&series(outcome, &target)),
        exit_code: 0,
    }
}

/// One sample of a gauge.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The metric name (`probe_ssl_earliest_cert_expiry`).
    pub name: &'static str,
    /// Its `# HELP` text.
    pub help: &'static str,
    /// The labels, `target` first; values are escaped when written.
    pub labels: Vec<(&'static str, String)>,
    /// The value.
    pub value: f64,
}

/// The samples of one outcome, each labelled `target="<target>"` first: the certificate
/// metrics when a certificate was analysed (the TLS version and cipher also need the
/// connection that captured it), `certprobe_success` and `certprobe_state` always.
pub fn series(outcome: &Outcome, target: &str) -> Vec<Series> {
    let base = vec![("target", target.to_string())];
    let mut out = Vec::new();
    let mut metric = |name, help, labels: &[(&'static str, String)], value| {
        out.push(Series {
            name,
            help,
            labels: labels.to_vec(),
            value,
        });
    };
    let success = outcome.report.is_some();
    if let Some(report) = &outcome.report {
        let leaf = report.leaf();
        let earliest = report
            .chain
            .iter()
            .map(|c| c.not_after)
            .min()
            .unwrap_or(leaf.not_after);
        metric(
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
            "probe_ssl_last_chain_info",
            "Contains SSL leaf certificate information",
            &info,
            1.0,
        );
        if let Some(observation) = &outcome.observation {
            let mut version = base.clone();
            version.push((
                "version",
                observation
                    .tls_version
                    .map_or(String::new(), |v| v.name().replace("TLSv", "TLS ")),
            ));
            metric(
                "probe_tls_version_info",
                "Returns the TLS version used or NaN when unknown",
                &version,
                1.0,
            );
            let mut cipher = base.clone();
            cipher.push(("cipher", observation.cipher_suite.replace("TLS13_", "TLS_")));
            metric(
                "probe_tls_cipher_info",
                "Returns the TLS cipher negotiated during handshake",
                &cipher,
                1.0,
            );
        }
        // Base units, as promtool asks: seconds, and a plain size for the key.
        metric(
            "certprobe_expires_in_seconds",
            "Seconds until the leaf certificate expires (negative once expired)",
            &base,
            (leaf.not_after - report.now) as f64,
        );
        metric(
            "certprobe_key_size",
            "Public key size of the leaf certificate, in bits",
            &base,
            f64::from(leaf.key.bits),
        );
        metric(
            "certprobe_trusted",
            "1 if the chain is trusted",
            &base,
            f64::from(u8::from(report.trust.trusted)),
        );
        metric(
            "certprobe_name_match",
            "1 if the name matches the certificate",
            &base,
            f64::from(u8::from(report.name.matched())),
        );
        if let Some(grade) = &report.grade {
            let mut labels = base.clone();
            labels.push(("grade", grade.grade.to_string()));
            metric(
                "certprobe_grade_info",
                "The security grade (A+ to F, T, M)",
                &labels,
                1.0,
            );
        }
    }
    metric(
        "certprobe_success",
        "1 if a certificate was read",
        &base,
        f64::from(u8::from(success)),
    );
    metric(
        "certprobe_state",
        "The check state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
        &base,
        f64::from(outcome.verdict.state.exit_code()),
    );
    out
}

/// The text exposition of `series`: each metric once with its `# HELP` and `# TYPE gauge`
/// lines, then all its samples (several outcomes' in the order given), metrics in the order
/// they first appear. The exposition format allows one block per metric only.
pub fn exposition(series: &[Series]) -> String {
    let mut out = String::new();
    let mut names: Vec<&'static str> = Vec::new();
    for s in series {
        if !names.contains(&s.name) {
            names.push(s.name);
        }
    }
    for name in names {
        let mut samples = series.iter().filter(|s| s.name == name).peekable();
        if let Some(first) = samples.peek() {
            let _ = writeln!(out, "# HELP {name} {}", first.help);
            let _ = writeln!(out, "# TYPE {name} gauge");
        }
        for s in samples {
            let labels: Vec<String> = s
                .labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = writeln!(out, "{name}{{{}}} {}", labels.join(","), s.value);
        }
    }
    out
}

/// Label values escape backslash, double quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
