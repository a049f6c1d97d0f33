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
            "certprobe {} differs between SQLite (left) and PostgreSQL (right)",
            args.join(" ")
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
            "check_cert_inventory {} differs",
            args.join(" ")
        );
        lite
    }
}

/// Text with the clock's readings (dates, times, Unix seconds, durations) and `db` masked.
fn masked(text: &str, db: &str) -> String {
    let text = text.replace(db, "<db>");
    let patterns = [
        (
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2}| UTC)?",
            "<time>",
        ),
        (r"\b1[789]\d{8}\b", "<unix>"),
        (r"\b\d+(\.\d+)? ?(ms|s)\b", "<took>"),
        (r"\b\d+(\.\d+)?/s\b", "<rate>"),
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
        assert_eq!(
            masked(&lite_page, &pair.sqlite.display().to_string()),
            masked(&pg_page, &pair.shown_postgres),
            "the dashboard's {page} differs"
        );
    }
    drop((lite_served, pg_served));

    // Cleanup counts the same (nothing is that old), and leaves the same.
    let cleaned = pair.same(&["inventory", "cleanup", "--older-than", "3650d", "--json"]);
    assert_eq!(cleaned.code, 0, "{}", cleaned.stderr);
    pair.same(&["inventory", "certificates", "--all", "--format", "json"]);
}
