//! Where the inventory is: `--db`, else `CERTPROBE_DB`, else the system path for root and
//! the XDG data folder for everyone else. One rule for every program that opens it (`certprobe`,
//! `check_cert_inventory`), so that they find the same file.

use std::path::PathBuf;

/// The inventory path of a command, `given` its `--db`.
pub fn inventory_path(given: Option<&PathBuf>) -> PathBuf {
    if let Some(path) = given {
        return path.clone();
    }
    if let Some(path) = std::env::var_os("CERTPROBE_DB").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    if is_root() {
        return PathBuf::from("/var/lib/certprobe/inventory.sqlite");
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .or_else(|| std::env::var_os("LOCALAPPDATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("certprobe").join("inventory.sqlite")
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
