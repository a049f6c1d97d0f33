//! What one `certprobe audit` runs: the paths of its command line as one audit, or the
//! config's `[[audit]]` sections (all, or the one `--job` names), each with the options of
//! the command line winning over the section's.

use crate::cli::AuditArgs;
use crate::FleetError;
use certprobe_audit::{display_path, password_from, AuditOptions, Auditor, DEFAULT_MAX_FILE_SIZE};
use certprobe_scan::config::{AuditSpec, Config, Located};
use certprobe_winstore::StoreName;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One audit to run.
pub(crate) struct Plan {
    /// The job it is recorded as.
    pub job: String,
    /// The zone stored on its places.
    pub zone: String,
    /// The files and folders it reads.
    pub paths: Vec<PathBuf>,
    /// The Windows certificate stores it reads.
    pub stores: Vec<StoreName>,
    /// The walk and the readers, with the globs and the password.
    pub auditor: Auditor,
    /// The name every file's certificate must cover (`--name`), in ASCII.
    pub name: Option<String>,
    /// The name of some files' certificates (`names` of the section), by path as shown.
    pub names: BTreeMap<String, String>,
}

/// `--name`, in ASCII (an IDN as its A-label).
fn ascii_name(name: Option<&str>) -> Result<Option<String>, FleetError> {
    name.map(|n| certprobe::idna::to_ascii_name(n).map_err(FleetError::arguments))
        .transpose()
}

/// The audits of this command line; `config` is `--config`'s file, read.
pub(crate) fn plans(args: &AuditArgs, config: Option<&Config>) -> Result<Vec<Plan>, FleetError> {
    let plans = plans_of(args, config)?;
    // Said before anything runs, not as an unreadable store in the inventory.
    if !cfg!(windows) && plans.iter().any(|p| !p.stores.is_empty()) {
        return Err(FleetError::Arguments(
            certprobe_winstore::StoreError::NotWindows.to_string(),
        ));
    }
    Ok(plans)
}

fn plans_of(args: &AuditArgs, config: Option<&Config>) -> Result<Vec<Plan>, FleetError> {
    let (Some(config), Some(file)) = (config, args.config.as_deref()) else {
        return Ok(vec![Plan {
            job: args.job.clone().unwrap_or_else(|| "audit".to_string()),
            zone: args.zone.clone().unwrap_or_default(),
            paths: args.paths.clone(),
            stores: args.windows_store.clone(),
            name: ascii_name(args.name.as_deref())?,
            names: BTreeMap::new(),
            auditor: auditor(
                &args.include,
                &args.exclude,
                args.follow_symlinks,
                args.password_file.as_deref(),
                args.password_env.as_deref(),
            )?,
        }]);
    };
    let shown = file.display().to_string();
    let chosen: Vec<&AuditSpec> = match &args.job {
        Some(name) => match config.audits.iter().find(|a| &a.name == name) {
            Some(audit) => vec![audit],
            None => {
                let names: Vec<&str> = config.audits.iter().map(|a| a.name.as_str()).collect();
                return Err(FleetError::Arguments(format!(
                    "{shown} has no [[audit]] named '{}' ({})",
                    certprobe::text::quote(name, 40),
                    if names.is_empty() {
                        "it has none".to_string()
                    } else {
                        format!("it has {}", names.join(", "))
                    }
                )));
            }
        },
        None => config.audits.iter().collect(),
    };
    if chosen.is_empty() {
        return Err(FleetError::Arguments(format!(
            "{shown} has no [[audit]] section: give it one with the paths to read, as in paths = [\"/etc/ssl\"]"
        )));
    }
    chosen
        .into_iter()
        .map(|spec| plan_of(spec, args, &shown))
        .collect()
}

/// A section with the command line's options over it.
fn plan_of(spec: &AuditSpec, args: &AuditArgs, file: &str) -> Result<Plan, FleetError> {
    // Each glob alone first, so that a bad one is named with its line.
    for (key, globs) in [("include", &spec.include), ("exclude", &spec.exclude)] {
        for glob in globs {
            check_glob(glob, key, file)?;
        }
    }
    let stores = if args.windows_store.is_empty() {
        spec.windows_stores
            .iter()
            .map(|s| {
                StoreName::parse(&s.text).map_err(|e| {
                    FleetError::Arguments(format!("{file}:{}: windows_stores: {e}", s.line))
                })
            })
            .collect::<Result<Vec<_>, _>>()?
    } else {
        args.windows_store.clone()
    };
    let mut names = BTreeMap::new();
    for (path, host) in &spec.names {
        let ascii = certprobe::idna::to_ascii_name(&host.text)
            .map_err(|e| FleetError::Arguments(format!("{file}:{}: names: {e}", host.line)))?;
        names.insert(display_path(std::path::Path::new(&path.text)), ascii);
    }
    let texts = |globs: &[Located]| globs.iter().map(|g| g.text.clone()).collect::<Vec<_>>();
    let include = if args.include.is_empty() {
        texts(&spec.include)
    } else {
        args.include.clone()
    };
    let exclude = if args.exclude.is_empty() {
        texts(&spec.exclude)
    } else {
        args.exclude.clone()
    };
    let (password_file, password_env) =
        if args.password_file.is_some() || args.password_env.is_some() {
            (args.password_file.as_deref(), args.password_env.as_deref())
        } else {
            (spec.password_file.as_deref(), spec.password_env.as_deref())
        };
    let auditor = auditor(
        &include,
        &exclude,
        args.follow_symlinks || spec.follow_symlinks,
        password_file,
        password_env,
    )
    .map_err(|e| {
        FleetError::Arguments(format!("{file}:{}: audit '{}': {e}", spec.line, spec.name))
    })?;
    Ok(Plan {
        job: spec.name.clone(),
        zone: args
            .zone
            .clone()
            .or_else(|| spec.zone.clone())
            .unwrap_or_default(),
        paths: spec.paths.clone(),
        stores,
        auditor,
        name: ascii_name(args.name.as_deref())?,
        names,
    })
}

fn check_glob(glob: &Located, key: &str, file: &str) -> Result<(), FleetError> {
    let options = AuditOptions {
        include: vec![glob.text.clone()],
        ..AuditOptions::default()
    };
    Auditor::new(&options)
        .map(|_| ())
        .map_err(|e| FleetError::Arguments(format!("{file}:{}: {key}: {e}", glob.line)))
}

fn auditor(
    include: &[String],
    exclude: &[String],
    follow_symlinks: bool,
    password_file: Option<&Path>,
    password_env: Option<&str>,
) -> Result<Auditor, FleetError> {
    Auditor::new(&AuditOptions {
        include: include.to_vec(),
        exclude: exclude.to_vec(),
        follow_symlinks,
        max_file_size: DEFAULT_MAX_FILE_SIZE,
        password: password_from(password_file, password_env).map_err(FleetError::arguments)?,
    })
    .map_err(FleetError::arguments)
}
