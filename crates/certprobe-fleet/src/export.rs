//! `certprobe inventory export`: the inventory's endpoints in the forms the monitoring
//! systems import. Pure functions from [`ExportRow`]s to text, and an atomic file write.
//!
//! - Icinga Director through the fileshipper module: the columns of the x509 module's
//!   "Hosts (X509)" and "Services (X509)" import sources, so sync rules made for them work.
//! - Zabbix low-level discovery: `{"data":[{"{#IP}":..,"{#PORT}":..,"{#SNI}":..,"{#PROTO}":..}]}`.
//! - Prometheus text exposition for node_exporter's textfile collector, with the metric names
//!   of x509-certificate-exporter and blackbox_exporter where they fit.

use crate::output::Tabular;
use crate::FleetError;
use certprobe::analysis::certificate::CertFacts;
use certprobe_inventory::model::EndpointKey;
use certprobe_inventory::query::{ExportCertificate, ExportRow};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::IpAddr;
use std::path::Path;

/// One row of "Hosts (X509)": an address and a name with the ports that serve a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostRow {
    /// The key: the name, or the address when there is no name or the name is on several
    /// addresses (a load balancer), as the x509 module does.
    pub host_name_or_ip: String,
    /// The address.
    pub host_ip: String,
    /// The SNI name; null when the address was scanned without one.
    pub host_name: Option<String>,
    /// The ports, ascending, comma-separated.
    pub host_ports: String,
    /// The address when it is IPv4.
    pub host_address: Option<String>,
    /// The address when it is IPv6.
    pub host_address6: Option<String>,
}

impl Tabular for HostRow {
    fn headers() -> &'static [&'static str] {
        &[
            "host_name_or_ip",
            "host_ip",
            "host_name",
            "host_ports",
            "host_address",
            "host_address6",
        ]
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.host_name_or_ip.clone(),
            self.host_ip.clone(),
            self.host_name.clone().unwrap_or_default(),
            self.host_ports.clone(),
            self.host_address.clone().unwrap_or_default(),
            self.host_address6.clone().unwrap_or_default(),
        ]
    }
}

/// One row of "Services (X509)": an endpoint and the leaf it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceRow {
    /// The key: `name/address:port` (the name empty when none), as the x509 module writes it.
    pub host_name_ip_and_port: String,
    /// The address.
    pub host_ip: String,
    /// The SNI name; null when none.
    pub host_name: Option<String>,
    /// The port.
    pub host_port: u16,
    /// The address when it is IPv4.
    pub host_address: Option<String>,
    /// The address when it is IPv6.
    pub host_address6: Option<String>,
    /// The subject's CN, else the subject DN.
    pub cert_subject: String,
    /// The issuer's CN, else the issuer DN.
    pub cert_issuer: String,
    /// `y` when the leaf is self-signed, else `n`.
    pub cert_self_signed: &'static str,
    /// `y` when certprobe trusts the chain, else `n`.
    pub cert_trusted: &'static str,
    /// notBefore in Unix milliseconds, as the x509 module (1.2 and later) stores it.
    pub cert_valid_from: i64,
    /// notAfter in Unix milliseconds.
    pub cert_valid_to: i64,
    /// SHA-256 of the DER, upper-case hex without colons (MySQL's `HEX()`).
    pub cert_fingerprint: String,
    /// The subject DN as `KEY=value` pairs joined by commas.
    pub cert_dn: String,
    /// `DNS:name` and `IP Address:addr` joined by commas; null without subjectAltName.
    pub cert_subject_alt_name: Option<String>,
}

impl Tabular for ServiceRow {
    fn headers() -> &'static [&'static str] {
        &[
            "host_name_ip_and_port",
            "host_ip",
            "host_name",
            "host_port",
            "host_address",
            "host_address6",
            "cert_subject",
            "cert_issuer",
            "cert_self_signed",
            "cert_trusted",
            "cert_valid_from",
            "cert_valid_to",
            "cert_fingerprint",
            "cert_dn",
            "cert_subject_alt_name",
        ]
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.host_name_ip_and_port.clone(),
            self.host_ip.clone(),
            self.host_name.clone().unwrap_or_default(),
            self.host_port.to_string(),
            self.host_address.clone().unwrap_or_default(),
            self.host_address6.clone().unwrap_or_default(),
            self.cert_subject.clone(),
            self.cert_issuer.clone(),
            self.cert_self_signed.to_string(),
            self.cert_trusted.to_string(),
            self.cert_valid_from.to_string(),
            self.cert_valid_to.to_string(),
            self.cert_fingerprint.clone(),
            self.cert_dn.clone(),
            self.cert_subject_alt_name.clone().unwrap_or_default(),
        ]
    }
}

/// The address split into the x509 module's two columns.
fn families(address: &str) -> (Option<String>, Option<String>) {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(_)) => (None, Some(address.to_string())),
        _ => (Some(address.to_string()), None),
    }
}

fn name_of(key: &EndpointKey) -> Option<String> {
    (!key.sni.is_empty()).then(|| key.sni.clone())
}

/// "Hosts (X509)": one row per address and name that serves a certificate now, whatever the
/// zone and protocol; ports merged.
pub fn director_hosts(rows: &[ExportRow]) -> Vec<HostRow> {
    let mut groups: BTreeMap<(Option<IpAddr>, String, String), BTreeSet<u16>> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.leaf.is_some()) {
        let key = &row.endpoint;
        groups
            .entry((
                key.address.parse().ok(),
                key.address.clone(),
                key.sni.clone(),
            ))
            .or_default()
            .insert(key.port);
    }
    let mut addresses_of: HashMap<&str, usize> = HashMap::new();
    for (_, _, name) in groups.keys() {
        *addresses_of.entry(name.as_str()).or_default() += 1;
    }
    let mut hosts: BTreeMap<String, (HostRow, BTreeSet<u16>)> = BTreeMap::new();
    for ((_, address, name), ports) in &groups {
        let by_ip = name.is_empty() || addresses_of.get(name.as_str()).copied().unwrap_or(0) > 1;
        let key = if by_ip { address.clone() } else { name.clone() };
        let (v4, v6) = families(address);
        let entry = hosts.entry(key.clone()).or_insert_with(|| {
            (
                HostRow {
                    host_name_or_ip: key,
                    host_ip: address.clone(),
                    host_name: (!name.is_empty()).then(|| name.clone()),
                    host_ports: String::new(),
                    host_address: v4,
                    host_address6: v6,
                },
                BTreeSet::new(),
            )
        });
        // Two names of one address, both on other addresses too, share the address's key:
        // one row with the ports of both.
        entry.1.extend(ports);
    }
    hosts
        .into_values()
        .map(|(mut host, ports)| {
            host.host_ports = ports
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(",");
            host
        })
        .collect()
}

/// "Services (X509)": one row per address, name and port that serves a certificate now.
pub fn director_services(rows: &[ExportRow]) -> Vec<ServiceRow> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for row in rows {
        let Some(leaf) = &row.leaf else {
            continue;
        };
        let key = &row.endpoint;
        let id = format!("{}/{}:{}", key.sni, key.address, key.port);
        if !seen.insert(id.clone()) {
            continue;
        }
        let (v4, v6) = families(&key.address);
        let facts = CertFacts::parse(&leaf.der).ok();
        let trusted = row
            .findings
            .iter()
            .any(|f| f.check == "trust" && f.state == "OK");
        out.push(ServiceRow {
            host_name_ip_and_port: id,
            host_ip: key.address.clone(),
            host_name: name_of(key),
            host_port: key.port,
            host_address: v4,
            host_address6: v6,
            cert_subject: cn_or(&leaf.common_name, &leaf.subject),
            cert_issuer: cn_or(&leaf.issuer_common_name, &leaf.issuer),
            cert_self_signed: yes_no(leaf.self_signed),
            cert_trusted: yes_no(trusted),
            cert_valid_from: leaf.not_before.saturating_mul(1000),
            cert_valid_to: leaf.not_after.saturating_mul(1000),
            cert_fingerprint: certprobe::encoding::hex_upper(&leaf.sha256),
            cert_dn: split_dn(&leaf.subject).join(","),
            cert_subject_alt_name: facts.and_then(|f| alt_names(&f)),
        });
    }
    out
}

fn cn_or(common_name: &str, dn: &str) -> String {
    if common_name.is_empty() {
        dn.to_string()
    } else {
        common_name.to_string()
    }
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "y"
    } else {
        "n"
    }
}

/// The subjectAltName as openssl prints it (`DNS:a, IP Address:192.0.2.1`), which the x509
/// module stores as type and value and joins with commas.
fn alt_names(facts: &CertFacts) -> Option<String> {
    let names: Vec<String> = facts
        .dns_names
        .iter()
        .map(|n| format!("DNS:{n}"))
        .chain(
            facts
                .ip_addresses
                .iter()
                .map(|ip| format!("IP Address:{ip}")),
        )
        .collect();
    (!names.is_empty()).then(|| names.join(","))
}

/// A DN as stored (`CN=www.example.com, O=Example, Inc., C=DE`) split into its `KEY=value`
/// parts: a `, ` starts a new part only where an attribute name and `=` follow.
fn split_dn(dn: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut search = 0;
    while let Some(found) = dn[search..].find(", ") {
        let at = search + found;
        let rest = &dn[at + 2..];
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
            .unwrap_or(rest.len());
        if name_len > 0 && rest[name_len..].starts_with('=') {
            parts.push(dn[start..at].to_string());
            start = at + 2;
        }
        search = at + 2;
    }
    if start < dn.len() {
        parts.push(dn[start..].to_string());
    }
    parts
}

/// Zabbix low-level discovery: one object per endpoint that ever served a certificate
/// (an endpoint that stopped answering keeps its item, whose check then says so).
pub fn zabbix_lld(rows: &[ExportRow]) -> String {
    let mut seen: BTreeSet<(&str, u16, &str)> = BTreeSet::new();
    let mut data = Vec::new();
    for row in rows {
        let key = &row.endpoint;
        // Items are keyed by address, port and name (check_cert_inventory's --ip, --port,
        // --host): the same endpoint in two zones, or with two protocols, is one item.
        if !seen.insert((&key.address, key.port, &key.sni)) {
            continue;
        }
        data.push(serde_json::json!({
            "{#IP}": key.address,
            "{#PORT}": key.port.to_string(),
            "{#SNI}": key.sni,
            "{#PROTO}": key.protocol,
        }));
    }
    let mut text = serde_json::json!({ "data": data }).to_string();
    text.push('\n');
    text
}

/// One metric family: its samples, each with its labels.
struct Family {
    name: &'static str,
    help: &'static str,
    samples: Vec<(Vec<(&'static str, String)>, i64)>,
}

impl Family {
    fn new(name: &'static str, help: &'static str) -> Family {
        Family {
            name,
            help,
            samples: Vec::new(),
        }
    }
}

/// The Prometheus text exposition of the endpoints at `now` (Unix seconds): per endpoint
/// its state, last scan and staleness; per endpoint serving a certificate the leaf's dates
/// (x509-certificate-exporter's names and labels), the chain's earliest expiry and the TLS
/// version (blackbox_exporter's). Gauges only, each family with `# HELP` and `# TYPE`.
pub fn prometheus(rows: &[ExportRow], now: i64) -> String {
    let mut state = Family::new(
        "certprobe_endpoint_state",
        "The verdict of the endpoint's latest scan: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
    );
    let mut last_scan = Family::new(
        "certprobe_endpoint_last_scan_timestamp_seconds",
        "When the endpoint was last scanned, in Unix time",
    );
    let mut stale = Family::new(
        "certprobe_endpoint_stale",
        "1 when the latest completed run of the endpoint's job did not see it",
    );
    let mut not_after = Family::new(
        "x509_cert_not_after",
        "The date after which the endpoint's leaf certificate expires, in Unix time",
    );
    let mut not_before = Family::new(
        "x509_cert_not_before",
        "The date before which the endpoint's leaf certificate is not yet valid, in Unix time",
    );
    let mut expired = Family::new(
        "x509_cert_expired",
        "1 when the endpoint's leaf certificate has expired",
    );
    let mut earliest = Family::new(
        "probe_ssl_earliest_cert_expiry",
        "Returns earliest SSL cert expiry in unixtime",
    );
    let mut version = Family::new(
        "probe_tls_version_info",
        "Returns the TLS version used or NaN when unknown",
    );
    for row in rows {
        let key = &row.endpoint;
        let labels = vec![
            ("scan_job", row.job.clone()),
            ("zone", key.zone.clone()),
            ("address", key.address.clone()),
            ("port", key.port.to_string()),
            ("sni", key.sni.clone()),
            ("protocol", key.protocol.clone()),
        ];
        state.samples.push((labels.clone(), i64::from(row.state)));
        last_scan.samples.push((labels.clone(), row.last_scan));
        stale
            .samples
            .push((labels.clone(), i64::from(u8::from(row.stale))));
        let Some(leaf) = &row.leaf else {
            continue;
        };
        let mut cert_labels = labels.clone();
        cert_labels.extend(certificate_labels(leaf));
        not_after
            .samples
            .push((cert_labels.clone(), leaf.not_after));
        not_before
            .samples
            .push((cert_labels.clone(), leaf.not_before));
        expired
            .samples
            .push((cert_labels, i64::from(u8::from(leaf.not_after <= now))));
        earliest.samples.push((
            labels.clone(),
            row.chain_not_after.unwrap_or(leaf.not_after),
        ));
        if !row.tls_version.is_empty() {
            let mut with_version = labels;
            with_version.push(("version", row.tls_version.replace("TLSv", "TLS ")));
            version.samples.push((with_version, 1));
        }
    }
    let mut out = String::new();
    for family in [
        state, last_scan, stale, not_after, not_before, expired, earliest, version,
    ] {
        if family.samples.is_empty() {
            continue;
        }
        let _ = writeln!(out, "# HELP {} {}", family.name, family.help);
        let _ = writeln!(out, "# TYPE {} gauge", family.name);
        for (labels, value) in &family.samples {
            let labels: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                .collect();
            let _ = writeln!(out, "{}{{{}}} {value}", family.name, labels.join(","));
        }
    }
    out
}

/// x509-certificate-exporter's certificate labels: the subject's and issuer's CN, and the
/// serial number in decimal.
fn certificate_labels(leaf: &ExportCertificate) -> [(&'static str, String); 3] {
    [
        ("subject_CN", leaf.common_name.clone()),
        ("issuer_CN", leaf.issuer_common_name.clone()),
        ("serial_number", decimal_of_hex(&leaf.serial)),
    ]
}

/// Label values escape backslash, double quote and line feed (the exposition format).
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A hex number of any length in decimal (serial numbers are up to 20 bytes); the text
/// unchanged when it is not hex.
fn decimal_of_hex(hex: &str) -> String {
    let mut digits: Vec<u8> = Vec::new(); // decimal digits, least significant first
    for c in hex.chars() {
        let Some(nibble) = c.to_digit(16) else {
            return hex.to_string();
        };
        let mut carry = nibble;
        for digit in digits.iter_mut() {
            let value = u32::from(*digit) * 16 + carry;
            *digit = (value % 10) as u8;
            carry = value / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    if digits.is_empty() {
        return if hex.is_empty() {
            String::new()
        } else {
            "0".to_string()
        };
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

/// Writes `text` to `path` so that a reader sees the old file or the new one, never half of
/// one: a temporary file in the same folder, flushed to disk, renamed over `path`.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), FleetError> {
    let error = |e: std::io::Error| FleetError::Output {
        path: path.display().to_string(),
        reason: certprobe_inventory::error::io_words(&e),
    };
    let name = path.file_name().ok_or_else(|| FleetError::Output {
        path: path.display().to_string(),
        reason: "it is not a file name".to_string(),
    })?;
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Not `*.prom`: node_exporter's textfile collector must not read it half-written.
    let mut temporary = std::ffi::OsString::from(".");
    temporary.push(name);
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = folder.join(temporary);
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
