//! Private keys matched to certificates by public key: in the same file, in the `.key`
//! file next to the certificate, and the findings (a key that matches nothing, a key file
//! that does not match).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on purpose

mod common;

use certprobe_audit::{AuditOptions, KeyPresence, Note};
use certprobe_testkit::KeyType;
use common::*;

#[test]
fn a_key_file_next_to_the_certificate_matches_it_or_is_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = pki("shop.example", KeyType::P256);
    let other = pki("other.example", KeyType::P256);
    write(
        d,
        "shop.pem",
        format!("{}{}", pem(&good.leaf.der), pem(&good.intermediate.der())),
    );
    write(d, "shop.key", good.leaf.key_pem());
    write(
        d,
        "stale.pem",
        format!("{}{}", pem(&good.leaf.der), pem(&good.intermediate.der())),
    );
    let stale_key = write(d, "stale.key", other.leaf.key_pem());
    let outcomes = audit(&[d.to_path_buf()], &AuditOptions::default());
    let names: Vec<_> = outcomes
        .iter()
        .map(|o| o.path.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["shop.key", "shop.pem", "stale.key", "stale.pem"]);
    // A key file alone: its keys counted, compared from the certificate's side.
    for key_file in [&outcomes[0], &outcomes[2]] {
        let contents = key_file.result.as_ref().unwrap();
        assert_eq!(
            (
                contents.certificates.len(),
                contents.private_keys,
                contents.unmatched_keys
            ),
            (0, 1, 0)
        );
    }
    assert_eq!(
        summary(&outcomes[1]),
        vec![
            (sha256(&good.leaf.der), None, KeyPresence::Matched),
            (sha256(&good.intermediate.der()), None, KeyPresence::None),
        ]
    );
    assert_eq!(
        summary(&outcomes[3]),
        vec![
            (
                sha256(&good.leaf.der),
                None,
                KeyPresence::Mismatch(stale_key)
            ),
            (sha256(&good.intermediate.der()), None, KeyPresence::None),
        ]
    );
}

#[test]
fn a_der_key_file_is_matched_too_and_an_unreadable_one_is_noted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = pki("der-key.example", KeyType::Ed25519);
    write(d, "api.crt", &p.leaf.der);
    write(d, "api.key", &p.leaf.key_pkcs8);
    let outcome = audit_one(&d.join("api.crt"), &AuditOptions::default());
    assert_eq!(
        summary(&outcome),
        vec![(sha256(&p.leaf.der), None, KeyPresence::Matched)]
    );

    write(d, "junk.crt", &p.leaf.der);
    let junk = write(d, "junk.key", b"not a key\n");
    let outcome = audit_one(&d.join("junk.crt"), &AuditOptions::default());
    assert_eq!(
        summary(&outcome),
        vec![(sha256(&p.leaf.der), None, KeyPresence::None)]
    );
    let notes = &outcome.result.as_ref().unwrap().notes;
    assert_eq!(notes.len(), 1);
    assert!(matches!(&notes[0], Note::KeyFileUnreadable(path, _) if *path == junk));
    assert_eq!(
        notes[0].to_string(),
        format!(
            "the key file {} next to it was not compared: no certificate found: the file is not PEM, DER, PKCS#7, PKCS#12, JKS or JCEKS",
            junk.display()
        )
    );
}

#[test]
fn a_key_in_the_file_that_matches_no_certificate_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let p = pki("mixed.example", KeyType::P256);
    let stray = pki("stray.example", KeyType::P384);
    let path = write(
        dir.path(),
        "mixed.pem",
        format!(
            "{}{}{}",
            pem(&p.leaf.der),
            p.leaf.key_pem(),
            stray.leaf.key_pem()
        ),
    );
    let outcome = audit_one(&path, &AuditOptions::default());
    assert_eq!(
        summary(&outcome),
        vec![(sha256(&p.leaf.der), None, KeyPresence::Matched)]
    );
    let contents = outcome.result.unwrap();
    assert_eq!((contents.private_keys, contents.unmatched_keys), (2, 1));
    // The file's own key wins: no .key file is looked for.
    assert!(contents.notes.is_empty());
}
