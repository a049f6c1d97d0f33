//! The plugins against the real daemons users run, from Debian's packages: Postfix, Dovecot
//! (IMAP, POP3, LMTP, ManageSieve), OpenLDAP slapd, vsftpd, Prosody, PostgreSQL and MariaDB,
//! each started on 127.0.0.1 by `tests/daemons/NAME.sh` with certificates made here.
//!
//! A missing daemon fails the test under `CI=true` (`.ci/run` installs them with
//! `tests/daemons/install.sh`); elsewhere the test says SKIPPED on stderr and returns.

mod common;

use certprobe_testkit::{pem, write_temp, Leaf, LeafSpec};
use common::*;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/daemons");

/// A running daemon instance, stopped when dropped.
struct Daemon {
    script: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(&self.script)
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}

/// The programs each daemon script needs; absent ones mean the daemon is not installed.
fn programs(daemon: &str) -> &'static [&'static str] {
    match daemon {
        "postfix" | "postfix-mailbox" => &["/usr/sbin/postfix"],
        "dovecot" => &[
            "/usr/sbin/dovecot",
            "/usr/lib/dovecot/imap",
            "/usr/lib/dovecot/pop3",
            "/usr/lib/dovecot/lmtp",
            "/usr/lib/dovecot/managesieve",
        ],
        "slapd" => &["/usr/sbin/slapd", "/usr/sbin/slapadd"],
        "vsftpd" => &["/usr/sbin/vsftpd"],
        "prosody" => &["/usr/bin/prosody"],
        "postgresql" => &["/usr/lib/postgresql/15/bin/initdb"],
        "mariadb" => &["/usr/sbin/mariadbd"],
        _ => &[],
    }
}

/// Starts `daemon` with `leaf` (or no TLS for `None`) on `ports` consecutive free ports.
/// `None` when the daemon is not installed and this is not CI.
fn start(daemon: &str, leaf: Option<&Leaf>, domain: &str, ports: u16) -> Option<Daemon> {
    if let Some(missing) = programs(daemon).iter().find(|p| !Path::new(p).exists()) {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "{daemon} is not installed ({missing} is missing): run tests/daemons/install.sh"
            );
        }
        eprintln!("SKIPPED: {daemon} is not installed ({missing} is missing); run tests/daemons/install.sh");
        return None;
    }
    let dir = write_temp(&format!("{daemon}.d"), b"");
    std::fs::remove_file(&dir).expect("placeholder");
    let (chain, key) = match leaf {
        Some(leaf) => (
            write_temp(
                "chain.pem",
                format!("{}{}", pem(&leaf.der), pki().intermediate.pem()).as_bytes(),
            ),
            write_temp("key.pem", leaf.key_pem().as_bytes()),
        ),
        None => (PathBuf::from("none"), PathBuf::from("none")),
    };
    let script = PathBuf::from(SCRIPTS).join(format!("{daemon}.sh"));
    for _ in 0..5 {
        let port = free_ports(ports);
        let out = Command::new("bash")
            .arg(&script)
            .arg("start")
            .arg(&dir)
            .arg(&chain)
            .arg(&key)
            .arg(port.to_string())
            .arg(domain)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run daemon script");
        if out.status.success() {
            return Some(Daemon { script, dir, port });
        }
        let _ = Command::new("bash")
            .arg(&script)
            .arg("stop")
            .arg(&dir)
            .status();
        eprintln!(
            "{daemon} did not start on port {port}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    panic!("{daemon} did not start");
}

/// A base port with `count` consecutive free ports on 127.0.0.1.
fn free_ports(count: u16) -> u16 {
    loop {
        let base = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        if base > 65_000 {
            continue;
        }
        if (0..count).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
}

/// The exact status line and PRTG channels of a good certificate through a real daemon.
fn assert_good(
    run_plugin: fn(&[&str]) -> Run,
    short: &str,
    name: &str,
    port: u16,
    leaf: &Leaf,
    extra: &[&str],
) {
    let port_text = port.to_string();
    let root = root_file();
    let mut args = vec![
        "-H",
        name,
        "--address",
        "127.0.0.1",
        "-p",
        &port_text,
        "--ca-file",
        &root,
    ];
    args.extend_from_slice(extra);
    let run = run_plugin(&args);
    assert_eq!(
        run.first_line(),
        format!(
            "{short} OK - {name}:{port} '{name}' issued by '{INTERMEDIATE_CN}' expires in 90.25 days on {}, ECDSA P-256 | {}",
            date(leaf.not_after),
            perfdata("90.25", 256)
        ),
        "{args:?}\n{}",
        run.stdout
    );
    assert_eq!(run.code, 0);
    args.extend_from_slice(&["--output", "prtg-json"]);
    let prtg = run_plugin(&args).json();
    assert_eq!(channel_values(&prtg), good_channels(0));
}

/// An expired certificate through a real daemon: CRITICAL, with both findings.
fn assert_expired(run_plugin: fn(&[&str]) -> Run, short: &str, name: &str, port: u16, leaf: &Leaf) {
    let port_text = port.to_string();
    let root = root_file();
    let run = run_plugin(&[
        "-H",
        name,
        "--address",
        "127.0.0.1",
        "-p",
        &port_text,
        "--ca-file",
        &root,
    ]);
    let d = date(leaf.not_after);
    assert_eq!(
        run.first_line(),
        format!(
            "{short} CRITICAL - {name}:{port} certificate expired 3.25 days ago on {d}; \
             chain is not trusted: expired element: chain element 1 ('{name}') expired on {d} | {}",
            perfdata("-3.25", 256)
        ),
        "{}",
        run.stdout
    );
    assert_eq!(run.code, 2);
}

fn good(name: &str) -> Leaf {
    pki().intermediate.issue(&LeafSpec::new(name))
}

fn expired(name: &str) -> Leaf {
    pki()
        .intermediate
        .issue(&LeafSpec::new(name).valid_from(-60.0).valid_until(-3.25))
}

fn tls_with(starttls: &'static str) -> impl Fn(&[&str]) -> Run {
    move |args| check_tls_cert(&[args, &["--starttls", starttls]].concat())
}

#[test]
fn postfix_smtp_starttls_and_implicit_tls() {
    let leaf = good("mail.example");
    let Some(postfix) = start("postfix", Some(&leaf), "mail.example", 2) else {
        return;
    };
    assert_good(
        check_smtp_cert,
        "SMTP_CERT",
        "mail.example",
        postfix.port,
        &leaf,
        &[],
    );
    assert_good(
        check_smtp_cert,
        "SMTP_CERT",
        "mail.example",
        postfix.port + 1,
        &leaf,
        &["--implicit-tls"],
    );
    // Version probing runs the SMTP dialogue on each of its connections too.
    let port = postfix.port.to_string();
    let root = root_file();
    let run = check_smtp_cert(&[
        "-H",
        "mail.example",
        "--address",
        "127.0.0.1",
        "-p",
        &port,
        "--ca-file",
        &root,
        "--protocols",
    ]);
    let accepts = run
        .lines()
        .into_iter()
        .find(|l| l.starts_with("[OK] accepts "))
        .unwrap_or_default()
        .to_string();
    assert!(
        accepts.contains("TLSv1.2 (") && accepts.contains("TLSv1.3 ("),
        "{}",
        run.stdout
    );
}

#[test]
fn postfix_expired_certificate() {
    let leaf = expired("old-mail.example");
    let Some(postfix) = start("postfix", Some(&leaf), "old-mail.example", 2) else {
        return;
    };
    assert_expired(
        check_smtp_cert,
        "SMTP_CERT",
        "old-mail.example",
        postfix.port,
        &leaf,
    );
}

#[test]
fn dovecot_imap_pop3_lmtp_and_managesieve() {
    let leaf = good("mail.example");
    let Some(dovecot) = start("dovecot", Some(&leaf), "mail.example", 4) else {
        return;
    };
    let p = dovecot.port;
    assert_good(
        |a| tls_with("imap")(a),
        "TLS_CERT",
        "mail.example",
        p,
        &leaf,
        &[],
    );
    assert_good(
        |a| tls_with("pop3")(a),
        "TLS_CERT",
        "mail.example",
        p + 1,
        &leaf,
        &[],
    );
    assert_good(
        check_lmtp_cert,
        "LMTP_CERT",
        "mail.example",
        p + 2,
        &leaf,
        &[],
    );
    assert_good(
        |a| tls_with("sieve")(a),
        "TLS_CERT",
        "mail.example",
        p + 3,
        &leaf,
        &[],
    );
}

#[test]
fn slapd_starttls_and_ldaps() {
    let leaf = good("ldap.example");
    let Some(slapd) = start("slapd", Some(&leaf), "ldap.example", 2) else {
        return;
    };
    assert_good(
        check_ldap_cert,
        "LDAP_CERT",
        "ldap.example",
        slapd.port,
        &leaf,
        &[],
    );
    assert_good(
        check_ldap_cert,
        "LDAP_CERT",
        "ldap.example",
        slapd.port + 1,
        &leaf,
        &["--ldaps"],
    );
}

#[test]
fn slapd_expired_certificate() {
    let leaf = expired("old-ldap.example");
    let Some(slapd) = start("slapd", Some(&leaf), "old-ldap.example", 2) else {
        return;
    };
    assert_expired(
        check_ldap_cert,
        "LDAP_CERT",
        "old-ldap.example",
        slapd.port,
        &leaf,
    );
}

#[test]
fn slapd_without_tls_refuses_starttls() {
    let Some(slapd) = start("slapd", None, "plain-ldap.example", 1) else {
        return;
    };
    let port = slapd.port.to_string();
    let run = check_ldap_cert(&["-H", "127.0.0.1", "-p", &port]);
    assert_eq!(
        run.stdout,
        format!(
            "LDAP_CERT CRITICAL - 127.0.0.1:{port} LDAP server refused StartTLS: {SLAPD_NO_TLS}\n"
        )
    );
    assert_eq!(run.code, 2);
}

/// What slapd answers to StartTLS when it has no TLS configured.
const SLAPD_NO_TLS: &str = "protocolError (2): \"unsupported extended operation\"";

#[test]
fn vsftpd_auth_tls() {
    let leaf = good("ftp.example");
    let Some(vsftpd) = start("vsftpd", Some(&leaf), "ftp.example", 1) else {
        return;
    };
    assert_good(
        |a| tls_with("ftp")(a),
        "TLS_CERT",
        "ftp.example",
        vsftpd.port,
        &leaf,
        &[],
    );
}

#[test]
fn prosody_xmpp_starttls() {
    let leaf = good("chat.example");
    let Some(prosody) = start("prosody", Some(&leaf), "chat.example", 1) else {
        return;
    };
    assert_good(
        |a| tls_with("xmpp")(a),
        "TLS_CERT",
        "chat.example",
        prosody.port,
        &leaf,
        &[],
    );
}

#[test]
fn postgresql_sslrequest() {
    let leaf = good("db.example");
    let Some(postgres) = start("postgresql", Some(&leaf), "db.example", 1) else {
        return;
    };
    assert_good(
        |a| tls_with("postgres")(a),
        "TLS_CERT",
        "db.example",
        postgres.port,
        &leaf,
        &[],
    );
}

#[test]
fn mariadb_ssl_request() {
    let leaf = good("mysql.example");
    let Some(mariadb) = start("mariadb", Some(&leaf), "mysql.example", 1) else {
        return;
    };
    assert_good(
        |a| tls_with("mysql")(a),
        "TLS_CERT",
        "mysql.example",
        mariadb.port,
        &leaf,
        &[],
    );
}

/// The rows of `inventory endpoints --format json`.
fn endpoint_rows(db: &Path) -> Vec<serde_json::Value> {
    let run = certprobe(db, &["inventory", "endpoints", "--format", "json"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{}", run.stdout);
    run.json()
        .as_array()
        .expect("an array of endpoints")
        .clone()
}

/// One fleet scan into a new inventory, and what it left there.
struct FleetScan {
    /// The inventory's folder, removed when dropped: bind it (as `_dir`, not `..`) for as
    /// long as `db` is used.
    _dir: tempfile::TempDir,
    db: PathBuf,
    /// The scan's own run, which exited 0 without a word on stderr.
    scan: Run,
    /// The rows of `inventory endpoints --format json` after it.
    rows: Vec<serde_json::Value>,
}

/// `certprobe scan --targets 127.0.0.1 --ports PORTS --ca-file ROOT --no-revocation` and
/// `extra` options into a new inventory; it must exit 0 with nothing on stderr.
fn fleet_scan(ports: &str, extra: &[&str]) -> FleetScan {
    let dir = tempfile::tempdir().expect("temporary folder");
    let db = dir.path().join("inventory.sqlite");
    let root = root_file();
    let mut args = vec![
        "scan",
        "--targets",
        "127.0.0.1",
        "--ports",
        ports,
        "--ca-file",
        &root,
        "--no-revocation",
    ];
    args.extend_from_slice(extra);
    let scan = certprobe(&db, &args);
    assert_eq!(
        (scan.code, scan.stderr.as_str()),
        (0, ""),
        "{}",
        scan.stdout
    );
    let rows = endpoint_rows(&db);
    FleetScan {
        _dir: dir,
        db,
        scan,
        rows,
    }
}

/// The text of a row's field `key` ("" where it is absent or not text).
fn text(row: &serde_json::Value, key: &str) -> String {
    row[key].as_str().unwrap_or_default().to_string()
}

/// A SHA-256 fingerprint as the inventory shows it: upper-case hex, colon-separated.
fn sha256_colon(der: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A time as the inventory's tables show it: UTC to the minute.
fn minute(unix: i64) -> String {
    date(unix)[..16].to_string()
}

/// The fleet scanner over the real STARTTLS daemons (issue 9): one `certprobe scan` of
/// Postfix (SMTP STARTTLS and implicit TLS), slapd (LDAP StartTLS and LDAPS) and Dovecot
/// (IMAP, POP3, LMTP, ManageSieve), all serving one leaf; the inventory shows each endpoint
/// with its protocol, OK, and that leaf's fingerprint.
#[test]
fn fleet_scan_of_postfix_slapd_and_dovecot() {
    let leaf = good("mail.example");
    let Some(postfix) = start("postfix", Some(&leaf), "mail.example", 2) else {
        return;
    };
    let Some(slapd) = start("slapd", Some(&leaf), "mail.example", 2) else {
        return;
    };
    let Some(dovecot) = start("dovecot", Some(&leaf), "mail.example", 4) else {
        return;
    };
    // (port, protocol). The implicit-TLS ports go bare: a port that is not a well-known
    // STARTTLS one is plain TLS.
    let mut endpoints = [
        (postfix.port, "smtp"),
        (postfix.port + 1, "tls"),
        (slapd.port, "ldap"),
        (slapd.port + 1, "tls"),
        (dovecot.port, "imap"),
        (dovecot.port + 1, "pop3"),
        (dovecot.port + 2, "lmtp"),
        (dovecot.port + 3, "sieve"),
    ];
    let ports = endpoints
        .iter()
        .map(|&(port, protocol)| match protocol {
            "tls" => port.to_string(),
            _ => format!("{port}/{protocol}"),
        })
        .collect::<Vec<_>>()
        .join(",");
    let FleetScan {
        _dir,
        db,
        scan,
        rows,
    } = fleet_scan(&ports, &["--sni", "127.0.0.1=mail.example"]);
    assert_eq!(scan.lines().len(), 1, "{}", scan.stdout);
    assert!(
        scan.stdout.starts_with("job 'adhoc' done: 8 endpoints in ")
            && scan.stdout.ends_with(
                ": 8 served a certificate, 0 answered without one, 0 did not answer; run 1\n"
            ),
        "{}",
        scan.stdout
    );

    // The inventory's order: address, port, SNI, protocol.
    endpoints.sort();
    let label = |port: u16, protocol: &str| match protocol {
        "tls" => format!("127.0.0.1:{port} (mail.example)"),
        _ => format!("127.0.0.1:{port}/{protocol} (mail.example)"),
    };
    let sha256 = sha256_colon(&leaf.der);
    let summary = format!(
        "'mail.example' issued by '{INTERMEDIATE_CN}' expires in 90.25 days on {}, ECDSA P-256",
        date(leaf.not_after)
    );
    let shown: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                text(r, "endpoint"),
                text(r, "address"),
                r["port"].as_u64().unwrap_or_default(),
                text(r, "protocol"),
                text(r, "sni"),
                text(r, "state"),
                text(r, "sha256"),
                text(r, "summary"),
            )
        })
        .collect();
    let expected: Vec<_> = endpoints
        .iter()
        .map(|&(port, protocol)| {
            (
                label(port, protocol),
                "127.0.0.1".to_string(),
                u64::from(port),
                protocol.to_string(),
                "mail.example".to_string(),
                "OK".to_string(),
                sha256.clone(),
                summary.clone(),
            )
        })
        .collect();
    assert_eq!(shown, expected);
    // The name was checked against the certificate, through each dialogue.
    for row in &rows {
        let findings = row["findings"].as_array().expect("findings");
        let name = findings
            .iter()
            .find(|f| f["check"] == "name")
            .unwrap_or_else(|| panic!("no name finding in {row}"));
        assert_eq!(
            (&name["state"], &name["message"]),
            (
                &serde_json::json!("OK"),
                &serde_json::json!("name 'mail.example' matches DNS:mail.example")
            ),
            "{row}"
        );
        assert!(findings.iter().all(|f| f["state"] == "OK"), "{row}");
    }
    let last_scan = |row: &serde_json::Value| minute(row["last_scan"].as_i64().expect("last_scan"));

    // The whole CSV, as a spreadsheet gets it.
    let csv = certprobe(&db, &["inventory", "endpoints", "--format", "csv"]);
    assert_eq!((csv.code, csv.stderr.as_str()), (0, ""));
    let mut expected_csv = String::from("ENDPOINT,JOB,STATE,LAST SCAN,DAYS LEFT,SUMMARY\r\n");
    for (&(port, protocol), row) in endpoints.iter().zip(&rows) {
        expected_csv.push_str(&format!(
            "{},adhoc,OK,{},90.2,\"{summary}\"\r\n",
            label(port, protocol),
            last_scan(row)
        ));
    }
    assert_eq!(csv.stdout, expected_csv);

    // One certificate, deployed on all eight, found by its whole fingerprint.
    let certificates = certprobe(&db, &["inventory", "certificates", "--format", "csv"]);
    assert_eq!(
        certificates.stdout,
        format!(
            "DAYS LEFT,EXPIRES,SUBJECT,ISSUER,KEY,ENDPOINTS,STATE,SHA-256\r\n\
             90.2,{},mail.example,{INTERMEDIATE_CN},ECDSA 256,8,OK,{}\r\n",
            minute(leaf.not_after),
            sha256
        )
    );
    let wherever = certprobe(&db, &["inventory", "where", &sha256, "--format", "csv"]);
    assert_eq!((wherever.code, wherever.stderr.as_str()), (0, ""));
    let mut expected_where = String::from(
        "ENDPOINT,STATE,POSITION,CERTIFICATE,SHA-256,FIRST SEEN,LAST SEEN,SCANS,ENDED\r\n",
    );
    for (&(port, protocol), row) in endpoints.iter().zip(&rows) {
        let seen = last_scan(row);
        expected_where.push_str(&format!(
            "{},OK,leaf,mail.example,{},{seen},{seen},1,\r\n",
            label(port, protocol),
            sha256
        ));
    }
    assert_eq!(wherever.stdout, expected_where);
}

/// The fleet scanner's records of STARTTLS endpoints that give no good certificate: an
/// expired leaf behind Postfix's STARTTLS, slapd without TLS, and Postfix's ports asked
/// for the wrong dialogue. One scan, without SNI names.
#[test]
fn fleet_scan_of_starttls_failures() {
    let leaf = expired("old-mail.example");
    let Some(postfix) = start("postfix", Some(&leaf), "old-mail.example", 2) else {
        return;
    };
    let Some(slapd) = start("slapd", None, "plain-ldap.example", 1) else {
        return;
    };
    let (smtp, wrapper, ldap) = (postfix.port, postfix.port + 1, slapd.port);
    let ports = format!("{smtp}/smtp,{smtp}/ldap,{smtp},{wrapper}/smtp,{ldap}/ldap");
    // Bad certificates are the inventory's news, not a failed scan: it exits 0.
    let FleetScan {
        _dir,
        db,
        scan,
        rows,
    } = fleet_scan(&ports, &["--timeout", "2s"]);
    assert!(
        scan.stdout.starts_with("job 'adhoc' done: 5 endpoints in ")
            && scan.stdout.ends_with(
                ": 1 served a certificate, 4 answered without one, 0 did not answer; run 1\n"
            ),
        "{}",
        scan.stdout
    );

    let shown: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r["port"].as_u64().unwrap_or_default(),
                text(r, "protocol"),
                text(r, "state"),
                text(r, "sha256"),
            )
        })
        .collect();
    let entry = |port: u16, protocol: &str, state: &str, sha256: &str| {
        (
            u64::from(port),
            protocol.to_string(),
            state.to_string(),
            sha256.to_string(),
        )
    };
    let sha256 = sha256_colon(&leaf.der);
    let mut expected = vec![
        entry(smtp, "ldap", "CRITICAL", ""),
        entry(smtp, "smtp", "CRITICAL", &sha256),
        entry(smtp, "tls", "CRITICAL", ""),
        entry(wrapper, "smtp", "UNKNOWN", ""),
        entry(ldap, "ldap", "CRITICAL", ""),
    ];
    expected.sort();
    assert_eq!(shown, expected);

    let csv = certprobe(&db, &["inventory", "endpoints", "--format", "csv"]);
    let d = date(leaf.not_after);
    let greeting = "220 old-mail.example ESMTP certprobe test instance";
    // (port, protocol, endpoint as shown, state, days left, summary as CSV quotes it)
    let mut lines = [
        (
            smtp,
            "ldap",
            format!("{smtp}/ldap"),
            "CRITICAL",
            "",
            format!("the server does not speak LDAP: it sent '{greeting}'"),
        ),
        (
            smtp,
            "smtp",
            format!("{smtp}/smtp"),
            "CRITICAL",
            "-3.3",
            format!(
                "certificate expired 3.25 days ago on {d}; chain is not trusted: expired element: \
                 chain element 1 ('old-mail.example') expired on {d}"
            ),
        ),
        (
            smtp,
            "tls",
            format!("{smtp}"),
            "CRITICAL",
            "",
            format!("not a TLS server: it answered '{greeting}'"),
        ),
        (
            wrapper,
            "smtp",
            format!("{wrapper}/smtp"),
            "UNKNOWN",
            "",
            "timeout after 2 s waiting for the SMTP greeting".to_string(),
        ),
        (
            ldap,
            "ldap",
            format!("{ldap}/ldap"),
            "CRITICAL",
            "",
            format!(
                "\"LDAP server refused StartTLS: {}\"",
                SLAPD_NO_TLS.replace('"', "\"\"")
            ),
        ),
    ];
    lines.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut expected_csv = String::from("ENDPOINT,JOB,STATE,LAST SCAN,DAYS LEFT,SUMMARY\r\n");
    for ((_, _, endpoint, state, days, summary), row) in lines.iter().zip(&rows) {
        let seen = minute(row["last_scan"].as_i64().expect("last_scan"));
        expected_csv.push_str(&format!(
            "127.0.0.1:{endpoint},adhoc,{state},{seen},{days},{summary}\r\n"
        ));
    }
    assert_eq!((csv.code, csv.stdout), (0, expected_csv));

    // The expired leaf is the one certificate, CRITICAL where it is deployed.
    let certificates = certprobe(&db, &["inventory", "certificates", "--format", "csv"]);
    assert_eq!(
        certificates.stdout,
        format!(
            "DAYS LEFT,EXPIRES,SUBJECT,ISSUER,KEY,ENDPOINTS,STATE,SHA-256\r\n\
             -3.3,{},old-mail.example,{INTERMEDIATE_CN},ECDSA 256,1,CRITICAL,{}\r\n",
            minute(leaf.not_after),
            sha256
        )
    );
}

/// Endpoints of one address wait for each other (`--per-host`), and the wait is not their
/// time: behind two ports that never greet (Postfix's and slapd's implicit-TLS ports asked
/// for SMTP), the STARTTLS endpoints still get their whole `--timeout`.
#[test]
fn fleet_scan_queued_behind_silent_ports() {
    let leaf = good("mail.example");
    let Some(postfix) = start("postfix", Some(&leaf), "mail.example", 2) else {
        return;
    };
    let Some(slapd) = start("slapd", Some(&leaf), "mail.example", 2) else {
        return;
    };
    let (smtp, ldap) = (postfix.port, slapd.port);
    // The silent ones first: the plan keeps the order of --ports.
    let ports = format!(
        "{}/smtp,{}/smtp,{smtp}/smtp,{ldap}/ldap",
        smtp + 1,
        ldap + 1
    );
    let FleetScan { scan, rows, .. } = fleet_scan(
        &ports,
        &[
            "--sni",
            "127.0.0.1=mail.example",
            "--per-host",
            "1",
            "--timeout",
            "2s",
        ],
    );
    assert!(
        scan.stdout.ends_with(
            ": 2 served a certificate, 2 answered without one, 0 did not answer; run 1\n"
        ),
        "{}",
        scan.stdout
    );
    let shown: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                text(r, "endpoint"),
                text(r, "state"),
                text(r, "summary")
            )
        })
        .collect();
    let ok = format!(
        "OK 'mail.example' issued by '{INTERMEDIATE_CN}' expires in 90.25 days on {}, ECDSA P-256",
        date(leaf.not_after)
    );
    let silent = "UNKNOWN timeout after 2 s waiting for the SMTP greeting";
    let mut expected = vec![
        (smtp, format!("127.0.0.1:{smtp}/smtp (mail.example) {ok}")),
        (
            smtp + 1,
            format!("127.0.0.1:{}/smtp (mail.example) {silent}", smtp + 1),
        ),
        (ldap, format!("127.0.0.1:{ldap}/ldap (mail.example) {ok}")),
        (
            ldap + 1,
            format!("127.0.0.1:{}/smtp (mail.example) {silent}", ldap + 1),
        ),
    ];
    expected.sort();
    assert_eq!(
        shown,
        expected
            .into_iter()
            .map(|(_, line)| line)
            .collect::<Vec<_>>()
    );
}

/// The messages a mailbox-mode Postfix delivered, as `Delivered-To -> Subject`, sorted;
/// waits until `count` are there (at most 30 s).
fn delivered(postfix: &Daemon, count: usize) -> Vec<String> {
    let folder = postfix.dir.join("mail/all/new");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let mut found: Vec<String> = std::fs::read_dir(&folder)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| {
                        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                        let header = |name: &str| {
                            text.lines()
                                .find_map(|l| l.strip_prefix(name))
                                .unwrap_or("")
                                .trim()
                                .to_string()
                        };
                        format!("{} -> {}", header("Delivered-To:"), header("Subject:"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        if found.len() >= count || std::time::Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn notify_delivers_each_digest_once_through_a_real_postfix_by_smtp_and_by_sendmail() {
    let leaf = pki()
        .intermediate
        .issue(&LeafSpec::new("mail.example.test").ips(&["127.0.0.1".parse().unwrap()]));
    let Some(postfix) = start("postfix-mailbox", Some(&leaf), "example.test", 2) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let certs = work.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    for (file, name, days) in [
        ("shop.pem", "www.shop.example.test", 5.5),
        ("api.pem", "api.example.test", 20.5),
    ] {
        let cert = pki()
            .intermediate
            .issue(&LeafSpec::new(name).valid_until(days));
        std::fs::write(certs.join(file), pem(&cert.der) + &pki().intermediate.pem()).unwrap();
    }
    let root = root_file();
    let db = work.path().join("inventory.sqlite");
    audit_trusting_root(&db, &[&certs]);
    let config = work.path().join("certprobe.toml");
    let owners = "[[owner]]\nname = \"web-team\"\nemail = [\"web@example.test\", \"oncall@example.test\"]\ncertificates = [\"*.shop.example.test\"]\n\n[default_owner]\nemail = [\"ops@example.test\"]\n";
    std::fs::write(
        &config,
        format!(
            "[notify]\nsmtp = \"smtp://127.0.0.1:{}\"\nfrom = \"certprobe@example.test\"\nsmtp_ca_file = \"{root}\"\n\n{owners}",
            postfix.port
        ),
    )
    .unwrap();
    // STARTTLS (required by smtp://) with the server's certificate checked.
    let run = certprobe(&db, &["notify", "--config", config.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        delivered(&postfix, 3),
        [
            "oncall@example.test -> certprobe: Critical for web-team: 1 critical",
            "ops@example.test -> certprobe: Warning for default: 1 warning",
            "web@example.test -> certprobe: Critical for web-team: 1 critical",
        ]
    );
    let again = certprobe(&db, &["notify", "--config", config.to_str().unwrap()]);
    assert_eq!(again.stdout, "0 notices for 0 owners; 0 messages due\n");
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(delivered(&postfix, 3).len(), 3);

    // Postfix's own sendmail, pointed at the private instance.
    let fresh = work.path().join("sendmail.sqlite");
    audit_trusting_root(&fresh, &[&certs]);
    std::fs::write(
        &config,
        format!("[notify]\nsmtp = \"sendmail\"\nfrom = \"certprobe@example.test\"\n\n{owners}"),
    )
    .unwrap();
    let mail_config = postfix.dir.join("etc");
    let run = certprobe_env(
        &fresh,
        &["notify", "--config", config.to_str().unwrap()],
        &[("MAIL_CONFIG", mail_config.to_str().unwrap())],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(delivered(&postfix, 6).len(), 6);
}
