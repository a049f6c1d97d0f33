//! Scan runs: the job lock, starting or continuing a run, ending it.

use super::query::endpoint_key;
use super::{classify, SqliteStore};
use crate::error::InventoryError;
use crate::model::{EndpointKey, RunCounts, RunKind, RunStart, RunStatus};
use crate::query::AuditRow;
use crate::store::Run;
use rusqlite::{params, OptionalExtension};
use std::collections::HashSet;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

impl SqliteStore {
    pub(crate) fn begin(&mut self, start: &RunStart, restart: bool) -> Result<Run, InventoryError> {
        let lock = self.lock_job(&start.job)?;
        let shown = self.path();
        let latest: Option<(i64, String, RunCounts)> = self
            .conn
            .query_row(
                "SELECT id, status, checked, served, failed, silent FROM scan_run
                 WHERE job = ?1 AND zone = ?2 AND import_id IS NULL ORDER BY id DESC LIMIT 1",
                params![start.job, start.zone],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        RunCounts {
                            checked: row.get::<_, i64>(2)? as u64,
                            served: row.get::<_, i64>(3)? as u64,
                            failed: row.get::<_, i64>(4)? as u64,
                            silent: row.get::<_, i64>(5)? as u64,
                        },
                    ))
                },
            )
            .optional()
            .map_err(|e| classify(&shown, "reading the job's runs", &e))?;
        let pid = i64::from(std::process::id());
        if let Some((id, status, counts)) = latest {
            let unfinished = RunStatus::from_name(&status) != RunStatus::Done;
            if unfinished && restart {
                self.conn
                    .execute(
                        "UPDATE scan_run SET status = 'interrupted' WHERE id = ?1",
                        params![id],
                    )
                    .map_err(|e| classify(&shown, "ending the interrupted run", &e))?;
            } else if unfinished {
                self.conn
                    .execute(
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
        self.conn
            .execute(
                "INSERT INTO scan_run (job, zone, host, pid, started, status, planned, kind, import_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, ?7, ?8)",
                params![
                    start.job,
                    start.zone,
                    start.host,
                    pid,
                    start.started,
                    start.planned as i64,
                    start.kind.as_str(),
                    start.import_id
                ],
            )
            .map_err(|e| classify(&shown, "starting a run", &e))?;
        Ok(Run {
            id: self.conn.last_insert_rowid(),
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
        self.conn
            .execute(
                "UPDATE scan_run SET status = ?2, ended = ?3 WHERE id = ?1",
                params![run.id, status.as_str(), ended],
            )
            .map_err(|e| classify(&self.path(), "ending the run", &e))?;
        Ok(())
    }

    /// The endpoints an interrupted run already recorded.
    fn done_in(&self, run: i64) -> Result<HashSet<EndpointKey>, InventoryError> {
        let shown = self.path();
        let mut statement = self
            .conn
            .prepare(
                "SELECT zone, address, port, sni, protocol FROM endpoint WHERE last_run_id = ?1",
            )
            .map_err(|e| classify(&shown, "reading the interrupted run", &e))?;
        let rows = statement
            .query_map(params![run], |row| endpoint_key(row, 0))
            .map_err(|e| classify(&shown, "reading the interrupted run", &e))?;
        rows.collect::<Result<HashSet<_>, _>>()
            .map_err(|e| classify(&shown, "reading the interrupted run", &e))
    }

    /// One lock file per job next to the database, held while the run lives: the operating
    /// system frees it when the process dies, however it dies.
    fn lock_job(&self, job: &str) -> Result<File, InventoryError> {
        lock_file(&self.lock_path(job), || {
            let (run, pid) = self.running_run(job).unwrap_or((0, 0));
            InventoryError::JobRunning {
                job: job.to_string(),
                run,
                pid,
            }
        })
    }

    fn running_run(&self, job: &str) -> Option<(i64, i64)> {
        self.conn
            .query_row(
                "SELECT id, pid FROM scan_run WHERE job = ?1 AND status = 'running'
                 ORDER BY id DESC LIMIT 1",
                params![job],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .ok()
    }

    fn lock_path(&self, job: &str) -> PathBuf {
        let safe: String = job
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut name = self.path.as_os_str().to_os_string();
        name.push(format!(".{safe}.lock"));
        PathBuf::from(name)
    }
}

impl SqliteStore {
    pub(crate) fn query_audits(&self, host: Option<&str>) -> Result<Vec<AuditRow>, InventoryError> {
        // Runs have a kind since schema 4; an older file (read-only) has no audit.
        if self.version < 4 {
            return Ok(Vec::new());
        }
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "reading the audits", &e);
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT r.host, r.id, r.job, r.ended, r.checked FROM scan_run r
                 WHERE r.kind = 'audit' AND r.status = 'done' AND (?1 IS NULL OR lower(r.host) = lower(?1))
                   AND r.id = (SELECT max(id) FROM scan_run
                               WHERE kind = 'audit' AND status = 'done' AND host = r.host)
                 ORDER BY r.host",
            )
            .map_err(fail)?;
        let rows = statement
            .query_map(params![host], |row| {
                Ok(AuditRow {
                    host: row.get(0)?,
                    run: row.get(1)?,
                    job: row.get(2)?,
                    ended: row.get::<_, Option<i64>>(3)?.unwrap_or_default(),
                    places: row.get::<_, i64>(4)? as u64,
                })
            })
            .map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    pub(crate) fn query_unseen(
        &self,
        run: &Run,
        place: &EndpointKey,
        gone: &str,
    ) -> Result<Vec<EndpointKey>, InventoryError> {
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "reading the places not seen", &e);
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT zone, address, port, sni, protocol FROM endpoint
                 WHERE job = ?1 AND last_run_id < ?2 AND zone = ?3 AND address = ?4
                   AND protocol = ?5 AND coalesce(error_kind, '') <> ?6
                 ORDER BY sni",
            )
            .map_err(fail)?;
        let rows = statement
            .query_map(
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
            .map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    pub(crate) fn query_imported(&self, id: &str) -> Result<Option<i64>, InventoryError> {
        if self.version < 5 {
            return Ok(None);
        }
        let shown = self.path();
        self.conn
            .query_row(
                "SELECT max(id) FROM scan_run WHERE import_id = ?1 AND ended IS NOT NULL",
                params![id],
                |row| row.get(0),
            )
            .map_err(|e| classify(&shown, "reading the imports", &e))
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
        let shown = self.path();
        self.conn
            .query_row(
                "SELECT id, started FROM scan_run
                 WHERE kind = ?1 AND job = ?2 AND zone = ?3 AND host = ?4 AND ended IS NOT NULL
                 ORDER BY id DESC LIMIT 1",
                params![kind.as_str(), job, zone, host],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(|e| classify(&shown, "reading the latest run", &e))
    }
}

/// Takes the lock of the file at `path` (made if missing), held while the file is open;
/// `busy` says who holds it when another process does.
pub(super) fn lock_file(
    path: &std::path::Path,
    busy: impl FnOnce() -> InventoryError,
) -> Result<File, InventoryError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| InventoryError::NotWritable {
            path: path.display().to_string(),
            reason: crate::error::io_words(&e),
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(busy()),
        Err(TryLockError::Error(e)) => Err(InventoryError::NotWritable {
            path: path.display().to_string(),
            reason: crate::error::io_words(&e),
        }),
    }
}
