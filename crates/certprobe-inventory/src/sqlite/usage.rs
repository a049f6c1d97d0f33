//! `certificate_use`: how many endpoints serve each certificate as the leaf now, by state,
//! so listing certificates reads one row each instead of grouping their endpoints. The
//! recording transaction moves an endpoint's count when what it serves or its state changes
//! (single-row statements: triggers would make every endpoint update keep a statement
//! journal, which made recording 1.7 times as costly); cleanup counts everything again.

use rusqlite::{params, Transaction};

/// An endpoint's count: the leaf of its open deployment and its state (0-3).
pub(super) type Counted = Option<(i64, u8)>;

/// Moves an endpoint's count from what it was counted for before to what it is now.
pub(super) fn moved(tx: &Transaction<'_>, before: Counted, after: Counted) -> rusqlite::Result<()> {
    if before == after {
        return Ok(());
    }
    if let Some((leaf, state)) = before {
        add(tx, leaf, state, -1)?;
    }
    if let Some((leaf, state)) = after {
        add(tx, leaf, state, 1)?;
    }
    Ok(())
}

/// Counts everything again from the deployments and endpoints, after deleting rows.
pub(super) fn recount(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(concat!("DELETE FROM certificate_use;", count_use!()))
}

fn add(tx: &Transaction<'_>, leaf: i64, state: u8, delta: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO certificate_use (certificate_id, endpoints, ok, warning, critical, unknown)
         VALUES (?1, ?2, ?2 * (?3 = 0), ?2 * (?3 = 1), ?2 * (?3 = 2), ?2 * (?3 = 3))
         ON CONFLICT (certificate_id) DO UPDATE SET
             endpoints = endpoints + excluded.endpoints, ok = ok + excluded.ok,
             warning = warning + excluded.warning, critical = critical + excluded.critical,
             unknown = unknown + excluded.unknown",
    )?
    .execute(params![leaf, delta, state])?;
    if delta < 0 {
        tx.prepare_cached(
            "DELETE FROM certificate_use WHERE certificate_id = ?1 AND endpoints <= 0",
        )?
        .execute(params![leaf])?;
    }
    Ok(())
}
