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
                let have = hex_of(&input.leaf.sha256);
                have.starts_with(hex.as_str())
                    .then(|| format!("fingerprint {}", &have[..hex.len().max(16)]))
            }
            CertificateRule::Name(p) => std::iter::once(&input.leaf.common_name)
                .chain(&input.leaf.names)
                .find(|n| !n.is_empty() && p.matches(n))
                .map(|n| format!("name {n}")),
            CertificateRule::Subject(p) => p
                .matches(&input.leaf.subject)
                .then(|| format!("subject {}", input.leaf.subject)),
            CertificateRule::Issuer(p) => [&input.leaf.issuer, &input.leaf.issuer_common_name]
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

#[cfg(test)]
mod tests {
    use super::*;
    use certprobe_inventory::model::EndpointKey;
    use certprobe_inventory::notification::LeafFacts;
    use std::sync::Arc;

    fn input(address: &str, sni: &str, protocol: &str) -> AlarmInput {
        AlarmInput {
            endpoint_id: 1,
            endpoint: EndpointKey {
                zone: "dmz".to_string(),
                address: address.to_string(),
                port: 8443,
                sni: sni.to_string(),
                protocol: protocol.to_string(),
            },
            job: "edge".to_string(),
            state: 0,
            tls_version: String::new(),
            findings: Vec::new(),
            certificate_id: 1,
            leaf: Arc::new(LeafFacts {
                sha256: [0xab; 32],
                subject: "CN=Shop,O=Example Ltd".to_string(),
                common_name: "shop.example.com".to_string(),
                issuer: "CN=R11,O=Let's Encrypt".to_string(),
                issuer_common_name: "R11".to_string(),
                names: vec![
                    "shop.example.com".to_string(),
                    "www.shop.example.com".to_string(),
                ],
                serial: "01".to_string(),
                not_before: 0,
                not_after: 0,
                key_type: "ECDSA".to_string(),
                key_bits: 256,
                signature: "ECDSA-SHA256".to_string(),
                self_signed: false,
            }),
        }
    }

    fn cert(rule: &str, i: &AlarmInput) -> Option<String> {
        CertificateRule::parse(rule).unwrap().matches(i)
    }

    fn server(rule: &str, i: &AlarmInput) -> Option<String> {
        ServerRule::parse(rule).unwrap().matches(i)
    }

    #[test]
    fn certificate_rules_match_names_subjects_issuers_and_fingerprints() {
        let i = input("192.0.2.7", "shop.example.com", "tls");
        assert_eq!(
            cert("*.SHOP.example.com", &i).as_deref(),
            Some("name www.shop.example.com")
        );
        assert_eq!(
            cert("name:shop.*", &i).as_deref(),
            Some("name shop.example.com")
        );
        assert_eq!(
            cert("subject:*O=Example Ltd*", &i).as_deref(),
            Some("subject CN=Shop,O=Example Ltd")
        );
        assert_eq!(
            cert("issuer:*Let's Encrypt*", &i).as_deref(),
            Some("issuer CN=R11,O=Let's Encrypt")
        );
        assert_eq!(cert("issuer:r11", &i).as_deref(), Some("issuer R11"));
        assert_eq!(
            cert("sha256:AB:AB:ab:ab", &i).as_deref(),
            Some("fingerprint ABABABABABABABAB")
        );
        assert_eq!(cert("sha256:abababac", &i), None);
        assert_eq!(cert("*.other.example", &i), None);
    }

    #[test]
    fn server_rules_match_ranges_hosts_jobs_zones_paths_and_ports() {
        let i = input("192.0.2.7", "shop.example.com", "tls");
        assert_eq!(
            server("192.0.2.0/24", &i).as_deref(),
            Some("address 192.0.2.7")
        );
        assert_eq!(
            server("range:192.0.2.7", &i).as_deref(),
            Some("address 192.0.2.7")
        );
        assert_eq!(server("192.0.3.0/24", &i), None);
        assert_eq!(
            server("shop.*", &i).as_deref(),
            Some("host shop.example.com")
        );
        assert_eq!(server("job:ed*", &i).as_deref(), Some("job edge"));
        assert_eq!(server("zone:dmz", &i).as_deref(), Some("zone dmz"));
        assert_eq!(server("port:8443", &i).as_deref(), Some("port 8443"));
        // A path rule is for audited files; `*` stays within a folder, `**` crosses them.
        assert_eq!(server("path:/etc/**", &i), None);
        let file = input("web01", "/etc/nginx/certs/shop.pem", "file");
        assert_eq!(
            server("path:/etc/**", &file).as_deref(),
            Some("path /etc/nginx/certs/shop.pem")
        );
        assert_eq!(server("path:/etc/*.pem", &file), None);
        assert_eq!(server("host:WEB0?", &file).as_deref(), Some("host web01"));
        assert_eq!(server("port:8443", &file), None);
        // IPv6 ranges have colons: they are ranges, not kinds.
        let v6 = input("2001:db8::7", "", "tls");
        assert_eq!(
            server("2001:db8::/32", &v6).as_deref(),
            Some("address 2001:db8::7")
        );
        assert_eq!(server("beef::/16", &v6), None);
    }

    #[test]
    fn bad_rules_say_why_in_words() {
        let refused = |r: &str| ServerRule::parse(r).unwrap_err();
        assert_eq!(
            refused("range:10.0.0.0/33"),
            "'10.0.0.0/33' is not an address or a CIDR range"
        );
        assert_eq!(
            refused("jobs:dmz"),
            "'jobs:' is not a kind of server rule (range:, host:, job:, zone:, path:, port:)"
        );
        assert_eq!(refused("port:0"), "'0' is not a port");
        assert_eq!(refused("host:"), "the pattern is empty");
        assert_eq!(
            refused("path:/etc/[ab"),
            "'/etc/[ab' is not a glob: a '[' is not closed"
        );
        let refused = |r: &str| CertificateRule::parse(r).unwrap_err();
        assert_eq!(
            refused("sha256:xyz"),
            "'xyz' is not a SHA-256 fingerprint (8 to 64 hex digits, colons allowed)"
        );
        assert_eq!(
            refused("subjects:x"),
            "'subjects:' is not a kind of certificate rule (sha256:, name:, subject:, issuer:)"
        );
        assert_eq!(
            refused("name:{a,b"),
            "'{a,b' is not a glob: a '{' is not closed"
        );
    }
}
