//! `certprobe inventory migrate`: every row of one inventory copied into another, empty one,
//! table by table in an order that never leaves a reference dangling, in one transaction of
//! the target (a copy stopped midway leaves the target empty). Ids are kept, so what refers
//! to them stays right; PostgreSQL's id sequences then continue after them.

use super::{classify, SqlStore};
use crate::error::InventoryError;
use crate::sql::{self, params, Connection, DbError, Dialect, Owned, Param, ToParam};

/// The tables and their columns, parents before children.
const TABLES: &[(&str, &str)] = &[
    (
        "certificate",
        "id, sha256, der, subject, issuer, common_name, issuer_common_name, serial, not_before, \
         not_after, key_type, key_bits, signature, self_signed, is_ca, first_seen",
    ),
    ("certificate_name", "certificate_id, name"),
    ("chain", "id, hash, length"),
    ("chain_link", "chain_id, position, certificate_id"),
    (
        "scan_run",
        "id, job, zone, host, pid, started, ended, status, planned, checked, served, failed, \
         silent, kind, import_id, units",
    ),
    (
        "endpoint",
        "id, zone, address, port, sni, protocol, job, first_seen, last_scan, last_run_id, state, \
         summary, findings, error_kind, tls_version, deployment_id, address_key",
    ),
    (
        "deployment",
        "id, endpoint_id, chain_id, leaf_id, first_seen, last_seen, scans, ended_at",
    ),
    (
        "event",
        "id, at, run_id, endpoint_id, kind, certificate_id, previous_certificate_id, old_state, \
         new_state, detail",
    ),
    (
        "certificate_use",
        "certificate_id, endpoints, ok, warning, critical, unknown",
    ),
    (
        "alarm",
        "endpoint_id, certificate_id, owner, tier, alarms, since",
    ),
    (
        "notification",
        "id, created, owner, channel, destination, payload, status, attempts, next_attempt, \
         sent_at, last_error",
    ),
    (
        "work_unit",
        "id, run_id, spec, owner, lease_until, attempts, done_at, done_by",
    ),
];

/// Rows per INSERT: few round trips, well under either database's parameter limit.
const ROWS_PER_INSERT: usize = 200;

/// How many rows of each table were copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// Table and rows, in the order copied.
    pub tables: Vec<(&'static str, u64)>,
}

impl<C: Connection> SqlStore<C> {
    /// Copies every row of this inventory into `target`, which must be empty; both at the
    /// newest schema.
    pub fn copy_into<D: Connection>(
        &self,
        target: &mut SqlStore<D>,
    ) -> Result<Copied, InventoryError> {
        let known = super::MIGRATIONS.len() as i64;
        for store in [self.version, target.version] {
            if store != known {
                return Err(InventoryError::Database {
                    path: self.path(),
                    doing: "copying",
                    reason: format!("its schema is version {store}, not {known}: open it for writing once (certprobe inventory cleanup) to bring it up to date"),
                });
            }
        }
        let to = target.db();
        let rows: i64 = sql::first(
            to,
            "SELECT (SELECT count(*) FROM scan_run) + (SELECT count(*) FROM certificate)",
            params![],
            |row| row.get(0),
        )
        .map_err(|e| classify(&target.path(), "reading it", &e))?
        .unwrap_or(0);
        if rows > 0 {
            return Err(InventoryError::Database {
                path: target.path(),
                doing: "copying into it",
                reason: "it is not empty: an inventory is copied into a new one only".to_string(),
            });
        }
        let from = self.db();
        let tables = sql::transaction(to, || {
            let mut copied = Vec::new();
            for (table, columns) in TABLES {
                copied.push((*table, copy_table(from, to, table, columns)?));
            }
            if to.dialect() == Dialect::Postgres {
                for (table, columns) in TABLES {
                    if columns.starts_with("id,") {
                        to.execute(
                            &format!(
                                "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                               coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                            ),
                            params![],
                        )?;
                    }
                }
            }
            Ok(copied)
        })
        .map_err(|e| classify(&target.path(), "copying into it", &e))?;
        // PostgreSQL's statistics for the planner now, not when autovacuum gets to them:
        // the first queries after a copy would otherwise be planned blind. (SQLite plans
        // from its indexes alone, as it does for every inventory.)
        if to.dialect() == Dialect::Postgres {
            to.batch("ANALYZE")
                .map_err(|e| classify(&target.path(), "analysing the copy", &e))?;
        }
        Ok(Copied { tables })
    }
}

/// Copies one table: read in order, written `ROWS_PER_INSERT` rows per statement.
fn copy_table(
    from: &dyn Connection,
    to: &dyn Connection,
    table: &str,
    columns: &str,
) -> Result<u64, DbError> {
    let width = columns.split(',').count();
    let order = columns.split(',').next().unwrap_or("1").trim();
    let mut pending: Vec<Owned> = Vec::with_capacity(width * ROWS_PER_INSERT);
    let mut copied = 0u64;
    let mut failure = None;
    from.query(
        &format!("SELECT {columns} FROM {table} ORDER BY {order}"),
        params![],
        &mut |row| {
            for i in 0..width {
                pending.push(row.owned(i)?);
            }
            if pending.len() == width * ROWS_PER_INSERT {
                if let Err(e) = insert(to, table, columns, width, &pending) {
                    failure = Some(e);
                    return Err(DbError::new(crate::sql::Failure::Other, "copy stopped"));
                }
                copied += ROWS_PER_INSERT as u64;
                pending.clear();
            }
            Ok(())
        },
    )
    .map_err(|e| failure.take().unwrap_or(e))?;
    if !pending.is_empty() {
        insert(to, table, columns, width, &pending)?;
        copied += (pending.len() / width) as u64;
    }
    Ok(copied)
}

fn insert(
    to: &dyn Connection,
    table: &str,
    columns: &str,
    width: usize,
    values: &[Owned],
) -> Result<(), DbError> {
    let bound: Vec<Param<'_>> = values.iter().map(ToParam::to_param).collect();
    sql::insert_rows(to, &format!("{table} ({columns})"), width, &bound, "")
}
