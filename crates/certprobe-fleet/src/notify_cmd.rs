//! `certprobe notify`: one notifier run over the inventory, printed as one line per message
//! (or JSON), with the exit status saying whether everything due went out.

use crate::cli::NotifyArgs;
use crate::inventory_db::{self, Open};
use crate::FleetError;
use certprobe_inventory::InventoryError;
use certprobe_notify::run::{notify, Outcome, Report, Setup};
use serde::Serialize;
use std::path::Path;

/// A run's messages, as printed; `Err(Incomplete)` when one failed.
pub fn run(args: &NotifyArgs, db: &Path) -> Result<String, FleetError> {
    let config = certprobe_scan::config::load(&args.config).map_err(FleetError::arguments)?;
    let now = match &args.now {
        None => certprobe::clock::now_unix(),
        Some(text) => parse_now(text)?,
    };
    // An inventory that is not there is a mistake (a wrong --db), not an empty fleet.
    drop(inventory_db::open(db, Open::Read)?);
    let mut store = inventory_db::open(db, Open::Create)?;
    let setup = Setup {
        owners: &config.owners,
        settings: &config.notify,
        thresholds: &config.thresholds,
    };
    let report =
        notify(store.as_mut(), &setup, now, args.dry_run).map_err(FleetError::Inventory)?;
    let out = if args.json {
        json(&report, args.dry_run)
    } else {
        lines(&report, args.dry_run)
    };
    let failed = report
        .messages
        .iter()
        .filter(|m| matches!(m.outcome, Outcome::Failed { .. }))
        .count();
    if failed > 0 && !args.dry_run {
        return Err(FleetError::Incomplete {
            stdout: out,
            reason: format!(
                "{failed} of {} messages were not sent; the next run tries them again",
                report.messages.len()
            ),
        });
    }
    Ok(out)
}

/// A hidden `--now`: Unix seconds or `2026-12-31 23:59:59 UTC`.
pub fn parse_now(text: &str) -> Result<i64, FleetError> {
    text.parse::<i64>()
        .ok()
        .or_else(|| certprobe::clock::parse_utc(text))
        .ok_or_else(|| {
            FleetError::Arguments(format!(
                "--now: '{}' is not Unix seconds or YYYY-MM-DD HH:MM:SS UTC",
                certprobe::text::quote(text, 40)
            ))
        })
}

fn lines(report: &Report, dry_run: bool) -> String {
    let mut out = String::new();
    for w in &report.warnings {
        out.push_str(&format!("warning: {}\n", certprobe::text::visible(w)));
    }
    let owners: std::collections::BTreeSet<&str> =
        report.notices.iter().map(|n| n.owner.as_str()).collect();
    out.push_str(&format!(
        "{} notice{} for {} owner{}; {} message{} {}\n",
        report.notices.len(),
        crate::output::plural(report.notices.len()),
        owners.len(),
        crate::output::plural(owners.len()),
        report.messages.len(),
        crate::output::plural(report.messages.len()),
        if dry_run { "would be sent" } else { "due" }
    ));
    for m in &report.messages {
        let status = match &m.outcome {
            Outcome::Sent if dry_run => "would send".to_string(),
            Outcome::Sent => "sent".to_string(),
            Outcome::Failed { reason, retry_at } => {
                format!(
                    "failed ({reason}; again from {})",
                    crate::output::when(*retry_at)
                )
            }
            Outcome::Dropped { reason } => format!("dropped ({reason})"),
        };
        out.push_str(&certprobe::text::visible(&format!(
            "{status}: {} to {} for {}: {}",
            m.channel, m.destination, m.owner, m.what
        )));
        out.push('\n');
    }
    for d in &report.waiting {
        out.push_str(&certprobe::text::visible(&format!(
            "waiting: {} to {} for {} since {}, again from {} (last: {})",
            d.channel,
            d.destination,
            d.owner,
            crate::output::when(d.created),
            crate::output::when(d.next_attempt),
            d.last_error
        )));
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
struct Line<'a> {
    id: i64,
    owner: &'a str,
    channel: &'a str,
    destination: &'a str,
    what: &'a str,
    status: &'a str,
    reason: Option<&'a str>,
    retry_at: Option<i64>,
}

fn json(report: &Report, dry_run: bool) -> String {
    let mut out = String::new();
    for m in &report.messages {
        let (status, reason, retry_at) = match &m.outcome {
            Outcome::Sent if dry_run => ("would-send", None, None),
            Outcome::Sent => ("sent", None, None),
            Outcome::Failed { reason, retry_at } => {
                ("failed", Some(reason.as_str()), Some(*retry_at))
            }
            Outcome::Dropped { reason } => ("dropped", Some(reason.as_str()), None),
        };
        let line = Line {
            id: m.id,
            owner: &m.owner,
            channel: &m.channel,
            destination: &m.destination,
            what: &m.what,
            status,
            reason,
            retry_at,
        };
        out.push_str(&serde_json::to_string(&line).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// How long a notifier run after a scan or an audit waits for another notifier to finish.
const WAIT_FOR_NOTIFIER: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Whether the config names anyone to tell: owners or receivers.
fn tells_anyone(config: &certprobe_scan::config::Config) -> bool {
    let settings = &config.notify;
    let default = &config.owners.default;
    !config.owners.owners.is_empty()
        || !default.email.is_empty()
        || !default.snmp.is_empty()
        || default.hook.is_some()
        || settings.mail.is_some()
        || !settings.snmp.is_empty()
        || settings.hook.is_some()
}

/// One notifier run now, as after a scan or an audit: its log line, and how many messages
/// failed; or why it could not run.
fn notify_now(
    config: &certprobe_scan::config::Config,
    db: &Path,
) -> Result<(String, usize), String> {
    let mut store =
        inventory_db::open(db, Open::Create).map_err(|e| format!("notify failed: {e}"))?;
    let setup = Setup {
        owners: &config.owners,
        settings: &config.notify,
        thresholds: &config.thresholds,
    };
    // Another notifier (the daemon's, another cron job's) may be sending: this run waits for
    // it, as what this run's scan or audit changed must be told.
    let waited = std::time::Instant::now();
    let report = loop {
        match notify(store.as_mut(), &setup, certprobe::clock::now_unix(), false) {
            Err(InventoryError::NotifierRunning { .. }) if waited.elapsed() < WAIT_FOR_NOTIFIER => {
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
            done => break done.map_err(|e| format!("notify failed: {e}"))?,
        }
    };
    let sent = report
        .messages
        .iter()
        .filter(|m| m.outcome == Outcome::Sent)
        .count();
    let failed = report
        .messages
        .iter()
        .filter(|m| matches!(m.outcome, Outcome::Failed { .. }))
        .count();
    let mut line = format!(
        "notify: {} notice{}, {sent} message{} sent",
        report.notices.len(),
        crate::output::plural(report.notices.len()),
        crate::output::plural(sent)
    );
    if failed > 0 {
        line.push_str(&format!(
            ", {failed} failed (tried again after the next run)"
        ));
    }
    for w in &report.warnings {
        line.push_str(&format!("; warning: {w}"));
    }
    Ok((line, failed))
}

/// For the daemon: a notifier run after each completed scan, when the config has owners or
/// receivers; runs one at a time (two jobs that end together notify one after the other).
pub fn after_run(
    config: &certprobe_scan::config::Config,
    db: &Path,
) -> Option<certprobe_scan::daemon::AfterRun> {
    if !tells_anyone(config) {
        return None;
    }
    let config = config.clone();
    let db = db.to_path_buf();
    let one_at_a_time = std::sync::Mutex::new(());
    Some(std::sync::Arc::new(move |_job: &str| {
        let _turn = one_at_a_time.lock().unwrap_or_else(|e| e.into_inner());
        notify_now(&config, &db).map(|(line, _)| line)
    }))
}

/// `--notify` of `certprobe scan` and `audit`, before they run: the config must name someone
/// to tell.
pub fn check_notify(
    config: Option<&certprobe_scan::config::Config>,
    path: Option<&Path>,
) -> Result<(), FleetError> {
    match (config, path) {
        (Some(config), Some(path)) if !tells_anyone(config) => Err(FleetError::Arguments(format!(
            "--notify: {} has no [[owner]], [default_owner] or [notify] receiver to tell",
            path.display()
        ))),
        (Some(_), Some(_)) => Ok(()),
        _ => Err(FleetError::Arguments(
            "--notify needs --config FILE: its owners and receivers are told".to_string(),
        )),
    }
}

/// `--notify`, after a scan or an audit whose output is `out`: a notifier run, its line
/// added (a JSON line with `--json`); exit 1 when it failed or a message was not sent.
pub fn after_command(
    config: &certprobe_scan::config::Config,
    db: &Path,
    mut out: String,
    json: bool,
) -> Result<String, FleetError> {
    let (line, failed) = match notify_now(config, db) {
        Ok(done) => done,
        Err(reason) => {
            return Err(FleetError::Incomplete {
                stdout: out,
                reason,
            })
        }
    };
    if json {
        out.push_str(&serde_json::json!({ "notify": line }).to_string());
    } else {
        out.push_str(&line);
    }
    out.push('\n');
    if failed > 0 {
        return Err(FleetError::Incomplete {
            stdout: out,
            reason: format!(
                "{failed} notification message{} not sent; the next run tries again",
                if failed == 1 { " was" } else { "s were" }
            ),
        });
    }
    Ok(out)
}
