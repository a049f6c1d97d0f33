//! Output formats. Each renderer turns one [`Outcome`] into the text its caller reads and the
//! exit code it expects; renderers only format, states come from the verdict.
//!
//! - [`nagios`]: Nagios/Icinga plugin output: status line, long output, perfdata, exit 0..3.
//! - [`prtg_json`], [`prtg_xml`]: PRTG EXE/Script Advanced, channels like PRTG's SSL Certificate
//!   sensor ([`prtg`] is the shared model); [`prtg_v2`]: PRTG Script v2. Exit 0.
//! - [`zabbix`]: Zabbix agent 2's `web.certificate.get` JSON plus certprobe's fields; exit 0.
//! - [`prometheus`]: the exposition format with blackbox_exporter's TLS metric names.
//! - [`json`]: the whole report for scripts, a stable schema documented in the README.

pub mod json;
pub mod nagios;
pub mod prometheus;
pub mod prtg;
pub mod prtg_json;
pub mod prtg_v2;
pub mod prtg_xml;
pub mod zabbix;

pub use crate::outcome::Outcome;
use crate::text::{cut, visible};
use crate::verdict::{days, State};

/// Characters of a certificate name quoted in a one-line summary, at most.
const NAME_SHOWN: usize = 100;

/// The output format (`--output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Nagios,
    PrtgJson,
    PrtgXml,
    PrtgV2,
    Zabbix,
    Prometheus,
    Json,
}

impl Format {
    pub const NAMES: [&'static str; 7] = [
        "nagios",
        "prtg-json",
        "prtg-xml",
        "prtg-v2",
        "zabbix",
        "prometheus",
        "json",
    ];

    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "nagios" => Some(Format::Nagios),
            "prtg-json" => Some(Format::PrtgJson),
            "prtg-xml" => Some(Format::PrtgXml),
            "prtg-v2" => Some(Format::PrtgV2),
            "zabbix" => Some(Format::Zabbix),
            "prometheus" => Some(Format::Prometheus),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Who is reporting, and how much: what differs between the programs that render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context<'a> {
    /// The executable name, in usage lines and the JSON `plugin` field.
    pub program: &'a str,
    /// The service label that starts each Nagios status line (`TLS_CERT`).
    pub label: &'a str,
    /// `-v` count: 1 adds the chain to the Nagios long output, 2 the configuration.
    pub verbosity: u8,
}

/// Text for stdout and the process exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub exit_code: i32,
}

/// The outcome in `format`, with its exit code.
pub fn render(format: Format, outcome: &Outcome, context: &Context<'_>) -> Rendered {
    match format {
        Format::Nagios => nagios::render(outcome, context),
        Format::PrtgJson => prtg_json::render(outcome),
        Format::PrtgXml => prtg_xml::render(outcome),
        Format::PrtgV2 => prtg_v2::render(outcome),
        Format::Zabbix => zabbix::render(outcome),
        Format::Prometheus => prometheus::render(outcome),
        Format::Json => json::render(outcome, context),
    }
}

/// The one-line summary shared by the formats: on OK the certificate at a glance, otherwise
/// the findings that set the state.
pub fn summary(outcome: &Outcome) -> String {
    let verdict = &outcome.verdict;
    match &outcome.report {
        Some(report) if verdict.state == State::Ok => {
            let leaf = report.leaf();
            format!(
                "'{}' issued by '{}' expires in {} days on {}, {}",
                cut(leaf.display_name(), NAME_SHOWN),
                cut(leaf.issuer_display_name(), NAME_SHOWN),
                days(leaf.days_left(report.now)),
                crate::clock::format_utc(leaf.not_after),
                leaf.key.describe()
            )
        }
        _ => visible(
            &verdict
                .worst()
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        ),
    }
}
