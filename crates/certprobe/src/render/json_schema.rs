//! The published JSON schema (`--output json`, version [`SCHEMA_VERSION`]) as its own types.
//! Internal structs may be renamed or reshaped freely: only this file says what scripts get,
//! and fields are only ever added. Every type is built from the engine's data by `From`.

use crate::analysis::{self, CertFacts};
use crate::observation;
use crate::verdict;
use serde::Serialize;

/// Bumped only when a field changes meaning or goes away (never so far).
pub const SCHEMA_VERSION: u32 = 1;

/// The whole document, its keys written in this order.
#[derive(Serialize)]
pub struct Document {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The executable name (`check_tls_cert`).
    pub plugin: String,
    /// What was checked; null when the arguments could not be understood.
    pub target: Option<Target>,
    /// `OK`, `WARNING`, `CRITICAL` or `UNKNOWN`.
    pub state: &'static str,
    /// The Nagios exit code of `state` (0..3), which is also the process's.
    pub exit_code: i32,
    /// The status line's text: the certificate at a glance on OK, otherwise the findings
    /// that set the state.
    pub summary: String,
    /// The leaf's alarm tier (`OK`, `Info`, `Warning`, `Critical`); null when no certificate
    /// was analysed.
    pub tier: Option<&'static str>,
    /// Every finding, in the verdict's fixed order; one for a failed check.
    pub findings: Vec<Finding>,
    /// The connection that captured the chain; null when nothing was captured.
    pub connection: Option<Connection>,
    /// The chain as sent, leaf first; empty when no certificate was analysed.
    pub chain: Vec<Element>,
    /// The host name against the leaf; null when no certificate was analysed.
    pub name_check: Option<NameCheck>,
    /// Problems with the order or content of the chain as sent; empty when there are none.
    pub chain_notes: Vec<ChainNote>,
    /// The leaf's revocation lookup; null when not checked (turned off, a self-signed leaf, or
    /// no certificate analysed).
    pub revocation: Option<Revocation>,
    /// With `--protocols`: TLSv1.0 to TLSv1.3, accepted or not; empty otherwise.
    pub protocols: Vec<ProtocolSupport>,
    /// With `--protocols`: the security grade; null otherwise.
    pub grade: Option<Grade>,
    /// The chain against the trust anchors; null when no certificate was analysed.
    pub trust: Option<Trust>,
}

/// The target as used.
#[derive(Serialize)]
pub struct Target {
    /// The host as given: a DNS name or an IP literal.
    pub host: String,
    /// The TCP port.
    pub port: u16,
    /// `tls`, or the STARTTLS protocol's name (`smtp`, `ldap`, ...).
    pub protocol: &'static str,
    /// The `--address` connected to instead of resolving `host`; null when `host` was resolved.
    pub address: Option<String>,
    /// The SNI name sent, in ASCII form; null when none was sent (an IP literal without `--sni`).
    pub sni: Option<String>,
}

/// One judged fact.
#[derive(Serialize)]
pub struct Finding {
    /// The check's stable id (`expiry`, `name`, `trust`, ...), as the README lists them.
    pub check: &'static str,
    /// The state this fact alone deserves: `OK`, `WARNING`, `CRITICAL` or `UNKNOWN`.
    pub state: &'static str,
    /// One line for people.
    pub message: String,
}

impl From<&verdict::Finding> for Finding {
    fn from(f: &verdict::Finding) -> Finding {
        Finding {
            check: f.check.as_str(),
            state: f.state.as_str(),
            message: f.message.clone(),
        }
    }
}

/// The connection that captured the chain.
#[derive(Serialize)]
pub struct Connection {
    /// The address connected to, `ip:port` (an IPv6 address in brackets).
    pub peer: String,
    /// `tls`, or the STARTTLS protocol's name, as in `target`.
    pub protocol: &'static str,
    /// The server's first plain-text line on STARTTLS protocols (XMPP: its stream features,
    /// MySQL: its version); null for direct TLS and dialogues without one.
    pub greeting: Option<String>,
    /// `TLSv1.0` to `TLSv1.3`; `""` when the handshake did not complete.
    pub tls_version: &'static str,
    /// The negotiated suite (`TLS13_AES_256_GCM_SHA384`, or the IANA name after the legacy
    /// capture); `""` when the handshake did not complete.
    pub cipher_suite: String,
    /// Why the handshake failed after the chain was captured; null when it completed.
    pub handshake_error: Option<String>,
    /// Why rustls failed, when the chain was read with certprobe's own ClientHello instead;
    /// null otherwise.
    pub legacy_handshake: Option<String>,
    /// True when the server stapled an OCSP response to the handshake.
    pub ocsp_stapled: bool,
    /// Milliseconds spent in each network step.
    pub timings_ms: Timings,
}

/// Milliseconds spent in each network step of the capturing connection.
#[derive(Serialize)]
pub struct Timings {
    /// Name resolution; close to 0 for an IP literal.
    pub resolve_ms: f64,
    /// The TCP connect, every address tried included.
    pub connect_ms: f64,
    /// The STARTTLS dialogue; 0 for direct TLS.
    pub starttls_ms: f64,
    /// The TLS handshake.
    pub handshake_ms: f64,
}

impl From<&observation::Timings> for Timings {
    fn from(t: &observation::Timings) -> Timings {
        Timings {
            resolve_ms: t.resolve_ms,
            connect_ms: t.connect_ms,
            starttls_ms: t.starttls_ms,
            handshake_ms: t.handshake_ms,
        }
    }
}

/// One certificate of the chain as sent.
#[derive(Serialize)]
pub struct Element {
    /// The subject's distinguished name, attributes in the certificate's order
    /// (`CN=www.example.com, O=Example`).
    pub subject: String,
    /// The issuer's distinguished name, in the same form.
    pub issuer: String,
    /// The subject as Go prints it, RFC 2253 style (as Zabbix agent 2 reports it).
    pub subject_rfc2253: String,
    /// The issuer as Go prints it, RFC 2253 style.
    pub issuer_rfc2253: String,
    /// The subject's first CN; null when it has none.
    pub common_name: Option<String>,
    /// The issuer's first CN; null when it has none.
    pub issuer_common_name: Option<String>,
    /// The subjectAltName DNS entries as written (wildcards included).
    pub dns_names: Vec<String>,
    /// The subjectAltName IP entries (`192.0.2.1`, `2001:db8::1`).
    pub ip_addresses: Vec<String>,
    /// The serial number's bytes as encoded, in uppercase hex.
    pub serial: String,
    /// Start of validity, Unix seconds.
    pub not_before: i64,
    /// End of validity, Unix seconds.
    pub not_after: i64,
    /// The public key.
    pub key: Key,
    /// Go-style name of the signature algorithm (`SHA256-RSA`, `ECDSA-SHA384`).
    pub signature_algorithm: String,
    /// SHA-1 of the DER, uppercase hex without separators.
    pub sha1_fingerprint: String,
    /// SHA-256 of the DER, uppercase hex without separators.
    pub sha256_fingerprint: String,
    /// Subject equals issuer and the certificate's own key verifies its signature (or the
    /// algorithm is one that cannot be checked).
    pub self_signed: bool,
    /// Basic constraints say CA.
    pub is_ca: bool,
    /// Key usage bits by RFC 5280 name (`digitalSignature`); empty without the extension.
    pub key_usage: Vec<String>,
    /// Extended key usages (`serverAuth`, or the OID when unnamed); empty without the extension.
    pub extended_key_usage: Vec<String>,
    /// AIA caIssuers URLs, where the issuer certificate can be fetched.
    pub ca_issuers: Vec<String>,
    /// Days from the check's time to notAfter, two decimals; negative once expired.
    pub days_left: f64,
}

impl Element {
    /// The element with its days left at `now`, to two decimals.
    pub fn of(facts: &CertFacts, now: i64) -> Element {
        Element {
            subject: facts.subject.clone(),
            issuer: facts.issuer.clone(),
            subject_rfc2253: facts.subject_rfc2253.clone(),
            issuer_rfc2253: facts.issuer_rfc2253.clone(),
            common_name: facts.common_name.clone(),
            issuer_common_name: facts.issuer_common_name.clone(),
            dns_names: facts.dns_names.clone(),
            ip_addresses: facts.ip_addresses.clone(),
            serial: facts.serial.clone(),
            not_before: facts.not_before,
            not_after: facts.not_after,
            key: Key {
                // As serialised since schema 1: the variant's own name for unknown keys.
                algorithm: match facts.key.algorithm {
                    analysis::KeyAlgorithm::Unknown => "Unknown",
                    other => other.name(),
                },
                bits: facts.key.bits,
                curve: facts.key.curve.clone(),
            },
            signature_algorithm: facts.signature_algorithm.clone(),
            sha1_fingerprint: facts.sha1_fingerprint.clone(),
            sha256_fingerprint: facts.sha256_fingerprint.clone(),
            self_signed: facts.self_signed,
            is_ca: facts.is_ca,
            key_usage: facts.key_usage.clone(),
            extended_key_usage: facts.extended_key_usage.clone(),
            ca_issuers: facts.ca_issuers.clone(),
            days_left: (facts.days_left(now) * 100.0).round() / 100.0,
        }
    }
}

/// A certificate's public key.
#[derive(Serialize)]
pub struct Key {
    /// `RSA`, `ECDSA`, `Ed25519`, `Ed448`, `DSA` or `Unknown`.
    pub algorithm: &'static str,
    /// Key size in bits (the RSA modulus, the curve size); 0 when not known (DSA, a curve
    /// other than P-256, P-384 and P-521).
    pub bits: u32,
    /// The named curve of an ECDSA key (`P-256`, `P-384`, `P-521`); null otherwise.
    pub curve: Option<String>,
}

/// The host name against the leaf.
#[derive(Serialize)]
pub struct NameCheck {
    /// `none`, `cn` or `cn-san`.
    pub mode: &'static str,
    /// The name checked, in ASCII form (or an IP address).
    pub name: String,
    /// The entry that matched (`DNS:*.example.com`, `IP:192.0.2.1`, `CN:host`); null when
    /// none did or the check is off.
    pub matched_by: Option<String>,
}

impl From<&analysis::NameCheck> for NameCheck {
    fn from(n: &analysis::NameCheck) -> NameCheck {
        NameCheck {
            mode: n.mode.name(),
            name: n.name.clone(),
            matched_by: n.matched_by.clone(),
        }
    }
}

/// One problem with the chain as sent.
#[derive(Serialize)]
pub struct ChainNote {
    /// `duplicate`, `wrong-order`, `unrelated` or `root-sent`.
    pub kind: &'static str,
    /// One line naming the chain elements concerned.
    pub message: String,
}

impl From<&analysis::chain::ChainNote> for ChainNote {
    fn from(n: &analysis::chain::ChainNote) -> ChainNote {
        ChainNote {
            kind: n.kind,
            message: n.message.clone(),
        }
    }
}

/// The leaf's revocation lookup.
#[derive(Serialize)]
pub struct Revocation {
    /// The answer that verified; null when none could be had.
    pub status: Option<RevocationStatus>,
    /// Where it came from: `stapled OCSP response`, `OCSP http://...`, `CRL http://...`.
    pub source: Option<String>,
    /// The server stapled an OCSP response to the handshake.
    pub stapled: bool,
    /// The certificate names an OCSP responder or a CRL distribution point.
    pub published: bool,
    /// What went wrong on the way, one line each.
    pub errors: Vec<String>,
}

/// A verified revocation answer.
#[derive(Serialize)]
pub struct RevocationStatus {
    /// `good`, `revoked` or `unknown`.
    pub status: &'static str,
    /// When the certificate was revoked, Unix seconds; present for a revoked certificate only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
    /// The RFC 5280 reason name (`keyCompromise`); present (possibly null) for a revoked
    /// certificate only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Option<String>>,
}

impl From<&analysis::revocation::RevocationReport> for Revocation {
    fn from(r: &analysis::revocation::RevocationReport) -> Revocation {
        use analysis::revocation::RevocationStatus as S;
        Revocation {
            status: r.status.as_ref().map(|s| match s {
                S::Good => RevocationStatus {
                    status: "good",
                    revoked_at: None,
                    reason: None,
                },
                S::Revoked { revoked_at, reason } => RevocationStatus {
                    status: "revoked",
                    revoked_at: Some(*revoked_at),
                    reason: Some(reason.clone()),
                },
                S::Unknown => RevocationStatus {
                    status: "unknown",
                    revoked_at: None,
                    reason: None,
                },
            }),
            source: r.source.clone(),
            stapled: r.stapled,
            published: r.published,
            errors: r.errors.clone(),
        }
    }
}

/// Whether the server accepts one TLS version, from a probe of its own.
#[derive(Serialize)]
pub struct ProtocolSupport {
    /// `TLSv1.0` to `TLSv1.3`.
    pub version: &'static str,
    /// True when the server answered with a ServerHello for exactly this version.
    pub accepted: bool,
    /// The IANA name of the suite the server chose (`0x....` when unknown), when accepted.
    pub cipher_suite: Option<String>,
    /// Why not, when refused or not probed.
    pub note: Option<String>,
}

impl From<&observation::ProtocolSupport> for ProtocolSupport {
    fn from(p: &observation::ProtocolSupport) -> ProtocolSupport {
        ProtocolSupport {
            version: p.version.name(),
            accepted: p.accepted,
            cipher_suite: p.cipher_suite.clone(),
            note: p.note.clone(),
        }
    }
}

/// The security grade, in the spirit of the SSL Labs rating guide.
#[derive(Serialize)]
pub struct Grade {
    /// `A+`, `A` ... `F`, or `T` (not trusted) or `M` (name mismatch).
    pub grade: &'static str,
    /// The letter the configuration earned, before `T` or `M` replaced it.
    pub letter: &'static str,
    /// 0..100, before caps.
    pub score: u32,
    /// The caps that apply, one line each (`TLS 1.0 or 1.1 is accepted (grade capped at B)`).
    pub caps: Vec<String>,
}

impl From<&analysis::grade::Grade> for Grade {
    fn from(g: &analysis::grade::Grade) -> Grade {
        Grade {
            grade: g.grade.as_str(),
            letter: g.letter.as_str(),
            score: g.score,
            caps: g.caps.clone(),
        }
    }
}

/// The chain against the trust anchors.
#[derive(Serialize)]
pub struct Trust {
    /// A valid path to a trust anchor exists, for server authentication at the check's time.
    pub trusted: bool,
    /// Why not, in one line; null when trusted, and when trust could not be verified.
    pub reason: Option<String>,
    /// The anchors used (`Mozilla roots`, a file name, ...).
    pub store: String,
    /// The path as built, as display names: leaf first, the anchor last (`... (trust anchor)`);
    /// empty when untrusted.
    pub path: Vec<String>,
    /// Other valid paths (cross-signing), each like `path`.
    pub alternatives: Vec<Vec<String>>,
    /// The path needs a certificate the server did not send (fetched via AIA).
    pub uses_fetched: bool,
    /// Present when the verifier could not handle the chain: trust unknown, not refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unverifiable: Option<String>,
}

impl From<&analysis::TrustResult> for Trust {
    fn from(t: &analysis::TrustResult) -> Trust {
        Trust {
            trusted: t.trusted,
            reason: t.reason.clone(),
            store: t.store.clone(),
            path: t.path.clone(),
            alternatives: t.alternatives.clone(),
            uses_fetched: t.uses_fetched,
            unverifiable: t.unverifiable.clone(),
        }
    }
}
