//! Scans of real loopback servers into a real SQLite inventory: what a range with a good, an
//! expired, a silent and an absent endpoint leaves, and the history when certificates are
//! replaced and servers stop and come back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use certprobe::{CheckOptions, Checker, CheckerSettings, Policy, TrustSelection};
use certprobe_inventory::query::{EndpointFilter, HistoryOf};
use certprobe_inventory::{SqliteStore, Store};
use certprobe_scan::spec::{parse_port, parse_target};
use certprobe_scan::{scan, Job, Limits, ScanSettings};
use certprobe_testkit::{serve_at, serve_tls_at, Ca, LeafSpec, Running};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

struct Lab {
    ca: Ca,
    checker: Arc<Checker>,
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
}

fn lab() -> Lab {
    let ca = Ca::root("Scan Test CA");
    let ca_file = certprobe_testkit::write_temp("scan-ca.pem", ca.pem().as_bytes());
    let checker = Checker::new(&CheckerSettings {
        trust: TrustSelection {
            mozilla: false,
            system: false,
            files: vec![ca_file],
        },
        ..CheckerSettings::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.sqlite");
    Lab {
        ca,
        checker: Arc::new(checker),
        _dir: dir,
        db,
    }
}

fn addr(ip: &str, port: u16) -> SocketAddr {
    SocketAddr::new(ip.parse::<IpAddr>().unwrap(), port)
}

/// A TLS server on `at` with a leaf of `spec`; also the leaf's notAfter as the outputs show it.
fn tls(lab: &Lab, at: SocketAddr, spec: LeafSpec) -> (Running, String) {
    let leaf = lab.ca.issue(&spec);
    let shown = certprobe::clock::format_utc(leaf.not_after);
    let server = serve_tls_at(at, vec![leaf.der, lab.ca.der()], leaf.key_pkcs8).unwrap();
    (server, shown)
}

fn job(range: &str, port: u16) -> Job {
    let mut job = Job::new("lab");
    job.targets = vec![parse_target(range, false).unwrap()];
    job.ports = vec![parse_port(&port.to_string()).unwrap()];
    job.limits = Limits {
        connect_timeout: Duration::from_secs(1),
        timeout: Duration::from_secs(2),
        concurrency: 16,
        rate: 0,
        per_host: 2,
    };
    job.check = CheckOptions {
        policy: Policy {
            revocation: false,
            ..Policy::default()
        },
        ..CheckOptions::default()
    };
    job
}

fn run(lab: &Lab, job: &Job) -> certprobe_scan::ScanReport {
    let mut store = SqliteStore::open(&lab.db).unwrap();
    scan(
        job,
        Arc::clone(&lab.checker),
        &mut store,
        &ScanSettings::default(),
        Arc::new(AtomicBool::new(false)),
        &mut |_| {},
    )
    .unwrap()
}

fn endpoints(lab: &Lab) -> Vec<String> {
    let store = SqliteStore::open_read_only(&lab.db).unwrap();
    store
        .endpoints(&EndpointFilter::default())
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {} {}", e.endpoint, e.state, e.summary))
        .collect()
}

fn history(lab: &Lab, ip: &str, port: u16) -> Vec<String> {
    let store = SqliteStore::open_read_only(&lab.db).unwrap();
    store
        .history(&HistoryOf::Endpoint {
            address: ip.to_string(),
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
fn a_range_with_good_expired_silent_and_absent_endpoints() {
    let lab = lab();
    let (good, not_after) = tls(
        &lab,
        addr("127.0.9.1", 0),
        LeafSpec::new("www.scan.test").valid_until(60.0),
    );
    let port = good.addr.port();
    let (_expired, expired_on) = tls(
        &lab,
        addr("127.0.9.2", port),
        LeafSpec::new("old.scan.test")
            .valid_from(-30.0)
            .valid_until(-1.0),
    );
    let _silent = serve_at(addr("127.0.9.3", port), |_stream| {
        std::thread::sleep(Duration::from_secs(5))
    })
    .unwrap();
    let mut job = job("127.0.9.0/29", port);
    job.sni.insert(
        "127.0.9.1".parse().unwrap(),
        vec!["www.scan.test".to_string()],
    );
    let report = run(&lab, &job);
    assert_eq!(
        (
            report.status,
            report.planned,
            report.counts.checked,
            report.counts.served
        ),
        ("done", 6, 6, 2)
    );
    assert_eq!((report.counts.failed, report.counts.silent), (1, 3));
    let rows = endpoints(&lab);
    assert_eq!(rows.len(), 3, "{rows:#?}");
    assert_eq!(
        rows[0],
        format!(
            "127.0.9.1:{port} (www.scan.test) OK 'www.scan.test' issued by 'Scan Test CA' expires in 60.00 days on {not_after}, ECDSA P-256"
        )
    );
    assert_eq!(
        rows[1],
        format!("127.0.9.2:{port} CRITICAL certificate expired 1.00 days ago on {expired_on}; chain is not trusted: expired element: chain element 1 ('old.scan.test') expired on {expired_on}")
    );
    assert_eq!(
        rows[2],
        format!("127.0.9.3:{port} UNKNOWN timeout after 2 s waiting for the server's TLS answer")
    );
}

#[test]
fn renewals_outages_and_returns_are_the_endpoint_history() {
    let lab = lab();
    let (first, _) = tls(
        &lab,
        addr("127.0.10.1", 0),
        LeafSpec::new("www.scan.test").valid_until(20.0),
    );
    let at = first.addr;
    let port = at.port();
    let mut job = job("127.0.10.1/32", port);
    job.sni.insert(at.ip(), vec!["www.scan.test".to_string()]);
    run(&lab, &job);
    drop(first);
    let (renewed, renewed_until) = tls(&lab, at, LeafSpec::new("www.scan.test").valid_until(90.0));
    run(&lab, &job);
    drop(renewed);
    run(&lab, &job);
    let (back, back_until) = tls(&lab, at, LeafSpec::new("www.scan.test").valid_until(90.0));
    run(&lab, &job);
    drop(back);
    let events = history(&lab, "127.0.10.1", port);
    assert_eq!(
        events,
        [
            "new www.scan.test appeared here".to_string(),
            "renewed www.scan.test was renewed".to_string(),
            format!("state_changed WARNING -> OK: 'www.scan.test' issued by 'Scan Test CA' expires in 90.00 days on {renewed_until}, ECDSA P-256"),
            format!("disappeared no longer served: connection refused by 127.0.10.1:{port}"),
            format!("state_changed OK -> CRITICAL: connection refused by 127.0.10.1:{port}"),
            "new www.scan.test appeared here".to_string(),
            format!("state_changed CRITICAL -> OK: 'www.scan.test' issued by 'Scan Test CA' expires in 90.00 days on {back_until}, ECDSA P-256"),
        ]
    );
}

#[test]
fn hostile_endpoints_cost_their_timeout_at_most_and_say_what_they_sent() {
    use std::io::{Read, Write};
    let lab = lab();
    let http = serve_at(addr("127.0.14.1", 0), |mut stream| {
        let mut buf = [0u8; 1024];
        let _ = stream.read(&mut buf);
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    })
    .unwrap();
    let port = http.addr.port();
    let _hangup = serve_at(addr("127.0.14.2", port), |mut stream| {
        let mut buf = [0u8; 1024];
        let _ = stream.read(&mut buf);
    })
    .unwrap();
    let _banner = serve_at(addr("127.0.14.3", port), |mut stream| {
        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.2\r\n\x1b[31m");
        std::thread::sleep(Duration::from_secs(2));
    })
    .unwrap();
    let report = run(&lab, &job("127.0.14.0/29", port));
    assert_eq!(
        (
            report.counts.served,
            report.counts.failed,
            report.counts.silent
        ),
        (0, 3, 3),
        "{report:?}"
    );
    assert_eq!(
        endpoints(&lab),
        [
            format!("127.0.14.1:{port} CRITICAL not a TLS server: it answered 'HTTP/1.1 400 Bad Request'"),
            format!("127.0.14.2:{port} CRITICAL server closed the connection during the TLS handshake"),
            format!("127.0.14.3:{port} CRITICAL not a TLS server: it answered 'SSH-2.0-OpenSSH_9.2'"),
        ]
    );
}
