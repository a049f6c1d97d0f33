//! What to check: the first stage of the pipeline. Built from the command line
//! (and later from a PRTG parameter string); every later stage reads only this.

use crate::idna::{to_ascii_name, HostNameError};
use crate::protocol::Protocol;
use std::net::IpAddr;
use std::time::Duration;

/// Address family restriction for the TCP connection (`-4` / `-6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    /// Every address the name resolves to, in resolver order.
    #[default]
    Any,
    /// IPv4 addresses only (`-4`).
    V4,
    /// IPv6 addresses only (`-6`).
    V6,
}

/// One endpoint to check.
#[derive(Debug, Clone)]
pub struct Target {
    /// The host as the user gave it: a DNS name or an IP literal.
    pub host: String,
    /// The TCP port to connect to.
    pub port: u16,
    /// Connect here instead of resolving `host` (`--address`); the name still drives SNI and the name check.
    pub address: Option<String>,
    /// The SNI name sent in the ClientHello, already in ASCII (A-label) form; `None` sends no SNI.
    pub sni: Option<String>,
    /// True when the SNI came from `--sni` rather than from the host name (PRTG distinguishes the two).
    pub sni_explicit: bool,
    /// Which of the resolved addresses may be tried (`-4` / `-6`); applies to `address` too.
    pub family: Family,
    /// The overall budget for DNS, connect, the STARTTLS dialogue and the handshake.
    pub timeout: Duration,
    /// Direct TLS, or the STARTTLS dialogue to run first.
    pub protocol: Protocol,
    /// The name given in SMTP EHLO / LMTP LHLO (`--helo`); the local host name when `None`.
    pub helo: Option<String>,
}

impl Target {
    /// Builds a target, deriving SNI from the host name unless `sni` is given.
    /// An IP literal host gets no SNI unless one is given explicitly.
    pub fn new(host: &str, port: u16, sni: Option<&str>) -> Result<Target, HostNameError> {
        let host = host.trim();
        if host.is_empty() {
            return Err(HostNameError::Empty);
        }
        let host_is_ip = parse_ip_literal(host).is_some();
        let sni_name = match sni {
            Some(name) => Some(to_ascii_name(name)?),
            None if host_is_ip => None,
            None => Some(to_ascii_name(host)?),
        };
        Ok(Target {
            host: host.to_string(),
            port,
            address: None,
            sni: sni_name,
            sni_explicit: sni.is_some(),
            family: Family::Any,
            timeout: Duration::from_secs(10),
            protocol: Protocol::Tls,
            helo: None,
        })
    }

    /// The name the certificate must cover: the SNI name, or the IP literal when there is no SNI.
    pub fn identity(&self) -> String {
        match &self.sni {
            Some(name) => name.clone(),
            None => strip_brackets(&self.host).to_string(),
        }
    }

    /// `host:port` as shown in output lines (IPv6 literals in brackets), the host cut to
    /// 100 characters.
    pub fn label(&self) -> String {
        let host = crate::text::quote(strip_brackets(&self.host), 100);
        if host.contains(':') {
            format!("[{host}]:{}", self.port)
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// Parses an IP literal, accepting IPv6 in brackets (`[::1]`).
pub fn parse_ip_literal(text: &str) -> Option<IpAddr> {
    strip_brackets(text).parse().ok()
}

fn strip_brackets(text: &str) -> &str {
    text.strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text)
}
