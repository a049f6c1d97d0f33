//! `certprobe audit` as a user runs it: real files (PEM chains, a DER certificate, a CA
//! bundle, a PKCS#12 made by openssl, junk), a real SQLite inventory, and exactly what the
//! run prints and what the inventory then lists.

mod common;

use certprobe::clock::format_utc;
use certprobe_testkit::{pem, Ca, LeafSpec};
use common::certprobe_env;
use std::path::Path;
use std::process::Command;

/// The host name the audit records places under, as `certprobe` reads it.
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

/// The SHA-256 of a certificate in hex, as `inventory history` takes it.
fn sha256_hex(der: &[u8]) -> String {
    certprobe::encoding::hex_upper(ring::digest::digest(&ring::digest::SHA256, der).as_ref())
}

/// `check_cert_inventory --db DB ARGS...`.
fn check_cert_inventory(db: &Path, args: &[&str]) -> common::Run {
    let db = db.display().to_string();
    let mut all = vec!["--db", db.as_str()];
    all.extend_from_slice(args);
    common::run_plugin(env!("CARGO_BIN_EXE_check_cert_inventory"), &all)
}

/// The first line with its duration (`in 0.0 s`) taken out.
fn summary_line(stdout: &str) -> String {
    let first = stdout.lines().next().unwrap_or_default();
    let (before, after) = first.split_once(" in ").unwrap();
    let (_, rest) = after.split_once(" s, ").unwrap();
    format!("{before} in T s, {rest}")
}

/// The private-key and file findings of each place, as `(label, check, state, message)`.
fn file_findings(db: &Path) -> Vec<(String, String, String, String)> {
    let out = certprobe_env(db, &["inventory", "endpoints", "--format", "json"], &[]);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let mut found = Vec::new();
    for row in rows.as_array().unwrap() {
        for f in row["findings"].as_array().unwrap() {
            let check = f["check"].as_str().unwrap();
            if check == "private-key" || check == "file" {
                found.push((
                    row["endpoint"].as_str().unwrap().to_string(),
                    check.to_string(),
                    f["state"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    found
}

/// Each place as (label, state, summary), in the inventory's order.
fn places(db: &Path) -> Vec<(String, String, String, bool)> {
    let out = certprobe_env(db, &["inventory", "endpoints", "--format", "json"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["endpoint"].as_str().unwrap().to_string(),
                r["state"].as_str().unwrap().to_string(),
                r["summary"].as_str().unwrap().to_string(),
                r["stale"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn an_audit_of_folders_and_keystores_records_each_place_with_its_verdict() {
    let pki = common::pki();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let data = tempfile::tempdir().unwrap();
    for folder in ["web", "ca", "junk", "keys"] {
        std::fs::create_dir(root.join(folder)).unwrap();
    }
    let shop = pki
        .intermediate
        .issue(&LeafSpec::new("shop.example").valid_until(60.0));
    let fullchain = format!("{}{}", pem(&shop.der), pki.intermediate.pem());
    std::fs::write(root.join("web/fullchain.pem"), fullchain).unwrap();
    let soon = pki
        .intermediate
        .issue(&LeafSpec::new("soon.example").valid_until(5.0));
    std::fs::write(root.join("web/soon.der"), &soon.der).unwrap();
    let other = Ca::root("Other Test Root");
    let bundle = format!("{}{}", pki.root.pem(), other.pem());
    std::fs::write(root.join("ca/bundle.pem"), bundle).unwrap();
    std::fs::write(root.join("junk/readme.txt"), "not a certificate\n").unwrap();
    std::fs::write(
        root.join("junk/broken.pem"),
        "-----BEGIN CERTIFICATE-----\nMIIBkz\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    // A PKCS#12 store as openssl makes one: the leaf, its key and its issuer.
    let vault = pki
        .intermediate
        .issue(&LeafSpec::new("vault.example").valid_until(20.0));
    common::pkcs12(&root.join("keys/vault.p12"), &vault, "s3cret");
    // The full chain's key next to it; the DER one's `.key` holds another key.
    std::fs::write(root.join("web/fullchain.key"), shop.key_pem()).unwrap();
    std::fs::write(root.join("web/soon.key"), vault.key_pem()).unwrap();

    // The inventory outside the audited tree: its own files are no certificates to list.
    let db = data.path().join("inventory.sqlite");
    let top = root.display().to_string();
    let ca = common::root_file();
    let audit = |env: &[(&str, &str)]| {
        certprobe_env(
            &db,
            &[
                "audit",
                &top,
                "--ca-file",
                &ca,
                "-w",
                "30",
                "-c",
                "7",
                "--password-env",
                "AUDIT_PASSWORD",
            ],
            env,
        )
    };
    let host = host();

    // The wrong password: the store is a file that could not be read, said in words.
    let out = audit(&[("AUDIT_PASSWORD", "wrong")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        summary_line(&out.stdout),
        format!(
            "audit 'audit' of {host} done: 8 files in T s, 5 certificates in 4 places, 1 without a certificate, 2 unreadable, 0 removed; run 1"
        )
    );
    let rest: Vec<&str> = out.stdout.lines().skip(1).collect();
    assert_eq!(
        rest,
        [
            format!("{top}/junk/broken.pem: truncated or corrupt PEM file: the CERTIFICATE block on line 1: the certificate: element 0x30 claims 403 bytes, only 0 left"),
            format!("{top}/keys/vault.p12: bad password: the PKCS#12 file's integrity check (MAC) fails with the password given"),
        ]
    );
    assert!(!out.stdout.contains("wrong") && !out.stderr.contains("wrong"));

    // The right one: the store is read; every place has the verdict the plugins would give.
    let out = audit(&[("AUDIT_PASSWORD", "s3cret")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        summary_line(&out.stdout),
        format!(
            "audit 'audit' of {host} done: 8 files in T s, 7 certificates in 5 places, 1 without a certificate, 1 unreadable, 0 removed; run 2"
        )
    );
    assert!(!out.stdout.contains("s3cret") && !out.stderr.contains("s3cret"));
    let file = |path: &str| format!("file:{host}:{top}/{path}");
    let days = |not_after: i64| {
        format!(
            "{:.2}",
            (not_after - certprobe::clock::now_unix()) as f64 / 86_400.0
        )
    };
    let listed = places(&db);
    let expected = vec![
        (
            file("ca/bundle.pem#1"),
            "OK".to_string(),
            format!(
                "'{}' issued by '{}' expires in",
                common::ROOT_CN,
                common::ROOT_CN
            ),
            false,
        ),
        (
            file("ca/bundle.pem#2"),
            "OK".to_string(),
            "'Other Test Root' issued by 'Other Test Root' expires in".to_string(),
            false,
        ),
        (
            file("junk/broken.pem"),
            "UNKNOWN".to_string(),
            "truncated or corrupt PEM file: the CERTIFICATE block on line 1: the certificate: element 0x30 claims 403 bytes, only 0 left".to_string(),
            false,
        ),
        (
            file("keys/vault.p12"),
            "WARNING".to_string(),
            format!(
                "certificate expires in {} days on {}",
                days(vault.not_after),
                format_utc(vault.not_after)
            ),
            false,
        ),
        (
            file("web/fullchain.pem"),
            "OK".to_string(),
            format!(
                "'shop.example' issued by '{}' expires in {} days on {}, ECDSA P-256",
                common::INTERMEDIATE_CN,
                days(shop.not_after),
                format_utc(shop.not_after)
            ),
            false,
        ),
        (
            file("web/soon.der"),
            "CRITICAL".to_string(),
            format!(
                "certificate expires in {} days on {}",
                days(soon.not_after),
                format_utc(soon.not_after)
            ),
            false,
        ),
    ];
    assert_eq!(listed.len(), expected.len(), "{listed:#?}");
    for (got, want) in listed.iter().zip(&expected) {
        assert_eq!((&got.0, &got.1, got.3), (&want.0, &want.1, want.3));
        assert!(
            got.2.starts_with(&want.2),
            "{} does not start with {}",
            got.2,
            want.2
        );
    }
    let s = |text: &str| text.to_string();
    assert_eq!(
        file_findings(&db),
        [
            (
                file("keys/vault.p12"),
                s("private-key"),
                s("OK"),
                s("its private key was found with it")
            ),
            (
                file("web/fullchain.pem"),
                s("private-key"),
                s("OK"),
                s("its private key was found with it")
            ),
            (
                file("web/soon.der"),
                s("private-key"),
                s("CRITICAL"),
                format!("the private key in {top}/web/soon.key is not this certificate's")
            ),
        ]
    );
    // The leaf of the full chain is listed once, deployed in its file.
    let out = certprobe_env(
        &db,
        &["inventory", "where", "shop.example", "--format", "csv"],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(rows.len(), 2, "{}", out.stdout);
    assert!(rows[1].contains(&file("web/fullchain.pem")), "{}", rows[1]);

    // A file that went away: the audit that no longer finds it records it removed (its
    // deployment ends with a `disappeared` event), once; from then on it is stale.
    std::fs::remove_file(root.join("web/soon.der")).unwrap();
    let out = audit(&[("AUDIT_PASSWORD", "s3cret")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        summary_line(&out.stdout),
        format!(
            "audit 'audit' of {host} done: 7 files in T s, 6 certificates in 4 places, 1 without a certificate, 1 unreadable, 1 removed; run 3"
        )
    );
    let gone = |db: &Path| -> Vec<(String, String, String, bool)> {
        places(db)
            .into_iter()
            .filter(|p| p.0 == file("web/soon.der"))
            .collect()
    };
    let removed = (
        file("web/soon.der"),
        "OK".to_string(),
        "removed: the file or its keystore entry is no longer there".to_string(),
        false,
    );
    assert_eq!(gone(&db), std::slice::from_ref(&removed));
    let history = certprobe_env(
        &db,
        &[
            "inventory",
            "history",
            &sha256_hex(&soon.der),
            "--format",
            "csv",
        ],
        &[],
    );
    let events: Vec<&str> = history
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap_or_default())
        .collect();
    assert_eq!(events, ["new", "disappeared"], "{}", history.stdout);
    let out = audit(&[("AUDIT_PASSWORD", "s3cret")]);
    assert!(out.stdout.contains(", 0 removed; run 4"), "{}", out.stdout);
    assert_eq!(gone(&db), [(removed.0, removed.1, removed.2, true)]);
    // Every other place is as fresh as the run.
    assert_eq!(places(&db).iter().filter(|p| p.3).count(), 1);
}

#[test]
fn an_audit_refuses_a_password_variable_that_is_not_set() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.sqlite");
    let top = dir.path().display().to_string();
    let out = certprobe_env(
        &db,
        &["audit", &top, "--password-env", "CERTPROBE_TEST_UNSET"],
        &[],
    );
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "certprobe: --password-env: the environment variable CERTPROBE_TEST_UNSET is not set\n"
    );
}

#[test]
fn a_java_keystore_is_one_place_per_entry_and_readable_without_its_password() {
    let pki = common::pki();
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let vault = pki
        .intermediate
        .issue(&LeafSpec::new("vault.example").valid_until(90.0));
    let p12 = data.path().join("vault.p12");
    common::pkcs12(&p12, &vault, "s3cret");
    let jks = dir.path().join("store.jks");
    let keytool = |args: &[&str]| {
        let out = Command::new("keytool").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    };
    let (p12_text, jks_text) = (p12.display().to_string(), jks.display().to_string());
    keytool(&[
        "-importkeystore",
        "-noprompt",
        "-srckeystore",
        &p12_text,
        "-srcstoretype",
        "PKCS12",
        "-srcstorepass",
        "s3cret",
        "-destkeystore",
        &jks_text,
        "-deststoretype",
        "JKS",
        "-deststorepass",
        "changeit",
    ]);
    let ca = common::root_file();
    keytool(&[
        "-importcert",
        "-noprompt",
        "-alias",
        "extra-root",
        "-file",
        &ca,
        "-keystore",
        &jks_text,
        "-storepass",
        "changeit",
    ]);
    let db = data.path().join("inventory.sqlite");
    let out = certprobe_env(&db, &["audit", &jks_text, "--ca-file", &ca], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let host = host();
    let place = |entry: &str| format!("file:{host}:{jks_text}#{entry}");
    let listed: Vec<(String, String)> = places(&db).into_iter().map(|p| (p.0, p.1)).collect();
    assert_eq!(
        listed,
        [
            (place("extra-root"), "OK".to_string()),
            (place("vault"), "OK".to_string())
        ]
    );
    let s = |text: &str| text.to_string();
    let mut found = file_findings(&db);
    found.sort();
    assert_eq!(
        found,
        [
            (
                place("extra-root"),
                s("file"),
                s("OK"),
                s("integrity not verified: no keystore password was given")
            ),
            (
                place("vault"),
                s("private-key"),
                s("OK"),
                s("its private key is stored with it in the keystore (encrypted, not compared)")
            ),
        ]
    );
}

#[test]
fn check_cert_inventory_says_which_hosts_were_not_audited_lately() {
    let pki = common::pki();
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let leaf = pki
        .intermediate
        .issue(&LeafSpec::new("shop.example").valid_until(60.0));
    std::fs::write(dir.path().join("shop.pem"), pem(&leaf.der)).unwrap();
    let db = data.path().join("inventory.sqlite");
    let top = dir.path().display().to_string();
    let out = certprobe_env(&db, &["audit", &top], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The audit ended 8 days ago, as far as the inventory knows.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE scan_run SET ended = ended - 8 * 86400", [])
        .unwrap();
    let ended: i64 = conn
        .query_row("SELECT ended FROM scan_run", [], |row| row.get(0))
        .unwrap();
    drop(conn);
    let host = host();
    let check = |args: &[&str]| check_cert_inventory(&db, args);
    let run = check(&["--audit-age", "7d"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.stdout,
        format!(
            "CERT_INVENTORY WARNING - {host} was last audited 8 days ago ({}): older than --audit-age 7d\n",
            format_utc(ended)
        )
    );
    let run = check(&["--audit-age", "10d", "--host", &host.to_uppercase()]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.stdout,
        format!(
            "CERT_INVENTORY OK - {host} was audited 8 days ago ({}, run 1 of job 'audit', 1 place)\n",
            format_utc(ended)
        )
    );
    let run = check(&[
        "--audit-age",
        "7d",
        "--host",
        "web01",
        "--max-age-state",
        "critical",
    ]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stdout,
        format!(
            "CERT_INVENTORY UNKNOWN - the inventory {} holds no completed audit of host web01 (run certprobe audit there)\n",
            db.display()
        )
    );
}

/// Every kind of bad file in one tree, through `certprobe audit` into the inventory: each is
/// one line with its reason, an UNKNOWN place, and the run goes on. Then, as another user,
/// a folder without permission is a reason too, and what was found in it is not "removed".
#[test]
fn every_bad_file_is_a_reason_and_the_run_goes_on() {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    let pki = common::pki();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    for folder in ["", "locked", "links"] {
        std::fs::create_dir_all(root.join(folder)).unwrap();
    }
    let leaf = |name: &str| {
        pki.intermediate
            .issue(&LeafSpec::new(name).valid_until(60.0))
    };
    let chain = |name: &str| format!("{}{}", pem(&leaf(name).der), pki.intermediate.pem());
    std::fs::write(root.join("good.pem"), chain("good.example")).unwrap();
    std::fs::write(root.join("locked/inside.pem"), chain("inside.example")).unwrap();
    std::fs::File::create(root.join("huge.pem"))
        .unwrap()
        .set_len(2 * 1024 * 1024 * 1024)
        .unwrap();
    // "\xfe\xed\xfe\xee": a keystore whose magic is one bit off is nothing readable.
    std::fs::write(
        root.join("bad-magic.jks"),
        b"\xfe\xed\xfe\xee\x00\x00\x00\x02\x00\x00\x00\x01",
    )
    .unwrap();
    common::pkcs12(&root.join("store.p12"), &leaf("store.example"), "right");
    let p12 = std::fs::read(root.join("store.p12")).unwrap();
    std::fs::write(root.join("cut.p12"), &p12[..p12.len() / 2]).unwrap();
    std::fs::write(
        root.join("garbage.der"),
        [0x30, 0x82, 0xff, 0xff, 0x01, 0x02],
    )
    .unwrap();
    let latin1 = std::ffi::OsStr::from_bytes(b"caf\xe9.pem");
    std::fs::write(root.join(latin1), chain("latin1.example")).unwrap();
    std::os::unix::fs::symlink("..", root.join("links/up")).unwrap();
    std::os::unix::fs::symlink("self", root.join("links/self")).unwrap();
    let fifo = root.join("pipe.pem");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());

    // The inventory in a folder anyone may write, for the second run as nobody.
    let data = tempfile::tempdir().unwrap();
    std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let db = data.path().join("inventory.sqlite");
    let top = root.display().to_string();
    let password = data.path().join("password");
    std::fs::write(&password, "right\n").unwrap();
    let password = password.display().to_string();
    let ca = common::root_file();
    let args = [
        "audit",
        &top,
        "--follow-symlinks",
        "--password-file",
        &password,
        "--ca-file",
        &ca,
    ];
    let out = certprobe_env(&db, &args, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let host = host();
    assert_eq!(
        summary_line(&out.stdout),
        format!("audit 'audit' of {host} done: 11 files in T s, 8 certificates in 4 places, 1 without a certificate, 6 unreadable, 0 removed; run 1")
    );
    let rest: Vec<&str> = out.stdout.lines().skip(1).collect();
    let line = |path: &str, reason: &str| format!("{top}/{path}: {reason}");
    let loop_reason =
        "symbolic link loop: the link leads back to a folder above it or to itself; not followed";
    let problems = [
        line("cut.p12", "truncated or corrupt PKCS#12 file: its structure cannot be decoded"),
        line("garbage.der", "truncated or corrupt DER file: the DER data: element 0x30 claims 65535 bytes, only 2 left"),
        line("huge.pem", "too large: 2147483648 bytes, over the limit of 16777216 bytes; not read"),
        line("links/self", loop_reason),
        line("links/up", loop_reason),
        line("pipe.pem", "not a regular file (a FIFO); not read"),
    ];
    assert_eq!(rest, problems);
    let file = |path: &str| format!("file:{host}:{top}/{path}");
    let listed: Vec<(String, String)> = places(&db)
        .into_iter()
        .map(|(label, state, summary, _)| {
            // The good places' summaries end with their dates; their start is enough.
            let summary = summary
                .split(" expires")
                .next()
                .unwrap_or_default()
                .to_string();
            (label, format!("{state} {summary}"))
        })
        .collect();
    let issued = |name: &str| format!("OK '{name}' issued by '{}'", common::INTERMEDIATE_CN);
    let unknown = |reason: &str| format!("UNKNOWN {reason}");
    assert_eq!(
        listed,
        [
            (file("caf\\xe9.pem"), issued("latin1.example")),
            (file("cut.p12"), unknown("truncated or corrupt PKCS#12 file: its structure cannot be decoded")),
            (file("garbage.der"), unknown("truncated or corrupt DER file: the DER data: element 0x30 claims 65535 bytes, only 2 left")),
            (file("good.pem"), issued("good.example")),
            (file("huge.pem"), unknown("too large: 2147483648 bytes, over the limit of 16777216 bytes; not read")),
            (file("links/self"), unknown(loop_reason)),
            (file("links/up"), unknown(loop_reason)),
            (file("locked/inside.pem"), issued("inside.example")),
            (file("pipe.pem"), unknown("not a regular file (a FIFO); not read")),
            (file("store.p12"), issued("store.example")),
        ]
    );

    // As nobody (root reads every folder): the folder it may not enter is a reason, and the
    // certificate found in it before is still there, not removed.
    if !Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("SKIPPED: no setpriv to run the audit as another user");
        return;
    }
    let mode = |path: &Path, m: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap()
    };
    for folder in [dir.path(), &root, &root.join("links")] {
        mode(folder, 0o755);
    }
    mode(&root.join("locked"), 0o700);
    for name in [
        "good.pem",
        "store.p12",
        "cut.p12",
        "garbage.der",
        "bad-magic.jks",
        "huge.pem",
    ] {
        mode(&root.join(name), 0o644);
    }
    mode(&root.join(latin1), 0o644);
    for entry in std::fs::read_dir(data.path()).unwrap() {
        mode(&entry.unwrap().path(), 0o666);
    }
    let bin = data.path().join("certprobe");
    std::fs::copy(env!("CARGO_BIN_EXE_certprobe"), &bin).unwrap();
    mode(&bin, 0o755);
    let db_arg = db.display().to_string();
    let out = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .arg(&bin)
        .args(["--db", &db_arg])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        summary_line(&stdout),
        format!("audit 'audit' of {host} done: 11 files in T s, 6 certificates in 3 places, 1 without a certificate, 7 unreadable, 0 removed; run 2")
    );
    let rest: Vec<&str> = stdout.lines().skip(1).collect();
    let mut expected = problems.to_vec();
    expected.insert(5, line("locked", "unreadable: permission denied"));
    assert_eq!(rest, expected);
    let inside: Vec<(String, String, bool)> = places(&db)
        .into_iter()
        .filter(|p| p.0.starts_with(&file("locked")))
        .map(|(label, state, _, stale)| (label, state, stale))
        .collect();
    assert_eq!(
        inside,
        [
            (file("locked"), "UNKNOWN".to_string(), false),
            (file("locked/inside.pem"), "OK".to_string(), true),
        ]
    );
}

/// The seed's "expires in under 30 days" monitor over every audited file: `check_cert_inventory
/// --source file`, of all hosts or of one, the worst place winning; removed places are not
/// checked, and the network's endpoints are not the files'.
#[test]
fn check_cert_inventory_watches_the_places_of_files() {
    let pki = common::pki();
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let chain = |name: &str, days: f64| {
        let leaf = pki
            .intermediate
            .issue(&LeafSpec::new(name).valid_until(days));
        std::fs::write(
            dir.path().join(format!("{name}.pem")),
            format!("{}{}", pem(&leaf.der), pki.intermediate.pem()),
        )
        .unwrap();
        leaf
    };
    let far = chain("far.example", 90.0);
    let near = chain("near.example", 20.0);
    chain("gone.example", 2.0);
    let db = data.path().join("inventory.sqlite");
    let top = dir.path().display().to_string();
    let ca = common::root_file();
    let audit = || {
        let out = certprobe_env(&db, &["audit", &top, "--ca-file", &ca], &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    };
    audit();
    std::fs::remove_file(dir.path().join("gone.example.pem")).unwrap();
    audit();
    let host = host();
    let check = |args: &[&str]| check_cert_inventory(&db, args);
    let days = |leaf: &certprobe_testkit::Leaf| {
        format!(
            "{:.2}",
            (leaf.not_after - certprobe::clock::now_unix()) as f64 / 86_400.0
        )
    };
    let run = check(&["--source", "file", "-w", "30", "-c", "7"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let place = |leaf: &certprobe_testkit::Leaf, name: &str| {
        format!(
            "file:{host}:{top}/{name}.pem '{name}' issued by '{}' expires in {} days on {}, ECDSA P-256",
            common::INTERMEDIATE_CN,
            days(leaf),
            format_utc(leaf.not_after)
        )
    };
    let near_place = format!("file:{host}:{top}/near.example.pem");
    let lines = run.lines();
    assert_eq!(
        lines[0].split(" | ").next().unwrap(),
        format!(
            "CERT_INVENTORY WARNING - 1 of 2 certificates WARNING: {near_place} certificate expires in {} days on {}",
            days(&near),
            format_utc(near.not_after)
        )
    );
    assert_eq!(
        lines[1..],
        [
            format!("[OK] {}", place(&far, "far.example")),
            format!(
                "[WARNING] {near_place} certificate expires in {} days on {}",
                days(&near),
                format_utc(near.not_after)
            ),
        ]
    );
    // One host by name, without case; a host never audited has no place.
    let run = check(&[
        "--source",
        "file",
        "--host",
        &host.to_uppercase(),
        "-w",
        "10",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let lines = run.lines();
    assert_eq!(
        lines[0].split(" | ").next().unwrap(),
        format!("CERT_INVENTORY OK - 2 certificates OK; the first certificate to expire: {near_place} in {} days", days(&near))
    );
    assert_eq!(
        lines[1..],
        [
            format!("[OK] {}", place(&far, "far.example")),
            format!("[OK] {}", place(&near, "near.example")),
        ]
    );
    let run = check(&["--source", "file", "--host", "web01"]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stdout,
        format!(
            "CERT_INVENTORY UNKNOWN - the inventory {} holds no endpoint from a file of host web01\n",
            db.display()
        )
    );
    let run = check(&["--source", "network"]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stdout,
        format!(
            "CERT_INVENTORY UNKNOWN - the inventory {} holds no endpoint from the network\n",
            db.display()
        )
    );
    // The inventory's own listing takes the same filter.
    let out = certprobe_env(
        &db,
        &[
            "inventory",
            "endpoints",
            "--source",
            "file",
            "--host",
            &host,
            "--format",
            "csv",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 4, "{}", out.stdout);
}

/// `certprobe audit --config FILE`: each `[[audit]]` section is a run of its own job, with
/// the `[defaults]` an audit has (thresholds, CA files) and a password file beside the config;
/// `--job` runs one; mistakes name the file and line.
#[test]
fn audit_sections_of_the_config_run_as_their_own_jobs() {
    let pki = common::pki();
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let d = dir.path();
    for folder in ["web", "java"] {
        std::fs::create_dir(d.join(folder)).unwrap();
    }
    let shop = pki
        .intermediate
        .issue(&LeafSpec::new("shop.example").valid_until(20.0));
    std::fs::write(
        d.join("web/shop.pem"),
        format!("{}{}", pem(&shop.der), pki.intermediate.pem()),
    )
    .unwrap();
    std::fs::write(d.join("web/notes.txt"), "not a certificate\n").unwrap();
    let app = pki
        .intermediate
        .issue(&LeafSpec::new("app.example").valid_until(90.0));
    common::pkcs12(&d.join("java/app.p12"), &app, "s3cret");
    let conf = data.path().join("certprobe.toml");
    std::fs::write(data.path().join("store.pass"), "s3cret\n").unwrap();
    let text = format!(
        r#"
[defaults]
ca_files = ["{ca}"]
warning = 30
concurrency = 100            # a scan's: the audit leaves it

[[audit]]
name = "web"
paths = ["{d}/web"]
include = ["**/*.pem"]
names = {{ "{d}/web/shop.pem" = "shop.example" }}

[[audit]]
name = "java"
paths = ["{d}/java"]
password_file = "store.pass"
zone = "apps"
"#,
        ca = common::root_file(),
        d = d.display()
    );
    std::fs::write(&conf, &text).unwrap();
    let db = data.path().join("inventory.sqlite");
    let config = conf.display().to_string();
    let host = host();
    let out = certprobe_env(&db, &["audit", "--config", &config], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let summaries: Vec<String> = out
        .stdout
        .lines()
        .map(|l| summary_line(&format!("{l}\n")))
        .collect();
    assert_eq!(
        summaries,
        [
            format!("audit 'web' of {host} done: 1 files in T s, 2 certificates in 1 places, 0 without a certificate, 0 unreadable, 0 removed; run 1"),
            format!("audit 'java' of {host} done: 1 files in T s, 2 certificates in 1 places, 0 without a certificate, 0 unreadable, 0 removed; run 2"),
        ]
    );
    // The [defaults]' -w 30 and CA file: the 20-day certificate is a trusted WARNING.
    let out = certprobe_env(&db, &["inventory", "endpoints", "--format", "json"], &[]);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let listed: Vec<(String, String, String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let text = |key: &str| r[key].as_str().unwrap().to_string();
            (text("endpoint"), text("zone"), text("job"), text("state"))
        })
        .collect();
    let s = |text: &str| text.to_string();
    assert_eq!(
        listed,
        [
            (
                format!("file:{host}:{}/java/app.p12", d.display()),
                s("apps"),
                s("java"),
                s("OK")
            ),
            (
                format!("file:{host}:{}/web/shop.pem", d.display()),
                s(""),
                s("web"),
                s("WARNING")
            ),
        ]
    );
    // The name configured for the file is checked; the other files get no name check.
    let names_checked: Vec<(String, String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            let endpoint = r["endpoint"].as_str().unwrap().to_string();
            r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["check"] == "name")
                .map(move |f| {
                    (
                        endpoint.clone(),
                        f["state"].as_str().unwrap().to_string(),
                        f["message"].as_str().unwrap().to_string(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        names_checked,
        [(
            format!("file:{host}:{}/web/shop.pem", d.display()),
            s("OK"),
            s("name 'shop.example' matches DNS:shop.example")
        )]
    );
    // --name on the command line: every file must cover it; the section's own name wins.
    let out = certprobe_env(
        &db,
        &[
            "audit",
            "--config",
            &config,
            "--job",
            "java",
            "--name",
            "other.example",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let java = places(&db)
        .into_iter()
        .find(|p| p.0.ends_with("/java/app.p12"))
        .unwrap();
    assert_eq!(java.1, "CRITICAL", "{java:?}");
    let out = certprobe_env(&db, &["audit", "--config", &config, "--job", "java"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(out.stdout.starts_with("audit 'java' of "), "{}", out.stdout);

    let out = certprobe_env(&db, &["audit", "--config", &config, "--job", "db"], &[]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        format!("certprobe: {config} has no [[audit]] named 'db' (it has web, java)\n")
    );
    std::fs::write(&conf, text.replace("**/*.pem", "**/[.pem")).unwrap();
    let out = certprobe_env(&db, &["audit", "--config", &config], &[]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        format!("certprobe: {config}:10: include: the glob '**/[.pem' is not valid: unclosed character class; missing ']'\n")
    );
    let out = certprobe_env(&db, &["audit", "/etc/ssl", "--config", &config], &[]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}

/// `certprobe audit --export FILE` on a host, `certprobe inventory import FILE` centrally:
/// each audit is imported once, as its host's run (two hosts' places stay apart), the places
/// a later export no longer has are removed, an audit older than the host's latest is left
/// out, and a file with one bad field imports nothing.
#[test]
fn an_exported_audit_is_imported_once_on_the_central_host() {
    let pki = common::pki();
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in ["a.example", "b.example"] {
        let leaf = pki
            .intermediate
            .issue(&LeafSpec::new(name).valid_until(60.0));
        std::fs::write(
            d.join(format!("{name}.pem")),
            format!("{}{}", pem(&leaf.der), pki.intermediate.pem()),
        )
        .unwrap();
    }
    let top = d.display().to_string();
    let ca = common::root_file();
    let local = data.path().join("unused.sqlite");
    let export = |file: &Path| {
        let file = file.display().to_string();
        let out = certprobe_env(
            &local,
            &["audit", &top, "--ca-file", &ca, "--export", &file],
            &[],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout
    };
    let first = data.path().join("first.json");
    let host = host();
    assert_eq!(
        summary_line(&export(&first)),
        format!("audit 'audit' of {host} done: 2 files in T s, 4 certificates in 2 places, 0 without a certificate, 0 unreadable; exported")
    );
    assert!(!local.exists(), "an export writes no inventory");
    let central = data.path().join("central.sqlite");
    let import = |file: &Path| {
        let out = certprobe_env(
            &central,
            &["inventory", "import", &file.display().to_string()],
            &[],
        );
        (out.code, out.stdout, out.stderr)
    };
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&first).unwrap()).unwrap();
    let started = document["audits"][0]["started"].as_i64().unwrap();
    let from = format!("audit 'audit' of {host} from {}", format_utc(started));
    assert_eq!(
        import(&first),
        (
            0,
            format!("{from}: imported, 2 places, 0 removed; run 1\n"),
            String::new()
        )
    );
    assert_eq!(
        import(&first),
        (
            0,
            format!("{from}: imported before, as run 1; nothing changed\n"),
            String::new()
        )
    );

    // The same audit as another host's: its places are its own, and neither host's go stale.
    let other = data.path().join("other.json");
    let mut web02 = document.clone();
    web02["audits"][0]["host"] = "web02".into();
    web02["audits"][0]["id"] = "0123456789abcdef0123456789abcdef".into();
    std::fs::write(&other, web02.to_string()).unwrap();
    let (code, stdout, _) = import(&other);
    assert_eq!(code, 0);
    assert!(
        stdout.ends_with("imported, 2 places, 0 removed; run 2\n"),
        "{stdout}"
    );
    // By label: the inventory orders by host name, and this host's may sort after web02.
    let listed = || -> Vec<(String, String, bool)> {
        let mut rows: Vec<(String, String, bool)> = places(&central)
            .into_iter()
            .map(|(label, state, _, stale)| (label, state, stale))
            .collect();
        rows.sort();
        rows
    };
    let place = |on: &str, name: &str| format!("file:{on}:{top}/{name}.pem");
    let ok = |on: &str, name: &str| (place(on, name), "OK".to_string(), false);
    let mut expected = vec![
        ok(&host, "a.example"),
        ok(&host, "b.example"),
        ok("web02", "a.example"),
        ok("web02", "b.example"),
    ];
    expected.sort();
    assert_eq!(listed(), expected);

    // A file deleted on the host: the next export's import removes its place.
    std::fs::remove_file(d.join("b.example.pem")).unwrap();
    let second = data.path().join("second.json");
    export(&second);
    let (code, stdout, _) = import(&second);
    assert_eq!(code, 0);
    assert!(
        stdout.ends_with("imported, 1 places, 1 removed; run 3\n"),
        "{stdout}"
    );
    assert_eq!(listed(), expected, "the removed place is OK and fresh");
    let summary_of = |label: &str| {
        places(&central)
            .into_iter()
            .find(|p| p.0 == label)
            .map(|p| p.2)
            .unwrap()
    };
    assert_eq!(
        summary_of(&place(&host, "b.example")),
        "removed: the file or its keystore entry is no longer there"
    );
    assert!(summary_of(&place("web02", "b.example")).starts_with("'b.example' issued by"));

    // An audit that started before the host's latest one in the inventory is left out.
    let stale_copy = data.path().join("stale.json");
    let mut older = document.clone();
    older["audits"][0]["id"] = "fedcba9876543210fedcba9876543210".into();
    older["audits"][0]["started"] = (started - 3600).into();
    std::fs::write(&stale_copy, older.to_string()).unwrap();
    assert_eq!(
        import(&stale_copy),
        (
            0,
            format!(
                "audit 'audit' of {host} from {}: not imported: the inventory holds a later audit of it (run 3)\n",
                format_utc(started - 3600)
            ),
            String::new()
        )
    );

    // One bad field anywhere, and nothing of the file is written.
    let runs = || {
        certprobe_env(&central, &["inventory", "runs", "--format", "csv"], &[])
            .stdout
            .lines()
            .count()
    };
    let before = runs();
    let bad = data.path().join("bad.json");
    for (field, value, sentence) in [
        (
            "state",
            serde_json::json!(7),
            "audit 1, place 2: state: not 0 to 3",
        ),
        (
            "chain",
            serde_json::json!(["not base64!"]),
            "audit 1, place 2: chain: a certificate that is not base64",
        ),
        (
            "path",
            serde_json::json!("/etc/ssl/\u{1b}[31m.pem"),
            "audit 1, place 2: path: empty, too long or with control characters",
        ),
    ] {
        let mut broken = document.clone();
        broken["audits"][0]["id"] = "00000000000000000000000000000000".into();
        broken["audits"][0]["places"][1][field] = value;
        std::fs::write(&bad, broken.to_string()).unwrap();
        let shown = bad.display();
        assert_eq!(
            import(&bad),
            (
                2,
                String::new(),
                format!("certprobe: cannot import {shown}: {sentence}\n")
            )
        );
    }
    assert_eq!(runs(), before);
}
