//! Nagios/Icinga plugin output.
//!
//! ```text
//! TLS_CERT OK - www.example.com:443 'www.example.com' issued by 'Example CA' expires in 41.87 days on 2027-01-06 12:00:00 UTC, ECDSA P-256 | days=41.87;30:;7:;; key_bits=256;;;; days_chain_elem1=41.87;30:;7:;; days_chain_elem2=3650.00;30:;7:;;
//! [OK] certificate expires in 41.87 days on 2027-01-06 12:00:00 UTC
//! [OK] name 'www.example.com' matches DNS:www.example.com
//! [OK] chain is trusted (Mozilla roots)
//! [OK] key is ECDSA P-256
//! ```
//! Thresholds in perfdata use range syntax (`30:` = alert below 30), so graphing tools
//! read them the right way round.

use super::{summary, Context, Outcome, Rendered};
use crate::clock::format_utc;
use crate::text::{cut, visible};
use crate::verdict::days;

/// Characters of the status line before its perfdata, at most: a count and the first names,
/// never a certificate's thousand SANs.
const STATUS_MAX: usize = 300;
/// Characters of one long-output line, at most.
const LINE_MAX: usize = 500;
/// Bytes of the whole output, at most: Nagios keeps 8 KiB, and the perfdata must survive.
const OUTPUT_MAX: usize = 8000;
/// Chain elements given perfdata, at most (a hostile server may send hundreds).
const PERF_ELEMENTS: usize = 10;

/// The status line (label, state, target and summary, cut to 300 characters) with perfdata,
/// then the long output: one line per finding when a certificate was analysed, a usage hint
/// for bad arguments, the chain with `-v`, the configuration with `-vv`. At most 8000 bytes
/// in all; lines beyond are counted, not shown. The exit code is the state's (0..3).
pub fn render(outcome: &Outcome, context: &Context<'_>) -> Rendered {
    let state = outcome.verdict.state;
    let mut status = format!("{} {} - ", context.label, state.as_str());
    match &outcome.target {
        Some(target) => {
            status.push_str(&format!("{} {}", target.label(), clean(&summary(outcome))))
        }
        None => status.push_str(&clean(&summary(outcome))),
    }
    let mut text = cut(&status, STATUS_MAX);
    if let Some(perf) = perfdata(outcome) {
        text.push_str(" | ");
        text.push_str(&perf);
    }
    text.push('\n');
    let mut lines = Vec::new();
    if outcome.report.is_some() {
        for finding in &outcome.verdict.findings {
            lines.push(format!(
                "[{}] {}",
                finding.state.as_str(),
                clean(&finding.message)
            ));
        }
    }
    if outcome.target.is_none() {
        lines.push(format!(
            "Usage: {} -H HOST [-p PORT] [options]; see --help",
            context.program
        ));
    }
    if context.verbosity > 0 {
        lines.extend(chain_lines(outcome).lines().map(clean));
    }
    if context.verbosity > 1 {
        lines.extend(config_lines(outcome).lines().map(clean));
    }
    append_within_limit(&mut text, &lines);
    Rendered {
        text,
        exit_code: state.exit_code(),
    }
}

/// Appends the long-output lines, each cut to [`LINE_MAX`], while the output stays within
/// [`OUTPUT_MAX`]; the rest is counted on a last line.
fn append_within_limit(text: &mut String, lines: &[String]) {
    const ROOM_FOR_NOTE: usize = 60;
    for (i, line) in lines.iter().enumerate() {
        let line = cut(line, LINE_MAX);
        if text.len() + line.len() + 1 > OUTPUT_MAX - ROOM_FOR_NOTE {
            text.push_str(&format!(
                "[...] {} more lines not shown (output limit)\n",
                lines.len() - i
            ));
            return;
        }
        text.push_str(&line);
        text.push('\n');
    }
}

fn perfdata(outcome: &Outcome) -> Option<String> {
    let report = outcome.report.as_ref()?;
    let (w, c) = (
        outcome.policy.warning.perfdata(),
        outcome.policy.critical.perfdata(),
    );
    let leaf = report.leaf();
    let mut items = vec![
        format!("days={};{w};{c};;", days(leaf.days_left(report.now))),
        format!("key_bits={};;;;", leaf.key.bits),
    ];
    for (i, cert) in report.chain.iter().enumerate().take(PERF_ELEMENTS) {
        items.push(format!(
            "days_chain_elem{}={};{w};{c};;",
            i + 1,
            days(cert.days_left(report.now))
        ));
    }
    Some(items.join(" "))
}

/// The chain as sent, for `-v`.
fn chain_lines(outcome: &Outcome) -> String {
    let mut out = String::new();
    let Some(report) = &outcome.report else {
        return out;
    };
    if let Some(obs) = &outcome.observation {
        out.push_str(&format!(
            "connection: {} {} {} (connect {:.1} ms, handshake {:.1} ms)\n",
            obs.peer,
            obs.tls_version.map_or("", |v| v.name()),
            obs.cipher_suite,
            obs.timings.connect_ms,
            obs.timings.handshake_ms
        ));
        if let Some(greeting) = &obs.greeting {
            out.push_str(&format!("greeting: {}\n", clean(greeting)));
        }
    }
    for (i, cert) in report.chain.iter().enumerate() {
        out.push_str(&format!(
            "chain element {}: subject {}\n  issuer {}\n  valid {} to {}\n  key {}, signature {}\n  SHA-256 {}\n",
            i + 1,
            clean(&cert.subject),
            clean(&cert.issuer),
            format_utc(cert.not_before),
            format_utc(cert.not_after),
            cert.key.describe(),
            cert.signature_algorithm,
            cert.sha256_fingerprint
        ));
    }
    out
}

/// What the check was told, for `-vv` (the guidelines' "configuration debug output").
fn config_lines(outcome: &Outcome) -> String {
    let Some(target) = &outcome.target else {
        return String::new();
    };
    let policy = &outcome.policy;
    format!(
        "target: host {}, address {}, port {}, SNI {}, protocol {}, timeout {} s\n\
         policy: warning {}, critical {}, name check {}, revocation {}, min TLS {}, min grade {}\n",
        target.host,
        target.address.as_deref().unwrap_or("(resolved)"),
        target.port,
        target.sni.as_deref().unwrap_or("(none)"),
        target.protocol.name(),
        target.timeout.as_secs_f64(),
        policy.warning.perfdata(),
        policy.critical.perfdata(),
        policy.name_mode.name(),
        if policy.revocation { "on" } else { "off" },
        policy.min_tls.map_or("-", |v| v.name()),
        policy.min_grade.map_or("-", |g| g.as_str()),
    )
}

/// `|` starts perfdata and a newline ends the status line: neither may come from data.
/// Control characters are shown as escapes (`\r`).
fn clean(text: &str) -> String {
    visible(text).replace('|', "/")
}
