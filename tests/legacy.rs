//! Certificates rustls would refuse in a verifying handshake are still captured and reported:
//! a SHA-1 signature and an Ed448 key, made and served by openssl (rcgen and ring make neither).

mod common;

use certprobe_testkit::{openssl_server, write_temp};
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};

fn openssl(args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success(), "openssl {args:?}");
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn sha1_signed_leaf_is_read_and_its_chain_refused() {
    let ca_key = write_temp("sha1-ca.key", b"");
    let ca = write_temp("sha1-ca.pem", b"");
    let key = write_temp("sha1.key", b"");
    let csr = write_temp("sha1.csr", b"");
    let leaf = write_temp("sha1.pem", b"");
    let ext = write_temp(
        "sha1.ext",
        b"subjectAltName=DNS:sha1.example\nextendedKeyUsage=serverAuth\n",
    );
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &path(&ca_key),
        "-out",
        &path(&ca),
        "-days",
        "30",
        "-subj",
        "/CN=SHA1 Test CA",
    ]);
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &path(&key),
        "-out",
        &path(&csr),
        "-subj",
        "/CN=sha1.example",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-sha1",
        "-in",
        &path(&csr),
        "-CA",
        &path(&ca),
        "-CAkey",
        &path(&ca_key),
        "-CAcreateserial",
        "-days",
        "60",
        "-out",
        &path(&leaf),
        "-extfile",
        &path(&ext),
    ]);
    let read = |p: &Path| std::fs::read_to_string(p).expect("pem");
    let server = openssl_server(&read(&leaf), &read(&ca), &read(&key));
    let port = server.port.to_string();
    let run = check_tls_cert(&[
        "-H",
        "sha1.example",
        "--address",
        "127.0.0.1",
        "-p",
        &port,
        "--ca-file",
        &path(&ca),
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    let doc = run.json();
    assert_eq!(doc["chain"][0]["signature_algorithm"], "SHA1-RSA");
    let signature = doc["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["check"] == "signature").cloned());
    assert_eq!(
        signature,
        Some(
            serde_json::json!({"check": "signature", "state": "CRITICAL", "message": "the certificate is signed with SHA1-RSA, a broken hash"})
        )
    );
    assert_eq!(doc["chain"][0]["common_name"], "sha1.example");
    assert_eq!(
        doc["trust"]["reason"],
        "unsupported or insecure signature algorithm in the chain (for example SHA-1 or RSA below 2048 bits)"
    );
}

#[test]
fn ed448_key_is_reported() {
    let key = write_temp("ed448.key", b"");
    let cert = write_temp("ed448.pem", b"");
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ed448",
        "-nodes",
        "-keyout",
        &path(&key),
        "-out",
        &path(&cert),
        "-days",
        "60",
        "-subj",
        "/CN=ed448.example",
        "-addext",
        "subjectAltName=DNS:ed448.example",
    ]);
    let read = |p: &Path| std::fs::read_to_string(p).expect("pem");
    let server = openssl_server(&read(&cert), "", &read(&key));
    let port = server.port.to_string();
    let run = check_tls_cert(&[
        "-H",
        "ed448.example",
        "--address",
        "127.0.0.1",
        "-p",
        &port,
        "--allow-self-signed",
    ]);
    assert!(run.first_line().starts_with(&format!("TLS_CERT OK - ed448.example:{port} 'ed448.example' issued by 'ed448.example' expires in ")), "{}", run.stdout);
    assert!(
        run.first_line().contains(", Ed448 | days="),
        "{}",
        run.stdout
    );
    assert!(
        run.first_line().contains(" key_bits=448;;;; "),
        "{}",
        run.stdout
    );
    run.assert_line("[OK] certificate is self-signed (allowed)");
    assert_eq!(run.code, 0);
}
