use super::*;
use crate::render::ROWS_SHOWN;
use certprobe_inventory::query::EventRow;

const NOW: i64 = 1_800_000_000;

/// `count` "new" events of the last hour, newest first.
fn events(count: i64) -> Vec<EventRow> {
    (0..count)
        .map(|n| EventRow {
            at: NOW - n,
            run: 1,
            endpoint: format!("10.0.{}.{}:443", n / 250, n % 250),
            kind: "new".to_string(),
            sha256: String::new(),
            previous_sha256: String::new(),
            old_state: String::new(),
            new_state: String::new(),
            detail: format!("event {n}"),
        })
        .collect()
}

fn set(events: &[EventRow], rows: usize) -> ReportSet {
    let snapshot = Snapshot {
        now: NOW,
        deployed: Vec::new(),
    };
    ReportSet::new(
        &snapshot,
        &Default::default(),
        events,
        &[],
        &[],
        &[Report::Daily, Report::Weekly],
        rows,
    )
}

#[test]
fn the_files_have_every_event_a_served_copy_the_rows_a_page_shows() {
    let all = events(600);
    let pages = Pages::new();
    let files = set(&all, usize::MAX);
    assert_eq!(
        [files.daily.events.len(), files.daily.events_total],
        [600, 600]
    );
    assert_eq!(files.weekly.events.len(), 600);
    let written = pages
        .daily(&files.daily, &Site::Files { base_url: None })
        .unwrap();
    assert!(
        written.contains("<p class=\"muted more\">… and 100 more in the CSV and JSON.</p>"),
        "{written}"
    );
    assert_eq!(written.matches("<td>event ").count(), ROWS_SHOWN);
    assert!(written.contains("<span class=\"generated\">as of 2027-01-15 08:00:00 UTC</span>"));

    let served = set(&all, ROWS_SHOWN);
    assert_eq!(
        [served.daily.events.len(), served.daily.events_total],
        [500, 600]
    );
    assert_eq!(
        [served.weekly.events.len(), served.weekly.events_total],
        [500, 600]
    );
    let daily = pages
        .daily(&served.daily, &Site::Live { updating: false })
        .unwrap();
    assert!(daily.contains("<p class=\"muted more\">… and 100 more in the CSV and JSON that <code>certprobe report</code> writes.</p>"), "{daily}");
    assert_eq!(daily.matches("<td>event ").count(), ROWS_SHOWN);
    assert!(!daily.contains("class=\"updating\""), "{daily}");
    // Served from a judgement behind the inventory: the header says so beside its time.
    let behind = pages
        .daily(&served.daily, &Site::Live { updating: true })
        .unwrap();
    assert!(behind.contains("<span class=\"generated\">as of 2027-01-15 08:00:00 UTC<span class=\"updating\" title=\"The inventory has changed since; the pages show the change when it is judged, in a few seconds.\">updating</span></span>"), "{behind}");
    assert_eq!(
        pages
            .daily(&served.daily, &Site::Files { base_url: None })
            .unwrap(),
        written
    );
}

#[test]
fn a_page_that_cannot_be_made_says_where() {
    // A weekly report always has its eight days; without them the page says where it failed.
    let broken = Pages::new()
        .weekly(&Weekly::default(), &Site::Live { updating: false })
        .unwrap_err();
    assert_eq!(
        broken.to_string(),
        "the page weekly.html cannot be made: line 7: undefined value"
    );
}
