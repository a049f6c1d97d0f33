//! `certprobe audit`: the certificates of files, folders, keystores and Windows certificate
//! stores, judged as `check_cert_file` judges them (no connection; a name check only where a
//! name is given) and recorded as places of this host, or written to an export file.

use crate::as_check::{CheckResult, State};
use crate::audit_export::{ExportFile, ExportedAudit, ExportedPlace};
use crate::audit_finish::Walked;
use crate::audit_plan::Plan;
use crate::cli::AuditArgs;
use crate::inventory_db::{self, Open};
use crate::scan_cmd::host_name;
use crate::FleetError;
use certprobe::analysis::TrustStore;
use certprobe::verdict::Policy;
use certprobe_audit::{
    display_path, judge_file, judge_store, Auditor, FileError, JudgedPlace, Judging, Listed,
};
use certprobe_inventory::model::{EndpointKey, RunKind, RunStart, Seen, Sighting};
use certprobe_inventory::query::Source;
use certprobe_inventory::Store;
use certprobe_scan::config::Config;
use certprobe_winstore::StoreName;
use serde::Serialize;
use std::path::Path;

/// Places recorded per transaction (audits and imports): thousands of files cost a few
/// commits.
pub(crate) const BATCH: usize = 500;

/// What an audit run did.
#[derive(Debug, Default, Serialize)]
struct AuditReport {
    job: String,
    host: String,
    /// The inventory's run; none when exported.
    run: Option<i64>,
    /// Written to the `--export` file instead of the inventory.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    exported: bool,
    files: u64,
    /// Windows certificate stores read.
    #[serde(skip_serializing_if = "is_zero")]
    stores: u64,
    without_certificate: u64,
    unreadable: u64,
    removed: u64,
    places: u64,
    certificates: u64,
    seconds: f64,
    problems: Vec<Problem>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A file (or a store) that could not be read, with the reason in words.
#[derive(Debug, Serialize)]
struct Problem {
    path: String,
    reason: String,
    /// Not there (any more): what was found below it before is gone, not just unread.
    #[serde(skip)]
    vanished: bool,
    /// A Windows certificate store, not a file.
    #[serde(skip)]
    store: bool,
}

/// Runs the audits of the command line (its paths, or the config's `[[audit]]` sections)
/// into the inventory, or into the `--export` file; returns each audit's summary.
pub fn run(args: &AuditArgs, config: Option<&Config>, db: &Path) -> Result<String, FleetError> {
    let (options, settings) = args.check.to_check().map_err(FleetError::arguments)?;
    let trust =
        certprobe::load_trust(&settings.trust).map_err(|e| FleetError::Setup(e.to_string()))?;
    let judge = Judge {
        policy: &options.policy,
        trust: &trust,
        host: host_name(),
    };
    let plans = crate::audit_plan::plans(args, config)?;
    if args.notify {
        crate::notify_cmd::check_notify(config, args.config.as_deref())?;
    }
    // One inventory for all the audits of the command line; none for an export.
    let mut inventory = match args.export {
        Some(_) => None,
        None => Some(inventory_db::open(db, Open::Create)?),
    };
    let mut reports = Vec::new();
    let mut exported = Vec::new();
    for plan in &plans {
        match inventory.as_mut() {
            None => {
                let (report, audit) = export_plan(plan, &judge)?;
                reports.push(report);
                exported.push(audit);
            }
            Some(inventory) => reports.push(record_plan(plan, &judge, inventory.as_mut())?),
        }
    }
    if let Some(file) = &args.export {
        let document = ExportFile {
            certprobe_audit_export: crate::audit_export::FORMAT,
            audits: exported,
        };
        let text = serde_json::to_string(&document).unwrap_or_default() + "\n";
        crate::export::write_atomically(file, &text)?;
    }
    if args.as_check {
        return as_check(&reports);
    }
    let mut out = String::new();
    for report in &reports {
        if args.json {
            out.push_str(&(serde_json::to_string(report).unwrap_or_default() + "\n"));
        } else {
            out.push_str(&summary(report));
        }
    }
    drop(inventory);
    match config.filter(|_| args.notify) {
        Some(config) => crate::notify_cmd::after_command(config, db, out, args.json),
        None => Ok(out),
    }
}

/// `--as-check`: the audits as one check result; WARNING when a file or a store could not be
/// read.
fn as_check(reports: &[AuditReport]) -> Result<String, FleetError> {
    let mut state = State::Ok;
    let mut parts = Vec::new();
    let mut sums = [0u64; 6];
    let mut seconds = 0.0;
    for r in reports {
        let mut part = format!(
            "audit '{}' of {} done: {} files in {:.1} s, {} certificates in {} places, {} without a certificate, {} unreadable",
            r.job, r.host, r.files, r.seconds, r.certificates, r.places, r.without_certificate, r.unreadable
        );
        if r.unreadable > 0 {
            state = State::Warning;
            if let Some(first) = r.problems.first() {
                part.push_str(&format!(" ({}: {})", first.path, first.reason));
            }
        }
        match r.run {
            Some(_) => part.push_str(&format!(", {} removed", r.removed)),
            None => part.push_str(", exported"),
        }
        parts.push(part);
        for (sum, n) in sums.iter_mut().zip([
            r.files,
            r.certificates,
            r.places,
            r.without_certificate,
            r.unreadable,
            r.removed,
        ]) {
            *sum += n;
        }
        seconds += r.seconds;
    }
    let [files, certificates, places, without_certificate, unreadable, removed] = sums;
    let result = CheckResult {
        state,
        text: parts.join("; "),
        perfdata: vec![
            ("files", files as f64, ""),
            ("certificates", certificates as f64, ""),
            ("places", places as f64, ""),
            ("without_certificate", without_certificate as f64, ""),
            ("unreadable", unreadable as f64, ""),
            ("removed", removed as f64, ""),
            ("duration", seconds, "s"),
        ],
    };
    result.answer(SERVICE)
}

/// The service name of `--as-check` lines.
pub(crate) const SERVICE: &str = "CERT_AUDIT";

/// How the places are judged, and where they are.
struct Judge<'a> {
    policy: &'a Policy,
    trust: &'a TrustStore,
    host: String,
}

/// One audit into the inventory: recorded as the walk goes, 500 places a transaction, then
/// the places no longer found removed and the run done.
fn record_plan(
    plan: &Plan,
    judge: &Judge<'_>,
    inventory: &mut (dyn Store + Send),
) -> Result<AuditReport, FleetError> {
    let started = std::time::Instant::now();
    let mut run = inventory
        .begin_run(
            &RunStart {
                kind: RunKind::Audit,
                job: plan.job.clone(),
                zone: plan.zone.clone(),
                host: judge.host.clone(),
                started: certprobe::clock::now_unix(),
                planned: 0,
                import_id: None,
            },
            true,
        )
        .map_err(FleetError::Inventory)?;
    let mut batch = Vec::with_capacity(BATCH);
    let mut report = walk(plan, judge, |sighting| {
        batch.push(sighting);
        if batch.len() >= BATCH {
            inventory
                .record(&mut run, &batch)
                .map_err(FleetError::Inventory)?;
            batch.clear();
        }
        Ok(())
    })?;
    inventory
        .record(&mut run, &batch)
        .map_err(FleetError::Inventory)?;
    report.run = Some(run.id);
    // The walk is complete and stored: what this job found here before and not now is gone.
    let paths = WalkedPaths::of(plan, &report);
    let walked = paths.walked(&plan.zone, &judge.host, certprobe::clock::now_unix());
    report.removed = crate::audit_finish::finish(inventory, run, &walked)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// One audit into an export: its places kept for the file; removal is the import's.
fn export_plan(plan: &Plan, judge: &Judge<'_>) -> Result<(AuditReport, ExportedAudit), FleetError> {
    let started = std::time::Instant::now();
    let started_at = certprobe::clock::now_unix();
    let mut places = Vec::new();
    let mut report = walk(plan, judge, |sighting| {
        places.push(ExportedPlace::of(&sighting));
        Ok(())
    })?;
    let paths = WalkedPaths::of(plan, &report);
    let id = crate::audit_export::new_id().map_err(|_| {
        FleetError::Setup("the system gives no random numbers for the export's id".to_string())
    })?;
    let audit = ExportedAudit {
        id,
        job: plan.job.clone(),
        zone: plan.zone.clone(),
        host: judge.host.clone(),
        started: started_at,
        ended: certprobe::clock::now_unix(),
        roots: paths.roots,
        unread: paths.unread,
        stores: paths.stores,
        unread_stores: paths.unread_stores,
        files: report.files,
        without_certificate: report.without_certificate,
        certificates: report.certificates,
        places,
    };
    report.exported = true;
    report.seconds = started.elapsed().as_secs_f64();
    Ok((report, audit))
}

/// What the walk read and could not read, as the removal of gone places needs it.
struct WalkedPaths {
    roots: Vec<String>,
    unread: Vec<String>,
    stores: Vec<String>,
    unread_stores: Vec<String>,
}

impl WalkedPaths {
    /// The paths and stores read, as shown, and those that could not be (and are there).
    fn of(plan: &Plan, report: &AuditReport) -> WalkedPaths {
        let unread = |store: bool| {
            report
                .problems
                .iter()
                .filter(|p| !p.vanished && p.store == store)
                .map(|p| p.path.clone())
                .collect()
        };
        WalkedPaths {
            roots: plan.paths.iter().map(|p| display_path(p)).collect(),
            unread: unread(false),
            stores: plan.stores.iter().map(ToString::to_string).collect(),
            unread_stores: unread(true),
        }
    }

    fn walked<'a>(&'a self, zone: &'a str, host: &'a str, ended: i64) -> Walked<'a> {
        Walked {
            zone,
            host,
            roots: &self.roots,
            unread: &self.unread,
            stores: &self.stores,
            unread_stores: &self.unread_stores,
            ended,
        }
    }
}

/// The walk: files read and judged on a worker per core, each place handed to `keep` in
/// walk order, then the Windows stores; the counts and the reasons of what could not be read.
fn walk(
    plan: &Plan,
    judge: &Judge<'_>,
    mut keep: impl FnMut(Sighting) -> Result<(), FleetError>,
) -> Result<AuditReport, FleetError> {
    let mut report = AuditReport {
        job: plan.job.clone(),
        host: judge.host.clone(),
        ..AuditReport::default()
    };
    let examiner = Examiner {
        auditor: &plan.auditor,
        store: judge.trust,
        policy: judge.policy,
        zone: &plan.zone,
        host: &judge.host,
        name: &plan.name,
        names: &plan.names,
    };
    crate::parallel::ordered_map(
        plan.auditor.list(&plan.paths),
        crate::parallel::threads(),
        |listed| examiner.examine(listed),
        |examined| {
            report.files += 1;
            tally(&mut report, examined, &mut keep)
        },
    )?;
    for store in &plan.stores {
        report.stores += 1;
        tally(&mut report, examiner.examine_store(store), &mut keep)?;
    }
    Ok(report)
}

/// One file's (or store's) places counted and kept.
fn tally(
    report: &mut AuditReport,
    examined: Examined,
    keep: &mut impl FnMut(Sighting) -> Result<(), FleetError>,
) -> Result<(), FleetError> {
    match examined {
        Examined::Places {
            certificates,
            sightings,
        } => {
            report.certificates += certificates;
            report.places += sightings.len() as u64;
            sightings.into_iter().try_for_each(keep)
        }
        Examined::NoCertificate => {
            report.without_certificate += 1;
            Ok(())
        }
        Examined::Unreadable { problem, sighting } => {
            report.unreadable += 1;
            report.problems.push(problem);
            keep(*sighting)
        }
    }
}

/// What a worker needs to read and judge files.
struct Examiner<'a> {
    auditor: &'a Auditor,
    store: &'a TrustStore,
    policy: &'a Policy,
    zone: &'a str,
    host: &'a str,
    name: &'a Option<String>,
    names: &'a std::collections::BTreeMap<String, String>,
}

/// One file read and judged, ready to be counted and stored.
enum Examined {
    Places {
        certificates: u64,
        sightings: Vec<Sighting>,
    },
    NoCertificate,
    Unreadable {
        problem: Problem,
        sighting: Box<Sighting>,
    },
}

impl Examiner<'_> {
    /// The endpoint of a place of this host: `name` is its path or store name.
    fn place(&self, protocol: &str, name: String) -> EndpointKey {
        EndpointKey {
            zone: self.zone.to_string(),
            address: self.host.to_string(),
            port: 0,
            sni: name,
            protocol: protocol.to_string(),
        }
    }

    /// How the places of `path` are judged: now, with its name (if one is given for it, or
    /// for every file).
    fn judging(&self, path: &str) -> Judging<'_> {
        let name = self.names.get(path).or(self.name.as_ref());
        Judging {
            store: self.store,
            policy: self.policy,
            name: name.map(|n| (n.as_str(), self.policy.name_mode)),
            now: certprobe::clock::now_unix(),
        }
    }

    /// The judged places as the inventory keeps them.
    fn sightings(&self, protocol: &str, places: Vec<JudgedPlace>) -> Vec<Sighting> {
        places
            .iter()
            .map(|place| sighting_of(self.place(protocol, place.name.clone()), place))
            .collect()
    }

    /// Reads one listed file and judges its places (on a worker thread).
    fn examine(&self, listed: Listed) -> Examined {
        let outcome = self.auditor.read(listed);
        let path = outcome.display_path();
        let key = |name: String| self.place(Source::FILE_PROTOCOL, name);
        match &outcome.result {
            Ok(contents) => Examined::Places {
                certificates: contents.certificates.len() as u64,
                sightings: self.sightings(
                    Source::FILE_PROTOCOL,
                    judge_file(&path, outcome.format, contents, &self.judging(&path)),
                ),
            },
            Err(FileError::NoCertificate(_)) => Examined::NoCertificate,
            Err(error) => Examined::Unreadable {
                problem: Problem {
                    path: path.clone(),
                    reason: error.to_string(),
                    vanished: matches!(
                        error,
                        FileError::Unreadable(certprobe_audit::Unreadable::NotFound)
                    ),
                    store: false,
                },
                sighting: Box::new(failed(key(path), error.to_string(), error.code())),
            },
        }
    }
}

impl Examiner<'_> {
    /// Reads one Windows certificate store and judges each of its certificates.
    fn examine_store(&self, store: &StoreName) -> Examined {
        let label = store.to_string();
        let key = |name: String| self.place(Source::STORE_PROTOCOL, name);
        match certprobe_winstore::read(store) {
            Ok(certificates) => Examined::Places {
                certificates: certificates.len() as u64,
                sightings: self.sightings(
                    Source::STORE_PROTOCOL,
                    judge_store(store, &certificates, &self.judging(&label)),
                ),
            },
            Err(error) => {
                let reason = error.to_string();
                Examined::Unreadable {
                    sighting: Box::new(failed(
                        key(label.clone()),
                        reason.clone(),
                        "store-unreadable",
                    )),
                    problem: Problem {
                        path: label,
                        reason,
                        vanished: false,
                        store: true,
                    },
                }
            }
        }
    }
}

/// A judged place as the inventory keeps it.
fn sighting_of(endpoint: EndpointKey, place: &JudgedPlace) -> Sighting {
    let outcome = &place.outcome;
    let seen = match &outcome.report {
        Some(report) => Seen::Served {
            chain: report
                .chain
                .iter()
                .zip(&place.chain)
                .map(|(facts, der)| certprobe_scan::sighting::record_of(facts, der))
                .collect(),
            tls_version: String::new(),
        },
        None => Seen::Failed {
            kind: "bad-certificate".to_string(),
            answered: true,
        },
    };
    Sighting {
        endpoint,
        observed_at: outcome
            .report
            .as_ref()
            .map_or_else(certprobe::clock::now_unix, |r| r.now),
        state: outcome.verdict.state.exit_code() as u8,
        summary: certprobe::render::summary(outcome),
        findings: certprobe_scan::sighting::stored_findings(&outcome.verdict),
        seen,
    }
}

/// A file or store that could not be read: UNKNOWN with the reason, so the inventory shows it.
fn failed(endpoint: EndpointKey, reason: String, kind: &str) -> Sighting {
    Sighting {
        endpoint,
        observed_at: certprobe::clock::now_unix(),
        state: 3,
        summary: reason,
        findings: Vec::new(),
        seen: Seen::Failed {
            kind: kind.to_string(),
            answered: true,
        },
    }
}

/// The summary: one line, then one per file that could not be read.
fn summary(report: &AuditReport) -> String {
    // An export knows nothing removed yet: the import compares with the inventory.
    let end = match report.run {
        Some(run) => format!(", {} removed; run {run}", report.removed),
        None => "; exported".to_string(),
    };
    let mut out = format!(
        "audit '{}' of {} done: {} files{} in {:.1} s, {} certificates in {} places, {} without a certificate, {} unreadable{end}\n",
        certprobe::text::visible(&report.job),
        certprobe::text::visible(&report.host),
        report.files,
        match report.stores {
            0 => String::new(),
            1 => " and 1 store".to_string(),
            n => format!(" and {n} stores"),
        },
        report.seconds,
        report.certificates,
        report.places,
        report.without_certificate,
        report.unreadable,
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
