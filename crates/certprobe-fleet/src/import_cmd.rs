//! `certprobe inventory import FILE`: the audits of a `certprobe audit --export` file into
//! this inventory, each as the run of its host it was, done once: a file imported again
//! changes nothing, and an audit older than the host's latest one in the inventory is left
//! out (it would turn its places back in time). The whole file is checked before anything is
//! written; each audit is then recorded as a local one is, 500 places a transaction, and a
//! crash part-way leaves an interrupted run that the next import of the file does again.

use crate::audit_export::{self, ExportedAudit, ImportError};
use crate::audit_finish::Walked;
use crate::cli::ImportArgs;
use crate::inventory_db::{self, Open};
use crate::scan_export::{self, ExportedScan};
use crate::FleetError;
use certprobe::clock::format_utc;
use certprobe_inventory::model::{RunKind, RunStart, Sighting};
use certprobe_inventory::Store;
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

/// A run of the file, checked, with what its kind needs to finish.
struct ToImport<'a> {
    start: RunStart,
    export: Export<'a>,
    sightings: Vec<Sighting>,
}

/// The exported run itself.
enum Export<'a> {
    Scan(&'a ExportedScan),
    Audit(&'a ExportedAudit),
}

/// Imports the file; returns one line (or JSON object) per run in it.
pub fn run(args: &ImportArgs, db: &Path) -> Result<String, FleetError> {
    let shown = args.file.display().to_string();
    let unusable = |e: ImportError| FleetError::Arguments(format!("cannot import {shown}: {e}"));
    let text = read_capped(&args.file)
        .map_err(|reason| FleetError::Arguments(format!("cannot import {shown}: {reason}")))?;
    // Every run and every place checked before the first write: a bad file imports nothing.
    let scans;
    let audits;
    let runs: Vec<ToImport<'_>> = if is_scan_export(&text) {
        scans = scan_export::parse(&text).map_err(unusable)?;
        scans
            .scans
            .iter()
            .enumerate()
            .map(|(n, scan)| {
                scan.sightings(n).map(|sightings| ToImport {
                    start: scan.start(),
                    export: Export::Scan(scan),
                    sightings,
                })
            })
            .collect::<Result<_, _>>()
    } else {
        audits = audit_export::parse(&text).map_err(unusable)?;
        audits
            .audits
            .iter()
            .enumerate()
            .map(|(n, audit)| {
                audit.sightings(n).map(|sightings| ToImport {
                    start: audit.start(),
                    export: Export::Audit(audit),
                    sightings,
                })
            })
            .collect::<Result<_, _>>()
    }
    .map_err(unusable)?;
    let mut inventory = inventory_db::open(db, Open::Create)?;
    let mut out = String::new();
    for run in &runs {
        let imported = import_one(inventory.as_mut(), run)?;
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

/// Records one run unless it was imported before or the inventory holds a later run of its
/// job, zone and host (it would turn the places back in time).
fn import_one(
    inventory: &mut (dyn Store + Send),
    todo: &ToImport<'_>,
) -> Result<Imported, FleetError> {
    let start = &todo.start;
    let mut imported = Imported {
        kind: start.kind,
        job: start.job.clone(),
        host: start.host.clone(),
        started: start.started,
        outcome: Outcome::Imported,
        run: 0,
        places: todo.sightings.len() as u64,
        removed: 0,
    };
    let id = start.import_id.as_deref().unwrap_or_default();
    if let Some(run) = inventory.imported(id).map_err(FleetError::Inventory)? {
        imported.outcome = Outcome::ImportedBefore;
        imported.run = run;
        return Ok(imported);
    }
    let latest = inventory
        .latest_done(start.kind, &start.job, &start.zone, &start.host)
        .map_err(FleetError::Inventory)?;
    if let Some((run, started)) = latest {
        if started > start.started {
            imported.outcome = Outcome::Older;
            imported.run = run;
            return Ok(imported);
        }
    }
    let mut run = inventory
        .begin_run(start, true)
        .map_err(FleetError::Inventory)?;
    imported.run = run.id;
    for batch in todo.sightings.chunks(BATCH) {
        inventory
            .record(&mut run, batch)
            .map_err(FleetError::Inventory)?;
    }
    match todo.export {
        Export::Scan(scan) => inventory
            .finish_run(run, scan.status(), scan.ended)
            .map_err(FleetError::Inventory)?,
        Export::Audit(audit) => {
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
        }
    }
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
            "{what}: imported, {} endpoints checked; run {}\n",
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
