//! The pages as HTML: one template per page over one layout (inline CSS; SVG charts made by
//! `svg.rs`), the same for the report files and the live dashboard. Only links differ: files
//! link to files, the dashboard to its routes.

use crate::reports::{Alarms, Compliance, Daily, Dashboard, Timeline, Weekly};
use crate::svg;
use crate::views::CertRow;
use serde::Serialize;
use std::fmt;

const TEMPLATES: [(&str, &str); 13] = [
    ("layout.html", include_str!("../templates/layout.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("events.html", include_str!("../templates/events.html")),
    ("dashboard.html", include_str!("../templates/dashboard.html")),
    ("daily.html", include_str!("../templates/daily.html")),
    ("weekly.html", include_str!("../templates/weekly.html")),
    ("compliance.html", include_str!("../templates/compliance.html")),
    ("timeline.html", include_str!("../templates/timeline.html")),
    ("alarms.html", include_str!("../templates/alarms.html")),
    ("certificates.html", include_str!("../templates/certificates.html")),
    ("endpoints.html", include_str!("../templates/endpoints.html")),
    ("certificate.html", include_str!("../templates/certificate.html")),
    ("missing.html", "{% extends \"layout.html\" %}{% block content %}<h1>{{ title }}</h1><p class=\"lead\">{{ message }}</p>{% endblock %}"),
];

/// The most rows a page's long tables show (events, failures, notices); the CSV and JSON
/// have them all. A page of 100,000 rows is neither read nor printed.
pub const ROWS_SHOWN: usize = 500;

/// A page that could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    /// The template.
    pub template: String,
    /// Why, in the template engine's words (line included).
    pub reason: String,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the page {} cannot be made: {}",
            self.template, self.reason
        )
    }
}

impl std::error::Error for RenderError {}

/// Where the pages are read: files side by side, or the live dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Site {
    /// `certprobe report --out DIR`; certificates link to `certificates` when a base URL is
    /// known (`BASE/certificates/ID`).
    Files {
        /// The dashboard's address, for links to certificate pages.
        base_url: Option<String>,
    },
    /// `certprobe serve`.
    Live {
        /// The inventory changed after the judgement shown: a newer one is being made.
        updating: bool,
    },
}

/// The pages of the navigation bar: (id, label, file, route).
const NAV: [(&str, &str, &str, &str); 8] = [
    ("dashboard", "Dashboard", "index.html", "/"),
    ("certificates", "Certificates", "", "/certificates"),
    ("endpoints", "Endpoints", "", "/endpoints"),
    ("daily", "Daily", "daily.html", "/daily"),
    ("weekly", "Weekly", "weekly.html", "/weekly"),
    ("compliance", "Compliance", "compliance.html", "/compliance"),
    ("timeline", "Timeline", "timeline.html", "/timeline"),
    ("alarms", "Alarms", "alarms.html", "/alarms"),
];

#[derive(Serialize)]
struct Link {
    label: &'static str,
    href: String,
    current: bool,
}

impl Site {
    fn nav(&self, current: &str) -> Vec<Link> {
        NAV.iter()
            .filter_map(|(id, label, file, route)| {
                let href = match self {
                    Site::Files { .. } if file.is_empty() => return None,
                    Site::Files { .. } => file.to_string(),
                    Site::Live { .. } => route.to_string(),
                };
                Some(Link {
                    label,
                    href,
                    current: *id == current,
                })
            })
            .collect()
    }

    fn cert_prefix(&self) -> String {
        match self {
            Site::Files {
                base_url: Some(base),
            } => format!("{base}/certificates/"),
            Site::Files { base_url: None } => String::new(),
            Site::Live { .. } => "/certificates/".to_string(),
        }
    }
}

/// The rows a page shows of a long table.
fn shown<T>(rows: &[T]) -> &[T] {
    &rows[..rows.len().min(ROWS_SHOWN)]
}

/// A value of anything serializable, for the templates.
fn v<T: Serialize + ?Sized>(value: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

/// The compiled templates.
pub struct Pages {
    env: minijinja::Environment<'static>,
}

impl Default for Pages {
    fn default() -> Self {
        Pages::new()
    }
}

impl Pages {
    /// Compiles the templates (they are part of the program, so they compile).
    pub fn new() -> Pages {
        let mut env = minijinja::Environment::new();
        env.set_fuel(Some(200_000_000));
        for (name, source) in TEMPLATES {
            // A template that does not compile shows as that page's error when it is asked for.
            let _ = env.add_template(name, source);
        }
        Pages { env }
    }

    fn page(&self, name: &str, context: minijinja::Value) -> Result<String, RenderError> {
        let fail = |e: minijinja::Error| RenderError {
            template: name.to_string(),
            // The kind is in words ("undefined value"); the detail says more when known.
            reason: match (e.line(), e.detail()) {
                (Some(line), Some(detail)) => format!("line {line}: {detail}"),
                (Some(line), None) => format!("line {line}: {}", e.kind()),
                (None, Some(detail)) => detail.to_string(),
                (None, None) => e.kind().to_string(),
            },
        };
        self.env
            .get_template(name)
            .map_err(fail)?
            .render(context)
            .map_err(fail)
    }

    fn base(&self, site: &Site, current: &str, title: &str, generated: &str) -> minijinja::Value {
        minijinja::context! {
            nav => v(&site.nav(current)),
            title => title,
            generated => generated,
            cert_prefix => site.cert_prefix(),
            live => matches!(site, Site::Live { .. }),
            updating => matches!(site, Site::Live { updating: true }),
            limit => ROWS_SHOWN,
        }
    }

    /// The dashboard.
    pub fn dashboard(&self, d: &Dashboard, site: &Site) -> Result<String, RenderError> {
        let charts = minijinja::context! {
            by_ca => svg::donut("Certificates by CA", &d.by_ca),
            by_duration => svg::donut("Certificates by duration", &d.by_duration),
            key_strength => svg::donut("Key strength", &d.key_strength),
            signatures => svg::donut("Signature algorithms", &d.signatures),
            states => svg::donut("Endpoints by state", &d.states),
        };
        let ctx = minijinja::context! { d => v(d), charts, ..self.base(site, "dashboard", "Dashboard", &d.generated) };
        self.page("dashboard.html", ctx)
    }

    /// Daily status.
    pub fn daily(&self, r: &Daily, site: &Site) -> Result<String, RenderError> {
        // The page shows the first rows only: the rest is not even handed to the template.
        let head = Daily::clone_without_events(r);
        let ctx = minijinja::context! { r => v(&head), events => v(shown(&r.events)), events_total => r.events_total, ..self.base(site, "daily", "Daily status", &r.generated) };
        self.page("daily.html", ctx)
    }

    /// Weekly trend.
    pub fn weekly(&self, r: &Weekly, site: &Site) -> Result<String, RenderError> {
        let charts = minijinja::context! { trend => svg::trend(&r.days) };
        let head = minijinja::context! { days => v(&r.days), kinds => v(&r.kinds) };
        let ctx = minijinja::context! { r => head, events => v(shown(&r.events)), events_total => r.events_total, charts, ..self.base(site, "weekly", "Weekly trend", &r.generated) };
        self.page("weekly.html", ctx)
    }

    /// Monthly compliance.
    pub fn compliance(&self, r: &Compliance, site: &Site) -> Result<String, RenderError> {
        let head = minijinja::context! { checked => r.checked, checks => v(&r.checks), owners => v(&r.owners) };
        let ctx = minijinja::context! { r => head, violations => v(shown(&r.violations)), violations_total => r.violations_total, ..self.base(site, "compliance", "Compliance", &r.generated) };
        self.page("compliance.html", ctx)
    }

    /// The expiry timeline.
    pub fn timeline(&self, r: &Timeline, site: &Site) -> Result<String, RenderError> {
        let ctx = minijinja::context! { r => v(r), ..self.base(site, "timeline", "Expiry timeline", &r.generated) };
        self.page("timeline.html", ctx)
    }

    /// The alarm history.
    pub fn alarms(&self, r: &Alarms, site: &Site) -> Result<String, RenderError> {
        let ctx = minijinja::context! { notices => v(shown(&r.notices)), notices_total => r.notices_total, ..self.base(site, "alarms", "Alarm history", &r.generated) };
        self.page("alarms.html", ctx)
    }

    /// The searchable certificate list: `rows` are those shown of `matched` matching `q`.
    pub fn certificates(
        &self,
        rows: &[CertRow],
        q: &str,
        total: usize,
        matched: usize,
        generated: &str,
        site: &Site,
    ) -> Result<String, RenderError> {
        let ctx = minijinja::context! { rows => v(rows), q, total, matched, shown => rows.len(), ..self.base(site, "certificates", "Certificates", generated) };
        self.page("certificates.html", ctx)
    }

    /// The searchable endpoint list.
    pub fn endpoints<T: Serialize>(
        &self,
        rows: &[T],
        q: &str,
        total: usize,
        matched: usize,
        generated: &str,
        site: &Site,
    ) -> Result<String, RenderError> {
        let ctx = minijinja::context! { rows => v(rows), q, total, matched, shown => rows.len(), ..self.base(site, "endpoints", "Endpoints", generated) };
        self.page("endpoints.html", ctx)
    }

    /// One certificate's page.
    pub fn certificate<D: Serialize, F: Serialize, E: Serialize>(
        &self,
        c: &CertRow,
        deployments: &[D],
        findings: &[F],
        events: &[E],
        generated: &str,
        site: &Site,
    ) -> Result<String, RenderError> {
        let ctx = minijinja::context! {
            c => v(c),
            deployments => v(deployments),
            findings => v(findings),
            events => v(events),
            events_total => events.len(),
            ..self.base(site, "certificates", &c.subject, generated)
        };
        self.page("certificate.html", ctx)
    }

    /// A page saying what is not there (the dashboard's 404).
    pub fn missing(
        &self,
        title: &str,
        message: &str,
        generated: &str,
        site: &Site,
    ) -> Result<String, RenderError> {
        let ctx = minijinja::context! { message, ..self.base(site, "", title, generated) };
        self.page("missing.html", ctx)
    }
}
