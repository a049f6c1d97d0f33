//! The only stage that does I/O: resolve, connect, the STARTTLS dialogue if any, the TLS
//! handshake, and a record of what the server sent.
//!
//! Every step takes its time from one [`Deadline`], so the whole capture ends within the
//! target's timeout whatever the peer does.

mod alerts;
pub mod probe;
pub mod resolver;
pub mod starttls;
mod stream;
pub mod tcp;
pub mod tls;
mod tls_error;

pub use resolver::Resolver;
pub use stream::DeadlineStream;
pub use tls::{Failure, Handshake, Progress, Session};

use crate::budget::{Budget, Deadline};
use crate::observation::{ConnectError, Observation, ProtocolSupport, Source, Timings};
use crate::target::Target;
use std::sync::Arc;
use std::time::Instant;

/// Threads for name resolution, at most; lookups beyond wait in the queue.
const RESOLVER_THREADS: usize = 16;
/// Lookups waiting for a resolver thread, at most; beyond, a lookup fails at once.
const RESOLVER_QUEUE: usize = 4096;

/// A connection ready for the TLS ClientHello: resolved, connected, STARTTLS done.
struct Opened {
    stream: DeadlineStream,
    peer: std::net::SocketAddr,
    greeting: Option<String>,
    timings: Timings,
}

/// What every capture needs that is made once and shared: the resolver pool, the crypto
/// provider, and this machine's name for EHLO. `Send + Sync`, used by reference from any
/// number of threads.
pub struct Capturer {
    resolver: Arc<Resolver>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    helo: String,
}

impl Capturer {
    /// `helo` overrides this machine's host name as the default EHLO/LHLO name.
    pub fn new(helo: Option<String>) -> Capturer {
        Capturer {
            resolver: Arc::new(Resolver::new(RESOLVER_THREADS, RESOLVER_QUEUE)),
            provider: Arc::new(rustls::crypto::ring::default_provider()),
            helo: helo.unwrap_or_else(starttls::local_host_name),
        }
    }

    /// The resolver pool, shared with the lookups' HTTP fetches.
    pub fn resolver(&self) -> &Arc<Resolver> {
        &self.resolver
    }

    /// Connects to the target and captures its certificate chain, valid or not. When rustls
    /// cannot complete a handshake (TLS 1.0/1.1 only, CBC-only or RSA-key-exchange-only
    /// TLS 1.2), the chain is read with certprobe's own ClientHello instead, from the
    /// cleartext Certificate message.
    pub fn observe(&self, target: &Target, budget: &Budget) -> Result<Observation, ConnectError> {
        let opened = self.open(target, budget)?;
        self.observe_opened(opened, target, budget)
    }

    /// The same capture on a TCP connection made by the caller (a scanner that connects
    /// without a thread per connection): the STARTTLS dialogue, the handshake and any
    /// fallback run here. `connect_ms` is what the caller measured.
    pub fn observe_connected(
        &self,
        socket: std::net::TcpStream,
        peer: std::net::SocketAddr,
        connect_ms: f64,
        target: &Target,
        budget: &Budget,
    ) -> Result<Observation, ConnectError> {
        let _ = socket.set_nodelay(true);
        let mut opened = self.open_on(socket, peer, target, budget)?;
        opened.timings.connect_ms = connect_ms;
        self.observe_opened(opened, target, budget)
    }

    fn observe_opened(
        &self,
        opened: Opened,
        target: &Target,
        budget: &Budget,
    ) -> Result<Observation, ConnectError> {
        let started = Instant::now();
        let result = tls::handshake(opened.stream, target, &self.provider, budget.deadline);
        let mut timings = opened.timings;
        timings.handshake_ms = started.elapsed().as_secs_f64() * 1000.0;
        self.observe_handshake(
            result,
            opened.peer,
            opened.greeting,
            timings,
            target,
            budget,
        )
    }

    /// Starts a direct-TLS handshake for a caller that does the I/O itself (the scanner's
    /// async connections); hand its end to [`Capturer::observe_handshake`].
    pub fn start_handshake(&self, target: &Target) -> Result<Handshake, ConnectError> {
        Handshake::start(target, &self.provider)
    }

    /// The observation of a finished handshake. A failure of the kind old servers cause is
    /// retried once with certprobe's own ClientHello, on a new connection (blocking).
    pub fn observe_handshake(
        &self,
        result: Result<Session, Failure>,
        peer: std::net::SocketAddr,
        greeting: Option<String>,
        timings: Timings,
        target: &Target,
        budget: &Budget,
    ) -> Result<Observation, ConnectError> {
        let session = match result {
            Ok(session) => session,
            Err(failure) if failure.fallback == tls_error::Fallback::Worth => {
                return self.legacy_capture(target, budget, failure.error)
            }
            Err(failure) => return Err(failure.error),
        };
        Ok(Observation {
            source: Source::of(target),
            observed_at: crate::clock::now_unix(),
            peer,
            chain: session.chain,
            tls_version: session.version,
            cipher_suite: session.cipher_suite,
            handshake_error: session.late_error,
            greeting,
            timings,
            legacy_handshake: None,
            protocols: Vec::new(),
            stapled_ocsp: session.stapled_ocsp,
        })
    }

    fn open(&self, target: &Target, budget: &Budget) -> Result<Opened, ConnectError> {
        let deadline = budget.deadline;
        let started = Instant::now();
        let addrs = tcp::resolve(target, &self.resolver, deadline)?;
        let resolved = Instant::now();
        let (socket, peer) = tcp::connect(&addrs, budget)?;
        let connected = Instant::now();
        let mut opened = self.open_on(socket, peer, target, budget)?;
        let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1000.0;
        opened.timings.resolve_ms = ms(started, resolved);
        opened.timings.connect_ms = ms(resolved, connected);
        Ok(opened)
    }

    /// The STARTTLS dialogue, if any, on a connected socket.
    fn open_on(
        &self,
        socket: std::net::TcpStream,
        peer: std::net::SocketAddr,
        target: &Target,
        budget: &Budget,
    ) -> Result<Opened, ConnectError> {
        let deadline = budget.deadline;
        let connected = Instant::now();
        let mut stream = DeadlineStream::new(socket, deadline);
        let dialogue = starttls::Dialogue {
            protocol: target.protocol,
            helo_name: target.helo.as_deref().unwrap_or(&self.helo),
            domain: &target.identity(),
            deadline,
        };
        let greeting = starttls::negotiate(&mut stream, &dialogue)?;
        stream.first_bytes.clear();
        Ok(Opened {
            stream,
            peer,
            greeting,
            timings: Timings {
                resolve_ms: 0.0,
                connect_ms: 0.0,
                starttls_ms: connected.elapsed().as_secs_f64() * 1000.0,
                handshake_ms: 0.0,
            },
        })
    }

    /// Reads the chain with certprobe's own ClientHello, on one more connection: it offers
    /// TLS 1.2 with every suite and takes the version the server chooses (1.0 to 1.2).
    fn legacy_capture(
        &self,
        target: &Target,
        budget: &Budget,
        rustls_error: ConnectError,
    ) -> Result<Observation, ConnectError> {
        let Ok(mut opened) = self.open(target, budget) else {
            return Err(rustls_error);
        };
        let started = Instant::now();
        let Ok(probe::ProbeOutcome::Accepted {
            version,
            cipher_suite,
            certificates,
        }) = probe::capture_legacy(&mut opened.stream, target.sni.as_deref())
        else {
            return Err(rustls_error);
        };
        if certificates.is_empty() {
            return Err(rustls_error);
        }
        let mut timings = opened.timings;
        timings.handshake_ms = started.elapsed().as_secs_f64() * 1000.0;
        Ok(Observation {
            source: Source::of(target),
            observed_at: crate::clock::now_unix(),
            peer: opened.peer,
            chain: certificates,
            tls_version: Some(version),
            cipher_suite: probe::cipher_suite_name(cipher_suite),
            handshake_error: None,
            greeting: opened.greeting,
            timings,
            legacy_handshake: Some(rustls_error.message.clone()),
            protocols: Vec::new(),
            stapled_ocsp: None,
        })
    }

    /// Which TLS versions the server accepts, each on its own connection (after STARTTLS if any).
    pub fn probe_protocols(&self, target: &Target, budget: &Budget) -> Vec<ProtocolSupport> {
        let deadline = budget.deadline;
        probe::TlsVersion::ALL
            .iter()
            .map(|&version| {
                let outcome = self.open(target, budget).and_then(|mut opened| {
                    probe::probe(&mut opened.stream, version, target.sni.as_deref())
                        .map_err(|e| deadline_or(e, deadline))
                });
                match outcome {
                    Ok(probe::ProbeOutcome::Accepted { cipher_suite, .. }) => ProtocolSupport {
                        version,
                        accepted: true,
                        cipher_suite: Some(probe::cipher_suite_name(cipher_suite)),
                        note: None,
                    },
                    Ok(probe::ProbeOutcome::Refused { reason }) => ProtocolSupport {
                        version,
                        accepted: false,
                        cipher_suite: None,
                        note: Some(reason),
                    },
                    Err(e) => ProtocolSupport {
                        version,
                        accepted: false,
                        cipher_suite: None,
                        note: Some(format!("not probed: {}", e.message)),
                    },
                }
            })
            .collect()
    }
}

fn deadline_or(e: std::io::Error, deadline: Deadline) -> ConnectError {
    match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
            deadline.expired("probing TLS versions")
        }
        _ => ConnectError::new(crate::observation::ErrorKind::Handshake, crate::io_text(&e)),
    }
}
