//! The endpoints of a job: host names resolved once, ranges walked lazily (a /8 is not held
//! in memory), port by port so that consecutive endpoints are on different hosts.

use crate::job::Job;
use crate::spec::TargetSpec;
use certprobe::capture::Resolver;
use certprobe::{Deadline, Protocol};
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

/// One endpoint to check.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Work {
    /// The address to connect to.
    pub address: IpAddr,
    /// The port.
    pub port: u16,
    /// Direct TLS or a STARTTLS dialogue.
    pub protocol: Protocol,
    /// The SNI name to send (and to check the certificate against); none for a bare address.
    pub sni: Option<String>,
}

/// A host name target that did not resolve: recorded in the run's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// The name.
    pub name: String,
    /// Why, in words.
    pub reason: String,
}

/// The endpoints of a job.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Addresses named one by one (or resolved from names), with their SNI names.
    explicit: BTreeMap<IpAddr, BTreeSet<Option<String>>>,
    /// Ranges, merged so that no address is in two.
    ranges: Vec<IpNet>,
    /// Every port with its protocol.
    ports: Vec<(u16, Protocol)>,
    /// SNI names by address, for addresses of the ranges.
    sni: BTreeMap<IpAddr, Vec<String>>,
    job: Job,
    /// Only the endpoints of this block (a work unit of a shared run), when set.
    within: Option<IpNet>,
    /// Names that did not resolve.
    pub unresolved: Vec<Unresolved>,
}

/// The most units a shared run is cut into.
pub const MAX_UNITS: usize = 65_536;

impl Plan {
    /// Resolves the job's host names (each within `resolve_timeout`) and prepares the walk.
    pub fn new(job: &Job, resolver: &Resolver, resolve_timeout: Duration) -> Plan {
        let mut explicit: BTreeMap<IpAddr, BTreeSet<Option<String>>> = BTreeMap::new();
        let mut ranges = Vec::new();
        let mut unresolved = Vec::new();
        let sni_names = |ip: &IpAddr| -> BTreeSet<Option<String>> {
            match job.sni.get(ip) {
                Some(names) if !names.is_empty() => names.iter().cloned().map(Some).collect(),
                _ => BTreeSet::from([None]),
            }
        };
        for target in &job.targets {
            match target {
                TargetSpec::Address(ip) => {
                    explicit.entry(*ip).or_default().extend(sni_names(ip));
                }
                TargetSpec::Range(net) => ranges.push(*net),
                TargetSpec::Name(name) => {
                    if job.exclude.iter().any(|e| e.covers_name(name)) {
                        continue;
                    }
                    let deadline = Deadline::within(resolve_timeout);
                    match resolver.resolve(name, 0, deadline) {
                        Ok(addrs) => {
                            for addr in addrs {
                                explicit
                                    .entry(canonical(addr.ip()))
                                    .or_default()
                                    .insert(Some(name.clone()));
                            }
                        }
                        Err(e) => unresolved.push(Unresolved {
                            name: name.clone(),
                            reason: e.message,
                        }),
                    }
                }
            }
        }
        let ports: Vec<(u16, Protocol)> = {
            let mut seen = std::collections::HashSet::new();
            job.ports
                .iter()
                .flat_map(|p| p.ports().collect::<Vec<_>>())
                .filter(|entry| seen.insert(*entry))
                .collect()
        };
        Plan {
            explicit,
            ranges: IpNet::aggregate(&ranges),
            ports,
            sni: job.sni.clone(),
            job: job.clone(),
            within: None,
            unresolved,
        }
    }

    /// The address blocks of prefix `v4` (IPv4) or `v6` (IPv6) that hold the plan's
    /// addresses, in order: a shared run's work units. `None` when there would be more than
    /// [`MAX_UNITS`].
    pub fn units(&self, v4: u8, v6: u8) -> Option<Vec<IpNet>> {
        let block = |ip: IpAddr| -> Option<IpNet> {
            let prefix = if ip.is_ipv4() { v4 } else { v6 };
            IpNet::new(ip, prefix).ok().map(|net| net.trunc())
        };
        let mut units = BTreeSet::new();
        for ip in self.explicit.keys().filter(|ip| !self.excluded(**ip)) {
            units.extend(block(*ip));
        }
        for net in &self.ranges {
            let prefix = if net.addr().is_ipv4() { v4 } else { v6 };
            if net.prefix_len() >= prefix {
                units.extend(block(net.addr()));
            } else {
                // 2^(prefix - len) blocks: counted before they are listed.
                let blocks = 1u128.checked_shl(u32::from(prefix - net.prefix_len()));
                if blocks.is_none_or(|n| n > (MAX_UNITS - units.len()) as u128) {
                    return None;
                }
                units.extend(net.subnets(prefix).ok()?);
            }
            if units.len() > MAX_UNITS {
                return None;
            }
        }
        Some(units.into_iter().collect())
    }

    /// The same plan, walking only the endpoints of `block`.
    pub fn within(&self, block: IpNet) -> Plan {
        let mut plan = self.clone();
        plan.within = Some(block);
        plan
    }

    /// The addresses of range `net` that the walk visits: its hosts, or those of them in
    /// the plan's block.
    fn swept(&self, net: &IpNet) -> Box<dyn Iterator<Item = IpAddr> + Send + '_> {
        let Some(block) = self.within else {
            return Box::new(net.hosts());
        };
        if block.contains(net) {
            return Box::new(net.hosts());
        }
        if !net.contains(&block) {
            return Box::new(std::iter::empty());
        }
        // The block inside a larger range: its every address, but the range's network and
        // broadcast addresses stay out as they do in a walk of the whole range.
        let whole = *net;
        let all: Box<dyn Iterator<Item = IpAddr> + Send> = match block {
            IpNet::V4(b) => {
                Box::new(ipnet::Ipv4AddrRange::new(b.network(), b.broadcast()).map(IpAddr::V4))
            }
            IpNet::V6(b) => Box::new(b.hosts().map(IpAddr::V6)),
        };
        Box::new(all.filter(move |ip| is_host_of(&whole, *ip)))
    }

    /// Every endpoint, port by port.
    pub fn endpoints(&self) -> impl Iterator<Item = Work> + '_ {
        self.ports.iter().flat_map(move |&(port, protocol)| {
            let listed = self
                .explicit
                .iter()
                .filter(|(ip, _)| {
                    !self.excluded(**ip) && self.within.is_none_or(|b| b.contains(*ip))
                })
                .flat_map(move |(ip, names)| {
                    names.iter().map(move |sni| Work {
                        address: *ip,
                        port,
                        protocol,
                        sni: sni.clone(),
                    })
                });
            let swept = self
                .ranges
                .iter()
                .flat_map(|net| self.swept(net))
                .filter(|ip| !self.explicit.contains_key(ip) && !self.excluded(*ip))
                .flat_map(move |ip| {
                    let names: Vec<Option<String>> = match self.sni.get(&ip) {
                        Some(names) if !names.is_empty() => {
                            names.iter().cloned().map(Some).collect()
                        }
                        _ => vec![None],
                    };
                    names.into_iter().map(move |sni| Work {
                        address: ip,
                        port,
                        protocol,
                        sni,
                    })
                });
            listed.chain(swept)
        })
    }

    /// How many endpoints the walk gives.
    pub fn count(&self) -> u64 {
        self.endpoints().count() as u64
    }

    fn excluded(&self, ip: IpAddr) -> bool {
        self.job.exclude.iter().any(|e| e.covers_address(ip))
    }
}

/// True when a walk of `net`'s hosts visits `ip`: any of its addresses, except an IPv4
/// range's network and broadcast addresses (below /31).
fn is_host_of(net: &IpNet, ip: IpAddr) -> bool {
    if !net.contains(&ip) {
        return false;
    }
    match net {
        IpNet::V4(v4) if v4.prefix_len() < 31 => {
            ip != IpAddr::V4(v4.network()) && ip != IpAddr::V4(v4.broadcast())
        }
        _ => true,
    }
}

/// IPv4-mapped IPv6 addresses as IPv4, so one host is one key.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{parse_port, parse_target, Exclusion};

    fn plan(targets: &[&str], ports: &[&str], exclude: &[&str]) -> Vec<String> {
        let mut job = Job::new("t");
        job.targets = targets
            .iter()
            .map(|t| parse_target(t, false).unwrap())
            .collect();
        job.ports = ports.iter().map(|p| parse_port(p).unwrap()).collect();
        job.exclude = exclude
            .iter()
            .map(|e| Exclusion::parse(e).unwrap())
            .collect();
        job.sni.insert(
            "127.0.0.2".parse().unwrap(),
            vec!["a.test".to_string(), "b.test".to_string()],
        );
        let resolver = Resolver::new(2, 16);
        Plan::new(&job, &resolver, Duration::from_secs(5))
            .endpoints()
            .map(|w| {
                format!(
                    "{}:{}/{}{}",
                    w.address,
                    w.port,
                    w.protocol.name(),
                    w.sni.map(|s| format!(" {s}")).unwrap_or_default()
                )
            })
            .collect()
    }

    #[test]
    fn ranges_ports_sni_and_exclusions() {
        assert_eq!(
            plan(
                &["127.0.0.0/30", "127.0.0.1"],
                &["443", "25"],
                &["127.0.0.1"]
            ),
            [
                "127.0.0.2:443/tls a.test",
                "127.0.0.2:443/tls b.test",
                "127.0.0.2:25/smtp a.test",
                "127.0.0.2:25/smtp b.test",
            ]
        );
        assert_eq!(
            plan(&["127.0.0.3", "localhost"], &["8443-8444"], &[]),
            [
                "127.0.0.1:8443/tls localhost",
                "127.0.0.3:8443/tls",
                "127.0.0.1:8444/tls localhost",
                "127.0.0.3:8444/tls",
            ]
        );
        assert!(plan(&["localhost"], &["443"], &["localhost"]).is_empty());
    }

    #[test]
    fn the_units_walk_the_whole_plan_once_between_them() {
        let mut job = Job::new("t");
        job.targets = ["10.0.0.0/22", "10.0.9.7", "10.0.9.8", "192.168.5.0/30"]
            .iter()
            .map(|t| parse_target(t, false).unwrap())
            .collect();
        job.ports = vec![parse_port("443").unwrap(), parse_port("25").unwrap()];
        job.exclude = vec![Exclusion::parse("10.0.1.17").unwrap()];
        let resolver = Resolver::new(2, 16);
        let whole = Plan::new(&job, &resolver, Duration::from_secs(5));
        let units = whole.units(24, 64).unwrap();
        assert_eq!(
            units.iter().map(|u| u.to_string()).collect::<Vec<_>>(),
            [
                "10.0.0.0/24",
                "10.0.1.0/24",
                "10.0.2.0/24",
                "10.0.3.0/24",
                "10.0.9.0/24",
                "192.168.5.0/24"
            ]
        );
        let mut walked: Vec<Work> = units
            .iter()
            .flat_map(|u| whole.within(*u).endpoints().collect::<Vec<_>>())
            .collect();
        let mut all: Vec<Work> = whole.endpoints().collect();
        assert_eq!(walked.len(), all.len());
        // 1,022 hosts of the /22 (not its first and last address), less one excluded, the two
        // addresses and the /30's two hosts, on two ports.
        assert_eq!(all.len(), (1022 - 1 + 2 + 2) * 2);
        let key = |w: &Work| (w.address, w.port);
        walked.sort_by_key(key);
        all.sort_by_key(key);
        assert_eq!(walked, all);
        assert!(whole.units(8, 64).is_some());
        let mut huge = Job::new("t");
        huge.targets = vec![parse_target("10.0.0.0/8", true).unwrap()];
        huge.ports = vec![parse_port("443").unwrap()];
        assert_eq!(
            Plan::new(&huge, &resolver, Duration::from_secs(5)).units(28, 64),
            None
        );
    }
}
