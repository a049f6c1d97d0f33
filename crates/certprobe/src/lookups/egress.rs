//! The egress policy: which addresses the lookups may fetch from. AIA, OCSP and CRL URLs come
//! from the server's certificate, so a scanner of untrusted endpoints must not become a way to
//! make requests into its own network. The rules, in order:
//!
//! 1. an address in a `deny` range is refused;
//! 2. an address in an `allow` range is allowed;
//! 3. link-local addresses (169.254.0.0/16 with the cloud metadata services, fe80::/10), the
//!    unspecified address, broadcast and multicast are refused;
//! 4. loopback and private addresses (127/8, 10/8, 172.16/12, 192.168/16, 100.64/10, ::1,
//!    fc00::/7) are allowed only when the checked server is itself in such a range (the lab's
//!    "responder next to the server"), or always, or never, as `private` says;
//! 5. every other (public) address is allowed.
//!
//! The rules apply to every address a name resolves to and to every redirect, so neither DNS
//! nor a `Location` header can lead around them.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// Most redirects followed by default (some CAs move their AIA files).
pub const DEFAULT_MAX_REDIRECTS: usize = 3;

/// When private and loopback addresses may be fetched from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrivateRule {
    /// Only when the checked server is in a private or loopback range itself.
    #[default]
    SameAsServer,
    /// Always (`--fetch-from-private always`), whatever the checked server's address.
    Always,
    /// Never (`--fetch-from-private never`), not even for a server in such a range itself.
    Never,
}

/// Why the egress policy forbids fetching from an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EgressError {
    /// The address is in a `deny` range (rule 1).
    Denied {
        /// The address, IPv4-mapped addresses as IPv4.
        address: IpAddr,
        /// The range it is in.
        range: Cidr,
    },
    /// Link-local, unspecified, broadcast or multicast (rule 3).
    Special {
        /// The address.
        address: IpAddr,
        /// What it is: "a link-local address", "not a unicast address".
        what: &'static str,
    },
    /// A private or loopback address, and the checked server is not in such a range (rule 4).
    InternalFromPublic {
        /// The address.
        address: IpAddr,
    },
    /// A private or loopback address, and the policy never allows those (rule 4).
    Internal {
        /// The address.
        address: IpAddr,
    },
}

impl fmt::Display for EgressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EgressError::Denied { address, range } => write!(
                f,
                "the egress policy forbids fetching from {address} (denied range {range})"
            ),
            EgressError::Special { address, what } => write!(
                f,
                "the egress policy forbids fetching from {address}: it is {what}"
            ),
            EgressError::InternalFromPublic { address } => write!(
                f,
                "the egress policy forbids fetching from {address}: it is a private or loopback address and the checked server is not"
            ),
            EgressError::Internal { address } => write!(
                f,
                "the egress policy forbids fetching from {address}: it is a private or loopback address"
            ),
        }
    }
}

impl std::error::Error for EgressError {}

/// The policy; [`Default`] is the documented default.
#[derive(Debug, Clone)]
pub struct EgressPolicy {
    /// When private and loopback addresses may be fetched from (rule 4).
    pub private: PrivateRule,
    /// Ranges always allowed (after `deny`).
    pub allow: Vec<Cidr>,
    /// Ranges always refused.
    pub deny: Vec<Cidr>,
    /// Redirects followed at most.
    pub max_redirects: usize,
}

impl Default for EgressPolicy {
    fn default() -> Self {
        EgressPolicy {
            private: PrivateRule::SameAsServer,
            allow: Vec::new(),
            deny: Vec::new(),
            max_redirects: DEFAULT_MAX_REDIRECTS,
        }
    }
}

impl EgressPolicy {
    /// Whether `address` may be fetched from for a server at `server`; the reason if not.
    pub fn check(&self, address: IpAddr, server: Option<IpAddr>) -> Result<(), EgressError> {
        let address = canonical(address);
        if let Some(&range) = self.deny.iter().find(|r| r.contains(address)) {
            return Err(EgressError::Denied { address, range });
        }
        if self.allow.iter().any(|r| r.contains(address)) {
            return Ok(());
        }
        match class(address) {
            Class::Forbidden(what) => Err(EgressError::Special { address, what }),
            Class::Internal => {
                let server_internal =
                    server.is_some_and(|s| class(canonical(s)) == Class::Internal);
                match self.private {
                    PrivateRule::Always => Ok(()),
                    PrivateRule::SameAsServer if server_internal => Ok(()),
                    PrivateRule::SameAsServer => Err(EgressError::InternalFromPublic { address }),
                    PrivateRule::Never => Err(EgressError::Internal { address }),
                }
            }
            Class::Public => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Forbidden(&'static str),
    Internal,
    Public,
}

/// IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn class(address: IpAddr) -> Class {
    match address {
        IpAddr::V4(ip) => {
            let [a, b, ..] = ip.octets();
            if ip.is_link_local() {
                Class::Forbidden("a link-local address (cloud metadata services live there)")
            } else if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() {
                Class::Forbidden("not a unicast address")
            } else if ip.is_loopback() || ip.is_private() || (a == 100 && (64..128).contains(&b)) {
                Class::Internal
            } else {
                Class::Public
            }
        }
        IpAddr::V6(ip) => {
            let first = ip.segments()[0];
            if first & 0xffc0 == 0xfe80 {
                Class::Forbidden("a link-local address")
            } else if ip.is_unspecified() || ip.is_multicast() {
                Class::Forbidden("not a unicast address")
            } else if ip.is_loopback() || first & 0xfe00 == 0xfc00 {
                Class::Internal
            } else {
                Class::Public
            }
        }
    }
}

/// An address range: `10.0.0.0/8`, `2001:db8::/32`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `address` is in the range.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, canonical(address)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => mask_eq(&net.octets(), &ip.octets(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(ip)) => mask_eq(&net.octets(), &ip.octets(), self.prefix),
            _ => false,
        }
    }
}

fn mask_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    let (Some(whole_a), Some(whole_b)) = (a.get(..full), b.get(..full)) else {
        return false;
    };
    if whole_a != whole_b {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    match (a.get(full), b.get(full)) {
        (Some(x), Some(y)) => (x & mask) == (y & mask),
        _ => false,
    }
}

/// Why a range does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CidrError(String);

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not an address range (like 10.0.0.0/8 or 2001:db8::/32)",
            crate::text::visible(&self.0)
        )
    }
}

impl std::error::Error for CidrError {}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Cidr, CidrError> {
        let bad = || CidrError(text.to_string());
        let (address, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text.trim(), None),
        };
        let network: IpAddr = address.parse().map_err(|_| bad())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|&p| p <= max).ok_or_else(bad)?,
            None => max,
        };
        // An IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range it maps, with the
        // prefix counted in IPv4 bits; a shorter prefix reaches beyond the mapped space and
        // stays an IPv6 range.
        match canonical(network) {
            IpAddr::V4(v4) if network.is_ipv6() && prefix >= 96 => Ok(Cidr {
                network: IpAddr::V4(v4),
                prefix: prefix - 96,
            }),
            _ => Ok(Cidr { network, prefix }),
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn link_local_and_metadata_are_never_fetched() {
        let policy = EgressPolicy {
            private: PrivateRule::Always,
            ..EgressPolicy::default()
        };
        assert_eq!(
            policy.check(ip("169.254.169.254"), Some(ip("169.254.1.1"))).unwrap_err().to_string(),
            "the egress policy forbids fetching from 169.254.169.254: it is a link-local address (cloud metadata services live there)"
        );
        assert!(policy.check(ip("fe80::1"), None).is_err());
        assert_eq!(
            policy.check(ip("::ffff:169.254.169.254"), None),
            Err(EgressError::Special {
                address: ip("169.254.169.254"),
                what: "a link-local address (cloud metadata services live there)"
            })
        );
        assert!(policy.check(ip("0.0.0.0"), None).is_err());
        assert!(policy.check(ip("224.0.0.1"), None).is_err());
    }

    #[test]
    fn private_addresses_follow_the_server() {
        let policy = EgressPolicy::default();
        assert!(policy.check(ip("127.0.0.1"), Some(ip("127.0.0.5"))).is_ok());
        assert!(policy
            .check(ip("10.1.2.3"), Some(ip("192.168.1.10")))
            .is_ok());
        assert!(policy.check(ip("fd00::1"), Some(ip("::1"))).is_ok());
        assert_eq!(
            policy.check(ip("10.1.2.3"), Some(ip("8.8.8.8"))).unwrap_err().to_string(),
            "the egress policy forbids fetching from 10.1.2.3: it is a private or loopback address and the checked server is not"
        );
        assert!(policy.check(ip("127.0.0.1"), None).is_err());
        assert!(policy.check(ip("100.64.0.1"), Some(ip("1.1.1.1"))).is_err());
        assert!(policy.check(ip("8.8.8.8"), Some(ip("8.8.4.4"))).is_ok());
        assert!(policy.check(ip("8.8.8.8"), Some(ip("127.0.0.1"))).is_ok());
        let never = EgressPolicy {
            private: PrivateRule::Never,
            ..EgressPolicy::default()
        };
        let e = never
            .check(ip("127.0.0.1"), Some(ip("127.0.0.1")))
            .unwrap_err();
        assert_eq!(
            e,
            EgressError::Internal {
                address: ip("127.0.0.1")
            }
        );
        assert_eq!(
            e.to_string(),
            "the egress policy forbids fetching from 127.0.0.1: it is a private or loopback address"
        );
    }

    #[test]
    fn allow_and_deny_lists_come_first() {
        let policy = EgressPolicy {
            allow: vec!["10.9.0.0/16".parse().unwrap()],
            deny: vec![
                "203.0.113.0/24".parse().unwrap(),
                "10.9.9.9".parse().unwrap(),
            ],
            ..EgressPolicy::default()
        };
        assert!(policy.check(ip("10.9.1.1"), Some(ip("8.8.8.8"))).is_ok());
        assert_eq!(
            policy.check(ip("10.9.9.9"), None).unwrap_err().to_string(),
            "the egress policy forbids fetching from 10.9.9.9 (denied range 10.9.9.9/32)"
        );
        assert_eq!(
            policy.check(ip("203.0.113.7"), None),
            Err(EgressError::Denied {
                address: ip("203.0.113.7"),
                range: "203.0.113.0/24".parse().unwrap()
            })
        );
        assert!(policy.check(ip("203.0.114.7"), None).is_ok());
    }

    #[test]
    fn ranges_parse_and_match() {
        let range: Cidr = "192.168.0.0/22".parse().unwrap();
        assert!(range.contains(ip("192.168.3.255")));
        assert!(!range.contains(ip("192.168.4.0")));
        assert!(range.contains(ip("::ffff:192.168.1.1")));
        let v6: Cidr = "2001:db8::/33".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:7fff::1")));
        assert!(!v6.contains(ip("2001:db8:8000::1")));
        assert_eq!(
            "10.0.0.0/33".parse::<Cidr>().unwrap_err().to_string(),
            "'10.0.0.0/33' is not an address range (like 10.0.0.0/8 or 2001:db8::/32)"
        );
        assert!("example.com".parse::<Cidr>().is_err());
        // Found in review: a mapped range kept its IPv6 prefix on a 4-byte network and panicked.
        let mapped: Cidr = "::ffff:10.0.0.0/104".parse().unwrap();
        assert_eq!(mapped.to_string(), "10.0.0.0/8");
        assert!(mapped.contains(ip("10.1.2.3")));
        let single: Cidr = "::ffff:10.0.0.1".parse().unwrap();
        assert!(single.contains(ip("10.0.0.1")) && !single.contains(ip("10.0.0.2")));
        let wide: Cidr = "::ffff:0:0/80".parse().unwrap();
        assert!(!wide.contains(ip("10.0.0.1")));
    }
}
