//! Owner rules, as written in `certificates = [...]` and `servers = [...]`: a kind, a colon
//! and a pattern (`issuer:*Let's Encrypt*`, `job:dmz`), or a bare pattern whose kind is
//! plain from its form (a glob is a name, an address or CIDR range is a range).

use certprobe_inventory::notification::AlarmInput;
use globset::{GlobBuilder, GlobMatcher};
use ipnet::IpNet;
use std::fmt;
use std::net::IpAddr;

/// A glob, compiled, with its text.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    matcher: GlobMatcher,
}

impl Pattern {
    /// A glob matched without case (names and DNs); `*` crosses dots.
    fn text(glob: &str) -> Result<Pattern, String> {
        Pattern::build(glob, false)
    }

    /// A glob over paths: `*` stays within a folder, `**` crosses folders; with case.
    fn path(glob: &str) -> Result<Pattern, String> {
        Pattern::build(glob, true)
    }

    fn build(glob: &str, path: bool) -> Result<Pattern, String> {
        if glob.is_empty() {
            return Err("the pattern is empty".to_string());
        }
        let matcher = GlobBuilder::new(glob)
            .case_insensitive(!path)
            .literal_separator(path)
            .backslash_escape(true)
            .build()
            .map_err(|e| format!("'{glob}' is not a glob: {}", glob_words(&e)))?
            .compile_matcher();
        Ok(Pattern {
            text: glob.to_string(),
            matcher,
        })
    }

    /// Whether `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        self.matcher.is_match(value)
    }
}

/// globset's reason without its type names.
fn glob_words(e: &globset::Error) -> String {
    match e.kind() {
        globset::ErrorKind::UnclosedClass => "a '[' is not closed".to_string(),
        globset::ErrorKind::InvalidRange(a, b) => format!("the range {a}-{b} is backwards"),
        globset::ErrorKind::UnopenedAlternates => "a '}' has no '{'".to_string(),
        globset::ErrorKind::UnclosedAlternates => "a '{' is not closed".to_string(),
        globset::ErrorKind::NestedAlternates => "'{' within '{' is not allowed".to_string(),
        globset::ErrorKind::DanglingEscape => "it ends with a backslash".to_string(),
        _ => "it cannot be read".to_string(),
    }
}

/// A rule that picks certificates, whatever the endpoint.
#[derive(Debug, Clone)]
pub enum CertificateRule {
    /// `sha256:HEX`: a SHA-256 fingerprint or its first 8 or more hex digits.
    Fingerprint(String),
    /// `name:GLOB` or a bare glob: the common name or any subjectAltName.
    Name(Pattern),
    /// `subject:GLOB`: the subject DN.
    Subject(Pattern),
    /// `issuer:GLOB`: the issuer's DN or its common name.
    Issuer(Pattern),
}

/// A rule that picks endpoints, whatever the certificate.
#[derive(Debug, Clone)]
pub enum ServerRule {
    /// An address or a CIDR range (`192.0.2.0/24`, `2001:db8::/32`), or `range:` one.
    Range(IpNet),
    /// `host:GLOB` or a bare glob: the name scanned (SNI), or an audited file's host.
    Host(Pattern),
    /// `job:GLOB`: the job that found it.
    Job(Pattern),
    /// `zone:GLOB`: the scanner's or auditor's zone.
    Zone(Pattern),
    /// `path:GLOB`: an audited file's path, or a Windows store's place.
    Path(Pattern),
    /// `port:N`: a network endpoint's port.
    Port(u16),
}

/// What a rule matched, for `owners explain`: `name shop.example.com`.
pub type Matched = String;

impl CertificateRule {
    /// Reads a rule as written.
    pub fn parse(text: &str) -> Result<CertificateRule, String> {
        let text = text.trim();
        let (kind, pattern) = split(text);
        match kind {
            Some("sha256") | Some("fingerprint") => fingerprint(pattern),
            Some("name") => Ok(CertificateRule::Name(Pattern::text(pattern)?)),
            Some("subject") => Ok(CertificateRule::Subject(Pattern::text(pattern)?)),
            Some("issuer") => Ok(CertificateRule::Issuer(Pattern::text(pattern)?)),
            Some(other) => Err(format!(
                "'{other}:' is not a kind of certificate rule (sha256:, name:, subject:, issuer:)"
            )),
            None => Ok(CertificateRule::Name(Pattern::text(pattern)?)),
        }
    }

    /// What of `input` matched, if anything did.
    pub fn matches(&self, input: &AlarmInput) -> Option<Matched> {
        match self {
            CertificateRule::Fingerprint(hex) => {
                let have = hex_of(&input.sha256);
                have.starts_with(hex.as_str())
                    .then(|| format!("fingerprint {}", &have[..hex.len().max(16)]))
            }
            CertificateRule::Name(p) => std::iter::once(&input.common_name)
                .chain(&input.names)
                .find(|n| !n.is_empty() && p.matches(n))
                .map(|n| format!("name {n}")),
            CertificateRule::Subject(p) => p
                .matches(&input.subject)
                .then(|| format!("subject {}", input.subject)),
            CertificateRule::Issuer(p) => [&input.issuer, &input.issuer_common_name]
                .into_iter()
                .find(|n| !n.is_empty() && p.matches(n))
                .map(|n| format!("issuer {n}")),
        }
    }
}

impl ServerRule {
    /// Reads a rule as written.
    pub fn parse(text: &str) -> Result<ServerRule, String> {
        let text = text.trim();
        if let Some(net) = range(text) {
            return Ok(ServerRule::Range(net));
        }
        let (kind, pattern) = split(text);
        match kind {
            Some("range") => range(pattern)
                .map(ServerRule::Range)
                .ok_or_else(|| format!("'{pattern}' is not an address or a CIDR range")),
            Some("host") => Ok(ServerRule::Host(Pattern::text(pattern)?)),
            Some("job") => Ok(ServerRule::Job(Pattern::text(pattern)?)),
            Some("zone") => Ok(ServerRule::Zone(Pattern::text(pattern)?)),
            Some("path") => Ok(ServerRule::Path(Pattern::path(pattern)?)),
            Some("port") => pattern
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .map(ServerRule::Port)
                .ok_or_else(|| format!("'{pattern}' is not a port")),
            Some(other) => Err(format!(
                "'{other}:' is not a kind of server rule (range:, host:, job:, zone:, path:, port:)"
            )),
            None => Ok(ServerRule::Host(Pattern::text(pattern)?)),
        }
    }

    /// What of `input` matched, if anything did.
    pub fn matches(&self, input: &AlarmInput) -> Option<Matched> {
        let place = &input.endpoint;
        let audited = certprobe_inventory::query::Source::is_audited(&place.protocol);
        match self {
            ServerRule::Range(net) => place
                .address
                .parse::<IpAddr>()
                .ok()
                .filter(|a| net.contains(a))
                .map(|a| format!("address {a}")),
            ServerRule::Host(p) => {
                let host = if audited { &place.address } else { &place.sni };
                (!host.is_empty() && p.matches(host)).then(|| format!("host {host}"))
            }
            ServerRule::Job(p) => p.matches(&input.job).then(|| format!("job {}", input.job)),
            ServerRule::Zone(p) => p.matches(&place.zone).then(|| {
                if place.zone.is_empty() {
                    "the default zone".to_string()
                } else {
                    format!("zone {}", place.zone)
                }
            }),
            ServerRule::Path(p) => {
                (audited && p.matches(&place.sni)).then(|| format!("path {}", place.sni))
            }
            ServerRule::Port(port) => {
                (!audited && place.port == *port).then(|| format!("port {port}"))
            }
        }
    }
}

impl fmt::Display for CertificateRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertificateRule::Fingerprint(hex) => write!(f, "sha256:{hex}"),
            CertificateRule::Name(p) => write!(f, "name:{}", p.text),
            CertificateRule::Subject(p) => write!(f, "subject:{}", p.text),
            CertificateRule::Issuer(p) => write!(f, "issuer:{}", p.text),
        }
    }
}

impl fmt::Display for ServerRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerRule::Range(net) => write!(f, "range:{net}"),
            ServerRule::Host(p) => write!(f, "host:{}", p.text),
            ServerRule::Job(p) => write!(f, "job:{}", p.text),
            ServerRule::Zone(p) => write!(f, "zone:{}", p.text),
            ServerRule::Path(p) => write!(f, "path:{}", p.text),
            ServerRule::Port(port) => write!(f, "port:{port}"),
        }
    }
}

/// `kind:pattern` when the part before the first colon is a word (`sha256`, `issuer`);
/// otherwise the whole text is the pattern. Server rules read an IPv6 range before this.
fn split(text: &str) -> (Option<&str>, &str) {
    match text.split_once(':') {
        Some((kind, rest))
            if kind.starts_with(|c: char| c.is_ascii_alphabetic())
                && kind.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            (Some(kind), rest.trim())
        }
        _ => (None, text),
    }
}

fn range(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .map(|n| n.trunc())
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

fn fingerprint(text: &str) -> Result<CertificateRule, String> {
    let hex: String = text
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if hex.len() < 8 || hex.len() > 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "'{text}' is not a SHA-256 fingerprint (8 to 64 hex digits, colons allowed)"
        ));
    }
    Ok(CertificateRule::Fingerprint(hex))
}

/// Upper-case hex without separators.
pub fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
