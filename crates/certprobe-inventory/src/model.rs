//! What goes into the inventory: one [`Sighting`] per endpoint and scan, made by the scanner
//! from the engine's outcome. Plain data, so a store needs nothing from the engine.

use serde::Serialize;

/// Where a certificate was seen: one endpoint of one zone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct EndpointKey {
    /// The scanner's zone name; empty for the default zone.
    pub zone: String,
    /// The IP address connected to, in its canonical text form.
    pub address: String,
    /// The TCP port.
    pub port: u16,
    /// The SNI name sent; empty when none was sent.
    pub sni: String,
    /// How TLS started: `tls` or a STARTTLS protocol name (`smtp`, `ldap`, ...).
    pub protocol: String,
}

impl EndpointKey {
    /// `address:port` (IPv6 in brackets), then `/protocol` unless direct TLS, then the SNI name.
    pub fn label(&self) -> String {
        // A place found by a local audit: `file:HOST:/path`, `winstore:HOST:LocalMachine\My`.
        if matches!(self.protocol.as_str(), "file" | "winstore") {
            return format!("{}:{}:{}", self.protocol, self.address, self.sni);
        }
        let mut label = if self.address.contains(':') {
            format!("[{}]:{}", self.address, self.port)
        } else {
            format!("{}:{}", self.address, self.port)
        };
        if self.protocol != "tls" {
            label.push('/');
            label.push_str(&self.protocol);
        }
        if !self.sni.is_empty() {
            label.push_str(" (");
            label.push_str(&self.sni);
            label.push(')');
        }
        label
    }
}

/// The facts of one certificate that the queries filter on, with its DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRecord {
    /// SHA-256 of the DER, the certificate's identity in the inventory.
    pub sha256: [u8; 32],
    /// The certificate as sent.
    pub der: Vec<u8>,
    /// The subject DN, RFC 4514 order.
    pub subject: String,
    /// The issuer DN.
    pub issuer: String,
    /// The subject's common name, if any.
    pub common_name: String,
    /// The issuer's common name, if any.
    pub issuer_common_name: String,
    /// The serial number in hex.
    pub serial: String,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// The key algorithm: `RSA`, `EC`, `Ed25519`, `DSA`, ...
    pub key_type: String,
    /// The key size in bits.
    pub key_bits: u32,
    /// The signature algorithm's name.
    pub signature: String,
    /// Issued by itself.
    pub self_signed: bool,
    /// A CA certificate (basicConstraints cA).
    pub is_ca: bool,
    /// The DNS names and IP addresses it covers (SAN, or the CN without SANs), lower case.
    pub names: Vec<String>,
}

/// One finding of the verdict, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StoredFinding {
    /// The finding's stable id (`expiry`, `trust`, `hostname`, ...).
    pub check: String,
    /// `OK`, `WARNING`, `CRITICAL` or `UNKNOWN`.
    pub state: String,
    /// The finding's line.
    pub message: String,
}

/// What one endpoint gave in one scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// A chain was captured and judged.
    Served {
        /// The chain as sent, leaf first.
        chain: Vec<CertRecord>,
        /// The negotiated TLS version (`TLSv1.3`, ...), empty when unknown.
        tls_version: String,
    },
    /// No chain: the connection or the handshake failed.
    Failed {
        /// What failed, as a short word: `refused`, `timeout`, `dns`, `handshake`, ...
        kind: String,
        /// True when something listened (the TCP connection was made): such an endpoint is
        /// worth recording even the first time it is seen.
        answered: bool,
    },
}

/// One endpoint's result in one scan run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// The endpoint.
    pub endpoint: EndpointKey,
    /// When the check was made, Unix seconds.
    pub observed_at: i64,
    /// The verdict's state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (the plugins' exit codes).
    pub state: u8,
    /// The verdict's summary line.
    pub summary: String,
    /// Every finding of the verdict.
    pub findings: Vec<StoredFinding>,
    /// The chain, or why there was none.
    pub seen: Seen,
}

/// A scan run as it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStart {
    /// What the run does: `scan` (the network) or `audit` (local files).
    pub kind: RunKind,
    /// The job's name (`adhoc` for targets on the command line).
    pub job: String,
    /// The scanner's zone.
    pub zone: String,
    /// The scanning machine's name.
    pub host: String,
    /// Unix seconds.
    pub started: i64,
    /// Endpoints planned.
    pub planned: u64,
    /// The id of the exported audit this run imports (`certprobe inventory import`): one
    /// completed run per id, so an import is done once.
    pub import_id: Option<String>,
}

/// What a run does, as the inventory stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    /// `certprobe scan`: endpoints on the network.
    Scan,
    /// `certprobe audit`: certificates in this host's files and stores.
    Audit,
}

impl RunKind {
    /// The stored name: `scan`, `audit`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Scan => "scan",
            RunKind::Audit => "audit",
        }
    }
}

/// A run's counts as it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct RunCounts {
    /// Endpoints checked (including the ones with no answer).
    pub checked: u64,
    /// Endpoints that served a chain.
    pub served: u64,
    /// Endpoints where something answered but no chain could be read.
    pub failed: u64,
    /// Endpoints with no answer at all (refused, timed out, unresolvable).
    pub silent: u64,
}

impl RunCounts {
    /// Counts one more sighting: checked, and served, failed or silent.
    pub fn count(&mut self, sighting: &Sighting) {
        self.checked += 1;
        match &sighting.seen {
            Seen::Served { .. } => self.served += 1,
            Seen::Failed { answered: true, .. } => self.failed += 1,
            Seen::Failed {
                answered: false, ..
            } => self.silent += 1,
        }
    }

    /// These counts and `more`'s.
    pub fn plus(self, more: RunCounts) -> RunCounts {
        RunCounts {
            checked: self.checked + more.checked,
            served: self.served + more.served,
            failed: self.failed + more.failed,
            silent: self.silent + more.silent,
        }
    }
}

/// A run that several scanners share (`certprobe scan --share`), as one of them joined it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedRun {
    /// The run's id.
    pub id: i64,
    /// True when this scanner made it (and its units); false when it joined one under way.
    pub created: bool,
    /// Its units.
    pub units: u64,
    /// Endpoints planned, over all units.
    pub planned: u64,
}

/// A work unit a scanner holds for a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkUnit {
    /// The unit's id.
    pub id: i64,
    /// What it covers: an address block, as the scanner that cut the run wrote it.
    pub spec: String,
    /// How many times it has been claimed, this time included.
    pub attempts: u64,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Still running, or killed: the next scan of the job continues it.
    Running,
    /// Every planned endpoint was checked.
    Done,
    /// Stopped by a signal before the end; the next scan of the job continues it.
    Interrupted,
}

impl RunStatus {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Interrupted => "interrupted",
        }
    }

    /// The status of a stored name; unknown names read as running.
    pub fn from_name(name: &str) -> RunStatus {
        match name {
            "done" => RunStatus::Done,
            "interrupted" => RunStatus::Interrupted,
            _ => RunStatus::Running,
        }
    }
}

/// The state names by their stored number.
pub fn state_name(state: u8) -> &'static str {
    match state {
        0 => "OK",
        1 => "WARNING",
        2 => "CRITICAL",
        _ => "UNKNOWN",
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    hex_with(bytes, b"0123456789abcdef", None)
}

/// Upper-case colon-separated hex, the way browsers and `openssl x509 -fingerprint` show it.
pub fn colon_hex(bytes: &[u8]) -> String {
    hex_with(bytes, b"0123456789ABCDEF", Some(b':'))
}

/// Hex from a digit table, without `format!` per byte: a query prints thousands of
/// fingerprints, and formatting each byte cost more than reading the rows.
fn hex_with(bytes: &[u8], digits: &[u8; 16], separator: Option<u8>) -> String {
    let step = if separator.is_some() { 3 } else { 2 };
    // Filled by index in a buffer of the final length: no growth check per byte.
    let mut out = vec![separator.unwrap_or(b'0'); (bytes.len() * step).saturating_sub(step - 2)];
    for (chunk, b) in out.chunks_mut(step).zip(bytes) {
        chunk[0] = digits[usize::from(b >> 4)];
        chunk[1] = digits[usize::from(b & 0x0f)];
    }
    // Digits and the separator are ASCII: always UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_and_colon_hex_upper_case_with_separators() {
        assert_eq!(hex(&[0x00, 0x5e, 0xff]), "005eff");
        assert_eq!(colon_hex(&[0x00, 0x5e, 0xff]), "00:5E:FF");
        assert_eq!(colon_hex(&[0x0a]), "0A");
        assert_eq!(colon_hex(&[]), "");
    }
}
