//! Writes the man pages and shell completions of every plugin, generated from the clap
//! definitions the plugins themselves use (`certprobe_cli::command`), so the documentation
//! can never disagree with the options.
//!
//!     cargo run --release --example gen_docs -- OUT
//!
//! Into OUT:
//!
//! ```text
//! man/check_tls_cert.1                    (one per plugin, clap_mangen)
//! completions/bash/check_tls_cert         (clap_complete)
//! completions/zsh/_check_tls_cert
//! completions/fish/check_tls_cert.fish
//! ```
//!
//! The file names are the ones bash-completion, zsh and fish look for when the files are
//! installed to their vendor folders.

use clap_complete::Shell;
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

    let mut written = Vec::new();
    for plugin in PLUGINS {
        let name = plugin.binary;

        let cmd = certprobe_cli::command(plugin);
        let version = cmd.get_version().unwrap_or_default().to_string();
        let man = clap_mangen::Man::new(cmd)
            .section("1")
            .source(format!("certprobe {version}"))
            .manual("Monitoring Plugins");
        let mut page = Vec::new();
        man.render(&mut page)?;
        let path = man_dir.join(format!("{name}.1"));
        fs::write(&path, page)?;
        written.push(path);

        for (shell, dir, prefix, suffix) in &shells {
            let script = completion(*shell, plugin);
            let path = out
                .join("completions")
                .join(dir)
                .join(format!("{prefix}{name}{suffix}"));
            fs::write(&path, script)?;
            written.push(path);
        }
    }
    Ok(written)
}

/// One completion script, from the plugin's command without its hidden options:
/// clap_complete offers hidden options too (clap-rs/clap#1335), and a plugin's hidden options
/// are the ones it rejects (`--ldaps` for check_tls_cert, `--starttls` for check_ldap_cert,
/// ...). clap_mangen leaves them out of the man pages by itself.
fn completion(shell: Shell, plugin: certprobe_cli::Plugin) -> Vec<u8> {
    let full = certprobe_cli::command(plugin);
    // A fresh clap::Command, named through its value: this package has no direct clap
    // dependency, only the one behind certprobe and clap_complete.
    let mut cmd = blank_like(&full)
        .name(plugin.binary)
        .bin_name(plugin.binary)
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().filter(|a| !a.is_hide_set()).cloned());
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, plugin.binary, &mut script);
    script
}

fn blank_like<T: Default>(_: &T) -> T {
    T::default()
}
