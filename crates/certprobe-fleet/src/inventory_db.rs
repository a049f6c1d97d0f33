//! The inventory `--db` names (an SQLite file, or a `postgres://` URL), opened as a command
//! needs it.

use crate::FleetError;
use certprobe_inventory::Store;
use certprobe_inventory_pg::Locator;
pub(crate) use certprobe_inventory_pg::Open;
use std::path::Path;

/// Opens the inventory `db`.
pub(crate) fn open(db: &Path, how: Open) -> Result<Box<dyn Store + Send>, FleetError> {
    Locator::of(db)
        .and_then(|inventory| inventory.open(how))
        .map_err(FleetError::Inventory)
}
