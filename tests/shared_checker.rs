//! The engine as a scanner drives it: one Checker shared by 32 threads, 1,000 checks of
//! loopback servers that are good, expired, refusing and silent. Every outcome is right, and
//! the process's threads and memory stay bounded.

mod common;

use certprobe::budget::Budget;
use certprobe::{CheckOptions, Checker, CheckerSettings, State, Target, TrustSelection};
use certprobe_testkit::{refused_port, LeafSpec};
use common::*;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const THREADS: usize = 32;
const CHECKS: usize = 1000;

/// A server that accepts and never answers, holding every socket on one thread.
fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

fn status_field(name: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Good,
    GoodByName,
    Expired,
    Refused,
    Silent,
}

#[test]
fn one_checker_serves_32_threads_for_1000_checks() {
    let (good, _) = serve_leaf(&LeafSpec::new("good.example"));
    let (expired, _) = serve_leaf(&LeafSpec::new("expired.example").valid_until(-2.0));
    let refused = refused_port();
    let silent = silent_server();

    let checker = Checker::new(&CheckerSettings {
        trust: TrustSelection {
            files: vec![pki().root_file.clone()],
            ..TrustSelection::default()
        },
        ..CheckerSettings::default()
    })
    .unwrap();
    let options = CheckOptions::default();
    let target = |kind: Kind| -> Target {
        let (host, port, sni) = match kind {
            Kind::Good => ("127.0.0.1", good.port, Some("good.example")),
            Kind::GoodByName => ("localhost", good.port, Some("good.example")),
            Kind::Expired => ("127.0.0.1", expired.port, Some("expired.example")),
            Kind::Refused => ("127.0.0.1", refused, None),
            Kind::Silent => ("127.0.0.1", silent, None),
        };
        Target::new(host, port, sni).unwrap()
    };
    let kinds = [
        Kind::Good,
        Kind::GoodByName,
        Kind::Expired,
        Kind::Refused,
        Kind::Silent,
    ];

    let threads_before = status_field("Threads:");
    let peak_threads = AtomicUsize::new(threads_before);
    let done = AtomicBool::new(false);
    let next = AtomicUsize::new(0);
    let wrong = Mutex::new(Vec::new());
    let rss_half = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(Ordering::SeqCst) {
                peak_threads.fetch_max(status_field("Threads:"), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= CHECKS {
                        return;
                    }
                    if i == CHECKS / 2 {
                        rss_half.store(status_field("VmRSS:"), Ordering::SeqCst);
                    }
                    let kind = kinds[i % kinds.len()];
                    let budget = Budget::within(Duration::from_secs(1))
                        .with_connect_timeout(Duration::from_millis(500));
                    let outcome = checker.check(&target(kind), &options, &budget);
                    let first = outcome
                        .verdict
                        .findings
                        .first()
                        .map(|f| f.message.clone())
                        .unwrap_or_default();
                    let right = match kind {
                        Kind::Good | Kind::GoodByName => {
                            outcome.verdict.state == State::Ok
                                && first.starts_with("certificate expires in 90.")
                        }
                        Kind::Expired => {
                            outcome.verdict.state == State::Critical
                                && first.starts_with("certificate expired 2.")
                        }
                        Kind::Refused => {
                            outcome.verdict.state == State::Critical
                                && first == format!("connection refused by 127.0.0.1:{refused}")
                        }
                        Kind::Silent => {
                            outcome.verdict.state == State::Unknown
                                && first == "timeout after 1 s waiting for the server's TLS answer"
                        }
                    };
                    if !right {
                        wrong
                            .lock()
                            .unwrap()
                            .push(format!("{kind:?}: {:?} {first}", outcome.verdict.state));
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
    });
    let rss_end = status_field("VmRSS:");
    let wrong = wrong.into_inner().unwrap();
    assert!(
        wrong.is_empty(),
        "{} wrong outcomes, first: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );

    // 32 workers, the resolver pool (16 at most), the servers' connection threads (one per
    // check in flight) and the test's own: never one thread per lookup or per check.
    let peak = peak_threads.load(Ordering::SeqCst);
    assert!(
        peak <= threads_before + THREADS + 16 + 2 * THREADS + 4,
        "peak {peak} threads (before: {threads_before})"
    );
    assert!(checker_resolver_threads(&checker) <= 16);
    // The second 500 checks cost no more memory than the first warmed up.
    let growth = rss_end.saturating_sub(rss_half.load(Ordering::SeqCst));
    assert!(
        growth < 16 * 1024,
        "RSS grew by {growth} KiB over the last 500 checks"
    );
    eprintln!(
        "peak threads {peak} (before {threads_before}), RSS {rss_end} KiB, growth {growth} KiB"
    );
}

fn checker_resolver_threads(checker: &Checker) -> usize {
    checker.resolver_threads()
}
