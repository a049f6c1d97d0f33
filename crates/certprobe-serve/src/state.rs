//! What the server keeps: the reports of the inventory as judged at its latest change, made
//! again on a thread of their own when SQLite's data version moves (or a minute passes:
//! tiers move with the clock). A request waits for a judgement under way only when judging is
//! quick (a small inventory); otherwise it is served the previous one: judging 100,000
//! endpoints takes a second or two, a page must not.

use crate::auth::Credentials;
use crate::search::SearchText;
use certprobe_alarm::{Owners, Thresholds};
use certprobe_inventory::{InventoryError, Store};
use certprobe_inventory_pg::{Locator, Open};
use certprobe_report::files::ReportSet;
use certprobe_report::{Pages, Snapshot};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How the reports' events reach back: the weekly trend's seven days.
const WEEK: i64 = 7 * 86_400;

/// Tiers move with the clock too: what was judged is judged again after this long.
const FRESH_FOR: i64 = 60;

/// The judgement of an inventory this small (deployed endpoints), or one this quick, is waited
/// for: a small inventory's pages show a change on the next request. A larger one's is not (it
/// would not be done in time): the previous one is served.
const SMALL: usize = 5_000;
const QUICK: Duration = Duration::from_millis(100);

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
    /// The data version (of the requests' connection) it was made after.
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
        });
        let version = shared.version()?;
        shared.start_judging(&mut shared.lock_judgement(), version);
        Ok(shared)
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
    pub fn data(self: &Arc<Self>) -> Result<Arc<Data>, Unavailable> {
        let version = self
            .version()
            .map_err(|e| Unavailable::Inventory(Arc::new(e)))?;
        let now = certprobe::clock::now_unix();
        let mut judgement = self.lock_judgement();
        let current = judgement.version == version && now - judgement.judged_at < FRESH_FOR;
        if let Some(data) = judgement.data.as_ref().filter(|_| current) {
            return Ok(Arc::clone(data));
        }
        // A slow judgement is not started again at once: at most a third of the time is spent
        // judging while a long scan commits batch after batch.
        let rested = judgement
            .ended
            .is_none_or(|ended| ended.elapsed() >= judgement.took * 2);
        let quick = |j: &Judgement| {
            j.took <= QUICK
                || j.data
                    .as_ref()
                    .is_some_and(|d| d.snapshot.deployed.len() <= SMALL)
        };
        if !current && !judgement.judging && (rested || quick(&judgement)) {
            self.start_judging(&mut judgement, version);
        }
        let waited = Instant::now();
        loop {
            let limit = match &judgement.data {
                None => WAIT_FOR_FIRST,
                Some(_) if quick(&judgement) => WAIT_FOR_QUICK,
                Some(_) => Duration::ZERO,
            };
            let stop_waiting = !judgement.judging || waited.elapsed() >= limit;
            if stop_waiting {
                return match (&judgement.data, &judgement.error) {
                    (Some(data), _) => Ok(Arc::clone(data)),
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

    /// Judges the inventory on a thread of its own; `version` is the data version read
    /// before it starts, so what it reads is at least that new.
    fn start_judging(self: &Arc<Self>, judgement: &mut Judgement, version: i64) {
        judgement.judging = true;
        let shared = Arc::clone(self);
        let started = std::thread::Builder::new()
            .name("judge".to_string())
            .spawn(move || {
                let _finished = Judging(&shared);
                let now = certprobe::clock::now_unix();
                let began = Instant::now();
                let made = shared.judge_now(now);
                let mut judgement = shared.lock_judgement();
                judgement.took = began.elapsed();
                judgement.ended = Some(Instant::now());
                let failed = match made {
                    Ok(data) => {
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
        let events = store.events_since(now - WEEK, 100_000)?;
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
