//! The certprobe inventory: every certificate found by a scan or an audit, stored once by
//! SHA-256; where each one is deployed, as spans of time; and what changed, as events.
//!
//! The scanner, the queries and `check_cert_inventory` use it only through [`Store`]. Its
//! logic ([`SqlStore`]) is written once over a small SQL seam ([`sql::Connection`]): the
//! embedded SQLite file is one connection, a shared PostgreSQL database
//! (`certprobe-inventory-pg`) the other.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod error;
pub mod event;
pub mod model;
pub mod net;
pub mod notification;
pub mod path;
pub mod query;
pub mod sql;
mod sql_store;
mod sqlite;
mod store;

pub use error::InventoryError;
pub use event::EventKind;
pub use sql_store::{Access, Copied, SqlStore, MIGRATIONS, POSTGRES_MIGRATIONS};
pub use sqlite::SqliteStore;
pub use store::{Recorder, Run, Store};

use model::{RunStart, RunStatus, Sighting};
use notification::{AlarmInput, Attempt, Delivery, NewDelivery, RememberedAlarm, StateChange};
use query::{
    AuditRow, CertificateFilter, CertificateRow, CleanupCounts, DeploymentRow, EndpointDetail,
    EndpointFilter, EndpointRow, EventRow, ExportRow, HistoryOf, LeafSpan, RunRow,
};

impl<C: sql::Connection> Recorder for SqlStore<C> {
    fn begin_run(&mut self, start: &RunStart, restart: bool) -> Result<Run, InventoryError> {
        self.begin(start, restart)
    }

    fn record(&mut self, run: &mut Run, batch: &[Sighting]) -> Result<(), InventoryError> {
        self.record_batch(run, batch)
    }

    fn finish_run(
        &mut self,
        run: Run,
        status: RunStatus,
        ended: i64,
    ) -> Result<(), InventoryError> {
        self.finish(run, status, ended)
    }
}

impl<C: sql::Connection> Store for SqlStore<C> {
    fn certificates(
        &self,
        filter: &CertificateFilter,
    ) -> Result<Vec<CertificateRow>, InventoryError> {
        self.query_certificates(filter)
    }

    fn deployments(
        &self,
        needle: &str,
        ended_too: bool,
    ) -> Result<Vec<DeploymentRow>, InventoryError> {
        self.query_deployments(needle, ended_too)
    }

    fn endpoints(&self, filter: &EndpointFilter) -> Result<Vec<EndpointRow>, InventoryError> {
        self.query_endpoints(filter)
    }

    fn endpoint_details(
        &self,
        filter: &EndpointFilter,
    ) -> Result<Vec<EndpointDetail>, InventoryError> {
        self.query_endpoint_details(filter)
    }

    fn history(&self, of: &HistoryOf) -> Result<Vec<EventRow>, InventoryError> {
        self.query_history(of)
    }

    fn runs(&self, job: Option<&str>, limit: usize) -> Result<Vec<RunRow>, InventoryError> {
        self.query_runs(job, limit)
    }

    fn unseen(
        &self,
        run: &Run,
        place: &model::EndpointKey,
        gone: &str,
    ) -> Result<Vec<model::EndpointKey>, InventoryError> {
        self.query_unseen(run, place, gone)
    }

    fn imported(&self, id: &str) -> Result<Option<i64>, InventoryError> {
        self.query_imported(id)
    }

    fn latest_done(
        &self,
        kind: model::RunKind,
        job: &str,
        zone: &str,
        host: &str,
    ) -> Result<Option<(i64, i64)>, InventoryError> {
        self.query_latest_done(kind, job, zone, host)
    }

    fn audits(&self, host: Option<&str>) -> Result<Vec<AuditRow>, InventoryError> {
        self.query_audits(host)
    }

    fn export(&self, job: Option<&str>) -> Result<Vec<ExportRow>, InventoryError> {
        self.query_export(job)
    }

    fn cleanup(&mut self, before: i64) -> Result<CleanupCounts, InventoryError> {
        self.remove_before(before)
    }

    fn alarm_inputs(&self) -> Result<Vec<AlarmInput>, InventoryError> {
        self.query_alarm_inputs()
    }

    fn alarm_states(&self) -> Result<Vec<RememberedAlarm>, InventoryError> {
        self.query_alarm_states()
    }

    fn commit_notifications(
        &mut self,
        changes: &[StateChange],
        deliveries: &[NewDelivery],
        now: i64,
    ) -> Result<Vec<i64>, InventoryError> {
        SqlStore::commit_notifications(self, changes, deliveries, now)
    }

    fn due_deliveries(&self, now: i64, limit: usize) -> Result<Vec<Delivery>, InventoryError> {
        self.query_deliveries(Some(now), limit)
    }

    fn deliveries(&self, limit: usize) -> Result<Vec<Delivery>, InventoryError> {
        self.query_deliveries(None, limit)
    }

    fn record_attempt(&mut self, id: i64, attempt: &Attempt) -> Result<(), InventoryError> {
        SqlStore::record_attempt(self, id, attempt)
    }

    fn lock_notifier(&self) -> Result<sql::Lock, InventoryError> {
        SqlStore::lock_notifier(self)
    }

    fn events_since(&self, since: i64, limit: usize) -> Result<Vec<EventRow>, InventoryError> {
        self.query_events_since(since, limit)
    }

    fn leaf_spans(&self) -> Result<Vec<LeafSpan>, InventoryError> {
        self.query_leaf_spans()
    }

    fn data_version(&self) -> Result<i64, InventoryError> {
        SqlStore::data_version(self)
    }

    fn path(&self) -> String {
        SqlStore::path(self)
    }

    fn share_run(
        &mut self,
        start: &RunStart,
        units: &[String],
        restart: bool,
    ) -> Result<model::SharedRun, InventoryError> {
        self.share(start, units, restart)
    }

    fn claim_unit(
        &mut self,
        run: i64,
        owner: &str,
        lease: i64,
    ) -> Result<Option<model::WorkUnit>, InventoryError> {
        self.claim(run, owner, lease)
    }

    fn renew_unit(&mut self, unit: i64, owner: &str, lease: i64) -> Result<bool, InventoryError> {
        self.renew(unit, owner, lease)
    }

    fn release_unit(&mut self, unit: i64, owner: &str) -> Result<(), InventoryError> {
        self.release(unit, owner)
    }

    fn complete_unit(
        &mut self,
        run: &mut Run,
        unit: i64,
        owner: &str,
        batch: &[Sighting],
    ) -> Result<bool, InventoryError> {
        self.complete(run, unit, owner, batch)
    }

    fn units_left(&self, run: i64) -> Result<u64, InventoryError> {
        self.left(run)
    }

    fn end_shared_run(&mut self, run: i64, ended: i64) -> Result<bool, InventoryError> {
        self.end_shared(run, ended)
    }

    fn run_counts(&self, run: i64) -> Result<model::RunCounts, InventoryError> {
        self.shared_counts(run)
    }
}
