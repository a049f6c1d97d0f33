//! `certprobe serve`: the dashboard until SIGTERM, on loopback unless told otherwise (and
//! then with authentication unless `--no-auth`).

use crate::cli::ServeArgs;
use crate::FleetError;
use certprobe_serve::{Credentials, Setup};
use std::io::Write;
use std::path::Path;

/// Serves; prints the address on standard error once listening.
pub fn run(args: &ServeArgs, db: &Path) -> Result<String, FleetError> {
    let config = crate::report_cmd::config_or_default(args.config.as_deref())?;
    let credentials = match (&args.user, &args.password_file) {
        (Some(user), Some(file)) => {
            let text = std::fs::read_to_string(file).map_err(|e| {
                FleetError::Arguments(format!(
                    "--password-file: cannot read {}: {}",
                    file.display(),
                    certprobe_inventory::error::io_words(&e)
                ))
            })?;
            let password = text.lines().next().unwrap_or("").to_string();
            if password.is_empty() || user.is_empty() || user.contains(':') {
                return Err(FleetError::Arguments(
                    "--user and --password-file: the user may not be empty or have a ':', the password may not be empty".to_string(),
                ));
            }
            Some(Credentials {
                user: user.clone(),
                password,
            })
        }
        _ => None,
    };
    if !args.listen.ip().is_loopback() && credentials.is_none() && !args.no_auth {
        return Err(FleetError::Arguments(format!(
            "--listen {}: beyond loopback the dashboard wants --user and --password-file (or --no-auth, when a proxy in front authenticates)",
            args.listen
        )));
    }
    let setup = Setup {
        db: db.to_path_buf(),
        owners: config.owners.clone(),
        thresholds: config.thresholds,
        credentials,
    };
    let shown = db.display().to_string();
    certprobe_serve::serve(setup, args.listen, |address| {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(
            stderr,
            "certprobe: serving the dashboard of {shown} on http://{address}/ until SIGTERM"
        );
        let _ = stderr.flush();
    })
    .map_err(|e| match e {
        certprobe_serve::ServeError::Inventory(e) => FleetError::Inventory(e),
        other => FleetError::Setup(other.to_string()),
    })?;
    Ok(String::new())
}
