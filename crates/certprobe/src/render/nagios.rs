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
use crate::verdict::days;

pub fn render(outcome: &Outcome, context: &Context<'_>) -> Rendered {
    let state = outcome.verdict.state;
    let mut text = format!("{} {} - ", context.label, state.as_str());
    match &outcome.target {
        Some(target) => text.push_str(&format!("{} {}", target.label(), clean(&summary(outcome)))),
        None => text.push_str(&clean(&summary(outcome))),
    }
    if let Some(perf) = perfdata(outcome) {
        text.push_str(" | ");
        text.push_str(&perf);
    }
    text.push('\n');
    if outcome.report.is_some() {
        for finding in &outcome.verdict.findings {
            text.push_str(&format!(
                "[{}] {}\n",
                finding.state.as_str(),
                clean(&finding.message)
            ));
        }
    }
    if outcome.target.is_none() {
        text.push_str(&format!(
            "Usage: {} -H HOST [-p PORT] [options]; see --help\n",
            context.program
        ));
    }
    if context.verbosity > 0 {
        text.push_str(&chain_lines(outcome));
    }
    if context.verbosity > 1 {
        text.push_str(&config_lines(outcome));
    }
    Rendered {
        text,
        exit_code: state.exit_code(),
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
    for (i, cert) in report.chain.iter().enumerate() {
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
            obs.tls_version,
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
        policy.min_tls.as_deref().unwrap_or("-"),
        policy.min_grade.as_deref().unwrap_or("-"),
    )
}

/// `|` starts perfdata and a newline ends the status line: neither may come from data.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '|' => '/',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}
