//! The notifier's tables: the deployed leaves with their facts, what owners were told
//! (`alarm`), and the outbox (`notification`).

use super::{classify, SqliteStore};
use crate::error::InventoryError;
use crate::model::{EndpointKey, StoredFinding};
use crate::notification::{
    AlarmInput, AlarmState, Attempt, Delivery, NewDelivery, RememberedAlarm, StateChange,
};
use rusqlite::{params, Row};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

/// The notifier's tables came with schema 6; an older file (opened read-only) has none.
const NOTIFY_SCHEMA: i64 = 6;

impl SqliteStore {
    pub(crate) fn query_alarm_inputs(&self) -> Result<Vec<AlarmInput>, InventoryError> {
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "reading the deployed certificates", &e);
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT e.id, e.zone, e.address, e.port, e.sni, e.protocol, e.job, e.state,
                        e.tls_version, e.findings, c.id, c.sha256, c.subject, c.common_name,
                        c.issuer, c.issuer_common_name, c.serial, c.not_before, c.not_after,
                        c.key_type, c.key_bits, c.signature, c.self_signed,
                        (SELECT group_concat(n.name, char(10)) FROM certificate_name n
                         WHERE n.certificate_id = c.id)
                 FROM endpoint e
                 JOIN deployment d ON d.id = e.deployment_id
                 JOIN certificate c ON c.id = d.leaf_id
                 WHERE d.ended_at IS NULL
                 ORDER BY e.id",
            )
            .map_err(fail)?;
        let rows = statement.query_map([], input).map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    pub(crate) fn query_alarm_states(&self) -> Result<Vec<RememberedAlarm>, InventoryError> {
        if self.version < NOTIFY_SCHEMA {
            return Ok(Vec::new());
        }
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "reading the alarms", &e);
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT a.endpoint_id, a.certificate_id, a.owner, a.tier, a.alarms, a.since,
                        c.sha256, c.common_name, c.subject, c.not_after,
                        e.zone, e.address, e.port, e.sni, e.protocol, e.job
                 FROM alarm a
                 JOIN certificate c ON c.id = a.certificate_id
                 JOIN endpoint e ON e.id = a.endpoint_id
                 ORDER BY a.endpoint_id, a.certificate_id, a.owner",
            )
            .map_err(fail)?;
        let rows = statement
            .query_map([], |row| {
                let alarms: String = row.get(4)?;
                let sha: Vec<u8> = row.get(6)?;
                let common_name: String = row.get(7)?;
                let subject: String = row.get(8)?;
                Ok(RememberedAlarm {
                    state: AlarmState {
                        endpoint_id: row.get(0)?,
                        certificate_id: row.get(1)?,
                        owner: row.get(2)?,
                        tier: row.get(3)?,
                        alarms: alarms.split_whitespace().map(str::to_string).collect(),
                        since: row.get(5)?,
                    },
                    sha256: sha.try_into().unwrap_or([0; 32]),
                    subject: if common_name.is_empty() {
                        subject
                    } else {
                        common_name
                    },
                    not_after: row.get(9)?,
                    endpoint: super::query::endpoint_key(row, 10)?,
                    job: row.get(15)?,
                })
            })
            .map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    pub(crate) fn commit_notifications(
        &mut self,
        changes: &[StateChange],
        deliveries: &[NewDelivery],
        now: i64,
    ) -> Result<Vec<i64>, InventoryError> {
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "recording the notifications", &e);
        let tx = self.conn.transaction().map_err(fail)?;
        let mut ids = Vec::with_capacity(deliveries.len());
        {
            let mut set = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO alarm
                         (endpoint_id, certificate_id, owner, tier, alarms, since)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(fail)?;
            let mut clear = tx
                .prepare_cached(
                    "DELETE FROM alarm
                     WHERE endpoint_id = ?1 AND certificate_id = ?2 AND owner = ?3",
                )
                .map_err(fail)?;
            for change in changes {
                match change {
                    StateChange::Set(state) => set
                        .execute(params![
                            state.endpoint_id,
                            state.certificate_id,
                            state.owner,
                            state.tier,
                            state.alarms.join(" "),
                            state.since
                        ])
                        .map_err(fail)?,
                    StateChange::Clear {
                        endpoint_id,
                        certificate_id,
                        owner,
                    } => clear
                        .execute(params![endpoint_id, certificate_id, owner])
                        .map_err(fail)?,
                };
            }
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO notification
                         (created, owner, channel, destination, payload, status, next_attempt)
                     VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?1)",
                )
                .map_err(fail)?;
            for delivery in deliveries {
                insert
                    .execute(params![
                        now,
                        delivery.owner,
                        delivery.channel,
                        delivery.destination,
                        delivery.payload
                    ])
                    .map_err(fail)?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.commit().map_err(fail)?;
        Ok(ids)
    }

    pub(crate) fn query_deliveries(
        &self,
        due_at: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Delivery>, InventoryError> {
        if self.version < NOTIFY_SCHEMA {
            return Ok(Vec::new());
        }
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "reading the notifications", &e);
        let columns = "id, created, owner, channel, destination, payload, status, attempts,
                       next_attempt, sent_at, last_error";
        let sql = match due_at {
            // Oldest first: a digest planned earlier goes out before a later one.
            Some(_) => format!(
                "SELECT {columns} FROM notification
                 WHERE status = 'pending' AND next_attempt <= ?1 ORDER BY id LIMIT ?2"
            ),
            None => format!(
                "SELECT {columns} FROM notification WHERE ?1 IS NULL ORDER BY id DESC LIMIT ?2"
            ),
        };
        let mut statement = self.conn.prepare_cached(&sql).map_err(fail)?;
        let rows = statement
            .query_map(params![due_at, limit as i64], delivery)
            .map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    pub(crate) fn record_attempt(
        &mut self,
        id: i64,
        attempt: &Attempt,
    ) -> Result<(), InventoryError> {
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "recording a sent notification", &e);
        match attempt {
            Attempt::Sent { at } => self.conn.execute(
                "UPDATE notification SET status = 'sent', sent_at = ?2 WHERE id = ?1",
                params![id, at],
            ),
            Attempt::Dropped { reason } => self.conn.execute(
                "UPDATE notification SET status = 'dropped', last_error = ?2 WHERE id = ?1",
                params![id, reason],
            ),
            Attempt::Failed { reason, retry_at } => self.conn.execute(
                "UPDATE notification
                 SET attempts = attempts + 1, next_attempt = ?2, last_error = ?3 WHERE id = ?1",
                params![id, retry_at, reason],
            ),
        }
        .map_err(fail)?;
        Ok(())
    }

    /// One lock file next to the database, held while a notifier plans and sends: the
    /// operating system frees it when the process dies. Its name cannot be a job's
    /// (`DB.JOB.lock`).
    pub(crate) fn lock_notifier(&self) -> Result<File, InventoryError> {
        let mut name = self.path.as_os_str().to_os_string();
        name.push("-notifier.lock");
        let path = PathBuf::from(name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| InventoryError::NotWritable {
                path: path.display().to_string(),
                reason: crate::error::io_words(&e),
            })?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(TryLockError::WouldBlock) => {
                Err(InventoryError::NotifierRunning { path: self.path() })
            }
            Err(TryLockError::Error(e)) => Err(InventoryError::NotWritable {
                path: path.display().to_string(),
                reason: crate::error::io_words(&e),
            }),
        }
    }
}

fn input(row: &Row<'_>) -> rusqlite::Result<AlarmInput> {
    let findings: String = row.get(9)?;
    let sha: Vec<u8> = row.get(11)?;
    let names: Option<String> = row.get(23)?;
    Ok(AlarmInput {
        endpoint_id: row.get(0)?,
        endpoint: EndpointKey {
            zone: row.get(1)?,
            address: row.get(2)?,
            port: row.get(3)?,
            sni: row.get(4)?,
            protocol: row.get(5)?,
        },
        job: row.get(6)?,
        state: row.get(7)?,
        tls_version: row.get(8)?,
        // Written by the recording code; a row that does not parse has no findings to alarm on.
        findings: serde_json::from_str::<Vec<StoredFinding>>(&findings).unwrap_or_default(),
        certificate_id: row.get(10)?,
        sha256: sha.try_into().unwrap_or([0; 32]),
        subject: row.get(12)?,
        common_name: row.get(13)?,
        issuer: row.get(14)?,
        issuer_common_name: row.get(15)?,
        serial: row.get(16)?,
        not_before: row.get(17)?,
        not_after: row.get(18)?,
        key_type: row.get(19)?,
        key_bits: row.get(20)?,
        signature: row.get(21)?,
        self_signed: row.get(22)?,
        names: names
            .map(|n| n.split('\n').map(str::to_string).collect())
            .unwrap_or_default(),
    })
}

fn delivery(row: &Row<'_>) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        id: row.get(0)?,
        created: row.get(1)?,
        owner: row.get(2)?,
        channel: row.get(3)?,
        destination: row.get(4)?,
        payload: row.get(5)?,
        status: row.get(6)?,
        attempts: row.get(7)?,
        next_attempt: row.get(8)?,
        sent_at: row.get(9)?,
        last_error: row.get(10)?,
    })
}
