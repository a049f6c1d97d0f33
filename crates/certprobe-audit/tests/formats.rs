//! Every format as the real tools write it (openssl, keytool), read back with the exact
//! certificates (SHA-256), aliases, key presence and notes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on purpose

mod common;

use certprobe_audit::{AuditOptions, FileContents, Format, KeyPresence, Note};
use certprobe_testkit::KeyType;
use common::*;

#[test]
fn pem_chain_with_its_pkcs8_key_is_matched_on_the_leaf() {
    let dir = tempfile::tempdir().unwrap();
    let p = pki("shop.example", KeyType::P256);
    let text = format!(
        "{}{}{}",
        pem(&p.leaf.der),
        pem(&p.intermediate.der()),
        p.leaf.key_pem()
    );
    let path = write(dir.path(), "bundle.crt", text);
    let outcome = audit_one(&path, &AuditOptions::default());
    assert_eq!(outcome.format, Some(Format::Pem));
    assert_eq!(
        summary(&outcome),
        vec![
            (sha256(&p.leaf.der), None, KeyPresence::Matched),
            (sha256(&p.intermediate.der()), None, KeyPresence::None),
        ]
    );
    let contents = outcome.result.unwrap();
    assert_eq!((contents.private_keys, contents.unmatched_keys), (1, 0));
    assert!(contents.notes.is_empty());
}

#[test]
fn traditional_rsa_and_ec_keys_and_ed25519_are_matched() {
    if !openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, key) in [
        ("rsa", KeyType::Rsa(2048)),
        ("ec", KeyType::P384),
        ("ed", KeyType::Ed25519),
    ] {
        let p = pki(&format!("{name}.example"), key);
        let pkcs8 = write(dir.path(), &format!("{name}.p8"), p.leaf.key_pem());
        let traditional = dir.path().join(format!("{name}.trad"));
        if name == "ed" {
            std::fs::copy(&pkcs8, &traditional).unwrap();
        } else {
            run(
                "openssl",
                &[
                    "pkey",
                    "-in",
                    pkcs8.to_str().unwrap(),
                    "-traditional",
                    "-out",
                    traditional.to_str().unwrap(),
                ],
            );
        }
        let key_text = std::fs::read_to_string(&traditional).unwrap();
        let label = match name {
            "rsa" => "-----BEGIN RSA PRIVATE KEY-----",
            "ec" => "-----BEGIN EC PRIVATE KEY-----",
            _ => "-----BEGIN PRIVATE KEY-----",
        };
        assert!(key_text.starts_with(label), "{key_text}");
        let path = write(
            dir.path(),
            &format!("{name}.pem"),
            format!("{key_text}{}", pem(&p.leaf.der)),
        );
        let outcome = audit_one(&path, &AuditOptions::default());
        assert_eq!(
            summary(&outcome),
            vec![(sha256(&p.leaf.der), None, KeyPresence::Matched)],
            "{name}"
        );
    }
}

#[test]
fn an_ed25519_key_without_its_public_key_is_derived_by_ring() {
    if !openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("ed.key.pem");
    let cert = dir.path().join("ed.cert.pem");
    run(
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "ed25519",
            "-out",
            key.to_str().unwrap(),
        ],
    );
    run(
        "openssl",
        &[
            "req",
            "-x509",
            "-key",
            key.to_str().unwrap(),
            "-subj",
            "/CN=ed",
            "-days",
            "2",
            "-out",
            cert.to_str().unwrap(),
        ],
    );
    let both = format!(
        "{}{}",
        std::fs::read_to_string(&cert).unwrap(),
        std::fs::read_to_string(&key).unwrap()
    );
    let path = write(dir.path(), "ed.pem", both);
    let der = der_of_pem(&cert);
    let outcome = audit_one(&path, &AuditOptions::default());
    assert_eq!(
        summary(&outcome),
        vec![(sha256(&der), None, KeyPresence::Matched)]
    );
}

#[test]
fn an_encrypted_pkcs8_key_is_noted_and_not_matched() {
    if !openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = pki("enc.example", KeyType::P256);
    let plain = write(dir.path(), "plain.p8", p.leaf.key_pem());
    let encrypted = dir.path().join("enc.p8");
    run(
        "openssl",
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes256",
            "-in",
            plain.to_str().unwrap(),
            "-passout",
            "pass:s3cret",
            "-out",
            encrypted.to_str().unwrap(),
        ],
    );
    let text = format!(
        "{}{}",
        pem(&p.leaf.der),
        std::fs::read_to_string(&encrypted).unwrap()
    );
    assert!(text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    let path = write(dir.path(), "enc.pem", text);
    let outcome = audit_one(&path, &AuditOptions::default());
    assert_eq!(
        summary(&outcome),
        vec![(sha256(&p.leaf.der), None, KeyPresence::None)]
    );
    let contents = outcome.result.unwrap();
    assert_eq!(contents.notes, vec![Note::EncryptedKeys(1)]);
    assert_eq!(
        contents.notes[0].to_string(),
        "1 encrypted private key could not be read without its password"
    );
    assert_eq!((contents.private_keys, contents.unmatched_keys), (1, 0));
}

#[test]
fn a_der_certificate_is_told_by_content_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let p = pki("der.example", KeyType::P256);
    let path = write(dir.path(), "cert.pem", &p.leaf.der);
    let outcome = audit_one(&path, &AuditOptions::default());
    assert_eq!(outcome.format, Some(Format::Der));
    assert_eq!(
        summary(&outcome),
        vec![(sha256(&p.leaf.der), None, KeyPresence::None)]
    );
    let found = &outcome.result.as_ref().unwrap().certificates[0];
    assert_eq!(
        certprobe::encoding::hex_upper(&found.sha256()),
        sha256(&p.leaf.der)
    );
    // A PEM marker inside a DER certificate's field does not make it PEM.
    let spec =
        certprobe_testkit::LeafSpec::new("tricky.example").cn(Some("-----BEGIN CERTIFICATE-----"));
    let tricky = p.intermediate.issue(&spec);
    let path = write(dir.path(), "tricky.der", &tricky.der);
    let outcome = audit_one(&path, &AuditOptions::default());
    assert_eq!(outcome.format, Some(Format::Der));
    assert_eq!(
        summary(&outcome),
        vec![(sha256(&tricky.der), None, KeyPresence::None)]
    );
}

#[test]
fn pkcs7_bundles_from_openssl_crl2pkcs7_pem_and_der() {
    if !openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = pki("p7.example", KeyType::P256);
    let leaf = write(dir.path(), "leaf.pem", pem(&p.leaf.der));
    let inter = write(dir.path(), "inter.pem", pem(&p.intermediate.der()));
    for (name, outform) in [("bundle.p7b", "PEM"), ("bundle.p7c", "DER")] {
        let out = dir.path().join(name);
        crl2pkcs7(&[&leaf, &inter], outform, &out);
        let outcome = audit_one(&out, &AuditOptions::default());
        assert_eq!(outcome.format, Some(Format::Pkcs7), "{name}");
        assert_eq!(
            summary(&outcome),
            vec![
                (sha256(&p.leaf.der), None, KeyPresence::None),
                (sha256(&p.intermediate.der()), None, KeyPresence::None),
            ],
            "{name}"
        );
    }
}

/// `openssl pkcs12 -export` of the leaf, its key and the intermediate; `extra` options.
fn export_p12(
    dir: &std::path::Path,
    p: &Pki,
    name: &str,
    password: &str,
    extra: &[&str],
) -> std::path::PathBuf {
    let leaf = write(dir, "p12-leaf.pem", pem(&p.leaf.der));
    let key = write(dir, "p12-leaf.keyfile", p.leaf.key_pem());
    let inter = write(dir, "p12-inter.pem", pem(&p.intermediate.der()));
    let out = dir.join(name);
    let mut args = vec!["-certfile", inter.to_str().unwrap(), "-name", "shop"];
    args.extend_from_slice(extra);
    pkcs12_export(&leaf, &key, password, &out, &args);
    for f in ["p12-leaf.pem", "p12-leaf.keyfile", "p12-inter.pem"] {
        std::fs::remove_file(dir.join(f)).unwrap();
    }
    out
}

fn assert_p12(outcome: &certprobe_audit::FileOutcome, p: &Pki) {
    assert_eq!(outcome.format, Some(Format::Pkcs12));
    assert_eq!(
        summary(outcome),
        vec![
            (
                sha256(&p.leaf.der),
                Some("shop".into()),
                KeyPresence::Matched
            ),
            (sha256(&p.intermediate.der()), None, KeyPresence::None),
        ]
    );
    let contents: &FileContents = outcome.result.as_ref().unwrap();
    assert_eq!((contents.private_keys, contents.unmatched_keys), (1, 0));
}

#[test]
fn pkcs12_default_aes_and_legacy_3des_rc2_are_read_with_the_password() {
    if !openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = pki("p12.example", KeyType::P256);
    let modern = export_p12(dir.path(), &p, "modern.p12", "s3cret", &[]);
    assert_p12(&audit_one(&modern, &with_password("s3cret")), &p);
    let legacy_works = std::process::Command::new("openssl")
        .args(["list", "-providers", "-provider", "legacy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if legacy_works {
        let legacy = export_p12(dir.path(), &p, "legacy.pfx", "s3cret", &["-legacy"]);
        assert_p12(&audit_one(&legacy, &with_password("s3cret")), &p);
    } else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "openssl has no legacy provider"
        );
        eprintln!("SKIPPED: openssl has no legacy provider (-legacy)");
    }
    // An empty password is tried when none is given, as openssl does.
    let open = export_p12(dir.path(), &p, "open.p12", "", &[]);
    assert_p12(&audit_one(&open, &AuditOptions::default()), &p);
}

#[test]
fn pkcs12_with_a_wrong_or_missing_password_says_so() {
    if !openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = pki("p12bad.example", KeyType::P256);
    let path = export_p12(dir.path(), &p, "shop.pfx", "right", &[]);
    let wrong = audit_one(&path, &with_password("wrong"));
    assert_eq!(wrong.format, Some(Format::Pkcs12));
    assert_eq!(
        error_of(&wrong),
        "bad password: the PKCS#12 file's integrity check (MAC) fails with the password given"
    );
    assert_eq!(
        error_of(&audit_one(&path, &AuditOptions::default())),
        "password needed: the PKCS#12 file is protected by a password and none was given"
    );
    let not_text = AuditOptions {
        password: Some(certprobe_audit::Secret::new(vec![0xff, 0xfe])),
        ..AuditOptions::default()
    };
    assert_eq!(
        error_of(&audit_one(&path, &not_text)),
        "the password given is not UTF-8 text, as PKCS#12 and keystore passwords must be"
    );
    // The password is in no value returned.
    assert!(!format!("{wrong:?}").contains("wrong"));
}

fn der_of_pem(path: &std::path::Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    certprobe::encoding::unbase64(&body).unwrap()
}

#[test]
fn java_keystores_jks_and_jceks_from_keytool_without_and_with_the_password() {
    if !keytool() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = pki("jks.example", KeyType::P256);
    let root = write(dir.path(), "root.der", p.root.der());
    let inter = write(dir.path(), "inter.der", p.intermediate.der());
    for (kind, format) in [("JKS", Format::Jks), ("JCEKS", Format::Jceks)] {
        let store = Keystore::new(dir.path().join(format!("trust.{kind}")), kind);
        for (alias, file) in [("audit root", &root), ("inter", &inter)] {
            store.import_cert(alias, file);
        }
        let expected = vec![
            // keytool lowercases aliases; the store keeps them in its hash order.
            (
                sha256(&p.root.der()),
                Some("audit root".to_string()),
                KeyPresence::None,
            ),
            (
                sha256(&p.intermediate.der()),
                Some("inter".to_string()),
                KeyPresence::None,
            ),
        ];
        let sorted = |outcome: &certprobe_audit::FileOutcome| {
            let mut s = summary(outcome);
            s.sort_by(|a, b| a.1.cmp(&b.1));
            s
        };
        let without = audit_one(&store.path, &AuditOptions::default());
        assert_eq!(without.format, Some(format));
        assert_eq!(sorted(&without), expected, "{kind}");
        let contents = without.result.as_ref().unwrap();
        assert_eq!(contents.notes, vec![Note::IntegrityNotVerified]);
        assert_eq!(
            contents.notes[0].to_string(),
            "integrity not verified: no keystore password was given"
        );
        let with = audit_one(&store.path, &with_password("changeit"));
        assert_eq!(sorted(&with), expected, "{kind}");
        assert_eq!(
            with.result.as_ref().unwrap().notes,
            vec![Note::IntegrityVerified]
        );
        assert_eq!(
            error_of(&audit_one(&store.path, &with_password("wrong"))),
            "bad password: the keystore's integrity digest does not match with the password given (or the file was altered)"
        );
    }
}

/// keytool as an admin uses it: a CA store, a server key whose request the CA signs, the
/// CA imported as trusted and the reply installed: the key entry's chain is [server, CA].
#[test]
fn a_jks_private_key_entry_lists_its_chain_and_the_password_opens_the_key() {
    if !keytool() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let ca_store = Keystore::new(path("ca.jks"), "JKS");
    let server_store = Keystore::new(path("server.jks"), "JKS");
    ca_store.genkeypair("ca", EC_P384, "CN=Audit CA", &["-ext", "bc:c"]);
    server_store.genkeypair("server", RSA_2048, "CN=server.example", &[]);
    server_store.keytool_with_key(&["-certreq", "-alias", "server", "-file", &path("server.csr")]);
    ca_store.keytool_with_key(&[
        "-gencert",
        "-alias",
        "ca",
        "-infile",
        &path("server.csr"),
        "-outfile",
        &path("server.cer"),
        "-validity",
        "20",
    ]);
    let ca_cer = write(dir.path(), "ca.cer", ca_store.export_cert("ca"));
    server_store.import_cert("ca", &ca_cer);
    // The CA's reply to the request, installed over the key entry: its password opens it.
    server_store.keytool_with_key(&[
        "-importcert",
        "-noprompt",
        "-alias",
        "server",
        "-file",
        &path("server.cer"),
    ]);
    let ca = sha256(&std::fs::read(&ca_cer).unwrap());
    let server = sha256(&std::fs::read(path("server.cer")).unwrap());
    let sorted = |outcome: &certprobe_audit::FileOutcome| {
        let mut s = summary(outcome);
        s.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
        s
    };
    let ordered = |mut rows: Vec<(String, Option<String>, KeyPresence)>| {
        rows.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
        rows
    };
    let with = audit_one(&server_store.path, &with_password("changeit"));
    assert_eq!(with.format, Some(Format::Jks));
    assert_eq!(
        sorted(&with),
        ordered(vec![
            (ca.clone(), Some("ca".into()), KeyPresence::None),
            (server.clone(), Some("server".into()), KeyPresence::Matched),
            (ca.clone(), Some("server".into()), KeyPresence::None),
        ])
    );
    let contents = with.result.as_ref().unwrap();
    assert_eq!((contents.private_keys, contents.unmatched_keys), (1, 0));
    assert_eq!(contents.notes, vec![Note::IntegrityVerified]);
    // Without the password the key stays closed: present in the store, not compared.
    let without = audit_one(&server_store.path, &AuditOptions::default());
    assert_eq!(
        sorted(&without),
        ordered(vec![
            (ca.clone(), Some("ca".into()), KeyPresence::None),
            (server, Some("server".into()), KeyPresence::InStore),
            (ca, Some("server".into()), KeyPresence::None),
        ])
    );
    let contents = without.result.as_ref().unwrap();
    assert_eq!((contents.private_keys, contents.unmatched_keys), (1, 0));
    assert_eq!(contents.notes, vec![Note::IntegrityNotVerified]);
}

/// An EC key from keytool: Java stores no public point in it, ring matches the scalar.
#[test]
fn a_jks_ec_key_without_its_public_point_is_matched_by_ring() {
    if !keytool() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Keystore::new(dir.path().join("ec.jks"), "JKS");
    store.genkeypair("ec", EC_P256, "CN=ec.example", &[]);
    let der = store.export_cert("ec");
    let outcome = audit_one(&store.path, &with_password("changeit"));
    assert_eq!(
        summary(&outcome),
        vec![(sha256(&der), Some("ec".into()), KeyPresence::Matched)]
    );
}

#[test]
fn a_jceks_secret_key_entry_ends_the_listing_with_a_note() {
    if !keytool() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = pki("jceks.example", KeyType::P256);
    let keystore = Keystore::new(dir.path().join("secrets.jceks"), "JCEKS");
    let root = write(dir.path(), "root.der", p.root.der());
    keystore.keytool_with_key(&[
        "-genseckey",
        "-alias",
        "aes",
        "-keyalg",
        "AES",
        "-keysize",
        "128",
    ]);
    keystore.import_cert("audit root", &root);
    // Java's hash order puts "aes" first: the certificate after it is not listed.
    let outcome = audit_one(&keystore.path, &with_password("changeit"));
    assert_eq!(outcome.format, Some(Format::Jceks));
    let contents = outcome.result.unwrap();
    assert!(contents.certificates.is_empty());
    assert_eq!(
        contents.notes,
        vec![
            Note::IntegrityVerified,
            Note::StoppedAtSecretKey("aes".into())
        ]
    );
    assert_eq!(
        contents.notes[1].to_string(),
        "the secret key entry 'aes' cannot be read here: the entries after it are not listed"
    );
}

/// Java's own PKCS#12 (keytool's default store type since Java 9): PBES2 with HMAC-SHA256
/// and AES-256, an EC key without its public point.
#[test]
fn a_pkcs12_from_keytool_is_read_and_its_ec_key_matched() {
    if !keytool() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let keystore = Keystore::new(dir.path().join("tomcat.p12"), "PKCS12");
    keystore.genkeypair("tomcat", EC_P384, "CN=tomcat.example", &[]);
    let der = keystore.export_cert("tomcat");
    let outcome = audit_one(&keystore.path, &with_password("changeit"));
    assert_eq!(outcome.format, Some(Format::Pkcs12));
    assert_eq!(
        summary(&outcome),
        vec![(sha256(&der), Some("tomcat".into()), KeyPresence::Matched)]
    );
    assert_eq!(
        error_of(&audit_one(&keystore.path, &AuditOptions::default())),
        "password needed: the PKCS#12 file is protected by a password and none was given"
    );
}
