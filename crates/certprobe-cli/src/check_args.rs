//! The check options: what a check looks at and how it judges, apart from where and how it
//! connects. The plugins flatten [`CheckArgs`] into their command line, and so can any other
//! command that runs checks, so that the names, help texts, defaults and validation are
//! defined once.
//!
//! clap's derive makes the one-line doc comment of [`CheckArgs`] the about text of the command
//! it is flattened into, unless that command sets its own (a doc comment or `about`) as the
//! plugins' [`Args`](crate::Args) does; it is kept to one paragraph so that it never brings a
//! `long_about` along.

use crate::args::ArgumentError;
use certprobe::analysis::grade::Letter;
use certprobe::analysis::NameMode;
use certprobe::lookups::{Cidr, EgressPolicy, PrivateRule};
use certprobe::tls_version::TlsVersion;
use certprobe::verdict::{self, Policy, State, Threshold};
use certprobe::{CheckOptions, CheckerSettings, TrustSelection};
use clap::{ArgAction, ValueEnum};
use std::path::PathBuf;
use std::str::FromStr;

/// The check options about a connection (its lookups, revocation, TLS versions): for a chain
/// read from a file (`check_cert_file`, `certprobe audit`) they do not apply, and
/// [`without_connection_options`] takes them out of the help.
pub const CONNECTION_OPTIONS: [&str; 12] = [
    "timeout_state",
    "fetch_intermediates",
    "cache_dir",
    "fetch_from_private",
    "fetch_allow",
    "fetch_deny",
    "no_revocation",
    "revocation_strict",
    "require_stapling",
    "protocols",
    "min_tls",
    "min_grade",
];

/// `cmd` with [`CONNECTION_OPTIONS`] hidden from its help and man page (still accepted, so a
/// command line shared with check_tls_cert keeps working, and without effect).
pub fn without_connection_options(cmd: clap::Command) -> clap::Command {
    CONNECTION_OPTIONS
        .iter()
        .fold(cmd, |cmd, id| cmd.mut_arg(*id, |a| a.hide(true)))
}

/// The check options as clap arguments, for `#[command(flatten)]`; [`CheckArgs::to_check`] validates them.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// State to return when the time limit is reached.
    #[arg(long, value_enum, value_name = "STATE", default_value_t = StateArg::Unknown)]
    timeout_state: StateArg,

    /// WARNING when the certificate has fewer than this many days left (fractions allowed), a
    /// share of its lifetime (25%: less than a quarter left), or a Nagios range over days
    /// left: 10: (below 10), ~:10, 10:20, @10:20.
    #[arg(short, long, value_name = "DAYS", default_value = "30", value_parser = Threshold::parse)]
    warning: Threshold,

    /// CRITICAL when the certificate has fewer than this many days left, a share of its
    /// lifetime (10%), or a Nagios range; an expired or not yet valid certificate is always
    /// CRITICAL.
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

    /// Complete an incomplete chain by fetching issuers from the AIA caIssuers URL (HTTP);
    /// a chain completed so is WARNING ("incomplete chain, completed via AIA").
    #[arg(long)]
    fetch_intermediates: bool,

    /// Folder to cache fetched issuer certificates, OCSP responses and CRLs in.
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,

    /// When issuer, OCSP and CRL URLs (they come from the server's certificate) may be fetched
    /// from private and loopback addresses: auto, only when the checked server is in such a
    /// range itself; always; never. Link-local and metadata addresses are never fetched from.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = FetchPrivateArg::Auto)]
    fetch_from_private: FetchPrivateArg,

    /// An address range that may always be fetched from (repeatable; 10.1.0.0/16, 2001:db8::/32).
    #[arg(long, value_name = "CIDR", action = ArgAction::Append, value_parser = Cidr::from_str)]
    fetch_allow: Vec<Cidr>,

    /// An address range that is never fetched from (repeatable; wins over --fetch-allow).
    #[arg(long, value_name = "CIDR", action = ArgAction::Append, value_parser = Cidr::from_str)]
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
    #[arg(long, value_name = "DAYS", default_value_t = 90.0, allow_negative_numbers = true, value_parser = non_negative_days)]
    info_days: f64,

    /// WARNING when the certificate (issued since 2020-09-01) is valid for longer than this.
    #[arg(long, value_name = "DAYS", default_value_t = 398.0, allow_negative_numbers = true, value_parser = non_negative_days)]
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

fn tls_version(text: &str) -> Result<TlsVersion, ArgumentError> {
    TlsVersion::from_name(text).ok_or_else(|| ArgumentError::NotTlsVersion(text.to_string()))
}

fn grade_letter(text: &str) -> Result<Letter, ArgumentError> {
    Letter::from_name(text).ok_or_else(|| ArgumentError::NotGrade(text.to_string()))
}

fn non_negative_days(text: &str) -> Result<f64, ArgumentError> {
    match text.parse::<f64>() {
        Ok(v) if v >= 0.0 && v.is_finite() => Ok(v),
        _ => Err(ArgumentError::NotDays(text.to_string())),
    }
}

/// Plain day counts, and shares of the lifetime, must put CRITICAL below WARNING: `-w 10 -c 20`
/// (or `-w 10% -c 20%`) would never warn. Ranges, and days against a share, are not compared.
pub fn thresholds_fit(warning: &Threshold, critical: &Threshold) -> Result<(), ArgumentError> {
    match (warning, critical) {
        (Threshold::MinDays(w), Threshold::MinDays(c)) if c > w => {
            Err(ArgumentError::CriticalAboveWarning {
                critical: *c,
                warning: *w,
            })
        }
        (Threshold::Percent(w), Threshold::Percent(c)) if c > w => {
            Err(ArgumentError::CriticalAboveWarningShare {
                critical: *c,
                warning: *w,
            })
        }
        _ => Ok(()),
    }
}

/// `--fingerprint` and `--serial` as uppercase hex without separators.
fn hex(text: &str) -> Result<String, ArgumentError> {
    verdict::normalise_hex(text).map_err(|_| ArgumentError::NotHex(text.to_string()))
}

impl CheckArgs {
    /// What the check does and judges ([`CheckOptions`]), and what the checker is built with
    /// ([`CheckerSettings`]: trust anchors, cache folder, egress policy; no EHLO name, that
    /// belongs to the target). Refuses what clap cannot see alone: `-c` above `-w`, an
    /// `--issuer` that is no regular expression, `--fingerprint` or `--serial` that is no hex,
    /// a `--match` that is no host name; the first of these in that order.
    pub fn to_check(&self) -> Result<(CheckOptions, CheckerSettings), ArgumentError> {
        thresholds_fit(&self.warning, &self.critical)?;
        let policy =
            Policy {
                warning_days: self.warning.min_days(),
                warning: self.warning.clone(),
                critical_days: self.critical.min_days(),
                critical: self.critical.clone(),
                name_mode: match self.name_check {
                    NameCheckArg::None => NameMode::None,
                    NameCheckArg::Cn => NameMode::Cn,
                    NameCheckArg::CnSan => NameMode::CnSan,
                },
                allow_untrusted: self.allow_untrusted,
                allow_self_signed: self.allow_self_signed,
                min_key_bits: self.min_key_bits,
                min_ec_key_bits: self.min_ec_key_bits,
                timeout_state: match self.timeout_state {
                    StateArg::Ok => State::Ok,
                    StateArg::Warning => State::Warning,
                    StateArg::Critical => State::Critical,
                    StateArg::Unknown => State::Unknown,
                },
                info_days: self.info_days,
                max_validity_days: self.max_validity,
                allow_empty_san: self.allow_empty_san,
                issuer: match &self.issuer {
                    Some(re) => Some(regex_lite::Regex::new(re).map_err(|error| {
                        ArgumentError::NotRegex {
                            pattern: re.clone(),
                            error,
                        }
                    })?),
                    None => None,
                },
                fingerprint: self.fingerprint.as_deref().map(hex).transpose()?,
                serial: self
                    .serial
                    .as_deref()
                    .map(|s| hex(s).map(|hex| hex.trim_start_matches('0').to_string()))
                    .transpose()?,
                revocation: !self.no_revocation,
                revocation_strict: self.revocation_strict,
                require_stapling: self.require_stapling,
                min_tls: self.min_tls,
                min_grade: self.min_grade,
                match_names: self
                    .match_names
                    .iter()
                    .map(|n| certprobe::idna::to_ascii_name(n).map_err(ArgumentError::from))
                    .collect::<Result<_, _>>()?,
            };
        let trust = TrustSelection {
            mozilla: matches!(self.trust, Some(TrustArg::Mozilla))
                || (self.trust.is_none() && self.ca_files.is_empty()),
            system: matches!(self.trust, Some(TrustArg::System)),
            files: self.ca_files.iter().map(PathBuf::from).collect(),
        };
        let options = CheckOptions {
            policy,
            fetch_intermediates: self.fetch_intermediates,
            probe_protocols: self.protocols || self.min_tls.is_some() || self.min_grade.is_some(),
        };
        let settings = CheckerSettings {
            trust,
            cache_dir: self.cache_dir.clone(),
            egress: EgressPolicy {
                private: match self.fetch_from_private {
                    FetchPrivateArg::Auto => PrivateRule::SameAsServer,
                    FetchPrivateArg::Always => PrivateRule::Always,
                    FetchPrivateArg::Never => PrivateRule::Never,
                },
                allow: self.fetch_allow.clone(),
                deny: self.fetch_deny.clone(),
                ..EgressPolicy::default()
            },
            ..CheckerSettings::default()
        };
        Ok((options, settings))
    }
}

#[cfg(test)]
mod tests;
