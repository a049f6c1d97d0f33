//! `check_tls_cert --output zabbix` against the reference, Zabbix agent 2's own
//! `web.certificate.get`, on the same loopback endpoints: good, expired, self-signed and
//! wrong name. Both trust the same test root (agent 2 through SSL_CERT_FILE).
//!
//! Equal: the whole `x509` object, both fingerprints and `result.value`. Different, on
//! purpose: `result.message` for invalid certificates, where agent 2 quotes Go's error
//! ("x509: certificate has expired or is not yet valid: ...") and certprobe its own reason.

mod common;

use certprobe_testkit::{serve, LeafSpec};
use common::*;
use serde_json::Value;
use std::process::Command;

/// Agent 2's answer for `web.certificate.get[name,port,127.0.0.1]`, or None when it is absent.
fn agent2(name: &str, port: u16) -> Option<Value> {
    let key = format!("web.certificate.get[{name},{port},127.0.0.1]");
    let out = match Command::new("zabbix_agent2")
        .args(["-c", "/etc/zabbix/zabbix_agent2.conf", "-t", &key])
        .env("SSL_CERT_FILE", root_file())
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "zabbix_agent2 is missing (Debian package zabbix-agent2)"
            );
            eprintln!("SKIPPED: zabbix_agent2 is not installed");
            return None;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let json = text
        .split_once("[s|")
        .and_then(|(_, rest)| rest.trim_end().strip_suffix(']'))
        .unwrap_or_else(|| panic!("unexpected agent 2 output: {text}"));
    Some(serde_json::from_str(json).expect("agent 2 JSON"))
}

fn ours(name: &str, port: u16, extra: &[&str]) -> Value {
    let mut doc = check_name(name, port, &[&["--output", "zabbix"], extra].concat()).json();
    doc.as_object_mut().map(|o| o.remove("certprobe"));
    doc
}

fn compare(name: &str, port: u16, extra: &[&str], expected: &str) {
    let Some(reference) = agent2(name, port) else {
        return;
    };
    let mine = ours(name, port, extra);
    assert_eq!(mine["x509"], reference["x509"], "{name}");
    assert_eq!(mine["sha1_fingerprint"], reference["sha1_fingerprint"]);
    assert_eq!(mine["sha256_fingerprint"], reference["sha256_fingerprint"]);
    assert_eq!(
        mine["result"]["value"], reference["result"]["value"],
        "{name}: {mine} / {reference}"
    );
    assert_eq!(mine["result"]["value"], expected);
    if expected != "invalid" {
        assert_eq!(mine["result"]["message"], reference["result"]["message"]);
    }
}

#[test]
fn agrees_with_agent_2_on_a_good_certificate() {
    let (server, _) =
        serve_leaf(&LeafSpec::new("zgood.example").dns(&["zgood.example", "www.zgood.example"]));
    compare("zgood.example", server.port, &[], "valid");
}

#[test]
fn agrees_with_agent_2_on_an_expired_certificate() {
    let (server, _) = serve_leaf(
        &LeafSpec::new("zold.example")
            .valid_from(-60.0)
            .valid_until(-3.25),
    );
    compare("zold.example", server.port, &[], "invalid");
}

#[test]
fn agrees_with_agent_2_on_a_self_signed_certificate() {
    let leaf = LeafSpec::new("zself.example").self_signed();
    let server = serve(vec![leaf.der.clone()], leaf.key_pkcs8.clone());
    compare("zself.example", server.port, &[], "valid-but-self-signed");
}

#[test]
fn agrees_with_agent_2_on_a_wrong_name() {
    let (server, _) = serve_leaf(&LeafSpec::new("zright.example"));
    compare("zwrong.example", server.port, &[], "invalid");
}
