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

/// Every report's data at one instant.
#[derive(Debug, Clone)]
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
    /// The reports of a snapshot, with the events of the last week, every leaf span and the
    /// notification log.
    pub fn new(
        snapshot: &Snapshot,
        thresholds: &certprobe_alarm::Thresholds,
        events: &[certprobe_inventory::query::EventRow],
        spans: &[certprobe_inventory::query::LeafSpan],
        deliveries: &[certprobe_inventory::notification::Delivery],
    ) -> ReportSet {
        let dashboard = reports::dashboard(snapshot);
        ReportSet {
            daily: reports::daily(&dashboard, events, snapshot.now),
            weekly: reports::weekly(spans, events, thresholds, snapshot.now),
            compliance: reports::compliance(snapshot, thresholds),
            timeline: reports::timeline(snapshot),
            alarms: reports::alarms(deliveries, snapshot.now),
            certificates: reports::certificate_rows(snapshot),
            dashboard,
        }
    }

    /// The files, by name, in the order written.
    pub fn files(
        &self,
        pages: &Pages,
        site: &Site,
    ) -> Result<Vec<(&'static str, String)>, RenderError> {
        let json = |v: &dyn erased::Json| v.json();
        Ok(vec![
            ("index.html", pages.dashboard(&self.dashboard, site)?),
            ("index.json", json(&self.dashboard)),
            ("certificates.csv", certificates_csv(&self.certificates)),
            ("certificates.json", json(&self.certificates)),
            ("daily.html", pages.daily(&self.daily, site)?),
            ("daily.csv", daily_csv(&self.daily)),
            ("daily.json", json(&self.daily)),
            ("weekly.html", pages.weekly(&self.weekly, site)?),
            ("weekly.csv", events_csv(&self.weekly.events)),
            ("weekly.json", json(&self.weekly)),
            ("compliance.html", pages.compliance(&self.compliance, site)?),
            ("compliance.csv", compliance_csv(&self.compliance)),
            ("compliance.json", json(&self.compliance)),
            ("timeline.html", pages.timeline(&self.timeline, site)?),
            ("timeline.csv", timeline_csv(&self.timeline)),
            ("timeline.json", json(&self.timeline)),
            ("alarms.html", pages.alarms(&self.alarms, site)?),
            ("alarms.csv", alarms_csv(&self.alarms)),
            ("alarms.json", json(&self.alarms)),
        ])
    }

    /// Writes every file into `folder` (made if missing); returns the files written.
    pub fn write(
        &self,
        folder: &Path,
        pages: &Pages,
        site: &Site,
    ) -> Result<Vec<PathBuf>, WriteError> {
        let io = |path: &Path, e: std::io::Error| WriteError::Io {
            path: path.to_path_buf(),
            reason: certprobe_inventory::error::io_words(&e),
        };
        std::fs::create_dir_all(folder).map_err(|e| io(folder, e))?;
        let mut written = Vec::new();
        for (name, text) in self.files(pages, site).map_err(WriteError::Render)? {
            let path = folder.join(name);
            let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
            std::fs::write(&temporary, text.as_bytes()).map_err(|e| io(&temporary, e))?;
            std::fs::rename(&temporary, &path).map_err(|e| {
                let _ = std::fs::remove_file(&temporary);
                io(&path, e)
            })?;
            written.push(path);
        }
        Ok(written)
    }
}

/// JSON of any report.
mod erased {
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
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
