//! The bad input, each with its exact sentence, and the run going on past it:
//! garbage, a 2 GB sparse .pem, a JKS with a bad magic or cut short, a folder without
//! permission, symbolic link loops, a file that vanishes, a FIFO, names that are not UTF-8.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on purpose

mod common;

use certprobe_audit::{AuditOptions, Auditor, Format, KeyPresence};
use certprobe_testkit::KeyType;
use common::*;
use std::path::PathBuf;

/// (path relative to `root` made visible, the error sentence or "N certificates").
fn table(
    root: &std::path::Path,
    outcomes: &[certprobe_audit::FileOutcome],
) -> Vec<(String, String)> {
    outcomes
        .iter()
        .map(|o| {
            let rel = o.path.strip_prefix(root).unwrap_or(&o.path);
            let shown = certprobe::text::quote_bytes(rel.as_os_str().as_encoded_bytes(), 200);
            let what = match &o.result {
                Ok(c) => format!("{} certificates", c.certificates.len()),
                Err(e) => e.to_string(),
            };
            (shown, what)
        })
        .collect()
}

#[test]
fn garbage_files_each_say_why_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = pki("good.example", KeyType::P256);
    write(d, "a-empty.pem", b"");
    write(d, "b-text.pem", b"hello, this is not a certificate\n");
    write(d, "c-der-cut.der", [0x30, 0x82, 0x01, 0x00, 0x30, 0x03]);
    write(
        d,
        "d-no-end.pem",
        pem(&p.leaf.der).replace("-----END CERTIFICATE-----\n", ""),
    );
    write(
        d,
        "e-bad-base64.pem",
        b"-----BEGIN CERTIFICATE-----\nMII*notbase64\n-----END CERTIFICATE-----\n",
    );
    write(
        d,
        "f-only-crl.pem",
        b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
    );
    write(
        d,
        "g-not-a-cert.pem",
        b"-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n",
    );
    write(d, "h-other-der.der", [0x30, 0x03, 0x01, 0x01, 0xff]);
    write(d, "i-good.pem", pem(&p.leaf.der));
    let outcomes = audit(&[d.to_path_buf()], &AuditOptions::default());
    assert_eq!(
        table(d, &outcomes),
        vec![
            ("a-empty.pem".into(), "no certificate found: the file is empty".into()),
            ("b-text.pem".into(), "no certificate found: the file is not PEM, DER, PKCS#7, PKCS#12, JKS or JCEKS".into()),
            ("c-der-cut.der".into(), "truncated or corrupt DER file: the DER data: element 0x30 claims 256 bytes, only 2 left".into()),
            ("d-no-end.pem".into(), "truncated or corrupt PEM file: the CERTIFICATE block on line 1 has no END line".into()),
            ("e-bad-base64.pem".into(), "truncated or corrupt PEM file: the CERTIFICATE block on line 1 is not valid base64".into()),
            ("f-only-crl.pem".into(), "no certificate found: the PEM file holds no certificate, PKCS#7 bundle or private key".into()),
            ("g-not-a-cert.pem".into(), "truncated or corrupt PEM file: the CERTIFICATE block on line 1: not a valid X.509 certificate".into()),
            ("h-other-der.der".into(), "unsupported format: DER data that is not a certificate, PKCS#7 bundle, PKCS#12 file or private key".into()),
            ("i-good.pem".into(), "1 certificates".into()),
        ]
    );
}

#[test]
fn a_2_gb_sparse_pem_is_skipped_unread_with_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("huge.pem");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(2 * 1024 * 1024 * 1024)
        .unwrap();
    let outcome = audit_one(&big, &AuditOptions::default());
    assert_eq!(outcome.format, None);
    assert_eq!(
        error_of(&outcome),
        "too large: 2147483648 bytes, over the limit of 16777216 bytes; not read"
    );
    let small = AuditOptions {
        max_file_size: 10,
        ..AuditOptions::default()
    };
    let file = write(dir.path(), "eleven.pem", b"01234567890");
    assert_eq!(
        error_of(&audit_one(&file, &small)),
        "too large: 11 bytes, over the limit of 10 bytes; not read"
    );
}

/// A keytool JKS with one trusted certificate under `alias`.
fn jks(dir: &std::path::Path, alias: &str, der: &[u8]) -> Option<Vec<u8>> {
    if !keytool() {
        return None;
    }
    let cert = write(dir, "import.der", der);
    let store = Keystore::new(dir.join("one.jks"), "JKS");
    store.import_cert(alias, &cert);
    Some(std::fs::read(&store.path).unwrap())
}

#[test]
fn a_jks_with_a_bad_magic_or_cut_short_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let p = pki("jks.example", KeyType::P256);
    let Some(store) = jks(dir.path(), "web", &p.leaf.der) else {
        return;
    };
    // magic 4, version 4, count 4; tag 4, alias 2+3, date 8; type 2+5, length 4.
    let cert_at = 12 + 4 + 5 + 8 + 7 + 4;
    assert_eq!(&store[cert_at..cert_at + p.leaf.der.len()], &p.leaf.der[..]);

    let mut bad_magic = store.clone();
    bad_magic[3] = 0xee;
    let f = write(dir.path(), "bad-magic.jks", &bad_magic);
    assert_eq!(
        error_of(&audit_one(&f, &AuditOptions::default())),
        "no certificate found: the file is not PEM, DER, PKCS#7, PKCS#12, JKS or JCEKS"
    );

    let f = write(dir.path(), "cut.jks", &store[..cert_at + 10]);
    let cut = audit_one(&f, &AuditOptions::default());
    assert_eq!(cut.format, Some(Format::Jks));
    assert_eq!(
        error_of(&cut),
        format!("truncated or corrupt JKS keystore: at byte {cert_at}: the certificate of entry 1 claims {} bytes, only 10 left", p.leaf.der.len())
    );

    let f = write(dir.path(), "cut-digest.jks", &store[..store.len() - 5]);
    assert_eq!(
        error_of(&audit_one(&f, &AuditOptions::default())),
        format!("truncated or corrupt JKS keystore: at byte {}: the file ends inside the integrity digest", store.len() - 20)
    );

    let mut huge_count = store.clone();
    huge_count[8..12].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
    let f = write(dir.path(), "count.jks", &huge_count);
    assert_eq!(
        error_of(&audit_one(&f, &AuditOptions::default())),
        format!(
            "truncated or corrupt JKS keystore: at byte {}: the entry count says 4294967295, but the integrity digest follows entry 1",
            store.len() - 20
        )
    );

    let mut version = store.clone();
    version[7] = 3;
    let f = write(dir.path(), "v3.jks", &version);
    assert_eq!(
        error_of(&audit_one(&f, &AuditOptions::default())),
        "unsupported format: a JKS keystore of version 3 (1 and 2 are read)"
    );
}

#[test]
fn a_symbolic_link_loop_is_reported_for_its_path_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = pki("loop.example", KeyType::P256);
    std::fs::create_dir(d.join("certs")).unwrap();
    write(&d.join("certs"), "a.pem", pem(&p.leaf.der));
    std::os::unix::fs::symlink("..", d.join("certs/up")).unwrap();
    std::os::unix::fs::symlink("self.pem", d.join("certs/self.pem")).unwrap();
    write(&d.join("certs"), "z.pem", pem(&p.leaf.der));
    let follow = AuditOptions {
        follow_symlinks: true,
        ..AuditOptions::default()
    };
    let loop_sentence =
        "symbolic link loop: the link leads back to a folder above it or to itself; not followed";
    assert_eq!(
        table(d, &audit(&[d.to_path_buf()], &follow)),
        vec![
            ("certs/a.pem".into(), "1 certificates".into()),
            ("certs/self.pem".into(), loop_sentence.into()),
            ("certs/up".into(), loop_sentence.into()),
            ("certs/z.pem".into(), "1 certificates".into()),
        ]
    );
    // Not following: the links below the root are passed over.
    assert_eq!(
        table(d, &audit(&[d.to_path_buf()], &AuditOptions::default())),
        vec![
            ("certs/a.pem".into(), "1 certificates".into()),
            ("certs/z.pem".into(), "1 certificates".into())
        ]
    );
}

#[test]
fn a_file_that_vanishes_between_the_listing_and_the_reading() {
    let dir = tempfile::tempdir().unwrap();
    let p = pki("gone.example", KeyType::P256);
    write(dir.path(), "gone.pem", pem(&p.leaf.der));
    write(dir.path(), "kept.pem", pem(&p.leaf.der));
    let auditor = Auditor::new(&AuditOptions::default()).unwrap();
    let roots = [dir.path().to_path_buf()];
    let listed: Vec<_> = auditor.list(&roots).collect();
    assert_eq!(listed.len(), 2);
    std::fs::remove_file(dir.path().join("gone.pem")).unwrap();
    let outcomes: Vec<_> = listed.into_iter().map(|l| auditor.read(l)).collect();
    assert_eq!(
        table(dir.path(), &outcomes),
        vec![
            (
                "gone.pem".into(),
                "unreadable: no such file or folder (it may have vanished during the run)".into()
            ),
            ("kept.pem".into(), "1 certificates".into()),
        ]
    );
    let missing = audit(&[dir.path().join("never.pem")], &AuditOptions::default());
    assert_eq!(
        table(dir.path(), &missing),
        vec![(
            "never.pem".into(),
            "unreadable: no such file or folder (it may have vanished during the run)".into()
        )]
    );
}

#[test]
fn names_that_are_not_utf8_are_read_and_shown_with_escapes() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let p = pki("name.example", KeyType::P256);
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9\n\x1b[31m.pem");
    let path = dir.path().join(name);
    std::fs::write(&path, pem(&p.leaf.der)).unwrap();
    let outcomes = audit(&[dir.path().to_path_buf()], &AuditOptions::default());
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].path, path);
    assert!(
        outcomes[0]
            .display_path()
            .ends_with("/caf\\xe9\\n\\x1b[31m.pem"),
        "{}",
        outcomes[0].display_path()
    );
    assert_eq!(
        summary(&outcomes[0]),
        vec![(sha256(&p.leaf.der), None, KeyPresence::None)]
    );
}

#[test]
fn a_fifo_is_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.pem");
    run("mkfifo", &[fifo.to_str().unwrap()]);
    assert_eq!(
        error_of(&audit_one(&fifo, &AuditOptions::default())),
        "not a regular file (a FIFO); not read"
    );
}

#[test]
fn include_and_exclude_globs_choose_the_files_and_prune_folders() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = pki("glob.example", KeyType::P256);
    for sub in ["sub", "skip", "sub/deeper"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    for name in [
        "a.pem",
        "b.crt",
        "sub/c.pem",
        "sub/deeper/d.pem",
        "skip/e.pem",
    ] {
        write(d, name, pem(&p.leaf.der));
    }
    let options = AuditOptions {
        include: vec!["**/*.pem".into()],
        exclude: vec!["**/skip".into()],
        ..AuditOptions::default()
    };
    let found: Vec<String> = table(d, &audit(&[d.to_path_buf()], &options))
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(found, ["a.pem", "sub/c.pem", "sub/deeper/d.pem"]);
    // A file named as a root is read whatever the globs say.
    assert_eq!(audit(&[d.join("b.crt")], &options).len(), 1);
    let bad = AuditOptions {
        include: vec!["a[".into()],
        ..AuditOptions::default()
    };
    assert_eq!(
        Auditor::new(&bad).unwrap_err().to_string(),
        "the glob 'a[' is not valid: unclosed character class; missing ']'"
    );
}

/// Runs this test binary's `child_lists_a_folder` as nobody (setpriv): root reads any
/// folder, so permission is only refused to another user.
#[test]
fn a_folder_without_permission_is_its_own_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = pki("perm.example", KeyType::P256);
    std::fs::create_dir(d.join("locked")).unwrap();
    std::fs::create_dir(d.join("open")).unwrap();
    write(&d.join("locked"), "secret.pem", pem(&p.leaf.der));
    write(&d.join("open"), "a.pem", pem(&p.leaf.der));
    write(&d.join("open"), "unreadable.pem", pem(&p.leaf.der));
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: PathBuf, m: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap()
    };
    mode(d.to_path_buf(), 0o755);
    mode(d.join("open"), 0o755);
    mode(d.join("open/a.pem"), 0o644);
    mode(d.join("open/unreadable.pem"), 0o600);
    mode(d.join("locked"), 0o700);
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .unwrap()
        .stdout
        == b"0\n";
    let lines = if is_root {
        if !have("setpriv", &["--version"]) {
            return;
        }
        // A copy of this test binary that nobody may run: the build folder may sit under
        // a home folder that nobody cannot enter.
        let bin_dir = tempfile::tempdir().unwrap();
        let bin = bin_dir.path().join("child");
        std::fs::copy(std::env::current_exe().unwrap(), &bin).unwrap();
        mode(bin_dir.path().to_path_buf(), 0o755);
        mode(bin.clone(), 0o755);
        let out = std::process::Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
            .arg(&bin)
            .args([
                "--exact",
                "child_lists_a_folder",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("AUDIT_CHILD_ROOT", d)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The harness may print "test child_lists_a_folder ... " before the first line.
        stdout
            .lines()
            .filter_map(|l| l.split_once("OUTCOME ").map(|(_, rest)| rest))
            .map(String::from)
            .collect::<Vec<_>>()
    } else {
        outcome_lines(d)
    };
    assert_eq!(
        lines,
        [
            "locked: unreadable: permission denied",
            "open/a.pem: 1 certificates",
            "open/unreadable.pem: unreadable: permission denied",
        ]
    );
}

fn outcome_lines(root: &std::path::Path) -> Vec<String> {
    table(
        root,
        &audit(&[root.to_path_buf()], &AuditOptions::default()),
    )
    .into_iter()
    .map(|(path, what)| format!("{path}: {what}"))
    .collect()
}

/// The child of `a_folder_without_permission_is_its_own_outcome`; nothing to do alone.
#[test]
fn child_lists_a_folder() {
    if let Some(root) = std::env::var_os("AUDIT_CHILD_ROOT") {
        for line in outcome_lines(std::path::Path::new(&root)) {
            println!("OUTCOME {line}");
        }
    }
}
