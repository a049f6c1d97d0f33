//! `check_cert_file`: a plugin over certificate files, folders, keystores and the Windows
//! certificate stores, judged as `check_tls_cert` judges a served chain (expiry, key,
//! signature, chain as found, trust against the anchors; the name with `--name`), with the
//! audit's readers (PEM, DER, PKCS#7, PKCS#12, JKS, JCEKS) and its places: one certificate
//! prints as `check_tls_cert` would, a folder, a bundle or a store as several outcomes, the
//! worst winning ([`certprobe::render::many`]).
//!
//! [`run`] parses and checks and returns text and exit code (tests call it); [`main`] adds the
//! watchdog and the exit, as the other plugins do.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use certprobe::render::many::{self, Item, Noun};
use certprobe::render::{Format, Rendered};
use certprobe::verdict::Check;
use certprobe::{Outcome, Protocol};
use certprobe_audit::{
    judge_file, judge_store, password_from, AuditOptions, Auditor, FileError, Judging, Secret,
    DEFAULT_MAX_FILE_SIZE,
};
use certprobe_cli::{CheckArgs, Plugin};
use clap::{ArgAction, Parser};
use serde_json::json;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// The plugin as the outputs name it.
pub const FILE: Plugin = Plugin {
    binary: "check_cert_file",
    short_name: "CERT_FILE",
    protocol: Protocol::Tls,
    usage: "PATH... | --windows-store STORE [options]",
};

/// The options of check_cert_file.
#[derive(Debug, Parser)]
#[command(
    name = "check_cert_file",
    bin_name = "check_cert_file",
    version,
    about = "Checks the certificates in files, folders and keystores (PEM, DER, PKCS#7, PKCS#12, JKS, JCEKS): no network, the verdict of check_tls_cert on each chain as found.",
    after_help = "States: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. Several certificates (a folder, a bundle, a keystore): the worst wins, each one listed. A file that cannot be read is UNKNOWN with the reason; files without a certificate in a folder are left out."
)]
pub struct Args {
    /// Files and folders to check (folders recursively).
    #[arg(value_name = "PATH", required_unless_present = "windows_store")]
    paths: Vec<PathBuf>,

    /// A Windows certificate store to check (repeatable): My (the machine's),
    /// LocalMachine\WebHosting, CurrentUser\My; each of its certificates is one outcome
    /// (PRTG: the soonest expiry is the primary channel). On Windows only.
    #[arg(long, value_name = "STORE", value_parser = certprobe_winstore::StoreName::parse)]
    windows_store: Vec<certprobe_winstore::StoreName>,

    /// The name the certificates must cover (as the host of check_tls_cert; --name-check
    /// says how); no name check without it.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,

    /// Only files below a folder matching one of these globs: '**/*.pem' (repeatable).
    #[arg(long, value_name = "GLOB")]
    include: Vec<String>,

    /// Leave out files and folders matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,

    /// Follow symbolic links below the folders (a loop is reported, never followed).
    #[arg(long)]
    follow_symlinks: bool,

    /// The password of PKCS#12 files and keystores, from this file (its first line).
    #[arg(long, value_name = "FILE", conflicts_with = "password_env")]
    password_file: Option<PathBuf>,

    /// The password of PKCS#12 files and keystores, from this environment variable.
    #[arg(long, value_name = "NAME")]
    password_env: Option<String>,

    /// Output format for the monitoring system that runs the check.
    #[arg(short, long, value_name = "FORMAT", default_value = "nagios", value_parser = Format::NAMES)]
    output: String,

    /// Time limit for reading the files.
    #[arg(short, long, value_name = "SECONDS", default_value_t = 10.0, allow_negative_numbers = true, value_parser = certprobe_cli::positive_seconds)]
    timeout: f64,

    /// More detail: -v adds each chain (subject, issuer, validity, key, SHA-256).
    #[arg(short, long, action = ArgAction::Count)]
    verbose: u8,

    /// The checks, as in check_tls_cert (the ones about a connection do not apply: hidden).
    #[command(flatten)]
    check: CheckArgs,
}

/// The clap command of check_cert_file, for [`parse`], the man page and the completions.
pub fn command() -> clap::Command {
    certprobe_cli::without_connection_options(<Args as clap::CommandFactory>::command())
}

/// What to check, and how.
pub struct Request {
    args: Args,
    format: Format,
    timeout: Duration,
    options: certprobe::CheckOptions,
    settings: certprobe::CheckerSettings,
    password: Option<Secret>,
    name: Option<String>,
}

/// Parses arguments (the first is the program name); on failure, what to print: UNKNOWN in
/// the caller's format (PRTG gets its JSON), `--help` and `--version` with exit 3.
pub fn parse(args: Vec<OsString>) -> Result<Request, Rendered> {
    let (args, format) = certprobe_cli::parse_args::<Args>(FILE, command(), args)?;
    let usage = |message: &dyn std::fmt::Display| certprobe_cli::usage_error(FILE, format, message);
    let format = Format::from_name(&args.output).unwrap_or(format);
    let (options, settings) = args.check.to_check().map_err(|e| usage(&e))?;
    let name = match &args.name {
        Some(name) => Some(certprobe::idna::to_ascii_name(name).map_err(|e| usage(&e))?),
        None => None,
    };
    let password = password_from(args.password_file.as_deref(), args.password_env.as_deref())
        .map_err(|e| usage(&e))?;
    Ok(Request {
        timeout: Duration::from_secs_f64(args.timeout),
        format,
        options,
        settings,
        password,
        name,
        args,
    })
}

/// Checks the request's files at the time `now` (Unix seconds).
pub fn check(request: &Request, now: i64) -> Rendered {
    let context = FILE.context(request.args.verbose);
    let unknown = |check: Check, message: &str| {
        certprobe::render::render(request.format, &Outcome::unknown(check, message), &context)
    };
    let store = match certprobe::load_trust(&request.settings.trust) {
        Ok(store) => store,
        Err(e) => return unknown(Check::Setup, &e.to_string()),
    };
    let auditor = match Auditor::new(&AuditOptions {
        include: request.args.include.clone(),
        exclude: request.args.exclude.clone(),
        follow_symlinks: request.args.follow_symlinks,
        max_file_size: DEFAULT_MAX_FILE_SIZE,
        password: request.password.clone(),
    }) {
        Ok(auditor) => auditor,
        Err(e) => return unknown(Check::Arguments, &e.to_string()),
    };
    let name_mode = request.options.policy.name_mode;
    let judging = Judging {
        store: &store,
        policy: &request.options.policy,
        name: request.name.as_deref().map(|n| (n, name_mode)),
        now,
    };
    // A file that could not be read: its reason (the path is its label, or said with it
    // when it is all there is to print).
    let mut outcomes: Vec<(String, Result<Outcome, String>, serde_json::Value)> = Vec::new();
    for outcome in auditor.audit(&request.args.paths) {
        let path = outcome.display_path();
        let format = outcome.format.map_or("", |f| f.name());
        let about = |place: &str| json!({"path": path, "place": place, "format": format});
        match &outcome.result {
            Ok(contents) => {
                for place in judge_file(&path, outcome.format, contents, &judging) {
                    let extra = about(&place.name);
                    outcomes.push((place.name, Ok(place.outcome), extra));
                }
            }
            // A folder's files without a certificate are not the check's business; a file
            // named on the command line is.
            Err(FileError::NoCertificate(_)) if !request.args.paths.contains(&outcome.path) => {}
            Err(error) => {
                let extra = about(&path);
                outcomes.push((path.clone(), Err(error.to_string()), extra));
            }
        }
    }
    for store in &request.args.windows_store {
        let label = store.to_string();
        let about = |place: &str| json!({"store": label, "place": place});
        match certprobe_winstore::read(store) {
            Ok(certificates) => {
                for place in judge_store(store, &certificates, &judging) {
                    let extra = about(&place.name);
                    outcomes.push((place.name, Ok(place.outcome), extra));
                }
            }
            Err(error) => {
                let extra = about(&label);
                outcomes.push((label.clone(), Err(error.to_string()), extra));
            }
        }
    }
    if outcomes.is_empty() {
        let named: Vec<String> = request
            .args
            .paths
            .iter()
            .map(|p| certprobe::text::visible(&p.display().to_string()))
            .chain(request.args.windows_store.iter().map(ToString::to_string))
            .collect();
        return unknown(
            Check::File,
            &format!("no certificate found in {}", named.join(", ")),
        );
    }
    let alone = outcomes.len() == 1;
    let outcomes: Vec<(String, Outcome, serde_json::Value)> = outcomes
        .into_iter()
        .map(|(label, outcome, extra)| {
            let outcome = outcome.unwrap_or_else(|reason| {
                let message = if alone {
                    format!("{}: {reason}", certprobe::text::visible(&label))
                } else {
                    reason
                };
                Outcome::unknown(Check::File, &message)
            });
            (label, outcome, extra)
        })
        .collect();
    let items: Vec<Item<'_>> = outcomes
        .iter()
        .map(|(label, outcome, extra)| Item {
            label: certprobe::text::visible(label),
            outcome,
            extra: Some(("file", extra.clone())),
            series: Vec::new(),
        })
        .collect();
    match items.as_slice() {
        [one] => many::render_one(request.format, one, &context),
        all => many::render_many(
            request.format,
            all,
            Noun {
                plural: "certificates",
            },
            &context,
        ),
    }
}

/// Parses and checks in one call, at the time `now`: what the binary does, minus the exit.
pub fn run(args: Vec<OsString>, now: i64) -> Rendered {
    match parse(args) {
        Ok(request) => check(&request, now),
        Err(rendered) => rendered,
    }
}

/// The entry point of the binary: arguments (or PRTG Script v2's on stdin), a watchdog at
/// `--timeout`, the check, the output and the exit code.
pub fn main() -> ! {
    certprobe_cli::main_with(
        parse,
        |request| {
            let on_timeout = certprobe::render::render(
                request.format,
                &Outcome::unknown(
                    Check::Timeout,
                    &format!(
                        "the files could not be read within {} s",
                        request.timeout.as_secs_f64()
                    ),
                ),
                &FILE.context(0),
            );
            (request.timeout, on_timeout)
        },
        |request| check(request, certprobe::clock::now_unix()),
    )
}
