//! `[[audit]]` sections: what `certprobe audit --config FILE` reads on this host. The globs
//! keep their lines, so that the audit, which compiles them, can say where a bad one is.

use super::{line_of, ConfigError};
use serde::Deserialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A value with the line it was written on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The value as written.
    pub text: String,
    /// Its 1-based line.
    pub line: usize,
}

/// An `[[audit]]` as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSpec {
    /// The job the audit is recorded as (`audit` when not named).
    pub name: String,
    /// Its line, for messages.
    pub line: usize,
    /// Files and folders to read.
    pub paths: Vec<PathBuf>,
    /// Windows certificate stores to read (`My`, `LocalMachine\WebHosting`), as written.
    pub windows_stores: Vec<Located>,
    /// Globs a file must match one of (every file when empty).
    pub include: Vec<Located>,
    /// Globs of files and folders to leave out.
    pub exclude: Vec<Located>,
    /// Follow symbolic links below the paths.
    pub follow_symlinks: bool,
    /// The keystores' password from this file (relative to the config file's folder).
    pub password_file: Option<PathBuf>,
    /// The keystores' password from this environment variable.
    pub password_env: Option<String>,
    /// The zone stored on every place.
    pub zone: Option<String>,
    /// The name a file's certificate must cover, by the file's path as written: the name
    /// check is made for these files only.
    pub names: Vec<(Located, Located)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAudit {
    name: Option<Spanned<String>>,
    paths: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    windows_stores: Vec<Spanned<String>>,
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    follow_symlinks: bool,
    password_file: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
    zone: Option<Spanned<String>>,
    #[serde(default)]
    names: std::collections::BTreeMap<Spanned<String>, Spanned<String>>,
}

/// The `[[audit]]` sections, checked; `folder` resolves a relative `password_file`.
pub(super) fn audits(
    raw: Vec<RawAudit>,
    text: &str,
    folder: Option<&Path>,
    at: &dyn Fn(Range<usize>, String) -> ConfigError,
) -> Result<Vec<AuditSpec>, ConfigError> {
    let mut out: Vec<AuditSpec> = Vec::new();
    for audit in raw {
        let no_paths = Vec::new();
        let paths = audit.paths.as_ref().map_or(&no_paths, |p| p.get_ref());
        // Where the section is: its name, else its paths or stores.
        let somewhere = audit
            .paths
            .as_ref()
            .map(Spanned::span)
            .or_else(|| audit.windows_stores.first().map(Spanned::span))
            .unwrap_or(0..0);
        let (name, span) = match &audit.name {
            Some(name) => (name.get_ref().trim().to_string(), name.span()),
            None => ("audit".to_string(), somewhere),
        };
        if !super::is_job_name(&name) {
            return Err(at(
                span,
                format!(
                    "name: '{}' is not an audit name (letters, digits, '-', '_' and '.')",
                    certprobe::text::quote(&name, 40)
                ),
            ));
        }
        if out.iter().any(|a| a.name == name) {
            return Err(at(
                span,
                format!("name: an audit '{name}' is defined twice (name each [[audit]])"),
            ));
        }
        if paths.is_empty() && audit.windows_stores.is_empty() {
            return Err(at(
                span,
                format!("paths: the audit '{name}' reads no path and no windows_stores"),
            ));
        }
        if let (Some(_), Some(env)) = (&audit.password_file, &audit.password_env) {
            return Err(at(
                env.span(),
                "password_env: give password_file or password_env, not both".to_string(),
            ));
        }
        let located = |globs: &[Spanned<String>]| -> Vec<Located> {
            globs
                .iter()
                .map(|g| Located {
                    text: g.get_ref().clone(),
                    line: line_of(text, g.span().start),
                })
                .collect()
        };
        out.push(AuditSpec {
            line: line_of(text, span.start),
            paths: paths.iter().map(|p| PathBuf::from(p.get_ref())).collect(),
            windows_stores: located(&audit.windows_stores),
            include: located(&audit.include),
            exclude: located(&audit.exclude),
            follow_symlinks: audit.follow_symlinks,
            password_file: audit.password_file.as_ref().map(|file| {
                let file = Path::new(file.get_ref());
                match folder {
                    Some(folder) if file.is_relative() => folder.join(file),
                    _ => file.to_path_buf(),
                }
            }),
            password_env: audit.password_env.map(|e| e.into_inner()),
            zone: audit.zone.map(|z| z.into_inner()),
            names: audit
                .names
                .iter()
                .map(|(path, host)| {
                    let at = |value: &Spanned<String>| Located {
                        text: value.get_ref().clone(),
                        line: line_of(text, value.span().start),
                    };
                    (at(path), at(host))
                })
                .collect(),
            name,
        });
    }
    Ok(out)
}
