//! The file `certprobe scan --export FILE` writes where the scanner may not reach the
//! inventory (a strict DMZ), and `certprobe inventory import FILE` loads centrally: each
//! job's run with every endpoint as the scanner judged it. A certificate is written once per
//! run (base64 DER) and the endpoints refer to it by its index. The file is untrusted on
//! import: every field is checked before anything is written, the certificates are parsed
//! again, and a scan can only describe network endpoints of its own zone.

use crate::audit_export::{
    check_findings, check_run, new_id, parse_chain, plain, word, ImportError, MAX_TEXT,
};
use certprobe_inventory::model::{
    CertRecord, EndpointKey, RunCounts, RunKind, RunStart, RunStatus, Seen, Sighting, StoredFinding,
};
use certprobe_inventory::{InventoryError, Recorder, Run};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The format's version, the value of `certprobe_scan_export`.
pub(crate) const FORMAT: u32 = 1;

/// The most endpoints a scan plans (certprobe scan refuses more).
const MAX_PLANNED: u64 = 1 << 32;

/// The most certificate bytes the endpoints' chains of one scan may add up to on import
/// (each endpoint holds its own copy): a file that refers to one large certificate from every
/// endpoint cannot make the import take more memory than this.
const MAX_CHAIN_BYTES: usize = 1 << 30;

/// A whole export file: one scan per job run.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScanExportFile {
    pub certprobe_scan_export: u32,
    pub scans: Vec<ExportedScan>,
}

/// One job's run.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportedScan {
    /// 32 hex digits, random: what makes an import happen once.
    pub id: String,
    pub job: String,
    pub zone: String,
    pub host: String,
    pub started: i64,
    pub ended: i64,
    /// `done` or `interrupted`.
    pub status: String,
    pub planned: u64,
    pub counts: RunCounts,
    /// Every certificate the endpoints sent, each once, as base64 DER.
    pub certificates: Vec<String>,
    pub endpoints: Vec<ExportedEndpoint>,
}

/// One endpoint with its verdict: its chain (indexes into the certificates) or the failure.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportedEndpoint {
    pub address: String,
    pub port: u16,
    #[serde(default)]
    pub sni: String,
    pub protocol: String,
    pub observed_at: i64,
    pub state: u8,
    pub summary: String,
    pub findings: Vec<StoredFinding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<Vec<usize>>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tls_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// False when nothing listened.
    #[serde(default)]
    pub answered: bool,
}

/// A recorder that keeps the runs for the export file instead of an inventory.
#[derive(Default)]
pub(crate) struct ExportRecorder {
    file: ScanExportFile,
    /// Each certificate's index in its run's list, by SHA-256.
    known: HashMap<[u8; 32], usize>,
}

impl ExportRecorder {
    pub(crate) fn new() -> ExportRecorder {
        ExportRecorder {
            file: ScanExportFile {
                certprobe_scan_export: FORMAT,
                scans: Vec::new(),
            },
            known: HashMap::new(),
        }
    }

    /// The file's text.
    pub(crate) fn text(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(&self.file).map(|text| text + "\n")
    }

    /// The scans written: their endpoints and certificates.
    pub(crate) fn totals(&self) -> (usize, usize, usize) {
        let scans = &self.file.scans;
        (
            scans.len(),
            scans.iter().map(|s| s.endpoints.len()).sum(),
            scans.iter().map(|s| s.certificates.len()).sum(),
        )
    }

    fn scan(&mut self, run: &Run) -> Result<&mut ExportedScan, InventoryError> {
        let index = usize::try_from(run.id - 1).unwrap_or(usize::MAX);
        self.file
            .scans
            .get_mut(index)
            .ok_or(InventoryError::Database {
                path: "the export".to_string(),
                doing: "recording a scan",
                reason: "the run was not started".to_string(),
            })
    }
}

impl Recorder for ExportRecorder {
    fn begin_run(&mut self, start: &RunStart, _restart: bool) -> Result<Run, InventoryError> {
        let id = new_id().map_err(|_| InventoryError::Database {
            path: "the export".to_string(),
            doing: "starting a run",
            reason: "the system gives no random numbers for the export's id".to_string(),
        })?;
        self.file.scans.push(ExportedScan {
            id,
            job: start.job.clone(),
            zone: start.zone.clone(),
            host: start.host.clone(),
            started: start.started,
            ended: start.started,
            status: RunStatus::Running.as_str().to_string(),
            planned: start.planned,
            counts: RunCounts::default(),
            certificates: Vec::new(),
            endpoints: Vec::new(),
        });
        self.known.clear();
        Ok(Run::unlocked(self.file.scans.len() as i64, &start.job))
    }

    fn record(&mut self, run: &mut Run, batch: &[Sighting]) -> Result<(), InventoryError> {
        let mut known = std::mem::take(&mut self.known);
        let scan = self.scan(run)?;
        for sighting in batch {
            let counts = &mut run.counts;
            counts.checked += 1;
            let key = &sighting.endpoint;
            let mut endpoint = ExportedEndpoint {
                address: key.address.clone(),
                port: key.port,
                sni: key.sni.clone(),
                protocol: key.protocol.clone(),
                observed_at: sighting.observed_at,
                state: sighting.state,
                summary: sighting.summary.clone(),
                findings: sighting.findings.clone(),
                chain: None,
                tls_version: String::new(),
                failure: None,
                answered: true,
            };
            match &sighting.seen {
                Seen::Served { chain, tls_version } => {
                    counts.served += 1;
                    let indexes = chain
                        .iter()
                        .map(|c| {
                            *known.entry(c.sha256).or_insert_with(|| {
                                scan.certificates.push(certprobe::encoding::base64(&c.der));
                                scan.certificates.len() - 1
                            })
                        })
                        .collect();
                    endpoint.chain = Some(indexes);
                    endpoint.tls_version = tls_version.clone();
                }
                Seen::Failed { kind, answered } => {
                    if *answered {
                        counts.failed += 1;
                    } else {
                        counts.silent += 1;
                    }
                    endpoint.failure = Some(kind.clone());
                    endpoint.answered = *answered;
                }
            }
            scan.endpoints.push(endpoint);
        }
        scan.counts = run.counts;
        self.known = known;
        Ok(())
    }

    fn finish_run(
        &mut self,
        run: Run,
        status: RunStatus,
        ended: i64,
    ) -> Result<(), InventoryError> {
        let scan = self.scan(&run)?;
        scan.status = status.as_str().to_string();
        scan.ended = ended;
        Ok(())
    }
}

/// Reads export text: the version, then every scan checked.
pub(crate) fn parse(text: &str) -> Result<ScanExportFile, ImportError> {
    let file: ScanExportFile = serde_json::from_str(text)
        .map_err(|e| ImportError::NotAnExport(certprobe::text::visible(&e.to_string())))?;
    if file.certprobe_scan_export != FORMAT {
        return Err(ImportError::Version(file.certprobe_scan_export));
    }
    for (index, scan) in file.scans.iter().enumerate() {
        check_scan(index, scan)?;
    }
    Ok(file)
}

fn check_scan(index: usize, scan: &ExportedScan) -> Result<(), ImportError> {
    let bad = |(field, why): (&'static str, &'static str)| ImportError::Scan {
        scan: index,
        field,
        why,
    };
    let times = (scan.started, scan.ended);
    check_run(&scan.id, &scan.job, &scan.host, &scan.zone, times).map_err(bad)?;
    if status_of(&scan.status).is_none() {
        return Err(bad(("status", "neither done nor interrupted")));
    }
    if scan.planned > MAX_PLANNED {
        return Err(bad(("planned", "more endpoints than a scan plans")));
    }
    Ok(())
}

fn status_of(name: &str) -> Option<RunStatus> {
    match name {
        "done" => Some(RunStatus::Done),
        "interrupted" => Some(RunStatus::Interrupted),
        _ => None,
    }
}

impl ExportedScan {
    /// The run that imports it.
    pub(crate) fn start(&self) -> RunStart {
        RunStart {
            kind: RunKind::Scan,
            job: self.job.clone(),
            zone: self.zone.clone(),
            host: self.host.clone(),
            started: self.started,
            planned: self.planned,
            import_id: Some(self.id.clone()),
        }
    }

    /// How the run ended (checked by [`parse`]).
    pub(crate) fn status(&self) -> RunStatus {
        status_of(&self.status).unwrap_or(RunStatus::Interrupted)
    }

    /// The endpoints as the inventory records them, each checked, every certificate parsed
    /// again (once).
    pub(crate) fn sightings(&self, index: usize) -> Result<Vec<Sighting>, ImportError> {
        let certificates: Vec<CertRecord> = self
            .certificates
            .iter()
            .map(|text| parse_chain(std::iter::once(text.as_str())).map(|mut c| c.remove(0)))
            .collect::<Result<_, _>>()
            .map_err(|(_, why)| ImportError::Scan {
                scan: index,
                field: "certificates",
                why: if why.contains("base64") {
                    "a certificate that is not base64"
                } else {
                    "a certificate that cannot be read"
                },
            })?;
        let bytes: usize = self
            .endpoints
            .iter()
            .flat_map(|e| e.chain.iter().flatten())
            .map(|&i| certificates.get(i).map_or(0, |c| c.der.len()))
            .fold(0, usize::saturating_add);
        if bytes > MAX_CHAIN_BYTES {
            return Err(ImportError::Scan {
                scan: index,
                field: "endpoints",
                why: "chains that add up to more than 1 GiB",
            });
        }
        let mut seen = std::collections::HashSet::new();
        self.endpoints
            .iter()
            .enumerate()
            .map(|(n, endpoint)| {
                let bad = |(field, why)| ImportError::Endpoint {
                    scan: index,
                    endpoint: n,
                    field,
                    why,
                };
                let sighting = self.sighting(endpoint, &certificates).map_err(bad)?;
                if !seen.insert(sighting.endpoint.clone()) {
                    return Err(bad((
                        "address",
                        "the scan has this endpoint twice".to_string(),
                    )));
                }
                Ok(sighting)
            })
            .collect()
    }

    fn sighting(
        &self,
        endpoint: &ExportedEndpoint,
        certificates: &[CertRecord],
    ) -> Result<Sighting, (&'static str, String)> {
        let bad = |field: &'static str, why: &str| (field, why.to_string());
        let address: std::net::IpAddr = endpoint
            .address
            .parse()
            .map_err(|_| bad("address", "not an IP address"))?;
        if endpoint.port == 0 {
            return Err(bad("port", "not 1 to 65535"));
        }
        let Some(protocol) = certprobe::Protocol::from_name(&endpoint.protocol) else {
            return Err(bad("protocol", "not a protocol certprobe scans"));
        };
        let ascii = certprobe::idna::to_ascii_name(&endpoint.sni);
        if !endpoint.sni.is_empty() && ascii.ok().as_deref() != Some(endpoint.sni.as_str()) {
            return Err(bad("sni", "not a DNS name as certprobe writes it"));
        }
        let known_version = certprobe::tls_version::TlsVersion::from_name(&endpoint.tls_version)
            .is_some_and(|v| v.name() == endpoint.tls_version);
        if !endpoint.tls_version.is_empty() && !known_version {
            return Err(bad("tls_version", "not a TLS version"));
        }
        if endpoint.state > 3 {
            return Err(bad("state", "not 0 to 3"));
        }
        if endpoint.observed_at < self.started || endpoint.observed_at > self.ended {
            return Err(bad("observed_at", "outside the scan's start and end"));
        }
        if !plain(&endpoint.summary, MAX_TEXT) {
            return Err(bad("summary", "too long or with control characters"));
        }
        check_findings(&endpoint.findings)?;
        let seen = match (&endpoint.chain, &endpoint.failure) {
            (Some(chain), None) => {
                if chain.is_empty() || chain.len() > 16 {
                    return Err(bad("chain", "not 1 to 16 certificates"));
                }
                let distinct: std::collections::HashSet<_> = chain.iter().collect();
                if distinct.len() != chain.len() {
                    return Err(bad("chain", "a certificate twice in one chain"));
                }
                let records = chain
                    .iter()
                    .map(|&i| certificates.get(i).cloned())
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| bad("chain", "a certificate the scan does not have"))?;
                Seen::Served {
                    chain: records,
                    tls_version: endpoint.tls_version.clone(),
                }
            }
            (None, Some(kind)) if word(kind) => Seen::Failed {
                kind: kind.clone(),
                answered: endpoint.answered,
            },
            _ => {
                return Err(bad(
                    "chain",
                    "give a chain or a failure, not both or neither",
                ))
            }
        };
        Ok(Sighting {
            endpoint: EndpointKey {
                zone: self.zone.clone(),
                address: address.to_string(),
                port: endpoint.port,
                sni: endpoint.sni.clone(),
                protocol: protocol.name().to_string(),
            },
            observed_at: endpoint.observed_at,
            state: endpoint.state,
            summary: endpoint.summary.clone(),
            findings: endpoint.findings.clone(),
            seen,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use certprobe::analysis::CertFacts;
    use certprobe_testkit::{Ca, LeafSpec};

    fn sighting(address: &str, seen: Seen) -> Sighting {
        Sighting {
            endpoint: EndpointKey {
                zone: "dmz".into(),
                address: address.into(),
                port: 443,
                sni: "shop.example".into(),
                protocol: "tls".into(),
            },
            observed_at: 1_700_000_000,
            state: 1,
            summary: "certificate expires in 20.00 days".into(),
            findings: vec![StoredFinding {
                check: "expiry".into(),
                state: "WARNING".into(),
                message: "certificate expires in 20.00 days".into(),
            }],
            seen,
        }
    }

    /// A recorder's file with two endpoints sharing a chain and one that did not answer.
    fn sample() -> (Vec<Sighting>, String) {
        let root = Ca::root("scan export root");
        let leaf = root.issue(&LeafSpec::new("shop.example").valid_until(20.0));
        let record =
            |der: &[u8]| certprobe_scan::sighting::record_of(&CertFacts::parse(der).unwrap(), der);
        let chain = vec![record(&leaf.der), record(&root.der())];
        let served = || Seen::Served {
            chain: chain.clone(),
            tls_version: "TLSv1.3".into(),
        };
        let silent = Seen::Failed {
            kind: "timeout".into(),
            answered: false,
        };
        let batch = vec![
            sighting("192.0.2.1", served()),
            sighting("2001:db8::1", served()),
            sighting("192.0.2.9", silent),
        ];
        let mut recorder = ExportRecorder::new();
        let start = RunStart {
            kind: RunKind::Scan,
            job: "dmz".into(),
            zone: "dmz".into(),
            host: "scanner1".into(),
            started: 1_700_000_000,
            planned: 3,
            import_id: None,
        };
        let mut run = recorder.begin_run(&start, false).unwrap();
        recorder.record(&mut run, &batch).unwrap();
        recorder
            .finish_run(run, RunStatus::Done, 1_700_000_005)
            .unwrap();
        assert_eq!(recorder.totals(), (1, 3, 2), "each certificate once");
        (batch, recorder.text().unwrap())
    }

    fn sentence_of(text: &str) -> Option<String> {
        match parse(text) {
            Err(e) => Some(e.to_string()),
            Ok(file) => file
                .scans
                .iter()
                .enumerate()
                .find_map(|(n, s)| s.sightings(n).err())
                .map(|e| e.to_string()),
        }
    }

    #[test]
    fn a_written_export_reads_back_as_the_same_sightings() {
        let (batch, text) = sample();
        let file = parse(&text).unwrap();
        let scan = &file.scans[0];
        assert_eq!(scan.status(), RunStatus::Done);
        assert_eq!((scan.counts.served, scan.counts.silent), (2, 1));
        assert_eq!(scan.sightings(0).unwrap(), batch);
    }

    #[test]
    fn every_cut_and_changed_byte_is_refused_in_one_plain_line_or_read() {
        let (_, text) = sample();
        let refused = crate::audit_export::tests::refusals(&text, (7, 11), sentence_of);
        assert!(refused > text.len() / 8, "only {refused} refused");
    }

    #[test]
    fn hostile_fields_are_named() {
        let (_, text) = sample();
        let swap = |from: &str, to: &str| sentence_of(&text.replacen(from, to, 1)).unwrap();
        assert_eq!(
            swap("\"certprobe_scan_export\":1", "\"certprobe_scan_export\":7"),
            "it is an export of format 7; this certprobe reads format 1"
        );
        assert_eq!(
            swap("\"status\":\"done\"", "\"status\":\"running\""),
            "scan 1: status: neither done nor interrupted"
        );
        assert_eq!(
            swap("\"address\":\"192.0.2.1\"", "\"address\":\"shop\""),
            "scan 1, endpoint 1: address: not an IP address"
        );
        assert_eq!(
            swap("\"chain\":[0,1]", "\"chain\":[0,5]"),
            "scan 1, endpoint 1: chain: a certificate the scan does not have"
        );
        assert_eq!(
            swap(
                "\"sni\":\"shop.example\"",
                "\"sni\":\"shop\\u001b.example\""
            ),
            "scan 1, endpoint 1: sni: not a DNS name as certprobe writes it"
        );
        assert_eq!(
            swap("\"sni\":\"shop.example\"", "\"sni\":\"SHOP.example\""),
            "scan 1, endpoint 1: sni: not a DNS name as certprobe writes it"
        );
        assert_eq!(
            swap(
                "\"summary\":\"certificate",
                "\"summary\":\"\\u001bcertificate"
            ),
            "scan 1, endpoint 1: summary: too long or with control characters"
        );
        assert_eq!(
            swap("\"tls_version\":\"TLSv1.3\"", "\"tls_version\":\"SSLv9\""),
            "scan 1, endpoint 1: tls_version: not a TLS version"
        );
        assert_eq!(
            swap("\"chain\":[0,1]", "\"chain\":[0,0]"),
            "scan 1, endpoint 1: chain: a certificate twice in one chain"
        );
        assert_eq!(
            swap("\"address\":\"2001:db8::1\"", "\"address\":\"192.0.2.1\""),
            "scan 1, endpoint 2: address: the scan has this endpoint twice"
        );
        assert_eq!(
            swap("\"ended\":1700000005", "\"ended\":4000000000"),
            "scan 1: ended: in the future"
        );
        assert_eq!(
            swap("\"observed_at\":1700000000", "\"observed_at\":1700000009"),
            "scan 1, endpoint 1: observed_at: outside the scan's start and end"
        );
        assert_eq!(
            swap("\"port\":443", "\"port\":0"),
            "scan 1, endpoint 1: port: not 1 to 65535"
        );
    }
}
