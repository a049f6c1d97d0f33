//! Recording sightings: certificates once by SHA-256, deployments as spans, and the events
//! that the difference to the previous scan makes.

use super::{classify, usage, SqliteStore};
use crate::error::InventoryError;
use crate::event::EventKind;
use crate::model::{state_name, CertRecord, RunCounts, Seen, Sighting};
use crate::store::Run;
use rusqlite::{params, OptionalExtension, Transaction};

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

impl SqliteStore {
    pub(crate) fn record_batch(
        &mut self,
        run: &mut Run,
        batch: &[Sighting],
    ) -> Result<(), InventoryError> {
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "recording a scan", &e);
        let tx = self.conn.transaction().map_err(fail)?;
        let mut counts = run.counts;
        for sighting in batch {
            record_one(&tx, run.id, &run.job, sighting, &mut counts).map_err(fail)?;
        }
        tx.execute(
            "UPDATE scan_run SET checked = ?2, served = ?3, failed = ?4, silent = ?5 WHERE id = ?1",
            params![
                run.id,
                counts.checked as i64,
                counts.served as i64,
                counts.failed as i64,
                counts.silent as i64
            ],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)?;
        run.counts = counts;
        Ok(())
    }
}

fn record_one(
    tx: &Transaction<'_>,
    run: i64,
    job: &str,
    sighting: &Sighting,
    counts: &mut RunCounts,
) -> rusqlite::Result<()> {
    counts.checked += 1;
    match &sighting.seen {
        Seen::Served { .. } => counts.served += 1,
        Seen::Failed { answered: true, .. } => counts.failed += 1,
        Seen::Failed {
            answered: false, ..
        } => counts.silent += 1,
    }
    let prior = prior(tx, sighting)?;
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
    let endpoint = match &prior {
        Some(p) => p.id,
        None => insert_endpoint(tx, run, job, sighting)?,
    };
    let at = sighting.observed_at;
    let mut events: Vec<Event> = Vec::new();
    let current = prior.as_ref().and_then(|p| p.deployment.as_ref());
    let (deployment, error_kind, tls_version) = match &sighting.seen {
        Seen::Served { chain, tls_version } => {
            let Some(deployment) = record_chain(tx, endpoint, current, chain, at, &mut events)?
            else {
                return Ok(());
            };
            (Some(deployment), None, tls_version.as_str())
        }
        Seen::Failed { kind, .. } => {
            if let Some(d) = current {
                end_deployment(tx, d.id, at)?;
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
        tx,
        prior
            .as_ref()
            .and_then(|p| p.deployment.as_ref().map(|d| (d.leaf_id, p.state))),
        deployment.map(|d| (d.leaf, sighting.state)),
    )?;
    let deployment = deployment.map(|d| d.id);
    tx.prepare_cached(
        "UPDATE endpoint SET job = ?2, last_scan = ?3, last_run_id = ?4, state = ?5, summary = ?6,
         findings = ?7, error_kind = ?8, tls_version = ?9, deployment_id = ?10 WHERE id = ?1",
    )?
    .execute(params![
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
    ])?;
    for event in &events {
        insert_event(tx, run, endpoint, at, event)?;
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
                tx,
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

/// Stores the chain and its deployment on `endpoint`: the span goes on when the chain is the
/// same, else the old span ends and a new one starts, with the events that say why.
fn record_chain(
    tx: &Transaction<'_>,
    endpoint: i64,
    current: Option<&Deployment>,
    chain: &[CertRecord],
    at: i64,
    events: &mut Vec<Event>,
) -> rusqlite::Result<Option<Serving>> {
    let ids = chain
        .iter()
        .map(|c| upsert_certificate(tx, c, at))
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    let Some(&leaf) = ids.first() else {
        return Ok(None);
    };
    let chain_id = upsert_chain(tx, chain, &ids)?;
    let deployment = match current {
        Some(d) if d.chain_id == chain_id => {
            tx.execute(
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
            end_deployment(tx, d.id, at)?;
            events.extend(change_events(tx, d.leaf_id, leaf, &chain[0])?);
            insert_deployment(tx, endpoint, chain_id, leaf, at)?
        }
        None => {
            let before = last_ended_leaf(tx, endpoint)?;
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
            insert_deployment(tx, endpoint, chain_id, leaf, at)?
        }
    };
    Ok(Some(Serving {
        id: deployment,
        leaf,
    }))
}

fn prior(tx: &Transaction<'_>, sighting: &Sighting) -> rusqlite::Result<Option<Prior>> {
    let key = &sighting.endpoint;
    let row: Option<(i64, u8, Option<i64>)> = tx
        .prepare_cached(
            "SELECT id, state, deployment_id FROM endpoint
             WHERE zone = ?1 AND address = ?2 AND port = ?3 AND sni = ?4 AND protocol = ?5",
        )?
        .query_row(
            params![key.zone, key.address, key.port, key.sni, key.protocol],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((id, state, deployment_id)) = row else {
        return Ok(None);
    };
    let deployment = match deployment_id {
        None => None,
        Some(d) => tx
            .prepare_cached(
                "SELECT id, chain_id, leaf_id, last_seen FROM deployment WHERE id = ?1",
            )?
            .query_row(params![d], |row| {
                Ok(Deployment {
                    id: row.get(0)?,
                    chain_id: row.get(1)?,
                    leaf_id: row.get(2)?,
                    last_seen: row.get(3)?,
                })
            })
            .optional()?,
    };
    Ok(Some(Prior {
        id,
        state,
        deployment,
    }))
}

fn insert_endpoint(
    tx: &Transaction<'_>,
    run: i64,
    job: &str,
    sighting: &Sighting,
) -> rusqlite::Result<i64> {
    let key = &sighting.endpoint;
    tx.prepare_cached(
        "INSERT INTO endpoint (zone, address, port, sni, protocol, job, first_seen, last_scan,
                               last_run_id, state, summary, findings, address_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, '', '[]', ?10)",
    )?
    .execute(params![
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
    ])?;
    Ok(tx.last_insert_rowid())
}

fn upsert_certificate(tx: &Transaction<'_>, cert: &CertRecord, at: i64) -> rusqlite::Result<i64> {
    let inserted = tx
        .prepare_cached(
            "INSERT INTO certificate (sha256, der, subject, issuer, common_name,
                 issuer_common_name, serial, not_before, not_after, key_type, key_bits,
                 signature, self_signed, is_ca, first_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
             ON CONFLICT(sha256) DO NOTHING",
        )?
        .execute(params![
            &cert.sha256[..],
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
        ])?;
    if inserted == 1 {
        let id = tx.last_insert_rowid();
        let mut names = tx.prepare_cached(
            "INSERT OR IGNORE INTO certificate_name (certificate_id, name) VALUES (?1, ?2)",
        )?;
        for name in &cert.names {
            names.execute(params![id, name])?;
        }
        return Ok(id);
    }
    tx.prepare_cached("SELECT id FROM certificate WHERE sha256 = ?1")?
        .query_row(params![&cert.sha256[..]], |row| row.get(0))
}

/// A chain's identity is its fingerprints in order, leaf first.
fn upsert_chain(tx: &Transaction<'_>, chain: &[CertRecord], ids: &[i64]) -> rusqlite::Result<i64> {
    let hash: Vec<u8> = chain.iter().flat_map(|c| c.sha256).collect();
    let inserted = tx
        .prepare_cached(
            "INSERT INTO chain (hash, length) VALUES (?1, ?2) ON CONFLICT(hash) DO NOTHING",
        )?
        .execute(params![hash, chain.len() as i64])?;
    if inserted == 1 {
        let id = tx.last_insert_rowid();
        let mut links = tx.prepare_cached(
            "INSERT INTO chain_link (chain_id, position, certificate_id) VALUES (?1, ?2, ?3)",
        )?;
        for (position, certificate) in ids.iter().enumerate() {
            links.execute(params![id, position as i64, certificate])?;
        }
        return Ok(id);
    }
    tx.prepare_cached("SELECT id FROM chain WHERE hash = ?1")?
        .query_row(params![hash], |row| row.get(0))
}

fn insert_deployment(
    tx: &Transaction<'_>,
    endpoint: i64,
    chain: i64,
    leaf: i64,
    at: i64,
) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO deployment (endpoint_id, chain_id, leaf_id, first_seen, last_seen, scans)
         VALUES (?1, ?2, ?3, ?4, ?4, 1)",
    )?
    .execute(params![endpoint, chain, leaf, at])?;
    Ok(tx.last_insert_rowid())
}

fn end_deployment(tx: &Transaction<'_>, deployment: i64, at: i64) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE deployment SET ended_at = ?2 WHERE id = ?1")?
        .execute(params![deployment, at])?;
    Ok(())
}

fn last_ended_leaf(tx: &Transaction<'_>, endpoint: i64) -> rusqlite::Result<Option<i64>> {
    // With a bare `?1` SQLite compiled this statement again at every new binding (its
    // planner keeps the bound value in mind); the cast keeps one plan, with the same index.
    tx.prepare_cached(
        "SELECT leaf_id FROM deployment WHERE endpoint_id = CAST(?1 AS INTEGER)
         ORDER BY id DESC LIMIT 1",
    )?
    .query_row(params![endpoint], |row| row.get(0))
    .optional()
}

/// The events of a deployment replaced by another: the chain alone changed, the
/// certificate was renewed (same subject and names), or another certificate took its place.
fn change_events(
    tx: &Transaction<'_>,
    old_leaf: i64,
    new_leaf: i64,
    new: &CertRecord,
) -> rusqlite::Result<Vec<Event>> {
    let name = shown_name(new);
    if old_leaf == new_leaf {
        return Ok(vec![Event::about(
            EventKind::ChainChanged,
            new_leaf,
            None,
            format!("{name} is sent with another chain"),
        )]);
    }
    let (subject, common_name): (String, String) = tx
        .prepare_cached("SELECT subject, common_name FROM certificate WHERE id = ?1")?
        .query_row(params![old_leaf], |row| Ok((row.get(0)?, row.get(1)?)))?;
    let mut old_names: Vec<String> = tx
        .prepare_cached("SELECT name FROM certificate_name WHERE certificate_id = ?1")?
        .query_map(params![old_leaf], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
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
    tx: &Transaction<'_>,
    run: i64,
    endpoint: i64,
    at: i64,
    event: &Event,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO event (at, run_id, endpoint_id, kind, certificate_id, previous_certificate_id,
                            old_state, new_state, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        at,
        run,
        endpoint,
        event.kind.as_str(),
        event.certificate,
        event.previous,
        event.states.map(|s| s.0),
        event.states.map(|s| s.1),
        event.detail
    ])?;
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
