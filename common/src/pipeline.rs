//! The pipeline for one target: connect, analyse, the network lookups that analysis asks for
//! (AIA issuers, revocation, version probes), judge, render. The plugins run it through the
//! CLI; the future scanner can run it per target.

use crate::analysis::TrustStore;
use crate::cli::Config;
use crate::connect::{observe, Deadline};
use crate::render::{render, Outcome, Rendered};
use crate::verdict;
use crate::Plugin;

/// Runs the whole pipeline for parsed arguments, with the network part bounded by `deadline`.
pub fn check(
    plugin: Plugin,
    config: &Config,
    deadline: Deadline,
    now: impl Fn() -> i64,
) -> Rendered {
    let mut outcome = Outcome {
        plugin,
        target: Some(config.target.clone()),
        observation: None,
        report: None,
        verdict: verdict::judge_usage(""),
        policy: config.policy.clone(),
        verbosity: config.verbosity,
    };
    let store = match config.trust.load() {
        Ok(store) => store,
        Err(message) => {
            outcome.target = None;
            outcome.verdict = verdict::judge_usage(&message);
            return render(config.format, &outcome);
        }
    };
    match observe(&config.target, deadline) {
        Err(error) => outcome.verdict = verdict::judge_error(&error, &config.policy),
        Ok(mut observation) => {
            let name = config.target.identity();
            match crate::analysis::analyze(
                &observation.chain,
                &name,
                config.policy.name_mode,
                &store,
                now(),
            ) {
                Ok(mut report) => {
                    if config.fetch_intermediates && !report.trust.trusted {
                        complete_chain(&mut report, &observation, &store, config, deadline);
                    }
                    if config.policy.revocation && !report.leaf().self_signed {
                        report.revocation = Some(crate::connect::revocation::lookup(
                            &observation.chain[0],
                            observation.chain.get(1).map(Vec::as_slice),
                            observation.stapled_ocsp.as_deref(),
                            &config.cache,
                            deadline,
                            report.now,
                        ));
                    }
                    if config.probe_protocols {
                        observation.protocols =
                            crate::connect::probe_protocols(&config.target, deadline);
                        report.grade = Some(grade_of(&report, &observation));
                    }
                    outcome.verdict = verdict::judge(&report, &observation, &store, &config.policy);
                    outcome.report = Some(report);
                }
                Err(message) => {
                    let error = crate::ConnectError::new(crate::ErrorKind::BadCertificate, message);
                    outcome.verdict = verdict::judge_error(&error, &config.policy);
                }
            }
            outcome.observation = Some(observation);
        }
    }
    render(config.format, &outcome)
}

/// The security grade from the probed versions and the analysed chain.
fn grade_of(
    report: &crate::analysis::Report,
    observation: &crate::Observation,
) -> crate::analysis::grade::Grade {
    let accepted: Vec<(String, String)> = observation
        .protocols
        .iter()
        .filter(|p| p.accepted)
        .map(|p| {
            (
                p.version.clone(),
                p.cipher_suite.clone().unwrap_or_default(),
            )
        })
        .collect();
    crate::analysis::grade::grade(&crate::analysis::grade::GradeInput {
        accepted: &accepted,
        leaf: report.leaf(),
        trusted: report.trust.trusted,
        name_matches: report.name.matched(),
        now: report.now,
    })
}

/// Fetches the missing issuers of an untrusted chain via AIA and verifies trust again.
fn complete_chain(
    report: &mut crate::analysis::Report,
    observation: &crate::Observation,
    store: &TrustStore,
    config: &Config,
    deadline: Deadline,
) {
    let Some(top) = report.chain.last() else {
        return;
    };
    let (fetched, errors) = crate::connect::aia::fetch_issuers(top, &config.cache, deadline);
    let fetched: Vec<(String, Vec<u8>)> = fetched.into_iter().map(|f| (f.url, f.der)).collect();
    report.complete_with(&observation.chain, &fetched, errors, store);
}
