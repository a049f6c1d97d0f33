//! What a complete walk of an audit means: the places of its job on its host that it no
//! longer found, below the paths it read, are removed (once). Shared by `certprobe audit`
//! and `certprobe inventory import`, which finishes an exported audit the same way.

use crate::FleetError;
use certprobe_inventory::model::{EndpointKey, RunStatus, Seen, Sighting};
use certprobe_inventory::query::Source;
use certprobe_inventory::{Run, Store};

/// The walk as the removal needs it.
pub(crate) struct Walked<'a> {
    /// The zone and host of the places.
    pub zone: &'a str,
    pub host: &'a str,
    /// The paths read, as shown.
    pub roots: &'a [String],
    /// The paths that could not be read (and are there): nothing below them is removed.
    pub unread: &'a [String],
    /// The Windows certificate stores read (`LocalMachine\My`).
    pub stores: &'a [String],
    /// The stores that could not be opened.
    pub unread_stores: &'a [String],
    /// When the walk ended, Unix seconds.
    pub ended: i64,
}

/// Records the places `walked` no longer found as removed, then ends the run as done;
/// returns how many were removed.
pub(crate) fn finish(
    inventory: &mut dyn Store,
    mut run: Run,
    walked: &Walked<'_>,
) -> Result<u64, FleetError> {
    let mut gone: Vec<Sighting> = Vec::new();
    for (protocol, roots, unread) in [
        (Source::FILE_PROTOCOL, walked.roots, walked.unread),
        (Source::STORE_PROTOCOL, walked.stores, walked.unread_stores),
    ] {
        if roots.is_empty() {
            continue;
        }
        let here = EndpointKey {
            zone: walked.zone.to_string(),
            address: walked.host.to_string(),
            port: 0,
            sni: String::new(),
            protocol: protocol.to_string(),
        };
        let unseen = inventory
            .unseen(&run, &here, REMOVED)
            .map_err(FleetError::Inventory)?;
        gone.extend(
            unseen
                .into_iter()
                .filter(|place| {
                    roots.iter().any(|root| is_below(&place.sni, root))
                        && !unread.iter().any(|path| is_below(&place.sni, path))
                })
                .map(|place| removed(place, walked.ended)),
        );
    }
    inventory
        .record(&mut run, &gone)
        .map_err(FleetError::Inventory)?;
    inventory
        .finish_run(run, RunStatus::Done, walked.ended)
        .map_err(FleetError::Inventory)?;
    Ok(gone.len() as u64)
}

/// The failure kind of a place that is gone.
pub(crate) const REMOVED: &str = "removed";

/// A place the complete walk did not find: its deployment ends (a `disappeared` event);
/// it is OK, as nothing is there to expire. Recorded once: it is stale from then on.
fn removed(endpoint: EndpointKey, now: i64) -> Sighting {
    Sighting {
        endpoint,
        observed_at: now,
        state: 0,
        summary: "removed: the file or its keystore entry is no longer there".to_string(),
        findings: Vec::new(),
        seen: Seen::Failed {
            kind: REMOVED.to_string(),
            answered: false,
        },
    }
}

/// Whether the place `name` (a path, with `#entry`) is `root` or lies below it.
fn is_below(name: &str, root: &str) -> bool {
    let root = match root.trim_end_matches('/') {
        "" if root.starts_with('/') => "",
        trimmed => trimmed,
    };
    match name.strip_prefix(root) {
        // `\` for Windows paths and for a store's certificates (`LocalMachine\My\THUMBPRINT`).
        Some(rest) => rest.is_empty() || rest.starts_with(['/', '\\', '#']),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_below;

    #[test]
    fn a_place_is_below_its_root_folder_file_or_slash() {
        assert!(is_below("/etc/ssl/a.pem", "/etc/ssl"));
        assert!(is_below("/etc/ssl/a.pem", "/etc/ssl/"));
        assert!(is_below("/etc/ssl", "/etc/ssl"));
        assert!(is_below("/opt/k.jks#web", "/opt/k.jks"));
        assert!(is_below("/opt/k.jks", "/"));
        assert!(is_below("tree/d0/f.pem", "tree"));
        assert!(!is_below("/etc/ssl2/a.pem", "/etc/ssl"));
        assert!(!is_below("/etc/a.pem", "/etc/ssl"));
        assert!(!is_below("tree2/f.pem", "tree"));
        assert!(is_below("LocalMachine\\My\\0A1B", "LocalMachine\\My"));
        assert!(!is_below("LocalMachine\\MyOther\\0A1B", "LocalMachine\\My"));
    }
}
