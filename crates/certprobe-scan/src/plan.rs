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
    /// Names that did not resolve.
    pub unresolved: Vec<Unresolved>,
}

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
            unresolved,
        }
    }

    /// Every endpoint, port by port.
    pub fn endpoints(&self) -> impl Iterator<Item = Work> + '_ {
        self.ports.iter().flat_map(move |&(port, protocol)| {
            let listed = self
                .explicit
                .iter()
                .filter(|(ip, _)| !self.excluded(**ip))
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
                .flat_map(|net| net.hosts())
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
}
