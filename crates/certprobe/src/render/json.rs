//! The whole report as one JSON object for scripts. The schema is documented in the README
//! and versioned by `schema_version`: fields are only ever added.

use super::{summary, Context, Outcome, Rendered};
use crate::analysis::CertFacts;
use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    plugin: &'a str,
    target: Option<TargetView<'a>>,
    state: &'a str,
    exit_code: i32,
    summary: String,
    tier: Option<&'a str>,
    findings: &'a [crate::verdict::Finding],
    connection: Option<ConnectionView<'a>>,
    chain: Vec<Element<'a>>,
    name_check: Option<&'a crate::analysis::NameCheck>,
    chain_notes: &'a [crate::analysis::chain::ChainNote],
    revocation: Option<&'a crate::analysis::revocation::RevocationReport>,
    protocols: &'a [crate::observation::ProtocolSupport],
    grade: Option<&'a crate::analysis::grade::Grade>,
    trust: Option<&'a crate::analysis::TrustResult>,
}

#[derive(Serialize)]
struct TargetView<'a> {
    host: &'a str,
    port: u16,
    protocol: &'a str,
    address: Option<&'a str>,
    sni: Option<&'a str>,
}

#[derive(Serialize)]
struct ConnectionView<'a> {
    peer: String,
    protocol: &'a str,
    greeting: Option<&'a str>,
    tls_version: &'a str,
    cipher_suite: &'a str,
    handshake_error: Option<&'a str>,
    legacy_handshake: Option<&'a str>,
    ocsp_stapled: bool,
    timings_ms: &'a crate::observation::Timings,
}

#[derive(Serialize)]
struct Element<'a> {
    #[serde(flatten)]
    facts: &'a CertFacts,
    days_left: f64,
}

pub fn render(outcome: &Outcome, context: &Context<'_>) -> Rendered {
    let report = outcome.report.as_ref();
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        plugin: context.program,
        target: outcome.target.as_ref().map(|t| TargetView {
            host: &t.host,
            port: t.port,
            protocol: t.protocol.name(),
            address: t.address.as_deref(),
            sni: t.sni.as_deref(),
        }),
        state: outcome.verdict.state.as_str(),
        exit_code: outcome.verdict.state.exit_code(),
        summary: summary(outcome),
        tier: outcome.verdict.tier.map(|t| t.name()),
        findings: &outcome.verdict.findings,
        connection: outcome.observation.as_ref().map(|o| ConnectionView {
            peer: o.peer.to_string(),
            protocol: outcome.target.as_ref().map_or("tls", |t| t.protocol.name()),
            greeting: o.greeting.as_deref(),
            tls_version: o.tls_version.map_or("", |v| v.name()),
            cipher_suite: &o.cipher_suite,
            handshake_error: o.handshake_error.as_deref(),
            legacy_handshake: o.legacy_handshake.as_deref(),
            ocsp_stapled: o.stapled_ocsp.is_some(),
            timings_ms: &o.timings,
        }),
        chain: report
            .map(|r| {
                r.chain
                    .iter()
                    .map(|facts| Element {
                        facts,
                        days_left: (facts.days_left(r.now) * 100.0).round() / 100.0,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        name_check: report.map(|r| &r.name),
        chain_notes: report.map_or(&[], |r| r.chain_notes.as_slice()),
        revocation: report.and_then(|r| r.revocation.as_ref()),
        protocols: outcome
            .observation
            .as_ref()
            .map_or(&[], |o| o.protocols.as_slice()),
        grade: report.and_then(|r| r.grade.as_ref()),
        trust: report.map(|r| &r.trust),
    };
    let text =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    Rendered {
        text: format!("{text}\n"),
        exit_code: outcome.verdict.state.exit_code(),
    }
}
