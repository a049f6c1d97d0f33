//! The `certprobe` command: `scan` finds the certificates of networks into the inventory,
//! `inventory` queries it. The binary in `plugins/certprobe.rs` calls [`main`].

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod as_check;
mod audit_cmd;
mod audit_export;
mod audit_finish;
mod audit_plan;
pub mod cli;
mod daemon_cmd;
pub mod export;
mod import_cmd;
mod inventory_cmd;
mod inventory_db;
mod notify_cmd;
pub mod output;
mod owners_cmd;
mod parallel;
mod report_cmd;
mod scan_cmd;
mod scan_export;
mod serve_cmd;

use clap::Parser;
use cli::{Cli, Command};
use std::ffi::OsString;
use std::fmt;

/// Why a command failed, as one sentence for standard error.
#[derive(Debug)]
pub enum FleetError {
    /// Bad arguments or a bad config file.
    Arguments(String),
    /// The checker could not be built (a CA file that cannot be read).
    Setup(String),
    /// The inventory refused.
    Inventory(certprobe_inventory::InventoryError),
    /// The scan could not run or store its results.
    Scan(String),
    /// The command ran, and part of it failed: print `stdout`, then `reason`, exit 1.
    Incomplete {
        /// What it printed.
        stdout: String,
        /// What failed, in one sentence.
        reason: String,
    },
    /// `--as-check` ran and its state is not OK: print `stdout`, exit `code` (1 to 3).
    State {
        /// The check's line.
        stdout: String,
        /// Its state.
        code: i32,
    },
    /// An output file cannot be written.
    Output {
        /// The file.
        path: String,
        /// Why, in words.
        reason: String,
    },
}

impl FleetError {
    fn arguments(e: impl fmt::Display) -> FleetError {
        FleetError::Arguments(e.to_string())
    }
}

impl fmt::Display for FleetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FleetError::Arguments(m) | FleetError::Setup(m) | FleetError::Scan(m) => f.write_str(m),
            FleetError::Inventory(e) => e.fmt(f),
            FleetError::Output { path, reason } => write!(f, "cannot write {path}: {reason}"),
            FleetError::Incomplete { reason, .. } => f.write_str(reason),
            FleetError::State { stdout, .. } => f.write_str(stdout.trim_end()),
        }
    }
}

impl std::error::Error for FleetError {}

/// What a run of the command prints and exits with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The exit code: 0 done, 1 failed, 2 bad usage.
    pub code: i32,
}

/// The clap command of `certprobe` with its subcommands: the one [`run`] parses with, for the
/// man pages and the shell completions (`examples/gen_docs.rs`).
pub fn command() -> clap::Command {
    // An audit reads files: the check options about a connection are not shown for it.
    <Cli as clap::CommandFactory>::command()
        .mut_subcommand("audit", certprobe_cli::without_connection_options)
}

/// Runs the command with `args` (the first is the program name).
pub fn run(args: Vec<OsString>) -> Ran {
    // `scan --as-check` and `audit --as-check` answer as a check plugin, failures included.
    let check_service = {
        let words: Vec<&OsString> = args.iter().skip(1).collect();
        let service = words.iter().find_map(|w| match w.to_str() {
            Some("scan") => Some(scan_cmd::SERVICE),
            Some("audit") => Some(audit_cmd::SERVICE),
            _ => None,
        });
        service.filter(|_| words.iter().any(|w| *w == "--as-check"))
    };
    let ran = run_command(args);
    match check_service {
        Some(service) if ran.code != 0 && ran.stdout.is_empty() => {
            let reason = ran.stderr.trim_end();
            let reason = reason.strip_prefix("certprobe: ").unwrap_or(reason);
            // clap's message: its first paragraph, without `error: `.
            let reason = reason.split("\n\n").next().unwrap_or(reason);
            let reason = reason.strip_prefix("error: ").unwrap_or(reason);
            let (stdout, code) =
                as_check::failure(service, &reason.replace('\n', " "), ran.code == 2);
            Ran {
                stdout,
                stderr: String::new(),
                code,
            }
        }
        _ => ran,
    }
}

fn run_command(args: Vec<OsString>) -> Ran {
    let (args, config) = match with_config_defaults(args) {
        Ok(found) => found,
        Err(e) => return failed(&e, 2),
    };
    let parsed = command()
        .try_get_matches_from(args)
        .and_then(|matches| <Cli as clap::FromArgMatches>::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let text = e.render().to_string();
            return Ran {
                stdout: if code == 0 {
                    text.clone()
                } else {
                    String::new()
                },
                stderr: if code == 0 { String::new() } else { text },
                code,
            };
        }
    };
    let db = match &cli.command {
        // An import writes, as an audit does: the inventory it may have to create.
        Command::Inventory(cli::InventoryCommand::Import(_)) => {
            certprobe_inventory::path::inventory_path(cli.db.as_ref())
        }
        Command::Inventory(_) => certprobe_inventory::path::inventory_path_to_read(cli.db.as_ref()),
        Command::Scan(_) | Command::Daemon(_) | Command::Audit(_) | Command::Notify(_) => {
            certprobe_inventory::path::inventory_path(cli.db.as_ref())
        }
        Command::Owners(_) | Command::Report(_) | Command::Serve(_) => {
            certprobe_inventory::path::inventory_path_to_read(cli.db.as_ref())
        }
    };
    let result = match &cli.command {
        Command::Scan(scan) => scan_cmd::run(scan, config.as_ref(), &db),
        Command::Inventory(query) => inventory_cmd::run(query, &db),
        Command::Daemon(daemon) => daemon_cmd::run(daemon, &db),
        Command::Audit(audit) => audit_cmd::run(audit, config.as_ref(), &db),
        Command::Notify(notify) => notify_cmd::run(notify, &db),
        Command::Owners(owners) => owners_cmd::run(owners, &db),
        Command::Report(report) => report_cmd::run(report, &db),
        Command::Serve(serve) => serve_cmd::run(serve, &db),
    };
    match result {
        Ok(stdout) => Ran {
            stdout,
            stderr: String::new(),
            code: 0,
        },
        Err(e @ FleetError::Arguments(_)) => failed(&e, 2),
        Err(FleetError::State { stdout, code }) => Ran {
            stdout,
            stderr: String::new(),
            code,
        },
        Err(FleetError::Incomplete { stdout, reason }) => Ran {
            stdout,
            stderr: format!("certprobe: {}\n", certprobe::text::visible(&reason)),
            code: 1,
        },
        Err(e) => failed(&e, 1),
    }
}

fn failed(e: &dyn fmt::Display, code: i32) -> Ran {
    Ran {
        stdout: String::new(),
        stderr: format!("certprobe: {}\n", certprobe::text::visible(&e.to_string())),
        code,
    }
}

/// A scan's or an audit's `--config FILE`: reads it, checks each `[defaults]` key as the
/// scan option of the same name (an error names the file and line), and puts those options
/// before the user's, so that the command line wins. An audit takes the ones it has (the
/// thresholds, the CA files), not the scan's connection limits.
fn with_config_defaults(
    args: Vec<OsString>,
) -> Result<(Vec<OsString>, Option<certprobe_scan::config::Config>), FleetError> {
    let words: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let Some(scan_at) = words.iter().position(|w| w == "scan" || w == "audit") else {
        return Ok((args, None));
    };
    let audit = words[scan_at] == "audit";
    let path = words.iter().enumerate().skip(scan_at).find_map(|(i, w)| {
        if w == "--config" {
            words.get(i + 1).cloned()
        } else {
            w.strip_prefix("--config=").map(str::to_string)
        }
    });
    let Some(path) = path else {
        return Ok((args, None));
    };
    let config =
        certprobe_scan::config::load(std::path::Path::new(&path)).map_err(FleetError::arguments)?;
    let mut defaults = default_words(&config, &path)?;
    if audit {
        defaults = audit_words(&config);
    }
    let mut merged: Vec<OsString> = args[..=scan_at].to_vec();
    merged.extend(defaults);
    merged.extend(args[scan_at + 1..].iter().cloned());
    Ok((merged, Some(config)))
}

/// The config's `[defaults]` as scan options, each checked as the option of the same name
/// (an error names the file and line).
fn default_words(
    config: &certprobe_scan::config::Config,
    path: &str,
) -> Result<Vec<OsString>, FleetError> {
    let mut defaults: Vec<OsString> = Vec::new();
    for option in &config.defaults {
        let probe = ["certprobe", "scan", "--targets", "192.0.2.1"]
            .into_iter()
            .map(String::from)
            .chain(option.words.iter().cloned());
        if let Err(e) = Cli::try_parse_from(probe) {
            return Err(FleetError::Arguments(format!(
                "{path}:{}: {}: {}",
                option.line,
                option.key,
                clap_sentence(&e)
            )));
        }
        defaults.extend(option.words.iter().map(OsString::from));
    }
    Ok(defaults)
}

/// The config's `[defaults]` (checked by [`default_words`]) that `certprobe audit` takes.
fn audit_words(config: &certprobe_scan::config::Config) -> Vec<OsString> {
    let mut words: Vec<OsString> = Vec::new();
    for option in &config.defaults {
        let probe = ["certprobe", "audit", "/"]
            .into_iter()
            .map(String::from)
            .chain(option.words.iter().cloned());
        if Cli::try_parse_from(probe).is_ok() {
            words.extend(option.words.iter().map(OsString::from));
        }
    }
    words
}

/// clap's first paragraph on one line, without `error: `.
fn clap_sentence(e: &clap::Error) -> String {
    let text = e.to_string();
    let first: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let joined = first.join(" ");
    joined
        .strip_prefix("error: ")
        .unwrap_or(&joined)
        .to_string()
}

/// The entry point of the `certprobe` binary.
pub fn main() -> ! {
    use std::io::Write;
    let ran = run(std::env::args_os().collect());
    let _ = std::io::stdout().write_all(ran.stdout.as_bytes());
    let _ = std::io::stderr().write_all(ran.stderr.as_bytes());
    let _ = std::io::stdout().flush();
    std::process::exit(ran.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's `[alarms]`/`[notify]`/`[[owner]]` example reads, and means what the
    /// README says: web-team's certificate rule wins, dual layer, three owners. Its secrets
    /// from the environment are given inline here, and its password file is made.
    #[test]
    fn the_readme_notify_example_is_valid() {
        let readme = include_str!("../../../README.md");
        let at = readme.find("```toml\n[alarms]").unwrap() + "```toml\n".len();
        let example = &readme[at..at + readme[at..].find("```").unwrap()];
        let example = example
            .replace(
                "auth_password_env = \"SNMP_AUTH\"",
                "auth_password = \"authpass123\"",
            )
            .replace(
                "privacy_password_env = \"SNMP_PRIV\"",
                "privacy_password = \"privpass123\"",
            );
        let folder =
            std::env::temp_dir().join(format!("certprobe-readme-notify-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("smtp.password"), "secret\n").unwrap();
        let config =
            certprobe_scan::config::parse("certprobe.toml", &example, Some(&folder)).unwrap();
        std::fs::remove_dir_all(&folder).ok();
        let names: Vec<&str> = config
            .owners
            .owners
            .iter()
            .map(|o| o.name.as_str())
            .collect();
        assert_eq!(names, ["web-team", "dmz-ops"]);
        assert_eq!(config.owners.default.name, "ops");
        assert!(config.owners.owners[0].dual_layer);
        assert_eq!(
            config
                .notify
                .mail
                .as_ref()
                .unwrap()
                .password
                .as_ref()
                .unwrap()
                .0,
            "secret"
        );
        assert_eq!(config.thresholds, certprobe_alarm::Thresholds::default());
    }

    /// The README's `[[audit]]` example reads as written, its names and stores parsed.
    #[test]
    fn the_readme_audit_example_is_valid() {
        let readme = include_str!("../../../README.md");
        let at = readme.find("```toml\n[[audit]]").unwrap() + "```toml\n".len();
        let example = &readme[at..at + readme[at..].find("```").unwrap()];
        let config = certprobe_scan::config::parse("certprobe.toml", example, None).unwrap();
        let names: Vec<&str> = config.audits.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["web", "java"]);
        assert_eq!(config.audits[0].names[0].1.text, "shop.example.com");
    }

    /// The README's config example is what users copy: it must read, and each of its
    /// `[defaults]` keys must be an option of `certprobe scan`.
    #[test]
    fn the_readme_config_example_is_valid() {
        let readme = include_str!("../../../README.md");
        let start = readme.find("```toml\n").unwrap() + "```toml\n".len();
        let example = &readme[start..start + readme[start..].find("```").unwrap()];
        let dir = std::env::temp_dir().join(format!("certprobe-readme-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("certprobe.toml"), example).unwrap();
        std::fs::write(dir.join("dmz-names.txt"), "192.0.2.30 a.example.com\n").unwrap();
        let args: Vec<OsString> = ["certprobe", "scan", "--config"]
            .into_iter()
            .map(OsString::from)
            .chain([dir.join("certprobe.toml").into_os_string()])
            .collect();
        let (merged, config) = with_config_defaults(args).unwrap();
        let config = config.unwrap();
        assert_eq!(config.jobs[0].name, "dmz");
        assert!(Cli::try_parse_from(merged).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
