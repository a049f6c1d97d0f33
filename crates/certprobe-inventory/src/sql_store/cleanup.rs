//! `cleanup`: what has not been seen since a cut-off goes, in one transaction, and then what
//! nothing refers to any more.

use super::{classify, usage, SqlStore};
use crate::error::InventoryError;
use crate::query::CleanupCounts;
use crate::sql::{self, params, Connection, DbError};

/// The statements, in an order that never leaves a reference dangling: events and
/// deployments before their endpoints, chains before their certificates. `?1` is the cut-off.
const BY_AGE: [&str; 3] = [
    // Events before the cut-off, and every event of an endpoint that goes.
    "DELETE FROM event WHERE at < ?1
        OR endpoint_id IN (SELECT id FROM endpoint WHERE last_scan < ?1)",
    // Spans that ended before the cut-off, and every span of an endpoint that goes.
    "DELETE FROM deployment WHERE (ended_at IS NOT NULL AND ended_at < ?1)
        OR endpoint_id IN (SELECT id FROM endpoint WHERE last_scan < ?1)",
    "DELETE FROM endpoint WHERE last_scan < ?1",
];

/// Then what nothing refers to any more. `NOT IN` over a subquery is materialised once,
/// so each is one pass, not one probe per row.
const UNREFERENCED: [&str; 2] = [
    // Chains no span refers to (their links go with them).
    "DELETE FROM chain WHERE id NOT IN (SELECT chain_id FROM deployment)",
    // Certificates in no chain and in no remaining event (their names go with them).
    "DELETE FROM certificate
     WHERE id NOT IN (SELECT certificate_id FROM chain_link)
       AND id NOT IN (SELECT certificate_id FROM event WHERE certificate_id IS NOT NULL)
       AND id NOT IN (SELECT previous_certificate_id FROM event
                      WHERE previous_certificate_id IS NOT NULL)",
];

impl<C: Connection> SqlStore<C> {
    pub(crate) fn remove_before(&mut self, before: i64) -> Result<CleanupCounts, InventoryError> {
        let db = self.db();
        let work = || -> Result<CleanupCounts, DbError> {
            let mut by_age = [0u64; 3];
            for (count, statement) in by_age.iter_mut().zip(BY_AGE) {
                *count = db.execute(statement, params![before])?;
            }
            let mut unreferenced = [0u64; 2];
            for (count, statement) in unreferenced.iter_mut().zip(UNREFERENCED) {
                *count = db.execute(statement, params![])?;
            }
            usage::recount(db)?;
            let [events, deployments, endpoints] = by_age;
            let [chains, certificates] = unreferenced;
            Ok(CleanupCounts {
                endpoints,
                deployments,
                events,
                chains,
                certificates,
            })
        };
        sql::transaction(db, work).map_err(|e| classify(&self.path(), "cleaning up", &e))
    }
}
