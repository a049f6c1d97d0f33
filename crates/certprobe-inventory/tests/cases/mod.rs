//! The store on its own, whatever its database: what each sequence of sightings leaves in
//! it. Included by the SQLite suite (tests/store.rs) and the PostgreSQL one
//! (certprobe-inventory-pg/tests/store.rs); each gives `super::fresh()`, a new empty
//! inventory whose `open()` is another connection to it.

use certprobe_inventory::model::{
    CertRecord, EndpointKey, RunKind, RunStart, RunStatus, Seen, Sighting, StoredFinding,
};
use certprobe_inventory::query::{CertificateFilter, CleanupCounts, EndpointFilter, HistoryOf};
use certprobe_inventory::{InventoryError, Store};

const DAY: i64 = 86_400;
const T0: i64 = 1_800_000_000;

fn cert(tag: u8, cn: &str, names: &[&str], not_after: i64) -> CertRecord {
    CertRecord {
        sha256: [tag; 32],
        der: vec![0x30, tag],
        subject: format!("CN={cn}"),
        issuer: "CN=Test CA".to_string(),
        common_name: cn.to_string(),
        issuer_common_name: "Test CA".to_string(),
        serial: format!("{tag:02x}"),
        not_before: T0 - DAY,
        not_after,
        key_type: "EC".to_string(),
        key_bits: 256,
        signature: "ecdsa-with-SHA256".to_string(),
        self_signed: false,
        is_ca: false,
        names: names.iter().map(|n| n.to_string()).collect(),
    }
}

fn ca() -> CertRecord {
    CertRecord {
        is_ca: true,
        self_signed: true,
        ..cert(0xca, "Test CA", &[], T0 + 3650 * DAY)
    }
}

fn key(port: u16) -> EndpointKey {
    EndpointKey {
        zone: String::new(),
        address: "127.0.0.1".to_string(),
        port,
        sni: "www.example.test".to_string(),
        protocol: "tls".to_string(),
    }
}

fn served(port: u16, at: i64, state: u8, chain: Vec<CertRecord>) -> Sighting {
    Sighting {
        endpoint: key(port),
        observed_at: at,
        state,
        summary: format!("state {state}"),
        findings: vec![StoredFinding {
            check: "expiry".to_string(),
            state: "OK".to_string(),
            message: "fine".to_string(),
        }],
        seen: Seen::Served {
            chain,
            tls_version: "TLSv1.3".to_string(),
        },
    }
}

fn failed(port: u16, at: i64, answered: bool) -> Sighting {
    Sighting {
        endpoint: key(port),
        observed_at: at,
        state: 2,
        summary: "connection refused".to_string(),
        findings: Vec::new(),
        seen: Seen::Failed {
            kind: "refused".to_string(),
            answered,
        },
    }
}

fn start(job: &str, at: i64) -> RunStart {
    RunStart {
        kind: RunKind::Scan,
        job: job.to_string(),
        zone: String::new(),
        host: "scanner".to_string(),
        started: at,
        planned: 1,
        import_id: None,
    }
}

fn scan(store: &mut (dyn Store + Send), at: i64, batch: &[Sighting]) {
    let mut run = store.begin_run(&start("dmz", at), false).unwrap();
    store.record(&mut run, batch).unwrap();
    store.finish_run(run, RunStatus::Done, at + 1).unwrap();
}

fn events(store: &(dyn Store + Send), port: u16) -> Vec<String> {
    store
        .history(&HistoryOf::Endpoint {
            address: "127.0.0.1".to_string(),
            port,
            protocol: None,
            sni: None,
        })
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.kind, e.detail))
        .collect()
}

#[test]
fn a_renewal_a_replacement_an_outage_and_a_return_are_events() {
    let db = super::fresh();
    let mut store = db.open();
    let first = cert(1, "www.example.test", &["www.example.test"], T0 + 60 * DAY);
    let renewed = cert(2, "www.example.test", &["www.example.test"], T0 + 150 * DAY);
    let other = cert(
        3,
        "other.example.test",
        &["other.example.test"],
        T0 + 90 * DAY,
    );
    scan(
        &mut *store,
        T0,
        &[served(443, T0, 0, vec![first.clone(), ca()])],
    );
    scan(
        &mut *store,
        T0 + DAY,
        &[served(443, T0 + DAY, 0, vec![first, ca()])],
    );
    scan(
        &mut *store,
        T0 + 2 * DAY,
        &[served(443, T0 + 2 * DAY, 0, vec![renewed.clone(), ca()])],
    );
    scan(
        &mut *store,
        T0 + 3 * DAY,
        &[served(443, T0 + 3 * DAY, 1, vec![other])],
    );
    scan(
        &mut *store,
        T0 + 4 * DAY,
        &[failed(443, T0 + 4 * DAY, false)],
    );
    scan(
        &mut *store,
        T0 + 5 * DAY,
        &[served(
            443,
            T0 + 5 * DAY,
            0,
            vec![cert(
                3,
                "other.example.test",
                &["other.example.test"],
                T0 + 90 * DAY,
            )],
        )],
    );
    scan(
        &mut *store,
        T0 + 6 * DAY,
        &[served(443, T0 + 6 * DAY, 0, vec![renewed, ca()])],
    );
    assert_eq!(
        events(&*store, 443),
        [
            "new www.example.test appeared here",
            "renewed www.example.test was renewed",
            "disappeared www.example.test was replaced by other.example.test",
            "new other.example.test replaced www.example.test",
            "state_changed OK -> WARNING: state 1",
            "disappeared no longer served: connection refused",
            "state_changed WARNING -> CRITICAL: connection refused",
            "reappeared other.example.test is served again",
            "state_changed CRITICAL -> OK: state 0",
            "disappeared other.example.test was replaced by www.example.test",
            "new www.example.test replaced other.example.test",
        ]
    );
    let spans = store.deployments("0101010101", true).unwrap();
    assert_eq!(spans.len(), 1);
    assert_eq!(
        (
            spans[0].first_seen,
            spans[0].last_seen,
            spans[0].scans,
            spans[0].ended_at
        ),
        (T0, T0 + DAY, 2, Some(T0 + 2 * DAY))
    );
    assert!(store.deployments("01:01:01:01", false).unwrap().is_empty());
    let now = store.deployments("www.example.test", false).unwrap();
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].sha256, format!("{}", ["02"; 32].join(":")));
    assert_eq!(now[0].endpoint, "127.0.0.1:443 (www.example.test)");
    // The CA is deployed too, as position 1 of the current chain.
    let ca_spans = store.deployments(&"CA".repeat(32), false).unwrap();
    assert_eq!(ca_spans.iter().map(|d| d.position).collect::<Vec<_>>(), [1]);
}

#[test]
fn an_expiry_while_deployed_is_an_event_once() {
    let db = super::fresh();
    let mut store = db.open();
    let short = cert(
        1,
        "short.example.test",
        &["short.example.test"],
        T0 + DAY / 2,
    );
    scan(&mut *store, T0, &[served(443, T0, 0, vec![short.clone()])]);
    scan(
        &mut *store,
        T0 + DAY,
        &[served(443, T0 + DAY, 2, vec![short.clone()])],
    );
    scan(
        &mut *store,
        T0 + 2 * DAY,
        &[served(443, T0 + 2 * DAY, 2, vec![short])],
    );
    assert_eq!(
        events(&*store, 443),
        [
            "new short.example.test appeared here",
            "expired short.example.test expired",
            "state_changed OK -> CRITICAL: state 2",
        ]
    );
}

#[test]
fn an_endpoint_history_narrows_to_a_protocol_and_an_sni_name() {
    let db = super::fresh();
    let mut store = db.open();
    let mail = cert(
        1,
        "mail.example.test",
        &["mail.example.test"],
        T0 + 90 * DAY,
    );
    let mut smtp = served(25, T0, 0, vec![mail.clone()]);
    smtp.endpoint.protocol = "smtp".to_string();
    smtp.endpoint.sni = "mail.example.test".to_string();
    let mut unnamed = served(25, T0, 0, vec![mail]);
    unnamed.endpoint.protocol = "smtp".to_string();
    unnamed.endpoint.sni = String::new();
    scan(&mut *store, T0, &[smtp, unnamed]);
    let labels = |protocol: Option<&str>, sni: Option<&str>| -> Vec<String> {
        store
            .history(&HistoryOf::Endpoint {
                address: "127.0.0.1".to_string(),
                port: 25,
                protocol: protocol.map(str::to_string),
                sni: sni.map(str::to_string),
            })
            .unwrap()
            .into_iter()
            .map(|e| format!("{} {}", e.endpoint, e.kind))
            .collect()
    };
    assert_eq!(
        labels(None, None),
        [
            "127.0.0.1:25/smtp (mail.example.test) new",
            "127.0.0.1:25/smtp new"
        ]
    );
    assert_eq!(
        labels(Some("smtp"), Some("mail.example.test")),
        ["127.0.0.1:25/smtp (mail.example.test) new"]
    );
    assert_eq!(labels(Some("smtp"), Some("")), ["127.0.0.1:25/smtp new"]);
    assert!(labels(Some("tls"), None).is_empty());
}

#[test]
fn an_address_that_never_answered_is_counted_not_stored() {
    let db = super::fresh();
    let mut store = db.open();
    let mut run = store.begin_run(&start("sweep", T0), false).unwrap();
    store
        .record(&mut run, &[failed(443, T0, false), failed(444, T0, true)])
        .unwrap();
    store.finish_run(run, RunStatus::Done, T0 + 1).unwrap();
    let endpoints = store.endpoints(&EndpointFilter::default()).unwrap();
    assert_eq!(endpoints.iter().map(|e| e.port).collect::<Vec<_>>(), [444]);
    let runs = store.runs(Some("sweep"), 10).unwrap();
    assert_eq!(
        (
            runs[0].status.as_str(),
            runs[0].counts.checked,
            runs[0].counts.failed,
            runs[0].counts.silent
        ),
        ("done", 2, 1, 1)
    );
}

#[test]
fn an_interrupted_run_is_continued_and_a_second_scan_of_the_job_is_refused() {
    let db = super::fresh();
    let mut store = db.open();
    let leaf = cert(1, "www.example.test", &["www.example.test"], T0 + 60 * DAY);
    let mut run = store.begin_run(&start("dmz", T0), false).unwrap();
    store
        .record(&mut run, &[served(443, T0, 0, vec![leaf.clone()])])
        .unwrap();
    // Another process (another connection) cannot start the job while this run lives.
    let mut other = db.open();
    match other.begin_run(&start("dmz", T0), false) {
        Err(e @ InventoryError::JobRunning { .. }) => assert_eq!(
            e.to_string(),
            format!(
                "a scan of job 'dmz' is already running (run 1, process {}); wait for it to end",
                std::process::id()
            )
        ),
        _ => panic!("the second scan was not refused"),
    }
    // The run dies without finishing: its lock goes with it.
    drop(run);
    let resumed = other.begin_run(&start("dmz", T0 + 10), false).unwrap();
    assert!(resumed.resumed);
    assert_eq!(resumed.id, 1);
    assert_eq!(resumed.counts.checked, 1);
    assert_eq!(
        resumed.done.iter().map(|k| k.port).collect::<Vec<_>>(),
        [443]
    );
    drop(resumed);
    let fresh = other.begin_run(&start("dmz", T0 + 20), true).unwrap();
    assert!(!fresh.resumed);
    assert_eq!(fresh.id, 2);
    drop(fresh);
    let statuses: Vec<String> = other
        .runs(Some("dmz"), 10)
        .unwrap()
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, ["running", "interrupted"]);
}

#[test]
fn endpoints_not_seen_in_the_latest_run_are_stale() {
    let db = super::fresh();
    let mut store = db.open();
    let leaf = cert(1, "www.example.test", &["www.example.test"], T0 + 60 * DAY);
    scan(
        &mut *store,
        T0,
        &[
            served(443, T0, 0, vec![leaf.clone()]),
            served(8443, T0, 0, vec![leaf.clone()]),
        ],
    );
    scan(
        &mut *store,
        T0 + DAY,
        &[served(443, T0 + DAY, 0, vec![leaf])],
    );
    let stale = store
        .endpoints(&EndpointFilter {
            stale_only: true,
            ..EndpointFilter::default()
        })
        .unwrap();
    assert_eq!(stale.iter().map(|e| e.port).collect::<Vec<_>>(), [8443]);
    assert_eq!(stale[0].state, "OK");
}

#[test]
fn certificates_filter_by_expiry_and_show_their_worst_endpoint() {
    let db = super::fresh();
    let mut store = db.open();
    let soon = cert(
        1,
        "soon.example.test",
        &["soon.example.test"],
        T0 + 10 * DAY,
    );
    let later = cert(
        2,
        "later.example.test",
        &["later.example.test"],
        T0 + 100 * DAY,
    );
    scan(
        &mut *store,
        T0,
        &[
            served(443, T0, 1, vec![soon.clone(), ca()]),
            served(444, T0, 2, vec![soon]),
            served(445, T0, 0, vec![later]),
        ],
    );
    let expiring = store
        .certificates(&CertificateFilter {
            expiring_before: Some(T0 + 30 * DAY),
            ..CertificateFilter::default()
        })
        .unwrap();
    assert_eq!(expiring.len(), 1);
    assert_eq!(
        (
            expiring[0].subject.as_str(),
            expiring[0].endpoints,
            expiring[0].worst_state.as_str(),
            expiring[0].key.as_str()
        ),
        ("soon.example.test", 2, "CRITICAL", "EC 256")
    );
    // The CA is no endpoint's leaf: listed with --all only.
    let all = store
        .certificates(&CertificateFilter {
            all: true,
            ..CertificateFilter::default()
        })
        .unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[2].subject, "Test CA");
    assert_eq!(all[2].worst_state, "");
}

/// Each certificate's endpoints and worst state as the listing reads them from the table the
/// triggers keep, checked against the same figures grouped from the endpoints themselves (a
/// job filter takes that path).
fn uses(store: &(dyn Store + Send)) -> Vec<(String, u64, String)> {
    let kept = store.certificates(&CertificateFilter::default()).unwrap();
    let grouped = store
        .certificates(&CertificateFilter {
            job: Some("dmz".to_string()),
            ..CertificateFilter::default()
        })
        .unwrap();
    assert_eq!(kept, grouped);
    kept.into_iter()
        .map(|c| (c.subject, c.endpoints, c.worst_state))
        .collect()
}

#[test]
fn the_listing_follows_every_change_of_a_deployment_and_its_endpoints() {
    let db = super::fresh();
    let mut store = db.open();
    let first = cert(1, "first.example.test", &[], T0 + 60 * DAY);
    let renewed = cert(2, "renewed.example.test", &[], T0 + 150 * DAY);
    let used = |c: &str, n: u64, state: &str| (c.to_string(), n, state.to_string());
    scan(
        &mut *store,
        T0,
        &[
            served(443, T0, 0, vec![first.clone(), ca()]),
            served(8443, T0, 1, vec![first.clone()]),
        ],
    );
    assert_eq!(uses(&*store), [used("first.example.test", 2, "WARNING")]);
    // The same again changes nothing; a state change alone is followed.
    let t1 = T0 + DAY;
    scan(
        &mut *store,
        t1,
        &[
            served(443, t1, 0, vec![first.clone(), ca()]),
            served(8443, t1, 1, vec![first.clone()]),
        ],
    );
    assert_eq!(uses(&*store), [used("first.example.test", 2, "WARNING")]);
    let t2 = T0 + 2 * DAY;
    scan(&mut *store, t2, &[served(8443, t2, 3, vec![first.clone()])]);
    assert_eq!(uses(&*store), [used("first.example.test", 2, "UNKNOWN")]);
    // 443 renewed: the old leaf keeps 8443 only.
    let t3 = T0 + 3 * DAY;
    scan(
        &mut *store,
        t3,
        &[
            served(443, t3, 2, vec![renewed.clone(), ca()]),
            served(8443, t3, 0, vec![first.clone()]),
        ],
    );
    assert_eq!(
        uses(&*store),
        [
            used("first.example.test", 1, "OK"),
            used("renewed.example.test", 1, "CRITICAL"),
        ]
    );
    // 8443 renewed too: the first certificate is deployed nowhere, listed with --all only.
    let t4 = T0 + 4 * DAY;
    scan(
        &mut *store,
        t4,
        &[served(8443, t4, 1, vec![renewed.clone()])],
    );
    assert_eq!(uses(&*store), [used("renewed.example.test", 2, "CRITICAL")]);
    let all = store
        .certificates(&CertificateFilter {
            all: true,
            ..CertificateFilter::default()
        })
        .unwrap();
    let shown: Vec<_> = all
        .iter()
        .map(|c| (c.subject.as_str(), c.endpoints, c.worst_state.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("first.example.test", 0, ""),
            ("renewed.example.test", 2, "CRITICAL"),
            ("Test CA", 0, ""),
        ]
    );
    // Cleanup deletes 443 (last scanned at t3): its deployment goes with it.
    store.cleanup(t4).unwrap();
    assert_eq!(uses(&*store), [used("renewed.example.test", 1, "WARNING")]);
}

#[test]
fn cleanup_removes_what_was_not_seen_since_the_cut_off_and_what_nothing_refers_to() {
    let db = super::fresh();
    let mut store = db.open();
    let first = cert(1, "www.example.test", &["www.example.test"], T0 + 60 * DAY);
    let renewed = cert(2, "www.example.test", &["www.example.test"], T0 + 150 * DAY);
    let gone = cert(3, "old.example.test", &["old.example.test"], T0 + 90 * DAY);
    let other = cert(
        4,
        "other.example.test",
        &["other.example.test"],
        T0 + 300 * DAY,
    );
    let on = |port: u16, sighting: Sighting| Sighting {
        endpoint: key(port),
        ..sighting
    };
    // 443 is renewed, then replaced by another certificate; 8443 is seen once; 9443 never
    // serves a certificate but answers every time; 9444 answered once.
    scan(
        &mut *store,
        T0,
        &[
            served(443, T0, 0, vec![first, ca()]),
            on(8443, served(8443, T0, 0, vec![gone, ca()])),
            failed(9443, T0, true),
            failed(9444, T0, true),
        ],
    );
    scan(
        &mut *store,
        T0 + 10 * DAY,
        &[served(443, T0 + 10 * DAY, 0, vec![renewed, ca()])],
    );
    scan(
        &mut *store,
        T0 + 60 * DAY,
        &[served(443, T0 + 60 * DAY, 1, vec![other.clone()])],
    );
    scan(
        &mut *store,
        T0 + 100 * DAY,
        &[
            served(443, T0 + 100 * DAY, 1, vec![other]),
            failed(9443, T0 + 100 * DAY, true),
        ],
    );
    assert_eq!(events(&*store, 443).len(), 5);

    let removed = store.cleanup(T0 + 50 * DAY).unwrap();
    assert_eq!(
        removed,
        CleanupCounts {
            // 8443 and 9444, last scanned at T0.
            endpoints: 2,
            // The first span of 443 (ended at T0 + 10 days) and the one of 8443.
            deployments: 2,
            // new (443), new (8443), renewed (443).
            events: 3,
            // [first, CA] and [gone, CA]; [renewed, CA] is still a span's chain (ended later).
            chains: 2,
            // first and gone; the CA is in a remaining chain.
            certificates: 2,
        }
    );
    let ports: Vec<u16> = store
        .endpoints(&EndpointFilter::default())
        .unwrap()
        .into_iter()
        .map(|e| e.port)
        .collect();
    assert_eq!(ports, [443, 9443]);
    assert_eq!(
        events(&*store, 443),
        [
            "disappeared www.example.test was replaced by other.example.test",
            "new other.example.test replaced www.example.test",
            "state_changed OK -> WARNING: state 1",
        ]
    );
    assert!(store.deployments("0101010101", true).unwrap().is_empty());
    assert_eq!(store.deployments("0202020202", true).unwrap().len(), 1);
    let left: Vec<String> = store
        .certificates(&CertificateFilter {
            all: true,
            ..CertificateFilter::default()
        })
        .unwrap()
        .into_iter()
        .map(|c| c.subject)
        .collect();
    assert_eq!(left, ["www.example.test", "other.example.test", "Test CA"]);
    // Nothing more to do for the same cut-off.
    assert_eq!(
        store.cleanup(T0 + 50 * DAY).unwrap(),
        CleanupCounts::default()
    );
    // A cut-off after the last scan empties the inventory (the runs stay).
    assert_eq!(
        store.cleanup(T0 + 200 * DAY).unwrap(),
        CleanupCounts {
            endpoints: 2,
            deployments: 2,
            events: 3,
            chains: 2,
            certificates: 3,
        }
    );
    assert!(store.export(None).unwrap().is_empty());
    assert_eq!(store.runs(None, 10).unwrap().len(), 4);
}

#[test]
fn the_export_has_every_endpoint_that_served_a_certificate() {
    let db = super::fresh();
    let mut store = db.open();
    let leaf = cert(1, "www.example.test", &["www.example.test"], T0 + 60 * DAY);
    let short_ca = CertRecord {
        not_after: T0 + 30 * DAY,
        ..ca()
    };
    scan(
        &mut *store,
        T0,
        &[
            served(443, T0, 0, vec![leaf.clone(), short_ca.clone()]),
            served(444, T0, 0, vec![leaf.clone()]),
            failed(445, T0, true),
        ],
    );
    scan(
        &mut *store,
        T0 + DAY,
        &[
            served(443, T0 + DAY, 1, vec![leaf, short_ca]),
            failed(444, T0 + DAY, false),
            failed(445, T0 + DAY, true),
        ],
    );
    let rows = store.export(None).unwrap();
    let shown: Vec<(u16, u8, i64, bool, Option<i64>)> = rows
        .iter()
        .map(|r| {
            (
                r.endpoint.port,
                r.state,
                r.last_scan,
                r.leaf.is_some(),
                r.chain_not_after,
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (443, 1, T0 + DAY, true, Some(T0 + 30 * DAY)),
            (444, 2, T0 + DAY, false, None),
        ]
    );
    let leaf = rows[0].leaf.as_ref().unwrap();
    assert_eq!(
        (
            leaf.sha256.clone(),
            leaf.common_name.as_str(),
            leaf.not_after,
            leaf.self_signed
        ),
        (vec![1u8; 32], "www.example.test", T0 + 60 * DAY, false)
    );
    assert_eq!(rows[0].tls_version, "TLSv1.3");
    assert_eq!(rows[0].findings[0].check, "expiry");
    assert_eq!(store.export(Some("dmz")).unwrap().len(), 2);
    assert!(store.export(Some("other")).unwrap().is_empty());
}

#[test]
fn endpoints_filter_by_range_with_the_address_index() {
    let db = super::fresh();
    let mut store = db.open();
    let leaf = cert(1, "www.example.test", &["www.example.test"], T0 + 60 * DAY);
    let at = |address: &str| Sighting {
        endpoint: EndpointKey {
            address: address.to_string(),
            ..key(443)
        },
        ..served(443, T0, 0, vec![leaf.clone()])
    };
    scan(
        &mut *store,
        T0,
        &[
            at("10.0.0.255"),
            at("10.0.1.0"),
            at("10.0.1.255"),
            at("10.0.2.0"),
            at("2001:db8::1"),
        ],
    );
    let within = |net: &str, prefix: u8| -> Vec<String> {
        store
            .endpoints(&EndpointFilter {
                range: Some((net.parse().unwrap(), prefix)),
                ..EndpointFilter::default()
            })
            .unwrap()
            .into_iter()
            .map(|e| e.address)
            .collect()
    };
    assert_eq!(within("10.0.1.0", 24), ["10.0.1.0", "10.0.1.255"]);
    assert_eq!(within("10.0.0.0", 8).len(), 4);
    assert_eq!(within("2001:db8::", 64), ["2001:db8::1"]);
}

#[test]
fn endpoint_details_carry_the_chain_served_at_the_latest_scan() {
    let db = super::fresh();
    let mut store = db.open();
    let leaf = cert(1, "www.example.test", &["www.example.test"], T0 + 90 * DAY);
    scan(
        &mut *store,
        T0,
        &[
            served(443, T0, 0, vec![leaf.clone(), ca()]),
            failed(8443, T0, true),
        ],
    );
    let filter = EndpointFilter {
        address: Some("127.0.0.1".to_string()),
        ..EndpointFilter::default()
    };
    let details = store.endpoint_details(&filter).unwrap();
    assert_eq!(details.len(), 2);
    assert_eq!(details[0].row.endpoint, "127.0.0.1:443 (www.example.test)");
    assert_eq!(details[0].chain, vec![leaf.der.clone(), ca().der]);
    assert_eq!(details[0].tls_version, "TLSv1.3");
    assert_eq!(details[0].error_kind, None);
    assert_eq!(details[0].row.findings[0].check, "expiry");
    assert_eq!(details[1].row.endpoint, "127.0.0.1:8443 (www.example.test)");
    assert!(details[1].chain.is_empty());
    assert_eq!(details[1].error_kind.as_deref(), Some("refused"));
    // The same rows as the list, in the same order.
    let rows: Vec<_> = details.into_iter().map(|d| d.row).collect();
    assert_eq!(rows, store.endpoints(&filter).unwrap());
    let none = EndpointFilter {
        port: Some(25),
        ..filter
    };
    assert!(store.endpoint_details(&none).unwrap().is_empty());
}
