//! The check options inside a command of someone else's: they parse there as in the plugins,
//! and [`CheckArgs::to_check`] validates them the same way.

use super::*;
use clap::Parser;
use std::path::Path;

/// A command of its own, as `certprobe scan` is: its own options beside the check options.
#[derive(Debug, Parser)]
#[command(name = "host")]
struct Host {
    /// An option of the host command.
    #[arg(long)]
    targets: Option<String>,

    #[command(flatten)]
    check: CheckArgs,
}

fn host(args: &[&str]) -> Host {
    Host::try_parse_from(std::iter::once("host").chain(args.iter().copied())).unwrap()
}

#[test]
fn check_options_parse_inside_another_command() {
    let parsed = host(&[
        "--targets",
        "hosts.txt",
        "-w",
        "20",
        "-c",
        "5",
        "--ca-file",
        "x.pem",
        "--no-revocation",
    ]);
    assert_eq!(parsed.targets.as_deref(), Some("hosts.txt"));
    let (options, settings) = parsed.check.to_check().unwrap();
    let policy = &options.policy;
    assert_eq!(policy.warning, Threshold::MinDays(20.0));
    assert_eq!(policy.warning_days, 20.0);
    assert_eq!(policy.critical, Threshold::MinDays(5.0));
    assert_eq!(policy.critical_days, 5.0);
    assert!(!policy.revocation);
    // Everything not given keeps the plugins' defaults.
    assert_eq!(policy.name_mode, NameMode::CnSan);
    assert_eq!(policy.timeout_state, State::Unknown);
    assert_eq!(policy.min_ec_key_bits, 256);
    assert_eq!(policy.info_days, 90.0);
    assert_eq!(policy.max_validity_days, 398.0);
    assert!(!options.probe_protocols);
    // --ca-file without --trust: only the given file is trusted.
    assert!(!settings.trust.mozilla);
    assert!(!settings.trust.system);
    assert_eq!(settings.trust.files, [Path::new("x.pem")]);
    assert_eq!(settings.cache_dir, None);
    assert_eq!(settings.egress.private, PrivateRule::SameAsServer);
}

#[test]
fn critical_above_warning_is_refused_inside_another_command() {
    let error = host(&["-w", "5", "-c", "20"]).check.to_check().unwrap_err();
    assert_eq!(
        error,
        ArgumentError::CriticalAboveWarning {
            critical: 20.0,
            warning: 5.0,
        }
    );
    assert_eq!(
        error.to_string(),
        "-c 20 days is above -w 5 days: CRITICAL must come at fewer days left than WARNING"
    );
}

#[test]
fn the_defaults_are_the_engines() {
    let (options, settings) = host(&[]).check.to_check().unwrap();
    let default = Policy::default();
    assert_eq!(options.policy.warning, default.warning);
    assert_eq!(options.policy.critical, default.critical);
    assert_eq!(options.policy.revocation, default.revocation);
    assert!(settings.trust.mozilla);
    assert!(settings.trust.files.is_empty());
}

#[test]
fn shares_of_the_lifetime_are_taken_and_ordered_like_days() {
    let (options, _) = host(&["-w", "25%", "-c", "10%"]).check.to_check().unwrap();
    assert_eq!(options.policy.warning, Threshold::Percent(25.0));
    assert_eq!(options.policy.critical, Threshold::Percent(10.0));
    // Days and a share cannot be compared before a certificate is known: both are taken.
    assert!(host(&["-w", "25%", "-c", "7"]).check.to_check().is_ok());
    let error = host(&["-w", "10%", "-c", "20%"])
        .check
        .to_check()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "-c 20% is above -w 10%: CRITICAL must come at a smaller share of the lifetime left than WARNING"
    );
}
