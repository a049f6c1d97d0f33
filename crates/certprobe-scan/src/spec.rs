//! What a job names: targets (addresses, ranges, host names), ports (`443`, `1024-1080`,
//! `25/smtp`) and exclusions, read from the command line or the config file.

use certprobe::Protocol;
use ipnet::IpNet;
use std::fmt;
use std::net::IpAddr;

/// IPv6 ranges larger than this are refused unless forced: a /64 is not a scan.
pub const IPV6_LIMIT: u128 = 65_536;

/// One target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// One address.
    Address(IpAddr),
    /// A CIDR range.
    Range(IpNet),
    /// A DNS name (ASCII form): each of its addresses is scanned with the name as SNI.
    Name(String),
}

/// One port entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortSpec {
    /// The first port.
    pub first: u16,
    /// The last port (the same as `first` for one port).
    pub last: u16,
    /// The STARTTLS protocol given (`25/smtp`); `None` takes each port's usual one.
    pub protocol: Option<Protocol>,
}

impl PortSpec {
    /// Each port with its protocol.
    pub fn ports(&self) -> impl Iterator<Item = (u16, Protocol)> + '_ {
        (self.first..=self.last)
            .map(|port| (port, self.protocol.unwrap_or(Protocol::for_port(port))))
    }
}

/// Why a job's target, port or exclusion cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecError {
    /// Neither an address, a range nor a host name.
    BadTarget(String),
    /// Not a port, a port range or `PORT/PROTOCOL`.
    BadPort(String),
    /// A port range whose end is before its start.
    BackwardPorts(String),
    /// `PORT/NAME` with an unknown protocol name.
    UnknownProtocol(String),
    /// A target with a port (`192.0.2.1:8443`): ports are given apart.
    TargetWithPort(String),
    /// An IPv6 range above the limit.
    HugeRange {
        /// The range.
        range: String,
        /// Its number of addresses, as a power of two.
        bits: u8,
    },
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |s: &str| certprobe::text::quote(s, 60);
        match self {
            SpecError::BadTarget(t) => write!(
                f,
                "'{}' is not an address, a range or a host name",
                shown(t)
            ),
            SpecError::BadPort(p) => write!(f, "'{}' is not a port", shown(p)),
            SpecError::TargetWithPort(t) => write!(
                f,
                "'{}' names a port: give the address or name alone, and its ports with --ports (or a job's ports)",
                shown(t)
            ),
            SpecError::BackwardPorts(p) => {
                write!(f, "'{}' is not a port range: it ends before it starts", shown(p))
            }
            SpecError::UnknownProtocol(p) => write!(
                f,
                "'{}' is not a protocol (use one of: {})",
                shown(p),
                Protocol::starttls_names()
            ),
            SpecError::HugeRange { range, bits } => write!(
                f,
                "the range {range} has 2^{bits} addresses, more than the {IPV6_LIMIT} a scan takes without --force"
            ),
        }
    }
}

impl std::error::Error for SpecError {}

/// Reads a target. `force` lets IPv6 ranges above [`IPV6_LIMIT`] through.
pub fn parse_target(text: &str, force: bool) -> Result<TargetSpec, SpecError> {
    let text = text.trim();
    let bad = || SpecError::BadTarget(text.to_string());
    if text.contains('/') {
        let net: IpNet = text.parse().map_err(|_| bad())?;
        let net = net.trunc();
        if let IpNet::V6(v6) = net {
            let bits = 128 - v6.prefix_len();
            if !force && (bits >= 127 || (1u128 << bits) > IPV6_LIMIT) {
                return Err(SpecError::HugeRange {
                    range: net.to_string(),
                    bits,
                });
            }
        }
        return Ok(TargetSpec::Range(net));
    }
    let literal = text.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(TargetSpec::Address(ip));
    }
    // `[2001:db8::1]:8443`, `192.0.2.1:8443`, `mail.example.com:465`.
    let with_port = match text.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            (host.starts_with('[') && host.ends_with(']')) || !host.contains(':')
        }
        _ => false,
    };
    if with_port {
        return Err(SpecError::TargetWithPort(text.to_string()));
    }
    if text.contains(':') {
        return Err(bad());
    }
    let name = certprobe::idna::to_ascii_name(text).map_err(|_| bad())?;
    if name.is_empty() || name.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(bad());
    }
    Ok(TargetSpec::Name(name))
}

/// Reads a port entry: `443`, `1024-1080`, `25/smtp`, `8000-8010/tls`.
pub fn parse_port(text: &str) -> Result<PortSpec, SpecError> {
    let text = text.trim();
    let (range, protocol) = match text.split_once('/') {
        Some((range, name)) => {
            let protocol = Protocol::from_name(name.trim())
                .ok_or_else(|| SpecError::UnknownProtocol(name.trim().to_string()))?;
            (range, Some(protocol))
        }
        None => (text, None),
    };
    let port = |p: &str| -> Result<u16, SpecError> {
        match p.trim().parse::<u16>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(SpecError::BadPort(text.to_string())),
        }
    };
    let (first, last) = match range.split_once('-') {
        Some((a, b)) => (port(a)?, port(b)?),
        None => {
            let p = port(range)?;
            (p, p)
        }
    };
    if last < first {
        return Err(SpecError::BackwardPorts(text.to_string()));
    }
    Ok(PortSpec {
        first,
        last,
        protocol,
    })
}

/// Reads a comma-separated list with `parse`.
pub fn parse_list<T>(
    text: &str,
    parse: impl Fn(&str) -> Result<T, SpecError>,
) -> Result<Vec<T>, SpecError> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse)
        .collect()
}

/// An exclusion: an address, a range or a host name (matched against names, not resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exclusion {
    /// Addresses within a range (one address is a /32 or /128).
    Range(IpNet),
    /// A host name (exact, or `*.example.com` for every name below).
    Name(String),
}

impl Exclusion {
    /// Reads an exclusion.
    pub fn parse(text: &str) -> Result<Exclusion, SpecError> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("*.") {
            let name = certprobe::idna::to_ascii_name(rest)
                .map_err(|_| SpecError::BadTarget(text.to_string()))?;
            return Ok(Exclusion::Name(format!("*.{name}")));
        }
        match parse_target(text, true)? {
            TargetSpec::Address(ip) => Ok(Exclusion::Range(IpNet::from(ip))),
            TargetSpec::Range(net) => Ok(Exclusion::Range(net)),
            TargetSpec::Name(name) => Ok(Exclusion::Name(name)),
        }
    }

    /// True when the exclusion covers this address.
    pub fn covers_address(&self, ip: IpAddr) -> bool {
        matches!(self, Exclusion::Range(net) if net.contains(&ip))
    }

    /// True when the exclusion covers this name.
    pub fn covers_name(&self, name: &str) -> bool {
        match self {
            Exclusion::Name(pattern) => match pattern.strip_prefix("*.") {
                Some(parent) => name
                    .strip_suffix(parent)
                    .is_some_and(|head| head.ends_with('.') && head.len() > 1),
                None => pattern == name,
            },
            Exclusion::Range(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_of_every_kind() {
        assert_eq!(
            parse_target("192.0.2.10", false),
            Ok(TargetSpec::Address("192.0.2.10".parse().unwrap()))
        );
        assert_eq!(
            parse_target("[2001:db8::1]", false),
            Ok(TargetSpec::Address("2001:db8::1".parse().unwrap()))
        );
        assert_eq!(
            parse_target("192.0.2.77/24", false),
            Ok(TargetSpec::Range("192.0.2.0/24".parse().unwrap()))
        );
        assert_eq!(
            parse_target("Mail.Example.COM", false),
            Ok(TargetSpec::Name("mail.example.com".to_string()))
        );
        assert_eq!(
            parse_target("2001:db8::/64", false).unwrap_err().to_string(),
            "the range 2001:db8::/64 has 2^64 addresses, more than the 65536 a scan takes without --force"
        );
        assert!(parse_target("2001:db8::/112", false).is_ok());
        assert!(parse_target("2001:db8::/64", true).is_ok());
        assert_eq!(
            parse_target("not a host", false).unwrap_err().to_string(),
            "'not a host' is not an address, a range or a host name"
        );
        assert!(parse_target("300.1.1.1", false).is_err());
        for with_port in [
            "192.0.2.1:8443",
            "[2001:db8::1]:443",
            "mail.example.com:465",
        ] {
            assert_eq!(
                parse_target(with_port, false).unwrap_err().to_string(),
                format!("'{with_port}' names a port: give the address or name alone, and its ports with --ports (or a job's ports)")
            );
        }
        assert_eq!(
            parse_target("mail:example", false),
            Err(SpecError::BadTarget("mail:example".to_string()))
        );
        assert!(parse_target("10.0.0.0/33", false).is_err());
    }

    #[test]
    fn ports_ranges_and_protocols() {
        let smtp = parse_port("25").unwrap();
        assert_eq!(smtp.ports().collect::<Vec<_>>(), [(25, Protocol::Smtp)]);
        let forced = parse_port("2525/smtp").unwrap();
        assert_eq!(forced.ports().collect::<Vec<_>>(), [(2525, Protocol::Smtp)]);
        let direct = parse_port("465/tls").unwrap();
        assert_eq!(direct.ports().collect::<Vec<_>>(), [(465, Protocol::Tls)]);
        assert_eq!(parse_port("8443-8445").unwrap().ports().count(), 3);
        assert_eq!(
            parse_port("70000").unwrap_err().to_string(),
            "'70000' is not a port"
        );
        assert_eq!(
            parse_port("0").unwrap_err().to_string(),
            "'0' is not a port"
        );
        assert_eq!(
            parse_port("90-80").unwrap_err().to_string(),
            "'90-80' is not a port range: it ends before it starts"
        );
        assert!(parse_port("25/gopher")
            .unwrap_err()
            .to_string()
            .starts_with("'gopher' is not a protocol (use one of: smtp, lmtp, ldap"));
    }

    #[test]
    fn exclusions_by_address_range_and_name() {
        let one = Exclusion::parse("192.0.2.1").unwrap();
        assert!(one.covers_address("192.0.2.1".parse().unwrap()));
        assert!(!one.covers_address("192.0.2.2".parse().unwrap()));
        let range = Exclusion::parse("192.0.2.128/25").unwrap();
        assert!(range.covers_address("192.0.2.200".parse().unwrap()));
        let name = Exclusion::parse("*.lab.example.com").unwrap();
        assert!(name.covers_name("a.lab.example.com"));
        assert!(!name.covers_name("lab.example.com"));
        assert!(!name.covers_name("xlab.example.com"));
        assert!(Exclusion::parse("old.example.com")
            .unwrap()
            .covers_name("old.example.com"));
    }
}
