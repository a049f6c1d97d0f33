//! A hand-written TLS ClientHello prober: which protocol versions a server accepts, and the
//! certificate chain of servers rustls cannot talk to (TLS 1.0 or 1.1 only, CBC-only or
//! RSA-key-exchange-only TLS 1.2).
//!
//! No crypto is needed: up to TLS 1.2 the Certificate message travels in the clear right after
//! the ServerHello, so the prober sends one ClientHello, reads until the Certificate (or the
//! ServerHelloDone) and hangs up without sending a secret. For TLS 1.3 the ServerHello alone
//! says whether the version is accepted; what follows it is encrypted.
//!
//! `codec.rs` holds the bounds-checked reader and the ClientHello encoding, `messages.rs` the
//! parsing of records, handshake messages and alerts (no I/O), and this file the I/O loop and
//! the judgement of the answer. Everything the server sends is untrusted: every length is
//! checked, reading stops at [`MAX_RECEIVED`], and bad data becomes a
//! [`ProbeOutcome::Refused`] with a one-line reason, never a panic.

mod answer;
mod codec;
mod messages;
mod suites;

pub use messages::alert_name;
pub use suites::cipher_suite_name;

use answer::Answer;
use ring::agreement::{EphemeralPrivateKey, X25519};
use ring::rand::{SecureRandom, SystemRandom};
use std::io::{self, Read, Write};

/// The most the prober reads from one server: a chain of a dozen large certificates fits many
/// times over; a server sending more without reaching its Certificate is misbehaving.
pub const MAX_RECEIVED: usize = 1024 * 1024;

pub use crate::tls_version::TlsVersion;

/// What one probe learnt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// The server answered with a ServerHello for this version.
    Accepted {
        /// The version the ServerHello chose: the one offered, or with the legacy capture
        /// any from TLS 1.0 to 1.2.
        version: TlsVersion,
        /// The IANA code of the suite the server chose ([`cipher_suite_name`] names it).
        cipher_suite: u16,
        /// DER certificates as sent (empty for TLS 1.3, where they are encrypted)
        certificates: Vec<Vec<u8>>,
    },
    /// The server refused this version: a handshake alert (e.g. protocol_version 70,
    /// handshake_failure 40), or a ServerHello for a different (lower) version, or it closed
    /// the connection. Also any answer that is not well-formed TLS, and a ServerHello for the
    /// version followed by a failure before the Certificate: the reason says which.
    Refused {
        /// One line for the report, e.g. "the server sent fatal alert protocol_version (70)".
        reason: String,
    },
}

/// Offers exactly `version` (ClientHello record version 0x0301, client_version as appropriate;
/// for TLS 1.3: legacy_version 0x0303 + supported_versions \[0x0304\] + a key_share with a
/// freshly generated x25519 public key + signature_algorithms + supported_groups), with SNI
/// `sni` if given (left out for an IP address), and a broad cipher list (for <= 1.2 ECDHE,
/// DHE and plain RSA key exchange, AES-CBC and AES-GCM, CHACHA20, Camellia, 3DES, RC4; for 1.3
/// the three TLS 1.3 suites), reads the answer and returns. For <= 1.2 it keeps reading
/// handshake messages (possibly spread over many records, possibly several messages per
/// record) until Certificate or ServerHelloDone, with a total limit of 1 MiB. The stream
/// enforces time limits; an io::Error of kind TimedOut/WouldBlock is returned as Err so the
/// caller can name the timeout. A reset connection is a refusal; an SNI that is not an ASCII
/// DNS name is an InvalidInput error.
pub fn probe<S: Read + Write>(
    stream: &mut S,
    version: TlsVersion,
    sni: Option<&str>,
) -> io::Result<ProbeOutcome> {
    let hello = fresh_client_hello(version, sni)?;
    let mut answer = Answer::new(version);
    if let Err(e) = stream.write_all(&hello).and_then(|()| stream.flush()) {
        return answer.lost(e);
    }
    answer.read(stream)
}

/// Reads the chain from a server rustls cannot talk to, in one connection: offers TLS 1.2
/// with every suite and accepts the version the server chooses up to it (TLS 1.0 to 1.2),
/// as a TLS 1.0-only server answers a TLS 1.2 ClientHello with a TLS 1.0 ServerHello.
pub fn capture_legacy<S: Read + Write>(
    stream: &mut S,
    sni: Option<&str>,
) -> io::Result<ProbeOutcome> {
    let hello = fresh_client_hello(TlsVersion::Tls12, sni)?;
    let mut answer = Answer::new(TlsVersion::Tls12);
    answer.accept_lower = true;
    if let Err(e) = stream.write_all(&hello).and_then(|()| stream.flush()) {
        return answer.lost(e);
    }
    answer.read(stream)
}

/// A ClientHello with fresh randoms and a fresh x25519 key share (its private half is
/// dropped: nothing is ever encrypted).
fn fresh_client_hello(version: TlsVersion, sni: Option<&str>) -> io::Result<Vec<u8>> {
    let invalid = |e: codec::HelloError| io::Error::new(io::ErrorKind::InvalidInput, e);
    let rng = SystemRandom::new();
    let hello = codec::Hello {
        version,
        sni: codec::server_name(sni).map_err(invalid)?,
        random: random_bytes(&rng)?,
        session_id: random_bytes(&rng)?,
        x25519_public: x25519_public_key(&rng)?,
    };
    codec::client_hello(&hello).map_err(invalid)
}

fn random_bytes(rng: &SystemRandom) -> io::Result<[u8; 32]> {
    let mut bytes = [0; 32];
    rng.fill(&mut bytes)
        .map_err(|_| io::Error::other("the system random generator failed"))?;
    Ok(bytes)
}

fn x25519_public_key(rng: &SystemRandom) -> io::Result<[u8; 32]> {
    let failed = |_| io::Error::other("cannot make an x25519 key share");
    let key = EphemeralPrivateKey::generate(&X25519, rng).map_err(failed)?;
    let public = key.compute_public_key().map_err(failed)?;
    <[u8; 32]>::try_from(public.as_ref()).map_err(|_| io::Error::other("bad x25519 key length"))
}

#[cfg(test)]
mod tests;
