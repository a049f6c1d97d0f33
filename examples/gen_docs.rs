//! Writes the man pages and shell completions of every program, generated from the clap
//! definitions the programs themselves parse with (`certprobe_cli::command` for the four
//! connecting plugins, `certprobe_inventory_check::command`, `certprobe_fleet::command`), so
//! the documentation can never disagree with the options.
//!
//!     cargo run --release --example gen_docs -- OUT
//!
//! Into OUT:
//!
//! ```text
//! man/check_tls_cert.1                    (one per plugin, clap_mangen; also
//!                                          check_smtp_cert, check_lmtp_cert, check_ldap_cert,
//!                                          check_cert_inventory)
//! man/certprobe.1                         (the certprobe command, and one page per
//! man/certprobe-scan.1                     subcommand, named as git's and cargo's are)
//! man/certprobe-inventory.1
//! man/certprobe-inventory-certificates.1  (and -where, -endpoints, -history, -runs,
//!                                          -export, -cleanup)
//! man/certprobe-daemon.1
//! completions/bash/check_tls_cert         (clap_complete; one per program, the certprobe
//! completions/zsh/_check_tls_cert          command's with its subcommands)
//! completions/fish/check_tls_cert.fish
//! ```
//!
//! The file names are the ones man, bash-completion, zsh and fish look for when the files are
//! installed to their vendor folders. Every page ends with SEE ALSO, the pages of the commands
//! above, below and beside it (and the related programs); gen_docs fails when one of those,
//! or of the SUBCOMMANDS clap_mangen lists, is not a page it wrote.

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Arg, Command};
use clap_complete::Shell;
use clap_mangen::roff::{bold, roman, Roff};
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const PLUGINS: [certprobe_cli::Plugin; 4] = [
    certprobe_cli::TLS_CERT,
    certprobe_cli::SMTP_CERT,
    certprobe_cli::LMTP_CERT,
    certprobe_cli::LDAP_CERT,
];

/// One program: its command (with subcommands), the manual its pages belong to (the `.TH`
/// line), and the pages of other programs its main page refers to.
struct Program {
    command: Command,
    manual: &'static str,
    see_also: &'static [&'static str],
}

fn programs() -> Vec<Program> {
    let mut programs: Vec<Program> = PLUGINS
        .into_iter()
        .map(|plugin| Program {
            command: certprobe_cli::command(plugin),
            manual: "Monitoring Plugins",
            see_also: &[],
        })
        .collect();
    programs.push(Program {
        command: certprobe_inventory_check::command(),
        manual: "Monitoring Plugins",
        see_also: &[
            "certprobe",
            "certprobe-scan",
            "certprobe-inventory-endpoints",
            "check_tls_cert",
        ],
    });
    programs.push(Program {
        command: certprobe_file_check::command(),
        manual: "Monitoring Plugins",
        see_also: &["certprobe-audit", "check_tls_cert"],
    });
    programs.push(Program {
        command: certprobe_fleet::command(),
        manual: "certprobe Manual",
        see_also: &["check_cert_inventory"],
    });
    programs
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(out), None) = (args.next(), args.next()) else {
        eprintln!("usage: gen_docs OUT_DIR");
        return ExitCode::from(2);
    };
    match generate(Path::new(&out)) {
        Ok(written) => {
            for path in written {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_docs: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes every file and returns their paths.
fn generate(out: &Path) -> io::Result<Vec<PathBuf>> {
    let man_dir = out.join("man");
    let shells = [
        (Shell::Bash, "bash", "", ""),
        (Shell::Zsh, "zsh", "_", ""),
        (Shell::Fish, "fish", "", ".fish"),
    ];
    fs::create_dir_all(&man_dir)?;
    for (_, dir, _, _) in &shells {
        fs::create_dir_all(out.join("completions").join(dir))?;
    }

    let date = page_date()?;
    let mut written = Vec::new();
    let mut pages_written = BTreeSet::new();
    let mut references = Vec::new();
    for program in programs() {
        let name = program.command.get_name().to_string();

        // The subcommands' display names (certprobe-inventory-where), bin names (certprobe
        // inventory where) and the global --db are set by build(); `help` is no page.
        let mut root = program.command.clone().disable_help_subcommand(true);
        root.build();
        let version = root.get_version().unwrap_or_default().to_string();
        for page in pages(&root, &program) {
            let man = clap_mangen::Man::new(page.cmd.clone())
                .section("1")
                .date(&date)
                .source(format!("certprobe {version}"))
                .manual(program.manual);
            let mut text = Vec::new();
            man.render(&mut text)?;
            text.extend(see_also(&page.see_also).into_bytes());
            let path = man_dir.join(man.get_filename());
            fs::write(&path, text)?;
            written.push(path);
            pages_written.insert(page.name.clone());
            references.extend(page.see_also.into_iter().map(|r| (page.name.clone(), r)));
            // The SUBCOMMANDS section's names, as clap_mangen writes them.
            references.extend(
                visible_subcommands(page.cmd).map(|sub| (page.name.clone(), page_name(sub))),
            );
        }

        for (shell, dir, prefix, suffix) in &shells {
            let mut cmd = without_hidden(&program.command);
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut cmd, name.clone(), &mut script);
            let path = out
                .join("completions")
                .join(dir)
                .join(format!("{prefix}{name}{suffix}"));
            fs::write(&path, script)?;
            written.push(path);
        }
    }

    let dangling: Vec<String> = references
        .iter()
        .filter(|(_, to)| !pages_written.contains(to))
        .map(|(from, to)| format!("{from}(1) refers to {to}(1)"))
        .collect();
    if !dangling.is_empty() {
        return Err(io::Error::other(format!(
            "references to pages not written: {}",
            dangling.join(", ")
        )));
    }
    Ok(written)
}

/// The pages' date (`.TH`'s third field, the footer's middle): SOURCE_DATE_EPOCH's day when
/// it is set, as reproducible builds do (packaging/linux/build.sh sets it to the commit's
/// time), else today's, in UTC. Without one, clap_mangen leaves the field empty, and man then
/// shows the source as the date and the manual as the source.
fn page_date() -> io::Result<String> {
    let now = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(epoch) if !epoch.trim().is_empty() => epoch
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|seconds| time::OffsetDateTime::from_unix_timestamp(seconds).ok())
            .ok_or_else(|| {
                io::Error::other(format!("SOURCE_DATE_EPOCH '{epoch}' is no Unix time"))
            })?,
        _ => time::OffsetDateTime::now_utc(),
    };
    Ok(now.date().to_string())
}

/// One man page: a command of the tree and the pages its SEE ALSO names.
struct Page<'a> {
    cmd: &'a Command,
    name: String,
    see_also: Vec<String>,
}

/// The pages of a built command tree, the root's first: each names in SEE ALSO the commands
/// above it, its own subcommands, the subcommands beside it and, for the root, the related
/// programs.
fn pages<'a>(root: &'a Command, program: &Program) -> Vec<Page<'a>> {
    fn walk<'a>(cmd: &'a Command, above: &[String], beside: Vec<String>, out: &mut Vec<Page<'a>>) {
        let name = page_name(cmd);
        let below: Vec<String> = visible_subcommands(cmd).map(page_name).collect();
        let mut see_also = above.to_vec();
        see_also.extend(below.iter().cloned());
        see_also.extend(beside);
        out.push(Page {
            cmd,
            name: name.clone(),
            see_also,
        });
        let mut above = above.to_vec();
        above.push(name);
        for sub in visible_subcommands(cmd) {
            let own = page_name(sub);
            let beside = below.iter().filter(|b| **b != own).cloned().collect();
            walk(sub, &above, beside, out);
        }
    }
    let mut out = Vec::new();
    walk(root, &[], Vec::new(), &mut out);
    if let Some(main) = out.first_mut() {
        main.see_also
            .extend(program.see_also.iter().map(|s| s.to_string()));
    }
    out
}

/// The page name clap_mangen gives a built command: certprobe-inventory-where.
fn page_name(cmd: &Command) -> String {
    cmd.get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string()
}

fn visible_subcommands(cmd: &Command) -> impl Iterator<Item = &Command> {
    cmd.get_subcommands().filter(|s| !s.is_hide_set())
}

/// The SEE ALSO section (last, as man-pages(7) orders them): `.SH` and a line of
/// `name(1), ...`; nothing when there is nothing to name. clap_mangen 0.2 writes none.
fn see_also(pages: &[String]) -> String {
    if pages.is_empty() {
        return String::new();
    }
    let mut line = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        if i > 0 {
            line.push(roman(", "));
        }
        line.push(bold(page.as_str()));
        line.push(roman("(1)"));
    }
    // Left-aligned and not hyphenated, so that no page name is broken across lines
    // (cert-probe-inventory-where(1)); restored after.
    let mut roff = Roff::new();
    roff.control("SH", ["SEE ALSO"]);
    roff.control("nh", []).control("ad", ["l"]);
    roff.text(line);
    roff.control("ad", []).control("hy", []);
    roff.to_roff()
}

/// The command for a completion script: a copy without its hidden options and subcommands,
/// at every level. clap_complete (4.6) offers hidden options too (clap-rs/clap#1335; its
/// option lists do not look at `is_hide_set`), and the hidden options are ones the
/// program rejects (`--ldaps` for check_tls_cert, `--starttls` for check_ldap_cert, ...) or
/// that are for tests (`certprobe daemon --test-clock`). clap_mangen leaves them out of the
/// man pages by itself. A copy since clap cannot remove an argument; it keeps what the
/// scripts show (names, descriptions, aliases, version and help flags). Takes the command
/// unbuilt, so that building the copy propagates the global options (--db) once.
fn without_hidden(full: &Command) -> Command {
    let mut cmd = Command::new(full.get_name().to_string())
        .visible_aliases(full.get_visible_aliases().map(str::to_string))
        .args(
            full.get_arguments()
                .filter(|a| !a.is_hide_set())
                .map(without_double_quotes),
        )
        .subcommands(visible_subcommands(full).map(without_hidden));
    if let Some(about) = full.get_about() {
        cmd = cmd.about(about.clone());
    }
    if let Some(about) = full.get_long_about() {
        cmd = cmd.long_about(about.clone());
    }
    if let Some(version) = full.get_version() {
        cmd = cmd.version(version.to_string());
    }
    // Only the settings that are on: `false` would unset a global setting the parent passes
    // down, and is_disable_version_flag_set() is also true for a subcommand that gets its
    // version only from the parent's propagate_version.
    if full.is_propagate_version_set() {
        cmd = cmd.propagate_version(true);
    }
    if full.is_subcommand_required_set() {
        cmd = cmd.subcommand_required(true);
    }
    if full.is_arg_required_else_help_set() {
        cmd = cmd.arg_required_else_help(true);
    }
    if full.is_disable_help_flag_set() {
        cmd = cmd.disable_help_flag(true);
    }
    if full.is_disable_help_subcommand_set() {
        cmd = cmd.disable_help_subcommand(true);
    }
    if full.get_version().is_some() && full.is_disable_version_flag_set() {
        cmd = cmd.disable_version_flag(true);
    }
    cmd
}

/// The argument with `'` for `"` in its values' descriptions: clap_complete (4.6) puts those
/// into double quotes in the zsh and fish scripts without escaping them, so that `certprobe
/// inventory export --to` (the x509 module's "Hosts (X509)" columns) fails in fish ("Unknown
/// command: X509") and loses words in zsh. The copy's parser only lists the values, which is
/// all the scripts take from it.
fn without_double_quotes(arg: &Arg) -> Arg {
    let values = arg.get_possible_values();
    let quoted = |v: &PossibleValue| v.get_help().is_some_and(|h| h.to_string().contains('"'));
    if !values.iter().any(quoted) {
        return arg.clone();
    }
    let values = values.into_iter().map(|v| match v.get_help() {
        Some(help) => {
            let help = help.to_string().replace('"', "'");
            v.help(help)
        }
        None => v,
    });
    arg.clone().value_parser(PossibleValuesParser::new(values))
}
