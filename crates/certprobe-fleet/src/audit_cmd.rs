//! `certprobe audit`: the certificates of files, folders and keystores, analysed like a
//! served chain (no connection, no name check) and recorded as places of this host.

use crate::audit_places::{places, Place};
use crate::cli::AuditArgs;
use crate::scan_cmd::host_name;
use crate::FleetError;
use certprobe::analysis::{self, NameMode, TrustStore};
use certprobe::verdict::{self, Check, Finding, Policy, State, Verdict};
use certprobe::{Checker, Outcome};
use certprobe_audit::{
    AuditOptions, Auditor, FileContents, FileError, KeyPresence, Note, Secret,
    DEFAULT_MAX_FILE_SIZE,
};
use certprobe_inventory::model::{EndpointKey, RunStart, RunStatus, Seen, Sighting, StoredFinding};
use certprobe_inventory::{SqliteStore, Store};
use serde::Serialize;
use std::path::Path;

/// Places recorded per transaction: thousands of files cost a few commits.
const BATCH: usize = 500;

/// What an audit run did.
#[derive(Debug, Default, Serialize)]
struct AuditReport {
    job: String,
    host: String,
    run: i64,
    files: u64,
    without_certificate: u64,
    unreadable: u64,
    places: u64,
    certificates: u64,
    seconds: f64,
    problems: Vec<Problem>,
}

/// A file that could not be read, with the reason in words.
#[derive(Debug, Serialize)]
struct Problem {
    path: String,
    reason: String,
}

/// Runs the audit; returns what to print on standard output.
pub fn run(args: &AuditArgs, db: &Path) -> Result<String, FleetError> {
    let started = std::time::Instant::now();
    let (options, settings) = args.check.to_check().map_err(FleetError::arguments)?;
    let checker = Checker::new(&settings).map_err(|e| FleetError::Setup(e.to_string()))?;
    let auditor = Auditor::new(&AuditOptions {
        include: args.include.clone(),
        exclude: args.exclude.clone(),
        follow_symlinks: args.follow_symlinks,
        max_file_size: DEFAULT_MAX_FILE_SIZE,
        password: password(args)?,
    })
    .map_err(FleetError::arguments)?;
    let mut store = SqliteStore::open(db).map_err(FleetError::Inventory)?;
    let host = host_name();
    let now = certprobe::clock::now_unix();
    let mut run = store
        .begin_run(
            &RunStart {
                job: args.job.clone(),
                zone: args.zone.clone(),
                host: host.clone(),
                started: now,
                planned: 0,
            },
            true,
        )
        .map_err(FleetError::Inventory)?;
    let mut report = AuditReport {
        job: args.job.clone(),
        host: host.clone(),
        run: run.id,
        ..AuditReport::default()
    };
    let mut batch = Vec::with_capacity(BATCH);
    for outcome in auditor.audit(&args.paths) {
        report.files += 1;
        let path = outcome.display_path();
        let key = |name: String| EndpointKey {
            zone: args.zone.clone(),
            address: host.clone(),
            port: 0,
            sni: name,
            protocol: "file".to_string(),
        };
        match &outcome.result {
            Ok(contents) => {
                report.certificates += contents.certificates.len() as u64;
                let mut about_file = file_findings(contents);
                for place in places(&path, outcome.format, contents) {
                    let endpoint = key(place.name.clone());
                    let mut extra = key_finding(&place.private_key);
                    // What the file as a whole showed goes with its first place.
                    extra.append(&mut about_file);
                    batch.push(sighting_of(
                        endpoint,
                        &place,
                        extra,
                        checker.trust_store(),
                        &options.policy,
                    ));
                    report.places += 1;
                }
            }
            Err(FileError::NoCertificate(_)) => report.without_certificate += 1,
            Err(error) => {
                report.unreadable += 1;
                report.problems.push(Problem {
                    path: path.clone(),
                    reason: error.to_string(),
                });
                batch.push(failed(key(path), error, now));
            }
        }
        if batch.len() >= BATCH {
            store
                .record(&mut run, &batch)
                .map_err(FleetError::Inventory)?;
            batch.clear();
        }
    }
    store
        .record(&mut run, &batch)
        .map_err(FleetError::Inventory)?;
    store
        .finish_run(run, RunStatus::Done, certprobe::clock::now_unix())
        .map_err(FleetError::Inventory)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(if args.json {
        serde_json::to_string(&report).unwrap_or_default() + "\n"
    } else {
        summary(&report)
    })
}

/// The password from `--password-file` or `--password-env`, never from the command line.
fn password(args: &AuditArgs) -> Result<Option<Secret>, FleetError> {
    if let Some(file) = &args.password_file {
        return Secret::from_file(file).map(Some).map_err(|e| {
            FleetError::Arguments(format!(
                "--password-file: cannot read {}: {}",
                certprobe::text::visible(&file.display().to_string()),
                certprobe_inventory::error::io_words(&e)
            ))
        });
    }
    match &args.password_env {
        Some(name) => Secret::from_env(name).map(Some).ok_or_else(|| {
            FleetError::Arguments(format!(
                "--password-env: the environment variable {} is not set",
                certprobe::text::visible(name)
            ))
        }),
        None => Ok(None),
    }
}

/// The finding of a place's private key, when one was looked for and found or refused.
fn key_finding(presence: &KeyPresence) -> Vec<Finding> {
    let (state, message) = match presence {
        KeyPresence::None => return Vec::new(),
        KeyPresence::Matched => (State::Ok, "its private key was found with it".to_string()),
        KeyPresence::InStore => (
            State::Ok,
            "its private key is stored with it in the keystore (encrypted, not compared)"
                .to_string(),
        ),
        KeyPresence::Mismatch(path) => (
            State::Critical,
            format!(
                "the private key in {} is not this certificate's",
                certprobe::text::visible(&path.display().to_string())
            ),
        ),
    };
    vec![Finding::new(Check::PrivateKey, state, message)]
}

/// What reading the file showed beside its certificates: keys that belong to none of them
/// (a finding), a keystore's integrity, keys that could not be read or compared.
fn file_findings(contents: &FileContents) -> Vec<Finding> {
    let mut out = Vec::new();
    match contents.unmatched_keys {
        0 => {}
        1 => out.push(Finding::new(
            Check::PrivateKey,
            State::Warning,
            "1 private key in the file belongs to none of its certificates".to_string(),
        )),
        n => out.push(Finding::new(
            Check::PrivateKey,
            State::Warning,
            format!("{n} private keys in the file belong to none of its certificates"),
        )),
    }
    for note in &contents.notes {
        let state = match note {
            Note::KeyFileUnreadable(..) | Note::StoppedAtSecretKey(_) => State::Warning,
            _ => State::Ok,
        };
        out.push(Finding::new(Check::File, state, note.to_string()));
    }
    out
}

/// A place's chain analysed and judged now, with `extra` findings, as the inventory keeps it.
fn sighting_of(
    endpoint: EndpointKey,
    place: &Place,
    extra: Vec<Finding>,
    store: &TrustStore,
    policy: &Policy,
) -> Sighting {
    let now = certprobe::clock::now_unix();
    let analysed = analysis::analyze(&place.chain, "", NameMode::None, store, now);
    let report = match analysed {
        Ok(report) => report,
        Err(e) => {
            return Sighting {
                endpoint,
                observed_at: now,
                state: 3,
                summary: format!("the certificate cannot be read: {e}"),
                findings: Vec::new(),
                seen: Seen::Failed {
                    kind: "bad-certificate".to_string(),
                    answered: true,
                },
            }
        }
    };
    let judged = verdict::judge_chain(&report, &place.chain, store, policy);
    let mut findings = judged.findings;
    findings.extend(extra);
    let verdict = Verdict::new(findings, judged.tier);
    let chain = report
        .chain
        .iter()
        .zip(&place.chain)
        .map(|(facts, der)| certprobe_scan::sighting::record_of(facts, der))
        .collect();
    let outcome = Outcome {
        target: None,
        observation: None,
        report: Some(report),
        verdict,
        policy: policy.clone(),
        error: None,
    };
    Sighting {
        endpoint,
        observed_at: now,
        state: outcome.verdict.state.exit_code() as u8,
        summary: certprobe::render::summary(&outcome),
        findings: outcome
            .verdict
            .findings
            .iter()
            .map(|f| StoredFinding {
                check: f.check.as_str().to_string(),
                state: f.state.as_str().to_string(),
                message: f.message.clone(),
            })
            .collect(),
        seen: Seen::Served {
            chain,
            tls_version: String::new(),
        },
    }
}

/// A file that could not be read: UNKNOWN with the reason, so the inventory shows it.
fn failed(endpoint: EndpointKey, error: &FileError, now: i64) -> Sighting {
    Sighting {
        endpoint,
        observed_at: now,
        state: 3,
        summary: error.to_string(),
        findings: Vec::new(),
        seen: Seen::Failed {
            kind: error.code().to_string(),
            answered: true,
        },
    }
}

/// The summary: one line, then one per file that could not be read.
fn summary(report: &AuditReport) -> String {
    let mut out = format!(
        "audit '{}' of {} done: {} files in {:.1} s, {} certificates in {} places, {} without a certificate, {} unreadable; run {}\n",
        certprobe::text::visible(&report.job),
        certprobe::text::visible(&report.host),
        report.files,
        report.seconds,
        report.certificates,
        report.places,
        report.without_certificate,
        report.unreadable,
        report.run,
    );
    for problem in &report.problems {
        out.push_str(&format!(
            "{}: {}\n",
            certprobe::text::visible(&problem.path),
            problem.reason
        ));
    }
    out
}
