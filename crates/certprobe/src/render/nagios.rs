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
use crate::verdict::{days, Check, State};

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
    let bad_arguments = outcome
        .verdict
        .findings
        .iter()
        .any(|f| f.check == Check::Arguments);
    if outcome.target.is_none() && bad_arguments {
        lines.push(format!(
            "Usage: {} {}; see --help",
            context.program, context.usage
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
    let items = perfdata_items(outcome);
    (!items.is_empty()).then(|| items.join(" "))
}

/// The perfdata items of one outcome (`days=41.87;30:;7:;;`, `key_bits=256;;;;`, one
/// `days_chain_elemN` per chain element up to ten); none when no certificate was analysed.
pub fn perfdata_items(outcome: &Outcome) -> Vec<String> {
    let Some(report) = outcome.report.as_ref() else {
        return Vec::new();
    };
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
    items
}

/// Bytes of the first line's perfdata for several endpoints, at most: the rest of the
/// output keeps room for one line per endpoint.
const MANY_PERF_MAX: usize = 4000;

/// Several endpoints in one plugin output (a host's ports from an inventory): the worst state
/// wins. The status line is `LABEL STATE - summary` (the caller's `summary`, cut to 300
/// characters) with every endpoint's perfdata, each label prefixed with the endpoint's own
/// (`'127.0.0.1:443 (www.example.com) days'=...`) so that they stay unique, up to 4000 bytes;
/// then one line per endpoint, `[STATE] endpoint summary`, and with `-v` its chain, indented.
/// The endpoint labels are the caller's (they must differ); the limits are [`render`]'s.
pub fn render_many(
    summary: &str,
    endpoints: &[(String, &Outcome)],
    context: &Context<'_>,
) -> Rendered {
    let state = endpoints
        .iter()
        .map(|(_, o)| o.verdict.state)
        .max()
        .unwrap_or(State::Unknown);
    let status = format!("{} {} - {}", context.label, state.as_str(), clean(summary));
    let mut text = cut(&status, STATUS_MAX);
    let mut perf: Vec<String> = Vec::new();
    let mut perf_len = 0;
    let mut perf_left_out = 0;
    for (label, outcome) in endpoints {
        let prefix = perf_label(label);
        let items: Vec<String> = perfdata_items(outcome)
            .iter()
            .filter_map(|item| item.split_once('='))
            .map(|(name, value)| format!("'{prefix} {name}'={value}"))
            .collect();
        let len: usize = items.iter().map(|i| i.len() + 1).sum();
        if items.is_empty() {
            continue;
        }
        if perf_len + len > MANY_PERF_MAX {
            perf_left_out += 1;
            continue;
        }
        perf_len += len;
        perf.extend(items);
    }
    if !perf.is_empty() {
        text.push_str(" | ");
        text.push_str(&perf.join(" "));
    }
    text.push('\n');
    let mut lines = Vec::new();
    for (label, outcome) in endpoints {
        lines.push(format!(
            "[{}] {} {}",
            outcome.verdict.state.as_str(),
            clean(label),
            clean(&super::summary(outcome))
        ));
        if context.verbosity > 0 {
            lines.extend(
                chain_lines(outcome)
                    .lines()
                    .map(|l| format!("  {}", clean(l))),
            );
        }
    }
    if perf_left_out > 0 {
        lines.push(format!(
            "[...] perfdata of {perf_left_out} endpoints not shown (output limit)"
        ));
    }
    append_within_limit(&mut text, &lines);
    Rendered {
        text,
        exit_code: state.exit_code(),
    }
}

/// An endpoint label as the start of a perfdata label: visible, no `|` or `=`, quotes doubled.
fn perf_label(label: &str) -> String {
    clean(label).replace('=', "_").replace('\'', "''")
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
