//! Where the inventory is: `--db`, else `CERTPROBE_DB`, else the system path for root and
//! the XDG data folder for everyone else. One rule for every program that opens it (`certprobe`,
//! `check_cert_inventory`), so that they find the same file.

use std::path::{Path, PathBuf};

/// The inventory of the packaged daemon and scan units.
pub const SYSTEM_INVENTORY: &str = "/var/lib/certprobe/inventory.sqlite";

/// The inventory path of a command, `given` its `--db`.
pub fn inventory_path(given: Option<&PathBuf>) -> PathBuf {
    if let Some(path) = given {
        return path.clone();
    }
    if let Some(path) = std::env::var_os("CERTPROBE_DB").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    if is_root() {
        return PathBuf::from(SYSTEM_INVENTORY);
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .or_else(|| std::env::var_os("LOCALAPPDATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("certprobe").join("inventory.sqlite")
}

/// The inventory a command that only reads opens: as [`inventory_path`], except that a user
/// with no inventory of their own reads the system one when its folder is there. The
/// monitoring system's user (nagios, icinga, zabbix) then checks what the packaged units
/// write without a `--db` in every command definition.
pub fn inventory_path_to_read(given: Option<&PathBuf>) -> PathBuf {
    let path = inventory_path(given);
    let chosen = given.is_some() || std::env::var_os("CERTPROBE_DB").is_some_and(|p| !p.is_empty());
    let system = Path::new(SYSTEM_INVENTORY);
    match system.parent() {
        Some(folder) if !chosen && !path.exists() && folder.is_dir() => system.to_path_buf(),
        _ => path,
    }
}

/// Root on Unix (the owner of /proc/self is uid 0); never on other systems.
fn is_root() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }
    #[cfg(not(unix))]
    {
        false
    }
}
