//! check_tls_cert end to end: the real binary against in-process rustls servers (and
//! openssl s_server for RSA-1024), one certificate scenario per test, exact output asserted.

mod common;

use certprobe_testkit::{openssl_server, pem, serve, KeyType, LeafSpec};
use common::*;

#[test]
fn good_chain_is_ok_with_exact_output() {
    let (server, leaf) = serve_leaf(&LeafSpec::new("good.example"));
    let run = check_name("good.example", server.port, &[]);
    let p = server.port;
    let d = date(leaf.not_after);
    assert_eq!(
        run.stdout,
        format!(
            "TLS_CERT OK - good.example:{p} 'good.example' issued by '{INTERMEDIATE_CN}' expires in 90.25 days on {d}, ECDSA P-256 | {}\n\
             [OK] certificate expires in 90.25 days on {d}\n\
             [OK] alarm tier OK: expires in more than 90 days\n\
             [OK] name 'good.example' matches DNS:good.example\n\
             [OK] chain is trusted ({})\n\
             [OK] chain as built: good.example > {INTERMEDIATE_CN} > {ROOT_CN} (trust anchor)\n\
             [OK] key is ECDSA P-256\n\
             [OK] signatures use ECDSA-SHA256\n\
             [OK] negotiated TLSv1.3 with TLS13_AES_256_GCM_SHA384\n\
             [OK] revocation not checked: the certificate names no OCSP responder or CRL distribution point\n",
            perfdata("90.25", 256),
            root_file()
        )
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.stderr, "");
}

#[test]
fn expired_certificate_is_critical() {
    let (server, leaf) = serve_leaf(
        &LeafSpec::new("expired.example")
            .valid_from(-60.0)
            .valid_until(-3.25),
    );
    let run = check_name("expired.example", server.port, &[]);
    let d = date(leaf.not_after);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.first_line(),
        format!(
            "TLS_CERT CRITICAL - expired.example:{} certificate expired 3.25 days ago on {d}; \
             chain is not trusted: expired element: chain element 1 ('expired.example') expired on {d} | {}",
            server.port,
            perfdata("-3.25", 256)
        )
    );
    run.assert_line(&format!(
        "[CRITICAL] certificate expired 3.25 days ago on {d}"
    ));
}

#[test]
fn five_days_left_is_critical() {
    let (server, leaf) = serve_leaf(&LeafSpec::new("soon.example").valid_until(5.25));
    let run = check_name("soon.example", server.port, &[]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.first_line(),
        format!(
            "TLS_CERT CRITICAL - soon.example:{} certificate expires in 5.25 days on {} | {}",
            server.port,
            date(leaf.not_after),
            perfdata("5.25", 256)
        )
    );
}

#[test]
fn twenty_days_left_is_warning() {
    let (server, leaf) = serve_leaf(&LeafSpec::new("later.example").valid_until(20.25));
    let run = check_name("later.example", server.port, &[]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.first_line(),
        format!(
            "TLS_CERT WARNING - later.example:{} certificate expires in 20.25 days on {} | {}",
            server.port,
            date(leaf.not_after),
            perfdata("20.25", 256)
        )
    );
}

#[test]
fn thresholds_follow_warning_and_critical_options() {
    let (server, _) = serve_leaf(&LeafSpec::new("later.example").valid_until(20.25));
    let ok = check_name("later.example", server.port, &["-w", "20", "-c", "10"]);
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    assert!(ok.first_line().ends_with("| days=20.25;20:;10:;; key_bits=256;;;; days_chain_elem1=20.25;20:;10:;; days_chain_elem2=1825.00;20:;10:;;"));
    let fractional = check_name("later.example", server.port, &["-w", "40.5", "-c", "20.5"]);
    assert_eq!(fractional.code, 2, "{}", fractional.stdout);
    assert!(fractional.first_line().contains("days=20.25;40.5:;20.5:;;"));
}

#[test]
fn not_yet_valid_is_critical() {
    let spec = LeafSpec::new("future.example")
        .valid_from(2.0)
        .valid_until(90.0);
    let (server, leaf) = serve_leaf(&spec);
    let run = check_name("future.example", server.port, &[]);
    assert_eq!(run.code, 2);
    let not_before = certprobe::analysis::CertFacts::parse(&leaf.der)
        .unwrap()
        .not_before;
    assert!((not_before - certprobe_testkit::now() - 2 * 86_400).abs() <= 2);
    let from = date(not_before);
    run.assert_line(&format!(
        "[CRITICAL] certificate is not yet valid: valid from {from}"
    ));
    run.assert_line(&format!("[CRITICAL] chain is not trusted: element not yet valid: chain element 1 ('future.example') is valid from {from}"));
}

#[test]
fn self_signed_is_critical_unless_allowed() {
    let leaf = LeafSpec::new("self.example").self_signed();
    let server = serve(vec![leaf.der.clone()], leaf.key_pkcs8.clone());
    let port = server.port.to_string();
    let args = ["-H", "self.example", "--address", "127.0.0.1", "-p", &port];
    let run = check_tls_cert(&args);
    assert_eq!(run.code, 2);
    let d = date(leaf.not_after);
    assert_eq!(
        run.stdout,
        format!(
            "TLS_CERT CRITICAL - self.example:{port} certificate is self-signed | days=90.25;30:;7:;; key_bits=256;;;; days_chain_elem1=90.25;30:;7:;;\n\
             [OK] certificate expires in 90.25 days on {d}\n\
             [OK] alarm tier OK: expires in more than 90 days\n\
             [OK] name 'self.example' matches DNS:self.example\n\
             [CRITICAL] certificate is self-signed\n\
             [OK] key is ECDSA P-256\n\
             [OK] signatures use ECDSA-SHA256\n\
             [OK] negotiated TLSv1.3 with TLS13_AES_256_GCM_SHA384\n"
        )
    );
    let allowed = check_tls_cert(&[&args[..], &["--allow-self-signed"]].concat());
    assert_eq!(allowed.code, 0, "{}", allowed.stdout);
    allowed.assert_line("[OK] certificate is self-signed (allowed)");

    let prtg = check_tls_cert(&[&args[..], &["--output", "prtg-json"]].concat()).json();
    assert_eq!(channel(&prtg, "Self-Signed")["value"], 1);
    assert_eq!(channel(&prtg, "Root Authority Trusted")["value"], 1);
}

#[test]
fn self_signed_given_by_ca_file_is_trusted() {
    let leaf = LeafSpec::new("pinned.example").self_signed();
    let server = serve(vec![leaf.der.clone()], leaf.key_pkcs8.clone());
    let file = certprobe_testkit::write_temp("pinned.pem", pem(&leaf.der).as_bytes());
    let port = server.port.to_string();
    let run = check_tls_cert(&[
        "-H",
        "pinned.example",
        "--address",
        "127.0.0.1",
        "-p",
        &port,
        "--ca-file",
        &file.display().to_string(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    run.assert_line("[OK] certificate is self-signed (trusted through --ca-file)");
    run.assert_line(&format!("[OK] chain is trusted ({})", file.display()));
}

#[test]
fn wrong_host_is_critical() {
    let (server, _) = serve_leaf(&LeafSpec::new("right.example"));
    let run = check_name("wrong.example", server.port, &[]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.first_line(),
        format!(
            "TLS_CERT CRITICAL - wrong.example:{} name 'wrong.example' does not match the certificate (SAN DNS:right.example; CN right.example) | {}",
            server.port,
            perfdata("90.25", 256)
        )
    );
    let skipped = check_name("wrong.example", server.port, &["--name-check", "none"]);
    assert_eq!(skipped.code, 0, "{}", skipped.stdout);
}

#[test]
fn sni_option_sets_the_checked_name() {
    let (server, _) = serve_leaf(&LeafSpec::new("vhost.example"));
    let port = server.port.to_string();
    let root = root_file();
    let run = check_tls_cert(&[
        "-H",
        "127.0.0.1",
        "--sni",
        "vhost.example",
        "-p",
        &port,
        "--ca-file",
        &root,
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.first_line().starts_with(&format!(
        "TLS_CERT OK - 127.0.0.1:{port} 'vhost.example' issued by"
    )));
    run.assert_line("[OK] name 'vhost.example' matches DNS:vhost.example");
}

#[test]
fn wildcard_covers_exactly_one_label() {
    let spec = LeafSpec::new("*.wild.example");
    let (server, _) = serve_leaf(&spec);
    let one = check_name("a.wild.example", server.port, &[]);
    assert_eq!(one.code, 0, "{}", one.stdout);
    one.assert_line("[OK] name 'a.wild.example' matches DNS:*.wild.example");
    for name in ["a.b.wild.example", "wild.example"] {
        let run = check_name(name, server.port, &[]);
        assert_eq!(run.code, 2, "{name}: {}", run.stdout);
        run.assert_line(&format!("[CRITICAL] name '{name}' does not match the certificate (SAN DNS:*.wild.example; CN *.wild.example)"));
    }
}

#[test]
fn cn_only_certificate_matches_by_cn() {
    let (server, _) = serve_leaf(&LeafSpec::new("cnonly.example").dns(&[]));
    let run = check_name("cnonly.example", server.port, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    run.assert_line("[OK] name 'cnonly.example' matches CN:cnonly.example");
    run.assert_line(
        "[WARNING] the certificate has no subjectAltName: browsers, Go and rustls ignore the CN",
    );
    let allowed = check_name("cnonly.example", server.port, &["--allow-empty-san"]);
    assert_eq!(allowed.code, 0, "{}", allowed.stdout);
    allowed.assert_line("[OK] the certificate has no subjectAltName (allowed)");
}

#[test]
fn cn_mode_ignores_sans() {
    let spec = LeafSpec::new("cn.example").dns(&["cn.example", "other.example"]);
    let (server, _) = serve_leaf(&spec);
    let run = check_name("other.example", server.port, &["--name-check", "cn"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    run.assert_line(
        "[CRITICAL] name 'other.example' does not match the certificate (CN cn.example)",
    );
}

#[test]
fn ip_literal_matches_ip_san_without_sni() {
    let spec = LeafSpec::new("ip")
        .cn(None)
        .dns(&[])
        .ips(&["127.0.0.1".parse().unwrap()]);
    let (server, _) = serve_leaf(&spec);
    let port = server.port.to_string();
    let root = root_file();
    let run = check_tls_cert(&["-H", "127.0.0.1", "-p", &port, "--ca-file", &root]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    run.assert_line("[OK] name '127.0.0.1' matches IP:127.0.0.1");
    let json = check_tls_cert(&[
        "-H",
        "127.0.0.1",
        "-p",
        &port,
        "--ca-file",
        &root,
        "-o",
        "json",
    ])
    .json();
    assert_eq!(json["target"]["sni"], serde_json::Value::Null);
    assert_eq!(json["chain"][0]["ip_addresses"][0], "127.0.0.1");
}

#[test]
fn idn_host_is_checked_in_ascii_form() {
    let (server, _) = serve_leaf(&LeafSpec::new("xn--bcher-kva.example"));
    let run = check_name("bücher.example", server.port, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    run.assert_line("[OK] name 'xn--bcher-kva.example' matches DNS:xn--bcher-kva.example");
}

#[test]
fn rsa_1024_is_read_and_warned_about() {
    let pki = pki();
    let leaf = pki
        .intermediate
        .issue(&LeafSpec::new("weak.example").key(KeyType::Rsa(1024)));
    let server = openssl_server(&pem(&leaf.der), &pki.intermediate.pem(), &leaf.key_pem());
    let run = check_name("weak.example", server.port, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.first_line(),
        format!("TLS_CERT WARNING - weak.example:{} key is RSA 1024 bits, below the minimum of 2048 bits | {}", server.port, perfdata("90.25", 1024))
    );
    let strict = check_name("weak.example", server.port, &["--min-key-bits", "2048"]);
    assert_eq!(strict.code, 2, "{}", strict.stdout);
    let prtg = check_name("weak.example", server.port, &["-o", "prtg-json"]).json();
    assert_eq!(
        channel_values(&prtg)[2],
        (
            "Public Key Length".into(),
            1024,
            "prtg.standardlookups.sslcertificatesensor.publickey".into()
        )
    );
}

#[test]
fn rsa_2048_and_4096_are_ok() {
    for bits in [2048, 4096] {
        let (server, leaf) = serve_leaf(&LeafSpec::new("rsa.example").key(KeyType::Rsa(bits)));
        let run = check_name("rsa.example", server.port, &[]);
        assert_eq!(run.code, 0, "{}", run.stdout);
        assert!(
            run.first_line().contains(&format!(
                "expires in 90.25 days on {}, RSA {bits} bits | ",
                date(leaf.not_after)
            )),
            "{}",
            run.first_line()
        );
        run.assert_line(&format!("[OK] key is RSA {bits} bits"));
        assert!(run.first_line().contains(&format!("key_bits={bits};;;;")));
        let weak = check_name("rsa.example", server.port, &["--min-key-bits", "3072"]);
        assert_eq!(
            weak.code,
            if bits < 3072 { 2 } else { 0 },
            "{}",
            weak.stdout
        );
    }
}

#[test]
fn ecdsa_p384_and_ed25519_keys_are_reported() {
    for (key, text, bits, lookup) in [
        (KeyType::P384, "ECDSA P-384", 384, "publickeyecc"),
        (KeyType::Ed25519, "Ed25519", 256, "publickeyecc"),
    ] {
        let (server, _) = serve_leaf(&LeafSpec::new("ec.example").key(key));
        let run = check_name("ec.example", server.port, &[]);
        assert_eq!(run.code, 0, "{}", run.stdout);
        run.assert_line(&format!("[OK] key is {text}"));
        assert!(
            run.first_line().contains(&format!(
                ", {text} | days=90.25;30:;7:;; key_bits={bits};;;;"
            )),
            "{}",
            run.first_line()
        );
        let prtg = check_name("ec.example", server.port, &["-o", "prtg-json"]).json();
        assert_eq!(channel(&prtg, "Public Key Length")["value"], bits);
        assert_eq!(
            channel(&prtg, "Public Key Length")["valuelookup"],
            format!("prtg.standardlookups.sslcertificatesensor.{lookup}")
        );
    }
}

#[test]
fn missing_intermediate_is_named() {
    let pki = pki();
    let leaf = pki.intermediate.issue(&LeafSpec::new("lonely.example"));
    let server = serve(vec![leaf.der.clone()], leaf.key_pkcs8.clone());
    let run = check_name("lonely.example", server.port, &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.first_line(),
        format!(
            "TLS_CERT CRITICAL - lonely.example:{} chain is not trusted: missing intermediate: the issuer '{INTERMEDIATE_CN}' of the leaf was not sent and is not a trusted root | days=90.25;30:;7:;; key_bits=256;;;; days_chain_elem1=90.25;30:;7:;;",
            server.port
        )
    );
}

#[test]
fn unknown_root_is_untrusted_until_given_by_ca_file() {
    let (server, _) = serve_leaf(&LeafSpec::new("private.example"));
    let port = server.port.to_string();
    let base = [
        "-H",
        "private.example",
        "--address",
        "127.0.0.1",
        "-p",
        &port,
    ];
    let run = check_tls_cert(&base);
    assert_eq!(run.code, 2, "{}", run.stdout);
    let reason = format!("chain is not trusted: unknown issuer: '{ROOT_CN}', issuer of '{INTERMEDIATE_CN}', is not a trusted root (nor was it sent)");
    assert_eq!(
        run.first_line(),
        format!(
            "TLS_CERT CRITICAL - private.example:{port} {reason} | {}",
            perfdata("90.25", 256)
        )
    );
    run.assert_line(&format!("[CRITICAL] {reason}"));

    let tolerated = check_tls_cert(&[&base[..], &["--allow-untrusted"]].concat());
    assert_eq!(tolerated.code, 1, "{}", tolerated.stdout);
    tolerated.assert_line(&format!("[WARNING] {reason}"));

    let root = root_file();
    let trusted = check_tls_cert(&[&base[..], &["--ca-file", &root]].concat());
    assert_eq!(trusted.code, 0, "{}", trusted.stdout);
}

#[test]
fn leaf_without_server_auth_is_untrusted() {
    let (server, _) = serve_leaf(&LeafSpec::new("client.example").server_auth(false));
    let run = check_name("client.example", server.port, &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    run.assert_line("[CRITICAL] chain is not trusted: not valid for server authentication: the extended key usage lacks serverAuth");
}

#[test]
fn intermediate_expiring_before_the_leaf_is_reported() {
    let pki = pki();
    let short = pki.root.intermediate("certprobe Short Intermediate", 12.25);
    let leaf = short.issue(&LeafSpec::new("short.example"));
    let server = serve(vec![leaf.der.clone(), short.der()], leaf.key_pkcs8.clone());
    let run = check_name("short.example", server.port, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.first_line(),
        format!(
            "TLS_CERT WARNING - short.example:{} chain element 2 ('certprobe Short Intermediate') expires before the leaf, in 12.25 days on {} | days=90.25;30:;7:;; key_bits=256;;;; days_chain_elem1=90.25;30:;7:;; days_chain_elem2=12.25;30:;7:;;",
            server.port,
            date(short.not_after)
        )
    );
}

#[test]
fn prtg_json_matches_the_builtin_sensor_channels() {
    let (server, leaf) = serve_leaf(&LeafSpec::new("prtg.example"));
    let run = check_name("prtg.example", server.port, &["--output", "prtg-json"]);
    assert_eq!(run.code, 0);
    let prtg = run.json();
    assert_eq!(channel_values(&prtg), good_channels(0));
    let days = channel(&prtg, "Days to Expiration");
    assert_eq!(days["unit"], "Count");
    assert_eq!(days["limitmode"], 1);
    assert_eq!(days["limitminwarning"], 30);
    assert_eq!(days["limitminerror"], 7);
    let sha1 = certprobe::encoding::hex_upper(ring_sha1(&leaf.der).as_slice());
    assert_eq!(
        prtg["prtg"]["text"],
        format!(
            "OK. Certificate Common Name: prtg.example - Certificate Thumbprint: {sha1} - Issuer: {INTERMEDIATE_CN} - Expires: {} - Alarm Tier: OK",
            date(leaf.not_after)
        )
    );
}

#[test]
fn prtg_common_name_check_values() {
    let (server, _) = serve_leaf(&LeafSpec::new("cn.example"));
    let port = server.port.to_string();
    let root = root_file();
    let value = |extra: &[&str]| {
        let base = [
            "--address",
            "127.0.0.1",
            "-p",
            &port,
            "--ca-file",
            &root,
            "-o",
            "prtg-json",
        ];
        check_tls_cert(&[&base[..], extra].concat()).json()["prtg"]["result"][1]["value"]
            .as_i64()
            .unwrap_or(-1)
    };
    assert_eq!(value(&["-H", "cn.example", "--name-check", "cn"]), 0);
    assert_eq!(value(&["-H", "no.example", "--name-check", "cn"]), 1);
    assert_eq!(value(&["-H", "cn.example", "--name-check", "none"]), 2);
    assert_eq!(
        value(&[
            "-H",
            "cn.example",
            "--sni",
            "cn.example",
            "--name-check",
            "cn"
        ]),
        3
    );
    assert_eq!(
        value(&[
            "-H",
            "cn.example",
            "--sni",
            "no.example",
            "--name-check",
            "cn"
        ]),
        4
    );
    assert_eq!(value(&["-H", "cn.example"]), 5);
    assert_eq!(value(&["-H", "no.example"]), 6);
}

#[test]
fn prtg_expired_certificate_is_negative_days() {
    let (server, _) = serve_leaf(
        &LeafSpec::new("old.example")
            .valid_from(-60.0)
            .valid_until(-3.25),
    );
    let prtg = check_name("old.example", server.port, &["-o", "prtg-json"]).json();
    assert_eq!(channel(&prtg, "Days to Expiration")["value"], -4);
    assert_eq!(channel(&prtg, "Root Authority Trusted")["value"], 1);
    assert!(prtg["prtg"]["text"]
        .as_str()
        .unwrap_or("")
        .starts_with("CRITICAL. Certificate Common Name: old.example - "));
}

#[test]
fn json_output_carries_the_whole_report() {
    let (server, leaf) = serve_leaf(&LeafSpec::new("json.example"));
    let run = check_name("json.example", server.port, &["--output", "json"]);
    assert_eq!(run.code, 0);
    let doc = run.json();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["plugin"], "check_tls_cert");
    assert_eq!(doc["state"], "OK");
    assert_eq!(doc["exit_code"], 0);
    assert_eq!(doc["target"]["host"], "json.example");
    assert_eq!(doc["target"]["sni"], "json.example");
    assert_eq!(doc["target"]["address"], "127.0.0.1");
    assert_eq!(doc["connection"]["tls_version"], "TLSv1.3");
    assert_eq!(doc["chain"].as_array().map(Vec::len), Some(2));
    assert_eq!(doc["chain"][0]["common_name"], "json.example");
    assert_eq!(doc["chain"][0]["dns_names"][0], "json.example");
    assert_eq!(doc["chain"][0]["not_after"], leaf.not_after);
    assert_eq!(doc["chain"][0]["days_left"], 90.25);
    assert_eq!(doc["chain"][0]["key"]["algorithm"], "ECDSA");
    assert_eq!(doc["chain"][0]["key"]["curve"], "P-256");
    assert_eq!(doc["chain"][0]["signature_algorithm"], "ECDSA-SHA256");
    assert_eq!(doc["chain"][1]["is_ca"], true);
    assert_eq!(doc["name_check"]["matched_by"], "DNS:json.example");
    assert_eq!(doc["trust"]["trusted"], true);
    assert_eq!(doc["findings"][0]["check"], "expiry");
    assert_eq!(doc["findings"][0]["state"], "OK");
}

#[test]
fn verbose_prints_the_chain() {
    let (server, leaf) = serve_leaf(&LeafSpec::new("verbose.example"));
    let run = check_name("verbose.example", server.port, &["-v"]);
    assert_eq!(run.code, 0);
    let lines = run.lines();
    let at = lines
        .iter()
        .position(|l| l.starts_with("connection: 127.0.0.1:"))
        .unwrap_or_else(|| panic!("no connection line in {}", run.stdout));
    assert!(lines[at].contains(" TLSv1.3 TLS13_"), "{}", lines[at]);
    assert_eq!(
        lines[at + 1..at + 6],
        [
            "chain element 1: subject CN=verbose.example, O=certprobe tests".to_string(),
            format!("  issuer CN={INTERMEDIATE_CN}, O=certprobe tests"),
            format!(
                "  valid {} to {}",
                date(
                    certprobe::analysis::CertFacts::parse(&leaf.der)
                        .unwrap()
                        .not_before
                ),
                date(leaf.not_after)
            ),
            "  key ECDSA P-256, signature ECDSA-SHA256".to_string(),
            format!(
                "  SHA-256 {}",
                certprobe::encoding::hex_upper(&ring_sha256(&leaf.der))
            ),
        ]
    );
}

fn ring_sha1(der: &[u8]) -> Vec<u8> {
    hash("sha1", der)
}

fn ring_sha256(der: &[u8]) -> Vec<u8> {
    hash("sha256", der)
}

/// Fingerprints computed by openssl, the reference, not by our own code.
fn hash(alg: &str, der: &[u8]) -> Vec<u8> {
    let file = certprobe_testkit::write_temp("fp.der", der);
    let out = std::process::Command::new("openssl")
        .args(["dgst", &format!("-{alg}"), "-binary"])
        .arg(&file)
        .output()
        .expect("openssl dgst");
    out.stdout
}

#[test]
fn host_name_is_resolved_and_family_forced() {
    let (server, _) = serve_leaf(&LeafSpec::new("localhost"));
    let port = server.port.to_string();
    let root = root_file();
    let run = check_tls_cert(&[
        "-H",
        "localhost",
        "-4",
        "-p",
        &port,
        "--ca-file",
        &root,
        "-v",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains(&format!("\nconnection: 127.0.0.1:{port} TLSv1.3 ")),
        "{}",
        run.stdout
    );
}

#[test]
fn system_trust_store_is_used_alone_or_with_ca_files() {
    let (server, _) = serve_leaf(&LeafSpec::new("system.example"));
    let port = server.port.to_string();
    let base = [
        "-H",
        "system.example",
        "--address",
        "127.0.0.1",
        "-p",
        &port,
        "--trust",
        "system",
    ];
    let run = check_tls_cert(&base);
    assert_eq!(run.code, 2, "{}", run.stdout);
    run.assert_line(&format!("[CRITICAL] chain is not trusted: unknown issuer: '{ROOT_CN}', issuer of '{INTERMEDIATE_CN}', is not a trusted root (nor was it sent)"));
    let root = root_file();
    let both = check_tls_cert(&[&base[..], &["--ca-file", &root]].concat());
    assert_eq!(both.code, 0, "{}", both.stdout);
    both.assert_line(&format!("[OK] chain is trusted (system store, {root})"));
}

#[test]
fn nagios_ranges_are_accepted_for_thresholds() {
    let (server, _) = serve_leaf(&LeafSpec::new("range.example").valid_until(20.25));
    let inside = check_name("range.example", server.port, &["-w", "@0:40", "-c", "@~:5"]);
    assert_eq!(inside.code, 1, "{}", inside.stdout);
    assert!(inside.first_line().ends_with("| days=20.25;@0:40;@~:5;; key_bits=256;;;; days_chain_elem1=20.25;@0:40;@~:5;; days_chain_elem2=1825.00;@0:40;@~:5;;"), "{}", inside.first_line());
    let below = check_name("range.example", server.port, &["-w", "10:", "-c", "25:"]);
    assert_eq!(below.code, 2, "{}", below.stdout);
    let fine = check_name("range.example", server.port, &["-w", "10:", "-c", "5:"]);
    assert_eq!(fine.code, 0, "{}", fine.stdout);
}

#[test]
fn double_verbose_prints_the_configuration() {
    let (server, _) = serve_leaf(&LeafSpec::new("vv.example"));
    let run = check_name("vv.example", server.port, &["-vv", "-w", "20:"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    run.assert_line(&format!(
        "target: host vv.example, address 127.0.0.1, port {}, SNI vv.example, protocol tls, timeout 10 s",
        server.port
    ));
    run.assert_line(
        "policy: warning 20:, critical 7:, name check cn-san, revocation on, min TLS -, min grade -",
    );
}
