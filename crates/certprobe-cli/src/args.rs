//! The command line: clap's definition of every option, and its translation into one typed
//! [`Config`](super::Config).

use super::Config;
use crate::Plugin;
use certprobe::analysis::grade::Letter;
use certprobe::analysis::NameMode;
use certprobe::lookups::{Cidr, EgressPolicy, PrivateRule};
use certprobe::render::Format;
use certprobe::target::{Family, Target};
use certprobe::tls_version::TlsVersion;
use certprobe::verdict::{self, Policy, State, Threshold};
use certprobe::{CheckOptions, CheckerSettings, Protocol, TrustSelection};
use clap::{ArgAction, CommandFactory, Parser, ValueEnum};
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

    /// State to return when the time limit is reached.
    #[arg(long, value_enum, value_name = "STATE", default_value_t = StateArg::Unknown)]
    timeout_state: StateArg,

    /// WARNING when the certificate has this many days left or fewer (fractions allowed), or a
    /// Nagios range over days left: 10: (below 10), ~:10, 10:20, @10:20.
    #[arg(short, long, value_name = "DAYS", default_value = "30", value_parser = Threshold::parse)]
    warning: Threshold,

    /// CRITICAL when the certificate has this many days left or fewer, or a Nagios range; an
    /// expired or not yet valid certificate is always CRITICAL.
    #[arg(short, long, value_name = "DAYS", default_value = "7", value_parser = Threshold::parse)]
    critical: Threshold,

    /// Which certificate names must match the host name (RFC 6125).
    #[arg(long, value_enum, value_name = "MODE", default_value_t = NameCheckArg::CnSan)]
    name_check: NameCheckArg,

    /// Trust anchors: Mozilla's roots (built in) or the operating system's store.
    /// With --ca-file and no --trust, only the given files are trusted.
    #[arg(long, value_enum, value_name = "STORE")]
    trust: Option<TrustArg>,

    /// PEM file of trusted CA certificates (repeatable).
    #[arg(long = "ca-file", value_name = "PEM", action = ArgAction::Append)]
    ca_files: Vec<String>,

    /// An untrusted chain is WARNING instead of CRITICAL.
    #[arg(long)]
    allow_untrusted: bool,

    /// A self-signed certificate is OK instead of CRITICAL.
    #[arg(long)]
    allow_self_signed: bool,

    /// RSA/DSA keys shorter than this are CRITICAL (replaces the default: below 1024 CRITICAL, below 2048 WARNING).
    #[arg(long, value_name = "BITS")]
    min_key_bits: Option<u32>,

    /// ECDSA/EdDSA keys shorter than this are CRITICAL.
    #[arg(long, value_name = "BITS", default_value_t = 256)]
    min_ec_key_bits: u32,

    /// Output format for the monitoring system that runs the check.
    #[arg(short, long, value_name = "FORMAT", default_value = "nagios", value_parser = Format::NAMES)]
    output: String,

    /// Complete an incomplete chain by fetching issuers from the AIA caIssuers URL (HTTP);
    /// a chain completed so is WARNING ("incomplete chain, completed via AIA").
    #[arg(long)]
    fetch_intermediates: bool,

    /// Folder to cache fetched issuer certificates, OCSP responses and CRLs in.
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<std::path::PathBuf>,

    /// When issuer, OCSP and CRL URLs (they come from the server's certificate) may be fetched
    /// from private and loopback addresses: auto, only when the checked server is in such a
    /// range itself; always; never. Link-local and metadata addresses are never fetched from.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = FetchPrivateArg::Auto)]
    fetch_from_private: FetchPrivateArg,

    /// An address range that may always be fetched from (repeatable; 10.1.0.0/16, 2001:db8::/32).
    #[arg(long, value_name = "CIDR", action = ArgAction::Append, value_parser = cidr)]
    fetch_allow: Vec<Cidr>,

    /// An address range that is never fetched from (repeatable; wins over --fetch-allow).
    #[arg(long, value_name = "CIDR", action = ArgAction::Append, value_parser = cidr)]
    fetch_deny: Vec<Cidr>,

    /// Do not check revocation (by default: the stapled OCSP response, else the OCSP responder,
    /// else the CRL named in the certificate).
    #[arg(long)]
    no_revocation: bool,

    /// A revocation status that cannot be had (responder down, slow, broken) is CRITICAL,
    /// not WARNING.
    #[arg(long)]
    revocation_strict: bool,

    /// CRITICAL unless the server staples an OCSP response.
    #[arg(long)]
    require_stapling: bool,

    /// Probe which TLS versions (1.0 to 1.3) the server accepts, each on its own connection,
    /// and grade the configuration (A+ to F).
    #[arg(long)]
    protocols: bool,

    /// CRITICAL when the server accepts a TLS version below this (1.0, 1.1, 1.2, 1.3); probes.
    #[arg(long, value_name = "VERSION", value_parser = tls_version)]
    min_tls: Option<TlsVersion>,

    /// CRITICAL when the security grade is worse than this (A+, A, B, C, D, E, F); probes.
    #[arg(long, value_name = "GRADE", value_parser = grade_letter)]
    min_grade: Option<Letter>,

    /// Alarm tier Info up to this many days left (tiers: Critical <= -c, Warning <= -w, Info, OK).
    #[arg(long, value_name = "DAYS", default_value_t = 90.0, value_parser = non_negative_days)]
    info_days: f64,

    /// WARNING when the certificate (issued since 2020-09-01) is valid for longer than this.
    #[arg(long, value_name = "DAYS", default_value_t = 398.0, value_parser = non_negative_days)]
    max_validity: f64,

    /// A certificate without subjectAltName is OK instead of WARNING.
    #[arg(long)]
    allow_empty_san: bool,

    /// CRITICAL unless the issuer's DN or CN matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    issuer: Option<String>,

    /// CRITICAL unless the certificate's SHA-256 fingerprint is this (hex; colons allowed).
    #[arg(long, value_name = "SHA256")]
    fingerprint: Option<String>,

    /// CRITICAL unless the certificate's serial number is this (hex).
    #[arg(long, value_name = "HEX")]
    serial: Option<String>,

    /// A further name the certificate must cover (repeatable).
    #[arg(short = 'm', long = "match", value_name = "NAME", action = ArgAction::Append)]
    match_names: Vec<String>,

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

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StateArg {
    Ok,
    Warning,
    Critical,
    Unknown,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FetchPrivateArg {
    Auto,
    Always,
    Never,
}

fn cidr(text: &str) -> Result<Cidr, String> {
    text.parse::<Cidr>().map_err(|e| e.to_string())
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum NameCheckArg {
    None,
    Cn,
    CnSan,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TrustArg {
    Mozilla,
    System,
}

fn starttls_protocol(text: &str) -> Result<Protocol, String> {
    Protocol::from_name(text)
        .filter(|p| *p != Protocol::Tls)
        .ok_or_else(|| {
            let names: Vec<&str> = Protocol::STARTTLS.iter().map(|p| p.name()).collect();
            format!("'{text}' is not one of {}", names.join(", "))
        })
}

fn tls_version(text: &str) -> Result<TlsVersion, String> {
    TlsVersion::from_name(text).ok_or_else(|| format!("'{text}' is not one of 1.0, 1.1, 1.2, 1.3"))
}

fn grade_letter(text: &str) -> Result<Letter, String> {
    Letter::from_name(text).ok_or_else(|| format!("'{text}' is not one of A+, A, B, C, D, E, F"))
}

fn port_number(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("'{text}' is not a port number (1 to 65535)")),
    }
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!(
            "'{text}' is not a number of seconds between 0 and 86400"
        )),
    }
}

fn non_negative_days(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v >= 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("'{text}' is not a number of days (0 or more)")),
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
fn protocol_for(plugin: Plugin, args: &Args) -> Result<(Protocol, u16), String> {
    let only = |option: &str, plugins: &str| {
        format!(
            "{option} is an option of {plugins}, not of {}",
            plugin.binary
        )
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
fn helo_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty() || name.len() > 255 || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "--helo '{}' is not a host name (one word of printable ASCII)",
            certprobe::text::visible(text)
        ));
    }
    Ok(name.to_string())
}

/// How the plugin talks before TLS, for messages.
fn dialogue_name(plugin: Plugin, protocol: Protocol) -> String {
    match protocol {
        Protocol::Tls => format!("{} with direct TLS", plugin.binary),
        p => format!("the {} dialogue", p.label()),
    }
}

/// `-4`/`-6` with an IP literal of the other family can never connect: an argument error.
fn family_fits(target: &Target) -> Result<(), String> {
    let literal = target
        .address
        .as_deref()
        .or(Some(target.host.as_str()))
        .and_then(certprobe::target::parse_ip_literal);
    match (target.family, literal) {
        (Family::V6, Some(ip)) if ip.is_ipv4() => {
            Err(format!("-6 asks for IPv6, but {ip} is an IPv4 address"))
        }
        (Family::V4, Some(ip)) if ip.is_ipv6() => {
            Err(format!("-4 asks for IPv4, but {ip} is an IPv6 address"))
        }
        _ => Ok(()),
    }
}

/// Plain day counts must put CRITICAL below WARNING: `-w 10 -c 20` would never warn.
fn thresholds_fit(warning: &Threshold, critical: &Threshold) -> Result<(), String> {
    match (warning, critical) {
        (Threshold::MinDays(w), Threshold::MinDays(c)) if c > w => Err(format!(
            "-c {} days is above -w {} days: CRITICAL must come at fewer days left than WARNING",
            trim_days(*c),
            trim_days(*w)
        )),
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

pub(super) fn config_from(plugin: Plugin, args: Args) -> Result<Config, String> {
    let (protocol, default_port) = protocol_for(plugin, &args)?;
    let mut target = Target::new(
        &args.host,
        args.port.unwrap_or(default_port),
        args.sni.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    target.protocol = protocol;
    target.helo = args.helo.as_deref().map(helo_name).transpose()?;
    if target.helo.is_some() && !matches!(protocol, Protocol::Smtp | Protocol::Lmtp) {
        return Err(format!(
            "--helo names this machine in SMTP EHLO and LMTP LHLO; {} does not send it",
            dialogue_name(plugin, protocol)
        ));
    }
    target.address = args
        .address
        .as_deref()
        .map(|a| {
            certprobe::target::parse_ip_literal(a)
                .map(|ip| ip.to_string())
                .ok_or_else(|| {
                    format!(
                        "--address '{}' is not an IP address (give the name with -H)",
                        certprobe::text::visible(a)
                    )
                })
        })
        .transpose()?;
    target.family = match (args.ipv4, args.ipv6) {
        (true, _) => Family::V4,
        (_, true) => Family::V6,
        _ => Family::Any,
    };
    family_fits(&target)?;
    thresholds_fit(&args.warning, &args.critical)?;
    target.timeout = Duration::from_secs_f64(args.timeout);
    let policy = Policy {
        warning_days: args.warning.min_days(),
        warning: args.warning.clone(),
        critical_days: args.critical.min_days(),
        critical: args.critical.clone(),
        name_mode: match args.name_check {
            NameCheckArg::None => NameMode::None,
            NameCheckArg::Cn => NameMode::Cn,
            NameCheckArg::CnSan => NameMode::CnSan,
        },
        allow_untrusted: args.allow_untrusted,
        allow_self_signed: args.allow_self_signed,
        min_key_bits: args.min_key_bits,
        min_ec_key_bits: args.min_ec_key_bits,
        timeout_state: match args.timeout_state {
            StateArg::Ok => State::Ok,
            StateArg::Warning => State::Warning,
            StateArg::Critical => State::Critical,
            StateArg::Unknown => State::Unknown,
        },
        info_days: args.info_days,
        max_validity_days: args.max_validity,
        allow_empty_san: args.allow_empty_san,
        issuer: match &args.issuer {
            Some(re) => {
                Some(regex_lite::Regex::new(re).map_err(|e| {
                    format!("--issuer '{re}' is not a valid regular expression: {e}")
                })?)
            }
            None => None,
        },
        fingerprint: args
            .fingerprint
            .as_deref()
            .map(verdict::normalise_hex)
            .transpose()
            .map_err(|e| e.to_string())?,
        serial: args
            .serial
            .as_deref()
            .map(|s| verdict::normalise_hex(s).map(|hex| hex.trim_start_matches('0').to_string()))
            .transpose()
            .map_err(|e| e.to_string())?,
        revocation: !args.no_revocation,
        revocation_strict: args.revocation_strict,
        require_stapling: args.require_stapling,
        min_tls: args.min_tls,
        min_grade: args.min_grade,
        match_names: args
            .match_names
            .iter()
            .map(|n| certprobe::idna::to_ascii_name(n).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?,
    };
    let trust = TrustSelection {
        mozilla: matches!(args.trust, Some(TrustArg::Mozilla))
            || (args.trust.is_none() && args.ca_files.is_empty()),
        system: matches!(args.trust, Some(TrustArg::System)),
        files: args.ca_files.into_iter().map(Into::into).collect(),
    };
    Ok(Config {
        target,
        options: CheckOptions {
            policy,
            fetch_intermediates: args.fetch_intermediates,
            probe_protocols: args.protocols || args.min_tls.is_some() || args.min_grade.is_some(),
        },
        settings: CheckerSettings {
            trust,
            cache_dir: args.cache_dir,
            egress: EgressPolicy {
                private: match args.fetch_from_private {
                    FetchPrivateArg::Auto => PrivateRule::SameAsServer,
                    FetchPrivateArg::Always => PrivateRule::Always,
                    FetchPrivateArg::Never => PrivateRule::Never,
                },
                allow: args.fetch_allow,
                deny: args.fetch_deny,
                ..EgressPolicy::default()
            },
            ..CheckerSettings::default()
        },
        format: Format::from_name(&args.output)
            .ok_or_else(|| format!("'{}' is not an output format", args.output))?,
        verbosity: args.verbose,
    })
}
