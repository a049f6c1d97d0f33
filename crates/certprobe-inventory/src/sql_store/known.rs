//! The ids of the certificates and chains a batch of sightings serves, looked up before the
//! batch is recorded: a few statements for the whole batch, where finding each certificate
//! of every chain took an INSERT that found the row there and a SELECT for its id (each a
//! round trip to PostgreSQL). What is not stored yet is inserted as the batch goes, and kept.

use crate::model::{CertRecord, Seen, Sighting};
use crate::sql::{self, Connection, DbError, Param};
use std::collections::HashMap;

/// Keys looked up by one statement (each a bound value: SQLite takes 32,766 at most).
const KEYS_PER_STATEMENT: usize = 500;

/// Ids by fingerprint and by chain hash. Made afresh for each attempt of a transaction: a
/// retried one must not trust the ids of rows the rolled-back one inserted.
#[derive(Default)]
pub(super) struct Known {
    pub certificates: HashMap<[u8; 32], i64>,
    pub chains: HashMap<Vec<u8>, i64>,
}

impl Known {
    /// What the database has already of what `batch` serves.
    pub fn of(db: &dyn Connection, batch: &[Sighting]) -> Result<Known, DbError> {
        let mut certificates: Vec<&[u8]> = Vec::new();
        let mut chains: Vec<Vec<u8>> = Vec::new();
        for sighting in batch {
            if let Seen::Served { chain, .. } = &sighting.seen {
                certificates.extend(chain.iter().map(|c| &c.sha256[..]));
                chains.push(chain_hash(chain));
            }
        }
        certificates.sort_unstable();
        certificates.dedup();
        chains.sort_unstable();
        chains.dedup();
        let mut known = Known::default();
        ids_of(db, "certificate", "sha256", &certificates, |key, id| {
            if let Ok(sha256) = <[u8; 32]>::try_from(key.as_slice()) {
                known.certificates.insert(sha256, id);
            }
        })?;
        let chains: Vec<&[u8]> = chains.iter().map(Vec::as_slice).collect();
        ids_of(db, "chain", "hash", &chains, |key, id| {
            known.chains.insert(key, id);
        })?;
        Ok(known)
    }
}

/// A chain's identity: its fingerprints in order, leaf first.
pub(super) fn chain_hash(chain: &[CertRecord]) -> Vec<u8> {
    chain.iter().flat_map(|c| c.sha256).collect()
}

/// Hands `found` the key and id of each row of `table` whose `column` is one of `keys`.
fn ids_of(
    db: &dyn Connection,
    table: &str,
    column: &str,
    keys: &[&[u8]],
    mut found: impl FnMut(Vec<u8>, i64),
) -> Result<(), DbError> {
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        let statement = format!(
            "SELECT {column}, id FROM {table} WHERE {column} IN ({})",
            sql::marks(chunk.len(), 1)
        );
        let values: Vec<Param<'_>> = chunk.iter().map(|key| Param::Blob(key)).collect();
        db.query(&statement, &values, &mut |row| {
            found(row.get(0)?, row.get(1)?);
            Ok(())
        })?;
    }
    Ok(())
}
