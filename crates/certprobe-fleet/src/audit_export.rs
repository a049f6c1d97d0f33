//! The file `certprobe audit --export FILE` writes and `certprobe inventory import FILE`
//! loads on the central host: each audit with its places as the auditing host judged them,
//! the chains as DER (base64), and what the removal of gone places needs (the paths read,
//! the ones that could not be). The file is untrusted on import: every field is checked
//! before anything is written, the chains are parsed again, and an audit can only describe
//! file places of its own host.

use certprobe::analysis::CertFacts;
use certprobe_inventory::model::{
    CertRecord, EndpointKey, RunKind, RunStart, Seen, Sighting, StoredFinding,
};
use certprobe_inventory::query::Source;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The format's version, the value of `certprobe_audit_export`.
pub(crate) const FORMAT: u32 = 1;

/// The largest export file read.
pub(crate) const MAX_FILE_BYTES: u64 = 512 << 20;

pub(crate) const MAX_TEXT: usize = 8192;
const MAX_CHAIN: usize = 16;
const MAX_DER: usize = 64 * 1024;

/// A whole export file: one audit per `[[audit]]` run.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportFile {
    pub certprobe_audit_export: u32,
    pub audits: Vec<ExportedAudit>,
}

/// One audit run.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportedAudit {
    /// 32 hex digits, random: what makes an import happen once.
    pub id: String,
    pub job: String,
    pub zone: String,
    pub host: String,
    pub started: i64,
    pub ended: i64,
    /// The paths read, as shown.
    pub roots: Vec<String>,
    /// The paths that could not be read (and are there).
    pub unread: Vec<String>,
    /// The Windows certificate stores read, and those that could not be.
    #[serde(default)]
    pub stores: Vec<String>,
    #[serde(default)]
    pub unread_stores: Vec<String>,
    pub files: u64,
    pub without_certificate: u64,
    pub certificates: u64,
    pub places: Vec<ExportedPlace>,
}

/// One place with its verdict: a chain, or the failure kind when the file was unreadable.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportedPlace {
    pub path: String,
    pub observed_at: i64,
    pub state: u8,
    pub summary: String,
    pub findings: Vec<StoredFinding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// A certificate of a Windows store (`path` is `LocalMachine\My\THUMBPRINT`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub store: bool,
}

impl ExportedPlace {
    /// A sighting of the audit as exported.
    pub(crate) fn of(sighting: &Sighting) -> ExportedPlace {
        let (chain, failure) = match &sighting.seen {
            Seen::Served { chain, .. } => (
                Some(
                    chain
                        .iter()
                        .map(|c| certprobe::encoding::base64(&c.der))
                        .collect(),
                ),
                None,
            ),
            Seen::Failed { kind, .. } => (None, Some(kind.clone())),
        };
        ExportedPlace {
            path: sighting.endpoint.sni.clone(),
            observed_at: sighting.observed_at,
            state: sighting.state,
            summary: sighting.summary.clone(),
            findings: sighting.findings.clone(),
            chain,
            failure,
            store: sighting.endpoint.protocol == Source::STORE_PROTOCOL,
        }
    }
}

/// Why an export file cannot be imported; nothing of it is then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImportError {
    /// Not JSON of this format (serde_json's words, made visible).
    NotAnExport(String),
    /// Another version of the format.
    Version(u32),
    /// A field of an audit that is not acceptable.
    Audit {
        audit: usize,
        field: &'static str,
        why: &'static str,
    },
    /// A field of a place that is not acceptable.
    Place {
        audit: usize,
        place: usize,
        field: &'static str,
        why: String,
    },
    /// A field of a scan (`certprobe scan --export`) that is not acceptable.
    Scan {
        scan: usize,
        field: &'static str,
        why: &'static str,
    },
    /// A field of a scanned endpoint that is not acceptable.
    Endpoint {
        scan: usize,
        endpoint: usize,
        field: &'static str,
        why: String,
    },
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::NotAnExport(why) => {
                write!(f, "it is not an export of certprobe scan or audit: {why}")
            }
            ImportError::Version(v) => write!(
                f,
                "it is an export of format {v}; this certprobe reads format {FORMAT}"
            ),
            ImportError::Audit { audit, field, why } => {
                write!(f, "audit {}: {field}: {why}", audit + 1)
            }
            ImportError::Place {
                audit,
                place,
                field,
                why,
            } => write!(
                f,
                "audit {}, place {}: {field}: {why}",
                audit + 1,
                place + 1
            ),
            ImportError::Scan { scan, field, why } => {
                write!(f, "scan {}: {field}: {why}", scan + 1)
            }
            ImportError::Endpoint {
                scan,
                endpoint,
                field,
                why,
            } => write!(
                f,
                "scan {}, endpoint {}: {field}: {why}",
                scan + 1,
                endpoint + 1
            ),
        }
    }
}

impl std::error::Error for ImportError {}

/// Reads export text: the version, then every audit checked.
pub(crate) fn parse(text: &str) -> Result<ExportFile, ImportError> {
    // The version first, so that another format is named as such.
    #[derive(Deserialize)]
    struct Version {
        certprobe_audit_export: Option<u32>,
    }
    let version: Version = serde_json::from_str(text)
        .map_err(|e| ImportError::NotAnExport(certprobe::text::visible(&e.to_string())))?;
    match version.certprobe_audit_export {
        Some(FORMAT) => {}
        Some(other) => return Err(ImportError::Version(other)),
        None => {
            return Err(ImportError::NotAnExport(
                "it has neither a certprobe_scan_export nor a certprobe_audit_export field"
                    .to_string(),
            ))
        }
    }
    let file: ExportFile = serde_json::from_str(text)
        .map_err(|e| ImportError::NotAnExport(certprobe::text::visible(&e.to_string())))?;
    for (index, audit) in file.audits.iter().enumerate() {
        check_audit(index, audit)?;
    }
    Ok(file)
}

/// The fields every exported run has: its id, job, host, zone and times.
pub(crate) fn check_run(
    id: &str,
    job: &str,
    host: &str,
    zone: &str,
    (started, ended): (i64, i64),
) -> Result<(), (&'static str, &'static str)> {
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(("id", "not 32 hex digits"));
    }
    if !certprobe_scan::config::is_job_name(job) {
        return Err(("job", "not a job name (letters, digits, '-', '_' and '.')"));
    }
    if !plain(host, 255) || host.is_empty() {
        return Err(("host", "empty, too long or with control characters"));
    }
    if !plain(zone, 255) {
        return Err(("zone", "too long or with control characters"));
    }
    if started < 0 || ended < started {
        return Err(("ended", "before the start"));
    }
    // A day of clock skew is allowed; a run from later would make every real one older.
    if ended > certprobe::clock::now_unix() + 86_400 {
        return Err(("ended", "in the future"));
    }
    Ok(())
}

/// Findings as certprobe writes them: a check's word, a state and one line each.
pub(crate) fn check_findings(findings: &[StoredFinding]) -> Result<(), (&'static str, String)> {
    for finding in findings {
        let state_ok = ["OK", "WARNING", "CRITICAL", "UNKNOWN"].contains(&finding.state.as_str());
        if !word(&finding.check) || !state_ok || !plain(&finding.message, MAX_TEXT) {
            return Err((
                "findings",
                "a finding that is not a check, a state and a line".to_string(),
            ));
        }
    }
    Ok(())
}

fn check_audit(index: usize, audit: &ExportedAudit) -> Result<(), ImportError> {
    let bad = |(field, why): (&'static str, &'static str)| ImportError::Audit {
        audit: index,
        field,
        why,
    };
    let times = (audit.started, audit.ended);
    check_run(&audit.id, &audit.job, &audit.host, &audit.zone, times).map_err(bad)?;
    let all = [
        &audit.roots,
        &audit.unread,
        &audit.stores,
        &audit.unread_stores,
    ];
    for path in all.into_iter().flatten() {
        if !plain(path, MAX_TEXT) || path.is_empty() {
            return Err(bad((
                "roots",
                "a path that is empty, too long or with control characters",
            )));
        }
    }
    Ok(())
}

impl ExportedAudit {
    /// The run that imports it.
    pub(crate) fn start(&self) -> RunStart {
        RunStart {
            kind: RunKind::Audit,
            job: self.job.clone(),
            zone: self.zone.clone(),
            host: self.host.clone(),
            started: self.started,
            planned: 0,
            import_id: Some(self.id.clone()),
        }
    }

    /// The places as the inventory records them, each checked and its chain parsed again.
    pub(crate) fn sightings(&self, index: usize) -> Result<Vec<Sighting>, ImportError> {
        self.places
            .iter()
            .enumerate()
            .map(|(n, place)| {
                self.sighting(place)
                    .map_err(|(field, why)| ImportError::Place {
                        audit: index,
                        place: n,
                        field,
                        why,
                    })
            })
            .collect()
    }

    fn sighting(&self, place: &ExportedPlace) -> Result<Sighting, (&'static str, String)> {
        let bad = |field: &'static str, why: &str| (field, why.to_string());
        if place.path.is_empty() || !plain(&place.path, MAX_TEXT) {
            return Err(bad("path", "empty, too long or with control characters"));
        }
        if place.state > 3 {
            return Err(bad("state", "not 0 to 3"));
        }
        if place.observed_at < 0 {
            return Err(bad("observed_at", "before 1970"));
        }
        if !plain(&place.summary, MAX_TEXT) {
            return Err(bad("summary", "too long or with control characters"));
        }
        check_findings(&place.findings)?;
        let seen = match (&place.chain, &place.failure) {
            (Some(chain), None) => Seen::Served {
                chain: parse_chain(chain.iter().map(String::as_str))?,
                tls_version: String::new(),
            },
            (None, Some(kind)) if word(kind) => Seen::Failed {
                kind: kind.clone(),
                answered: kind != crate::audit_finish::REMOVED,
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
                address: self.host.clone(),
                port: 0,
                sni: place.path.clone(),
                protocol: if place.store {
                    Source::STORE_PROTOCOL
                } else {
                    Source::FILE_PROTOCOL
                }
                .to_string(),
            },
            observed_at: place.observed_at,
            state: place.state,
            summary: place.summary.clone(),
            findings: place.findings.clone(),
            seen,
        })
    }
}

/// A chain of base64 DER certificates, leaf first, parsed again as the inventory keeps it.
pub(crate) fn parse_chain<'a>(
    chain: impl ExactSizeIterator<Item = &'a str>,
) -> Result<Vec<CertRecord>, (&'static str, String)> {
    let bad = |why: &str| ("chain", why.to_string());
    if chain.len() == 0 || chain.len() > MAX_CHAIN {
        return Err(bad("not 1 to 16 certificates"));
    }
    let mut records = Vec::with_capacity(chain.len());
    for (n, text) in chain.enumerate() {
        if text.len() > MAX_DER * 4 / 3 + 4 {
            return Err(bad("a certificate over 64 KiB"));
        }
        let der = certprobe::encoding::unbase64(text)
            .ok_or_else(|| bad("a certificate that is not base64"))?;
        let facts =
            CertFacts::parse(&der).map_err(|e| ("chain", format!("certificate {}: {e}", n + 1)))?;
        records.push(certprobe_scan::sighting::record_of(&facts, &der));
    }
    Ok(records)
}

/// Text of at most `max` bytes without control characters (what certprobe itself writes).
pub(crate) fn plain(text: &str, max: usize) -> bool {
    text.len() <= max && !text.chars().any(char::is_control)
}

/// A short identifier: `expiry`, `private-key`, `not-found`.
pub(crate) fn word(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// 32 random hex digits for an export's id.
pub(crate) fn new_id() -> Result<String, ring::error::Unspecified> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut bytes)?;
    Ok(certprobe::encoding::hex_upper(&bytes).to_lowercase())
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use certprobe_testkit::{Ca, LeafSpec};

    /// An export as `certprobe audit --export` writes one: a place with a chain, one without.
    fn sample() -> String {
        let root = Ca::root("export test root");
        let leaf = root.issue(&LeafSpec::new("shop.example").valid_until(30.0));
        let place = |path: &str, chain: Option<Vec<String>>, failure: Option<&str>| ExportedPlace {
            path: path.to_string(),
            observed_at: 1_700_000_000,
            state: if failure.is_some() { 3 } else { 0 },
            summary: "'shop.example' issued by 'export test root' expires in 30.00 days".into(),
            findings: vec![StoredFinding {
                check: "expiry".into(),
                state: "OK".into(),
                message: "certificate expires in 30.00 days".into(),
            }],
            chain,
            failure: failure.map(str::to_string),
            store: false,
        };
        let file = ExportFile {
            certprobe_audit_export: FORMAT,
            audits: vec![ExportedAudit {
                id: "0123456789abcdef0123456789abcdef".into(),
                job: "audit".into(),
                zone: String::new(),
                host: "web01".into(),
                started: 1_700_000_000,
                ended: 1_700_000_001,
                roots: vec!["/etc/ssl".into()],
                unread: vec![],
                stores: vec![],
                unread_stores: vec![],
                files: 2,
                without_certificate: 0,
                certificates: 1,
                places: vec![
                    place(
                        "/etc/ssl/shop.pem",
                        Some(vec![certprobe::encoding::base64(&leaf.der)]),
                        None,
                    ),
                    place("/etc/ssl/gone.pem", None, Some("not-found")),
                ],
            }],
        };
        serde_json::to_string(&file).unwrap()
    }

    /// Every error a hostile file can cause is one line without control characters.
    fn sentence_of(text: &str) -> Option<String> {
        match parse(text) {
            Err(e) => Some(e.to_string()),
            Ok(file) => file
                .audits
                .iter()
                .enumerate()
                .find_map(|(n, a)| a.sightings(n).err())
                .map(|e| e.to_string()),
        }
    }

    #[test]
    fn a_written_export_reads_back_as_the_same_places() {
        let text = sample();
        let file = parse(&text).unwrap();
        let sightings = file.audits[0].sightings(0).unwrap();
        assert_eq!(sightings.len(), 2);
        assert_eq!(
            sightings[0].endpoint.label(),
            "file:web01:/etc/ssl/shop.pem"
        );
        assert!(matches!(&sightings[0].seen, Seen::Served { chain, .. } if chain.len() == 1));
        assert!(
            matches!(&sightings[1].seen, Seen::Failed { kind, answered: true } if kind == "not-found")
        );
        assert_eq!(
            file.audits[0].places[0].path,
            ExportedPlace::of(&sightings[0]).path
        );
    }

    /// Reads `text` cut at every `cut`-th byte and changed at every `change`-th: each refusal
    /// must be one plain non-empty line. Returns how many were refused.
    pub(crate) fn refusals(
        text: &str,
        (cut, change): (usize, usize),
        sentence_of: impl Fn(&str) -> Option<String>,
    ) -> usize {
        let bytes = text.as_bytes();
        let mut refused = 0;
        let mut check = |input: &[u8]| {
            let Ok(text) = std::str::from_utf8(input) else {
                return;
            };
            if let Some(sentence) = sentence_of(text) {
                assert!(!sentence.chars().any(char::is_control), "{sentence:?}");
                assert!(!sentence.is_empty());
                refused += 1;
            }
        };
        for len in (0..bytes.len()).step_by(cut) {
            check(&bytes[..len]);
        }
        for at in (0..bytes.len()).step_by(change) {
            for value in [b'"', b'\\', b'0', b'-', 0x1b, b'9', b'{'] {
                let mut changed = bytes.to_vec();
                changed[at] = value;
                check(&changed);
            }
        }
        refused
    }

    #[test]
    fn every_cut_and_changed_byte_is_refused_in_one_plain_line_or_read() {
        let text = sample();
        let refused = refusals(&text, (3, 5), sentence_of);
        assert!(refused > text.len() / 3, "only {refused} refused");
    }

    #[test]
    fn hostile_fields_are_named() {
        let text = sample();
        let swap = |from: &str, to: &str| sentence_of(&text.replacen(from, to, 1)).unwrap();
        assert_eq!(
            swap(
                "\"certprobe_audit_export\":1",
                "\"certprobe_audit_export\":9"
            ),
            "it is an export of format 9; this certprobe reads format 1"
        );
        assert_eq!(
            swap("\"host\":\"web01\"", "\"host\":\"\""),
            "audit 1: host: empty, too long or with control characters"
        );
        assert_eq!(
            swap("\"job\":\"audit\"", "\"job\":\"a b\""),
            "audit 1: job: not a job name (letters, digits, '-', '_' and '.')"
        );
        assert_eq!(
            swap("\"failure\":\"not-found\"", "\"failure\":\"Not Found\""),
            "audit 1, place 2: chain: give a chain or a failure, not both or neither"
        );
        assert_eq!(
            swap("\"state\":\"OK\"", "\"state\":\"FINE\""),
            "audit 1, place 1: findings: a finding that is not a check, a state and a line"
        );
        assert!(swap("\"job\"", "\"jab\"")
            .starts_with("it is not an export of certprobe scan or audit: unknown field `jab`"));
    }
}
