//! The command line of the certprobe plugins: clap arguments (or a PRTG sensor parameter
//! string) into one typed config, then the engine's [`Checker`], then the output.
//! [`run`] does the work and returns text and exit code (tests call it directly);
//! [`main`] adds the process-level guarantees: a watchdog for the deadline, and exit.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod args;
mod check_args;
mod config;
mod plugin;
pub mod prtg_params;
mod stdin;

pub use args::{command, positive_seconds, Args, ArgumentError};
pub use check_args::{thresholds_fit, without_connection_options, CheckArgs, CONNECTION_OPTIONS};
pub use config::Config;
pub use plugin::{Plugin, LDAP_CERT, LMTP_CERT, SMTP_CERT, TLS_CERT};

use args::config_from;
use certprobe::render::{render, Format, Outcome, Rendered};
use certprobe::verdict::{Policy, State};
use certprobe::{Budget, CheckOptions, Checker, CheckerSettings, Target, TrustSelection};
use clap::FromArgMatches;
use prtg_params::PrtgParamsError;
use std::ffi::OsString;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use stdin::{read_stdin_params, split_params};

/// Parses arguments (the first is the program name). On failure, returns what to print.
pub fn parse(plugin: Plugin, args: Vec<OsString>) -> Result<Config, Rendered> {
    parse_with_stdin(plugin, args, || None)
}

/// The arguments, taken from `stdin_params` when there are none besides the program name:
/// PRTG Script v2 writes the sensor's parameter string to standard input, and then expects
/// JSON version 2 (`--output prtg-v2` is added unless the parameters name an output). The
/// flag says whether they came from there.
pub fn with_stdin_params(
    mut args: Vec<OsString>,
    stdin_params: impl FnOnce() -> Option<String>,
) -> (Vec<OsString>, bool) {
    let mut from_stdin = false;
    if args.len() <= 1 {
        if let Some(params) = stdin_params() {
            let words = split_params(&params);
            from_stdin = !words.is_empty();
            if from_stdin
                && !words.iter().any(|w| w.starts_with("--output") || w == "-o")
                && words[0].starts_with('-')
            {
                args.extend(["--output".into(), "prtg-v2".into()]);
            }
            args.extend(words.into_iter().map(OsString::from));
        }
    }
    (args, from_stdin)
}

/// The parameter string PRTG Script v2 writes to standard input, if any: read only when
/// standard input is not a terminal, at most 64 KiB, and for at most two seconds.
pub fn stdin_params() -> Option<String> {
    read_stdin_params()
}

/// Parses arguments, taking them from `stdin_params` when there are none: PRTG Script v2
/// writes the sensor's parameter string to standard input, and then expects JSON version 2.
fn parse_with_stdin(
    plugin: Plugin,
    args: Vec<OsString>,
    stdin_params: impl FnOnce() -> Option<String>,
) -> Result<Config, Rendered> {
    let (args, from_stdin) = with_stdin_params(args, stdin_params);
    let rest: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if prtg_params::applies(&rest) {
        let format = if from_stdin {
            Format::PrtgV2
        } else {
            Format::PrtgJson
        };
        return prtg_params::parse(&rest)
            .and_then(config_from_prtg)
            .map(|mut config| {
                config.format = format;
                config
            })
            .map_err(|error| usage_error(plugin, format, &error));
    }
    let (args, format) = parse_args::<Args>(plugin, command(plugin), args)?;
    config_from(plugin, args).map_err(|error| usage_error(plugin, format, &error))
}

/// Parses `args` (the first is the program name) with `cmd` into `A`, with the output format
/// sniffed from them (so PRTG gets its error JSON even when the rest is wrong): what every
/// plugin does first. On failure, what to print: `--help` and `--version` with exit 3, any
/// other error as UNKNOWN `invalid arguments: ...` in that format.
pub fn parse_args<A: FromArgMatches>(
    plugin: Plugin,
    cmd: clap::Command,
    args: Vec<OsString>,
) -> Result<(A, Format), Rendered> {
    let format = sniff_format(&args);
    let matches = cmd.try_get_matches_from(args).map_err(|e| match e.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => Rendered {
            text: e.to_string(),
            exit_code: State::Unknown.exit_code(),
        },
        _ => usage_error(plugin, format, &clap_message(&e)),
    })?;
    let args = A::from_arg_matches(&matches)
        .map_err(|e| usage_error(plugin, format, &clap_message(&e)))?;
    Ok((args, format))
}

/// The entry point of a plugin that is not a connecting one (`check_cert_inventory`,
/// `check_cert_file`): arguments (or PRTG Script v2's on stdin) through `parse`, a watchdog
/// printing what `on_timeout` says at the time limit it gives, the check, the output and
/// the exit code.
pub fn main_with<R>(
    parse: impl FnOnce(Vec<OsString>) -> Result<R, Rendered>,
    on_timeout: impl FnOnce(&R) -> (Duration, Rendered),
    check: impl FnOnce(&R) -> Rendered,
) -> ! {
    let started = Instant::now();
    let (args, _) = with_stdin_params(std::env::args_os().collect(), read_stdin_params);
    let request = match parse(args) {
        Ok(request) => request,
        Err(rendered) => emit(&rendered),
    };
    let (timeout, rendered) = on_timeout(&request);
    watchdog(timeout, started, rendered);
    emit(&check(&request))
}

/// The PRTG STARTTLS sensor's parameters as a configuration: its defaults, PRTG JSON output,
/// and the operating system's trust store, as that sensor used.
fn config_from_prtg(params: prtg_params::PrtgParams) -> Result<Config, PrtgParamsError> {
    let port = params.port.unwrap_or(params.protocol.default_port());
    let mut target = Target::new(&params.host, port, params.domain.as_deref())?;
    target.protocol = params.protocol;
    // The sensor reports names as checked against the device (0/1) or CN/SAN (5/6), never SNI.
    target.sni_explicit = false;
    Ok(Config {
        target,
        options: CheckOptions {
            policy: Policy {
                name_mode: params.validation,
                ..Policy::default()
            },
            fetch_intermediates: false,
            probe_protocols: false,
        },
        settings: CheckerSettings {
            trust: TrustSelection {
                mozilla: false,
                system: true,
                files: Vec::new(),
            },
            ..CheckerSettings::default()
        },
        format: Format::PrtgJson,
        verbosity: 0,
    })
}

/// The output format, read before full parsing so that even bad arguments are reported
/// in the caller's format (PRTG must get JSON, never a usage text).
pub fn sniff_format(args: &[OsString]) -> Format {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut found = Format::Nagios;
    for (i, arg) in args.iter().enumerate() {
        let value = match arg.as_str() {
            "-o" | "--output" => args.get(i + 1).map(String::as_str),
            other => other
                .strip_prefix("--output=")
                .or_else(|| other.strip_prefix("-o")),
        };
        if let Some(format) = value.and_then(Format::from_name) {
            found = format;
        }
    }
    found
}

/// clap's first paragraph on one line, without its `error: ` prefix.
pub fn clap_message(e: &clap::Error) -> String {
    let text = e.to_string();
    let paragraph: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let joined = paragraph.join(" ");
    joined
        .strip_prefix("error: ")
        .unwrap_or(&joined)
        .to_string()
}

/// An argument error in `format`: UNKNOWN `invalid arguments: <message>`, with the plugin's
/// usage line in the Nagios output (PRTG gets its error JSON, and so on).
pub fn usage_error(plugin: Plugin, format: Format, message: &dyn std::fmt::Display) -> Rendered {
    let outcome = Outcome::usage(&format!("invalid arguments: {message}"));
    render(format, &outcome, &plugin.context(0))
}

/// Parses and checks in one call: what a plugin binary does, minus the process exit.
pub fn run(plugin: Plugin, args: Vec<OsString>) -> Rendered {
    match parse(plugin, args) {
        Err(rendered) => rendered,
        Ok(config) => check(plugin, &config, Budget::within(config.target.timeout)),
    }
}

/// Builds the checker and checks the configured target within `budget`.
pub fn check(plugin: Plugin, config: &Config, budget: Budget) -> Rendered {
    let context = plugin.context(config.verbosity);
    let outcome = match Checker::new(&config.settings) {
        Ok(checker) => checker.check(&config.target, &config.options, &budget),
        Err(error) => Outcome::usage(&error.to_string()),
    };
    render(config.format, &outcome, &context)
}

/// Set by whichever of the check and the watchdog prints first; the other stays silent.
static PRINTED: AtomicBool = AtomicBool::new(false);

/// Prints `rendered` to stdout and exits with its code; whichever of the check and the
/// watchdog ([`watchdog`]) comes first prints, and the other waits for the exit.
pub fn emit(rendered: &Rendered) -> ! {
    if PRINTED.swap(true, Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(rendered.text.as_bytes());
    let _ = out.flush();
    std::process::exit(rendered.exit_code)
}

/// The entry point of every plugin binary.
pub fn main(plugin: Plugin) -> ! {
    let started = Instant::now();
    let config = match parse_with_stdin(plugin, std::env::args_os().collect(), read_stdin_params) {
        Ok(config) => config,
        Err(rendered) => emit(&rendered),
    };
    let timeout = config.target.timeout;
    let budget = Budget::within(timeout);
    // Belt and braces: every step has its own deadline, but nothing may keep the process
    // past the timeout, so a watchdog prints the timeout result and exits.
    watchdog(timeout, started, timeout_output(plugin, &config, &budget));
    let rendered = check(plugin, &config, budget);
    emit(&rendered)
}

/// Starts the watchdog: at `timeout` after `started` (less a margin of at most 25 ms), it
/// prints `on_timeout` and exits, unless the process has printed its result by then.
pub fn watchdog(timeout: Duration, started: Instant, on_timeout: Rendered) {
    let _ = std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || {
            let margin = (timeout / 40).min(Duration::from_millis(25));
            std::thread::sleep(
                timeout
                    .saturating_sub(margin)
                    .saturating_sub(started.elapsed()),
            );
            emit(&on_timeout);
        });
}

fn timeout_output(plugin: Plugin, config: &Config, budget: &Budget) -> Rendered {
    let error = budget.deadline.expired("before the check completed");
    let outcome = Outcome::timed_out(&config.target, &config.options.policy, &error);
    render(config.format, &outcome, &plugin.context(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prtg_name_that_is_no_host_name_is_a_parameter_error() {
        let params = |host: &str, domain: Option<&str>| prtg_params::PrtgParams {
            host: host.into(),
            port: None,
            protocol: certprobe::Protocol::Smtp,
            domain: domain.map(Into::into),
            validation: certprobe::analysis::NameMode::CnSan,
        };
        let error = |p| match config_from_prtg(p) {
            Ok(_) => panic!("accepted"),
            Err(error) => error,
        };
        let bad = error(params("mx..example", None));
        assert_eq!(
            bad,
            PrtgParamsError::HostName(certprobe::idna::HostNameError::EmptyLabel(
                "mx..example".into()
            ))
        );
        assert_eq!(bad.to_string(), "'mx..example' has an empty label");
        let bad = error(params("192.0.2.25", Some("mta example")));
        assert_eq!(bad.to_string(), "'mta example' is not a valid host name");
        let config = config_from_prtg(params("192.0.2.25", Some("mta.example"))).unwrap();
        assert_eq!(config.target.port, 25);
        assert_eq!(config.target.sni.as_deref(), Some("mta.example"));
        assert!(!config.target.sni_explicit);
    }
}
