//! The command line: clap's definition of the target options (where and how to connect, the
//! output), the check options flattened in from [`CheckArgs`], and their translation into one
//! typed [`Config`](super::Config).

use super::Config;
use crate::{CheckArgs, Plugin};
use certprobe::idna::HostNameError;
use certprobe::render::Format;
use certprobe::target::{Family, Target};
use certprobe::Protocol;
use clap::{ArgAction, CommandFactory, Parser};
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// Options shared by every plugin.
#[derive(Debug, Parser)]
#[command(
    version,
    about = "Checks the TLS certificate of a server: expiry, name, key, trust, self-signed.",
    after_help = "States: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. Every finding is printed on its own line."
)]
pub struct Args {
    /// Host name or IP address of the server; also the SNI and the name checked, unless --sni is given.
    #[arg(short = 'H', long = "host", value_name = "HOST")]
    host: String,

    /// TCP port [default: the protocol's port: 443 for check_tls_cert, 25 for SMTP, 24 for LMTP, 389 for LDAP, ...].
    #[arg(short, long, value_name = "PORT", allow_negative_numbers = true, value_parser = port_number)]
    port: Option<u16>,

    /// Connect to this address instead of resolving HOST; HOST is still used for SNI and the name check.
    #[arg(long, value_name = "ADDR")]
    address: Option<String>,

    /// Server name to send as SNI and to check the certificate against.
    #[arg(long, value_name = "NAME")]
    sni: Option<String>,

    /// Connect over IPv4 only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    ipv4: bool,

    /// Connect over IPv6 only.
    #[arg(short = '6')]
    ipv6: bool,

    /// Overall time limit for name resolution, connect and handshake.
    #[arg(short, long, value_name = "SECONDS", default_value_t = 10.0, allow_negative_numbers = true, value_parser = positive_seconds)]
    timeout: f64,

    /// Output format for the monitoring system that runs the check.
    #[arg(short, long, value_name = "FORMAT", default_value = "nagios", value_parser = Format::NAMES)]
    output: String,

    // The check options (what the check looks at and how it judges), listed here in the help.
    #[command(flatten)]
    check: CheckArgs,

    /// Run this protocol's STARTTLS dialogue before the TLS handshake
    /// (smtp, lmtp, ldap, imap, pop3, ftp, xmpp, postgres, mysql, sieve); the default port follows it.
    #[arg(long, value_name = "PROTO", value_parser = starttls_protocol)]
    starttls: Option<Protocol>,

    /// Name to give in EHLO/LHLO [default: this machine's host name].
    #[arg(long, value_name = "NAME")]
    helo: Option<String>,

    /// TLS from the first byte instead of STARTTLS (for SMTP: SMTPS, default port 465).
    #[arg(long)]
    implicit_tls: bool,

    /// LDAP over TLS from the first byte instead of StartTLS (default port 636).
    #[arg(long)]
    ldaps: bool,

    /// More detail: -v adds the connection and the chain (subject, issuer, validity, key,
    /// SHA-256); -vv also what the check was told (target and policy).
    #[arg(short, long, action = ArgAction::Count)]
    verbose: u8,
}

fn starttls_protocol(text: &str) -> Result<Protocol, ArgumentError> {
    Protocol::from_name(text)
        .filter(|p| *p != Protocol::Tls)
        .ok_or_else(|| ArgumentError::NotStarttlsProtocol(text.to_string()))
}

fn port_number(text: &str) -> Result<u16, ArgumentError> {
    match text.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(ArgumentError::NotPort(text.to_string())),
    }
}

/// `-t/--timeout`: seconds above 0, at most a day (every plugin's time limit).
pub fn positive_seconds(text: &str) -> Result<f64, ArgumentError> {
    match text.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(ArgumentError::NotSeconds(text.to_string())),
    }
}

/// The clap command for one plugin: options that do not apply to it are hidden.
pub fn command(plugin: Plugin) -> clap::Command {
    let hidden: &[&str] = match plugin.protocol {
        Protocol::Tls => &["implicit_tls", "ldaps"],
        Protocol::Smtp | Protocol::Lmtp => &["starttls", "ldaps"],
        Protocol::Ldap => &["starttls", "implicit_tls", "helo"],
        _ => &["starttls", "implicit_tls", "ldaps"],
    };
    let about = match plugin.protocol {
        Protocol::Tls => "Checks the TLS certificate of a server: expiry, name, key, trust, self-signed.".to_string(),
        p => format!(
            "Checks the TLS certificate that a {} server presents after STARTTLS: expiry, name, key, trust, self-signed.",
            p.label()
        ),
    };
    hidden
        .iter()
        .fold(Args::command(), |cmd, id| {
            cmd.mut_arg(*id, |a| a.hide(true))
        })
        .name(plugin.binary)
        .bin_name(plugin.binary)
        .about(about)
}

/// Which dialogue runs and the default port, from the plugin and its options.
fn protocol_for(plugin: Plugin, args: &Args) -> Result<(Protocol, u16), ArgumentError> {
    let only = |option, plugins| ArgumentError::OtherPluginsOption {
        option,
        plugins,
        plugin: plugin.binary,
    };
    if args.implicit_tls && !matches!(plugin.protocol, Protocol::Smtp | Protocol::Lmtp) {
        return Err(only(
            "--implicit-tls",
            "check_smtp_cert and check_lmtp_cert",
        ));
    }
    if args.ldaps && plugin.protocol != Protocol::Ldap {
        return Err(only("--ldaps", "check_ldap_cert"));
    }
    if args.starttls.is_some() && plugin.protocol != Protocol::Tls {
        return Err(only("--starttls", "check_tls_cert"));
    }
    Ok(match (plugin.protocol, args.starttls) {
        (Protocol::Tls, Some(p)) => (p, p.default_port()),
        (Protocol::Smtp, _) if args.implicit_tls => (Protocol::Tls, 465),
        (Protocol::Lmtp, _) if args.implicit_tls => (Protocol::Tls, Protocol::Lmtp.default_port()),
        (Protocol::Ldap, _) if args.ldaps => (Protocol::Tls, 636),
        (p, _) => (p, p.default_port()),
    })
}

/// The `--helo` name: it goes onto the wire after `EHLO `, so it must be one word of
/// printable ASCII (no CR or LF that would start a second command).
fn helo_name(text: &str) -> Result<String, ArgumentError> {
    let name = text.trim();
    if name.is_empty() || name.len() > 255 || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ArgumentError::NotHeloName(text.to_string()));
    }
    Ok(name.to_string())
}

/// `-4`/`-6` with an IP literal of the other family can never connect: an argument error.
fn family_fits(target: &Target) -> Result<(), ArgumentError> {
    let literal = target
        .address
        .as_deref()
        .or(Some(target.host.as_str()))
        .and_then(certprobe::target::parse_ip_literal);
    match (target.family, literal) {
        (Family::V6, Some(ip)) if ip.is_ipv4() => Err(ArgumentError::WrongFamily(ip)),
        (Family::V4, Some(ip)) if ip.is_ipv6() => Err(ArgumentError::WrongFamily(ip)),
        _ => Ok(()),
    }
}

fn trim_days(days: f64) -> String {
    if days.fract() == 0.0 {
        format!("{days:.0}")
    } else {
        format!("{days}")
    }
}

pub(super) fn config_from(plugin: Plugin, args: Args) -> Result<Config, ArgumentError> {
    let (protocol, default_port) = protocol_for(plugin, &args)?;
    let mut target = Target::new(
        &args.host,
        args.port.unwrap_or(default_port),
        args.sni.as_deref(),
    )?;
    target.protocol = protocol;
    target.helo = args.helo.as_deref().map(helo_name).transpose()?;
    if target.helo.is_some() && !matches!(protocol, Protocol::Smtp | Protocol::Lmtp) {
        return Err(ArgumentError::HeloNotSent {
            plugin: plugin.binary,
            protocol,
        });
    }
    target.address = args
        .address
        .as_deref()
        .map(|a| {
            certprobe::target::parse_ip_literal(a)
                .map(|ip| ip.to_string())
                .ok_or_else(|| ArgumentError::NotAnAddress(a.to_string()))
        })
        .transpose()?;
    target.family = match (args.ipv4, args.ipv6) {
        (true, _) => Family::V4,
        (_, true) => Family::V6,
        _ => Family::Any,
    };
    family_fits(&target)?;
    target.timeout = Duration::from_secs_f64(args.timeout);
    let (options, settings) = args.check.to_check()?;
    Ok(Config {
        target,
        options,
        settings,
        format: Format::from_name(&args.output)
            .ok_or_else(|| ArgumentError::NotFormat(args.output.clone()))?,
        verbosity: args.verbose,
    })
}

/// Why the command line cannot be used: a value an option does not take, or options that do
/// not go together. Each variant carries what the user gave.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgumentError {
    /// `--starttls` with a name that is no STARTTLS protocol.
    NotStarttlsProtocol(String),
    /// `--min-tls` with something else than 1.0, 1.1, 1.2 or 1.3.
    NotTlsVersion(String),
    /// `--min-grade` with something else than A+ to F.
    NotGrade(String),
    /// `-p` outside 1 to 65535, or not a number.
    NotPort(String),
    /// `-t` not above 0 or above a day, or not a number.
    NotSeconds(String),
    /// A day count (`--info-days`, `--max-validity`) below 0 or not a number.
    NotDays(String),
    /// An option that only other plugins take (`--ldaps` to check_smtp_cert).
    OtherPluginsOption {
        /// The option given, as written in its long form.
        option: &'static str,
        /// The plugins that take it.
        plugins: &'static str,
        /// The plugin that was run.
        plugin: &'static str,
    },
    /// `--helo` with something that is not one word of printable ASCII.
    NotHeloName(String),
    /// `--helo` to a plugin or protocol whose dialogue sends no EHLO or LHLO.
    HeloNotSent {
        /// The plugin that was run.
        plugin: &'static str,
        /// The dialogue it runs before TLS.
        protocol: Protocol,
    },
    /// `--address` that is not an IP literal.
    NotAnAddress(String),
    /// `-4` with an IPv6 literal, or `-6` with an IPv4 one: the address of the wrong family.
    WrongFamily(IpAddr),
    /// Plain day counts with `-c` above `-w`: the warning would never come.
    CriticalAboveWarning {
        /// The `-c` days.
        critical: f64,
        /// The `-w` days.
        warning: f64,
    },
    /// Shares of the lifetime with `-c` above `-w`: the warning would never come.
    CriticalAboveWarningShare {
        /// The `-c` percentage.
        critical: f64,
        /// The `-w` percentage.
        warning: f64,
    },
    /// `--issuer` that is not a regular expression.
    NotRegex {
        /// The pattern given.
        pattern: String,
        /// What the regular expression library found wrong.
        error: regex_lite::Error,
    },
    /// `--fingerprint` or `--serial` that is not hexadecimal.
    NotHex(String),
    /// `-o` with a name that is no output format.
    NotFormat(String),
    /// `-H`, `--sni` or `--match` that is not a usable host name.
    HostName(HostNameError),
}

impl fmt::Display for ArgumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgumentError::NotStarttlsProtocol(text) => {
                let names: Vec<&str> = Protocol::STARTTLS.iter().map(|p| p.name()).collect();
                write!(f, "'{text}' is not one of {}", names.join(", "))
            }
            ArgumentError::NotTlsVersion(text) => {
                write!(f, "'{text}' is not one of 1.0, 1.1, 1.2, 1.3")
            }
            ArgumentError::NotGrade(text) => {
                write!(f, "'{text}' is not one of A+, A, B, C, D, E, F")
            }
            ArgumentError::NotPort(text) => {
                write!(f, "'{text}' is not a port number (1 to 65535)")
            }
            ArgumentError::NotSeconds(text) => {
                write!(f, "'{text}' is not a number of seconds between 0 and 86400")
            }
            ArgumentError::NotDays(text) => {
                write!(f, "'{text}' is not a number of days (0 or more)")
            }
            ArgumentError::OtherPluginsOption {
                option,
                plugins,
                plugin,
            } => write!(f, "{option} is an option of {plugins}, not of {plugin}"),
            ArgumentError::NotHeloName(text) => write!(
                f,
                "--helo '{}' is not a host name (one word of printable ASCII)",
                certprobe::text::visible(text)
            ),
            ArgumentError::HeloNotSent { plugin, protocol } => {
                write!(
                    f,
                    "--helo names this machine in SMTP EHLO and LMTP LHLO; "
                )?;
                match protocol {
                    Protocol::Tls => write!(f, "{plugin} with direct TLS")?,
                    p => write!(f, "the {} dialogue", p.label())?,
                }
                write!(f, " does not send it")
            }
            ArgumentError::NotAnAddress(text) => write!(
                f,
                "--address '{}' is not an IP address (give the name with -H)",
                certprobe::text::visible(text)
            ),
            ArgumentError::WrongFamily(ip) if ip.is_ipv4() => {
                write!(f, "-6 asks for IPv6, but {ip} is an IPv4 address")
            }
            ArgumentError::WrongFamily(ip) => {
                write!(f, "-4 asks for IPv4, but {ip} is an IPv6 address")
            }
            ArgumentError::CriticalAboveWarning { critical, warning } => write!(
                f,
                "-c {} days is above -w {} days: CRITICAL must come at fewer days left than WARNING",
                trim_days(*critical),
                trim_days(*warning)
            ),
            ArgumentError::CriticalAboveWarningShare { critical, warning } => write!(
                f,
                "-c {}% is above -w {}%: CRITICAL must come at a smaller share of the lifetime left than WARNING",
                trim_days(*critical),
                trim_days(*warning)
            ),
            ArgumentError::NotRegex { pattern, error } => write!(
                f,
                "--issuer '{pattern}' is not a valid regular expression: {error}"
            ),
            ArgumentError::NotHex(text) => write!(f, "'{text}' is not a hexadecimal value"),
            ArgumentError::NotFormat(text) => write!(f, "'{text}' is not an output format"),
            ArgumentError::HostName(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for ArgumentError {}

impl From<HostNameError> for ArgumentError {
    fn from(error: HostNameError) -> ArgumentError {
        ArgumentError::HostName(error)
    }
}

#[cfg(test)]
mod tests;
