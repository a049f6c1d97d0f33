//! Certificates that try to break the outputs: thousands of names, control characters in
//! the subject, dates the verifier library cannot read. Every output stays one status line,
//! within Nagios' 8 KB, and shows control characters visibly.

mod common;

use certprobe_testkit::LeafSpec;
use common::*;
use std::process::Command;

/// Short names, so that 5,000 fit in a certificate rustls will serve (under 64 KiB).
fn names(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("n{i:04}.x")).collect()
}

#[test]
fn five_thousand_names_keep_the_status_line_short_and_the_output_under_8_kb() {
    let names = names(5000);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (server, _) = serve_leaf(&LeafSpec::new("n0000.x").dns(&refs));
    let run = check_name("other.example", server.port, &[]);
    assert_eq!(run.code, 2, "{}", run.first_line());
    let (status, perf) = run.first_line().split_once(" | ").unwrap();
    assert_eq!(
        status,
        format!(
            "TLS_CERT CRITICAL - other.example:{} name 'other.example' does not match the certificate (SAN DNS:n0000.x, DNS:n0001.x, DNS:n0002.x, DNS:n0003.x, DNS:n0004.x and 4995 more; CN n0000.x)",
            server.port
        )
    );
    assert_eq!(perf, perfdata("90.25", 256));
    assert!(run.stdout.len() < 8000, "{} bytes", run.stdout.len());
    let verbose = check_name("other.example", server.port, &["-vv"]);
    assert!(
        verbose.stdout.len() <= 8000,
        "{} bytes",
        verbose.stdout.len()
    );
    assert_eq!(verbose.first_line(), run.first_line());
}

#[test]
fn a_long_common_name_is_cut_in_the_summary() {
    let cn = format!("{}.example", "a".repeat(200));
    let (server, _) = serve_leaf(&LeafSpec::new("long.example").cn(Some(&cn)));
    let run = check_name("long.example", server.port, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let status = run.first_line().split(" | ").next().unwrap();
    assert!(
        status.contains(&format!("'{}...' issued by", &cn[..100])),
        "{status}"
    );
    assert!(status.chars().count() <= 303, "{}", status.len());
}

#[test]
fn control_characters_in_a_certificate_never_reach_an_output_raw() {
    let cn = "evil.example\r\nTLS_CERT OK - all is well\u{1b}[31m";
    let (server, _) = serve_leaf(&LeafSpec::new("evil.example").cn(Some(cn)));
    let shown = "evil.example\\r\\nTLS_CERT OK - all is well\\x1b[31m";

    let nagios = check_name("evil.example", server.port, &["-v"]);
    assert_eq!(nagios.code, 0, "{}", nagios.stdout);
    assert!(nagios
        .first_line()
        .starts_with("TLS_CERT OK - evil.example:"));
    assert!(nagios
        .first_line()
        .contains(&format!("'{shown}' issued by")));
    assert_eq!(
        nagios
            .lines()
            .iter()
            .filter(|l| l.starts_with("TLS_CERT"))
            .count(),
        1
    );
    assert!(!nagios.stdout.contains('\r') && !nagios.stdout.contains('\u{1b}'));

    for format in ["prtg-xml", "prometheus"] {
        let run = check_name("evil.example", server.port, &["-o", format]);
        assert!(
            !run.stdout.contains('\r') && !run.stdout.contains('\u{1b}'),
            "{format}: {}",
            run.stdout
        );
    }
    // In JSON a raw CR would be escaped as \r and still be a newline for whoever reads the
    // text: no string value may hold a control character at all.
    for format in ["prtg-json", "prtg-v2", "zabbix", "json"] {
        let run = check_name("evil.example", server.port, &["-o", format]);
        let mut strings = Vec::new();
        collect_strings(&run.json(), &mut strings);
        assert!(
            strings.iter().any(|s| s.contains(shown)),
            "{format}: {}",
            run.stdout
        );
        for text in strings {
            assert!(!text.chars().any(char::is_control), "{format}: {text:?}");
        }
    }
    let prtg = check_name("evil.example", server.port, &["-o", "prtg-json"]).json();
    let text = prtg["prtg"]["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!("OK. Certificate Common Name: {shown} - ")),
        "{text}"
    );
}

#[test]
fn a_date_the_verifier_cannot_read_is_not_called_untrusted() {
    // notBefore in 1950 (UTCTime 50...): legal, and openssl verify accepts it; webpki reads
    // no date before 1970.
    let days_since_1950 = (now() - (-631_152_000)) as f64 / 86_400.0;
    let (server, leaf) =
        serve_leaf(&LeafSpec::new("old.example").valid_from(-days_since_1950 + 1.0));
    let leaf_file = certprobe_testkit::write_temp("1950-leaf.pem", pem(&leaf.der).as_bytes());
    let chain_file =
        certprobe_testkit::write_temp("1950-chain.pem", pem(&pki().intermediate.der()).as_bytes());
    let openssl = Command::new("openssl")
        .args(["verify", "-CAfile", &root_file(), "-untrusted"])
        .arg(&chain_file)
        .arg(&leaf_file)
        .output()
        .expect("openssl");
    assert!(
        openssl.status.success(),
        "openssl verify refuses it: {}",
        String::from_utf8_lossy(&openssl.stdout)
    );

    let run = check_name("old.example", server.port, &["--max-validity", "100000"]);
    run.assert_line(
        "[WARNING] trust could not be verified: the certificate verifier cannot read a validity date before 1970 (or a malformed one) (this one is not untrusted for that alone)",
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(!run.stdout.contains("BadDerTime"), "{}", run.stdout);
}

fn collect_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            collect_strings(v, out)
        }),
        _ => {}
    }
}

fn now() -> i64 {
    certprobe_testkit::now()
}

fn pem(der: &[u8]) -> String {
    certprobe_testkit::pem(der)
}
