//! A scan job as the scanner runs it: what to scan, how hard, and how to judge; made from the
//! command line or from a `[[job]]` of the config file.

use crate::spec::{Exclusion, PortSpec, TargetSpec};
use certprobe::CheckOptions;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// How hard a scan may push, and how long each endpoint may take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The TCP connect, per address: dead hosts cost little.
    pub connect_timeout: Duration,
    /// Everything for one endpoint: connect, STARTTLS, handshake, lookups, probes.
    pub timeout: Duration,
    /// Endpoints in flight at once.
    pub concurrency: usize,
    /// New connections per second for the whole scan; 0 for no limit.
    pub rate: u32,
    /// Connections at once to one address.
    pub per_host: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(10),
            concurrency: 1000,
            rate: 0,
            per_host: 8,
        }
    }
}

/// One scan job.
#[derive(Debug, Clone)]
pub struct Job {
    /// The job's name; `adhoc` for targets on the command line.
    pub name: String,
    /// The scanner's zone, stored on every endpoint.
    pub zone: String,
    /// What to scan.
    pub targets: Vec<TargetSpec>,
    /// On which ports.
    pub ports: Vec<PortSpec>,
    /// What not to scan.
    pub exclude: Vec<Exclusion>,
    /// Address to SNI names: each address is checked once per name.
    pub sni: BTreeMap<IpAddr, Vec<String>>,
    /// Timeouts and rates.
    pub limits: Limits,
    /// The checks and thresholds, as in the plugins.
    pub check: CheckOptions,
    /// A five-field cron schedule for the daemon.
    pub schedule: Option<String>,
}

impl Job {
    /// A job with the defaults, to be filled in.
    pub fn new(name: &str) -> Job {
        Job {
            name: name.to_string(),
            zone: String::new(),
            targets: Vec::new(),
            ports: Vec::new(),
            exclude: Vec::new(),
            sni: BTreeMap::new(),
            limits: Limits::default(),
            check: CheckOptions::default(),
            schedule: None,
        }
    }
}
