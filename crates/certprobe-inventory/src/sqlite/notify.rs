//! The notifier's tables: the deployed leaves with their facts, what owners were told
//! (`alarm`), and the outbox (`notification`).

use super::{classify, SqliteStore};
use crate::error::InventoryError;
use crate::model::{EndpointKey, StoredFinding};
use crate::notification::{
    AlarmInput, AlarmState, Attempt, Delivery, LeafFacts, NewDelivery, RememberedAlarm, StateChange,
};
use rusqlite::{params, Row};
use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

/// The notifier's tables came with schema 6; an older file (opened read-only) has none.
const NOTIFY_SCHEMA: i64 = 6;

impl SqliteStore {
    /// Three statements, not one join: each deployed leaf is read once (it is served by
    /// several endpoints, and its row carries its DER), then the endpoints in their order.
    pub(crate) fn query_alarm_inputs(&self) -> Result<Vec<AlarmInput>, InventoryError> {
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "reading the deployed certificates", &e);
        let mut leaves: HashMap<i64, LeafFacts> = HashMap::new();
        {
            let mut statement = self
                .conn
                .prepare_cached(
                    "SELECT c.id, c.sha256, c.subject, c.common_name, c.issuer,
                            c.issuer_common_name, c.serial, c.not_before, c.not_after,
                            c.key_type, c.key_bits, c.signature, c.self_signed
                     FROM certificate c
                     WHERE c.id IN (SELECT leaf_id FROM deployment WHERE ended_at IS NULL)",
                )
                .map_err(fail)?;
            let rows = statement.query_map([], leaf).map_err(fail)?;
            for row in rows {
                let (id, facts) = row.map_err(fail)?;
                leaves.insert(id, facts);
            }
        }
        {
            let mut statement = self
                .conn
                .prepare_cached(
                    "SELECT certificate_id, name FROM certificate_name
                     WHERE certificate_id IN (SELECT leaf_id FROM deployment WHERE ended_at IS NULL)",
                )
                .map_err(fail)?;
            let rows = statement
                .query_map([], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
                })
                .map_err(fail)?;
            for row in rows {
                let (id, name) = row.map_err(fail)?;
                if let Some(facts) = leaves.get_mut(&id) {
                    facts.names.push(name);
                }
            }
        }
        let leaves: HashMap<i64, Arc<LeafFacts>> = leaves
            .into_iter()
            .map(|(id, facts)| (id, Arc::new(facts)))
            .collect();
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT e.id, e.zone, e.address, e.port, e.sni, e.protocol, e.job, e.state,
                        e.tls_version, e.findings, d.leaf_id
                 FROM endpoint e
                 JOIN deployment d ON d.id = e.deployment_id
                 WHERE d.ended_at IS NULL
                 ORDER BY e.id",
            )
            .map_err(fail)?;
        let rows = statement
            .query_map([], |row| {
                let findings: String = row.get(9)?;
                Ok((
                    row.get::<_, i64>(0)?,
                    EndpointKey {
                        zone: row.get(1)?,
                        address: row.get(2)?,
                        port: row.get(3)?,
                        sni: row.get(4)?,
                        protocol: row.get(5)?,
                    },
                    row.get::<_, String>(6)?,
                    row.get::<_, u8>(7)?,
                    row.get::<_, String>(8)?,
                    findings,
                    row.get::<_, i64>(10)?,
                ))
            })
            .map_err(fail)?;
        let mut out = Vec::new();
        for row in rows {
            let (endpoint_id, endpoint, job, state, tls_version, findings, leaf_id) =
                row.map_err(fail)?;
            let Some(l) = leaves.get(&leaf_id) else {
                continue;
            };
            out.push(AlarmInput {
                endpoint_id,
                endpoint,
                job,
                state,
                tls_version,
                // Written by the recording code; a row that does not parse has no findings to
                // alarm on.
                findings: serde_json::from_str::<Vec<StoredFinding>>(&findings).unwrap_or_default(),
                certificate_id: leaf_id,
                leaf: Arc::clone(l),
            });
        }
        Ok(out)
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
        super::runs::lock_file(&PathBuf::from(name), || InventoryError::NotifierRunning {
            path: self.path(),
        })
    }
}

fn leaf(row: &Row<'_>) -> rusqlite::Result<(i64, LeafFacts)> {
    let sha: Vec<u8> = row.get(1)?;
    Ok((
        row.get(0)?,
        LeafFacts {
            sha256: sha.try_into().unwrap_or([0; 32]),
            subject: row.get(2)?,
            common_name: row.get(3)?,
            issuer: row.get(4)?,
            issuer_common_name: row.get(5)?,
            serial: row.get(6)?,
            not_before: row.get(7)?,
            not_after: row.get(8)?,
            key_type: row.get(9)?,
            key_bits: row.get(10)?,
            signature: row.get(11)?,
            self_signed: row.get(12)?,
            names: Vec::new(),
        },
    ))
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
