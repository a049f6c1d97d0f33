//! The whole report as one JSON object for scripts. The schema is its own set of types
//! ([`super::json_schema`]), documented in the README and versioned by `schema_version`:
//! fields are only ever added.

use super::json_schema as schema;
use super::{summary, Context, Outcome, Rendered};

pub use schema::SCHEMA_VERSION;

/// The outcome as one pretty-printed JSON [`Document`](schema::Document); the exit code is
/// the Nagios one for the state.
pub fn render(outcome: &Outcome, context: &Context<'_>) -> Rendered {
    let doc = document(outcome, context);
    // Serialising these plain types cannot fail; say so in JSON if it ever did.
    let text = serde_json::to_string_pretty(&doc)
        .unwrap_or_else(|_| "{\"error\":\"the report could not be serialised\"}".into());
    Rendered {
        text: format!("{text}\n"),
        exit_code: outcome.verdict.state.exit_code(),
    }
}

/// The outcome as the schema's [`Document`](schema::Document), for a caller that puts
/// several in one output or adds fields of its own.
pub fn document(outcome: &Outcome, context: &Context<'_>) -> schema::Document {
    let report = outcome.report.as_ref();
    schema::Document {
        schema_version: SCHEMA_VERSION,
        plugin: context.program.to_string(),
        target: outcome.target.as_ref().map(|t| schema::Target {
            host: t.host.clone(),
            port: t.port,
            protocol: t.protocol.name(),
            address: t.address.clone(),
            sni: t.sni.clone(),
        }),
        state: outcome.verdict.state.as_str(),
        exit_code: outcome.verdict.state.exit_code(),
        summary: summary(outcome),
        tier: outcome.verdict.tier.map(|t| t.name()),
        findings: outcome.verdict.findings.iter().map(Into::into).collect(),
        connection: outcome.observation.as_ref().map(|o| schema::Connection {
            peer: o.peer.to_string(),
            protocol: outcome.target.as_ref().map_or("tls", |t| t.protocol.name()),
            greeting: o.greeting.clone(),
            tls_version: o.tls_version.map_or("", |v| v.name()),
            cipher_suite: o.cipher_suite.clone(),
            handshake_error: o.handshake_error.clone(),
            legacy_handshake: o.legacy_handshake.clone(),
            ocsp_stapled: o.stapled_ocsp.is_some(),
            timings_ms: (&o.timings).into(),
        }),
        chain: report
            .map(|r| {
                r.chain
                    .iter()
                    .map(|facts| schema::Element::of(facts, r.now))
                    .collect()
            })
            .unwrap_or_default(),
        name_check: report.map(|r| (&r.name).into()),
        chain_notes: report
            .map_or_else(Vec::new, |r| r.chain_notes.iter().map(Into::into).collect()),
        revocation: report.and_then(|r| r.revocation.as_ref()).map(Into::into),
        protocols: outcome
            .observation
            .as_ref()
            .map_or_else(Vec::new, |o| o.protocols.iter().map(Into::into).collect()),
        grade: report.and_then(|r| r.grade.as_ref()).map(Into::into),
        trust: report.map(|r| (&r.trust).into()),
    }
}
