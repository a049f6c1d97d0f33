//! `certprobe scan`: the jobs to run (from the command line or the config), the checker,
//! the inventory, a progress line on a terminal and the summary at the end.

use crate::as_check::{CheckResult, State};
use crate::cli::ScanArgs;
use crate::inventory_db::{self, Open};
use crate::scan_export::ExportRecorder;
use crate::FleetError;
use certprobe::Checker;
use certprobe_inventory::Recorder;
use certprobe_scan::config::{Config, JobSpec};
use certprobe_scan::spec::{parse_port, parse_target, Exclusion};
use certprobe_scan::{scan, scan_shared, Job, Limits, Progress, ScanReport, ScanSettings, Share};
use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

/// Runs the scan; returns what to print on standard output.
pub fn run(args: &ScanArgs, config: Option<&Config>, db: &Path) -> Result<String, FleetError> {
    let (options, settings) = args.check.to_check().map_err(FleetError::arguments)?;
    let jobs = jobs_of(args, config)?;
    if args.notify {
        crate::notify_cmd::check_notify(config, args.config.as_deref())?;
    }
    let checker = Checker::new(&settings).map_err(|e| FleetError::Setup(e.to_string()))?;
    let checker = Arc::new(checker);
    // The inventory, or the export file's runs: nothing else is opened for an export.
    let mut inventory = None;
    let mut export = None;
    if args.share {
        return shared(args, config, db, jobs, &options, &checker);
    }
    let store: &mut dyn Recorder = match &args.export {
        Some(_) => export.insert(ExportRecorder::new()),
        None => inventory
            .insert(inventory_db::open(db, Open::Create)?)
            .as_mut(),
    };
    let host = host_name();
    let mut out = String::new();
    let mut completed = true;
    let mut reports = Vec::new();
    for mut job in jobs {
        job.check = options.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let settings = ScanSettings {
            restart: args.restart,
            host: host.clone(),
            handle_signals: true,
        };
        let mut progress = ProgressLine::new(&job.name);
        let report = match scan(
            &job,
            Arc::clone(&checker),
            &mut *store,
            &settings,
            stop,
            &mut |p| progress.show(p),
        ) {
            Ok(report) => report,
            Err(e) => {
                // The jobs that ran before are kept in the export all the same.
                if let (Some(file), Some(export)) = (&args.export, &export) {
                    write_export(file, export)?;
                }
                return Err(FleetError::Scan(e.to_string()));
            }
        };
        progress.clear();
        if args.json {
            out.push_str(&serde_json::to_string(&report).unwrap_or_default());
            out.push('\n');
        } else if args.export.is_some() {
            out.push_str(&summary_at(&report, "exported", "interrupted"));
        } else {
            out.push_str(&summary(&report));
        }
        let done = report.status == "done";
        reports.push(report);
        if !done {
            completed = false;
            break;
        }
    }
    drop(inventory);
    if let (Some(file), Some(export)) = (&args.export, &export) {
        write_export(file, export)?;
        let (scans, endpoints, certificates) = export.totals();
        if !args.json && !args.as_check {
            out.push_str(&format!(
                "wrote {} ({}, {}, {}): load it with certprobe inventory import\n",
                file.display(),
                counted(scans, "run"),
                counted(endpoints, "endpoint"),
                counted(certificates, "certificate")
            ));
        }
    }
    if args.as_check {
        return as_check(&reports);
    }
    // Told after runs that completed only: an interrupted one continues, then tells.
    match config.filter(|_| args.notify && completed) {
        Some(config) => crate::notify_cmd::after_command(config, db, out, args.json),
        None => Ok(out),
    }
}

/// `--share`: each job with the other scanners of its shared run, one after the other.
fn shared(
    args: &ScanArgs,
    config: Option<&Config>,
    db: &Path,
    jobs: Vec<Job>,
    options: &certprobe::CheckOptions,
    checker: &Arc<Checker>,
) -> Result<String, FleetError> {
    let mut store = inventory_db::open(db, Open::Create)?;
    let defaults = Share::default();
    let share = Share {
        v4: args.unit.map_or(defaults.v4, |u| u.0),
        v6: args.unit.map_or(defaults.v6, |u| u.1),
        lease: args.lease.unwrap_or(defaults.lease),
    };
    let settings = ScanSettings {
        restart: args.restart,
        host: host_name(),
        handle_signals: true,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let mut out = String::new();
    let mut reports = Vec::new();
    let mut completed = true;
    for mut job in jobs {
        job.check = options.clone();
        let mut progress = ProgressLine::new(&job.name);
        let report = scan_shared(
            &job,
            Arc::clone(checker),
            store.as_mut(),
            &settings,
            Arc::clone(&stop),
            &mut |p| progress.show(p),
            &share,
        )
        .map_err(|e| FleetError::Scan(e.to_string()))?;
        progress.clear();
        if args.json {
            out.push_str(&serde_json::to_string(&report).unwrap_or_default());
            out.push('\n');
        } else {
            out.push_str(&shared_summary(&report));
        }
        let done = report.status == "done";
        reports.push(report);
        if !done {
            completed = false;
            break;
        }
    }
    drop(store);
    if args.as_check {
        return as_check(&reports);
    }
    match config.filter(|_| args.notify && completed) {
        Some(config) => crate::notify_cmd::after_command(config, db, out, args.json),
        None => Ok(out),
    }
}

/// The summary of a shared run: the whole run's counts, then this scanner's part.
fn shared_summary(report: &ScanReport) -> String {
    let c = &report.counts;
    let units = report.units.unwrap_or(certprobe_scan::UnitsDone {
        total: 0,
        mine: 0,
        endpoints: 0,
    });
    format!(
        "job '{}' {}: {} endpoints: {} served a certificate, {} answered without one, {} did not answer; run {}, shared: this scanner did {} of {} ({} in {:.1} s)\n",
        report.job,
        if report.status == "done" {
            "done"
        } else {
            "interrupted (its units go on with the other scanners, or the next scan --share)"
        },
        c.checked,
        c.served,
        c.failed,
        c.silent,
        report.run,
        units.mine,
        counted(units.total as usize, "work unit"),
        counted(units.endpoints as usize, "endpoint"),
        report.seconds
    )
}

/// `--as-check`: the runs as one check result. WARNING when a run was interrupted or a name
/// did not resolve; "did not answer" is the common case of a range, not a problem.
fn as_check(reports: &[ScanReport]) -> Result<String, FleetError> {
    let mut state = State::Ok;
    let mut parts = Vec::new();
    let (mut checked, mut served, mut failed, mut silent, mut unresolved, mut seconds) =
        (0, 0, 0, 0, 0, 0.0);
    for r in reports {
        let c = &r.counts;
        let mut part = format!(
            "job '{}' {}: {} endpoints in {:.1} s, {} served a certificate, {} answered without one, {} did not answer",
            r.job,
            if r.status == "done" { "done" } else { "interrupted" },
            c.checked,
            r.seconds,
            c.served,
            c.failed,
            c.silent
        );
        if r.status != "done" {
            state = State::Warning;
        }
        if !r.unresolved.is_empty() {
            state = State::Warning;
            let names: Vec<&str> = r.unresolved.iter().take(5).map(String::as_str).collect();
            let more = r.unresolved.len().saturating_sub(names.len());
            part.push_str(&format!(
                "; {} not resolved: {}{}",
                r.unresolved.len(),
                names.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        parts.push(part);
        checked += c.checked;
        served += c.served;
        failed += c.failed;
        silent += c.silent;
        unresolved += r.unresolved.len() as u64;
        seconds += r.seconds;
    }
    let result = CheckResult {
        state,
        text: parts.join("; "),
        perfdata: vec![
            ("endpoints", checked as f64, ""),
            ("certificates", served as f64, ""),
            ("without_certificate", failed as f64, ""),
            ("silent", silent as f64, ""),
            ("unresolved", unresolved as f64, ""),
            ("duration", seconds, "s"),
        ],
    };
    result.answer(SERVICE)
}

/// The service name of `--as-check` lines.
pub(crate) const SERVICE: &str = "CERT_SCAN";

/// The jobs a scan runs: an ad-hoc one for `--targets`, else the config's.
pub(crate) fn jobs_of(args: &ScanArgs, config: Option<&Config>) -> Result<Vec<Job>, FleetError> {
    let limits = limits_of(args);
    if !args.targets.is_empty() {
        let mut spec = JobSpec {
            name: args.job.clone().unwrap_or_else(|| "adhoc".to_string()),
            targets: Vec::new(),
            ports: Vec::new(),
            exclude: Vec::new(),
            sni: Default::default(),
            schedule: None,
            limits: Default::default(),
        };
        for target in &args.targets {
            spec.targets
                .push(parse_target(target, args.force).map_err(FleetError::arguments)?);
        }
        let ports = if args.ports.is_empty() {
            vec!["443".to_string()]
        } else {
            args.ports.clone()
        };
        for port in &ports {
            spec.ports
                .push(parse_port(port).map_err(FleetError::arguments)?);
        }
        for exclusion in &args.exclude {
            spec.exclude
                .push(Exclusion::parse(exclusion).map_err(FleetError::arguments)?);
        }
        add_sni(&mut spec, args)?;
        return Ok(vec![job_of(&spec, &limits, &args.zone)]);
    }
    let Some(config) = config else {
        return Err(FleetError::Arguments(
            "give --targets, or --config with the jobs to run".to_string(),
        ));
    };
    let specs: Vec<&JobSpec> = match &args.job {
        Some(name) => match config.job(name) {
            Some(spec) => vec![spec],
            None => {
                let names: Vec<&str> = config.jobs.iter().map(|j| j.name.as_str()).collect();
                let known = if names.is_empty() {
                    "it has no [[job]]".to_string()
                } else {
                    format!("it has: {}", names.join(", "))
                };
                return Err(FleetError::Arguments(format!(
                    "the config has no job '{}' ({known})",
                    certprobe::text::quote(name, 40),
                )));
            }
        },
        None => config.jobs.iter().collect(),
    };
    if specs.is_empty() {
        return Err(FleetError::Arguments(
            "the config has no [[job]]".to_string(),
        ));
    }
    let mut jobs = Vec::new();
    for spec in specs {
        let mut spec = spec.clone();
        add_sni(&mut spec, args)?;
        jobs.push(job_of(&spec, &limits, &args.zone));
    }
    Ok(jobs)
}

/// `--sni` and `--sni-file` into a job's map.
fn add_sni(spec: &mut JobSpec, args: &ScanArgs) -> Result<(), FleetError> {
    for entry in &args.sni {
        let bad = || {
            FleetError::Arguments(format!(
                "--sni '{}' is not ADDRESS=NAME[,NAME...]",
                certprobe::text::quote(entry, 60)
            ))
        };
        let (address, names) = entry.split_once('=').ok_or_else(bad)?;
        let ip: IpAddr = address.trim().parse().map_err(|_| bad())?;
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let ascii = certprobe::idna::to_ascii_name(name).map_err(FleetError::arguments)?;
            spec.sni.entry(ip).or_default().push(ascii);
        }
    }
    if let Some(file) = &args.sni_file {
        for (ip, names) in
            certprobe_scan::config::read_sni_file(file).map_err(FleetError::Arguments)?
        {
            spec.sni.entry(ip).or_default().extend(names);
        }
    }
    for names in spec.sni.values_mut() {
        names.sort();
        names.dedup();
    }
    Ok(())
}

/// The command line's limits over the built-in defaults (the config's `[defaults]` came in
/// as command-line words before the user's own).
fn limits_of(args: &ScanArgs) -> Limits {
    let mut limits = Limits::default();
    if let Some(v) = args.connect_timeout {
        limits.connect_timeout = v;
    }
    if let Some(v) = args.timeout {
        limits.timeout = v;
    }
    if let Some(v) = args.concurrency {
        limits.concurrency = v as usize;
    }
    if let Some(v) = args.rate {
        limits.rate = v;
    }
    if let Some(v) = args.per_host {
        limits.per_host = v as usize;
    }
    limits
}

fn job_of(spec: &JobSpec, limits: &Limits, zone: &str) -> Job {
    let mut job = Job::new(&spec.name);
    job.zone = zone.to_string();
    job.targets = spec.targets.clone();
    job.ports = spec.ports.clone();
    job.exclude = spec.exclude.clone();
    job.sni = spec.sni.clone();
    job.schedule = spec.schedule.clone();
    job.limits = Limits {
        connect_timeout: spec
            .limits
            .connect_timeout
            .unwrap_or(limits.connect_timeout),
        timeout: spec.limits.timeout.unwrap_or(limits.timeout),
        concurrency: spec.limits.concurrency.unwrap_or(limits.concurrency),
        rate: spec.limits.rate.unwrap_or(limits.rate),
        per_host: spec.limits.per_host.unwrap_or(limits.per_host),
    };
    job
}

/// The export file, written whole or not at all.
fn write_export(file: &Path, export: &ExportRecorder) -> Result<(), FleetError> {
    let text = export
        .text()
        .map_err(|e| FleetError::Setup(format!("cannot write the export: {e}")))?;
    crate::export::write_atomically(file, &text)
}

/// `1 run`, `2 runs`.
fn counted(n: usize, what: &str) -> String {
    format!("{n} {what}{}", crate::output::plural(n))
}

/// The one-line summary of a run.
pub fn summary(report: &ScanReport) -> String {
    summary_at(
        report,
        &format!("run {}", report.run),
        "interrupted (the next scan continues it)",
    )
}

/// The one-line summary of a run stored at `place` (`run 12`, `exported`), `interrupted`
/// saying what an interrupted one means there.
fn summary_at(report: &ScanReport, place: &str, interrupted: &str) -> String {
    let c = &report.counts;
    let rate = if report.seconds > 0.0 {
        c.checked as f64 / report.seconds
    } else {
        0.0
    };
    let mut line = format!(
        "job '{}' {}: {} endpoints in {:.1} s ({:.0}/s): {} served a certificate, {} answered without one, {} did not answer; {place}{}\n",
        report.job,
        if report.status == "done" { "done" } else { interrupted },
        c.checked,
        report.seconds,
        rate,
        c.served,
        c.failed,
        c.silent,
        if report.resumed { ", continued" } else { "" },
    );
    for name in &report.unresolved {
        line.push_str(&format!(
            "not resolved: {}\n",
            certprobe::text::visible(name)
        ));
    }
    line
}

/// A progress line on standard error, when it is a terminal.
struct ProgressLine {
    job: String,
    on: bool,
    started: Instant,
    shown: bool,
}

impl ProgressLine {
    fn new(job: &str) -> ProgressLine {
        ProgressLine {
            job: job.to_string(),
            on: std::io::stderr().is_terminal(),
            started: Instant::now(),
            shown: false,
        }
    }

    fn show(&mut self, p: Progress) {
        if !self.on {
            return;
        }
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = p.checked as f64 / seconds;
        let left = p.planned.saturating_sub(p.checked);
        let eta = if rate > 0.0 { left as f64 / rate } else { 0.0 };
        let percent = (p.checked * 100).checked_div(p.planned).unwrap_or(100);
        let _ = write!(
            std::io::stderr(),
            "\r{}: {}/{} ({percent}%), {} certificates, {rate:.0}/s, {eta:.0} s left   ",
            self.job,
            p.checked,
            p.planned,
            p.served
        );
        self.shown = true;
    }

    fn clear(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r{}\r", " ".repeat(79));
        }
    }
}

/// This machine's name for the run records.
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}
