//! Scan runs: the job lock, starting or continuing a run, ending it.

use super::query::endpoint_key;
use super::{classify, SqlStore};
use crate::error::InventoryError;
use crate::model::{EndpointKey, RunCounts, RunKind, RunStart, RunStatus};
use crate::query::AuditRow;
use crate::sql::{self, params, Connection, LockName};
use crate::store::Run;
use std::collections::HashSet;

impl<C: Connection> SqlStore<C> {
    pub(crate) fn begin(&mut self, start: &RunStart, restart: bool) -> Result<Run, InventoryError> {
        let lock = self.lock_job(&start.job)?;
        let shown = self.path();
        let db = self.db();
        let latest: Option<(i64, String, RunCounts, u64)> = sql::first(
            db,
            "SELECT id, status, checked, served, failed, silent, units FROM scan_run
             WHERE job = ?1 AND zone = ?2 AND import_id IS NULL ORDER BY id DESC LIMIT 1",
            params![start.job, start.zone],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    RunCounts {
                        checked: row.get(2)?,
                        served: row.get(3)?,
                        failed: row.get(4)?,
                        silent: row.get(5)?,
                    },
                    row.get(6)?,
                ))
            },
        )
        .map_err(|e| classify(&shown, "reading the job's runs", &e))?;
        let pid = i64::from(std::process::id());
        if let Some((id, status, counts, units)) = latest {
            let unfinished = RunStatus::from_name(&status) != RunStatus::Done;
            if unfinished && units > 0 && !restart {
                // Its scanners hold no job lock: it is theirs to finish, not this scan's.
                return Err(InventoryError::SharedRunning {
                    job: start.job.clone(),
                    run: id,
                });
            }
            if unfinished && restart {
                db.execute(
                    "UPDATE scan_run SET status = 'interrupted' WHERE id = ?1",
                    params![id],
                )
                .map_err(|e| classify(&shown, "ending the interrupted run", &e))?;
            } else if unfinished {
                db.execute(
                    "UPDATE scan_run SET status = 'running', pid = ?2, host = ?3 WHERE id = ?1",
                    params![id, pid, start.host],
                )
                .map_err(|e| classify(&shown, "continuing the interrupted run", &e))?;
                return Ok(Run {
                    id,
                    job: start.job.clone(),
                    resumed: true,
                    done: self.done_in(id)?,
                    counts,
                    _lock: Some(lock),
                });
            }
        }
        let id = db
            .insert(
                "INSERT INTO scan_run (job, zone, host, pid, started, status, planned, kind, import_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, ?7, ?8)",
                params![
                    start.job,
                    start.zone,
                    start.host,
                    pid,
                    start.started,
                    start.planned,
                    start.kind.as_str(),
                    start.import_id
                ],
            )
            .map_err(|e| classify(&shown, "starting a run", &e))?
            .unwrap_or_default();
        Ok(Run {
            id,
            job: start.job.clone(),
            resumed: false,
            done: HashSet::new(),
            counts: RunCounts::default(),
            _lock: Some(lock),
        })
    }

    pub(crate) fn finish(
        &mut self,
        run: Run,
        status: RunStatus,
        ended: i64,
    ) -> Result<(), InventoryError> {
        self.db()
            .execute(
                "UPDATE scan_run SET status = ?2, ended = ?3 WHERE id = ?1",
                params![run.id, status.as_str(), ended],
            )
            .map_err(|e| classify(&self.path(), "ending the run", &e))?;
        Ok(())
    }

    /// The endpoints an interrupted run already recorded.
    fn done_in(&self, run: i64) -> Result<HashSet<EndpointKey>, InventoryError> {
        let keys = sql::rows(
            self.db(),
            "SELECT zone, address, port, sni, protocol FROM endpoint WHERE last_run_id = ?1",
            params![run],
            |row| endpoint_key(row, 0),
        )
        .map_err(|e| classify(&self.path(), "reading the interrupted run", &e))?;
        Ok(keys.into_iter().collect())
    }

    /// The job's lock, held while the run lives: the operating system (a lock file) or the
    /// server (a lock of a connection) frees it when the process dies, however it dies.
    pub(super) fn lock_job(&self, job: &str) -> Result<sql::Lock, InventoryError> {
        let lock = self
            .db()
            .try_lock(LockName::Job(job))
            .map_err(|e| classify(&self.path(), "locking the job", &e))?;
        lock.ok_or_else(|| {
            let (run, pid) = self.running_run(job).unwrap_or((0, 0));
            InventoryError::JobRunning {
                job: job.to_string(),
                run,
                pid,
            }
        })
    }

    fn running_run(&self, job: &str) -> Option<(i64, i64)> {
        sql::first(
            self.db(),
            "SELECT id, pid FROM scan_run WHERE job = ?1 AND status = 'running'
             ORDER BY id DESC LIMIT 1",
            params![job],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .ok()
        .flatten()
    }

    pub(crate) fn query_audits(&self, host: Option<&str>) -> Result<Vec<AuditRow>, InventoryError> {
        // Runs have a kind since schema 4; an older file (read-only) has no audit.
        if self.version < 4 {
            return Ok(Vec::new());
        }
        sql::rows(
            self.db(),
            "SELECT r.host, r.id, r.job, r.ended, r.checked FROM scan_run r
             WHERE r.kind = 'audit' AND r.status = 'done'
               AND (CAST(?1 AS TEXT) IS NULL OR lower(r.host) = lower(?1))
               AND r.id = (SELECT max(id) FROM scan_run
                           WHERE kind = 'audit' AND status = 'done' AND host = r.host)
             ORDER BY r.host",
            params![host],
            |row| {
                Ok(AuditRow {
                    host: row.get(0)?,
                    run: row.get(1)?,
                    job: row.get(2)?,
                    ended: row.get::<Option<i64>>(3)?.unwrap_or_default(),
                    places: row.get(4)?,
                })
            },
        )
        .map_err(|e| classify(&self.path(), "reading the audits", &e))
    }

    pub(crate) fn query_unseen(
        &self,
        run: &Run,
        place: &EndpointKey,
        gone: &str,
    ) -> Result<Vec<EndpointKey>, InventoryError> {
        sql::rows(
            self.db(),
            "SELECT zone, address, port, sni, protocol FROM endpoint
             WHERE job = ?1 AND last_run_id < ?2 AND zone = ?3 AND address = ?4
               AND protocol = ?5 AND coalesce(error_kind, '') <> ?6
             ORDER BY sni",
            params![
                run.job,
                run.id,
                place.zone,
                place.address,
                place.protocol,
                gone
            ],
            |row| endpoint_key(row, 0),
        )
        .map_err(|e| classify(&self.path(), "reading the places not seen", &e))
    }

    pub(crate) fn query_imported(&self, id: &str) -> Result<Option<i64>, InventoryError> {
        if self.version < 5 {
            return Ok(None);
        }
        sql::first(
            self.db(),
            "SELECT max(id) FROM scan_run WHERE import_id = ?1 AND ended IS NOT NULL",
            params![id],
            |row| row.get::<Option<i64>>(0),
        )
        .map(Option::flatten)
        .map_err(|e| classify(&self.path(), "reading the imports", &e))
    }

    pub(crate) fn query_latest_done(
        &self,
        kind: RunKind,
        job: &str,
        zone: &str,
        host: &str,
    ) -> Result<Option<(i64, i64)>, InventoryError> {
        if self.version < 4 {
            return Ok(None);
        }
        sql::first(
            self.db(),
            "SELECT id, started FROM scan_run
             WHERE kind = ?1 AND job = ?2 AND zone = ?3 AND host = ?4 AND ended IS NOT NULL
             ORDER BY id DESC LIMIT 1",
            params![kind.as_str(), job, zone, host],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .map_err(|e| classify(&self.path(), "reading the latest run", &e))
    }
}
