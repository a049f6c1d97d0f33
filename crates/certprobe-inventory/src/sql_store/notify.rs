//! The notifier's tables: the deployed leaves with their facts, what owners were told
//! (`alarm`), and the outbox (`notification`).

use super::{classify, SqlStore};
use crate::error::InventoryError;
use crate::model::StoredFinding;
use crate::notification::{
    AlarmInput, AlarmState, Attempt, Delivery, LeafFacts, NewDelivery, RememberedAlarm, StateChange,
};
use crate::sql::{self, params, Connection, DbError, LockName, Row};
use std::collections::HashMap;
use std::sync::Arc;

/// The notifier's tables came with schema 6; an older file (opened read-only) has none.
const NOTIFY_SCHEMA: i64 = 6;

impl<C: Connection> SqlStore<C> {
    /// Three statements, not one join: each deployed leaf is read once (it is served by
    /// several endpoints, and its row carries its DER), then the endpoints in their order.
    pub(crate) fn query_alarm_inputs(&self) -> Result<Vec<AlarmInput>, InventoryError> {
        let fail = |e: DbError| classify(&self.path(), "reading the deployed certificates", &e);
        let db = self.db();
        let mut leaves: HashMap<i64, LeafFacts> = HashMap::new();
        db.query(
            "SELECT c.id, c.sha256, c.subject, c.common_name, c.issuer,
                    c.issuer_common_name, c.serial, c.not_before, c.not_after,
                    c.key_type, c.key_bits, c.signature, c.self_signed
             FROM certificate c
             WHERE c.id IN (SELECT leaf_id FROM deployment WHERE ended_at IS NULL)",
            params![],
            &mut |row| {
                let (id, facts) = leaf(row)?;
                leaves.insert(id, facts);
                Ok(())
            },
        )
        .map_err(fail)?;
        db.query(
            "SELECT certificate_id, name FROM certificate_name
             WHERE certificate_id IN (SELECT leaf_id FROM deployment WHERE ended_at IS NULL)",
            params![],
            &mut |row| {
                if let Some(facts) = leaves.get_mut(&row.get::<i64>(0)?) {
                    facts.names.push(row.get(1)?);
                }
                Ok(())
            },
        )
        .map_err(fail)?;
        let leaves: HashMap<i64, Arc<LeafFacts>> = leaves
            .into_iter()
            .map(|(id, facts)| (id, Arc::new(facts)))
            .collect();
        let mut out = Vec::new();
        db.query(
            "SELECT e.id, e.zone, e.address, e.port, e.sni, e.protocol, e.job, e.state,
                    e.tls_version, e.findings, d.leaf_id
             FROM endpoint e
             JOIN deployment d ON d.id = e.deployment_id
             WHERE d.ended_at IS NULL
             ORDER BY e.id",
            params![],
            &mut |row| {
                let leaf_id: i64 = row.get(10)?;
                let Some(l) = leaves.get(&leaf_id) else {
                    return Ok(());
                };
                out.push(AlarmInput {
                    endpoint_id: row.get(0)?,
                    endpoint: super::query::endpoint_key(row, 1)?,
                    job: row.get(6)?,
                    state: row.get(7)?,
                    tls_version: row.get(8)?,
                    // Written by the recording code; a row that does not parse has no
                    // findings to alarm on.
                    findings: serde_json::from_str::<Vec<StoredFinding>>(
                        row.text_ref(9)?.unwrap_or_default(),
                    )
                    .unwrap_or_default(),
                    certificate_id: leaf_id,
                    leaf: Arc::clone(l),
                });
                Ok(())
            },
        )
        .map_err(fail)?;
        Ok(out)
    }

    pub(crate) fn query_alarm_states(&self) -> Result<Vec<RememberedAlarm>, InventoryError> {
        if self.version < NOTIFY_SCHEMA {
            return Ok(Vec::new());
        }
        sql::rows(
            self.db(),
            "SELECT a.endpoint_id, a.certificate_id, a.owner, a.tier, a.alarms, a.since,
                        c.sha256, c.common_name, c.subject, c.not_after,
                        e.zone, e.address, e.port, e.sni, e.protocol, e.job
                 FROM alarm a
                 JOIN certificate c ON c.id = a.certificate_id
                 JOIN endpoint e ON e.id = a.endpoint_id
                 ORDER BY a.endpoint_id, a.certificate_id, a.owner",
            params![],
            |row| {
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
            },
        )
        .map_err(|e| classify(&self.path(), "reading the alarms", &e))
    }

    pub(crate) fn commit_notifications(
        &mut self,
        changes: &[StateChange],
        deliveries: &[NewDelivery],
        now: i64,
    ) -> Result<Vec<i64>, InventoryError> {
        let db = self.db();
        sql::transaction(db, || {
            for change in changes {
                match change {
                    StateChange::Set(state) => db.execute(
                        "INSERT INTO alarm (endpoint_id, certificate_id, owner, tier, alarms, since)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (endpoint_id, certificate_id, owner) DO UPDATE SET
                             tier = excluded.tier, alarms = excluded.alarms,
                             since = excluded.since",
                        params![
                            state.endpoint_id,
                            state.certificate_id,
                            state.owner,
                            state.tier,
                            state.alarms.join(" "),
                            state.since
                        ],
                    )?,
                    StateChange::Clear {
                        endpoint_id,
                        certificate_id,
                        owner,
                    } => db.execute(
                        "DELETE FROM alarm
                         WHERE endpoint_id = ?1 AND certificate_id = ?2 AND owner = ?3",
                        params![endpoint_id, certificate_id, owner],
                    )?,
                };
            }
            let mut ids = Vec::with_capacity(deliveries.len());
            for delivery in deliveries {
                let id = db.insert(
                    "INSERT INTO notification
                         (created, owner, channel, destination, payload, status, next_attempt)
                     VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?1)",
                    params![
                        now,
                        delivery.owner,
                        delivery.channel,
                        delivery.destination,
                        delivery.payload
                    ],
                )?;
                ids.push(id.unwrap_or_default());
            }
            Ok(ids)
        })
        .map_err(|e| classify(&self.path(), "recording the notifications", &e))
    }

    pub(crate) fn query_deliveries(
        &self,
        due_at: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Delivery>, InventoryError> {
        if self.version < NOTIFY_SCHEMA {
            return Ok(Vec::new());
        }
        let columns = "id, created, owner, channel, destination, payload, status, attempts,
                       next_attempt, sent_at, last_error";
        let sql = match due_at {
            // Oldest first: a digest planned earlier goes out before a later one.
            Some(_) => format!(
                "SELECT {columns} FROM notification
                 WHERE status = 'pending' AND next_attempt <= ?1 ORDER BY id LIMIT ?2"
            ),
            None => format!(
                "SELECT {columns} FROM notification WHERE CAST(?1 AS BIGINT) IS NULL
                 ORDER BY id DESC LIMIT ?2"
            ),
        };
        sql::rows(self.db(), &sql, params![due_at, limit], delivery)
            .map_err(|e| classify(&self.path(), "reading the notifications", &e))
    }

    pub(crate) fn record_attempt(
        &mut self,
        id: i64,
        attempt: &Attempt,
    ) -> Result<(), InventoryError> {
        let db = self.db();
        match attempt {
            Attempt::Sent { at } => db.execute(
                "UPDATE notification SET status = 'sent', sent_at = ?2 WHERE id = ?1",
                params![id, at],
            ),
            Attempt::Dropped { reason } => db.execute(
                "UPDATE notification SET status = 'dropped', last_error = ?2 WHERE id = ?1",
                params![id, reason],
            ),
            Attempt::Failed { reason, retry_at } => db.execute(
                "UPDATE notification
                 SET attempts = attempts + 1, next_attempt = ?2, last_error = ?3 WHERE id = ?1",
                params![id, retry_at, reason],
            ),
        }
        .map_err(|e| classify(&self.path(), "recording a sent notification", &e))?;
        Ok(())
    }

    /// The notifier's lock, held while a notifier plans and sends: the operating system
    /// or the server frees it when the process dies.
    pub(crate) fn lock_notifier(&self) -> Result<sql::Lock, InventoryError> {
        self.db()
            .try_lock(LockName::Notifier)
            .map_err(|e| classify(&self.path(), "locking the notifier", &e))?
            .ok_or_else(|| InventoryError::NotifierRunning { path: self.path() })
    }
}

fn leaf(row: &Row<'_>) -> Result<(i64, LeafFacts), DbError> {
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

fn delivery(row: &Row<'_>) -> Result<Delivery, DbError> {
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
