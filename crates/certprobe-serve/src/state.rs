//! What the server keeps: the reports of the inventory as judged at its latest change, made
//! again on a thread of their own when SQLite's data version moves (a watcher looks every
//! second, so a scan's commit is judged before anyone asks) or when a request finds them a
//! minute old (tiers move with the clock). A request waits for a judgement under way only
//! when judging is quick (a small inventory); otherwise it is served the previous one, marked
//! as updating: judging 100,000 endpoints takes a second or two, a page must not.

use crate::auth::Credentials;
use crate::search::SearchText;
use certprobe_alarm::{Owners, Thresholds};
use certprobe_inventory::{InventoryError, Store};
use certprobe_inventory_pg::{Locator, Open};
use certprobe_report::files::ReportSet;
use certprobe_report::{Pages, Snapshot};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// Tiers move with the clock too: what was judged is judged again after this long.
const FRESH_FOR: i64 = 60;

/// Which judgements a request waits for: those of an inventory with fewer deployed endpoints
/// than `small`, or that take at most `quick`, so that a small inventory's pages show a change
/// on the next request. A larger one's is not waited for (it would not be done in time): the
/// previous one is served. The watcher asks the inventory whether it changed every
/// `watch_every`.
#[derive(Debug, Clone, Copy)]
struct Patience {
    small: usize,
    quick: Duration,
    watch_every: Duration,
}

const PATIENCE: Patience = Patience {
    small: 5_000,
    quick: Duration::from_millis(100),
    watch_every: Duration::from_secs(1),
};

/// How long a request waits for a small or quick judgement under way.
const WAIT_FOR_QUICK: Duration = Duration::from_millis(500);

/// How long a request waits for the first judgement of all (nothing to serve before it).
const WAIT_FOR_FIRST: Duration = Duration::from_secs(120);

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
    /// The lists' search text.
    pub search: SearchText,
}

/// What a request is served.
pub struct Served {
    /// The latest judgement.
    pub data: Arc<Data>,
    /// The inventory changed after it (or it is a minute old): a newer one is being made.
    pub updating: bool,
}

/// Why there are no reports to serve.
#[derive(Debug, Clone)]
pub enum Unavailable {
    /// The inventory cannot be read.
    Inventory(Arc<InventoryError>),
    /// No thread can be started to judge it.
    NoThread(Arc<std::io::Error>),
    /// Judging it failed in a way the log tells.
    Panicked,
    /// Its first judgement is not finished.
    StillJudging,
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::Inventory(e) => e.fmt(f),
            Unavailable::NoThread(e) => write!(
                f,
                "cannot start judging the inventory: {}",
                certprobe_inventory::error::io_words(e)
            ),
            Unavailable::Panicked => {
                f.write_str("judging the inventory failed; the server's log says why")
            }
            Unavailable::StillJudging => {
                f.write_str("the inventory is still being judged; try again in a moment")
            }
        }
    }
}

/// The latest judgement, and whether a newer one is being made.
struct Judgement {
    data: Option<Arc<Data>>,
    /// The data version (of the requests' connection) read before it was made.
    version: i64,
    judged_at: i64,
    /// How long it took, and when it ended.
    took: Duration,
    ended: Option<Instant>,
    judging: bool,
    /// Why the latest attempt failed, when it did.
    error: Option<Unavailable>,
}

/// Shared by every request.
pub struct Shared {
    /// The setup.
    pub setup: Setup,
    /// The templates.
    pub pages: Pages,
    /// The requests' connection: the data version, a certificate's deployments and history.
    requests: Mutex<Box<dyn Store + Send>>,
    /// The judge's connection: a judgement never holds up a request's read.
    judge: Mutex<Box<dyn Store + Send>>,
    judgement: Mutex<Judgement>,
    judged: Condvar,
    patience: Patience,
}

impl Judgement {
    /// Whether a judgement is quick enough to wait for and to repeat without rest.
    fn quick(&self, patience: Patience) -> bool {
        self.took <= patience.quick
            || self
                .data
                .as_ref()
                .is_some_and(|d| d.snapshot.deployed.len() < patience.small)
    }
}

/// Marks the judgement finished however the judge ends (a panic included), so that the
/// next request starts another.
struct Judging<'a>(&'a Shared);

impl Drop for Judging<'_> {
    fn drop(&mut self) {
        let mut judgement = self.0.lock_judgement();
        judgement.judging = false;
        if std::thread::panicking() {
            judgement.error = Some(Unavailable::Panicked);
            judgement.ended = Some(Instant::now());
        }
        drop(judgement);
        self.0.judged.notify_all();
    }
}

impl Shared {
    /// Opens the inventory (it must exist) and starts its first judgement.
    pub fn open(setup: Setup) -> Result<Arc<Shared>, InventoryError> {
        Shared::open_with(setup, PATIENCE)
    }

    fn open_with(setup: Setup, patience: Patience) -> Result<Arc<Shared>, InventoryError> {
        let inventory = Locator::of(&setup.db)?;
        let requests = inventory.open(Open::Read)?;
        let judge = inventory.open(Open::Read)?;
        let shared = Arc::new(Shared {
            setup,
            pages: Pages::new(),
            requests: Mutex::new(requests),
            judge: Mutex::new(judge),
            judgement: Mutex::new(Judgement {
                data: None,
                version: i64::MIN,
                judged_at: 0,
                took: Duration::ZERO,
                ended: None,
                judging: false,
                error: None,
            }),
            judged: Condvar::new(),
            patience,
        });
        shared.start_judging(&mut shared.lock_judgement(), Duration::ZERO);
        Shared::watch(Arc::downgrade(&shared), patience.watch_every);
        Ok(shared)
    }

    /// Judges a change when it is committed, not when a page is next asked for; ends with
    /// the server. Without the watcher (no thread to be had) requests still notice changes.
    fn watch(shared: Weak<Shared>, every: Duration) {
        let _ = std::thread::Builder::new()
            .name("watch".to_string())
            .spawn(move || loop {
                std::thread::sleep(every);
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                // An inventory that cannot be read now (or judged: the log said why) is tried
                // again by the next request, not every second.
                if let Ok(version) = shared.version() {
                    let mut judgement = shared.lock_judgement();
                    let failed = judgement.error.is_some();
                    if judgement.version != version && !judgement.judging && !failed {
                        shared.judge_after_rest(&mut judgement);
                    }
                }
            });
    }

    /// Starts a judgement; a slow one rests first as long as the previous one took, so that
    /// at most half the time is spent judging while a long scan commits batch after batch.
    fn judge_after_rest(self: &Arc<Self>, judgement: &mut Judgement) {
        let rest = match judgement.ended {
            Some(ended) if !judgement.quick(self.patience) => {
                judgement.took.saturating_sub(ended.elapsed())
            }
            _ => Duration::ZERO,
        };
        self.start_judging(judgement, rest);
    }

    fn lock_judgement(&self) -> MutexGuard<'_, Judgement> {
        self.judgement.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn version(&self) -> Result<i64, InventoryError> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .data_version()
    }

    /// The reports as of the latest change, or of the one before while the latest is still
    /// being judged. Blocking: call from a blocking task.
    pub fn data(self: &Arc<Self>) -> Result<Served, Unavailable> {
        let version = self
            .version()
            .map_err(|e| Unavailable::Inventory(Arc::new(e)))?;
        let now = certprobe::clock::now_unix();
        let current = |j: &Judgement| j.version == version && now - j.judged_at < FRESH_FOR;
        let mut judgement = self.lock_judgement();
        if !current(&judgement) && !judgement.judging {
            self.judge_after_rest(&mut judgement);
        }
        let waited = Instant::now();
        loop {
            let limit = match &judgement.data {
                None => WAIT_FOR_FIRST,
                Some(_) if judgement.quick(self.patience) => WAIT_FOR_QUICK,
                Some(_) => Duration::ZERO,
            };
            let stop_waiting = !judgement.judging || waited.elapsed() >= limit;
            if stop_waiting {
                return match (&judgement.data, &judgement.error) {
                    (Some(data), _) => Ok(Served {
                        data: Arc::clone(data),
                        updating: !current(&judgement),
                    }),
                    (None, Some(error)) => Err(error.clone()),
                    (None, None) => Err(Unavailable::StillJudging),
                };
            }
            let left = limit.saturating_sub(waited.elapsed());
            judgement = self
                .judged
                .wait_timeout(judgement, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Judges the inventory on a thread of its own after `rest`; the data version is read
    /// before, so what the judgement reads is at least that new.
    fn start_judging(self: &Arc<Self>, judgement: &mut Judgement, rest: Duration) {
        judgement.judging = true;
        let shared = Arc::clone(self);
        let started = std::thread::Builder::new()
            .name("judge".to_string())
            .spawn(move || {
                let _finished = Judging(&shared);
                std::thread::sleep(rest);
                let now = certprobe::clock::now_unix();
                let began = Instant::now();
                let made = shared
                    .version()
                    .and_then(|version| Ok((version, shared.judge_now(now)?)));
                let mut judgement = shared.lock_judgement();
                judgement.took = began.elapsed();
                judgement.ended = Some(Instant::now());
                let failed = match made {
                    Ok((version, data)) => {
                        judgement.data = Some(Arc::new(data));
                        judgement.version = version;
                        judgement.judged_at = now;
                        judgement.error = None;
                        None
                    }
                    Err(e) => {
                        let line = format!("certprobe serve: cannot judge the inventory: {e}");
                        judgement.error = Some(Unavailable::Inventory(Arc::new(e)));
                        Some(line)
                    }
                };
                drop(judgement);
                // The pages keep the previous judgement; the log says why it is old (written
                // without the lock, and a closed log is no reason to stop).
                if let Some(line) = failed {
                    use std::io::Write;
                    let _ = writeln!(std::io::stderr().lock(), "{line}");
                }
            });
        if let Err(e) = started {
            judgement.judging = false;
            judgement.error = Some(Unavailable::NoThread(Arc::new(e)));
        }
    }

    fn judge_now(&self, now: i64) -> Result<Data, InventoryError> {
        let store = self.judge.lock().unwrap_or_else(|e| e.into_inner());
        let snapshot = Snapshot::load(
            store.as_ref(),
            &self.setup.owners,
            &self.setup.thresholds,
            now,
        )?;
        let events = store.events_since(now - certprobe_report::WEEK, 100_000)?;
        let spans = store.leaf_spans()?;
        let deliveries = store.deliveries(100_000)?;
        // The pages show the first rows of long tables: only those are kept.
        let reports = ReportSet::new(
            &snapshot,
            &self.setup.thresholds,
            &events,
            &spans,
            &deliveries,
            &[],
            certprobe_report::render::ROWS_SHOWN,
        );
        let search = SearchText::of(&reports.certificates, &snapshot.deployed);
        // Judged: the findings are read again by the page that shows them.
        let mut snapshot = snapshot;
        for j in &mut snapshot.deployed {
            j.input.findings = Vec::new();
        }
        Ok(Data {
            snapshot,
            reports,
            search,
        })
    }

    /// Runs `read` on the requests' connection (a certificate's deployments and history).
    pub fn with_store<T>(&self, read: impl FnOnce(&dyn Store) -> T) -> T {
        let store = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        read(store.as_ref())
    }
}

#[cfg(test)]
mod tests;
