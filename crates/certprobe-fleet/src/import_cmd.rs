//! `certprobe inventory import FILE`: the audits of a `certprobe audit --export` file into
//! this inventory, each as the run of its host it was, done once: a file imported again
//! changes nothing, and an audit older than the host's latest one in the inventory is left
//! out (it would turn its places back in time). The whole file is checked before anything is
//! written; each audit is then recorded as a local one is, 500 places a transaction, and a
//! crash part-way leaves an interrupted run that the next import of the file does again.

use crate::audit_export::{self, ExportedAudit, ImportError};
use crate::audit_finish::Walked;
use crate::cli::ImportArgs;
use crate::scan_export::{self, ExportedScan};
use crate::FleetError;
use certprobe::clock::format_utc;
use certprobe_inventory::model::{RunKind, RunStart, Sighting};
use certprobe_inventory::{Recorder, SqliteStore, Store};
use serde::Serialize;
use std::path::Path;

use crate::audit_cmd::BATCH;

/// Whether an audit was imported, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Outcome {
    /// Recorded as a new run.
    Imported,
    /// A run of the inventory imported it already.
    ImportedBefore,
    /// The inventory holds a later audit of its host and job.
    Older,
}

/// What became of one audit of the file.
#[derive(Debug, Serialize)]
struct Imported {
    kind: RunKind,
    job: String,
    host: String,
    started: i64,
    outcome: Outcome,
    /// The run that holds it (the new one, the earlier import, or the newer audit).
    run: i64,
    places: u64,
    removed: u64,
}

/// Imports the file; returns one line (or JSON object) per audit in it.
pub fn run(args: &ImportArgs, db: &Path) -> Result<String, FleetError> {
    let shown = args.file.display().to_string();
    let unusable = |e: ImportError| FleetError::Arguments(format!("cannot import {shown}: {e}"));
    let text = read_capped(&args.file)
        .map_err(|reason| FleetError::Arguments(format!("cannot import {shown}: {reason}")))?;
    if is_scan_export(&text) {
        return import_scans(args, db, &text).map_err(|e| match e {
            Failure::File(e) => unusable(e),
            Failure::Fleet(e) => e,
        });
    }
    let file = audit_export::parse(&text).map_err(unusable)?;
    // Every place checked before the first write: a bad file imports nothing.
    let audits: Vec<(&ExportedAudit, Vec<Sighting>)> = file
        .audits
        .iter()
        .enumerate()
        .map(|(n, audit)| audit.sightings(n).map(|s| (audit, s)))
        .collect::<Result<_, _>>()
        .map_err(unusable)?;
    let mut inventory = SqliteStore::open(db).map_err(FleetError::Inventory)?;
    let mut out = String::new();
    for (audit, sightings) in audits {
        let imported = import_one(&mut inventory, audit, &sightings)?;
        if args.json {
            out.push_str(&(serde_json::to_string(&imported).unwrap_or_default() + "\n"));
        } else {
            out.push_str(&line(&imported));
        }
    }
    Ok(out)
}

/// True for the file of `certprobe scan --export` (its version field says so).
fn is_scan_export(text: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Kind {
        certprobe_scan_export: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_str::<Kind>(text).is_ok_and(|k| k.certprobe_scan_export.is_some())
}

/// Why a file was not imported: the file itself, or the inventory.
enum Failure {
    File(ImportError),
    Fleet(FleetError),
}

/// The scans of a `certprobe scan --export` file, each once, as the audits are.
fn import_scans(args: &ImportArgs, db: &Path, text: &str) -> Result<String, Failure> {
    let file = scan_export::parse(text).map_err(Failure::File)?;
    let scans: Vec<(&ExportedScan, Vec<Sighting>)> = file
        .scans
        .iter()
        .enumerate()
        .map(|(n, scan)| scan.sightings(n).map(|s| (scan, s)))
        .collect::<Result<_, _>>()
        .map_err(Failure::File)?;
    let mut inventory =
        SqliteStore::open(db).map_err(|e| Failure::Fleet(FleetError::Inventory(e)))?;
    let mut out = String::new();
    for (scan, sightings) in scans {
        let imported = import_scan(&mut inventory, scan, &sightings).map_err(Failure::Fleet)?;
        if args.json {
            out.push_str(&(serde_json::to_string(&imported).unwrap_or_default() + "\n"));
        } else {
            out.push_str(&line(&imported));
        }
    }
    Ok(out)
}

fn import_scan(
    inventory: &mut SqliteStore,
    scan: &ExportedScan,
    sightings: &[Sighting],
) -> Result<Imported, FleetError> {
    let start = RunStart {
        kind: RunKind::Scan,
        job: scan.job.clone(),
        zone: scan.zone.clone(),
        host: scan.host.clone(),
        started: scan.started,
        planned: scan.planned,
        import_id: Some(scan.id.clone()),
    };
    let mut imported = Imported {
        kind: RunKind::Scan,
        job: scan.job.clone(),
        host: scan.host.clone(),
        started: scan.started,
        outcome: Outcome::Imported,
        run: 0,
        places: sightings.len() as u64,
        removed: 0,
    };
    let Some(mut run) = begin_once(inventory, &start, &mut imported)? else {
        return Ok(imported);
    };
    imported.run = run.id;
    for batch in sightings.chunks(BATCH) {
        inventory
            .record(&mut run, batch)
            .map_err(FleetError::Inventory)?;
    }
    inventory
        .finish_run(run, scan.status(), scan.ended)
        .map_err(FleetError::Inventory)?;
    Ok(imported)
}

/// The run that imports `start`, or none when it was imported before or the inventory
/// holds a later run of its job, zone and host (`imported` then says which).
fn begin_once(
    inventory: &mut SqliteStore,
    start: &RunStart,
    imported: &mut Imported,
) -> Result<Option<certprobe_inventory::Run>, FleetError> {
    let id = start.import_id.as_deref().unwrap_or_default();
    if let Some(run) = inventory.imported(id).map_err(FleetError::Inventory)? {
        imported.outcome = Outcome::ImportedBefore;
        imported.run = run;
        return Ok(None);
    }
    let latest = inventory
        .latest_done(start.kind, &start.job, &start.zone, &start.host)
        .map_err(FleetError::Inventory)?;
    if let Some((run, started)) = latest {
        if started > start.started {
            imported.outcome = Outcome::Older;
            imported.run = run;
            return Ok(None);
        }
    }
    inventory
        .begin_run(start, true)
        .map(Some)
        .map_err(FleetError::Inventory)
}

fn import_one(
    inventory: &mut SqliteStore,
    audit: &ExportedAudit,
    sightings: &[Sighting],
) -> Result<Imported, FleetError> {
    let mut imported = Imported {
        kind: RunKind::Audit,
        job: audit.job.clone(),
        host: audit.host.clone(),
        started: audit.started,
        outcome: Outcome::Imported,
        run: 0,
        places: sightings.len() as u64,
        removed: 0,
    };
    let start = RunStart {
        kind: RunKind::Audit,
        job: audit.job.clone(),
        zone: audit.zone.clone(),
        host: audit.host.clone(),
        started: audit.started,
        planned: 0,
        import_id: Some(audit.id.clone()),
    };
    let Some(mut run) = begin_once(inventory, &start, &mut imported)? else {
        return Ok(imported);
    };
    imported.run = run.id;
    for batch in sightings.chunks(BATCH) {
        inventory
            .record(&mut run, batch)
            .map_err(FleetError::Inventory)?;
    }
    let walked = Walked {
        zone: &audit.zone,
        host: &audit.host,
        roots: &audit.roots,
        unread: &audit.unread,
        stores: &audit.stores,
        unread_stores: &audit.unread_stores,
        ended: audit.ended,
    };
    imported.removed = crate::audit_finish::finish(inventory, run, &walked)?;
    Ok(imported)
}

fn line(imported: &Imported) -> String {
    let what = format!(
        "{} '{}' of {} from {}",
        imported.kind.as_str(),
        imported.job,
        imported.host,
        format_utc(imported.started)
    );
    match imported.outcome {
        Outcome::ImportedBefore => format!(
            "{what}: imported before, as run {}; nothing changed\n",
            imported.run
        ),
        Outcome::Older => format!(
            "{what}: not imported: the inventory holds a later {} of it (run {})\n",
            imported.kind.as_str(),
            imported.run
        ),
        Outcome::Imported if imported.kind == RunKind::Scan => format!(
            "{what}: imported, {} endpoints; run {}\n",
            imported.places, imported.run
        ),
        Outcome::Imported => format!(
            "{what}: imported, {} places, {} removed; run {}\n",
            imported.places, imported.removed, imported.run
        ),
    }
}

/// The file as text, at most [`audit_export::MAX_FILE_BYTES`]; the reason in words.
fn read_capped(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| certprobe_inventory::error::io_words(&e))?;
    let limit = audit_export::MAX_FILE_BYTES;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| certprobe_inventory::error::io_words(&e))?;
    if bytes.len() as u64 > limit {
        return Err(format!("it is larger than {limit} bytes"));
    }
    String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string())
}
