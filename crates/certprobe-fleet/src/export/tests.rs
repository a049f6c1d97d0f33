use super::*;
use certprobe_inventory::model::StoredFinding;

fn row(address: &str, port: u16, sni: &str, leaf: Option<ExportCertificate>) -> ExportRow {
    ExportRow {
        endpoint: EndpointKey {
            zone: String::new(),
            address: address.to_string(),
            port,
            sni: sni.to_string(),
            protocol: "tls".to_string(),
        },
        job: "lab".to_string(),
        state: 0,
        summary: "fine".to_string(),
        last_scan: 1_800_000_000,
        stale: false,
        tls_version: "TLSv1.3".to_string(),
        findings: vec![StoredFinding {
            check: "trust".to_string(),
            state: "OK".to_string(),
            message: "chain is trusted (Mozilla)".to_string(),
        }],
        chain_not_after: leaf.as_ref().map(|l| l.not_after - 10),
        leaf,
    }
}

fn leaf(cn: &str) -> ExportCertificate {
    ExportCertificate {
        sha256: vec![0xab; 32],
        der: vec![0x30, 0x00],
        subject: format!("CN={cn}, O=Example, Inc., C=DE"),
        issuer: "CN=Test CA".to_string(),
        common_name: cn.to_string(),
        issuer_common_name: "Test CA".to_string(),
        serial: "01FF".to_string(),
        not_before: 1_790_000_000,
        not_after: 1_810_000_000,
        self_signed: false,
    }
}

#[test]
fn a_name_on_several_addresses_is_keyed_by_address() {
    let rows = [
        row("192.0.2.10", 443, "lb.example.com", Some(leaf("lb"))),
        row("192.0.2.10", 8443, "lb.example.com", Some(leaf("lb"))),
        row("192.0.2.11", 443, "lb.example.com", Some(leaf("lb"))),
        row("192.0.2.2", 443, "www.example.com", Some(leaf("www"))),
        row("192.0.2.2", 8443, "", Some(leaf("www"))),
        row("2001:db8::1", 443, "v6.example.com", Some(leaf("v6"))),
        // Serves nothing now: not a Director host.
        row("192.0.2.3", 443, "gone.example.com", None),
    ];
    let hosts: Vec<String> = director_hosts(&rows)
        .iter()
        .map(|h| h.cells().join("|"))
        .collect();
    assert_eq!(
        hosts,
        [
            "192.0.2.10|192.0.2.10|lb.example.com|443,8443|192.0.2.10|",
            "192.0.2.11|192.0.2.11|lb.example.com|443|192.0.2.11|",
            "192.0.2.2|192.0.2.2||8443|192.0.2.2|",
            "v6.example.com|2001:db8::1|v6.example.com|443||2001:db8::1",
            "www.example.com|192.0.2.2|www.example.com|443|192.0.2.2|",
        ]
    );
}

#[test]
fn services_carry_the_x509_modules_columns() {
    let mut self_signed = leaf("www");
    self_signed.self_signed = true;
    let mut untrusted = row("192.0.2.2", 8443, "", Some(self_signed));
    untrusted.findings.clear();
    let rows = [
        row("192.0.2.2", 443, "www.example.com", Some(leaf("www"))),
        untrusted,
        row("192.0.2.3", 443, "gone.example.com", None),
    ];
    let services = director_services(&rows);
    assert_eq!(
        services.iter().map(|s| s.cells().join("|")).collect::<Vec<_>>(),
        [
            format!("www.example.com/192.0.2.2:443|192.0.2.2|www.example.com|443|192.0.2.2||www|Test CA|n|y|1790000000000|1810000000000|{}|CN=www,O=Example, Inc.,C=DE|", "AB".repeat(32)),
            format!("/192.0.2.2:8443|192.0.2.2||8443|192.0.2.2||www|Test CA|y|n|1790000000000|1810000000000|{}|CN=www,O=Example, Inc.,C=DE|", "AB".repeat(32)),
        ]
    );
    let json = serde_json::to_value(&services[1]).unwrap();
    assert_eq!(json["host_name"], serde_json::Value::Null);
    assert_eq!(json["host_address6"], serde_json::Value::Null);
    assert_eq!(json["host_port"], 8443);
}

#[test]
fn dns_split_only_before_an_attribute() {
    assert_eq!(
        split_dn("CN=a, O=b, c, d, 2.5.4.97=x"),
        ["CN=a", "O=b, c, d", "2.5.4.97=x"]
    );
    assert_eq!(split_dn(""), Vec::<String>::new());
    assert_eq!(split_dn("CN=only"), ["CN=only"]);
}

#[test]
fn serials_in_decimal() {
    assert_eq!(decimal_of_hex("01FF"), "511");
    assert_eq!(decimal_of_hex("00"), "0");
    assert_eq!(decimal_of_hex(""), "");
    assert_eq!(
        decimal_of_hex("533CA2A7F79B05FB44E1F6448C02C53EECD5B9DC"),
        "475198448036890981148105316581120547073931196892"
    );
    assert_eq!(decimal_of_hex("zz"), "zz");
}

#[test]
fn zabbix_discovery_has_one_object_per_endpoint() {
    let mut other_zone = row("192.0.2.2", 443, "www.example.com", None);
    other_zone.endpoint.zone = "dmz".to_string();
    let mut smtp = row("192.0.2.2", 25, "", None);
    smtp.endpoint.protocol = "smtp".to_string();
    let rows = [
        smtp,
        row("192.0.2.2", 443, "www.example.com", Some(leaf("www"))),
        other_zone,
    ];
    assert_eq!(
        zabbix_lld(&rows),
        "{\"data\":[{\"{#IP}\":\"192.0.2.2\",\"{#PORT}\":\"25\",\"{#PROTO}\":\"smtp\",\"{#SNI}\":\"\"},\
         {\"{#IP}\":\"192.0.2.2\",\"{#PORT}\":\"443\",\"{#PROTO}\":\"tls\",\"{#SNI}\":\"www.example.com\"}]}\n"
    );
    assert_eq!(zabbix_lld(&[]), "{\"data\":[]}\n");
}

#[test]
fn prometheus_labels_are_escaped_and_families_complete() {
    let mut odd = leaf("quote\"back\\slash\nline");
    odd.serial = "0A".to_string();
    let mut failed = row("192.0.2.3", 443, "", None);
    failed.state = 2;
    failed.stale = true;
    let rows = [row("192.0.2.2", 443, "www.example.com", Some(odd)), failed];
    let text = prometheus(&rows, 1_810_000_000);
    let base = "scan_job=\"lab\",zone=\"\",address=\"192.0.2.2\",port=\"443\",sni=\"www.example.com\",protocol=\"tls\"";
    let cert = format!("{base},subject_CN=\"quote\\\"back\\\\slash\\nline\",issuer_CN=\"Test CA\",serial_number=\"10\"");
    for line in [
        format!("certprobe_endpoint_state{{{base}}} 0"),
        "certprobe_endpoint_state{scan_job=\"lab\",zone=\"\",address=\"192.0.2.3\",port=\"443\",sni=\"\",protocol=\"tls\"} 2".to_string(),
        "certprobe_endpoint_stale{scan_job=\"lab\",zone=\"\",address=\"192.0.2.3\",port=\"443\",sni=\"\",protocol=\"tls\"} 1".to_string(),
        format!("certprobe_endpoint_last_scan_timestamp_seconds{{{base}}} 1800000000"),
        format!("x509_cert_not_after{{{cert}}} 1810000000"),
        format!("x509_cert_not_before{{{cert}}} 1790000000"),
        format!("x509_cert_expired{{{cert}}} 1"),
        format!("probe_ssl_earliest_cert_expiry{{{base}}} 1809999990"),
        format!("probe_tls_version_info{{{base},version=\"TLS 1.3\"}} 1"),
    ] {
        assert!(text.lines().any(|l| l == line), "{line}\nin\n{text}");
    }
    // Every family once, HELP then TYPE then its samples.
    let helps = text.lines().filter(|l| l.starts_with("# HELP ")).count();
    let types = text.lines().filter(|l| l.starts_with("# TYPE ")).count();
    assert_eq!((helps, types), (8, 8));
    assert_eq!(text.lines().count(), 8 * 2 + 3 * 2 + 5);
    assert_eq!(prometheus(&[], 0), "");
}
