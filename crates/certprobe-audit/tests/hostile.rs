//! Real files of every format, cut at every length and with bytes changed, through
//! `read_bytes`: never a panic, and every sentence returned is one line without control
//! characters (what a hostile file can put in front of the plugins' readers).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on purpose

mod common;

use certprobe_audit::{read_bytes, Secret};
use certprobe_testkit::KeyType;
use common::*;

/// Every sentence of the outcome: the error, or the notes.
fn sentences(bytes: &[u8], password: Option<&Secret>) -> Vec<String> {
    match read_bytes(bytes, password).1 {
        Ok(contents) => contents.notes.iter().map(ToString::to_string).collect(),
        Err(error) => vec![error.to_string()],
    }
}

/// `sample` cuts and byte changes of `bytes` (`step` apart); returns how many were read.
fn mutate(name: &str, bytes: &[u8], password: Option<&Secret>, step: usize) -> usize {
    let mut count = 0;
    let mut check = |input: &[u8]| {
        for sentence in sentences(input, password) {
            assert!(
                !sentence.chars().any(char::is_control),
                "{name}: {sentence:?}"
            );
            assert!(
                !sentence.contains("Error") && !sentence.contains("{"),
                "{name}: {sentence}"
            );
        }
        count += 1;
    };
    for len in (0..bytes.len()).step_by(step) {
        check(&bytes[..len]);
    }
    for at in (0..bytes.len()).step_by(step) {
        for value in [0x00, 0xff, bytes[at].wrapping_add(1), 0x80, 0x84] {
            let mut changed = bytes.to_vec();
            changed[at] = value;
            check(&changed);
        }
    }
    count
}

#[test]
fn every_format_cut_and_changed_never_panics_and_says_why_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = pki("hostile.example", KeyType::P256);
    let mut samples: Vec<(String, Vec<u8>, Option<Secret>, usize)> = vec![
        ("der".into(), p.leaf.der.clone(), None, 1),
        (
            "pem".into(),
            format!("{}{}", pem(&p.leaf.der), p.leaf.key_pem()).into_bytes(),
            None,
            1,
        ),
    ];
    if openssl() {
        let leaf = write(d, "leaf.pem", pem(&p.leaf.der));
        let key = write(d, "leaf.key.pem", p.leaf.key_pem());
        let p7 = d.join("b.p7c");
        crl2pkcs7(&[&leaf], "DER", &p7);
        samples.push(("pkcs7".into(), std::fs::read(&p7).unwrap(), None, 1));
        let p12 = d.join("b.p12");
        pkcs12_export(&leaf, &key, "pw", &p12, &["-iter", "1", "-maciter"]);
        samples.push((
            "pkcs12".into(),
            std::fs::read(&p12).unwrap(),
            Some(Secret::new("pw")),
            7,
        ));
    }
    if keytool() {
        for kind in ["JKS", "JCEKS"] {
            let store = Keystore::new(d.join(format!("k.{kind}")), kind);
            store.genkeypair("k", EC_P256, "CN=k", &[]);
            let bytes = std::fs::read(&store.path).unwrap();
            samples.push((kind.into(), bytes.clone(), None, 1));
            samples.push((
                format!("{kind} with password"),
                bytes,
                Some(Secret::new("changeit")),
                3,
            ));
        }
    }
    for (name, bytes, password, step) in &samples {
        // The sample itself is read.
        assert!(read_bytes(bytes, password.as_ref()).1.is_ok(), "{name}");
        assert!(
            mutate(name, bytes, password.as_ref(), *step) > 100,
            "{name}"
        );
    }
}
