//! Recording sightings: certificates once by SHA-256, deployments as spans, and the events
//! that the difference to the previous scan makes.

use super::known::{chain_hash, Known};
use super::{classify, usage, SqlStore};
use crate::error::InventoryError;
use crate::event::EventKind;
use crate::model::{state_name, CertRecord, RunCounts, Seen, Sighting};
use crate::sql::{self, params, Connection, DbError, Dialect, Param};
use crate::store::Run;

/// The endpoint's row before this sighting.
struct Prior {
    id: i64,
    state: u8,
    deployment: Option<Deployment>,
}

/// A deployment span.
struct Deployment {
    id: i64,
    chain_id: i64,
    leaf_id: i64,
    last_seen: i64,
}

impl Deployment {
    /// The span in columns `first` to `first + 3` of `row`: id, chain, leaf, last seen.
    fn read(row: &sql::Row<'_>, first: usize) -> Result<Deployment, DbError> {
        Ok(Deployment {
            id: row.get(first)?,
            chain_id: row.get(first + 1)?,
            leaf_id: row.get(first + 2)?,
            last_seen: row.get(first + 3)?,
        })
    }
}

/// An event to store.
struct Event {
    kind: EventKind,
    certificate: Option<i64>,
    previous: Option<i64>,
    states: Option<(u8, u8)>,
    detail: String,
}

impl Event {
    /// An event about a certificate, `previous` the one it replaced.
    fn about(kind: EventKind, certificate: i64, previous: Option<i64>, detail: String) -> Event {
        Event {
            kind,
            certificate: Some(certificate),
            previous,
            states: None,
            detail,
        }
    }
}

impl<C: Connection> SqlStore<C> {
    pub(crate) fn record_batch(
        &mut self,
        run: &mut Run,
        batch: &[Sighting],
    ) -> Result<(), InventoryError> {
        let db = self.db();
        let added =
            sql::retried(|| sql::transaction(db, || record_sightings(db, run.id, &run.job, batch)))
                .map_err(|e| classify(&self.path(), "recording a scan", &e))?;
        run.counts = run.counts.plus(added);
        Ok(())
    }
}

/// Records `batch` of run `run` and adds its counts to the run's (several scanners may add to
/// one run): inside the caller's transaction. The counts added.
pub(super) fn record_sightings(
    db: &dyn Connection,
    run: i64,
    job: &str,
    batch: &[Sighting],
) -> Result<RunCounts, DbError> {
    let mut added = RunCounts::default();
    let mut known = Known::of(db, batch)?;
    for sighting in batch {
        record_one(db, run, job, sighting, &mut added, &mut known)?;
    }
    db.execute(
        "UPDATE scan_run SET checked = checked + ?2, served = served + ?3,
             failed = failed + ?4, silent = silent + ?5
         WHERE id = ?1",
        params![run, added.checked, added.served, added.failed, added.silent],
    )?;
    Ok(added)
}

fn record_one(
    db: &dyn Connection,
    run: i64,
    job: &str,
    sighting: &Sighting,
    counts: &mut RunCounts,
    known: &mut Known,
) -> Result<(), DbError> {
    counts.count(sighting);
    let prior = prior_of(db, sighting)?;
    let silent_stranger = prior.is_none()
        && matches!(
            sighting.seen,
            Seen::Failed {
                answered: false,
                ..
            }
        );
    if silent_stranger {
        // A range sweep finds mostly nothing: an address that never answered is counted only.
        return Ok(());
    }
    // A new endpoint has never served anything: no earlier deployment to look up.
    let mut new_endpoint = false;
    let (prior, endpoint) = match prior {
        Some(p) => {
            let id = p.id;
            (Some(p), id)
        }
        None => match insert_endpoint(db, run, job, sighting)? {
            Some(id) => {
                new_endpoint = true;
                (None, id)
            }
            // Another writer's transaction stored it first (a scan of another job of the
            // zone): this sighting follows what that one left.
            None => {
                let p = prior_of(db, sighting)?.ok_or_else(|| {
                    DbError::new(
                        crate::sql::Failure::Conflict,
                        "an endpoint another writer was storing is not there",
                    )
                })?;
                let id = p.id;
                (Some(p), id)
            }
        },
    };
    let at = sighting.observed_at;
    let mut events: Vec<Event> = Vec::new();
    let current = prior.as_ref().and_then(|p| p.deployment.as_ref());
    let (deployment, error_kind, tls_version) = match &sighting.seen {
        Seen::Served { chain, tls_version } => {
            let on = OnEndpoint {
                id: endpoint,
                current,
                new: new_endpoint,
            };
            let Some(deployment) = record_chain(db, on, chain, at, &mut events, known)? else {
                return Ok(());
            };
            (Some(deployment), None, tls_version.as_str())
        }
        Seen::Failed { kind, .. } => {
            if let Some(d) = current {
                end_deployment(db, d.id, at)?;
                events.push(Event::about(
                    EventKind::Disappeared,
                    d.leaf_id,
                    None,
                    format!("no longer served: {}", sighting.summary),
                ));
            }
            (None, Some(kind.as_str()), "")
        }
    };
    usage::moved(
        db,
        prior
            .as_ref()
            .and_then(|p| p.deployment.as_ref().map(|d| (d.leaf_id, p.state))),
        deployment.map(|d| (d.leaf, sighting.state)),
    )?;
    let deployment = deployment.map(|d| d.id);
    db.execute(
        "UPDATE endpoint SET job = ?2, last_scan = ?3, last_run_id = ?4, state = ?5, summary = ?6,
         findings = ?7, error_kind = ?8, tls_version = ?9, deployment_id = ?10 WHERE id = ?1",
        params![
            endpoint,
            job,
            at,
            run,
            sighting.state,
            sighting.summary,
            findings_json(sighting),
            error_kind,
            tls_version,
            deployment
        ],
    )?;
    for event in &events {
        insert_event(db, run, endpoint, at, event)?;
    }
    if let Some(p) = &prior {
        if p.state != sighting.state {
            let detail = format!(
                "{} -> {}: {}",
                state_name(p.state),
                state_name(sighting.state),
                sighting.summary
            );
            insert_event(
                db,
                run,
                endpoint,
                at,
                &Event {
                    kind: EventKind::StateChanged,
                    certificate: None,
                    previous: None,
                    states: Some((p.state, sighting.state)),
                    detail,
                },
            )?;
        }
    }
    Ok(())
}

/// The deployment an endpoint serves now.
#[derive(Clone, Copy)]
struct Serving {
    id: i64,
    leaf: i64,
}

/// The endpoint a chain is recorded on.
#[derive(Clone, Copy)]
struct OnEndpoint<'a> {
    id: i64,
    /// Its open deployment.
    current: Option<&'a Deployment>,
    /// Whether this sighting stored it.
    new: bool,
}

/// Stores the chain and its deployment on the endpoint: the span goes on when the chain is
/// the same, else the old span ends and a new one starts, with the events that say why.
fn record_chain(
    db: &dyn Connection,
    endpoint: OnEndpoint<'_>,
    chain: &[CertRecord],
    at: i64,
    events: &mut Vec<Event>,
    known: &mut Known,
) -> Result<Option<Serving>, DbError> {
    let mut ids = Vec::with_capacity(chain.len());
    for cert in chain {
        let id = match known.certificates.get(&cert.sha256) {
            Some(&id) => id,
            None => {
                let id = upsert_certificate(db, cert, at)?;
                known.certificates.insert(cert.sha256, id);
                id
            }
        };
        ids.push(id);
    }
    let Some(&leaf) = ids.first() else {
        return Ok(None);
    };
    let hash = chain_hash(chain);
    let chain_id = match known.chains.get(&hash) {
        Some(&id) => id,
        None => {
            let id = upsert_chain(db, &hash, &ids)?;
            known.chains.insert(hash, id);
            id
        }
    };
    let deployment = match endpoint.current {
        Some(d) if d.chain_id == chain_id => {
            db.execute(
                "UPDATE deployment SET last_seen = ?2, scans = scans + 1 WHERE id = ?1",
                params![d.id, at],
            )?;
            let not_after = chain[0].not_after;
            if d.last_seen < not_after && not_after <= at {
                events.push(Event::about(
                    EventKind::Expired,
                    leaf,
                    None,
                    format!("{} expired", shown_name(&chain[0])),
                ));
            }
            d.id
        }
        Some(d) => {
            end_deployment(db, d.id, at)?;
            events.extend(change_events(db, d.leaf_id, leaf, &chain[0])?);
            insert_deployment(db, endpoint.id, chain_id, leaf, at)?
        }
        None => {
            let before = if endpoint.new {
                None
            } else {
                last_ended_leaf(db, endpoint.id)?
            };
            let name = shown_name(&chain[0]);
            events.push(match before {
                Some(old) if old == leaf => Event::about(
                    EventKind::Reappeared,
                    leaf,
                    None,
                    format!("{name} is served again"),
                ),
                _ => Event::about(EventKind::New, leaf, None, format!("{name} appeared here")),
            });
            insert_deployment(db, endpoint.id, chain_id, leaf, at)?
        }
    };
    Ok(Some(Serving {
        id: deployment,
        leaf,
    }))
}

/// The endpoint's row, locked until the transaction ends (PostgreSQL): two writers that see
/// one endpoint decide its events one after the other, each from what the other left.
fn prior_of(db: &dyn Connection, sighting: &Sighting) -> Result<Option<Prior>, DbError> {
    let key = &sighting.endpoint;
    let keys = params![key.zone, key.address, key.port, key.sni, key.protocol];
    if db.dialect() == Dialect::Sqlite {
        return sql::first(db, PRIOR, keys, |row| {
            let deployment = match row.get::<Option<i64>>(2)? {
                None => None,
                Some(_) => Some(Deployment::read(row, 2)?),
            };
            Ok(Prior {
                id: row.get(0)?,
                state: row.get(1)?,
                deployment,
            })
        });
    }
    // The lock first, the deployment by a statement of its own: when the lock waited for
    // another writer, PostgreSQL reads the locked row again but not what it is joined to, so
    // a join would hand over the deployment as it was before that writer (or none at all).
    let row: Option<(i64, u8, Option<i64>)> = sql::first(db, PRIOR_LOCKED, keys, |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
    })?;
    let Some((id, state, deployment_id)) = row else {
        return Ok(None);
    };
    let deployment = match deployment_id {
        None => None,
        Some(d) => sql::first(
            db,
            "SELECT id, chain_id, leaf_id, last_seen FROM deployment WHERE id = ?1",
            params![d],
            |row| Deployment::read(row, 0),
        )?,
    };
    Ok(Some(Prior {
        id,
        state,
        deployment,
    }))
}

/// SQLite: the endpoint with its open deployment, in one statement (its writers take turns:
/// nothing changes between reading and writing). With bare parameters SQLite compiled this
/// join again at every new binding (its planner keeps bound values in mind, as in
/// `last_ended_leaf`): the casts keep one plan, 12 times as fast.
const PRIOR: &str = "SELECT e.id, e.state, d.id, d.chain_id, d.leaf_id, d.last_seen
    FROM endpoint e LEFT JOIN deployment d ON d.id = e.deployment_id
    WHERE e.zone = CAST(?1 AS TEXT) AND e.address = CAST(?2 AS TEXT) AND e.port = CAST(?3 AS BIGINT)
    AND e.sni = CAST(?4 AS TEXT) AND e.protocol = CAST(?5 AS TEXT)";

/// PostgreSQL: the endpoint's row, locked.
const PRIOR_LOCKED: &str = "SELECT id, state, deployment_id FROM endpoint
    WHERE zone = ?1 AND address = ?2 AND port = ?3 AND sni = ?4 AND protocol = ?5 FOR UPDATE";

/// A new endpoint's id; `None` when another writer stored the endpoint first.
fn insert_endpoint(
    db: &dyn Connection,
    run: i64,
    job: &str,
    sighting: &Sighting,
) -> Result<Option<i64>, DbError> {
    let key = &sighting.endpoint;
    let id = db.insert(
        "INSERT INTO endpoint (zone, address, port, sni, protocol, job, first_seen, last_scan,
                               last_run_id, state, summary, findings, address_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, '', '[]', ?10)
         ON CONFLICT (zone, address, port, sni, protocol) DO NOTHING",
        params![
            key.zone,
            key.address,
            key.port,
            key.sni,
            key.protocol,
            job,
            sighting.observed_at,
            run,
            sighting.state,
            address_key(&key.address)
        ],
    )?;
    Ok(id)
}

/// The id of a row an INSERT without `ON CONFLICT` made.
fn inserted(id: Option<i64>) -> Result<i64, DbError> {
    id.ok_or_else(|| {
        DbError::new(
            crate::sql::Failure::Other,
            "the database inserted no row and gave no error",
        )
    })
}

fn upsert_certificate(db: &dyn Connection, cert: &CertRecord, at: i64) -> Result<i64, DbError> {
    let inserted = db.insert(
        "INSERT INTO certificate (sha256, der, subject, issuer, common_name,
             issuer_common_name, serial, not_before, not_after, key_type, key_bits,
             signature, self_signed, is_ca, first_seen)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (sha256) DO NOTHING",
        params![
            cert.sha256,
            cert.der,
            cert.subject,
            cert.issuer,
            cert.common_name,
            cert.issuer_common_name,
            cert.serial,
            cert.not_before,
            cert.not_after,
            cert.key_type,
            cert.key_bits,
            cert.signature,
            cert.self_signed,
            cert.is_ca,
            at
        ],
    )?;
    if let Some(id) = inserted {
        let values: Vec<Param<'_>> = cert
            .names
            .iter()
            .flat_map(|name| [Param::Int(id), Param::Text(name)])
            .collect();
        sql::insert_rows(
            db,
            "certificate_name (certificate_id, name)",
            2,
            &values,
            "ON CONFLICT DO NOTHING",
        )?;
        return Ok(id);
    }
    existing(
        db,
        "SELECT id FROM certificate WHERE sha256 = ?1",
        &cert.sha256,
    )
}

/// The id of the row another transaction inserted first.
fn existing(db: &dyn Connection, select: &str, key: &[u8]) -> Result<i64, DbError> {
    sql::first(db, select, params![key], |row| row.get(0))?.ok_or_else(|| {
        DbError::new(
            crate::sql::Failure::Conflict,
            "a row another writer was inserting is not there",
        )
    })
}

/// A chain by its hash ([`chain_hash`]), `ids` its certificates' in order.
fn upsert_chain(db: &dyn Connection, hash: &[u8], ids: &[i64]) -> Result<i64, DbError> {
    let inserted = db.insert(
        "INSERT INTO chain (hash, length) VALUES (?1, ?2) ON CONFLICT (hash) DO NOTHING",
        params![hash, ids.len()],
    )?;
    if let Some(id) = inserted {
        let values: Vec<Param<'_>> = (0i64..)
            .zip(ids)
            .flat_map(|(position, &certificate)| {
                [
                    Param::Int(id),
                    Param::Int(position),
                    Param::Int(certificate),
                ]
            })
            .collect();
        sql::insert_rows(
            db,
            "chain_link (chain_id, position, certificate_id)",
            3,
            &values,
            "",
        )?;
        return Ok(id);
    }
    existing(db, "SELECT id FROM chain WHERE hash = ?1", hash)
}

fn insert_deployment(
    db: &dyn Connection,
    endpoint: i64,
    chain: i64,
    leaf: i64,
    at: i64,
) -> Result<i64, DbError> {
    inserted(db.insert(
        "INSERT INTO deployment (endpoint_id, chain_id, leaf_id, first_seen, last_seen, scans)
         VALUES (?1, ?2, ?3, ?4, ?4, 1)",
        params![endpoint, chain, leaf, at],
    )?)
}

fn end_deployment(db: &dyn Connection, deployment: i64, at: i64) -> Result<(), DbError> {
    db.execute(
        "UPDATE deployment SET ended_at = ?2 WHERE id = ?1",
        params![deployment, at],
    )?;
    Ok(())
}

fn last_ended_leaf(db: &dyn Connection, endpoint: i64) -> Result<Option<i64>, DbError> {
    // With a bare `?1` SQLite compiled this statement again at every new binding (its
    // planner keeps the bound value in mind); the cast keeps one plan, with the same index.
    sql::first(
        db,
        "SELECT leaf_id FROM deployment WHERE endpoint_id = CAST(?1 AS BIGINT)
         ORDER BY id DESC LIMIT 1",
        params![endpoint],
        |row| row.get(0),
    )
}

/// The events of a deployment replaced by another: the chain alone changed, the
/// certificate was renewed (same subject and names), or another certificate took its place.
fn change_events(
    db: &dyn Connection,
    old_leaf: i64,
    new_leaf: i64,
    new: &CertRecord,
) -> Result<Vec<Event>, DbError> {
    let name = shown_name(new);
    if old_leaf == new_leaf {
        return Ok(vec![Event::about(
            EventKind::ChainChanged,
            new_leaf,
            None,
            format!("{name} is sent with another chain"),
        )]);
    }
    let (subject, common_name): (String, String) = sql::first(
        db,
        "SELECT subject, common_name FROM certificate WHERE id = ?1",
        params![old_leaf],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?
    .unwrap_or_default();
    let mut old_names: Vec<String> = sql::rows(
        db,
        "SELECT name FROM certificate_name WHERE certificate_id = ?1",
        params![old_leaf],
        |row| row.get(0),
    )?;
    old_names.sort();
    let mut new_names = new.names.clone();
    new_names.sort();
    new_names.dedup();
    if subject == new.subject && old_names == new_names {
        return Ok(vec![Event::about(
            EventKind::Renewed,
            new_leaf,
            Some(old_leaf),
            format!("{name} was renewed"),
        )]);
    }
    let old_name = if common_name.is_empty() {
        subject
    } else {
        common_name
    };
    Ok(vec![
        Event::about(
            EventKind::Disappeared,
            old_leaf,
            None,
            format!("{old_name} was replaced by {name}"),
        ),
        Event::about(
            EventKind::New,
            new_leaf,
            Some(old_leaf),
            format!("{name} replaced {old_name}"),
        ),
    ])
}

fn insert_event(
    db: &dyn Connection,
    run: i64,
    endpoint: i64,
    at: i64,
    event: &Event,
) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO event (at, run_id, endpoint_id, kind, certificate_id, previous_certificate_id,
                            old_state, new_state, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            at,
            run,
            endpoint,
            event.kind.as_str(),
            event.certificate,
            event.previous,
            event.states.map(|s| s.0),
            event.states.map(|s| s.1),
            event.detail
        ],
    )?;
    Ok(())
}

/// The sortable form of an address; text that is no address sorts before every address.
fn address_key(address: &str) -> Vec<u8> {
    match address.parse() {
        Ok(ip) => crate::net::key(ip).to_vec(),
        Err(_) => Vec::new(),
    }
}

fn shown_name(cert: &CertRecord) -> String {
    if cert.common_name.is_empty() {
        cert.subject.clone()
    } else {
        cert.common_name.clone()
    }
}

fn findings_json(sighting: &Sighting) -> String {
    serde_json::to_string(&sighting.findings).unwrap_or_else(|_| "[]".to_string())
}
