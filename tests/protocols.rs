//! TLS versions and legacy servers: certificates read from servers rustls cannot talk to
//! (openssl s_server limited to TLS 1.0, TLS 1.1, CBC-only and RSA-key-exchange-only TLS 1.2,
//! at security level 0), version probing, --min-tls and the security grade.

mod common;

use certprobe_testkit::{openssl_server_with, pem, KeyType, LeafSpec, OpensslServer};
use common::*;

fn legacy_server(name: &str, key: KeyType, options: &[&str]) -> OpensslServer {
    let pki = pki();
    let leaf = pki.intermediate.issue(&LeafSpec::new(name).key(key));
    openssl_server_with(
        &pem(&leaf.der),
        &pki.intermediate.pem(),
        &leaf.key_pem(),
        options,
    )
}

/// The `[OK] negotiated ...` line.
fn negotiated(run: &Run) -> String {
    run.lines()
        .into_iter()
        .find(|l| l.starts_with("[OK] negotiated "))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn tls_1_0_and_1_1_only_servers_are_read() {
    for (option, version) in [("-tls1", "TLSv1.0"), ("-tls1_1", "TLSv1.1")] {
        let server = legacy_server("old.example", KeyType::P256, &[option]);
        let run = check_name("old.example", server.port, &[]);
        assert_eq!(run.code, 1, "{}", run.stdout);
        assert_eq!(
            negotiated(&run),
            format!("[OK] negotiated {version} with TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")
        );
        let warning = run
            .lines()
            .into_iter()
            .find(|l| l.starts_with("[WARNING] modern TLS clients cannot connect ("))
            .unwrap_or_default();
        assert!(
            warning.ends_with(&format!(
                "); the certificate was read with a {version} ClientHello"
            )),
            "{}",
            run.stdout
        );
        run.assert_line(&format!("[OK] chain is trusted ({})", root_file()));

        let strict = check_name("old.example", server.port, &["--min-tls", "1.2"]);
        assert_eq!(strict.code, 2, "{}", strict.stdout);
        strict.assert_line(&format!(
            "[CRITICAL] {version} is accepted, below the minimum TLSv1.2"
        ));
    }
}

#[test]
fn cbc_only_and_rsa_key_exchange_only_tls_1_2_are_read() {
    let cbc = legacy_server(
        "cbc.example",
        KeyType::P256,
        &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"],
    );
    let run = check_name("cbc.example", cbc.port, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        negotiated(&run),
        "[OK] negotiated TLSv1.2 with TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"
    );

    let rsa = legacy_server(
        "rsakx.example",
        KeyType::Rsa(2048),
        &["-tls1_2", "-cipher", "AES256-GCM-SHA384:@SECLEVEL=0"],
    );
    let run = check_name("rsakx.example", rsa.port, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        negotiated(&run),
        "[OK] negotiated TLSv1.2 with TLS_RSA_WITH_AES_256_GCM_SHA384"
    );
    run.assert_line("[OK] key is RSA 2048 bits");
}

#[test]
fn modern_server_accepts_1_2_and_1_3_and_gets_a_plus() {
    let (server, _) = serve_leaf(&LeafSpec::new("modern.example"));
    let run = check_name("modern.example", server.port, &["--protocols"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    run.assert_line(
        "[OK] accepts TLSv1.2 (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256), TLSv1.3 (TLS_AES_128_GCM_SHA256)",
    );
    run.assert_line("[OK] security grade A+ (score 89)");
    let json = check_name(
        "modern.example",
        server.port,
        &["--protocols", "-o", "json"],
    )
    .json();
    assert_eq!(json["grade"]["grade"], "A+");
    assert_eq!(json["protocols"][0]["version"], "TLSv1.0");
    assert_eq!(json["protocols"][0]["accepted"], false);
    assert_eq!(json["protocols"][3]["accepted"], true);
    let prtg = check_name(
        "modern.example",
        server.port,
        &["--protocols", "-o", "prtg-json"],
    )
    .json();
    assert_eq!(channel(&prtg, "Security Grade")["value"], 0);
    assert_eq!(
        channel(&prtg, "Security Grade")["valuelookup"],
        "certprobe.securitygrade"
    );
}

#[test]
fn old_protocols_cap_the_grade() {
    let server = legacy_server("capped.example", KeyType::P256, &[]);
    let run = check_name("capped.example", server.port, &["--min-grade", "A"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    let grade = run
        .lines()
        .into_iter()
        .find(|l| l.starts_with("[CRITICAL] security grade B "))
        .unwrap_or_default();
    assert!(
        grade.ends_with(
            "; TLS 1.0 or 1.1 is accepted (grade capped at B), worse than the minimum A"
        ),
        "{}",
        run.stdout
    );
    let tolerant = check_name("capped.example", server.port, &["--min-grade", "B"]);
    assert_eq!(tolerant.code, 0, "{}", tolerant.stdout);
}

#[test]
fn untrusted_server_is_graded_t() {
    let (server, _) = serve_leaf(&LeafSpec::new("t.example"));
    let port = server.port.to_string();
    let run = check_tls_cert(&[
        "-H",
        "t.example",
        "--address",
        "127.0.0.1",
        "-p",
        &port,
        "--protocols",
        "--allow-untrusted",
    ]);
    run.assert_line("[OK] security grade T (score 89), A+ before trust and name problems");
}
