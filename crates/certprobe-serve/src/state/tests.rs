//! The judgement's liveness over a real SQLite inventory: a change is judged by the watcher
//! without a request, and a request served the previous judgement meanwhile is told so.

use super::*;
use certprobe_inventory::model::{RunKind, RunStart, RunStatus};

fn setup(db: &std::path::Path) -> Setup {
    Setup {
        db: db.to_path_buf(),
        owners: Owners::default(),
        thresholds: Thresholds::default(),
        credentials: None,
    }
}

/// Commits a run: the inventory's data version moves.
fn change(store: &mut Box<dyn Store + Send>, job: &str) {
    let start = RunStart {
        kind: RunKind::Audit,
        job: job.to_string(),
        zone: String::new(),
        host: "test".to_string(),
        started: certprobe::clock::now_unix(),
        planned: 0,
        import_id: None,
    };
    let run = store.begin_run(&start, false).unwrap();
    store
        .finish_run(run, RunStatus::Done, certprobe::clock::now_unix())
        .unwrap();
}

/// Waits (at most ten seconds) until `done` holds of the judgement.
fn until(shared: &Shared, done: impl Fn(&Judgement) -> bool) -> bool {
    let began = Instant::now();
    while began.elapsed() < Duration::from_secs(10) {
        if done(&shared.lock_judgement()) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn a_slow_judgement_is_not_waited_for_and_the_page_says_it_is_updating() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.sqlite");
    let mut writer = Locator::of(&db).unwrap().open(Open::Create).unwrap();
    // Every judgement counts as slow: none is waited for but the first. No watcher: the
    // request finds the change.
    let never = Patience {
        small: 0,
        quick: Duration::ZERO,
        watch_every: Duration::from_secs(3600),
    };
    let shared = Shared::open_with(setup(&db), never).unwrap();
    let first = shared.data().unwrap();
    assert!(!first.updating);

    change(&mut writer, "one");
    let served = shared.data().unwrap();
    assert!(served.updating, "served before the change is judged");
    assert!(Arc::ptr_eq(&served.data, &first.data));
    assert!(until(&shared, |j| !j.judging));
    let after = shared.data().unwrap();
    assert!(!after.updating);
    assert!(!Arc::ptr_eq(&after.data, &first.data));
}

#[test]
fn the_watcher_judges_a_change_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.sqlite");
    let mut writer = Locator::of(&db).unwrap().open(Open::Create).unwrap();
    let shared = Shared::open(setup(&db)).unwrap();
    let first = shared.data().unwrap();
    let judged = shared.lock_judgement().version;

    change(&mut writer, "one");
    assert!(
        until(&shared, |j| j.version != judged && !j.judging),
        "the watcher judged the change"
    );
    let served = shared.data().unwrap();
    assert!(!served.updating);
    assert!(!Arc::ptr_eq(&served.data, &first.data));
}

#[test]
fn the_watcher_ends_with_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.sqlite");
    drop(Locator::of(&db).unwrap().open(Open::Create).unwrap());
    let shared = Shared::open(setup(&db)).unwrap();
    shared.data().unwrap();
    let watched = Arc::downgrade(&shared);
    drop(shared);
    // The watcher holds it only while it looks; the judge has ended.
    let began = Instant::now();
    while watched.strong_count() > 0 && began.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(watched.strong_count(), 0);
}
