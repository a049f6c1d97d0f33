//! The TLS handshake with a recording verifier: it keeps the chain exactly as sent and
//! accepts it, so expired, self-signed, weak or untrusted certificates are still captured.
//! Judging them is the analysis stage's job, with the chain in hand.

use super::stream::DeadlineStream;
use super::tls_error::{explain, Fallback};
use crate::budget::Deadline;
use crate::observation::{ConnectError, ErrorKind};
use crate::target::{parse_ip_literal, Target};
use crate::tls_version::TlsVersion;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};
use std::io;
use std::sync::{Arc, Mutex};

const STEP: &str = "during the TLS handshake";

/// What a handshake yielded.
pub struct Session {
    /// The chain as sent, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// The negotiated version, when rustls completed the handshake.
    pub version: Option<TlsVersion>,
    /// The negotiated suite's name; empty when the handshake ended early.
    pub cipher_suite: String,
    /// The handshake failed after the chain was captured (for example a client certificate was required).
    pub late_error: Option<String>,
    /// The OCSP response the server stapled, if any.
    pub stapled_ocsp: Option<Vec<u8>>,
}

/// A handshake that failed before the chain arrived, and whether certprobe's own
/// ClientHello could still read the chain.
#[derive(Debug)]
pub struct Failure {
    pub(crate) error: ConnectError,
    pub(crate) fallback: Fallback,
}

impl Failure {
    /// Why the handshake failed.
    pub fn error(&self) -> &ConnectError {
        &self.error
    }
}

impl From<ConnectError> for Failure {
    fn from(error: ConnectError) -> Failure {
        Failure {
            error,
            fallback: Fallback::Useless,
        }
    }
}

/// The handshake as a state machine without I/O: the caller sends [`Handshake::outgoing`]
/// and feeds what arrives to [`Handshake::received`], on a blocking socket (the plugins) or an
/// async one (the scanner, which keeps thousands of them in flight without a thread each).
pub struct Handshake {
    conn: ClientConnection,
    recorder: Arc<Recorder>,
    /// The server's first bytes, for quoting an answer that is not TLS.
    first_bytes: Vec<u8>,
    farewell: &'static [u8],
}

/// Where a handshake is after some bytes arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// More bytes are needed from the server (after sending [`Handshake::outgoing`]).
    Reading,
    /// The handshake is complete; send [`Handshake::outgoing`] one last time.
    Done,
}

impl Handshake {
    /// A client handshake for `target`: SNI from its name, the recording verifier.
    pub fn start(
        target: &Target,
        provider: &Arc<CryptoProvider>,
    ) -> Result<Handshake, ConnectError> {
        let recorder = Arc::new(Recorder::default());
        let config = client_config(provider, recorder.clone())?;
        let name = server_name(target)?;
        let conn = ClientConnection::new(config, name).map_err(|e| {
            ConnectError::new(
                ErrorKind::Setup,
                format!("cannot start TLS: {}", explain(&e).0),
            )
        })?;
        Ok(Handshake {
            conn,
            recorder,
            first_bytes: Vec::new(),
            farewell: target.protocol.farewell(),
        })
    }

    /// The bytes to send now; empty when there are none.
    pub fn outgoing(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while self.conn.wants_write() {
            if self.conn.write_tls(&mut out).is_err() {
                break;
            }
        }
        out
    }

    /// Takes bytes from the server; an empty slice is the end of the connection. Errors are
    /// what [`Handshake::finish`] explains.
    pub fn received(&mut self, mut bytes: &[u8]) -> io::Result<Progress> {
        if !self.conn.is_handshaking() {
            return Ok(Progress::Done);
        }
        if bytes.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let keep = (FIRST_BYTES - self.first_bytes.len().min(FIRST_BYTES)).min(bytes.len());
        self.first_bytes.extend_from_slice(&bytes[..keep]);
        while !bytes.is_empty() {
            self.conn.read_tls(&mut bytes)?;
            if let Err(e) = self.conn.process_new_packets() {
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
            if starts_with_close_notify(&self.first_bytes) {
                return Err(closed_by_alert());
            }
            if !self.conn.is_handshaking() {
                return Ok(Progress::Done);
            }
        }
        Ok(Progress::Reading)
    }

    /// After [`Handshake::outgoing`] was sent: an error when the handshake cannot go on
    /// (the server ended it with an alert rustls takes for a warning), so that nobody waits
    /// for bytes that will not come.
    pub fn expects_more(&self) -> io::Result<()> {
        if self.conn.is_handshaking() && !self.conn.wants_read() {
            return Err(closed_by_alert());
        }
        Ok(())
    }

    /// The end of the handshake: the session, or why it failed. On success the farewell
    /// (the protocol's goodbye, then close_notify) is queued: send [`Handshake::outgoing`].
    pub fn finish(
        &mut self,
        failure: Option<io::Error>,
        deadline: Deadline,
    ) -> Result<Session, Failure> {
        let chain = self.recorder.take();
        let stapled_ocsp = self.recorder.take_staple();
        let conn = &mut self.conn;
        match failure {
            None => {
                if !self.farewell.is_empty() {
                    let _ = std::io::Write::write_all(&mut conn.writer(), self.farewell);
                }
                conn.send_close_notify();
                Ok(Session {
                    chain,
                    version: conn.protocol_version().and_then(version_of),
                    cipher_suite: conn
                        .negotiated_cipher_suite()
                        .map(|s| format!("{:?}", s.suite()))
                        .unwrap_or_default(),
                    late_error: None,
                    stapled_ocsp,
                })
            }
            Some(e) if !chain.is_empty() && e.kind() != io::ErrorKind::TimedOut => Ok(Session {
                chain,
                version: conn.protocol_version().and_then(version_of),
                cipher_suite: String::new(),
                late_error: Some(describe(&e, &self.first_bytes, deadline).error.message),
                stapled_ocsp,
            }),
            Some(e) => Err(describe(&e, &self.first_bytes, deadline)),
        }
    }
}

/// How much of the server's first answer is kept for messages.
const FIRST_BYTES: usize = 64;

/// The handshake on a blocking stream bounded by the deadline.
pub fn handshake(
    mut stream: DeadlineStream,
    target: &Target,
    provider: &Arc<CryptoProvider>,
    deadline: Deadline,
) -> Result<Session, Failure> {
    let mut handshake = Handshake::start(target, provider)?;
    let failure = drive(&mut handshake, &mut stream).err();
    let session = handshake.finish(failure, deadline);
    if session.is_ok() {
        let _ = io::Write::write_all(&mut stream, &handshake.outgoing());
    }
    session
}

/// Runs the handshake to its end or its first error, reading what arrives as it arrives: a
/// server that answers the ClientHello with a close_notify alert and keeps the socket open
/// is seen at once, not waited for until the deadline.
fn drive(handshake: &mut Handshake, stream: &mut DeadlineStream) -> io::Result<()> {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let out = handshake.outgoing();
        if !out.is_empty() {
            io::Write::write_all(stream, &out)?;
            io::Write::flush(stream)?;
        }
        handshake.expects_more()?;
        let n = io::Read::read(stream, &mut buffer)?;
        match handshake.received(&buffer[..n]) {
            Ok(Progress::Reading) => continue,
            Ok(Progress::Done) => {
                // The last flight (Finished) goes out before the session is used.
                let out = handshake.outgoing();
                io::Write::write_all(stream, &out)?;
                return Ok(());
            }
            Err(e) => {
                // The alert that tells the server why, if rustls has one to send.
                let _ = io::Write::write_all(stream, &handshake.outgoing());
                return Err(e);
            }
        }
    }
}

fn client_config(
    provider: &Arc<CryptoProvider>,
    recorder: Arc<Recorder>,
) -> Result<Arc<ClientConfig>, ConnectError> {
    let config = ClientConfig::builder_with_provider(Arc::clone(provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| ConnectError::new(ErrorKind::Setup, format!("TLS set-up: {}", explain(&e).0)))?
        .dangerous()
        .with_custom_certificate_verifier(recorder)
        .with_no_client_auth();
    // One connection per configuration (its verifier records that connection's chain): the
    // default resumption cache would be an unused table of 32 servers, about 10 KB each time.
    let mut config = config;
    config.resumption = rustls::client::Resumption::disabled();
    Ok(Arc::new(config))
}

/// SNI when the target has a name; an IP literal otherwise, for which rustls sends no SNI.
fn server_name(target: &Target) -> Result<ServerName<'static>, ConnectError> {
    if let Some(sni) = &target.sni {
        return ServerName::try_from(sni.clone()).map_err(|_| {
            ConnectError::new(
                ErrorKind::Setup,
                format!("'{}' is not a valid SNI name", crate::text::visible(sni)),
            )
        });
    }
    match parse_ip_literal(&target.host) {
        Some(ip) => Ok(ServerName::IpAddress(ip.into())),
        None => Err(ConnectError::new(
            ErrorKind::Setup,
            "no server name to send",
        )),
    }
}

fn version_of(v: rustls::ProtocolVersion) -> Option<TlsVersion> {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => Some(TlsVersion::Tls13),
        rustls::ProtocolVersion::TLSv1_2 => Some(TlsVersion::Tls12),
        _ => None,
    }
}

fn closed_by_alert() -> io::Error {
    io::Error::other(rustls::Error::AlertReceived(
        rustls::AlertDescription::CloseNotify,
    ))
}

/// The server's first record is a close_notify alert (of any level): it ended the session
/// instead of answering with a ServerHello.
fn starts_with_close_notify(first_bytes: &[u8]) -> bool {
    matches!(first_bytes, [21, 3, _, 0, 2, _, 0, ..])
}

/// Turns a handshake failure into one clear line.
fn describe(e: &io::Error, first_bytes: &[u8], deadline: Deadline) -> Failure {
    let useless = |error: ConnectError| Failure {
        error,
        fallback: Fallback::Useless,
    };
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            let step = if first_bytes.is_empty() {
                "waiting for the server's TLS answer"
            } else {
                STEP
            };
            return useless(deadline.expired(step));
        }
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
            if !looks_like_tls(first_bytes) && !first_bytes.is_empty() =>
        {
            return useless(not_tls(first_bytes));
        }
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted => {
            // Some old servers hang up on a ClientHello they cannot parse.
            return Failure {
                error: ConnectError::new(
                    ErrorKind::Closed,
                    "server closed the connection during the TLS handshake",
                ),
                fallback: if first_bytes.is_empty() {
                    Fallback::Worth
                } else {
                    Fallback::Useless
                },
            };
        }
        _ => {}
    }
    if !first_bytes.is_empty() && !looks_like_tls(first_bytes) {
        return useless(not_tls(first_bytes));
    }
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(err) => {
            let (sentence, fallback) = explain(err);
            Failure {
                error: ConnectError::new(
                    ErrorKind::Handshake,
                    format!("TLS handshake failed: {sentence}"),
                ),
                fallback,
            }
        }
        None => useless(ConnectError::new(
            ErrorKind::Handshake,
            format!("TLS handshake failed: {}", crate::io_text(e)),
        )),
    }
}

/// A TLS record starts with a content type 20..=24 and major version 3.
fn looks_like_tls(bytes: &[u8]) -> bool {
    matches!(bytes, [20..=24, 3, ..] | [20..=24])
}

fn not_tls(first_bytes: &[u8]) -> ConnectError {
    let first_line = first_bytes
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or_default();
    let first_line = first_line.strip_suffix(b"\r").unwrap_or(first_line);
    let line = crate::text::quote_bytes(first_line, 60);
    let quoted = if line.trim().is_empty() {
        String::new()
    } else {
        format!(": it answered '{}'", line.trim())
    };
    ConnectError::new(ErrorKind::NotTls, format!("not a TLS server{quoted}"))
}

/// Keeps the chain as sent and accepts it; also accepts the handshake signature, since no
/// secret is ever sent over this connection and legacy keys must not abort the capture.
#[derive(Debug, Default)]
struct Recorder {
    chain: Mutex<Vec<Vec<u8>>>,
    staple: Mutex<Option<Vec<u8>>>,
}

impl Recorder {
    fn take_staple(&self) -> Option<Vec<u8>> {
        match self.staple.lock() {
            Ok(mut staple) => staple.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        }
    }

    fn take(&self) -> Vec<Vec<u8>> {
        match self.chain.lock() {
            Ok(mut chain) => std::mem::take(&mut *chain),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if !ocsp_response.is_empty() {
            if let Ok(mut slot) = self.staple.lock() {
                *slot = Some(ocsp_response.to_vec());
            }
        }
        let chain: Vec<Vec<u8>> = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.as_ref().to_vec())
            .collect();
        if let Ok(mut slot) = self.chain.lock() {
            *slot = chain;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    /// Everything a server might sign with, legacy schemes included, so that no server is
    /// refused for its signature scheme alone.
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![
            SignatureScheme::ECDSA_NISTP256_SHA256,
            SignatureScheme::ECDSA_NISTP384_SHA384,
            SignatureScheme::ECDSA_NISTP521_SHA512,
            SignatureScheme::ED25519,
            SignatureScheme::ED448,
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PSS_SHA384,
            SignatureScheme::RSA_PSS_SHA512,
            SignatureScheme::RSA_PKCS1_SHA256,
            SignatureScheme::RSA_PKCS1_SHA384,
            SignatureScheme::RSA_PKCS1_SHA512,
            SignatureScheme::RSA_PKCS1_SHA1,
            SignatureScheme::ECDSA_SHA1_Legacy,
        ]
    }
}
