//! What the queries take and give: filters in, rows out. Rows serialize to the JSON and CSV
//! outputs as they are, so their field names are part of the interface.

use serde::Serialize;

/// Filters of the certificate list; all given ones must hold.
#[derive(Debug, Clone, Default)]
pub struct CertificateFilter {
    /// Only certificates whose notAfter is before this instant (Unix seconds).
    pub expiring_before: Option<i64>,
    /// Only certificates whose issuer DN contains this text (case-insensitive).
    pub issuer: Option<String>,
    /// Only certificates with this key type (`RSA`, `EC`, ...), case-insensitive.
    pub key_type: Option<String>,
    /// Only keys smaller than this many bits.
    pub key_bits_below: Option<u32>,
    /// Only certificates whose signature algorithm contains this text (case-insensitive).
    pub signature: Option<String>,
    /// Only certificates deployed on an endpoint in this state (0-3).
    pub state: Option<u8>,
    /// Only certificates deployed on an endpoint of this job.
    pub job: Option<String>,
    /// Also certificates no longer deployed anywhere (and intermediates).
    pub all: bool,
}

/// One certificate in the list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CertificateRow {
    /// SHA-256, colon hex.
    pub sha256: String,
    /// The subject's common name, or the subject DN without one.
    pub subject: String,
    /// The issuer's common name, or the issuer DN without one.
    pub issuer: String,
    /// The serial, hex.
    pub serial: String,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// `RSA 2048`, `EC 256`, ...
    pub key: String,
    /// The signature algorithm.
    pub signature: String,
    /// The names it covers.
    pub names: Vec<String>,
    /// Endpoints where it is deployed now (as the leaf).
    pub endpoints: u64,
    /// The worst state of those endpoints (`OK` ... `CRITICAL`); empty when deployed nowhere.
    pub worst_state: String,
}

/// Filters of the endpoint list; all given ones must hold.
#[derive(Debug, Clone, Default)]
pub struct EndpointFilter {
    /// Exactly this address (canonical text).
    pub address: Option<String>,
    /// Addresses within this range (`192.0.2.0/24`), checked on the text form after loading.
    pub range: Option<(std::net::IpAddr, u8)>,
    /// This SNI name (exact, case-insensitive).
    pub sni: Option<String>,
    /// This port.
    pub port: Option<u16>,
    /// Endpoints in this state (0-3).
    pub state: Option<u8>,
    /// Endpoints of this job.
    pub job: Option<String>,
    /// Only endpoints not seen in the latest completed run of their job.
    pub stale_only: bool,
    /// Only endpoints of this source: network scans, or a local audit's files.
    pub source: Option<Source>,
    /// Only the places of this audited host (its name, compared without case).
    pub host: Option<String>,
}

/// Where an endpoint's certificates come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Found on the network by `certprobe scan`: every protocol but the audit's.
    Network,
    /// Found by `certprobe audit` in a file, a keystore or the Windows certificate store
    /// (protocols `file` and `winstore`).
    File,
}

impl Source {
    /// The protocol of the places of files and keystores.
    pub const FILE_PROTOCOL: &'static str = "file";
    /// The protocol of the places of the Windows certificate store.
    pub const STORE_PROTOCOL: &'static str = "winstore";
    /// Whether endpoints of `protocol` are an audit's places.
    pub fn is_audited(protocol: &str) -> bool {
        protocol == Self::FILE_PROTOCOL || protocol == Self::STORE_PROTOCOL
    }
}

/// One endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndpointRow {
    /// `address:port[/protocol] (sni)`.
    pub endpoint: String,
    /// The zone.
    pub zone: String,
    /// The address.
    pub address: String,
    /// The port.
    pub port: u16,
    /// The SNI name, empty when none.
    pub sni: String,
    /// `tls` or the STARTTLS protocol.
    pub protocol: String,
    /// The job that scans it.
    pub job: String,
    /// `OK` ... `UNKNOWN`.
    pub state: String,
    /// The verdict's summary line of the latest scan.
    pub summary: String,
    /// The latest scan, Unix seconds.
    pub last_scan: i64,
    /// True when the latest completed run of the job did not see it (for a file's place:
    /// the latest completed run of the job on its host, as each host audits its own files).
    pub stale: bool,
    /// The leaf served now, colon hex; empty when none.
    pub sha256: String,
    /// The leaf's notAfter; absent when none.
    pub not_after: Option<i64>,
    /// The leaf's common name; empty when none.
    pub subject: String,
    /// The stored findings of the latest scan.
    pub findings: Vec<crate::model::StoredFinding>,
}

/// One endpoint with what its latest scan served: enough to judge it again without a network
/// (`check_cert_inventory`).
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointDetail {
    /// The endpoint as the list shows it: state, findings, latest scan, stale.
    pub row: EndpointRow,
    /// The chain served at the latest scan, leaf first, as sent (DER); empty when none was.
    pub chain: Vec<Vec<u8>>,
    /// The TLS version negotiated then (`TLSv1.3`); empty when unknown or none.
    pub tls_version: String,
    /// Why no chain was read then (`connection-refused`, `timeout`, ...); absent when one was.
    pub error_kind: Option<String>,
}

/// One place a certificate is (or was) deployed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentRow {
    /// The certificate, colon hex.
    pub sha256: String,
    /// Its common name or subject.
    pub subject: String,
    /// Where it is in the chain: 0 is the leaf.
    pub position: u32,
    /// The endpoint.
    pub endpoint: String,
    /// The job.
    pub job: String,
    /// First seen there, Unix seconds.
    pub first_seen: i64,
    /// Last seen there.
    pub last_seen: i64,
    /// Scans that saw it there.
    pub scans: u64,
    /// When it stopped being served there; absent while it is.
    pub ended_at: Option<i64>,
    /// The endpoint's state now.
    pub state: String,
}

/// Whose history to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryOf {
    /// The endpoints at this address and port: with neither protocol nor SNI name given,
    /// every one of them.
    Endpoint {
        /// The address.
        address: String,
        /// The port.
        port: u16,
        /// Only the endpoints of this protocol (`tls`, `smtp`, ...).
        protocol: Option<String>,
        /// Only the endpoints scanned with this SNI name.
        sni: Option<String>,
    },
    /// A certificate, by fingerprint prefix (8+ hex digits).
    Certificate(String),
}

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    /// Unix seconds.
    pub at: i64,
    /// The run that saw it.
    pub run: i64,
    /// The endpoint.
    pub endpoint: String,
    /// What happened (`new`, `renewed`, ...).
    pub kind: String,
    /// The certificate concerned, colon hex; empty when none.
    pub sha256: String,
    /// The certificate before, colon hex; empty when none.
    pub previous_sha256: String,
    /// The state before, for state changes.
    pub old_state: String,
    /// The state after, for state changes.
    pub new_state: String,
    /// One line in words.
    pub detail: String,
}

/// One scan run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRow {
    /// The run's id.
    pub id: i64,
    /// The job.
    pub job: String,
    /// The zone.
    pub zone: String,
    /// The scanner's host.
    pub host: String,
    /// Unix seconds.
    pub started: i64,
    /// Unix seconds; absent while running.
    pub ended: Option<i64>,
    /// `running`, `done`, `interrupted`.
    pub status: String,
    /// Endpoints planned.
    pub planned: u64,
    /// The counts.
    #[serde(flatten)]
    pub counts: crate::model::RunCounts,
}

/// A host's latest completed audit run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    /// The audited host.
    pub host: String,
    /// The run's id.
    pub run: i64,
    /// Its job.
    pub job: String,
    /// When it ended, Unix seconds.
    pub ended: i64,
    /// Places recorded (certificates and unreadable files).
    pub places: u64,
}

/// Everything an export for a monitoring system needs of one endpoint: its latest scan and,
/// while it serves one, its leaf certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRow {
    /// The endpoint.
    pub endpoint: crate::model::EndpointKey,
    /// The job that scans it.
    pub job: String,
    /// The latest state, 0-3.
    pub state: u8,
    /// The verdict's summary line of the latest scan.
    pub summary: String,
    /// The latest scan, Unix seconds.
    pub last_scan: i64,
    /// True when the latest completed run of the job did not see it (for a file's place:
    /// the latest completed run of the job on its host, as each host audits its own files).
    pub stale: bool,
    /// The TLS version of the latest scan (`TLSv1.3`), empty when none.
    pub tls_version: String,
    /// The stored findings of the latest scan.
    pub findings: Vec<crate::model::StoredFinding>,
    /// The leaf served now; `None` when the endpoint serves no certificate now.
    pub leaf: Option<ExportCertificate>,
    /// The earliest notAfter of the chain served now (blackbox's
    /// `probe_ssl_earliest_cert_expiry`).
    pub chain_not_after: Option<i64>,
}

/// The leaf certificate of an exported endpoint, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportCertificate {
    /// SHA-256 of the DER.
    pub sha256: Vec<u8>,
    /// The certificate.
    pub der: Vec<u8>,
    /// The subject DN.
    pub subject: String,
    /// The issuer DN.
    pub issuer: String,
    /// The subject's common name; empty when none.
    pub common_name: String,
    /// The issuer's common name; empty when none.
    pub issuer_common_name: String,
    /// The serial, hex.
    pub serial: String,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// Issued by itself.
    pub self_signed: bool,
}

/// What `cleanup` removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CleanupCounts {
    /// Endpoints not scanned since the cut-off (with their deployments and events).
    pub endpoints: u64,
    /// Deployments: those of the removed endpoints, and spans that ended before the cut-off.
    pub deployments: u64,
    /// Events: those of the removed endpoints, and every event before the cut-off.
    pub events: u64,
    /// Chains no deployment refers to any more.
    pub chains: u64,
    /// Certificates no chain and no event refers to any more.
    pub certificates: u64,
}

/// A leaf's deployment as a span of time: what the reports' trend charts count per day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeafSpan {
    /// The certificate's row id.
    pub certificate_id: i64,
    /// First seen there, Unix seconds.
    pub first_seen: i64,
    /// Last seen there.
    pub last_seen: i64,
    /// When it stopped being served there; absent while it is.
    pub ended_at: Option<i64>,
    /// The certificate's notAfter.
    pub not_after: i64,
}
