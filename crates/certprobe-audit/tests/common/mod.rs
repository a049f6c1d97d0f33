//! Helpers of the audit's tests: the test PKI written into a temporary folder, the real
//! tools (openssl, keytool) with CI's rule (missing under CI=true fails, elsewhere SKIPPED),
//! and the SHA-256 the inventory will store.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // tests may panic on purpose

use certprobe_audit::{AuditOptions, Auditor, FileOutcome};
use certprobe_testkit::{Ca, KeyType, Leaf, LeafSpec};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether `tool` runs; under CI=true a missing tool fails the test.
pub fn have(tool: &str, probe: &[&str]) -> bool {
    let ok = Command::new(tool)
        .args(probe)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} is missing: tests/setup.sh installs it"
        );
        eprintln!("SKIPPED: {tool} is not installed");
    }
    ok
}

pub fn openssl() -> bool {
    have("openssl", &["version"])
}

pub fn keytool() -> bool {
    have("keytool", &["-help"])
}

/// Runs a command that must succeed.
pub fn run(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn sha256(der: &[u8]) -> String {
    certprobe::encoding::hex_upper(ring::digest::digest(&ring::digest::SHA256, der).as_ref())
}

/// A root, an intermediate and a P-256 leaf for `name`.
pub struct Pki {
    pub root: Ca,
    pub intermediate: Ca,
    pub leaf: Leaf,
}

pub fn pki(name: &str, key: KeyType) -> Pki {
    let root = Ca::root("Audit Root");
    let intermediate = root.intermediate("Audit Intermediate", 365.0);
    let leaf = intermediate.issue(&LeafSpec::new(name).key(key));
    Pki {
        root,
        intermediate,
        leaf,
    }
}

pub fn pem(der: &[u8]) -> String {
    certprobe_testkit::pem(der)
}

pub fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

pub fn audit(paths: &[PathBuf], options: &AuditOptions) -> Vec<FileOutcome> {
    Auditor::new(options).unwrap().audit(paths).collect()
}

pub fn audit_one(path: &Path, options: &AuditOptions) -> FileOutcome {
    let mut all = audit(&[path.to_path_buf()], options);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

/// The error sentence of an outcome that must have failed.
pub fn error_of(outcome: &FileOutcome) -> String {
    match &outcome.result {
        Err(e) => e.to_string(),
        Ok(c) => panic!("{} was read: {c:?}", outcome.display_path()),
    }
}

/// (SHA-256, alias, key presence) of each certificate of a file that must have been read.
pub fn summary(
    outcome: &FileOutcome,
) -> Vec<(String, Option<String>, certprobe_audit::KeyPresence)> {
    let contents = outcome
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("{}: {e}", outcome.display_path()));
    contents
        .certificates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            assert_eq!(c.position, i);
            (sha256(&c.der), c.alias.clone(), c.private_key.clone())
        })
        .collect()
}

pub fn with_password(password: &str) -> AuditOptions {
    AuditOptions {
        password: Some(certprobe_audit::Secret::new(password)),
        ..AuditOptions::default()
    }
}

/// The password of every keystore (and key entry) the tests write with keytool.
pub const STOREPASS: &str = "changeit";

/// keytool's `-keyalg` options of the keys the tests generate.
pub const EC_P256: &[&str] = &["-keyalg", "EC", "-groupname", "secp256r1"];
pub const EC_P384: &[&str] = &["-keyalg", "EC", "-groupname", "secp384r1"];
pub const RSA_2048: &[&str] = &["-keyalg", "RSA", "-keysize", "2048"];

/// A keystore file of `kind` (JKS, JCEKS, PKCS12) that keytool writes with [`STOREPASS`].
pub struct Keystore {
    pub path: PathBuf,
    pub kind: &'static str,
}

impl Keystore {
    pub fn new(path: impl Into<PathBuf>, kind: &'static str) -> Self {
        Keystore {
            path: path.into(),
            kind,
        }
    }

    pub fn path_str(&self) -> &str {
        self.path.to_str().unwrap()
    }

    /// `keytool COMMAND ARGS... -storetype KIND -keystore PATH -storepass changeit`, which
    /// must succeed.
    pub fn keytool(&self, args: &[&str]) {
        let mut all = args.to_vec();
        all.extend_from_slice(&[
            "-storetype",
            self.kind,
            "-keystore",
            self.path_str(),
            "-storepass",
            STOREPASS,
        ]);
        run("keytool", &all);
    }

    /// The same with `-keypass changeit`, for the commands that write or use a key entry
    /// (PKCS#12 has no key password of its own: keytool takes the store's).
    pub fn keytool_with_key(&self, args: &[&str]) {
        let mut all = args.to_vec();
        if self.kind != "PKCS12" {
            all.extend_from_slice(&["-keypass", STOREPASS]);
        }
        self.keytool(&all);
    }

    /// `-genkeypair` of a key `keyalg` (e.g. [`EC_P256`]) and a self-signed certificate
    /// for `dname`, valid for 30 days, under `alias`; `extra` options (e.g. `-ext bc:c`).
    pub fn genkeypair(&self, alias: &str, keyalg: &[&str], dname: &str, extra: &[&str]) {
        let mut args = vec!["-genkeypair", "-alias", alias, "-dname", dname];
        args.extend_from_slice(&["-validity", "30"]);
        args.extend_from_slice(keyalg);
        args.extend_from_slice(extra);
        self.keytool_with_key(&args);
    }

    /// `-importcert -noprompt` of the certificate file `cert` as trusted under `alias`
    /// (or as the reply to a request of the key entry `alias`).
    pub fn import_cert(&self, alias: &str, cert: &Path) {
        self.keytool(&[
            "-importcert",
            "-noprompt",
            "-alias",
            alias,
            "-file",
            cert.to_str().unwrap(),
        ]);
    }

    /// The DER certificate of `alias` as `-exportcert` writes it.
    pub fn export_cert(&self, alias: &str) -> Vec<u8> {
        let file = self.path.with_extension(format!("{alias}.exported.der"));
        self.keytool(&[
            "-exportcert",
            "-alias",
            alias,
            "-file",
            file.to_str().unwrap(),
        ]);
        let der = std::fs::read(&file).unwrap();
        std::fs::remove_file(&file).unwrap();
        der
    }
}

/// `openssl crl2pkcs7 -nocrl` of the PEM certificate files `certs` into `out`, written
/// as `outform` (PEM or DER).
pub fn crl2pkcs7(certs: &[&Path], outform: &str, out: &Path) {
    let mut args = vec!["crl2pkcs7", "-nocrl"];
    for cert in certs {
        args.extend_from_slice(&["-certfile", cert.to_str().unwrap()]);
    }
    args.extend_from_slice(&["-outform", outform, "-out", out.to_str().unwrap()]);
    run("openssl", &args);
}

/// `openssl pkcs12 -export` of the PEM certificate `cert` and its key `key` into `out`
/// with `password`; `extra` options (`-certfile`, `-name`, `-legacy`, iterations).
pub fn pkcs12_export(cert: &Path, key: &Path, password: &str, out: &Path, extra: &[&str]) {
    let pass = format!("pass:{password}");
    let mut args = vec![
        "pkcs12",
        "-export",
        "-in",
        cert.to_str().unwrap(),
        "-inkey",
        key.to_str().unwrap(),
        "-passout",
        &pass,
        "-out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run("openssl", &args);
}
