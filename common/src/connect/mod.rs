//! The only stage that does I/O: resolve, connect, handshake, and record what the server sent.
//!
//! Every step takes its time from one [`Deadline`], so the whole capture ends within the
//! target's timeout whatever the peer does.

mod deadline;
mod stream;
mod tcp;
mod tls;

pub use deadline::Deadline;

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
    let session = tls::handshake(socket, target, deadline)?;
    let done = Instant::now();
    let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1000.0;
    Ok(Observation {
        peer,
        chain: session.chain,
        tls_version: session.version,
        cipher_suite: session.cipher_suite,
        handshake_error: session.late_error,
        timings: Timings {
            resolve_ms: ms(started, resolved),
            connect_ms: ms(resolved, connected),
            handshake_ms: ms(connected, done),
        },
    })
}
