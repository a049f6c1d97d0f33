use super::*;
use chrono::Timelike;

#[test]
fn a_test_clock_starts_where_it_is_told_and_runs_faster() {
    let clock = Clock::parse_test_clock("2026-12-01T03:00:30,600").unwrap();
    let start = clock.now();
    assert_eq!((start.hour(), start.minute(), start.second()), (3, 0, 30));
    // 30 s of the clock are 50 ms of real time.
    let due = start + chrono::Duration::seconds(30);
    let wait = clock.real_wait(due);
    assert!(wait <= Duration::from_millis(51), "{wait:?}");
    std::thread::sleep(Duration::from_millis(100));
    assert!(clock.now() >= due);
    assert_eq!(clock.real_wait(due), Duration::from_millis(1));
    let plain = Clock::parse_test_clock("2026-12-01T03:00:00").unwrap();
    assert!(matches!(plain, Clock::Scaled { speed, .. } if speed == 1.0));
    for bad in [
        "",
        "03:00",
        "2026-12-01T03:00:00,0",
        "2026-12-01T03:00:00,x",
        "2026-13-01T03:00:00",
    ] {
        assert!(Clock::parse_test_clock(bad).is_err(), "{bad}");
    }
    assert_eq!(
        Clock::parse_test_clock("tomorrow").unwrap_err().to_string(),
        "'tomorrow' is not a test clock (START[,SPEED], as in 2026-12-01T03:00:00,60)"
    );
}

fn report(status: &'static str, resumed: bool) -> ScanReport {
    ScanReport {
        job: "lab".to_string(),
        run: 3,
        resumed,
        status,
        planned: 7,
        counts: certprobe_inventory::model::RunCounts {
            checked: 7,
            served: 3,
            failed: 1,
            silent: 3,
        },
        unresolved: Vec::new(),
        seconds: 0.42,
        units: None,
    }
}

#[test]
fn each_event_is_one_line() {
    let at = Local.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
    let lines = [
        DaemonEvent::Started {
            jobs: vec![("lab".to_string(), "* * * * *".to_string(), Some(at))],
            unscheduled: vec!["adhoc".to_string()],
        },
        DaemonEvent::Ran {
            job: "lab".to_string(),
            due: Some(at),
            result: Ok(report("done", false)),
        },
        DaemonEvent::Ran {
            job: "lab".to_string(),
            due: None,
            result: Ok(report("interrupted", true)),
        },
        DaemonEvent::Ran {
            job: "lab".to_string(),
            due: Some(at),
            result: Err(RunError::Inventory(InventoryError::Locked {
                path: "x".to_string(),
            })),
        },
        DaemonEvent::Skipped {
            job: "lab".to_string(),
            due: at + chrono::Duration::minutes(1),
            running_since: at,
        },
        DaemonEvent::Stopping {
            signal: "SIGTERM",
            running: vec!["lab".to_string()],
        },
        DaemonEvent::Stopped,
    ]
    .map(|e| e.to_string());
    assert_eq!(
        lines,
        [
            "started with 1 job: 'lab' ('* * * * *', next 2026-12-01 03:00); without a schedule, not run: 'adhoc'",
            "job 'lab' run 3 (due 2026-12-01 03:00): done, 7 of 7 endpoints in 0.4 s: 3 served a certificate, 1 answered without one, 3 did not answer",
            "job 'lab' run 3 (continued): interrupted (the next start continues it), 7 of 7 endpoints in 0.4 s: 3 served a certificate, 1 answered without one, 3 did not answer",
            "job 'lab' (due 2026-12-01 03:00): failed: the inventory x is locked by another process; try again when it is done",
            "job 'lab' (due 2026-12-01 03:01): skipped, its run since 2026-12-01 03:00 is still going",
            "stopping on SIGTERM: waiting for the scans of 'lab' to stop",
            "stopped",
        ]
    );
}
