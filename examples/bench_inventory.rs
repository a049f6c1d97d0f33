//! Makes the benchmark inventory: 50,000 real certificates (rcgen, ECDSA P-256, expiring over
//! the next 400 days), each deployed on two of 100,000 endpoints, one scan run, in an SQLite
//! file (or a PostgreSQL database: a postgres:// URL). Addresses are only rows here: nothing
//! is connected to. Prints how long the recording took (the certificates are made first).
//! With `--rescan`, a second run then sees every endpoint again serving the same chain (the
//! steady state of a daily scan), and how long that took is printed too.
//!
//!     cargo run --release --example bench_inventory -- PATH|URL [--rescan]

use certprobe::analysis::certificate::CertFacts;
use certprobe_inventory::model::{
    EndpointKey, RunKind, RunStart, RunStatus, Seen, Sighting, StoredFinding,
};
use certprobe_inventory_pg::{Locator, Open};
use certprobe_testkit::{Ca, LeafSpec};

const CERTIFICATES: u32 = 50_000;
const BATCH: usize = 2_000;

fn main() {
    let path = std::env::args().nth(1).expect("the inventory's path");
    let rescan = std::env::args().nth(2).is_some_and(|a| a == "--rescan");
    if !certprobe_inventory_pg::is_postgres_url(&path) {
        let _ = std::fs::remove_file(&path);
    }
    let mut store = Locator::of(std::path::Path::new(&path))
        .and_then(|l| l.open(Open::Create))
        .expect("inventory");
    let ca = Ca::root("bench inventory CA");
    let ca_der = ca.der();
    let ca_record =
        certprobe_scan::sighting::record_of(&CertFacts::parse(&ca_der).expect("CA"), &ca_der);
    let now = certprobe::clock::now_unix();
    let start = RunStart {
        kind: RunKind::Scan,
        job: "bench".to_string(),
        zone: String::new(),
        host: "bench".to_string(),
        started: now,
        planned: u64::from(CERTIFICATES) * 2,
        import_id: None,
    };
    let mut run = store.begin_run(&start, true).expect("run");
    let mut batch = Vec::with_capacity(BATCH);
    let mut kept = Vec::new();
    let mut recording = std::time::Duration::ZERO;
    for i in 0..CERTIFICATES {
        let name = format!("host{i}.bench.example");
        let days = 1.0 + f64::from(i % 400);
        let leaf = ca.issue(&LeafSpec::new(&name).valid_until(days));
        let facts = CertFacts::parse(&leaf.der).expect("leaf");
        let record = certprobe_scan::sighting::record_of(&facts, &leaf.der);
        let state = if days < 7.0 {
            2
        } else if days < 30.0 {
            1
        } else {
            0
        };
        for copy in 0..2u32 {
            let n = i * 2 + copy;
            batch.push(Sighting {
                endpoint: EndpointKey {
                    zone: String::new(),
                    address: format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255),
                    port: 443,
                    sni: name.clone(),
                    protocol: "tls".to_string(),
                },
                observed_at: now,
                state,
                summary: format!("'{name}' expires in {days:.2} days"),
                findings: vec![StoredFinding {
                    check: "expiry".to_string(),
                    state: ["OK", "WARNING", "CRITICAL"][state as usize].to_string(),
                    message: format!("certificate expires in {days:.2} days"),
                }],
                seen: Seen::Served {
                    chain: vec![record.clone(), ca_record.clone()],
                    tls_version: "TLSv1.3".to_string(),
                },
            });
        }
        if batch.len() >= BATCH {
            let started = std::time::Instant::now();
            store.record(&mut run, &batch).expect("record");
            recording += started.elapsed();
            if rescan {
                kept.push(std::mem::take(&mut batch));
            }
            batch.clear();
        }
    }
    let started = std::time::Instant::now();
    store.record(&mut run, &batch).expect("record");
    recording += started.elapsed();
    store
        .finish_run(run, RunStatus::Done, certprobe::clock::now_unix())
        .expect("finish");
    let sightings = CERTIFICATES * 2;
    println!(
        "recorded {sightings} sightings in {:.1} s ({:.0}/s), batches of {BATCH}",
        recording.as_secs_f64(),
        f64::from(sightings) / recording.as_secs_f64()
    );
    if !rescan {
        return;
    }
    kept.push(batch);
    let mut run = store.begin_run(&start, true).expect("run");
    let started = std::time::Instant::now();
    for batch in &mut kept {
        for sighting in batch.iter_mut() {
            sighting.observed_at = now + 86_400;
        }
        store.record(&mut run, batch).expect("record");
    }
    let recording = started.elapsed();
    store
        .finish_run(run, RunStatus::Done, certprobe::clock::now_unix())
        .expect("finish");
    println!(
        "recorded them again, nothing changed, in {:.1} s ({:.0}/s)",
        recording.as_secs_f64(),
        f64::from(sightings) / recording.as_secs_f64()
    );
}
