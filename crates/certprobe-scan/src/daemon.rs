//! `certprobe daemon`: jobs on their five-field cron schedules, one run of a job at a time,
//! until SIGTERM or SIGINT.
//!
//! Each run is a thread with its own store (a connection of its own) calling [`scan`]; the
//! schedule loop only waits, launches and logs. A job whose run is still going when its time
//! comes again is skipped, as cron's users expect of a scan that must not pile up. A signal
//! sets the scans' stop flag: each stops launching endpoints, lets the ones in flight end
//! (within their timeout), and is recorded as interrupted; the next start of the daemon
//! continues it at once instead of waiting for the job's next time.
//!
//! The schedule reads a [`Clock`]: the system's, or for tests one that starts at a chosen
//! time and runs faster. The scans themselves and the inventory always use the real time.

use crate::job::Job;
use crate::scanner::{scan, ScanError, ScanReport, ScanSettings};
use crate::schedule::Schedule;
use certprobe::Checker;
use certprobe_inventory::{InventoryError, Store};
use chrono::{DateTime, Local, NaiveDateTime, TimeZone};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// The longest the loop sleeps at once, so a changed system clock is noticed.
const MAX_WAIT: Duration = Duration::from_secs(30);

/// A job with its schedule.
#[derive(Debug, Clone)]
pub struct ScheduledJob {
    /// The job.
    pub job: Job,
    /// When it runs.
    pub schedule: Schedule,
}

/// The time the schedule follows.
#[derive(Debug, Clone)]
pub enum Clock {
    /// The machine's local time.
    System,
    /// Starts at `start` and runs `speed` times as fast as the real time (tests).
    Scaled {
        /// The time at `since`.
        start: DateTime<Local>,
        /// The real instant `start` stands for.
        since: Instant,
        /// How much faster than real time.
        speed: f64,
    },
}

/// A test clock that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockError {
    /// What was given.
    pub given: String,
}

impl fmt::Display for ClockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a test clock (START[,SPEED], as in 2026-12-01T03:00:00,60)",
            certprobe::text::quote(&self.given, 60)
        )
    }
}

impl std::error::Error for ClockError {}

impl Clock {
    /// A clock from `START[,SPEED]`: a local time `2026-12-01T03:00:00` and how many times
    /// faster than real time it runs (1 when left out, at most 100,000).
    pub fn parse_test_clock(text: &str) -> Result<Clock, ClockError> {
        let error = || ClockError {
            given: text.to_string(),
        };
        let (start, speed) = match text.split_once(',') {
            Some((start, speed)) => (start, speed.trim().parse::<f64>().map_err(|_| error())?),
            None => (text, 1.0),
        };
        if !(speed.is_finite() && speed > 0.0 && speed <= 100_000.0) {
            return Err(error());
        }
        let naive = NaiveDateTime::parse_from_str(start.trim(), "%Y-%m-%dT%H:%M:%S")
            .map_err(|_| error())?;
        let start = Local
            .from_local_datetime(&naive)
            .earliest()
            .ok_or_else(error)?;
        Ok(Clock::Scaled {
            start,
            since: Instant::now(),
            speed,
        })
    }

    /// The same clock, a scaled one starting again at its start time now: the daemon starts
    /// it when it is ready, so its set-up (trust stores, the config) costs no test time.
    pub fn restarted(&self) -> Clock {
        match self {
            Clock::System => Clock::System,
            Clock::Scaled { start, speed, .. } => Clock::Scaled {
                start: *start,
                since: Instant::now(),
                speed: *speed,
            },
        }
    }

    /// Now, by this clock.
    pub fn now(&self) -> DateTime<Local> {
        match self {
            Clock::System => Local::now(),
            Clock::Scaled {
                start,
                since,
                speed,
            } => {
                let passed = since.elapsed().as_secs_f64() * speed;
                let passed = chrono::Duration::milliseconds((passed * 1000.0) as i64);
                *start + passed
            }
        }
    }

    /// The real time until `at` by this clock.
    fn real_wait(&self, at: DateTime<Local>) -> Duration {
        let ahead = (at - self.now()).num_milliseconds().max(0) as f64 / 1000.0;
        let speed = match self {
            Clock::System => 1.0,
            Clock::Scaled { speed, .. } => *speed,
        };
        // A millisecond more, so the loop wakes after the time, not just before it.
        Duration::from_secs_f64(ahead / speed) + Duration::from_millis(1)
    }
}

/// Opens a store for one run, on the run's thread.
pub type StoreFactory =
    Arc<dyn Fn() -> Result<Box<dyn Store + Send>, InventoryError> + Send + Sync>;

/// Work done on a run's thread after a run that completed (the fleet notifies the owners of
/// what changed); it gets the job's name and gives the line the log shows, or why it failed.
pub type AfterRun = Arc<dyn Fn(&str) -> Result<String, String> + Send + Sync>;

/// How the daemon runs.
#[derive(Clone)]
pub struct DaemonSettings {
    /// The scanning machine's name, stored with each run.
    pub host: String,
    /// The clock the schedules follow.
    pub clock: Clock,
    /// Stop on SIGTERM and SIGINT (Ctrl-C elsewhere).
    pub handle_signals: bool,
    /// Run after each completed run, if set.
    pub after_run: Option<AfterRun>,
}

impl fmt::Debug for DaemonSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DaemonSettings")
            .field("host", &self.host)
            .field("clock", &self.clock)
            .field("handle_signals", &self.handle_signals)
            .field("after_run", &self.after_run.is_some())
            .finish()
    }
}

/// What the daemon did: one line each in its log.
#[derive(Debug)]
pub enum DaemonEvent {
    /// The daemon started with these jobs (name, schedule, first time).
    Started {
        /// The scheduled jobs.
        jobs: Vec<(String, String, Option<DateTime<Local>>)>,
        /// Jobs of the config without a schedule, which the daemon does not run.
        unscheduled: Vec<String>,
    },
    /// A run ended (done, interrupted) or could not run.
    Ran {
        /// The job.
        job: String,
        /// The time it was due; none when it continues an interrupted run at start.
        due: Option<DateTime<Local>>,
        /// The report, or why it failed.
        result: Result<ScanReport, RunError>,
    },
    /// What ran after a completed run (the notifier) said.
    After {
        /// The job.
        job: String,
        /// Its line, or why it failed.
        result: Result<String, String>,
    },
    /// A job's time came while its previous run was still going.
    Skipped {
        /// The job.
        job: String,
        /// The time it was due.
        due: DateTime<Local>,
        /// When the run that is still going started.
        running_since: DateTime<Local>,
    },
    /// A signal came: the running scans are stopping.
    Stopping {
        /// The signal's name.
        signal: &'static str,
        /// The jobs still running.
        running: Vec<String>,
    },
    /// Every run has ended; the daemon exits.
    Stopped,
}

fn minute(at: &DateTime<Local>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

impl fmt::Display for DaemonEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DaemonEvent::Started { jobs, unscheduled } => {
                let shown: Vec<String> = jobs
                    .iter()
                    .map(|(name, schedule, next)| match next {
                        Some(next) => format!("'{name}' ('{schedule}', next {})", minute(next)),
                        None => format!("'{name}' ('{schedule}', never)"),
                    })
                    .collect();
                write!(
                    f,
                    "started with {} {}: {}",
                    jobs.len(),
                    if jobs.len() == 1 { "job" } else { "jobs" },
                    shown.join(", ")
                )?;
                if !unscheduled.is_empty() {
                    let names: Vec<String> = unscheduled.iter().map(|n| format!("'{n}'")).collect();
                    write!(f, "; without a schedule, not run: {}", names.join(", "))?;
                }
                Ok(())
            }
            DaemonEvent::Ran { job, due, result } => {
                let when = due.as_ref().map(|d| format!("due {}", minute(d)));
                match result {
                    Ok(report) => {
                        let mut about: Vec<String> = when.into_iter().collect();
                        if report.resumed {
                            about.push("continued".to_string());
                        }
                        let c = &report.counts;
                        write!(
                            f,
                            "job '{job}' run {}{}: {}, {} of {} endpoints in {:.1} s: {} served a certificate, {} answered without one, {} did not answer",
                            report.run,
                            if about.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", about.join(", "))
                            },
                            if report.status == "done" {
                                "done"
                            } else {
                                "interrupted (the next start continues it)"
                            },
                            c.checked,
                            report.planned,
                            report.seconds,
                            c.served,
                            c.failed,
                            c.silent
                        )?;
                        if !report.unresolved.is_empty() {
                            write!(f, "; {} names did not resolve", report.unresolved.len())?;
                        }
                        Ok(())
                    }
                    Err(reason) => match when {
                        Some(when) => write!(f, "job '{job}' ({when}): failed: {reason}"),
                        None => write!(f, "job '{job}': failed: {reason}"),
                    },
                }
            }
            DaemonEvent::After { job, result } => match result {
                Ok(line) => write!(f, "job '{job}': {line}"),
                Err(reason) => write!(f, "job '{job}': {reason}"),
            },
            DaemonEvent::Skipped {
                job,
                due,
                running_since,
            } => write!(
                f,
                "job '{job}' (due {}): skipped, its run since {} is still going",
                minute(due),
                minute(running_since)
            ),
            DaemonEvent::Stopping { signal, running } => {
                if running.is_empty() {
                    write!(f, "stopping on {signal}")
                } else {
                    let names: Vec<String> = running.iter().map(|n| format!("'{n}'")).collect();
                    write!(
                        f,
                        "stopping on {signal}: waiting for the scans of {} to stop",
                        names.join(", ")
                    )
                }
            }
            DaemonEvent::Stopped => f.write_str("stopped"),
        }
    }
}

/// Why one run could not run or ended without a report.
#[derive(Debug)]
pub enum RunError {
    /// Its store cannot be opened.
    Inventory(InventoryError),
    /// The scan could not run or store its results.
    Scan(ScanError),
    /// Its thread ended without a result (it could not start, or it panicked).
    Died,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Inventory(e) => e.fmt(f),
            RunError::Scan(e) => e.fmt(f),
            RunError::Died => f.write_str("the run stopped unexpectedly"),
        }
    }
}

impl std::error::Error for RunError {}

/// Why the daemon cannot run.
#[derive(Debug)]
pub enum DaemonError {
    /// No job has a schedule.
    NoSchedule,
    /// The inventory cannot be opened or read at start.
    Inventory(InventoryError),
    /// Signals cannot be watched.
    Signals(String),
}

impl fmt::Display for DaemonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DaemonError::NoSchedule => f.write_str(
                "no job of the config has a schedule; give the jobs to run one, as in schedule = \"0 3 * * *\"",
            ),
            DaemonError::Inventory(e) => e.fmt(f),
            DaemonError::Signals(reason) => write!(f, "cannot watch for SIGTERM: {reason}"),
        }
    }
}

impl std::error::Error for DaemonError {}

impl From<InventoryError> for DaemonError {
    fn from(e: InventoryError) -> DaemonError {
        DaemonError::Inventory(e)
    }
}

/// What the loop hears.
enum Message {
    /// Job `index`'s run ended.
    Finished {
        index: usize,
        due: Option<DateTime<Local>>,
        result: Result<ScanReport, RunError>,
        after: Option<Result<String, String>>,
    },
    /// A signal came.
    Signal(&'static str),
}

/// Sends a run's end when dropped, so a run that dies still frees its job.
struct Reporter {
    sender: mpsc::Sender<Message>,
    index: usize,
    due: Option<DateTime<Local>>,
    result: Option<Result<ScanReport, RunError>>,
    after: Option<Result<String, String>>,
}

impl Reporter {
    /// Sends the run's result and what ran after it (on drop).
    fn finish(
        mut self,
        result: Result<ScanReport, RunError>,
        after: Option<Result<String, String>>,
    ) {
        self.result = Some(result);
        self.after = after;
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        let result = self.result.take().unwrap_or(Err(RunError::Died));
        let _ = self.sender.send(Message::Finished {
            index: self.index,
            due: self.due,
            result,
            after: self.after.take(),
        });
    }
}

/// Runs `jobs` on their schedules until a signal ends it (or `stop`, which the loop notices
/// within 30 seconds); `unscheduled` only names the config's other jobs in the first log line.
/// Returns when every run has ended.
pub fn run_daemon(
    jobs: Vec<ScheduledJob>,
    unscheduled: Vec<String>,
    checker: Arc<Checker>,
    stores: StoreFactory,
    settings: &DaemonSettings,
    stop: Arc<AtomicBool>,
    log: &mut dyn FnMut(&DaemonEvent),
) -> Result<(), DaemonError> {
    if jobs.is_empty() {
        return Err(DaemonError::NoSchedule);
    }
    let (sender, messages) = mpsc::channel::<Message>();
    // The inventory must open before anything is scheduled; and runs a signal interrupted
    // are continued now.
    let unfinished: Vec<usize> = {
        let store = stores()?;
        let mut found = Vec::new();
        for (index, scheduled) in jobs.iter().enumerate() {
            let latest = store.runs(Some(&scheduled.job.name), 8)?;
            let mine = latest.iter().find(|r| r.zone == scheduled.job.zone);
            if mine.is_some_and(|r| r.status != "done") {
                found.push(index);
            }
        }
        found
    };
    if settings.handle_signals {
        watch_signals(sender.clone(), Arc::clone(&stop))?;
    }
    let clock = &settings.clock.restarted();
    let mut next: Vec<Option<DateTime<Local>>> = jobs
        .iter()
        .map(|j| j.schedule.next_after(clock.now()))
        .collect();
    log(&DaemonEvent::Started {
        jobs: jobs
            .iter()
            .zip(&next)
            .map(|(j, n)| (j.job.name.clone(), j.schedule.text().to_string(), *n))
            .collect(),
        unscheduled,
    });
    let mut running: HashMap<usize, DateTime<Local>> = HashMap::new();
    let launch = |index: usize,
                  due: Option<DateTime<Local>>,
                  running: &mut HashMap<usize, DateTime<Local>>| {
        running.insert(index, clock.now());
        let job = jobs[index].job.clone();
        let checker = Arc::clone(&checker);
        let stores = Arc::clone(&stores);
        let stop = Arc::clone(&stop);
        let host = settings.host.clone();
        let after_run = settings.after_run.clone();
        let reporter = Reporter {
            sender: sender.clone(),
            index,
            due,
            result: None,
            after: None,
        };
        // A thread that cannot start drops its closure, and with it the reporter: the run
        // is logged as failed and the job is free again.
        let _ = std::thread::Builder::new()
            .name(format!("job {}", job.name))
            .spawn(move || {
                let result = stores().map_err(RunError::Inventory).and_then(|mut store| {
                    let settings = ScanSettings {
                        restart: false,
                        host,
                        handle_signals: false,
                    };
                    scan(&job, checker, &mut *store, &settings, stop, &mut |_| {})
                        .map_err(RunError::Scan)
                });
                // Only after a run that completed: an interrupted one continues later.
                let completed = result.as_ref().is_ok_and(|r| r.status == "done");
                let after = after_run
                    .filter(|_| completed)
                    .map(|after| after(&job.name));
                reporter.finish(result, after);
            });
    };
    for index in unfinished {
        launch(index, None, &mut running);
    }
    let mut signal = "a stop request";
    loop {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let now = clock.now();
        for (index, scheduled) in jobs.iter().enumerate() {
            let Some(due) = next[index] else {
                continue;
            };
            if due > now {
                continue;
            }
            match running.get(&index) {
                Some(since) => log(&DaemonEvent::Skipped {
                    job: scheduled.job.name.clone(),
                    due,
                    running_since: *since,
                }),
                None => launch(index, Some(due), &mut running),
            }
            // Times missed while asleep are not made up: the next one after now.
            next[index] = scheduled.schedule.next_after(now);
        }
        let wait = next
            .iter()
            .flatten()
            .min()
            .map_or(MAX_WAIT, |at| clock.real_wait(*at).min(MAX_WAIT));
        match messages.recv_timeout(wait) {
            Ok(Message::Finished {
                index,
                due,
                result,
                after,
            }) => {
                running.remove(&index);
                log_finished(&jobs[index].job.name, due, result, after, log);
            }
            Ok(Message::Signal(name)) => {
                signal = name;
                break;
            }
            Err(_) => {}
        }
    }
    stop.store(true, Ordering::SeqCst);
    let mut names: Vec<String> = running.keys().map(|i| jobs[*i].job.name.clone()).collect();
    names.sort();
    log(&DaemonEvent::Stopping {
        signal,
        running: names,
    });
    while !running.is_empty() {
        match messages.recv() {
            Ok(Message::Finished {
                index,
                due,
                result,
                after,
            }) => {
                running.remove(&index);
                log_finished(&jobs[index].job.name, due, result, after, log);
            }
            Ok(Message::Signal(_)) => {}
            Err(_) => break,
        }
    }
    log(&DaemonEvent::Stopped);
    Ok(())
}

/// The log lines of a run that ended: the run's, then what ran after it.
fn log_finished(
    job: &str,
    due: Option<DateTime<Local>>,
    result: Result<ScanReport, RunError>,
    after: Option<Result<String, String>>,
    log: &mut dyn FnMut(&DaemonEvent),
) {
    log(&DaemonEvent::Ran {
        job: job.to_string(),
        due,
        result,
    });
    if let Some(result) = after {
        log(&DaemonEvent::After {
            job: job.to_string(),
            result,
        });
    }
}

/// SIGTERM (what systemd sends) and SIGINT set `stop` and wake the loop. They are watched
/// from here on: a signal right after this returns is not lost.
fn watch_signals(sender: mpsc::Sender<Message>, stop: Arc<AtomicBool>) -> Result<(), DaemonError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DaemonError::Signals(e.to_string()))?;
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (mut term, mut interrupt) = runtime
            .block_on(async {
                Ok::<_, std::io::Error>((
                    signal(SignalKind::terminate())?,
                    signal(SignalKind::interrupt())?,
                ))
            })
            .map_err(|e| DaemonError::Signals(e.to_string()))?;
        std::thread::spawn(move || {
            let name = runtime.block_on(async {
                tokio::select! {
                    _ = term.recv() => "SIGTERM",
                    _ = interrupt.recv() => "SIGINT",
                }
            });
            stop.store(true, Ordering::SeqCst);
            let _ = sender.send(Message::Signal(name));
        });
    }
    #[cfg(not(unix))]
    {
        std::thread::spawn(move || {
            if runtime.block_on(tokio::signal::ctrl_c()).is_ok() {
                stop.store(true, Ordering::SeqCst);
                let _ = sender.send(Message::Signal("Ctrl-C"));
            }
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
