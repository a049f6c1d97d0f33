//! Raw facts gathered by the connect stage: what the server sent, nothing judged yet.
//! Serialisable so that a test can replay an observation without a network.

use crate::protocol::Protocol;
use crate::target::Target;
use crate::tls_version::TlsVersion;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// Where an observation was made: enough for an inventory to store it as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The host as asked for: a name or an IP literal.
    pub host: String,
    /// The TCP port connected to.
    pub port: u16,
    /// The SNI name sent, if any.
    pub sni: Option<String>,
    /// Direct TLS or the STARTTLS dialogue that ran first.
    #[serde(default)]
    pub protocol: Protocol,
}

impl Source {
    /// The source of a capture of `target`.
    pub fn of(target: &Target) -> Source {
        Source {
            host: target.host.clone(),
            port: target.port,
            sni: target.sni.clone(),
            protocol: target.protocol,
        }
    }
}

/// A successful capture: the chain as sent, plus what the handshake negotiated.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Observation {
    /// What was asked for.
    #[serde(default)]
    pub source: Source,
    /// When the chain was received (Unix seconds).
    #[serde(default)]
    pub observed_at: i64,
    /// The address actually connected to.
    pub peer: SocketAddr,
    /// DER certificates in the order the server sent them; the leaf first.
    #[serde(with = "der_list")]
    pub chain: Vec<Vec<u8>>,
    /// Negotiated protocol, e.g. `TLSv1.3`; none (`""` in JSON) when the handshake did not
    /// complete.
    #[serde(with = "version_or_empty")]
    pub tls_version: Option<TlsVersion>,
    /// Negotiated cipher suite, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher_suite: String,
    /// Set when the handshake failed after the certificate had already been captured.
    pub handshake_error: Option<String>,
    /// The first line of the server's plain-text greeting on STARTTLS protocols.
    #[serde(default)]
    pub greeting: Option<String>,
    /// How long resolution, connect, the STARTTLS dialogue and the handshake took.
    pub timings: Timings,
    /// Set when rustls could not talk to the server and the chain was read with certprobe's
    /// own ClientHello: why rustls failed.
    #[serde(default)]
    pub legacy_handshake: Option<String>,
    /// Which TLS versions the server accepts, when probed (`--protocols`).
    #[serde(default)]
    pub protocols: Vec<ProtocolSupport>,
    /// The OCSP response stapled to the handshake (DER), if any.
    #[serde(default, skip_serializing)]
    pub stapled_ocsp: Option<Vec<u8>>,
}

/// Whether the server accepts one TLS version, from a probe of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolSupport {
    /// `TLSv1.0` ... `TLSv1.3`.
    pub version: TlsVersion,
    /// True when the server answered with a ServerHello for exactly this version.
    pub accepted: bool,
    /// The suite the server chose, when accepted.
    pub cipher_suite: Option<String>,
    /// Why not, when refused.
    pub note: Option<String>,
}

/// Milliseconds spent in each network step.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Timings {
    /// Name resolution; close to 0 for an IP literal.
    pub resolve_ms: f64,
    /// The TCP connect, every address tried included.
    pub connect_ms: f64,
    /// The STARTTLS dialogue; 0 for direct TLS.
    #[serde(default)]
    pub starttls_ms: f64,
    /// The TLS handshake (with the legacy capture: its own ClientHello exchange, on the
    /// second connection that the other timings then describe).
    pub handshake_ms: f64,
}

/// Why no certificate could be captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The host name does not resolve (or not in the requested family).
    Resolve,
    /// The TCP connection was refused (a reset): nothing listens on the port, or a firewall
    /// rejects it.
    ConnectionRefused,
    /// No route, host unreachable, network down, or any other connect failure.
    Unreachable,
    /// The overall deadline passed; the message names the step.
    Timeout,
    /// The peer answered, but not with TLS.
    NotTls,
    /// The TLS handshake failed before a certificate arrived (alert, protocol error).
    Handshake,
    /// The peer closed the connection before sending a certificate.
    Closed,
    /// The certificate could not be parsed.
    BadCertificate,
    /// The check could not be set up on this side (a name the TLS library refuses, say):
    /// nothing was asked of the server.
    Setup,
}

impl ErrorKind {
    /// The short name an inventory stores and JSON shows (`connection-refused`, `timeout`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Resolve => "resolve",
            ErrorKind::ConnectionRefused => "connection-refused",
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Timeout => "timeout",
            ErrorKind::NotTls => "not-tls",
            ErrorKind::Handshake => "handshake",
            ErrorKind::Closed => "closed",
            ErrorKind::BadCertificate => "bad-certificate",
            ErrorKind::Setup => "setup",
        }
    }

    /// The kind of a stored name ([`ErrorKind::name`]).
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        [
            ErrorKind::Resolve,
            ErrorKind::ConnectionRefused,
            ErrorKind::Unreachable,
            ErrorKind::Timeout,
            ErrorKind::NotTls,
            ErrorKind::Handshake,
            ErrorKind::Closed,
            ErrorKind::BadCertificate,
            ErrorKind::Setup,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// A failed capture, flowing through the pipeline like any other result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectError {
    /// What failed; the verdict chooses the state from it.
    pub kind: ErrorKind,
    /// One line, without the host:port prefix.
    pub message: String,
}

impl ConnectError {
    /// An error of `kind` with its one-line `message` (no `host:port` prefix).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ConnectError {
            kind,
            message: message.into(),
        }
    }
}

/// A version as its name, and no version as the empty string (as the JSON schema has it).
mod version_or_empty {
    use crate::tls_version::TlsVersion;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<TlsVersion>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.map_or("", TlsVersion::name))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TlsVersion>, D::Error> {
        let text = String::deserialize(d)?;
        Ok(TlsVersion::from_name(&text))
    }
}

/// Certificates travel as base64 in JSON so an observation file stays readable.
mod der_list {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(chain: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(chain.iter().map(|der| crate::encoding::base64(der)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts
            .iter()
            .map(|t| {
                crate::encoding::unbase64(t).ok_or_else(|| serde::de::Error::custom("bad base64"))
            })
            .collect()
    }
}
