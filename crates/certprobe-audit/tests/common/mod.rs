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
