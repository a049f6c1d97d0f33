//! `certprobe report --out DIR`: the reports of the inventory now, written as files.

use crate::cli::ReportArgs;
use crate::inventory_db::{self, Open};
use crate::FleetError;
use certprobe_inventory::Store;
use certprobe_report::files::{Report, ReportSet};
use certprobe_report::{Pages, Site, Snapshot, DAY, WEEK};
use std::path::Path;

/// Writes the report folder; returns the line saying what was written.
pub fn run(args: &ReportArgs, db: &Path) -> Result<String, FleetError> {
    let config = config_or_default(args.config.as_deref())?;
    let now = match &args.now {
        None => certprobe::clock::now_unix(),
        Some(text) => crate::notify_cmd::parse_now(text)?,
    };
    let store = inventory_db::open(db, Open::Read)?;
    let set =
        report_set(store.as_ref(), &config, now, &args.only).map_err(FleetError::Inventory)?;
    let site = Site::Files {
        base_url: config.notify.base_url.clone(),
    };
    let written = set
        .write(&args.out, &Pages::new(), &site, &args.only)
        .map_err(|e| FleetError::Output {
            path: args.out.display().to_string(),
            reason: e.to_string(),
        })?;
    if !args.only.is_empty() {
        let names: Vec<String> = written
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        return Ok(format!(
            "{} files in {}: {}\n",
            written.len(),
            args.out.display(),
            names.join(", ")
        ));
    }
    Ok(format!(
        "{} files in {}: index.html (dashboard), daily, weekly, compliance, timeline and alarms as .html, .csv and .json; certificates.csv and .json\n",
        written.len(),
        args.out.display()
    ))
}

/// The reports of the inventory at `now`: those `only` names (all when empty) are complete,
/// the others may lack what only they read (events, spans, the notification log).
pub fn report_set<S: Store + ?Sized>(
    store: &S,
    config: &certprobe_scan::config::Config,
    now: i64,
    only: &[Report],
) -> Result<ReportSet, certprobe_inventory::InventoryError> {
    let want = |r: Report| only.is_empty() || only.contains(&r);
    let judged = [
        Report::Dashboard,
        Report::Certificates,
        Report::Daily,
        Report::Compliance,
        Report::Timeline,
    ];
    let snapshot = if judged.into_iter().any(want) {
        Snapshot::load(store, &config.owners, &config.thresholds, now)?
    } else {
        Snapshot {
            now,
            deployed: Vec::new(),
        }
    };
    // The weekly trend reads a week of events, the daily status only the last day's.
    let events = if want(Report::Weekly) {
        store.events_since(now - WEEK, 1_000_000)?
    } else if want(Report::Daily) {
        store.events_since(now - DAY, 1_000_000)?
    } else {
        Vec::new()
    };
    let spans = if want(Report::Weekly) {
        store.leaf_spans()?
    } else {
        Vec::new()
    };
    let deliveries = if want(Report::Alarms) {
        store.deliveries(1_000_000)?
    } else {
        Vec::new()
    };
    Ok(ReportSet::new(
        &snapshot,
        &config.thresholds,
        &events,
        &spans,
        &deliveries,
        only,
        usize::MAX,
    ))
}

/// The config file, or one with no owners and the default limits.
pub fn config_or_default(
    path: Option<&Path>,
) -> Result<certprobe_scan::config::Config, FleetError> {
    match path {
        Some(path) => certprobe_scan::config::load(path).map_err(FleetError::arguments),
        None => {
            certprobe_scan::config::parse("(no config)", "", None).map_err(FleetError::arguments)
        }
    }
}
