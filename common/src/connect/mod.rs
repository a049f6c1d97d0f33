//! The only stage that does I/O: resolve, connect, the STARTTLS dialogue if any, the TLS
//! handshake, and a record of what the server sent.
//!
//! Every step takes its time from one [`Deadline`], so the whole capture ends within the
//! target's timeout whatever the peer does.

pub mod aia;
pub mod cache;
mod deadline;
pub mod http;
pub mod probe;
pub mod revocation;
pub mod starttls;
mod stream;
mod tcp;
mod tls;

pub use deadline::Deadline;
pub use stream::DeadlineStream;

use crate::observation::{ConnectError, Observation, ProtocolSupport, Timings};
use crate::target::Target;
use std::time::Instant;

/// A connection ready for the TLS ClientHello: resolved, connected, STARTTLS done.
struct Opened {
    stream: DeadlineStream,
    peer: std::net::SocketAddr,
    greeting: Option<String>,
    timings: Timings,
}

fn open(target: &Target, deadline: Deadline) -> Result<Opened, ConnectError> {
    let started = Instant::now();
    let addrs = tcp::resolve(target, deadline)?;
    let resolved = Instant::now();
    let (socket, peer) = tcp::connect(&addrs, deadline)?;
    let connected = Instant::now();
    let mut stream = DeadlineStream::new(socket, deadline);
    let helo = target
        .helo
        .clone()
        .unwrap_or_else(starttls::local_host_name);
    let dialogue = starttls::Dialogue {
        protocol: target.protocol,
        helo_name: &helo,
        domain: &target.identity(),
        deadline,
    };
    let greeting = starttls::negotiate(&mut stream, &dialogue)?;
    stream.first_bytes.clear();
    let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1000.0;
    Ok(Opened {
        stream,
        peer,
        greeting,
        timings: Timings {
            resolve_ms: ms(started, resolved),
            connect_ms: ms(resolved, connected),
            starttls_ms: ms(connected, Instant::now()),
            handshake_ms: 0.0,
        },
    })
}

/// Connects to the target and captures its certificate chain, valid or not. When rustls cannot
/// complete a handshake (TLS 1.0/1.1 only, CBC-only or RSA-key-exchange-only TLS 1.2), the
/// chain is read with certprobe's own ClientHello instead, from the cleartext Certificate message.
pub fn observe(target: &Target, deadline: Deadline) -> Result<Observation, ConnectError> {
    let opened = open(target, deadline)?;
    let started = Instant::now();
    let session = match tls::handshake(opened.stream, target, deadline) {
        Ok(session) => session,
        Err(e) if e.kind == crate::ErrorKind::Handshake => {
            return legacy_capture(target, deadline, e)
        }
        Err(e) => return Err(e),
    };
    let mut timings = opened.timings;
    timings.handshake_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(Observation {
        peer: opened.peer,
        chain: session.chain,
        tls_version: session.version,
        cipher_suite: session.cipher_suite,
        handshake_error: session.late_error,
        greeting: opened.greeting,
        timings,
        legacy_handshake: None,
        protocols: Vec::new(),
        stapled_ocsp: session.stapled_ocsp,
    })
}

/// Reads the chain with a hand-written ClientHello for TLS 1.2, 1.1, then 1.0.
fn legacy_capture(
    target: &Target,
    deadline: Deadline,
    rustls_error: ConnectError,
) -> Result<Observation, ConnectError> {
    for version in [
        probe::TlsVersion::Tls12,
        probe::TlsVersion::Tls11,
        probe::TlsVersion::Tls10,
    ] {
        let Ok(mut opened) = open(target, deadline) else {
            break;
        };
        let started = Instant::now();
        let Ok(probe::ProbeOutcome::Accepted {
            version,
            cipher_suite,
            certificates,
        }) = probe::probe(&mut opened.stream, version, target.sni.as_deref())
        else {
            continue;
        };
        if certificates.is_empty() {
            continue;
        }
        let mut timings = opened.timings;
        timings.handshake_ms = started.elapsed().as_secs_f64() * 1000.0;
        return Ok(Observation {
            peer: opened.peer,
            chain: certificates,
            tls_version: version.name().to_string(),
            cipher_suite: probe::cipher_suite_name(cipher_suite),
            handshake_error: None,
            greeting: opened.greeting,
            timings,
            legacy_handshake: Some(rustls_error.message.clone()),
            protocols: Vec::new(),
            stapled_ocsp: None,
        });
    }
    Err(rustls_error)
}

/// Which TLS versions the server accepts, each on its own connection (after STARTTLS if any).
pub fn probe_protocols(target: &Target, deadline: Deadline) -> Vec<ProtocolSupport> {
    probe::TlsVersion::ALL
        .iter()
        .map(|&version| {
            let outcome = open(target, deadline).and_then(|mut opened| {
                probe::probe(&mut opened.stream, version, target.sni.as_deref())
                    .map_err(|e| deadline_or(e, deadline))
            });
            match outcome {
                Ok(probe::ProbeOutcome::Accepted { cipher_suite, .. }) => ProtocolSupport {
                    version: version.name().to_string(),
                    accepted: true,
                    cipher_suite: Some(probe::cipher_suite_name(cipher_suite)),
                    note: None,
                },
                Ok(probe::ProbeOutcome::Refused { reason }) => ProtocolSupport {
                    version: version.name().to_string(),
                    accepted: false,
                    cipher_suite: None,
                    note: Some(reason),
                },
                Err(e) => ProtocolSupport {
                    version: version.name().to_string(),
                    accepted: false,
                    cipher_suite: None,
                    note: Some(format!("not probed: {}", e.message)),
                },
            }
        })
        .collect()
}

fn deadline_or(e: std::io::Error, deadline: Deadline) -> ConnectError {
    match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
            deadline.expired("probing TLS versions")
        }
        _ => ConnectError::new(crate::ErrorKind::Handshake, crate::io_text(&e)),
    }
}
