//! The command line: which endpoints, how to judge them, and the output.

use crate::Request;
use certprobe::duration::{parse_duration, DurationError};
use certprobe::idna::HostNameError;
use certprobe::render::Format;
use certprobe::verdict::{Policy, State, Threshold};
use certprobe_cli::ArgumentError;
use certprobe_inventory::query::Source;
use clap::{ArgAction, Parser, ValueEnum};
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The options of check_cert_inventory.
#[derive(Debug, Parser)]
#[command(
    name = "check_cert_inventory",
    bin_name = "check_cert_inventory",
    version,
    about = "Checks an endpoint's TLS certificate from the certprobe inventory (what certprobe scan stored): no network, the scan's findings with the expiry judged now.",
    after_help = "States: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. An endpoint the inventory does not hold is UNKNOWN; one not seen in the latest run of its job (stale) is at least WARNING."
)]
pub struct Args {
    /// The inventory: an SQLite file or a postgres:// URL [default: CERTPROBE_DB, else your
    /// own $XDG_DATA_HOME/certprobe/inventory.sqlite (~/.local/share/...) if there is one,
    /// else /var/lib/certprobe/inventory.sqlite].
    #[arg(long, value_name = "PATH|URL")]
    db: Option<PathBuf>,

    /// The endpoint's IP address.
    #[arg(long, value_name = "ADDR", value_parser = ip_address)]
    ip: Option<IpAddr>,

    /// The SNI name the endpoint was scanned with (an IP address here counts as --ip).
    #[arg(short = 'H', long = "host", value_name = "NAME")]
    host: Option<String>,

    /// The TCP port [default: every endpoint of the address or name].
    #[arg(short, long, value_name = "PORT", allow_negative_numbers = true, value_parser = port_number)]
    port: Option<u16>,

    /// WARNING when the certificate has fewer than this many days left now (fractions
    /// allowed), a time as icingacli writes it (3M, 1y), a share of its lifetime (25%: less
    /// than a quarter left), or a Nagios range over days left: 10: (below 10), ~:10, 10:20,
    /// @10:20.
    #[arg(short, long, value_name = "DAYS", default_value = "30", value_parser = Threshold::parse)]
    warning: Threshold,

    /// CRITICAL when the certificate has fewer than this many days left now, a share of its
    /// lifetime (10%), or a Nagios range; an expired certificate is always CRITICAL.
    #[arg(short, long, value_name = "DAYS", default_value = "7", value_parser = Threshold::parse)]
    critical: Threshold,

    /// Data scanned longer ago than this is WARNING (or --max-age-state): seconds, or a number
    /// with s, m, h, d or w (36h, 2d).
    #[arg(long, value_name = "DURATION", value_parser = max_age)]
    max_age: Option<MaxAge>,

    /// The state of data older than --max-age, and of a host's audit older than --audit-age.
    #[arg(long, value_enum, value_name = "STATE", default_value_t = StateArg::Warning)]
    max_age_state: StateArg,

    /// Only endpoints of this source: `file` for the places certprobe audit found in files,
    /// keystores and the Windows certificate store (--host is then the audited host's name,
    /// every host without it), or
    /// `network` for what certprobe scan found. Without --ip and --host: every one of them.
    #[arg(long, value_enum, value_name = "SOURCE", conflicts_with_all = ["port", "audit_age"])]
    source: Option<SourceArg>,

    /// Checks hosts' local audits (certprobe audit) instead of endpoints: a host whose latest
    /// completed audit is older than this is WARNING (or --max-age-state); the host is
    /// --host, every audited host without it. Seconds, or 36h, 2d, 1w.
    #[arg(long, value_name = "DURATION", value_parser = max_age, conflicts_with_all = ["ip", "port"])]
    audit_age: Option<MaxAge>,

    /// Output format for the monitoring system that runs the check.
    #[arg(short, long, value_name = "FORMAT", default_value = "nagios", value_parser = Format::NAMES)]
    output: String,

    /// Time limit for reading the inventory (a database locked by a writer waits up to it).
    #[arg(short, long, value_name = "SECONDS", default_value_t = 10.0, allow_negative_numbers = true, value_parser = certprobe_cli::positive_seconds)]
    timeout: f64,

    /// More detail: -v adds each endpoint's chain (subject, issuer, validity, key, SHA-256).
    #[arg(short, long, action = ArgAction::Count)]
    verbose: u8,
}

/// `--max-age` as seconds and as given.
#[derive(Debug, Clone)]
struct MaxAge {
    seconds: i64,
    text: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SourceArg {
    Network,
    File,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StateArg {
    Ok,
    Warning,
    Critical,
    Unknown,
}

/// Why the command line cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgError {
    /// Neither `--ip` nor `--host`.
    NoEndpoint,
    /// `--ip` that is no IP address.
    NotAnAddress(String),
    /// `--host` that is no host name.
    HostName(HostNameError),
    /// `--ip` and an other address as `--host`.
    TwoAddresses(IpAddr, IpAddr),
    /// `--max-age` that is no duration.
    Duration(DurationError),
    /// `--max-age 0`: every endpoint would be stale.
    ZeroMaxAge,
    /// An error the plugins share (a port, seconds, thresholds).
    Plugin(ArgumentError),
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgError::NoEndpoint => f.write_str(
                "give --ip ADDR or --host NAME (or both): the endpoint's address or the SNI name it was scanned with; or --source file for the places of local audits",
            ),
            ArgError::NotAnAddress(text) => write!(
                f,
                "--ip '{}' is not an IP address (give a name with --host)",
                certprobe::text::quote(text, 60)
            ),
            ArgError::HostName(e) => e.fmt(f),
            ArgError::TwoAddresses(ip, host) => write!(
                f,
                "--ip {ip} and --host {host} are two addresses: an endpoint has one (--host takes the SNI name)"
            ),
            ArgError::Duration(e) => e.fmt(f),
            ArgError::ZeroMaxAge => f.write_str("--max-age must be at least one second"),
            ArgError::Plugin(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ArgError {}

fn ip_address(text: &str) -> Result<IpAddr, ArgError> {
    certprobe::target::parse_ip_literal(text.trim())
        .ok_or_else(|| ArgError::NotAnAddress(text.to_string()))
}

fn port_number(text: &str) -> Result<u16, ArgError> {
    match text.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(ArgError::Plugin(ArgumentError::NotPort(text.to_string()))),
    }
}

fn max_age(text: &str) -> Result<MaxAge, ArgError> {
    let seconds = parse_duration(text)
        .map_err(ArgError::Duration)?
        .as_secs_f64()
        .round();
    if seconds < 1.0 {
        return Err(ArgError::ZeroMaxAge);
    }
    Ok(MaxAge {
        seconds: seconds as i64,
        text: text.trim().to_string(),
    })
}

impl Args {
    /// The request, or why the options do not make one.
    pub fn request(self) -> Result<Request, ArgError> {
        certprobe_cli::thresholds_fit(&self.warning, &self.critical).map_err(ArgError::Plugin)?;
        let mut ip = self.ip;
        let mut sni = None;
        if let Some(host) = &self.host {
            let name = certprobe::idna::to_ascii_name(host).map_err(ArgError::HostName)?;
            match name.parse::<IpAddr>() {
                Ok(address) => match ip {
                    Some(given) if given != address => {
                        return Err(ArgError::TwoAddresses(given, address))
                    }
                    _ => ip = Some(address),
                },
                Err(_) => sni = Some(name),
            }
        }
        let source = self.source.map(|s| match s {
            SourceArg::Network => Source::Network,
            SourceArg::File => Source::File,
        });
        let mut audited_host = None;
        if self.audit_age.is_some() || source == Some(Source::File) {
            // The audited host, by the name its audit recorded (compared without case).
            ip = None;
            sni = None;
            audited_host = self.host.as_deref().map(|h| h.trim().to_string());
        } else if ip.is_none() && sni.is_none() && source.is_none() {
            return Err(ArgError::NoEndpoint);
        }
        let format = Format::from_name(&self.output)
            .ok_or_else(|| ArgError::Plugin(ArgumentError::NotFormat(self.output.clone())))?;
        Ok(Request {
            db: certprobe_inventory::path::inventory_path_to_read(self.db.as_ref()),
            ip,
            sni,
            audited_host,
            source,
            port: self.port,
            policy: Policy {
                warning_days: self.warning.min_days(),
                warning: self.warning,
                critical_days: self.critical.min_days(),
                critical: self.critical,
                ..Policy::default()
            },
            max_age: self.max_age.map(|m| (m.seconds, m.text)),
            audit_age: self.audit_age.map(|m| (m.seconds, m.text)),
            max_age_state: match self.max_age_state {
                StateArg::Ok => State::Ok,
                StateArg::Warning => State::Warning,
                StateArg::Critical => State::Critical,
                StateArg::Unknown => State::Unknown,
            },
            format,
            verbosity: self.verbose,
            timeout: Duration::from_secs_f64(self.timeout),
        })
    }
}
