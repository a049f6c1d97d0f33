//! `certprobe daemon --config FILE`: the config's jobs on their schedules, with exactly the
//! settings `certprobe scan --config FILE --job NAME` would use, one log line per run on
//! standard error.

use crate::cli::{Cli, Command, DaemonArgs};
use crate::inventory_db::Open;
use crate::{clap_sentence, default_words, scan_cmd, FleetError};
use certprobe::Checker;
use certprobe_scan::daemon::{
    run_daemon, Clock, DaemonError, DaemonEvent, DaemonSettings, ScheduledJob, StoreFactory,
};
use certprobe_scan::schedule::Schedule;
use clap::Parser;
use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Runs until SIGTERM or SIGINT; prints nothing on standard output.
pub fn run(args: &DaemonArgs, db: &Path) -> Result<String, FleetError> {
    let clock = match &args.test_clock {
        Some(text) => Clock::parse_test_clock(text).map_err(FleetError::arguments)?,
        None => Clock::System,
    };
    let path = args.config.display().to_string();
    let config = certprobe_scan::config::load(&args.config).map_err(FleetError::arguments)?;
    // The scan command line the config stands for: its [defaults], then the config itself.
    let mut words: Vec<OsString> = vec!["certprobe".into(), "scan".into()];
    words.extend(default_words(&config, &path)?);
    words.push("--config".into());
    words.push(args.config.clone().into_os_string());
    let scan_args = match Cli::try_parse_from(words) {
        Ok(Cli {
            command: Command::Scan(scan_args),
            ..
        }) => scan_args,
        Ok(_) => {
            return Err(FleetError::Arguments(format!(
                "{path}: the [defaults] do not make a scan command line"
            )))
        }
        Err(e) => {
            return Err(FleetError::Arguments(format!(
                "{path}: {}",
                clap_sentence(&e)
            )))
        }
    };
    let (options, settings) = scan_args.check.to_check().map_err(FleetError::arguments)?;
    let mut jobs = Vec::new();
    let mut unscheduled = Vec::new();
    for mut job in scan_cmd::jobs_of(&scan_args, Some(&config))? {
        job.check = options.clone();
        match job.schedule.as_deref().map(Schedule::parse) {
            Some(Ok(schedule)) => jobs.push(ScheduledJob { job, schedule }),
            Some(Err(e)) => {
                return Err(FleetError::Arguments(format!(
                    "{path}: job '{}': schedule: {e}",
                    job.name
                )))
            }
            None => unscheduled.push(job.name),
        }
    }
    if jobs.is_empty() {
        return Err(FleetError::Arguments(format!(
            "{path}: no job has a schedule; give each job the daemon is to run one, as in schedule = \"0 3 * * *\""
        )));
    }
    let checker = Arc::new(Checker::new(&settings).map_err(|e| FleetError::Setup(e.to_string()))?);
    let after_run = crate::notify_cmd::after_run(&config, db);
    let db = db.to_path_buf();
    let stores: StoreFactory = Arc::new(move || {
        certprobe_inventory_pg::Locator::of(&db).and_then(|inventory| inventory.open(Open::Create))
    });
    let settings = DaemonSettings {
        host: scan_cmd::host_name(),
        clock,
        handle_signals: true,
        after_run,
    };
    run_daemon(
        jobs,
        unscheduled,
        checker,
        stores,
        &settings,
        Arc::new(AtomicBool::new(false)),
        &mut log,
    )
    .map_err(|e| match e {
        DaemonError::Inventory(e) => FleetError::Inventory(e),
        other => FleetError::Scan(other.to_string()),
    })?;
    Ok(String::new())
}

/// One line on standard error, at once (journald and tests read it as it comes).
fn log(event: &DaemonEvent) {
    let line = certprobe::text::visible(&event.to_string());
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
    let _ = stderr.flush();
}
