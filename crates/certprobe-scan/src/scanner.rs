//! Runs a job: connects asynchronously (a dead or refusing host costs no thread), hands each
//! live connection to the engine on a bounded pool of blocking threads, and commits the
//! results in batches, one transaction each, from the calling thread.

use crate::handshake;
use crate::job::{Job, Limits};
use crate::plan::{Plan, Unresolved, Work};
use crate::sighting::{key_of, sighting_of};
use certprobe::analysis::name::NameMode;
use certprobe::capture::tcp::{describe_connect_error, show};
use certprobe::observation::Timings;
use certprobe::{Budget, CheckOptions, Checker, Connected, Outcome, Protocol, Target};
use certprobe_inventory::model::{
    RunCounts, RunKind, RunStart, RunStatus, Sighting, StoredFinding,
};
use certprobe_inventory::{InventoryError, Recorder};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

/// Results are committed when this many are waiting, or after [`BATCH_TIME`].
const BATCH_SIZE: usize = 512;
/// The longest a result waits to be committed.
const BATCH_TIME: Duration = Duration::from_millis(250);
/// Blocking threads for the engine's part (dialogues, handshakes, analysis, lookups), at most.
const MAX_ENGINE_THREADS: usize = 512;

/// How a scan runs, beyond its job.
#[derive(Debug, Clone, Default)]
pub struct ScanSettings {
    /// Start the job afresh even when its last run was interrupted.
    pub restart: bool,
    /// The scanning machine's name, stored with the run.
    pub host: String,
    /// Stop cleanly on Ctrl-C and SIGTERM (the command line; not the tests).
    pub handle_signals: bool,
}

/// Where a scan is, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Endpoints planned in this run.
    pub planned: u64,
    /// Endpoints checked so far (with the ones a resumed run had done).
    pub checked: u64,
    /// Endpoints that served a chain.
    pub served: u64,
}

/// What a scan did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScanReport {
    /// The job.
    pub job: String,
    /// The run's id in the inventory.
    pub run: i64,
    /// True when the run continued an interrupted one.
    pub resumed: bool,
    /// `done` or `interrupted`.
    pub status: &'static str,
    /// Endpoints planned.
    pub planned: u64,
    /// The run's counts.
    #[serde(flatten)]
    pub counts: RunCounts,
    /// Host names that did not resolve.
    pub unresolved: Vec<String>,
    /// Seconds the scan took (this process's part).
    pub seconds: f64,
    /// A shared run's units, and how many this scanner did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<UnitsDone>,
}

/// A shared run's work units, as one of its scanners saw them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct UnitsDone {
    /// The run's units.
    pub total: u64,
    /// Units this scanner stored.
    pub mine: u64,
    /// Endpoints in them.
    pub endpoints: u64,
}

/// Why a scan could not run or could not store its results.
#[derive(Debug)]
pub enum ScanError {
    /// The inventory refused (locked, read-only, full, a job already running).
    Inventory(InventoryError),
    /// The async runtime could not start.
    Runtime(String),
    /// A shared run would be cut into more units than it may have.
    TooManyUnits {
        /// The most there may be.
        limit: usize,
    },
    /// A shared run's unit is not an address block (another program wrote it).
    BadUnit {
        /// What the unit says.
        spec: String,
    },
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScanError::Inventory(e) => e.fmt(f),
            ScanError::Runtime(reason) => write!(f, "cannot start the scanner: {reason}"),
            ScanError::TooManyUnits { limit } => write!(
                f,
                "the job's targets make more than {limit} work units: give a shorter --unit prefix"
            ),
            ScanError::BadUnit { spec } => write!(
                f,
                "the shared run has a work unit that is no address block ('{}'): end it with --restart",
                certprobe::text::quote(spec, 60)
            ),
        }
    }
}

impl std::error::Error for ScanError {}

impl From<InventoryError> for ScanError {
    fn from(e: InventoryError) -> ScanError {
        ScanError::Inventory(e)
    }
}

/// What every endpoint's task shares.
struct Shared {
    checker: Arc<Checker>,
    limits: Limits,
    zone: String,
    /// The job's options, and the same without the name check for endpoints with no name.
    named: CheckOptions,
    unnamed: CheckOptions,
    per_host: Mutex<HashMap<IpAddr, Arc<Semaphore>>>,
    /// Analyses at once: CPU work, so two per core, unless they fetch (revocation, AIA) or
    /// probe versions, which waits on the network.
    analyses: Semaphore,
}

/// Runs `job` into `store`. `stop` ends it early (a signal): what was checked is kept and the
/// run is marked interrupted, so the next scan of the job continues it.
pub fn scan(
    job: &Job,
    checker: Arc<Checker>,
    store: &mut dyn Recorder,
    settings: &ScanSettings,
    stop: Arc<AtomicBool>,
    progress: &mut dyn FnMut(Progress),
) -> Result<ScanReport, ScanError> {
    let started = Instant::now();
    let plan = plan_of(job);
    scan_plan(
        job, &plan, checker, store, settings, stop, progress, started,
    )
}

/// A scan run of `job` by this host, starting now.
pub(crate) fn run_start(job: &Job, settings: &ScanSettings, planned: u64) -> RunStart {
    RunStart {
        kind: RunKind::Scan,
        job: job.name.clone(),
        zone: job.zone.clone(),
        host: settings.host.clone(),
        started: certprobe::clock::now_unix(),
        planned,
        import_id: None,
    }
}

/// The endpoints of `job`, its host names resolved.
pub(crate) fn plan_of(job: &Job) -> Plan {
    let resolver = certprobe::capture::Resolver::new(8, 1024);
    Plan::new(job, &resolver, job.limits.timeout)
}

/// Runs the endpoints of `plan` (all of `job`'s, or a work unit's) into `store`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn scan_plan(
    job: &Job,
    plan: &Plan,
    checker: Arc<Checker>,
    store: &mut dyn Recorder,
    settings: &ScanSettings,
    stop: Arc<AtomicBool>,
    progress: &mut dyn FnMut(Progress),
    started: Instant,
) -> Result<ScanReport, ScanError> {
    let planned = plan.count();
    let start = run_start(job, settings, planned);
    let mut run = store.begin_run(&start, settings.restart)?;
    let mut limits = job.limits;
    limits.concurrency = crate::files::connections_allowed(limits.concurrency.max(1));
    let engine_threads = limits.concurrency.clamp(1, MAX_ENGINE_THREADS);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(engine_threads)
        .enable_all()
        .build()
        .map_err(|e| ScanError::Runtime(e.to_string()))?;
    let mut unnamed = job.check.clone();
    unnamed.policy.name_mode = NameMode::None;
    let shared = Arc::new(Shared {
        checker,
        limits,
        zone: job.zone.clone(),
        named: job.check.clone(),
        unnamed,
        per_host: Mutex::new(HashMap::new()),
        analyses: Semaphore::new(analysis_slots(&job.check)),
    });
    if settings.handle_signals {
        let stop = Arc::clone(&stop);
        runtime.spawn(async move {
            if wait_for_signal().await {
                stop.store(true, Ordering::SeqCst);
            }
        });
    }
    // The run's own stop: set by `stop` (a signal, the caller), or by a failure to store,
    // which ends this run only (the caller's other runs may go on).
    let outer = stop;
    let stop = Arc::new(AtomicBool::new(outer.load(Ordering::SeqCst)));
    {
        let (outer, stop) = (Arc::clone(&outer), Arc::clone(&stop));
        runtime.spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                if outer.load(Ordering::SeqCst) {
                    stop.store(true, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
    }
    let (sender, results) = mpsc::channel::<Sighting>();
    let done = std::mem::take(&mut run.done);
    {
        let shared = Arc::clone(&shared);
        let stop = Arc::clone(&stop);
        let plan = plan.clone();
        runtime.spawn(async move {
            produce(plan, done, shared, sender, stop).await;
        });
    }
    let mut counts = run.counts;
    let mut batch: Vec<Sighting> = Vec::with_capacity(BATCH_SIZE);
    let mut last_commit = Instant::now();
    let mut failure = None;
    loop {
        let received = results.recv_timeout(BATCH_TIME);
        let closed = matches!(received, Err(mpsc::RecvTimeoutError::Disconnected));
        if let Ok(sighting) = received {
            batch.push(sighting);
        }
        let due = batch.len() >= BATCH_SIZE || last_commit.elapsed() >= BATCH_TIME || closed;
        if due && failure.is_none() {
            if let Err(e) = store.tick(&run) {
                stop.store(true, Ordering::SeqCst);
                failure = Some(e);
            }
        }
        if due && !batch.is_empty() && failure.is_none() {
            match store.record(&mut run, &batch) {
                Ok(()) => counts = run.counts,
                Err(e) => {
                    // Nothing more can be stored: stop launching, let the tasks drain.
                    stop.store(true, Ordering::SeqCst);
                    failure = Some(e);
                }
            }
            batch.clear();
            last_commit = Instant::now();
            progress(Progress {
                planned,
                checked: counts.checked,
                served: counts.served,
            });
        }
        if closed {
            break;
        }
    }
    runtime.shutdown_timeout(Duration::from_secs(1));
    if let Some(e) = failure {
        return Err(e.into());
    }
    let interrupted = stop.load(Ordering::SeqCst) || outer.load(Ordering::SeqCst);
    let status = if interrupted {
        RunStatus::Interrupted
    } else {
        RunStatus::Done
    };
    let id = run.id;
    let resumed = run.resumed;
    store.finish_run(run, status, certprobe::clock::now_unix())?;
    Ok(ScanReport {
        job: job.name.clone(),
        run: id,
        resumed,
        status: status.as_str(),
        planned,
        counts,
        unresolved: plan
            .unresolved
            .iter()
            .map(|Unresolved { name, reason }| format!("{name}: {reason}"))
            .collect(),
        seconds: started.elapsed().as_secs_f64(),
        units: None,
    })
}

/// Launches the endpoints within the limits, until the plan ends or `stop` is set; returns
/// when every launched check has sent its result.
async fn produce(
    plan: Plan,
    done: HashSet<certprobe_inventory::model::EndpointKey>,
    shared: Arc<Shared>,
    sender: mpsc::Sender<Sighting>,
    stop: Arc<AtomicBool>,
) {
    let limits = shared.limits;
    let slots = Arc::new(Semaphore::new(limits.concurrency.max(1)));
    let interval = (limits.rate > 0).then(|| Duration::from_secs_f64(1.0 / f64::from(limits.rate)));
    let mut next_start = tokio::time::Instant::now();
    for work in plan.endpoints() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if !done.is_empty() && done.contains(&key_of(&work, &shared.zone)) {
            continue;
        }
        if let Some(interval) = interval {
            let now = tokio::time::Instant::now();
            // A bucket of one second's worth: a pause does not turn into a burst.
            let floor = now.checked_sub(Duration::from_secs(1)).unwrap_or(now);
            next_start = next_start.max(floor) + interval;
            if next_start > now {
                tokio::time::sleep_until(next_start).await;
            }
        }
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            break;
        };
        // A stop that came while waiting for a slot launches nothing more.
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let shared = Arc::clone(&shared);
        let sender = sender.clone();
        tokio::spawn(async move {
            let sighting = check_one(&work, &shared).await;
            let _ = sender.send(sighting);
            drop(slot);
        });
    }
    // Every slot back means every task has sent its result.
    let all = u32::try_from(limits.concurrency.max(1)).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

/// One endpoint: the connect here, the rest in the engine on a blocking thread.
async fn check_one(work: &Work, shared: &Shared) -> Sighting {
    let limits = shared.limits;
    let options = if work.sni.is_some() {
        &shared.named
    } else {
        &shared.unnamed
    };
    let target = match target_of(work, limits.timeout) {
        Ok(target) => target,
        Err(outcome) => return sighting_of(work, &shared.zone, &outcome, now()),
    };
    let addr = SocketAddr::new(work.address, work.port);
    let slot = host_slot(shared, work.address);
    let held = Arc::clone(&slot).acquire_owned().await;
    // The endpoint's time starts with its connection: the wait for a --per-host slot (behind
    // endpoints of the same address that take their whole timeout) is not its time.
    let budget = Budget::within(limits.timeout).with_connect_timeout(limits.connect_timeout);
    let started = Instant::now();
    let connect_limit = limits.connect_timeout.min(limits.timeout);
    let connected = tokio::time::timeout(connect_limit, tokio::net::TcpStream::connect(addr)).await;
    let outcome = match connected {
        Err(_) => Outcome::failed(
            &target,
            &options.policy,
            &budget.connect_expired(&format!("connecting to {}", show(&addr))),
        ),
        Ok(Err(e)) => Outcome::failed(&target, &options.policy, &describe_connect_error(&addr, &e)),
        Ok(Ok(stream)) if work.protocol == Protocol::Tls => {
            let connect_ms = started.elapsed().as_secs_f64() * 1000.0;
            tls_check(shared, stream, addr, connect_ms, target, options, budget).await
        }
        Ok(Ok(stream)) => {
            let connect_ms = started.elapsed().as_secs_f64() * 1000.0;
            let checker = Arc::clone(&shared.checker);
            let task_options = options.clone();
            let task_target = target.clone();
            let engine = tokio::task::spawn_blocking(move || {
                let socket = stream.into_std().and_then(|s| {
                    s.set_nonblocking(false)?;
                    Ok(s)
                });
                match socket {
                    Ok(socket) => checker.check_connected(
                        Connected {
                            socket,
                            peer: addr,
                            connect_ms,
                        },
                        &task_target,
                        &task_options,
                        &budget,
                    ),
                    Err(e) => Outcome::failed(
                        &task_target,
                        &task_options.policy,
                        &describe_connect_error(&addr, &e),
                    ),
                }
            });
            engine.await.unwrap_or_else(|_| stopped(&target, options))
        }
    };
    drop(held);
    release_host(shared, work.address, slot);
    let mut sighting = sighting_of(work, &shared.zone, &outcome, now());
    if work.sni.is_none() && outcome.report.is_some() {
        sighting.findings.push(StoredFinding {
            check: "name".to_string(),
            state: "OK".to_string(),
            message: "no name to check: the address was scanned without an SNI name".to_string(),
        });
    }
    sighting
}

/// Direct TLS: the handshake here, asynchronously, within the deadline; the analysis, the
/// lookups and any legacy fallback in the engine on a blocking thread.
async fn tls_check(
    shared: &Shared,
    mut stream: tokio::net::TcpStream,
    addr: SocketAddr,
    connect_ms: f64,
    target: Target,
    options: &CheckOptions,
    budget: Budget,
) -> Outcome {
    let mut handshake = match shared.checker.start_handshake(&target) {
        Ok(handshake) => handshake,
        Err(e) => return Outcome::failed(&target, &options.policy, &e),
    };
    let started = Instant::now();
    let deadline = tokio::time::Instant::from_std(budget.deadline.instant());
    let driven =
        tokio::time::timeout_at(deadline, handshake::drive(&mut handshake, &mut stream)).await;
    let failure = match driven {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(_) => Some(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "deadline passed",
        )),
    };
    let result = handshake.finish(failure, budget.deadline);
    if result.is_ok() {
        // The goodbye; a server that does not read it costs nothing more.
        let bye = handshake.outgoing();
        let _ = tokio::time::timeout(Duration::from_millis(100), stream.write_all(&bye)).await;
    }
    drop(stream);
    let timings = Timings {
        resolve_ms: 0.0,
        connect_ms,
        starttls_ms: 0.0,
        handshake_ms: started.elapsed().as_secs_f64() * 1000.0,
    };
    let checker = Arc::clone(&shared.checker);
    let task_options = options.clone();
    let task_target = target.clone();
    let _analysing = shared.analyses.acquire().await;
    tokio::task::spawn_blocking(move || {
        checker.check_handshake(result, addr, timings, &task_target, &task_options, &budget)
    })
    .await
    .unwrap_or_else(|_| stopped(&target, options))
}

/// How many analyses may run at once for these options.
fn analysis_slots(options: &CheckOptions) -> usize {
    let waits_on_network =
        options.policy.revocation || options.fetch_intermediates || options.probe_protocols;
    if waits_on_network {
        MAX_ENGINE_THREADS / 4
    } else {
        std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
    }
}

/// The outcome when the engine's thread for an endpoint ended without one.
fn stopped(target: &Target, options: &CheckOptions) -> Outcome {
    Outcome::failed(
        target,
        &options.policy,
        &certprobe::ConnectError::new(
            certprobe::ErrorKind::Setup,
            "the check of this endpoint stopped unexpectedly",
        ),
    )
}

/// The engine's target for a work item; an SNI name the engine refuses is an UNKNOWN outcome.
fn target_of(work: &Work, timeout: Duration) -> Result<Target, Box<Outcome>> {
    match Target::new(&work.address.to_string(), work.port, work.sni.as_deref()) {
        Ok(mut target) => {
            target.protocol = work.protocol;
            target.timeout = timeout;
            Ok(target)
        }
        Err(e) => Err(Box::new(Outcome::usage(&format!(
            "cannot check {}: {e}",
            show(&SocketAddr::new(work.address, work.port))
        )))),
    }
}

fn host_slot(shared: &Shared, ip: IpAddr) -> Arc<Semaphore> {
    let mut hosts = shared
        .per_host
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Arc::clone(
        hosts
            .entry(ip)
            .or_insert_with(|| Arc::new(Semaphore::new(shared.limits.per_host.max(1)))),
    )
}

/// Forgets an address's limiter when no check of it is running (a /8 sweep must not keep
/// sixteen million of them).
fn release_host(shared: &Shared, ip: IpAddr, slot: Arc<Semaphore>) {
    let mut hosts = shared
        .per_host
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // The map's reference and ours: nobody else waits on it.
    if Arc::strong_count(&slot) == 2 {
        hosts.remove(&ip);
    }
}

/// Waits for Ctrl-C, or SIGTERM on Unix (what systemd sends); false when signals cannot be
/// watched here (then only the end of the plan ends the scan).
pub(crate) async fn wait_for_signal() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                got = tokio::signal::ctrl_c() => got.is_ok(),
                got = term.recv() => got.is_some(),
            };
        }
    }
    tokio::signal::ctrl_c().await.is_ok()
}

fn now() -> i64 {
    certprobe::clock::now_unix()
}
