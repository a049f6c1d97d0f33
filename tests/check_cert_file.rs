//! check_cert_file as a monitoring system runs it: files made at test time (a chain, an
//! expiring leaf, a name, a folder with junk, a PKCS#12 made by openssl), every line and exit
//! code exact.

mod common;

use certprobe_testkit::{pem, LeafSpec};
use common::{date, perfdata, run_plugin, Run};
use std::path::Path;

/// The SHA-1 thumbprint as PRTG shows it: upper-case hex.
fn sha1_hex(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    digest.as_ref().iter().map(|b| format!("{b:02X}")).collect()
}

fn check_cert_file(args: &[&str]) -> Run {
    run_plugin(env!("CARGO_BIN_EXE_check_cert_file"), args)
}

/// A leaf of the test intermediate for `name`, `days` valid, written with its issuer to `path`.
fn chain_file(path: &Path, name: &str, days: f64) -> certprobe_testkit::Leaf {
    let pki = common::pki();
    let leaf = pki
        .intermediate
        .issue(&LeafSpec::new(name).valid_until(days));
    std::fs::write(
        path,
        format!("{}{}", pem(&leaf.der), pki.intermediate.pem()),
    )
    .unwrap();
    leaf
}

#[test]
fn one_file_prints_as_check_tls_cert_would() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.pem");
    let leaf = chain_file(&path, "shop.example", 60.25);
    let file = path.display().to_string();
    let ca = common::root_file();
    let run = check_cert_file(&[&file, "--ca-file", &ca]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.first_line(),
        format!(
            "CERT_FILE OK - 'shop.example' issued by '{}' expires in 60.25 days on {}, ECDSA P-256 | {}",
            common::INTERMEDIATE_CN,
            date(leaf.not_after),
            perfdata("60.25", 256)
        )
    );
    run.assert_line(&format!("[OK] chain is trusted ({ca})"));

    // The name, when asked for, is checked as the host of check_tls_cert.
    let run = check_cert_file(&[&file, "--ca-file", &ca, "--name", "www.example"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.first_line(),
        format!(
            "CERT_FILE CRITICAL - name 'www.example' does not match the certificate (SAN DNS:shop.example; CN shop.example) | {}",
            perfdata("60.25", 256)
        )
    );

    // The thresholds of check_tls_cert.
    let run = check_cert_file(&[&file, "-w", "90", "-c", "7", "--ca-file", &ca]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.first_line(),
        format!(
            "CERT_FILE WARNING - certificate expires in 60.25 days on {} | days=60.25;90:;7:;; key_bits=256;;;; days_chain_elem1=60.25;90:;7:;; days_chain_elem2=1825.00;90:;7:;;",
            date(leaf.not_after)
        )
    );
}

#[test]
fn a_folder_is_its_certificates_the_worst_winning() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let shop = chain_file(&root.join("shop.pem"), "shop.example", 60.25);
    let soon = chain_file(&root.join("soon.pem"), "soon.example", 5.25);
    std::fs::write(root.join("README"), "not a certificate\n").unwrap();
    std::fs::write(root.join("broken.der"), [0x30, 0x82, 0x05]).unwrap();
    let top = root.display().to_string();
    let ca = common::root_file();
    let run = check_cert_file(&[&top, "--ca-file", &ca]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.first_line(),
        format!(
            "CERT_FILE CRITICAL - 1 of 3 certificates CRITICAL: {top}/soon.pem certificate expires in 5.25 days on {} | '{top}/shop.pem days'=60.25;30:;7:;; '{top}/shop.pem key_bits'=256;;;; '{top}/shop.pem days_chain_elem1'=60.25;30:;7:;; '{top}/shop.pem days_chain_elem2'=1825.00;30:;7:;; '{top}/soon.pem days'=5.25;30:;7:;; '{top}/soon.pem key_bits'=256;;;; '{top}/soon.pem days_chain_elem1'=5.25;30:;7:;; '{top}/soon.pem days_chain_elem2'=1825.00;30:;7:;;",
            date(soon.not_after)
        )
    );
    assert_eq!(
        run.lines()[1..],
        [
            format!("[UNKNOWN] {top}/broken.der truncated or corrupt DER file: the DER data: truncated length"),
            format!(
                "[OK] {top}/shop.pem 'shop.example' issued by '{}' expires in 60.25 days on {}, ECDSA P-256",
                common::INTERMEDIATE_CN,
                date(shop.not_after)
            ),
            format!(
                "[CRITICAL] {top}/soon.pem certificate expires in 5.25 days on {}",
                date(soon.not_after)
            ),
        ]
    );

    // PRTG: the worst certificate's sensor, its days the fewest of all.
    let run = check_cert_file(&[&top, "--ca-file", &ca, "-o", "prtg-json"]);
    assert_eq!(run.code, 0);
    let prtg = run.json();
    assert_eq!(common::channel(&prtg, "Days to Expiration")["value"], 5);
    assert_eq!(
        prtg["prtg"]["text"],
        format!(
            "CRITICAL. 3 certificates (1 CRITICAL, 1 UNKNOWN, 1 OK); {top}/soon.pem: Certificate Common Name: soon.example - Certificate Thumbprint: {} - Issuer: {} - Expires: {d} - Alarm Tier: Critical - CRITICAL: certificate expires in 5.25 days on {d}",
            sha1_hex(&soon.der),
            common::INTERMEDIATE_CN,
            d = date(soon.not_after)
        )
    );
}

#[test]
fn a_pkcs12_needs_its_password_from_a_file_and_never_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let leaf = common::pki()
        .intermediate
        .issue(&LeafSpec::new("vault.example").valid_until(40.25));
    let store = dir.path().join("vault.p12");
    common::pkcs12(&store, &leaf, "s3cret");
    let password = dir.path().join("password");
    std::fs::write(&password, "s3cret\n").unwrap();
    let file = store.display().to_string();
    let ca = common::root_file();

    let run = check_cert_file(&[&file, "--ca-file", &ca]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stdout,
        format!("CERT_FILE UNKNOWN - {file}: password needed: the PKCS#12 file is protected by a password and none was given\n")
    );

    let pw = password.display().to_string();
    let run = check_cert_file(&[&file, "--ca-file", &ca, "--password-file", &pw]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run
        .first_line()
        .starts_with("CERT_FILE OK - 'vault.example' issued by"));
    run.assert_line("[OK] its private key was found with it");
    assert!(!run.stdout.contains("s3cret"));
}
