//! `certprobe report --out DIR`: the reports of the inventory now, written as files.

use crate::cli::ReportArgs;
use crate::FleetError;
use certprobe_inventory::{SqliteStore, Store};
use certprobe_report::files::ReportSet;
use certprobe_report::{Pages, Site, Snapshot};
use std::path::Path;

/// How far back the reports read events: the weekly trend's seven days.
const WEEK: i64 = 7 * 86_400;

/// Writes the report folder; returns the line saying what was written.
pub fn run(args: &ReportArgs, db: &Path) -> Result<String, FleetError> {
    let config = config_or_default(args.config.as_deref())?;
    let now = match &args.now {
        None => certprobe::clock::now_unix(),
        Some(text) => crate::notify_cmd::parse_now(text)?,
    };
    let store = SqliteStore::open_read_only(db).map_err(FleetError::Inventory)?;
    let set = report_set(&store, &config, now).map_err(FleetError::Inventory)?;
    let site = Site::Files {
        base_url: config.notify.base_url.clone(),
    };
    let written = set
        .write(&args.out, &Pages::new(), &site)
        .map_err(|e| FleetError::Output {
            path: args.out.display().to_string(),
            reason: e.to_string(),
        })?;
    Ok(format!(
        "{} files in {}: index.html (dashboard), daily, weekly, compliance, timeline and alarms as .html, .csv and .json; certificates.csv and .json\n",
        written.len(),
        args.out.display()
    ))
}

/// Every report of the inventory at `now`.
pub fn report_set<S: Store + ?Sized>(
    store: &S,
    config: &certprobe_scan::config::Config,
    now: i64,
) -> Result<ReportSet, certprobe_inventory::InventoryError> {
    let snapshot = Snapshot::load(store, &config.owners, &config.thresholds, now)?;
    let events = store.events_since(now - WEEK, 100_000)?;
    let spans = store.leaf_spans()?;
    let deliveries = store.deliveries(100_000)?;
    Ok(ReportSet::new(
        &snapshot,
        &config.thresholds,
        &events,
        &spans,
        &deliveries,
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
