//! Work units: a run shared by several scanners (`certprobe scan --share`) is cut into units
//! that each scanner claims for a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has
//! one writer), scans, and completes in one transaction with the unit's sightings. A scanner
//! that dies leaves its unit to be claimed again once the lease has ended; one that lost its
//! lease stores nothing, so no endpoint is stored twice in a run.

use super::record::record_sightings;
use super::{classify, SqlStore};
use crate::error::InventoryError;
use crate::model::{RunCounts, RunStart, RunStatus, SharedRun, Sighting, WorkUnit};
use crate::sql::{self, params, Connection, DbError};
use crate::store::Run;

impl<C: Connection> SqlStore<C> {
    pub(crate) fn share(
        &mut self,
        start: &RunStart,
        units: &[String],
        restart: bool,
    ) -> Result<SharedRun, InventoryError> {
        let fail = |e: DbError| classify(&self.path(), "sharing the run", &e);
        // The job's lock while the shared run is found or made: two scanners starting at
        // once make one run, and a scan of the job on its own is not under way. Another
        // scanner holds it for a moment while it makes the run: wait for that, or join.
        let waited = std::time::Instant::now();
        let _lock = loop {
            match self.lock_job(&start.job) {
                Ok(lock) => break lock,
                Err(busy @ InventoryError::JobRunning { .. }) => {
                    if let Some(run) = self.shared_under_way(start).map_err(fail)? {
                        if !restart {
                            return Ok(run);
                        }
                    }
                    if waited.elapsed() > std::time::Duration::from_secs(10) {
                        return Err(busy);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => return Err(e),
            }
        };
        let db = self.db();
        let latest = latest_scan(db, start).map_err(fail)?;
        if let Some((id, status, units, planned)) = latest {
            let unfinished = RunStatus::from_name(&status) != RunStatus::Done;
            if unfinished && units > 0 && !restart {
                return Ok(SharedRun {
                    id,
                    created: false,
                    units,
                    planned,
                });
            }
            if unfinished {
                db.execute(
                    "UPDATE scan_run SET status = 'interrupted' WHERE id = ?1",
                    params![id],
                )
                .map_err(fail)?;
            }
        }
        let pid = i64::from(std::process::id());
        let id = sql::transaction(db, || {
            let id = db
                .insert(
                    "INSERT INTO scan_run (job, zone, host, pid, started, status, planned, kind,
                                           units)
                     VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, 'scan', ?7)",
                    params![
                        start.job,
                        start.zone,
                        start.host,
                        pid,
                        start.started,
                        start.planned,
                        units.len()
                    ],
                )?
                .unwrap_or_default();
            for spec in units {
                db.execute(
                    "INSERT INTO work_unit (run_id, spec) VALUES (?1, ?2)",
                    params![id, spec],
                )?;
            }
            Ok(id)
        })
        .map_err(fail)?;
        Ok(SharedRun {
            id,
            created: true,
            units: units.len() as u64,
            planned: start.planned,
        })
    }

    /// The job's shared run under way, if its latest run is one.
    fn shared_under_way(&self, start: &RunStart) -> Result<Option<SharedRun>, DbError> {
        Ok(match latest_scan(self.db(), start)? {
            Some((id, status, units, planned))
                if units > 0 && RunStatus::from_name(&status) != RunStatus::Done =>
            {
                Some(SharedRun {
                    id,
                    created: false,
                    units,
                    planned,
                })
            }
            _ => None,
        })
    }

    pub(crate) fn claim(
        &mut self,
        run: i64,
        owner: &str,
        lease: i64,
    ) -> Result<Option<WorkUnit>, InventoryError> {
        let db = self.db();
        let now = db.dialect().now();
        let claim = format!(
            "UPDATE work_unit SET owner = ?2, lease_until = {now} + ?3, attempts = attempts + 1
             WHERE id = (SELECT id FROM work_unit
                         WHERE run_id = ?1 AND done_at IS NULL
                           AND (owner IS NULL OR lease_until < {now})
                         ORDER BY id LIMIT 1{skip})
             RETURNING id, spec, attempts",
            skip = db.dialect().skip_locked()
        );
        sql::retried(|| {
            sql::first(db, &claim, params![run, owner, lease], |row| {
                Ok(WorkUnit {
                    id: row.get(0)?,
                    spec: row.get(1)?,
                    attempts: row.get(2)?,
                })
            })
        })
        .map_err(|e| classify(&self.path(), "claiming a work unit", &e))
    }

    pub(crate) fn renew(
        &mut self,
        unit: i64,
        owner: &str,
        lease: i64,
    ) -> Result<bool, InventoryError> {
        let db = self.db();
        let renew = format!(
            "UPDATE work_unit SET lease_until = {} + ?3
             WHERE id = ?1 AND owner = ?2 AND done_at IS NULL",
            db.dialect().now()
        );
        db.execute(&renew, params![unit, owner, lease])
            .map(|changed| changed == 1)
            .map_err(|e| classify(&self.path(), "renewing a work unit's lease", &e))
    }

    pub(crate) fn release(&mut self, unit: i64, owner: &str) -> Result<(), InventoryError> {
        self.db()
            .execute(
                "UPDATE work_unit SET owner = NULL, lease_until = NULL
                 WHERE id = ?1 AND owner = ?2 AND done_at IS NULL",
                params![unit, owner],
            )
            .map_err(|e| classify(&self.path(), "giving a work unit back", &e))?;
        Ok(())
    }

    pub(crate) fn complete(
        &mut self,
        run: &mut Run,
        unit: i64,
        owner: &str,
        batch: &[Sighting],
    ) -> Result<bool, InventoryError> {
        let db = self.db();
        let done = format!(
            "UPDATE work_unit SET done_at = {}, done_by = ?2
             WHERE id = ?1 AND owner = ?2 AND done_at IS NULL",
            db.dialect().now()
        );
        let added = sql::retried(|| {
            // The unit's row first: it stays locked to the end, so a scanner that took the
            // unit over after this one's lease ended waits, then finds it done. When it is no
            // longer this scanner's, nothing was written and the empty transaction ends.
            sql::transaction(db, || {
                if db.execute(&done, params![unit, owner])? != 1 {
                    return Ok(None);
                }
                record_sightings(db, run.id, &run.job, batch).map(Some)
            })
        })
        .map_err(|e| classify(&self.path(), "storing a work unit", &e))?;
        match added {
            Some(added) => {
                run.counts = run.counts.plus(added);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    pub(crate) fn left(&self, run: i64) -> Result<u64, InventoryError> {
        sql::first(
            self.db(),
            "SELECT count(*) FROM work_unit WHERE run_id = ?1 AND done_at IS NULL",
            params![run],
            |row| row.get(0),
        )
        .map(Option::unwrap_or_default)
        .map_err(|e| classify(&self.path(), "reading the work units", &e))
    }

    pub(crate) fn end_shared(&mut self, run: i64, ended: i64) -> Result<bool, InventoryError> {
        self.db()
            .execute(
                "UPDATE scan_run SET status = 'done', ended = ?2
                 WHERE id = ?1 AND status = 'running'
                   AND NOT EXISTS (SELECT 1 FROM work_unit
                                   WHERE run_id = ?1 AND done_at IS NULL)",
                params![run, ended],
            )
            .map(|changed| changed == 1)
            .map_err(|e| classify(&self.path(), "ending the shared run", &e))
    }

    pub(crate) fn shared_counts(&self, run: i64) -> Result<RunCounts, InventoryError> {
        sql::first(
            self.db(),
            "SELECT checked, served, failed, silent FROM scan_run WHERE id = ?1",
            params![run],
            |row| {
                Ok(RunCounts {
                    checked: row.get(0)?,
                    served: row.get(1)?,
                    failed: row.get(2)?,
                    silent: row.get(3)?,
                })
            },
        )
        .map(Option::unwrap_or_default)
        .map_err(|e| classify(&self.path(), "reading the shared run", &e))
    }
}

/// The job's latest scan run in the zone: its id, status, units and planned endpoints.
fn latest_scan(
    db: &dyn Connection,
    start: &RunStart,
) -> Result<Option<(i64, String, u64, u64)>, DbError> {
    sql::first(
        db,
        "SELECT id, status, units, planned FROM scan_run
         WHERE job = ?1 AND zone = ?2 AND kind = 'scan' AND import_id IS NULL
         ORDER BY id DESC LIMIT 1",
        params![start.job, start.zone],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
    )
}
