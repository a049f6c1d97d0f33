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
pub mod json_schema;
pub mod many;
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
    /// `nagios`: Nagios/Icinga status line, long output and perfdata; exit 0..3.
    #[default]
    Nagios,
    /// `prtg-json`: PRTG EXE/Script Advanced JSON; exit 0.
    PrtgJson,
    /// `prtg-xml`: PRTG EXE/Script Advanced XML; exit 0.
    PrtgXml,
    /// `prtg-v2`: PRTG Script v2 JSON; exit 0.
    PrtgV2,
    /// `zabbix`: Zabbix agent 2's `web.certificate.get` JSON plus certprobe's fields; exit 0.
    Zabbix,
    /// `prometheus`: the exposition format with blackbox_exporter's metric names; exit 0.
    Prometheus,
    /// `json`: the whole report in certprobe's versioned schema; exit 0..3.
    Json,
}

/// Every format and its name: one row each. `render` matches every variant, so a new
/// format is a variant, a row and its renderer.
const FORMATS: [(Format, &str); 7] = [
    (Format::Nagios, "nagios"),
    (Format::PrtgJson, "prtg-json"),
    (Format::PrtgXml, "prtg-xml"),
    (Format::PrtgV2, "prtg-v2"),
    (Format::Zabbix, "zabbix"),
    (Format::Prometheus, "prometheus"),
    (Format::Json, "json"),
];

impl Format {
    /// The names `--output` takes, in the table's order.
    pub const NAMES: [&'static str; FORMATS.len()] = {
        let mut names = [""; FORMATS.len()];
        let mut i = 0;
        while i < FORMATS.len() {
            names[i] = FORMATS[i].1;
            i += 1;
        }
        names
    };

    /// The format of a name, if it is one.
    pub fn from_name(name: &str) -> Option<Format> {
        FORMATS.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    /// The name of the format.
    pub fn name(self) -> &'static str {
        FORMATS
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("nagios", |(_, n)| n)
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
    /// What follows the program name in the Nagios usage line of an argument error
    /// (`-H HOST [-p PORT] [options]`).
    pub usage: &'a str,
}

/// Text for stdout and the process exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// What to write to stdout, ending in a newline.
    pub text: String,
    /// The process exit code: the Nagios one (0..3) for `nagios` and `json`; 0 for the other
    /// formats, whose readers take the state from the text.
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

/// The serial as Zabbix agent 2 prints it (and blackbox_exporter): the DER bytes in lowercase
/// hex without the sign byte, so a leading zero nibble stays (`012f...`), as
/// tests/zabbix_agent2.rs checks against the real agent.
fn agent_serial(hex: &str) -> String {
    hex.trim_start_matches("00").to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn serials_print_as_the_agent_prints_them() {
        assert_eq!(super::agent_serial("00C0FF"), "c0ff");
        assert_eq!(super::agent_serial("012F"), "012f");
    }

    #[test]
    fn every_format_has_its_row() {
        // Adding a variant breaks this match until its row and renderer exist.
        let all = |f: Format| match f {
            Format::Nagios
            | Format::PrtgJson
            | Format::PrtgXml
            | Format::PrtgV2
            | Format::Zabbix
            | Format::Prometheus
            | Format::Json => f,
        };
        for name in Format::NAMES {
            let format = Format::from_name(name).unwrap();
            assert_eq!(all(format).name(), name);
        }
        assert_eq!(Format::NAMES.len(), 7);
    }
}
