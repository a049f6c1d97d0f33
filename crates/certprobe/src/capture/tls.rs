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
    pub chain: Vec<Vec<u8>>,
    pub version: Option<TlsVersion>,
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
    pub error: ConnectError,
    pub fallback: Fallback,
}

impl From<ConnectError> for Failure {
    fn from(error: ConnectError) -> Failure {
        Failure {
            error,
            fallback: Fallback::Useless,
        }
    }
}

pub fn handshake(
    mut stream: DeadlineStream,
    target: &Target,
    provider: &Arc<CryptoProvider>,
    deadline: Deadline,
) -> Result<Session, Failure> {
    let recorder = Arc::new(Recorder::default());
    let config = client_config(provider, recorder.clone())?;
    let name = server_name(target)?;
    let mut conn = ClientConnection::new(config, name).map_err(|e| {
        ConnectError::new(
            ErrorKind::Setup,
            format!("cannot start TLS: {}", explain(&e).0),
        )
    })?;

    let failure = drive(&mut conn, &mut stream).err();
    let chain = recorder.take();
    let stapled_ocsp = recorder.take_staple();
    match failure {
        None => {
            // A polite goodbye in the protocol's own words, then close_notify; no answer is awaited.
            let farewell = target.protocol.farewell();
            if !farewell.is_empty() {
                let _ = std::io::Write::write_all(&mut conn.writer(), farewell);
            }
            conn.send_close_notify();
            while conn.wants_write() && conn.write_tls(&mut stream).is_ok() {}
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
            late_error: Some(describe(&e, &stream.first_bytes, deadline).error.message),
            stapled_ocsp,
        }),
        Some(e) => Err(describe(&e, &stream.first_bytes, deadline)),
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

/// Runs the handshake to its end or its first error. Driven by hand rather than by
/// `complete_io`, to see what arrives: a server that answers the ClientHello with a
/// close_notify alert and keeps the socket open would otherwise be waited for until the
/// deadline (rustls takes a close_notify before the handshake for a harmless warning).
fn drive(conn: &mut ClientConnection, stream: &mut DeadlineStream) -> io::Result<()> {
    while conn.is_handshaking() {
        while conn.wants_write() {
            conn.write_tls(stream)?;
        }
        io::Write::flush(stream)?;
        if !conn.is_handshaking() {
            break;
        }
        if !conn.wants_read() {
            return Err(closed_by_alert());
        }
        if conn.read_tls(stream)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if let Err(e) = conn.process_new_packets() {
            // The alert that tells the server why, if rustls has one to send.
            let _ = conn.write_tls(stream);
            return Err(io::Error::new(io::ErrorKind::InvalidData, e));
        }
        if starts_with_close_notify(&stream.first_bytes) {
            return Err(closed_by_alert());
        }
    }
    // The last flight (Finished) goes out before the session is used.
    while conn.wants_write() {
        conn.write_tls(stream)?;
    }
    Ok(())
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
