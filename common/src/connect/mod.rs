//! The only stage that does I/O: resolve, connect, the STARTTLS dialogue if any, the TLS
//! handshake, and a record of what the server sent.
//!
//! Every step takes its time from one [`Deadline`], so the whole capture ends within the
//! target's timeout whatever the peer does.

mod deadline;
pub mod starttls;
mod stream;
mod tcp;
mod tls;

pub use deadline::Deadline;
pub use stream::DeadlineStream;

use crate::observation::{ConnectError, Observation, Timings};
use crate::target::Target;
use std::time::Instant;

/// Connects to the target and captures its certificate chain, valid or not.
pub fn observe(target: &Target, deadline: Deadline) -> Result<Observation, ConnectError> {
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
    let negotiated = Instant::now();
    let session = tls::handshake(stream, target, deadline)?;
    let done = Instant::now();
    let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1000.0;
    Ok(Observation {
        peer,
        chain: session.chain,
        tls_version: session.version,
        cipher_suite: session.cipher_suite,
        handshake_error: session.late_error,
        greeting,
        timings: Timings {
            resolve_ms: ms(started, resolved),
            connect_ms: ms(resolved, connected),
            starttls_ms: ms(connected, negotiated),
            handshake_ms: ms(negotiated, done),
        },
    })
}
