//! The one interface the scanner, the queries and the plugins use, whatever the database.

use crate::error::InventoryError;
use crate::model::{
    EndpointKey, RunCounts, RunKind, RunStart, RunStatus, SharedRun, Sighting, WorkUnit,
};
use crate::notification::{
    AlarmInput, Attempt, Delivery, NewDelivery, RememberedAlarm, StateChange,
};
use crate::query::{
    AuditRow, CertificateFilter, CertificateRow, CleanupCounts, DeploymentRow, EndpointDetail,
    EndpointFilter, EndpointRow, EventRow, ExportRow, HistoryOf, LeafSpan, RunRow,
};
use std::collections::HashSet;

/// A scan run in progress. While it lives, no other scan of its job can start.
pub struct Run {
    /// The run's id.
    pub id: i64,
    /// The job.
    pub job: String,
    /// True when this continues a run that was interrupted.
    pub resumed: bool,
    /// The endpoints the run already recorded before it was interrupted: skip them.
    pub done: HashSet<EndpointKey>,
    /// The counts recorded so far.
    pub counts: RunCounts,
    /// Held for the run's lifetime (the job lock).
    pub(crate) _lock: Option<crate::sql::Lock>,
}

impl Run {
    /// A run that holds no job lock, for a recorder that is not an inventory (an export
    /// file): nothing to continue, nothing counted yet.
    pub fn unlocked(id: i64, job: &str) -> Run {
        Run {
            id,
            job: job.to_string(),
            resumed: false,
            done: HashSet::new(),
            counts: RunCounts::default(),
            _lock: None,
        }
    }
}

/// Where a run's sightings go: an inventory, or a file that one imports later
/// (`certprobe scan --export`). All a scan needs.
pub trait Recorder {
    /// Starts a run of `start.job`, or continues the job's interrupted run unless `restart`
    /// (never an imported one: its scanner is elsewhere). Refused while another process runs
    /// the job.
    fn begin_run(&mut self, start: &RunStart, restart: bool) -> Result<Run, InventoryError>;

    /// Records a batch of sightings of `run` in one transaction, with the events they cause
    /// and the run's counts: after a crash, either all of the batch is stored or none of it.
    fn record(&mut self, run: &mut Run, batch: &[Sighting]) -> Result<(), InventoryError>;

    /// Ends a run.
    fn finish_run(&mut self, run: Run, status: RunStatus, ended: i64)
        -> Result<(), InventoryError>;

    /// Called a few times a second while a run lives, results or not: a recorder that holds
    /// a lease (a shared run's work unit) renews it here.
    fn tick(&mut self, _run: &Run) -> Result<(), InventoryError> {
        Ok(())
    }
}

/// An inventory store.
pub trait Store: Recorder {
    /// Certificates by filter, soonest expiry first.
    fn certificates(
        &self,
        filter: &CertificateFilter,
    ) -> Result<Vec<CertificateRow>, InventoryError>;

    /// Where certificates are deployed: `needle` is a SHA-256 fingerprint prefix of 8 or more
    /// hex digits (colons allowed), or a DNS name a certificate covers.
    fn deployments(
        &self,
        needle: &str,
        ended_too: bool,
    ) -> Result<Vec<DeploymentRow>, InventoryError>;

    /// Endpoints by filter.
    fn endpoints(&self, filter: &EndpointFilter) -> Result<Vec<EndpointRow>, InventoryError>;

    /// Endpoints by filter, each with the chain (DER) its latest scan saw, in the order of
    /// [`Store::endpoints`].
    fn endpoint_details(
        &self,
        filter: &EndpointFilter,
    ) -> Result<Vec<EndpointDetail>, InventoryError>;

    /// The events of an endpoint or a certificate, oldest first.
    fn history(&self, of: &HistoryOf) -> Result<Vec<EventRow>, InventoryError>;

    /// The latest runs, newest first; of one job when given.
    fn runs(&self, job: Option<&str>, limit: usize) -> Result<Vec<RunRow>, InventoryError>;

    /// The endpoints of `run`'s job on `address` in `zone`, of `protocol`, that the run has
    /// not recorded and whose latest record is not a failure of kind `gone`: once an audit
    /// has walked everything, the places it no longer found.
    fn unseen(
        &self,
        run: &Run,
        place: &EndpointKey,
        gone: &str,
    ) -> Result<Vec<EndpointKey>, InventoryError>;

    /// The ended run (done or interrupted) that imported the exported run `id`, if one did.
    fn imported(&self, id: &str) -> Result<Option<i64>, InventoryError>;

    /// The latest ended run of this kind, job and zone by `host`: its id and start.
    fn latest_done(
        &self,
        kind: RunKind,
        job: &str,
        zone: &str,
        host: &str,
    ) -> Result<Option<(i64, i64)>, InventoryError>;

    /// Each host's latest completed audit, by host name; of one host when given.
    fn audits(&self, host: Option<&str>) -> Result<Vec<AuditRow>, InventoryError>;

    /// Every endpoint that has served a certificate at least once (of one job when given),
    /// with its latest scan and the leaf it serves now: what the exports for Icinga Director,
    /// Zabbix and Prometheus are made of. Ordered by address (numerically), port, SNI name.
    fn export(&self, job: Option<&str>) -> Result<Vec<ExportRow>, InventoryError>;

    /// Removes, in one transaction, the endpoints not scanned since `before` (Unix seconds)
    /// with their deployments and events, the deployments that ended and the events that
    /// happened before it, then the chains and certificates nothing refers to any more.
    fn cleanup(&mut self, before: i64) -> Result<CleanupCounts, InventoryError>;

    /// Every endpoint with the leaf it serves now and that leaf's facts, by endpoint id.
    fn alarm_inputs(&self) -> Result<Vec<AlarmInput>, InventoryError>;

    /// What every owner was last told, by endpoint, certificate and owner.
    fn alarm_states(&self) -> Result<Vec<RememberedAlarm>, InventoryError>;

    /// Writes, in one transaction, the alarm changes and the messages they cause (pending,
    /// due at `now`): after a crash, either a change and its messages are stored or neither
    /// is. Returns the messages' ids, in order.
    fn commit_notifications(
        &mut self,
        changes: &[StateChange],
        deliveries: &[NewDelivery],
        now: i64,
    ) -> Result<Vec<i64>, InventoryError>;

    /// The pending messages due at `now`, oldest first, at most `limit`.
    fn due_deliveries(&self, now: i64, limit: usize) -> Result<Vec<Delivery>, InventoryError>;

    /// The latest messages, sent or not, newest first: the notification log.
    fn deliveries(&self, limit: usize) -> Result<Vec<Delivery>, InventoryError>;

    /// Records how an attempt to send message `id` ended.
    fn record_attempt(&mut self, id: i64, attempt: &Attempt) -> Result<(), InventoryError>;

    /// The notifier's lock, held while the returned file is open: one notifier at a time,
    /// and one that died frees it.
    fn lock_notifier(&self) -> Result<crate::sql::Lock, InventoryError>;

    /// The events at or after `since`, newest first, at most `limit`.
    fn events_since(&self, since: i64, limit: usize) -> Result<Vec<EventRow>, InventoryError>;

    /// Every leaf deployment, ended or not, with its certificate's notAfter.
    fn leaf_spans(&self) -> Result<Vec<LeafSpan>, InventoryError>;

    /// A number that changes when another connection commits: a reader that keeps what it
    /// read (the dashboard) asks whether it is still current.
    fn data_version(&self) -> Result<i64, InventoryError>;

    /// The database as shown in messages: its path, or its URL without a password.
    fn path(&self) -> String;

    /// Joins the job's shared run under way (`certprobe scan --share`), or makes one cut into
    /// `units` (when there is none, or `restart` ends the one under way).
    fn share_run(
        &mut self,
        start: &RunStart,
        units: &[String],
        restart: bool,
    ) -> Result<SharedRun, InventoryError>;

    /// Claims the shared run's next unit for `lease` seconds by the database's clock: one
    /// nobody holds, or whose holder's lease has ended. `None` when there is none to claim.
    fn claim_unit(
        &mut self,
        run: i64,
        owner: &str,
        lease: i64,
    ) -> Result<Option<WorkUnit>, InventoryError>;

    /// Extends the lease on a unit `owner` holds; false when it is no longer theirs.
    fn renew_unit(&mut self, unit: i64, owner: &str, lease: i64) -> Result<bool, InventoryError>;

    /// Gives a unit back unscanned (a scanner told to stop): another may claim it at once.
    fn release_unit(&mut self, unit: i64, owner: &str) -> Result<(), InventoryError>;

    /// Stores a unit's sightings and marks it done, in one transaction; false (and nothing
    /// stored) when `owner` no longer holds it.
    fn complete_unit(
        &mut self,
        run: &mut Run,
        unit: i64,
        owner: &str,
        batch: &[Sighting],
    ) -> Result<bool, InventoryError>;

    /// How many of a shared run's units are not done.
    fn units_left(&self, run: i64) -> Result<u64, InventoryError>;

    /// Ends a shared run whose units are all done; false when some are not (or another
    /// scanner ended it).
    fn end_shared_run(&mut self, run: i64, ended: i64) -> Result<bool, InventoryError>;

    /// A run's counts as stored (a shared run's, from every scanner).
    fn run_counts(&self, run: i64) -> Result<RunCounts, InventoryError>;
}
