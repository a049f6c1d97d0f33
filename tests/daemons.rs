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
        "postfix" => &["/usr/sbin/postfix"],
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
