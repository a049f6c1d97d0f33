//! `certificate_use`: how many endpoints serve each certificate as the leaf now, by state,
//! so listing certificates reads one row each instead of grouping their endpoints. The
//! recording transaction moves an endpoint's count when what it serves or its state changes
//! (single-row statements: triggers would make every endpoint update keep a statement
//! journal, which made recording 1.7 times as costly); cleanup counts everything again.

use crate::sql::{params, Connection, DbError};

/// An endpoint's count: the leaf of its open deployment and its state (0-3).
pub(super) type Counted = Option<(i64, u8)>;

/// Moves an endpoint's count from what it was counted for before to what it is now.
pub(super) fn moved(db: &dyn Connection, before: Counted, after: Counted) -> Result<(), DbError> {
    if before == after {
        return Ok(());
    }
    if let Some((leaf, state)) = before {
        add(db, leaf, state, -1)?;
    }
    if let Some((leaf, state)) = after {
        add(db, leaf, state, 1)?;
    }
    Ok(())
}

/// Counts everything again from the deployments and endpoints, after deleting rows.
pub(super) fn recount(db: &dyn Connection) -> Result<(), DbError> {
    db.batch(super::schema::RECOUNT_USE)
}

fn add(db: &dyn Connection, leaf: i64, state: u8, delta: i64) -> Result<(), DbError> {
    // The state's column gets the delta, the others nothing: worked out here, so the
    // statement binds plain integers in either database.
    let by_state = |s: u8| if s == state { delta } else { 0 };
    db.execute(
        "INSERT INTO certificate_use (certificate_id, endpoints, ok, warning, critical, unknown)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (certificate_id) DO UPDATE SET
             endpoints = certificate_use.endpoints + excluded.endpoints,
             ok = certificate_use.ok + excluded.ok,
             warning = certificate_use.warning + excluded.warning,
             critical = certificate_use.critical + excluded.critical,
             unknown = certificate_use.unknown + excluded.unknown",
        params![
            leaf,
            delta,
            by_state(0),
            by_state(1),
            by_state(2),
            by_state(3)
        ],
    )?;
    if delta < 0 {
        db.execute(
            "DELETE FROM certificate_use WHERE certificate_id = ?1 AND endpoints <= 0",
            params![leaf],
        )?;
    }
    Ok(())
}
