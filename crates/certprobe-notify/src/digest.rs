//! One owner's notices of a run as a digest: the subject line (worst tier and counts) and
//! the plain-text and HTML bodies, from templates an admin can override.

use crate::notice::{Notice, NoticeKind};
use certprobe_alarm::AlarmTier;
use serde::Serialize;
use std::path::Path;

/// The built-in templates, by the file name that replaces each.
const BUILT_IN: [(&str, &str); 3] = [
    ("subject.txt", include_str!("../templates/subject.txt")),
    ("email.txt", include_str!("../templates/email.txt")),
    ("email.html", include_str!("../templates/email.html")),
];

/// The largest template file read.
const MAX_TEMPLATE_BYTES: u64 = 1 << 20;

/// The templates of the digest, each the admin's where one was given and good.
#[derive(Debug, Clone)]
pub struct Templates {
    sources: Vec<(&'static str, String, bool)>,
}

/// A rendered digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

impl Templates {
    /// The built-in templates, replaced by those of `folder` that compile. Each one that
    /// cannot be read or has an error gives a warning, and the built-in one is used.
    pub fn load(folder: Option<&Path>) -> (Templates, Vec<String>) {
        let mut warnings = Vec::new();
        let mut sources = Vec::new();
        for (name, built_in) in BUILT_IN {
            let mine = folder.and_then(|f| read(&f.join(name), &mut warnings));
            let source = match mine {
                Some(text) => match compile_check(name, &text) {
                    Ok(()) => Some(text),
                    Err(why) => {
                        warnings.push(format!(
                            "{}: {why}; the built-in template is used",
                            folder
                                .map(|f| f.join(name).display().to_string())
                                .unwrap_or_default()
                        ));
                        None
                    }
                },
                None => None,
            };
            match source {
                Some(text) => sources.push((name, text, true)),
                None => sources.push((name, built_in.to_string(), false)),
            }
        }
        (Templates { sources }, warnings)
    }

    /// Renders one owner's digest. A template of the admin's that fails while rendering is
    /// replaced by the built-in one, with a warning.
    pub fn render(&self, digest: &DigestContext, warnings: &mut Vec<String>) -> Rendered {
        let mut digest = digest.clone();
        let subject = self.render_named("subject.txt", &digest, warnings);
        // A subject is one line, whatever a template made of it.
        let subject = subject
            .split(['\r', '\n'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        digest.subject = certprobe::text::cut(&certprobe::text::visible(&subject), 250);
        Rendered {
            text: self.render_named("email.txt", &digest, warnings),
            html: self.render_named("email.html", &digest, warnings),
            subject: digest.subject,
        }
    }

    fn render_named(
        &self,
        name: &str,
        digest: &DigestContext,
        warnings: &mut Vec<String>,
    ) -> String {
        let Some((name, source, mine)) = self.sources.iter().find(|(n, _, _)| *n == name) else {
            return String::new();
        };
        match render_one(name, source, digest) {
            Ok(text) => text,
            Err(why) if *mine => {
                warnings.push(format!("{name}: {why}; the built-in template is used"));
                let built_in = BUILT_IN.iter().find(|(n, _)| n == name).map_or("", |b| b.1);
                render_one(name, built_in, digest).unwrap_or_default()
            }
            Err(_) => String::new(),
        }
    }
}

fn read(path: &Path, warnings: &mut Vec<String>) -> Option<String> {
    let shown = path.display();
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            warnings.push(format!(
                "{shown}: cannot read it: {}; the built-in template is used",
                crate::process::io_words(&e)
            ));
            return None;
        }
        Ok(m) if m.len() > MAX_TEMPLATE_BYTES => {
            warnings.push(format!(
                "{shown}: it is over 1 MiB; the built-in template is used"
            ));
            return None;
        }
        Ok(_) => {}
    }
    match std::fs::read(path).map(String::from_utf8) {
        Ok(Ok(text)) => Some(text),
        Ok(Err(_)) => {
            warnings.push(format!(
                "{shown}: it is not UTF-8 text; the built-in template is used"
            ));
            None
        }
        Err(e) => {
            warnings.push(format!(
                "{shown}: cannot read it: {}; the built-in template is used",
                crate::process::io_words(&e)
            ));
            None
        }
    }
}

fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    // A template loop cannot run away with the notifier.
    env.set_fuel(Some(5_000_000));
    env
}

fn compile_check(name: &'static str, source: &str) -> Result<(), String> {
    let mut env = environment();
    env.add_template_owned(name, source.to_string())
        .map_err(|e| template_words(&e))
}

fn render_one(name: &'static str, source: &str, digest: &DigestContext) -> Result<String, String> {
    let mut env = environment();
    env.add_template_owned(name, source.to_string())
        .map_err(|e| template_words(&e))?;
    let template = env.get_template(name).map_err(|e| template_words(&e))?;
    template
        .render(minijinja::Value::from(minijinja::value::Serde(digest)))
        .map_err(|e| template_words(&e))
}

/// A template error as `line 3: unexpected end of input`.
fn template_words(e: &minijinja::Error) -> String {
    let detail = e
        .detail()
        .map_or_else(|| "it cannot be used".to_string(), str::to_string);
    match e.line() {
        Some(line) => format!("line {line}: {}", certprobe::text::visible(&detail)),
        None => certprobe::text::visible(&detail),
    }
}

/// What the templates see.
#[derive(Debug, Clone, Serialize)]
pub struct DigestContext {
    /// The owner.
    pub owner: String,
    /// The worst severity among the notices: `Critical`, ...
    pub worst: String,
    /// `2 critical`, `1 renewed`, ... most severe first.
    pub counts: Vec<String>,
    /// The notices.
    pub notices: Vec<NoticeView>,
    /// The subject line (for the HTML title); empty while the subject is made.
    pub subject: String,
    /// When the digest was made: `2026-12-02 08:00:00 UTC`.
    pub generated: String,
}

/// A notice as the templates show it.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeView {
    /// `tier`, `alarm`, `resolved`, `renewed`.
    pub kind: String,
    /// A short label: `Critical`, `Alarm`, `Resolved`, `Renewed`.
    pub label: String,
    /// The label's colour (CSS).
    pub colour: String,
    /// The notice's line.
    pub summary: String,
    /// The endpoint.
    pub endpoint: String,
    /// The certificate's name.
    pub subject: String,
    /// Its issuer.
    pub issuer: String,
    /// SHA-256, colon hex.
    pub sha256: String,
    /// `2027-01-04`.
    pub not_after_date: String,
    /// `in 21 days`, `expired 3 days ago`.
    pub days: String,
    /// The security alarms that hold, in words.
    pub alarms: Vec<String>,
    /// The certificate's dashboard page, when a base URL is configured.
    pub link: Option<String>,
}

/// The colour of each tier, as the reports and the dashboard use them.
pub fn tier_colour(tier: AlarmTier) -> &'static str {
    match tier {
        AlarmTier::Expired => "#82071e",
        AlarmTier::Critical => "#cf222e",
        AlarmTier::Warning => "#bc4c00",
        AlarmTier::Info => "#0969da",
        AlarmTier::Ok => "#1a7f37",
    }
}

impl DigestContext {
    /// The digest of one owner's notices.
    pub fn new(owner: &str, notices: &[Notice], base_url: Option<&str>, now: i64) -> DigestContext {
        let worst = notices
            .iter()
            .map(Notice::severity)
            .max()
            .unwrap_or(AlarmTier::Ok);
        let mut tally: Vec<(String, usize)> = Vec::new();
        let mut count = |label: String| match tally.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += 1,
            None => tally.push((label, 1)),
        };
        let mut ordered: Vec<&Notice> = notices.iter().collect();
        ordered.sort_by_key(|n| std::cmp::Reverse((n.severity(), n.kind == NoticeKind::Tier)));
        for n in &ordered {
            count(match n.kind {
                NoticeKind::Tier => n.tier.name().to_lowercase(),
                NoticeKind::Alarm => "alarm".to_string(),
                NoticeKind::Resolved => "resolved".to_string(),
                NoticeKind::Renewed => "renewed".to_string(),
            });
        }
        let counts = tally
            .into_iter()
            .map(|(label, n)| format!("{n} {label}"))
            .collect();
        let notices = ordered.into_iter().map(|n| view(n, base_url)).collect();
        DigestContext {
            owner: owner.to_string(),
            worst: if worst == AlarmTier::Ok {
                "OK".to_string()
            } else {
                worst.name().to_string()
            },
            counts,
            notices,
            subject: String::new(),
            generated: certprobe::clock::format_utc(now),
        }
    }
}

fn view(n: &Notice, base_url: Option<&str>) -> NoticeView {
    let (label, colour) = match n.kind {
        NoticeKind::Tier => (n.tier.name().to_string(), tier_colour(n.tier)),
        NoticeKind::Alarm => ("Alarm".to_string(), "#cf222e"),
        NoticeKind::Resolved => ("Resolved".to_string(), "#1a7f37"),
        NoticeKind::Renewed => ("Renewed".to_string(), "#1a7f37"),
    };
    let days = match n.days_left {
        d if d < 0 => format!("expired {} days ago", -d - 1),
        0 => "today".to_string(),
        1 => "in 1 day".to_string(),
        d => format!("in {d} days"),
    };
    NoticeView {
        kind: n.kind.id().to_string(),
        label,
        colour: colour.to_string(),
        summary: n.summary.clone(),
        endpoint: n.endpoint.clone(),
        subject: n.subject.clone(),
        issuer: n.issuer.clone(),
        sha256: n.sha256.clone(),
        not_after_date: crate::plan::date(n.not_after),
        days,
        alarms: n.alarms.iter().map(|a| a.describe().to_string()).collect(),
        link: base_url.map(|base| {
            format!(
                "{base}/certificates/{}",
                n.sha256.replace(':', "").to_lowercase()
            )
        }),
    }
}
