//! A job shared by several scanners (`certprobe scan --share`): the first cuts the run into
//! work units (address blocks of the plan), each claims one unit at a time for a lease,
//! scans it and stores it in one transaction with the unit marked done; a unit whose
//! scanner died is claimed again once its lease has ended. The last scanner to find every
//! unit done ends the run.

use crate::job::Job;
use crate::scanner::{plan_of, run_start, scan_plan, wait_for_signal};
use crate::scanner::{Progress, ScanError, ScanReport};
use crate::scanner::{ScanSettings, UnitsDone};
use certprobe::Checker;
use certprobe_inventory::model::{RunCounts, RunStart, RunStatus, Sighting, WorkUnit};
use certprobe_inventory::{InventoryError, Recorder, Run, Store};
use ipnet::IpNet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a job is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// The prefix of an IPv4 unit (24: a /24 each).
    pub v4: u8,
    /// The prefix of an IPv6 unit.
    pub v6: u8,
    /// How long a claimed unit stays this scanner's without a sign of life.
    pub lease: Duration,
}

impl Default for Share {
    fn default() -> Share {
        Share {
            v4: 24,
            v6: 120,
            lease: Duration::from_secs(300),
        }
    }
}

/// Runs `job` with the other scanners of its shared run until every unit is done (or `stop`).
pub fn scan_shared(
    job: &Job,
    checker: Arc<Checker>,
    store: &mut dyn Store,
    settings: &ScanSettings,
    stop: Arc<AtomicBool>,
    progress: &mut dyn FnMut(Progress),
    share: &Share,
) -> Result<ScanReport, ScanError> {
    let started = Instant::now();
    if settings.handle_signals {
        watch_signals(Arc::clone(&stop));
    }
    let plan = plan_of(job);
    let units = plan
        .units(share.v4, share.v6)
        .ok_or(ScanError::TooManyUnits {
            limit: crate::plan::MAX_UNITS,
        })?;
    let specs: Vec<String> = units.iter().map(IpNet::to_string).collect();
    let planned = plan.count();
    let start = run_start(job, settings, planned);
    let shared = store.share_run(&start, &specs, settings.restart)?;
    let owner = owner_name(&settings.host);
    let lease = i64::try_from(share.lease.as_secs().max(1)).unwrap_or(i64::MAX);
    let unit_settings = ScanSettings {
        restart: false,
        host: settings.host.clone(),
        handle_signals: false,
    };
    let mut mine = UnitsDone {
        total: shared.units,
        mine: 0,
        endpoints: 0,
    };
    let mut ended = false;
    let mut unresolved = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let Some(unit) = store.claim_unit(shared.id, &owner, lease)? else {
            if store.units_left(shared.id)? == 0 {
                store.end_shared_run(shared.id, certprobe::clock::now_unix())?;
                ended = true;
                break;
            }
            // Every open unit is another scanner's: look again shortly (the run ends when
            // they are done; one whose lease ends is claimed here).
            sleep_unless_stopped(Duration::from_millis(250), &stop);
            continue;
        };
        let Ok(block) = unit.spec.parse::<IpNet>() else {
            return Err(ScanError::BadUnit { spec: unit.spec });
        };
        let mut recorder = UnitRecorder::new(store, shared.id, unit, &owner, lease);
        let done_before = mine.endpoints;
        let report = scan_plan(
            job,
            &plan.within(block),
            Arc::clone(&checker),
            &mut recorder,
            &unit_settings,
            Arc::clone(&stop),
            &mut |p| {
                progress(Progress {
                    planned,
                    checked: done_before + p.checked,
                    served: p.served,
                })
            },
            Instant::now(),
        );
        match report {
            Ok(report) if recorder.stored => {
                mine.mine += 1;
                mine.endpoints += report.counts.checked;
                unresolved = report.unresolved;
            }
            Ok(_) => {}
            // Taken over: the other scanner's results stand; on to the next unit.
            Err(ScanError::Inventory(InventoryError::UnitLost { .. })) => {}
            Err(e) => return Err(e),
        }
    }
    let counts: RunCounts = store.run_counts(shared.id)?;
    let status = if ended || store.units_left(shared.id)? == 0 {
        RunStatus::Done
    } else {
        RunStatus::Interrupted
    };
    Ok(ScanReport {
        job: job.name.clone(),
        run: shared.id,
        resumed: !shared.created,
        status: status.as_str(),
        planned: shared.planned,
        counts,
        unresolved,
        seconds: started.elapsed().as_secs_f64(),
        units: Some(mine),
    })
}

/// A name for this scanner in the units it holds: host, process and start.
fn owner_name(host: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{host} pid {} {nanos:08x}", std::process::id())
}

fn sleep_unless_stopped(wait: Duration, stop: &AtomicBool) {
    let until = Instant::now() + wait;
    while Instant::now() < until && !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Ctrl-C and SIGTERM set `stop`, between units as during one.
fn watch_signals(stop: Arc<AtomicBool>) {
    let _ = std::thread::Builder::new()
        .name("signals".to_string())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            if runtime.block_on(wait_for_signal()) {
                stop.store(true, Ordering::SeqCst);
            }
        });
}

/// One unit's recorder: keeps its sightings, renews its lease, and stores them with the
/// unit marked done when the scan of the unit completes (gives the unit back otherwise).
struct UnitRecorder<'a> {
    store: &'a mut dyn Store,
    run: i64,
    unit: WorkUnit,
    owner: &'a str,
    lease: i64,
    kept: Vec<Sighting>,
    renewed: Instant,
    stored: bool,
}

impl<'a> UnitRecorder<'a> {
    fn new(
        store: &'a mut dyn Store,
        run: i64,
        unit: WorkUnit,
        owner: &'a str,
        lease: i64,
    ) -> UnitRecorder<'a> {
        UnitRecorder {
            store,
            run,
            unit,
            owner,
            lease,
            kept: Vec::new(),
            renewed: Instant::now(),
            stored: false,
        }
    }
}

impl Recorder for UnitRecorder<'_> {
    fn begin_run(&mut self, start: &RunStart, _restart: bool) -> Result<Run, InventoryError> {
        Ok(Run::unlocked(self.run, &start.job))
    }

    fn record(&mut self, run: &mut Run, batch: &[Sighting]) -> Result<(), InventoryError> {
        for sighting in batch {
            run.counts.count(sighting);
        }
        self.kept.extend_from_slice(batch);
        self.tick(run)
    }

    fn tick(&mut self, _run: &Run) -> Result<(), InventoryError> {
        // A third of the lease between renewals: two can fail before it ends.
        let every = Duration::from_secs(u64::try_from(self.lease / 3).unwrap_or(0).max(1));
        if self.renewed.elapsed() < every {
            return Ok(());
        }
        if !self
            .store
            .renew_unit(self.unit.id, self.owner, self.lease)?
        {
            return Err(InventoryError::UnitLost { unit: self.unit.id });
        }
        self.renewed = Instant::now();
        Ok(())
    }

    fn finish_run(
        &mut self,
        run: Run,
        status: RunStatus,
        _ended: i64,
    ) -> Result<(), InventoryError> {
        if status != RunStatus::Done {
            return self.store.release_unit(self.unit.id, self.owner);
        }
        let mut stored = Run::unlocked(self.run, &run.job);
        self.stored =
            self.store
                .complete_unit(&mut stored, self.unit.id, self.owner, &self.kept)?;
        if !self.stored {
            return Err(InventoryError::UnitLost { unit: self.unit.id });
        }
        Ok(())
    }
}
