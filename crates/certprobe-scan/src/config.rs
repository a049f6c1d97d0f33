//! The config file (TOML): `[defaults]` whose keys are the scan options of the same name,
//! a global `[sni]` map, and `[[job]]` sections. Every error names the file and the line:
//! `certprobe.toml:12: ports: '70000' is not a port`.

use crate::spec::{parse_port, parse_target, Exclusion, PortSpec, TargetSpec};
use certprobe::duration::parse_duration;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

mod audit;
mod notify;
pub use audit::{AuditSpec, Located};
pub use notify::DEFAULT_ENGINE_ID;

/// The largest config file read.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// A config error at a place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file as given.
    pub file: String,
    /// The 1-based line; 0 when the error is about the whole file.
    pub line: usize,
    /// What is wrong, in words (with the key first when there is one).
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// One `[defaults]` entry, as the option words it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultOption {
    /// The key, as written.
    pub key: String,
    /// Its line.
    pub line: usize,
    /// The command-line words: `--key value` (once per value of a list), `--key` for `true`.
    pub words: Vec<String>,
}

/// Limits a job sets for itself; unset ones come from the defaults and the command line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobLimits {
    /// `connect_timeout`.
    pub connect_timeout: Option<Duration>,
    /// `timeout`.
    pub timeout: Option<Duration>,
    /// `concurrency`.
    pub concurrency: Option<usize>,
    /// `rate`.
    pub rate: Option<u32>,
    /// `per_host`.
    pub per_host: Option<usize>,
}

/// A `[[job]]` as read.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    /// Its name.
    pub name: String,
    /// Its targets.
    pub targets: Vec<TargetSpec>,
    /// Its ports.
    pub ports: Vec<PortSpec>,
    /// Its exclusions.
    pub exclude: Vec<Exclusion>,
    /// Its SNI map, with the global one and its `sni_file` merged in.
    pub sni: BTreeMap<IpAddr, Vec<String>>,
    /// Its cron schedule.
    pub schedule: Option<String>,
    /// Its own limits.
    pub limits: JobLimits,
}

/// A config file.
#[derive(Debug, Clone)]
pub struct Config {
    /// `[defaults]` as option words, in file order.
    pub defaults: Vec<DefaultOption>,
    /// The jobs, in file order.
    pub jobs: Vec<JobSpec>,
    /// The local audits, in file order.
    pub audits: Vec<AuditSpec>,
    /// `[alarms]`: the tiers' limits and the key size below which a key is weak.
    pub thresholds: certprobe_alarm::Thresholds,
    /// `[notify]`: how notices leave.
    pub notify: certprobe_alarm::channel::NotifySettings,
    /// `[[owner]]` and `[default_owner]`.
    pub owners: certprobe_alarm::Owners,
}

impl Config {
    /// The job of this name.
    pub fn job(&self, name: &str) -> Option<&JobSpec> {
        self.jobs.iter().find(|j| j.name == name)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    defaults: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    sni: BTreeMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    job: Vec<RawJob>,
    #[serde(default)]
    audit: Vec<audit::RawAudit>,
    alarms: Option<Spanned<notify::RawAlarms>>,
    notify: Option<notify::RawNotify>,
    #[serde(default)]
    owner: Vec<Spanned<notify::RawOwner>>,
    default_owner: Option<Spanned<notify::RawOwner>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    name: Spanned<String>,
    #[serde(default)]
    targets: Vec<Spanned<String>>,
    #[serde(default)]
    ports: Vec<Spanned<toml::Value>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    schedule: Option<Spanned<String>>,
    #[serde(default)]
    sni: BTreeMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>,
    sni_file: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<toml::Value>>,
    timeout: Option<Spanned<toml::Value>>,
    concurrency: Option<Spanned<u64>>,
    rate: Option<Spanned<u64>>,
    per_host: Option<Spanned<u64>>,
}

/// Reads and checks a config file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let file = path.display().to_string();
    let whole = |message: String| ConfigError {
        file: file.clone(),
        line: 0,
        message,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| {
            whole(format!(
                "cannot read it: {}",
                certprobe_inventory::error::io_words(&e)
            ))
        })?
        .len();
    if size > MAX_CONFIG_BYTES {
        return Err(whole(format!(
            "it is {size} bytes, more than the {MAX_CONFIG_BYTES} a config file may have"
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        whole(format!(
            "cannot read it: {}",
            certprobe_inventory::error::io_words(&e)
        ))
    })?;
    let text = String::from_utf8(bytes).map_err(|_| whole("it is not UTF-8 text".to_string()))?;
    parse(&file, &text, path.parent())
}

/// Reads config text; `file` names it in errors, `folder` resolves relative `sni_file`s.
pub fn parse(file: &str, text: &str, folder: Option<&Path>) -> Result<Config, ConfigError> {
    let at = |span: Range<usize>, message: String| ConfigError {
        file: file.to_string(),
        line: line_of(text, span.start),
        message,
    };
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| line_of(text, s.start));
        ConfigError {
            file: file.to_string(),
            line,
            message: e.message().trim().replace('\n', " "),
        }
    })?;
    let defaults = raw
        .defaults
        .iter()
        .map(|(key, value)| {
            default_option(key, value)
                .map(|words| DefaultOption {
                    key: key.get_ref().clone(),
                    line: line_of(text, key.span().start),
                    words,
                })
                .map_err(|m| at(value.span(), m))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let global_sni = sni_map(&raw.sni, &at)?;
    let mut jobs: Vec<JobSpec> = Vec::new();
    for job in raw.job {
        let name = job.name.get_ref().trim().to_string();
        if !is_job_name(&name) {
            return Err(at(
                job.name.span(),
                format!(
                    "name: '{}' is not a job name (letters, digits, '-', '_' and '.')",
                    certprobe::text::quote(job.name.get_ref(), 40)
                ),
            ));
        }
        if jobs.iter().any(|j| j.name == name) {
            return Err(at(
                job.name.span(),
                format!("name: a job '{name}' is defined twice"),
            ));
        }
        let mut sni = global_sni.clone();
        for (ip, names) in sni_map(&job.sni, &at)? {
            sni.entry(ip).or_default().extend(names);
        }
        if let Some(sni_file) = &job.sni_file {
            let path = folder
                .map(|f| f.join(sni_file.get_ref()))
                .unwrap_or_else(|| sni_file.get_ref().into());
            for (ip, names) in
                read_sni_file(&path).map_err(|m| at(sni_file.span(), format!("sni_file: {m}")))?
            {
                sni.entry(ip).or_default().extend(names);
            }
        }
        for names in sni.values_mut() {
            names.sort();
            names.dedup();
        }
        let spec = JobSpec {
            targets: job
                .targets
                .iter()
                .map(|t| {
                    parse_target(t.get_ref(), false)
                        .map_err(|e| at(t.span(), format!("targets: {e}")))
                })
                .collect::<Result<_, _>>()?,
            ports: job
                .ports
                .iter()
                .map(|p| {
                    let text = value_text(p.get_ref());
                    parse_port(&text).map_err(|e| at(p.span(), format!("ports: {e}")))
                })
                .collect::<Result<_, _>>()?,
            exclude: job
                .exclude
                .iter()
                .map(|x| {
                    Exclusion::parse(x.get_ref()).map_err(|e| at(x.span(), format!("exclude: {e}")))
                })
                .collect::<Result<_, _>>()?,
            schedule: match &job.schedule {
                Some(s) => Some(
                    crate::schedule::Schedule::parse(s.get_ref())
                        .map(|_| s.get_ref().trim().to_string())
                        .map_err(|e| at(s.span(), format!("schedule: {e}")))?,
                ),
                None => None,
            },
            limits: JobLimits {
                connect_timeout: duration_of(&job.connect_timeout, "connect_timeout", &at)?,
                timeout: duration_of(&job.timeout, "timeout", &at)?,
                concurrency: count_of(&job.concurrency, "concurrency", 1_000_000, &at)?
                    .map(|n| n as usize),
                rate: count_of(&job.rate, "rate", 10_000_000, &at)?.map(|n| n as u32),
                per_host: count_of(&job.per_host, "per_host", 10_000, &at)?.map(|n| n as usize),
            },
            sni,
            name,
        };
        if spec.targets.is_empty() {
            return Err(at(
                job.name.span(),
                format!("job '{}' has no targets", spec.name),
            ));
        }
        if spec.ports.is_empty() {
            return Err(at(
                job.name.span(),
                format!("job '{}' has no ports", spec.name),
            ));
        }
        jobs.push(spec);
    }
    let audits = audit::audits(raw.audit, text, folder, &at)?;
    let settings = notify::notify(raw.notify, folder, &at)?;
    let mail = settings.mail.is_some();
    let owners = notify::owners(raw.owner, raw.default_owner, mail, file, text, &at)?;
    notify::distinct_receivers(&settings, &owners).map_err(|message| ConfigError {
        file: file.to_string(),
        line: 0,
        message,
    })?;
    Ok(Config {
        defaults,
        jobs,
        audits,
        thresholds: notify::alarms(raw.alarms, &at)?,
        owners,
        notify: settings,
    })
}

/// Letters, digits, `-`, `_` and `.`: a name that reads the same in a log, a file name and
/// a query.
pub fn is_job_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// A `[defaults]` key as the words of the scan option of the same name.
fn default_option(
    key: &Spanned<String>,
    value: &Spanned<toml::Value>,
) -> Result<Vec<String>, String> {
    let name = key.get_ref();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!(
            "'{}' is not an option name",
            certprobe::text::quote(name, 40)
        ));
    }
    // The plural list keys read as the repeatable option: ca_files = [...] is --ca-file ...
    let option = match name.as_str() {
        "ca_files" => "ca-file".to_string(),
        other => other.replace('_', "-"),
    };
    let flag = format!("--{option}");
    let scalar = |v: &toml::Value| -> Result<String, String> {
        match v {
            toml::Value::String(s) => Ok(s.clone()),
            toml::Value::Integer(i) => Ok(i.to_string()),
            toml::Value::Float(f) => Ok(f.to_string()),
            _ => Err(format!("{name}: give a string or a number")),
        }
    };
    let words = match value.get_ref() {
        toml::Value::Boolean(true) => vec![flag],
        toml::Value::Boolean(false) => Vec::new(),
        toml::Value::Array(items) => {
            let mut words = Vec::new();
            for item in items {
                words.push(flag.clone());
                words.push(scalar(item)?);
            }
            words
        }
        other => vec![flag, scalar(other)?],
    };
    Ok(words)
}

type SniMap = BTreeMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>;

fn sni_map(
    raw: &SniMap,
    at: &dyn Fn(Range<usize>, String) -> ConfigError,
) -> Result<BTreeMap<IpAddr, Vec<String>>, ConfigError> {
    let mut map: BTreeMap<IpAddr, Vec<String>> = BTreeMap::new();
    for (address, names) in raw {
        let ip: IpAddr = address.get_ref().trim().parse().map_err(|_| {
            at(
                address.span(),
                format!(
                    "sni: '{}' is not an IP address",
                    certprobe::text::quote(address.get_ref(), 60)
                ),
            )
        })?;
        for name in names.get_ref() {
            let ascii = certprobe::idna::to_ascii_name(name.get_ref())
                .map_err(|e| at(name.span(), format!("sni: {e}")))?;
            map.entry(ip).or_default().push(ascii);
        }
    }
    Ok(map)
}

/// An SNI file: one address per line followed by its names; `#` starts a comment.
pub fn read_sni_file(path: &Path) -> Result<BTreeMap<IpAddr, Vec<String>>, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| {
            format!(
                "cannot read {}: {}",
                path.display(),
                certprobe_inventory::error::io_words(&e)
            )
        })?
        .len();
    if size > MAX_CONFIG_BYTES {
        return Err(format!(
            "{} is larger than {MAX_CONFIG_BYTES} bytes",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {}: {}",
            path.display(),
            certprobe_inventory::error::io_words(&e)
        )
    })?;
    let mut map: BTreeMap<IpAddr, Vec<String>> = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        let Some(address) = words.next() else {
            continue;
        };
        let ip: IpAddr = address.parse().map_err(|_| {
            format!(
                "{}:{}: '{}' is not an IP address",
                path.display(),
                index + 1,
                certprobe::text::quote(address, 60)
            )
        })?;
        for name in words {
            let ascii = certprobe::idna::to_ascii_name(name)
                .map_err(|e| format!("{}:{}: {e}", path.display(), index + 1))?;
            map.entry(ip).or_default().push(ascii);
        }
    }
    Ok(map)
}

fn duration_of(
    value: &Option<Spanned<toml::Value>>,
    key: &str,
    at: &dyn Fn(Range<usize>, String) -> ConfigError,
) -> Result<Option<Duration>, ConfigError> {
    let Some(value) = value else { return Ok(None) };
    let text = value_text(value.get_ref());
    parse_duration(&text)
        .map(Some)
        .map_err(|e| at(value.span(), format!("{key}: {e}")))
}

fn count_of(
    value: &Option<Spanned<u64>>,
    key: &str,
    max: u64,
    at: &dyn Fn(Range<usize>, String) -> ConfigError,
) -> Result<Option<u64>, ConfigError> {
    match value {
        None => Ok(None),
        Some(v) if (1..=max).contains(v.get_ref()) => Ok(Some(*v.get_ref())),
        Some(v) => Err(at(
            v.span(),
            format!("{key}: {} is not between 1 and {max}", v.get_ref()),
        )),
    }
}

/// A scalar as the text an option would be given; other values as a word that no parser takes.
fn value_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        _ => "(a list or table)".to_string(),
    }
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests;
