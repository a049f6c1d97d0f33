//! What the server keeps: one read-only connection, and the reports of the inventory as it
//! was at the latest change (made again when SQLite's data version moves).

use crate::auth::Credentials;
use certprobe_alarm::{Owners, Thresholds};
use certprobe_inventory::{InventoryError, SqliteStore, Store};
use certprobe_report::files::ReportSet;
use certprobe_report::{Pages, Snapshot};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// How the reports' events reach back: the weekly trend's seven days.
const WEEK: i64 = 7 * 86_400;

/// What the dashboard serves.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The inventory.
    pub db: PathBuf,
    /// Who owns what.
    pub owners: Owners,
    /// The tiers' limits.
    pub thresholds: Thresholds,
    /// Basic authentication, if wanted.
    pub credentials: Option<Credentials>,
}

/// The inventory judged at one change.
pub struct Data {
    /// The snapshot.
    pub snapshot: Snapshot,
    /// Every report.
    pub reports: ReportSet,
}

/// Tiers move with the clock too: what was judged is judged again after this long.
const FRESH_FOR: i64 = 60;

struct Cache {
    store: SqliteStore,
    version: i64,
    judged_at: i64,
    data: Option<Arc<Data>>,
}

/// Shared by every request.
pub struct Shared {
    /// The setup.
    pub setup: Setup,
    /// The templates.
    pub pages: Pages,
    cache: Mutex<Cache>,
}

impl Shared {
    /// Opens the inventory (it must exist).
    pub fn open(setup: Setup) -> Result<Shared, InventoryError> {
        let store = SqliteStore::open_read_only(&setup.db)?;
        Ok(Shared {
            setup,
            pages: Pages::new(),
            cache: Mutex::new(Cache {
                store,
                version: i64::MIN,
                judged_at: 0,
                data: None,
            }),
        })
    }

    /// The reports as of the latest change; reads the inventory again when it changed.
    /// Blocking: call from a blocking task.
    pub fn data(&self) -> Result<Arc<Data>, InventoryError> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let version = cache.store.data_version()?;
        let now = certprobe::clock::now_unix();
        let current = version == cache.version && now - cache.judged_at < FRESH_FOR;
        if let Some(data) = cache.data.as_ref().filter(|_| current) {
            return Ok(Arc::clone(data));
        }
        let store = &cache.store;
        let snapshot = Snapshot::load(store, &self.setup.owners, &self.setup.thresholds, now)?;
        let events = store.events_since(now - WEEK, 100_000)?;
        let spans = store.leaf_spans()?;
        let deliveries = store.deliveries(100_000)?;
        let reports = ReportSet::new(
            &snapshot,
            &self.setup.thresholds,
            &events,
            &spans,
            &deliveries,
        );
        let data = Arc::new(Data { snapshot, reports });
        cache.version = version;
        cache.judged_at = now;
        cache.data = Some(Arc::clone(&data));
        Ok(data)
    }

    /// Runs `read` on the connection (for a certificate's deployments and history).
    pub fn with_store<T>(&self, read: impl FnOnce(&SqliteStore) -> T) -> T {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        read(&cache.store)
    }
}
