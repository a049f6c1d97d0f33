//! `certprobe report --out DIR`: every report as a self-contained HTML file, with its data as
//! CSV and JSON beside it. Each file is written whole (a temporary file renamed over it), so
//! a browser or a mail job never reads half a report.

use crate::csv;
use crate::render::{Pages, RenderError, Site};
use crate::reports::{self, Alarms, Compliance, Daily, Dashboard, Timeline, Weekly};
use crate::snapshot::Snapshot;
use crate::views::CertRow;
use std::fmt;
use std::path::{Path, PathBuf};

/// The reports, as `--only` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// index.html: tiers, the four charts, owners, the soonest expiries.
    Dashboard,
    /// certificates.csv and .json: every deployed certificate.
    Certificates,
    /// Daily status.
    Daily,
    /// Weekly trend.
    Weekly,
    /// Monthly compliance.
    Compliance,
    /// Expiry timeline.
    Timeline,
    /// Alarm history.
    Alarms,
}

impl Report {
    /// Whether `--only` asks for this report (every report when it names none).
    pub fn is_wanted(self, wanted: &[Report]) -> bool {
        wanted.is_empty() || wanted.contains(&self)
    }

    /// Every report.
    pub const ALL: [Report; 7] = [
        Report::Dashboard,
        Report::Certificates,
        Report::Daily,
        Report::Weekly,
        Report::Compliance,
        Report::Timeline,
        Report::Alarms,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Report::Dashboard => "dashboard",
            Report::Certificates => "certificates",
            Report::Daily => "daily",
            Report::Weekly => "weekly",
            Report::Compliance => "compliance",
            Report::Timeline => "timeline",
            Report::Alarms => "alarms",
        }
    }

    /// The report of a name.
    pub fn from_name(name: &str) -> Option<Report> {
        Report::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// Every report's data at one instant.
#[derive(Debug, Clone, Default)]
pub struct ReportSet {
    /// The dashboard (index.html).
    pub dashboard: Dashboard,
    /// Every deployed certificate (certificates.csv, .json).
    pub certificates: Vec<CertRow>,
    /// Daily status.
    pub daily: Daily,
    /// Weekly trend.
    pub weekly: Weekly,
    /// Monthly compliance.
    pub compliance: Compliance,
    /// Expiry timeline.
    pub timeline: Timeline,
    /// Alarm history.
    pub alarms: Alarms,
}

/// Why a report folder could not be written.
#[derive(Debug)]
pub enum WriteError {
    /// A file or the folder cannot be written.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A page could not be made.
    Render(RenderError),
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Io { path, reason } => {
                write!(f, "cannot write {}: {reason}", path.display())
            }
            WriteError::Render(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for WriteError {}

impl ReportSet {
    /// The reports `wanted` (all when empty) of a snapshot, with the events of the last
    /// week, every leaf span and the notification log; the others are left empty (a report
    /// of 100,000 endpoints is made only when it is written or served). Long tables (events,
    /// failures, notices) keep their first `rows` and their totals: a served page shows 500,
    /// the files have all.
    pub fn new(
        snapshot: &Snapshot,
        thresholds: &certprobe_alarm::Thresholds,
        events: &[certprobe_inventory::query::EventRow],
        spans: &[certprobe_inventory::query::LeafSpan],
        deliveries: &[certprobe_inventory::notification::Delivery],
        wanted: &[Report],
        rows: usize,
    ) -> ReportSet {
        let want = |r: Report| r.is_wanted(wanted);
        // The daily report shows the dashboard's counts.
        let dashboard = if want(Report::Dashboard) || want(Report::Daily) {
            reports::dashboard(snapshot)
        } else {
            Dashboard::default()
        };
        ReportSet {
            daily: if want(Report::Daily) {
                reports::daily(&dashboard, events, snapshot.now, rows)
            } else {
                Daily::default()
            },
            weekly: if want(Report::Weekly) {
                reports::weekly(spans, events, thresholds, snapshot.now, rows)
            } else {
                Weekly::default()
            },
            compliance: if want(Report::Compliance) {
                reports::compliance(snapshot, thresholds, rows)
            } else {
                Compliance::default()
            },
            timeline: if want(Report::Timeline) {
                reports::timeline(snapshot)
            } else {
                Timeline::default()
            },
            alarms: if want(Report::Alarms) {
                reports::alarms(deliveries, snapshot.now, rows)
            } else {
                Alarms::default()
            },
            certificates: if want(Report::Certificates) {
                reports::certificate_rows(snapshot)
            } else {
                Vec::new()
            },
            dashboard,
        }
    }

    /// The files, by name, in the order written; of the reports `wanted` (all when empty).
    fn files<'a>(
        &'a self,
        pages: &Pages,
        site: &Site,
        wanted: &[Report],
    ) -> Result<Vec<(&'static str, Body<'a>)>, RenderError> {
        let json = |v: &'a dyn erased::Json| Body::Json(v);
        let want = |r: Report| r.is_wanted(wanted);
        let mut out = Vec::new();
        if want(Report::Dashboard) {
            out.push((
                "index.html",
                Body::Text(pages.dashboard(&self.dashboard, site)?),
            ));
            out.push(("index.json", json(&self.dashboard)));
        }
        if want(Report::Certificates) {
            out.push((
                "certificates.csv",
                Body::Text(certificates_csv(&self.certificates)),
            ));
            out.push(("certificates.json", json(&self.certificates)));
        }
        if want(Report::Daily) {
            out.push(("daily.html", Body::Text(pages.daily(&self.daily, site)?)));
            out.push(("daily.csv", Body::Text(daily_csv(&self.daily))));
            out.push(("daily.json", json(&self.daily)));
        }
        if want(Report::Weekly) {
            out.push(("weekly.html", Body::Text(pages.weekly(&self.weekly, site)?)));
            out.push(("weekly.csv", Body::Text(events_csv(&self.weekly.events))));
            out.push(("weekly.json", json(&self.weekly)));
        }
        if want(Report::Compliance) {
            out.push((
                "compliance.html",
                Body::Text(pages.compliance(&self.compliance, site)?),
            ));
            out.push((
                "compliance.csv",
                Body::Text(compliance_csv(&self.compliance)),
            ));
            out.push(("compliance.json", json(&self.compliance)));
        }
        if want(Report::Timeline) {
            out.push((
                "timeline.html",
                Body::Text(pages.timeline(&self.timeline, site)?),
            ));
            out.push(("timeline.csv", Body::Text(timeline_csv(&self.timeline))));
            out.push(("timeline.json", json(&self.timeline)));
        }
        if want(Report::Alarms) {
            out.push(("alarms.html", Body::Text(pages.alarms(&self.alarms, site)?)));
            out.push(("alarms.csv", Body::Text(alarms_csv(&self.alarms))));
            out.push(("alarms.json", json(&self.alarms)));
        }
        Ok(out)
    }

    /// Writes the files of the reports `wanted` (all when empty) into `folder` (made if
    /// missing); returns the files written.
    pub fn write(
        &self,
        folder: &Path,
        pages: &Pages,
        site: &Site,
        wanted: &[Report],
    ) -> Result<Vec<PathBuf>, WriteError> {
        let io = |path: &Path, e: std::io::Error| WriteError::Io {
            path: path.to_path_buf(),
            reason: certprobe_inventory::error::io_words(&e),
        };
        std::fs::create_dir_all(folder).map_err(|e| io(folder, e))?;
        let mut written = Vec::new();
        for (name, body) in self
            .files(pages, site, wanted)
            .map_err(WriteError::Render)?
        {
            let path = folder.join(name);
            let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
            body.write_to(&temporary).map_err(|e| {
                let _ = std::fs::remove_file(&temporary);
                io(&temporary, e)
            })?;
            std::fs::rename(&temporary, &path).map_err(|e| {
                let _ = std::fs::remove_file(&temporary);
                io(&path, e)
            })?;
            written.push(path);
        }
        Ok(written)
    }
}

/// A file's content: a page or a table made whole, or a report's data, which is written as
/// JSON straight into the file (the daily report's is 35 MB of 100,000 events: no copy of it
/// is held in memory).
enum Body<'a> {
    Text(String),
    Json(&'a dyn erased::Json),
}

impl Body<'_> {
    fn write_to(&self, path: &Path) -> std::io::Result<()> {
        use std::io::Write;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(path)?);
        match self {
            Body::Text(text) => out.write_all(text.as_bytes())?,
            Body::Json(value) => {
                value.write_json(&mut out)?;
                out.write_all(b"\n")?;
            }
        }
        out.flush()
    }
}

/// JSON of any report.
mod erased {
    pub trait Json {
        fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()>;
    }
    impl<T: serde::Serialize> Json for T {
        fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
            // The reports are plain data (no maps with non-string keys): only the file fails.
            serde_json::to_writer(out, self).map_err(std::io::Error::other)
        }
    }
}

fn certificates_csv(rows: &[CertRow]) -> String {
    csv::table(
        &[
            "sha256",
            "subject",
            "issuer",
            "not_after",
            "days_left",
            "tier",
            "alarms",
            "key",
            "signature",
            "endpoints",
            "owners",
        ],
        rows.iter().map(|c| {
            vec![
                c.sha256.clone(),
                c.subject.clone(),
                c.issuer.clone(),
                certprobe::clock::format_utc(c.not_after),
                c.days_left.to_string(),
                c.tier.clone(),
                c.alarms.join("; "),
                c.key.clone(),
                c.signature.clone(),
                c.endpoints.join(" "),
                c.owners.join(" "),
            ]
        }),
    )
}

fn daily_csv(r: &Daily) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for t in &r.tiers {
        rows.push(vec!["tier".into(), t.label.clone(), t.count.to_string()]);
    }
    for s in &r.states {
        rows.push(vec!["state".into(), s.label.clone(), s.count.to_string()]);
    }
    for (label, n) in [
        ("new", r.new),
        ("renewed", r.renewed),
        ("disappeared", r.disappeared),
    ] {
        rows.push(vec!["change".into(), label.into(), n.to_string()]);
    }
    csv::table(&["group", "label", "count"], rows)
}

fn events_csv(events: &[crate::views::EventView]) -> String {
    csv::table(
        &["at", "endpoint", "kind", "sha256", "detail"],
        events.iter().map(|e| {
            vec![
                e.when.clone(),
                e.endpoint.clone(),
                e.kind.clone(),
                e.sha256.clone(),
                e.detail.clone(),
            ]
        }),
    )
}

fn compliance_csv(r: &Compliance) -> String {
    csv::table(
        &["check", "subject", "endpoint", "owners", "detail"],
        r.violations.iter().map(|v| {
            vec![
                v.check.clone(),
                v.subject.clone(),
                v.endpoint.clone(),
                v.owners.clone(),
                v.detail.clone(),
            ]
        }),
    )
}

fn timeline_csv(r: &Timeline) -> String {
    let mut rows = Vec::new();
    for o in &r.owners {
        for (month, n) in r.months.iter().zip(&o.counts) {
            rows.push(vec![o.owner.clone(), month.clone(), n.to_string()]);
        }
    }
    csv::table(&["owner", "month", "certificates"], rows)
}

fn alarms_csv(r: &Alarms) -> String {
    csv::table(
        &["at", "owner", "kind", "tier", "summary", "channels", "sent"],
        r.notices.iter().map(|n| {
            vec![
                n.when.clone(),
                n.owner.clone(),
                n.kind.clone(),
                n.tier.clone(),
                n.summary.clone(),
                n.channels.clone(),
                n.sent.to_string(),
            ]
        }),
    )
}

#[cfg(test)]
mod tests;
