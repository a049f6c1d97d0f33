//! The monitoring-system formats: PRTG XML and Script v2 (including parameters on stdin),
//! Zabbix agent 2's certificate JSON, and the Prometheus exposition format, checked by
//! promtool when it is installed (always under CI=true).

mod common;

use certprobe_testkit::{refused_port, serve, LeafSpec};
use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn prtg_xml_carries_the_same_channels() {
    let (server, _) = serve_leaf(&LeafSpec::new("xml.example"));
    let run = check_name("xml.example", server.port, &["--output", "prtg-xml"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prtg>\n  <result>\n    <channel>Days to Expiration</channel>\n    <value>90</value>\n    <unit>Count</unit>\n    <limitmode>1</limitmode>\n    <limitminwarning>30</limitminwarning>\n    <limitminerror>7</limitminerror>\n"), "{}", run.stdout);
    assert!(run.stdout.contains("    <channel>Common Name Check</channel>\n    <value>5</value>\n    <valuelookup>prtg.standardlookups.sslcertificatesensor.cncheck</valuelookup>\n"));
    assert!(run
        .stdout
        .contains("  <text>OK. Certificate Common Name: xml.example - Certificate Thumbprint: "));
    assert!(run.stdout.ends_with("</text>\n</prtg>\n"));
    let parsed = Command::new("python3")
        .args(["-c", "import sys, xml.etree.ElementTree as E; r = E.fromstring(sys.stdin.read()); print(len(r.findall('result')))"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().expect("stdin").write_all(run.stdout.as_bytes())?;
            c.wait_with_output()
        })
        .expect("python3");
    assert_eq!(
        String::from_utf8_lossy(&parsed.stdout),
        "8\n",
        "well-formed XML with 8 channels"
    );

    let port = refused_port().to_string();
    let failed = check_tls_cert(&["-H", "127.0.0.1", "-p", &port, "-o", "prtg-xml"]);
    assert_eq!(
        failed.stdout,
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prtg>\n  <error>1</error>\n  <text>127.0.0.1:{port}: connection refused by 127.0.0.1:{port}</text>\n</prtg>\n")
    );
    assert_eq!(failed.code, 0);
}

#[test]
fn prtg_script_v2_by_option_and_by_stdin() {
    let (server, _) = serve_leaf(&LeafSpec::new("v2.example"));
    let port = server.port.to_string();
    let root = root_file();
    let by_option = check_name("v2.example", server.port, &["--output", "prtg-v2"]).json();
    let params = format!("-H v2.example --address 127.0.0.1 -p {port} --ca-file '{root}'");
    let by_stdin = check_tls_cert_with_stdin(params.as_bytes());
    assert_eq!(by_stdin.code, 0, "{}", by_stdin.stdout);
    let by_stdin = by_stdin.json();
    for doc in [&by_option, &by_stdin] {
        assert_eq!(doc["version"], 2);
        assert_eq!(doc["status"], "ok");
        assert_eq!(
            doc["channels"][0],
            serde_json::json!({"id": 10, "name": "Days to Expiration", "type": "integer", "kind": "count", "value": 90})
        );
        assert_eq!(
            doc["channels"][1],
            serde_json::json!({"id": 11, "name": "Common Name Check", "type": "lookup", "lookup_name": "prtg.standardlookups.sslcertificatesensor.cncheck", "value": 5})
        );
        let ids: Vec<i64> = doc["channels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [10, 11, 12, 13, 14, 15, 17, 18]);
    }
    let closed = refused_port();
    let sensor_form =
        check_tls_cert_with_stdin(format!("127.0.0.1 port: {closed}, protocol: smtp").as_bytes())
            .json();
    assert_eq!(
        sensor_form,
        serde_json::json!({"version": 2, "status": "error", "message": format!("127.0.0.1:{closed}: connection refused by 127.0.0.1:{closed}")})
    );
    let bad = check_tls_cert_with_stdin(b"-H x -p nope").json();
    assert_eq!(
        bad,
        serde_json::json!({"version": 2, "status": "error", "message": "invalid arguments: invalid value 'nope' for '--port <PORT>': 'nope' is not a port number (1 to 65535)"})
    );
}

#[test]
fn zabbix_json_follows_agent_2() {
    let (server, leaf) =
        serve_leaf(&LeafSpec::new("zbx.example").dns(&["zbx.example", "www.zbx.example"]));
    let run = check_name("zbx.example", server.port, &["--output", "zabbix"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stderr, "");
    let doc = run.json();
    let facts = certprobe::analysis::CertFacts::parse(&leaf.der).unwrap();
    assert_eq!(doc["x509"]["version"], 3);
    assert_eq!(doc["x509"]["subject"], "CN=zbx.example,O=certprobe tests");
    assert_eq!(
        doc["x509"]["issuer"],
        format!("CN={INTERMEDIATE_CN},O=certprobe tests")
    );
    assert_eq!(doc["x509"]["signature_algorithm"], "ECDSA-SHA256");
    assert_eq!(doc["x509"]["public_key_algorithm"], "ECDSA");
    assert_eq!(
        doc["x509"]["alternative_names"],
        serde_json::json!(["zbx.example", "www.zbx.example"])
    );
    assert_eq!(doc["x509"]["not_after"]["timestamp"], leaf.not_after);
    assert_eq!(
        doc["x509"]["not_after"]["value"],
        certprobe::clock::format_go_gmt(leaf.not_after)
    );
    assert_eq!(
        doc["x509"]["serial_number"],
        facts.serial.trim_start_matches("00").to_ascii_lowercase()
    );
    assert_eq!(
        doc["sha256_fingerprint"],
        facts.sha256_fingerprint.to_ascii_lowercase()
    );
    assert_eq!(
        doc["result"],
        serde_json::json!({"value": "valid", "message": "certificate verified successfully"})
    );
    assert_eq!(doc["certprobe"]["state"], "OK");

    let wrong = check_name("other.example", server.port, &["-o", "zabbix"]).json();
    assert_eq!(wrong["result"]["value"], "invalid");
    let self_signed = LeafSpec::new("self.example").self_signed();
    let server = serve(vec![self_signed.der.clone()], self_signed.key_pkcs8.clone());
    let own = check_name("self.example", server.port, &["-o", "zabbix"]).json();
    assert_eq!(
        own["result"],
        serde_json::json!({"value": "valid-but-self-signed", "message": "certificate verified successfully, but determined to be self signed"})
    );
    let port = refused_port().to_string();
    let failed = check_tls_cert(&["-H", "127.0.0.1", "-p", &port, "-o", "zabbix"]);
    assert_eq!(failed.code, 0);
    assert_eq!(
        failed.json()["error"]["message"],
        format!("connection refused by 127.0.0.1:{port}")
    );
}

#[test]
fn prometheus_metrics_use_blackbox_names_and_pass_promtool() {
    let (server, leaf) = serve_leaf(&LeafSpec::new("prom.example"));
    let run = check_name("prom.example", server.port, &["--output", "prometheus"]);
    assert_eq!(run.code, 0);
    let target = format!("target=\"prom.example:{}\"", server.port);
    let root_expiry = pki().intermediate.not_after.min(leaf.not_after);
    for line in [
        format!("probe_ssl_earliest_cert_expiry{{{target}}} {root_expiry}"),
        format!("probe_ssl_last_chain_expiry_timestamp_seconds{{{target}}} {root_expiry}"),
        format!("probe_tls_version_info{{{target},version=\"TLS 1.3\"}} 1"),
        format!("probe_tls_cipher_info{{{target},cipher=\"TLS_AES_256_GCM_SHA384\"}} 1"),
        format!("certprobe_key_size{{{target}}} 256"),
        format!("certprobe_trusted{{{target}}} 1"),
        format!("certprobe_state{{{target}}} 0"),
        format!("certprobe_success{{{target}}} 1"),
    ] {
        run.assert_line(&line);
    }
    assert!(run
        .stdout
        .contains("# TYPE probe_ssl_last_chain_info gauge\nprobe_ssl_last_chain_info{"));
    promtool(&run.stdout);
}
