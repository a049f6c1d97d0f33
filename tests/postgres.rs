//! Every command on a shared PostgreSQL inventory says what it says on the SQLite file:
//! the same scans, audits, renewal and notifications go into both (a private PostgreSQL 15
//! cluster on 127.0.0.1, TLS verified), then every query, export, report, the notifier's log
//! and check_cert_inventory are compared line by line, with only the clock's readings and
//! the database's name masked.

mod common;

use certprobe_testkit::{pem, serve_tls_at, LeafSpec, Running};
use common::*;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The two inventories and what every run against them shares.
struct Pair {
    sqlite: PathBuf,
    postgres: PathBuf,
    shown_postgres: String,
}

impl Pair {
    /// Runs `args` against both; both outputs, the database's name masked.
    fn both(&self, args: &[&str]) -> (Run, Run) {
        let mut lite = certprobe(&self.sqlite, args);
        let mut pg = certprobe(&self.postgres, args);
        lite.stdout = masked(&lite.stdout, &self.sqlite.display().to_string());
        lite.stderr = masked(&lite.stderr, &self.sqlite.display().to_string());
        pg.stdout = masked(&pg.stdout, &self.shown_postgres);
        pg.stderr = masked(&pg.stderr, &self.shown_postgres);
        (lite, pg)
    }

    /// Runs `args` against both and asserts the same exit code and output; returns it.
    fn same(&self, args: &[&str]) -> Run {
        let (lite, pg) = self.both(args);
        assert_eq!(
            (lite.code, lite.stdout.as_str(), lite.stderr.as_str()),
            (pg.code, pg.stdout.as_str(), pg.stderr.as_str()),
            "certprobe {} differs between SQLite (left) and PostgreSQL (right): {}",
            args.join(" "),
            first_difference(&lite.stdout, &pg.stdout)
        );
        lite
    }

    /// check_cert_inventory with `args` against both: the same state and output.
    fn same_check(&self, args: &[&str]) -> Run {
        let run = |db: &Path| {
            run_plugin(
                env!("CARGO_BIN_EXE_check_cert_inventory"),
                &[&["--db", db.to_str().unwrap()], args].concat(),
            )
        };
        let (mut lite, mut pg) = (run(&self.sqlite), run(&self.postgres));
        lite.stdout = masked(&lite.stdout, &self.sqlite.display().to_string());
        pg.stdout = masked(&pg.stdout, &self.shown_postgres);
        assert_eq!(
            (lite.code, lite.stdout.as_str()),
            (pg.code, pg.stdout.as_str()),
            "check_cert_inventory {} differs: {}",
            args.join(" "),
            first_difference(&lite.stdout, &pg.stdout)
        );
        lite
    }
}

/// The first line where two outputs differ, both ways.
fn first_difference(left: &str, right: &str) -> String {
    left.lines()
        .zip(right.lines())
        .find(|(l, r)| l != r)
        .map(|(l, r)| format!("first differing line:\n  {l}\n  {r}"))
        .unwrap_or_else(|| "the outputs differ in length".to_string())
}

/// Text with the clock's readings (dates, times, Unix seconds, durations) and `db` masked.
fn masked(text: &str, db: &str) -> String {
    let text = text.replace(db, "<db>");
    let patterns = [
        (
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2}| UTC)?",
            "<time>",
        ),
        (r"\b1[4-9]\d{8}\b", "<unix>"),
        (r"\b\d+(\.\d+)? ?(ms|s)\b", "<took>"),
        (r"\b\d+(\.\d+)?/s\b", "<rate>"),
        // Ages: both inventories' audits ran a moment apart.
        (r"\b\d+ (seconds?|minutes?) ago\b", "<age> ago"),
    ];
    let mut out = text;
    for (pattern, mask) in patterns {
        out = regex_lite::Regex::new(pattern)
            .unwrap()
            .replace_all(&out, mask)
            .into_owned();
    }
    out
}

/// Serves a leaf of `spec` at `addr`; the server, and the leaf's SHA-256 in lower-case hex.
fn serve_at(addr: SocketAddr, spec: &LeafSpec) -> (Running, String) {
    let leaf = pki().intermediate.issue(spec);
    let server = serve_tls_at(
        addr,
        vec![leaf.der.clone(), pki().intermediate.der()],
        leaf.key_pkcs8.clone(),
    )
    .unwrap();
    let sha = ring::digest::digest(&ring::digest::SHA256, &leaf.der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (server, sha)
}

#[test]
fn every_command_says_the_same_on_postgresql_as_on_sqlite() {
    let Some(cluster) = certprobe_testkit::postgres::cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = cluster.database();
    let pair = Pair {
        sqlite: dir.path().join("inventory.sqlite"),
        postgres: PathBuf::from(&url),
        shown_postgres: url.split('?').next().unwrap().to_string(),
    };
    // Three servers on one port: good, soon due (renewed later) and expired; the rest of
    // the /29 refuses.
    let (good, good_sha) = serve_at(
        "127.0.22.1:0".parse().unwrap(),
        &LeafSpec::new("good.pg.test").valid_until(200.5),
    );
    let port = good.addr.port();
    let at = |host: u8| -> SocketAddr { format!("127.0.22.{host}:{port}").parse().unwrap() };
    let (soon, _) = serve_at(at(2), &LeafSpec::new("soon.pg.test").valid_until(12.5));
    let (_expired, _) = serve_at(
        at(3),
        &LeafSpec::new("old.pg.test")
            .valid_from(-90.0)
            .valid_until(-2.5),
    );
    let certs = dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    let file_leaf = pki()
        .intermediate
        .issue(&LeafSpec::new("file.pg.test").valid_until(25.5));
    std::fs::write(
        certs.join("file.pem"),
        format!("{}{}", pem(&file_leaf.der), pki().intermediate.pem()),
    )
    .unwrap();
    let log = dir.path().join("hook.log");
    let hook = dir.path().join("hook.sh");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nprintf '%s %s %s\\n' \"$CERTPROBE_EVENT\" \"$CERTPROBE_NOTIFICATION_ID\" \"$CERTPROBE_SUMMARY\" >> \"{}.$CERTPROBE_DB_KIND\"\n",
            log.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&hook)
        .status()
        .unwrap();
    let config = dir.path().join("certprobe.toml");
    std::fs::write(
        &config,
        format!(
            "[notify]\nhook = [\"{}\"]\n\n[[owner]]\nname = \"ops\"\ncertificates = [\"*.pg.test\"]\n",
            hook.display()
        ),
    )
    .unwrap();
    let root = root_file();
    let port_text = port.to_string();
    let scan = [
        "scan",
        "--targets",
        "127.0.22.0/29",
        "--ports",
        &port_text,
        "--job",
        "web",
        "--ca-file",
        &root,
        "--no-revocation",
        "--timeout",
        "2s",
        // One at a time: the endpoints are recorded in address order, so both inventories
        // number their rows alike (the reports order a second's events by them).
        "--concurrency",
        "1",
    ];
    let first = pair.same(&scan);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    let audit = [
        "audit",
        certs.to_str().unwrap(),
        "--ca-file",
        &root,
        "--no-revocation",
    ];
    assert_eq!(pair.same(&audit).code, 0);
    // The soon-due certificate is renewed: a second scan sees the new one.
    drop(soon);
    let (_renewed, _) = serve_at(at(2), &LeafSpec::new("soon.pg.test").valid_until(90.5));
    assert_eq!(pair.same(&scan).code, 0);

    let endpoints = pair.same(&["inventory", "endpoints", "--format", "json"]);
    let states: Vec<&str> = regex_lite::Regex::new(r#""state":"(\w+)","summary""#)
        .unwrap()
        .captures_iter(&endpoints.stdout)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert_eq!(
        states,
        ["OK", "OK", "CRITICAL", "WARNING"],
        "{}",
        endpoints.stdout
    );
    for args in [
        &["inventory", "certificates", "--format", "json"][..],
        &["inventory", "certificates", "--all", "--format", "csv"],
        &[
            "inventory",
            "certificates",
            "--expiring",
            "30",
            "--issuer",
            "intermediate",
        ],
        &["inventory", "certificates", "--state", "critical"],
        &[
            "inventory",
            "endpoints",
            "--address",
            "127.0.22.0/30",
            "--format",
            "csv",
        ],
        &["inventory", "endpoints", "--stale"],
        &["inventory", "where", "soon.pg.test", "--ended"],
        &["inventory", "history", &format!("127.0.22.2:{port}")],
        &["inventory", "runs", "--format", "json"],
        &["inventory", "export", "--to", "zabbix-lld"],
        &["inventory", "export", "--to", "prometheus"],
        &[
            "inventory",
            "export",
            "--to",
            "director-hosts",
            "--format",
            "json",
        ],
        &["inventory", "export", "--to", "director-services"],
    ] {
        let run = pair.same(args);
        assert_eq!(run.code, 0, "{}: {}", args.join(" "), run.stderr);
    }
    let history = pair.same(&["inventory", "history", &format!("127.0.22.2:{port}")]);
    assert!(history.stdout.contains("renewed"), "{}", history.stdout);

    // The notifier tells the owner the same notices in the same order, and logs them so.
    let config_text = config.to_str().unwrap();
    for (db, kind) in [(&pair.sqlite, "sqlite"), (&pair.postgres, "postgres")] {
        let run = certprobe_env(
            db,
            &["notify", "--config", config_text],
            &[("CERTPROBE_DB_KIND", kind)],
        );
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    }
    let told = |kind: &str| std::fs::read_to_string(format!("{}.{kind}", log.display())).unwrap();
    assert_eq!(told("sqlite"), told("postgres"));
    let notices: Vec<String> = told("postgres")
        .lines()
        .map(|l| l.split(" (").next().unwrap().to_string())
        .collect();
    assert_eq!(
        notices,
        [
            "tier 1 Expired: old.pg.test expired 2 days ago",
            "tier 2 Warning: file.pg.test expires in 25 days"
        ]
    );
    pair.same(&["inventory", "notifications", "--format", "json"]);
    pair.same(&["notify", "--config", config_text, "--dry-run"]);

    // The reports, file by file.
    let lite_out = dir.path().join("report-sqlite");
    let pg_out = dir.path().join("report-postgres");
    for (db, out) in [(&pair.sqlite, &lite_out), (&pair.postgres, &pg_out)] {
        let run = certprobe(
            db,
            &[
                "report",
                "--out",
                out.to_str().unwrap(),
                "--config",
                config_text,
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let mut files: Vec<String> = std::fs::read_dir(&lite_out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    assert_eq!(files.len(), 19, "{files:?}");
    for file in &files {
        let read = |folder: &Path, db: &str| {
            masked(&std::fs::read_to_string(folder.join(file)).unwrap(), db)
        };
        assert_eq!(
            read(&lite_out, &pair.sqlite.display().to_string()),
            read(&pg_out, &pair.shown_postgres),
            "the report {file} differs"
        );
    }

    // check_cert_inventory: each endpoint, the file and the audit's age.
    for host in ["127.0.22.1", "127.0.22.2", "127.0.22.3"] {
        pair.same_check(&["--ip", host, "-p", &port_text]);
    }
    let expired = pair.same_check(&["--ip", "127.0.22.3", "-p", &port_text, "--output", "json"]);
    assert_eq!(expired.code, 2, "{}", expired.stdout);
    pair.same_check(&["-H", "soon.pg.test"]);
    pair.same_check(&["--audit-age", "1d"]);

    // The dashboard: the same pages from both.
    let lite_served = Served::start(&pair.sqlite, &["--config", config_text]);
    let pg_served = Served::start(&pair.postgres, &["--config", config_text]);
    // Each answers 503 until its first judgement is done.
    for served in [&lite_served, &pg_served] {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while served.get("/", None).0 != "HTTP/1.1 200 OK" {
            assert!(
                std::time::Instant::now() < deadline,
                "the dashboard never answered"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    for page in [
        "/",
        &format!("/certificates/{good_sha}"),
        "/?q=soon.pg.test",
    ] {
        let (lite_status, lite_page) = lite_served.get(page, None);
        let (pg_status, pg_page) = pg_served.get(page, None);
        assert_eq!(lite_status, "HTTP/1.1 200 OK", "{page}");
        assert_eq!(pg_status, lite_status, "{page}");
        // The pages, not the headers (their Date is the clock's).
        let body = |page: &str| {
            page.split_once("\r\n\r\n")
                .map(|(_, b)| b.to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            masked(&body(&lite_page), &pair.sqlite.display().to_string()),
            masked(&body(&pg_page), &pair.shown_postgres),
            "the dashboard's {page} differs"
        );
    }
    drop((lite_served, pg_served));

    // Migrated: the SQLite file copied into a new PostgreSQL database and back into a new
    // file says what the file says, and both continue where it left off.
    let copy_url = cluster.database();
    let copy_shown = copy_url.split('?').next().unwrap().to_string();
    let back = dir.path().join("back.sqlite");
    let lite_text = pair.sqlite.to_str().unwrap().to_string();
    let migrate = run_plugin(
        env!("CARGO_BIN_EXE_certprobe"),
        &[
            "inventory",
            "migrate",
            &format!("sqlite:{lite_text}"),
            &copy_url,
        ],
    );
    assert_eq!(migrate.code, 0, "{}", migrate.stderr);
    assert_eq!(
        migrate.stdout,
        format!("copied {lite_text} into {copy_shown}: 6 certificates, 4 endpoints, 5 deployments, 6 events, 3 runs and 2 notifications\n")
    );
    let again = run_plugin(
        env!("CARGO_BIN_EXE_certprobe"),
        &["inventory", "migrate", &lite_text, &copy_url],
    );
    assert_eq!(
        (again.code, again.stderr.as_str()),
        (1, format!("certprobe: the inventory {copy_shown} failed while copying into it: it is not empty: an inventory is copied into a new one only\n").as_str())
    );
    let home = run_plugin(
        env!("CARGO_BIN_EXE_certprobe"),
        &[
            "inventory",
            "migrate",
            &copy_url,
            back.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(home.code, 0, "{}", home.stderr);
    for migrated in [
        Pair {
            sqlite: pair.sqlite.clone(),
            postgres: PathBuf::from(&copy_url),
            shown_postgres: copy_shown.clone(),
        },
        Pair {
            sqlite: back.clone(),
            postgres: pair.postgres.clone(),
            shown_postgres: pair.shown_postgres.clone(),
        },
    ] {
        for args in [
            &["inventory", "certificates", "--all", "--format", "json"][..],
            &["inventory", "endpoints", "--format", "json"],
            &["inventory", "history", &format!("127.0.22.2:{port}")],
            &["inventory", "runs", "--format", "json"],
            &["inventory", "notifications", "--format", "json"],
        ] {
            migrated.same(args);
        }
        // The copy goes on: a scan of it is run 4, its events numbered after the copied.
        let next = migrated.same(&scan);
        assert!(next.stdout.ends_with("; run 4\n"), "{}", next.stdout);
    }

    // Cleanup counts the same (nothing is that old), and leaves the same.
    let cleaned = pair.same(&["inventory", "cleanup", "--older-than", "3650d", "--json"]);
    assert_eq!(cleaned.code, 0, "{}", cleaned.stderr);
    pair.same(&["inventory", "certificates", "--all", "--format", "json"]);
}

/// The database's name in a test cluster URL (`postgres://...:PORT/NAME?...`).
fn database_name(url: &str) -> String {
    let base = url.split('?').next().unwrap_or_default();
    base.rsplit('/').next().unwrap_or_default().to_string()
}

/// `count` servers on 127.0.N.1.. at one port, each a leaf of its own made once; each waits
/// `delay` before its handshake. The servers and the port.
fn servers(block: u8, count: u8, delay: std::time::Duration) -> (Vec<Running>, u16) {
    let leaf = pki()
        .intermediate
        .issue(&LeafSpec::new("shared.pg.test").valid_until(100.5));
    let config = certprobe_testkit::tls_config(
        vec![leaf.der.clone(), pki().intermediate.der()],
        leaf.key_pkcs8.clone(),
    );
    let serve = |addr: SocketAddr| {
        let config = config.clone();
        certprobe_testkit::serve_at(addr, move |stream| {
            std::thread::sleep(delay);
            certprobe_testkit::finish_tls(stream, &config)
        })
        .unwrap()
    };
    let first = serve(format!("127.0.{block}.1:0").parse().unwrap());
    let port = first.addr.port();
    let mut all = vec![first];
    for host in 2..=count {
        all.push(serve(
            format!("127.0.{block}.{host}:{port}").parse().unwrap(),
        ));
    }
    (all, port)
}

/// `certprobe scan --share` of `targets` on `port` into `db`, started (not waited for).
fn shared_scan(db: &str, targets: &str, port: u16, unit: &str, lease: &str) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_certprobe"))
        .args([
            "--db",
            db,
            "scan",
            "--targets",
            targets,
            "--ports",
            &port.to_string(),
        ])
        .args([
            "--job", "shared", "--share", "--unit", unit, "--lease", lease,
        ])
        .args([
            "--ca-file",
            &root_file(),
            "--no-revocation",
            "--concurrency",
            "4",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn finished(child: std::process::Child) -> (i32, String) {
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn scanners_sharing_a_job_store_every_endpoint_once_per_run() {
    let Some(cluster) = certprobe_testkit::postgres::cluster() else {
        return;
    };
    let url = cluster.database();
    let name = database_name(&url);
    let (_servers, port) = servers(23, 62, std::time::Duration::from_millis(20));
    // Two scanners, then four, on the /26 cut into eight /29 units.
    for (run, scanners) in [(1, 2), (2, 4)] {
        let children: Vec<_> = (0..scanners)
            .map(|_| shared_scan(&url, "127.0.23.0/26", port, "29", "30s"))
            .collect();
        let mut units_done = 0;
        for child in children {
            let (code, text) = finished(child);
            assert_eq!(code, 0, "{text}");
            assert!(
                text.starts_with(&format!(
                    "job 'shared' done: 62 endpoints: 62 served a certificate, 0 answered without one, 0 did not answer; run {run}, shared: this scanner did "
                )),
                "{text}"
            );
            let mine: u64 = text
                .split("this scanner did ")
                .nth(1)
                .and_then(|t| t.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap();
            units_done += mine;
        }
        // Between them, every unit exactly once.
        assert_eq!(units_done, 8);
        assert_eq!(
            cluster.sql_in(
                &name,
                &format!(
                    "SELECT status, planned, checked, served, units FROM scan_run WHERE id = {run}"
                )
            ),
            "done|62|62|62|8"
        );
        assert_eq!(
            cluster.sql_in(
                &name,
                &format!("SELECT count(*), sum(attempts), count(done_at) FROM work_unit WHERE run_id = {run}")
            ),
            "8|8|8"
        );
        // Each endpoint once, seen by this run; one deployment each, one event each (new).
        assert_eq!(
            cluster.sql_in(
                &name,
                "SELECT count(*), count(DISTINCT address), min(last_run_id), max(last_run_id) FROM endpoint"
            ),
            format!("62|62|{run}|{run}")
        );
        assert_eq!(
            cluster.sql_in(&name, "SELECT count(*), sum(scans) FROM deployment"),
            format!("62|{}", 62 * run)
        );
        assert_eq!(
            cluster.sql_in(&name, "SELECT kind, count(*) FROM event GROUP BY kind"),
            "new|62"
        );
    }
    // A scan of the job on its own is refused while a shared run is under way.
    let dangling = shared_scan(&url, "127.0.23.0/26", port, "29", "30s");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while cluster.sql_in(&name, "SELECT count(*) FROM scan_run WHERE id = 3") != "1" {
        assert!(
            std::time::Instant::now() < deadline,
            "the third run never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let alone = certprobe(
        Path::new(&url),
        &[
            "scan",
            "--targets",
            "127.0.23.0/26",
            "--ports",
            &port.to_string(),
            "--job",
            "shared",
        ],
    );
    let (code, _) = finished(dangling);
    assert_eq!(code, 0);
    if cluster.sql_in(&name, "SELECT status FROM scan_run WHERE id = 3") == "done"
        && alone.code == 0
    {
        // The shared run ended before the lone scan looked: it ran on its own, as run 4.
        assert!(alone.stdout.contains("; run 4"), "{}", alone.stdout);
    } else {
        assert_eq!(
            (alone.code, alone.stderr.as_str()),
            (1, "certprobe: job 'shared' is being scanned by several scanners (run 3): join them with --share, or end that run with --restart\n")
        );
    }
}

#[test]
fn a_scanner_killed_mid_unit_leaves_it_to_the_others_after_its_lease() {
    let Some(cluster) = certprobe_testkit::postgres::cluster() else {
        return;
    };
    let url = cluster.database();
    let name = database_name(&url);
    // Slow servers: a /29 unit of 6 endpoints at four at a time takes a second or more.
    let (_servers, port) = servers(24, 30, std::time::Duration::from_millis(700));
    let mut victim = shared_scan(&url, "127.0.24.0/27", port, "29", "3s");
    // Killed once it holds a unit and has stored none.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let held = "SELECT count(*) FROM work_unit WHERE owner IS NOT NULL AND done_at IS NULL";
    while cluster.try_sql_in(&name, held).as_deref() != Ok("1") {
        assert!(
            std::time::Instant::now() < deadline,
            "the first scanner never claimed a unit"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    victim.kill().unwrap(); // SIGKILL: its lease is all that is left of it
    victim.wait().unwrap();
    let killed_unit = cluster.sql_in(
        &name,
        "SELECT id FROM work_unit WHERE owner IS NOT NULL AND done_at IS NULL",
    );
    let started = std::time::Instant::now();
    let survivors: Vec<_> = (0..2)
        .map(|_| shared_scan(&url, "127.0.24.0/27", port, "29", "3s"))
        .collect();
    for child in survivors {
        let (code, text) = finished(child);
        assert_eq!(code, 0, "{text}");
        assert!(
            text.starts_with("job 'shared' done: 30 endpoints: 30 served a certificate, 0 answered without one, 0 did not answer; run 1, shared: this scanner did "),
            "{text}"
        );
    }
    // The killed scanner's unit waited for its lease, then was scanned again by another.
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert_eq!(
        cluster.sql_in(
            &name,
            &format!("SELECT attempts, done_by NOT LIKE '% pid {} %' FROM work_unit WHERE id = {killed_unit}", victim.id())
        ),
        "2|t"
    );
    assert_eq!(
        cluster.sql_in(
            &name,
            "SELECT status, planned, checked, served FROM scan_run"
        ),
        "done|30|30|30"
    );
    assert_eq!(
        cluster.sql_in(
            &name,
            "SELECT count(*), count(DISTINCT address) FROM endpoint"
        ),
        "30|30"
    );
    // Four /29 units, claimed five times in all: the killed one twice.
    assert_eq!(
        cluster.sql_in(
            &name,
            "SELECT count(*), sum(attempts), count(done_at) FROM work_unit"
        ),
        "4|5|4"
    );
    assert_eq!(cluster.sql_in(&name, "SELECT count(*) FROM event"), "30");
}

#[test]
fn two_jobs_seeing_one_endpoint_at_once_make_each_event_once() {
    let Some(cluster) = certprobe_testkit::postgres::cluster() else {
        return;
    };
    let url = cluster.database();
    let name = database_name(&url);
    // Two jobs of one zone over the same ten endpoints, scanning at the same moment: the
    // endpoint's row is the one both write, and its events are decided one after the other.
    let scan_both = |port: u16| {
        let children: Vec<_> = ["left", "right"]
            .iter()
            .map(|job| {
                std::process::Command::new(env!("CARGO_BIN_EXE_certprobe"))
                    .args([
                        "--db",
                        &url,
                        "scan",
                        "--targets",
                        "127.0.26.0/28",
                        "--ports",
                        &port.to_string(),
                    ])
                    .args(["--job", job, "--ca-file", &root_file(), "--no-revocation"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let (code, text) = finished(child);
            assert_eq!(code, 0, "{text}");
            assert!(
                text.contains(
                    ": 10 served a certificate, 0 answered without one, 4 did not answer;"
                ),
                "{text}"
            );
        }
    };
    let (servers_before, port) = servers(26, 10, std::time::Duration::from_millis(50));
    scan_both(port);
    assert_eq!(
        cluster.sql_in(&name, "SELECT count(*), sum(scans) FROM deployment"),
        "10|20"
    );
    assert_eq!(
        cluster.sql_in(&name, "SELECT kind, count(*) FROM event GROUP BY kind"),
        "new|10"
    );
    // Renewed everywhere, seen by both jobs at once again: one renewal per endpoint.
    drop(servers_before);
    let (_renewed, port_again) = servers_at_port(26, 10, port);
    assert_eq!(port_again, port);
    scan_both(port);
    assert_eq!(
        cluster.sql_in(
            &name,
            "SELECT kind, count(*) FROM event GROUP BY kind ORDER BY kind"
        ),
        "new|10\nrenewed|10"
    );
    assert_eq!(
        cluster.sql_in(
            &name,
            "SELECT count(*) FROM deployment WHERE ended_at IS NULL"
        ),
        "10"
    );
    assert_eq!(
        cluster.sql_in(&name, "SELECT sum(endpoints) FROM certificate_use"),
        "10"
    );
}

/// [`servers`] on a given port (another leaf of the same name: a renewal).
fn servers_at_port(block: u8, count: u8, port: u16) -> (Vec<Running>, u16) {
    let leaf = pki()
        .intermediate
        .issue(&LeafSpec::new("shared.pg.test").valid_until(200.5));
    let all: Vec<Running> = (1..=count)
        .map(|host| {
            serve_tls_at(
                format!("127.0.{block}.{host}:{port}").parse().unwrap(),
                vec![leaf.der.clone(), pki().intermediate.der()],
                leaf.key_pkcs8.clone(),
            )
            .unwrap()
        })
        .collect();
    (all, port)
}

/// Through PgBouncer (session pooling, what a site puts before PostgreSQL for many short
/// checks): scans write, and the queries and check_cert_inventory say what they say on a
/// direct connection, again and again on the server sessions the pooler hands on.
#[test]
fn the_inventory_through_pgbouncer_says_what_it_says_directly() {
    let Some(pooler) = certprobe_testkit::postgres::pooler() else {
        return;
    };
    let cluster = certprobe_testkit::postgres::cluster().unwrap();
    let direct = cluster.database();
    let pooled = pooler.url(&direct);
    let (_servers, port) = servers(24, 3, std::time::Duration::ZERO);
    let port_text = port.to_string();
    let root = root_file();
    for run in 1..=2 {
        let scan = certprobe(
            Path::new(&pooled),
            &[
                "scan",
                "--targets",
                "127.0.24.1/32,127.0.24.2/32,127.0.24.3/32",
                "--ports",
                &port_text,
                "--job",
                "pooled",
                "--ca-file",
                &root,
                "--no-revocation",
            ],
        );
        assert_eq!(scan.code, 0, "scan {run}: {}{}", scan.stdout, scan.stderr);
    }
    let name = database_name(&direct);
    assert_eq!(
        cluster.sql_in(
            &name,
            "SELECT count(*), sum(CASE WHEN e.last_run_id = 2 THEN 1 ELSE 0 END) FROM endpoint e"
        ),
        "3|3"
    );
    assert_eq!(
        cluster.sql_in(&name, "SELECT id, status FROM scan_run ORDER BY id"),
        "1|done\n2|done"
    );
    for args in [
        &["inventory", "endpoints", "--format", "csv"][..],
        &["inventory", "where", "shared.pg.test"],
        &["inventory", "runs"],
    ] {
        let through = certprobe(Path::new(&pooled), args);
        let straight = certprobe(Path::new(&direct), args);
        assert_eq!(through.code, 0, "{args:?}: {}", through.stderr);
        assert_eq!(
            masked(&through.stdout, &pooled),
            masked(&straight.stdout, &direct),
            "{args:?}"
        );
    }
    let check = |db: &str| {
        let run = run_plugin(
            env!("CARGO_BIN_EXE_check_cert_inventory"),
            &["--db", db, "--ip", "127.0.24.2", "-p", &port_text],
        );
        (run.code, masked(&run.stdout, db))
    };
    let straight = check(&direct);
    assert_eq!(straight.0, 0, "{}", straight.1);
    assert!(
        straight.1.starts_with("CERT_INVENTORY OK - 127.0.24.2:"),
        "{}",
        straight.1
    );
    // The same pooled server session serves one check after another (its statements
    // discarded between them).
    for _ in 0..3 {
        assert_eq!(check(&pooled), straight);
    }
}
