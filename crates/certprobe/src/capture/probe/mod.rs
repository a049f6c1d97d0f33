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

mod codec;
mod messages;

pub use messages::alert_name;

use messages::{
    Deframer, Message, ServerHello, CERTIFICATE, CERTIFICATE_REQUEST, HELLO_REQUEST, SERVER_HELLO,
    SERVER_HELLO_DONE, SERVER_KEY_EXCHANGE,
};
use ring::agreement::{EphemeralPrivateKey, X25519};
use ring::rand::{SecureRandom, SystemRandom};
use std::fmt::Write as _;
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

/// Name of a cipher suite code, e.g. 0x002f -> "TLS_RSA_WITH_AES_128_CBC_SHA"; unknown codes
/// as "0x1234".
pub fn cipher_suite_name(code: u16) -> String {
    SUITE_NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| format!("0x{code:04x}"), |(_, name)| (*name).to_string())
}

/// The IANA names of every suite offered, and of the signalling values.
const SUITE_NAMES: &[(u16, &str)] = &[
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    (0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"),
    (0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
    (0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"),
    (0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
    (0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"),
    (0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"),
    (0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    (0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"),
    (0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
    (0x1301, "TLS_AES_128_GCM_SHA256"),
    (0x1302, "TLS_AES_256_GCM_SHA384"),
    (0x1303, "TLS_CHACHA20_POLY1305_SHA256"),
    (0x1304, "TLS_AES_128_CCM_SHA256"),
    (0x1305, "TLS_AES_128_CCM_8_SHA256"),
    (0x5600, "TLS_FALLBACK_SCSV"),
    (0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"),
    (0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
    (0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    (0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    (0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"),
    (0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"),
    (0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"),
    (0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    (0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
];

/// A ClientHello with fresh randoms and a fresh x25519 key share (its private half is
/// dropped: nothing is ever encrypted).
fn fresh_client_hello(version: TlsVersion, sni: Option<&str>) -> io::Result<Vec<u8>> {
    let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidInput, e);
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

/// How far the server's answer has got.
#[derive(Debug, Clone, Copy)]
enum Stage {
    ServerHello,
    /// The ServerHello accepted the version (TLS 1.0 to 1.2); the Certificate is next.
    Certificate {
        cipher_suite: u16,
    },
}

/// The server's answer as far as it has been read.
struct Answer {
    offered: TlsVersion,
    /// A ServerHello for a lower version than offered is an acceptance (legacy capture).
    accept_lower: bool,
    stage: Stage,
    deframer: Deframer,
    received: usize,
}

impl Answer {
    fn new(offered: TlsVersion) -> Self {
        Answer {
            offered,
            accept_lower: false,
            stage: Stage::ServerHello,
            deframer: Deframer::new(MAX_RECEIVED),
            received: 0,
        }
    }

    /// Reads until the answer is decided, never more than [`MAX_RECEIVED`] bytes.
    fn read<S: Read>(&mut self, stream: &mut S) -> io::Result<ProbeOutcome> {
        let mut chunk = vec![0; 16 * 1024];
        loop {
            match self.deframer.next_message() {
                Err(reason) => return Ok(refused(reason)),
                Ok(Some(message)) => match self.on_message(message) {
                    Some(outcome) => return Ok(outcome),
                    None => continue,
                },
                Ok(None) => {}
            }
            let room = MAX_RECEIVED.saturating_sub(self.received);
            if room == 0 {
                return Ok(refused(format!(
                    "the server sent more than {} KiB {}",
                    MAX_RECEIVED / 1024,
                    self.waiting_for()
                )));
            }
            let limit = room.min(chunk.len());
            let buf = chunk.get_mut(..limit).unwrap_or_default();
            let asked = buf.len();
            let n = match stream.read(buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return self.lost(e),
            };
            if n == 0 {
                return Ok(refused(self.ended("closed")));
            }
            let Some(got) = buf.get(..n) else {
                return Err(io::Error::other(format!(
                    "the stream returned {n} bytes for a {asked}-byte buffer"
                )));
            };
            self.deframer.push(got);
            self.received += n;
        }
    }

    /// Decides on one message, or returns None to read on.
    fn on_message(&mut self, message: Message) -> Option<ProbeOutcome> {
        match (message, self.stage) {
            (Message::Alert(alert), _) if alert.is_warning() => None,
            (Message::Alert(alert), Stage::ServerHello) => {
                Some(refused(format!("the server sent {alert}")))
            }
            (Message::Alert(alert), Stage::Certificate { .. }) => Some(refused(format!(
                "the server accepted {} but then sent {alert}",
                self.offered.name()
            ))),
            // May come at any time and be ignored (RFC 5246 section 7.4.1.1).
            (
                Message::Handshake {
                    kind: HELLO_REQUEST,
                    body,
                },
                _,
            ) if body.is_empty() => None,
            (
                Message::Handshake {
                    kind: SERVER_HELLO,
                    body,
                },
                Stage::ServerHello,
            ) => self.on_server_hello(&body),
            (
                Message::Handshake {
                    kind: CERTIFICATE,
                    body,
                },
                Stage::Certificate { cipher_suite },
            ) => Some(match messages::parse_certificate(&body) {
                Ok(certificates) => ProbeOutcome::Accepted {
                    version: self.offered,
                    cipher_suite,
                    certificates,
                },
                Err(e) => refused(format!("malformed Certificate: {e}")),
            }),
            (
                Message::Handshake {
                    kind: SERVER_HELLO_DONE,
                    body,
                },
                Stage::Certificate { cipher_suite },
            ) => Some(if body.is_empty() {
                // Only for suites without certificates, which we do not offer; say so anyway.
                ProbeOutcome::Accepted {
                    version: self.offered,
                    cipher_suite,
                    certificates: Vec::new(),
                }
            } else {
                refused(format!(
                    "malformed ServerHelloDone: {} bytes where none belong",
                    body.len()
                ))
            }),
            // Anonymous and PSK suites send these instead of a Certificate.
            (
                Message::Handshake {
                    kind: SERVER_KEY_EXCHANGE | CERTIFICATE_REQUEST,
                    ..
                },
                Stage::Certificate { .. },
            ) => None,
            (Message::Handshake { kind, .. }, _) => Some(refused(format!(
                "unexpected {} {}",
                messages::handshake_name(kind),
                self.position()
            ))),
            (Message::ChangeCipherSpec, _) => Some(refused(format!(
                "unexpected ChangeCipherSpec {}",
                self.position()
            ))),
            (Message::ApplicationData, _) => Some(refused(format!(
                "unexpected application data {}",
                self.position()
            ))),
        }
    }

    fn on_server_hello(&mut self, body: &[u8]) -> Option<ProbeOutcome> {
        let hello = match messages::parse_server_hello(body) {
            Ok(hello) => hello,
            Err(e) => return Some(refused(format!("malformed ServerHello: {e}"))),
        };
        let lower = TlsVersion::from_wire(hello.version()).filter(|v| {
            self.accept_lower && *v < self.offered && hello.supported_version.is_none()
        });
        match lower {
            // The server chose an older version; it becomes the one the answer is read for.
            Some(version)
                if hello.compression == 0
                    && codec::offered_suites(self.offered).contains(&hello.cipher_suite) =>
            {
                self.offered = version;
            }
            _ => {
                if let Err(reason) = judge_server_hello(self.offered, &hello) {
                    return Some(refused(reason));
                }
            }
        }
        if self.offered == TlsVersion::Tls13 {
            // A HelloRetryRequest also means TLS 1.3 is accepted; the rest is encrypted.
            return Some(ProbeOutcome::Accepted {
                version: self.offered,
                cipher_suite: hello.cipher_suite,
                certificates: Vec::new(),
            });
        }
        self.stage = Stage::Certificate {
            cipher_suite: hello.cipher_suite,
        };
        None
    }

    fn position(&self) -> &'static str {
        match self.stage {
            Stage::ServerHello => "before the ServerHello",
            Stage::Certificate { .. } => "after the ServerHello",
        }
    }

    fn waiting_for(&self) -> &'static str {
        match self.stage {
            Stage::ServerHello => "without a ServerHello",
            Stage::Certificate { .. } => "without a Certificate",
        }
    }

    /// The reason when the server ended the connection (`how`: "closed", "reset").
    fn ended(&self, how: &str) -> String {
        let mut reason = match self.stage {
            Stage::ServerHello if self.received == 0 => {
                format!("the server {how} the connection without answering")
            }
            Stage::ServerHello => format!("the server {how} the connection before its ServerHello"),
            Stage::Certificate { .. } => format!(
                "the server accepted {} but {how} the connection before its Certificate",
                self.offered.name()
            ),
        };
        if let Some(place) = self.deframer.unfinished() {
            let _ = write!(reason, ", {place}");
        }
        reason
    }

    /// A lost connection is the server's way of refusing; other errors (timeouts above all)
    /// go to the caller, who can name them.
    fn lost(&self, e: io::Error) -> io::Result<ProbeOutcome> {
        match e.kind() {
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => Ok(refused(self.ended("reset"))),
            io::ErrorKind::UnexpectedEof => Ok(refused(self.ended("closed"))),
            _ => Err(e),
        }
    }
}

/// Whether a well-formed ServerHello accepts what was offered; the reason if not.
fn judge_server_hello(offered: TlsVersion, hello: &ServerHello) -> Result<(), String> {
    if hello.supported_version.is_some() && hello.legacy_version != TlsVersion::Tls12.wire() {
        return Err(format!(
            "malformed ServerHello: supported_versions with legacy_version 0x{:04x}",
            hello.legacy_version
        ));
    }
    let chosen = hello.version();
    if chosen != offered.wire() {
        let label = version_label(chosen);
        return Err(if (0x0300..offered.wire()).contains(&chosen) {
            format!("the server chose {label} instead")
        } else {
            format!("the server chose {label}, which was not offered")
        });
    }
    if !codec::offered_suites(offered).contains(&hello.cipher_suite) {
        return Err(format!(
            "the server chose cipher suite {}, which was not offered",
            cipher_suite_name(hello.cipher_suite)
        ));
    }
    if hello.compression != 0 {
        return Err(format!(
            "the server chose compression method {}, which was not offered",
            hello.compression
        ));
    }
    Ok(())
}

/// "TLSv1.0", "SSLv3", or the code for anything else.
fn version_label(code: u16) -> String {
    match TlsVersion::from_wire(code) {
        Some(version) => version.name().to_string(),
        None if code == 0x0300 => "SSLv3".to_string(),
        None => format!("version 0x{code:04x}"),
    }
}

fn refused(reason: impl Into<String>) -> ProbeOutcome {
    ProbeOutcome::Refused {
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::messages::build::*;
    use super::messages::{CONTENT_ALERT, CONTENT_CHANGE_CIPHER_SPEC, CONTENT_HANDSHAKE};
    use super::*;

    /// A server that answers with canned bytes, `chunk` bytes per read, then `end`.
    struct Scripted {
        answer: Vec<u8>,
        at: usize,
        chunk: usize,
        end: Option<io::ErrorKind>,
        sent: Vec<u8>,
    }

    impl Scripted {
        fn new(answer: Vec<u8>) -> Self {
            Scripted {
                answer,
                at: 0,
                chunk: usize::MAX,
                end: None,
                sent: Vec::new(),
            }
        }
    }

    impl Read for Scripted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let rest = &self.answer[self.at..];
            if rest.is_empty() {
                return match self.end {
                    Some(kind) => Err(kind.into()),
                    None => Ok(0),
                };
            }
            let n = rest.len().min(buf.len()).min(self.chunk);
            buf[..n].copy_from_slice(&rest[..n]);
            self.at += n;
            Ok(n)
        }
    }

    impl Write for Scripted {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.sent.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn run(version: TlsVersion, answer: Vec<u8>) -> ProbeOutcome {
        probe(&mut Scripted::new(answer), version, Some("example.org")).unwrap()
    }

    fn reason(outcome: ProbeOutcome) -> String {
        match outcome {
            ProbeOutcome::Refused { reason } => reason,
            accepted => panic!("accepted: {accepted:?}"),
        }
    }

    fn handshake_record(kind: u8, body: &[u8]) -> Vec<u8> {
        record(CONTENT_HANDSHAKE, &handshake(kind, body))
    }

    /// ServerHello, Certificate (split over two records), ServerHelloDone.
    fn tls12_answer(version: u16, suite: u16, certs: &[&[u8]]) -> Vec<u8> {
        let mut out = handshake_record(SERVER_HELLO, &server_hello(version, suite, None));
        let message = handshake(CERTIFICATE, &certificate(certs));
        let (a, b) = message.split_at(message.len() / 2);
        out.extend(record(CONTENT_HANDSHAKE, a));
        out.extend(record(CONTENT_HANDSHAKE, b));
        out.extend(handshake_record(SERVER_HELLO_DONE, &[]));
        out
    }

    #[test]
    fn names() {
        assert_eq!(
            TlsVersion::ALL.map(TlsVersion::name),
            ["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
        );
        assert_eq!(cipher_suite_name(0x002f), "TLS_RSA_WITH_AES_128_CBC_SHA");
        assert_eq!(
            cipher_suite_name(0xc02f),
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        );
        assert_eq!(cipher_suite_name(0x1301), "TLS_AES_128_GCM_SHA256");
        assert_eq!(cipher_suite_name(0x1234), "0x1234");
        for &suite in codec::TLS12_SUITES.iter().chain(codec::TLS13_SUITES) {
            assert!(cipher_suite_name(suite).starts_with("TLS_"), "{suite:04x}");
        }
        assert_eq!(
            serde_json::to_string(&TlsVersion::Tls11).unwrap(),
            "\"TLSv1.1\""
        );
    }

    #[test]
    fn sends_one_client_hello_for_the_version() {
        for version in TlsVersion::ALL {
            let mut server = Scripted::new(Vec::new());
            probe(&mut server, version, Some("example.org")).unwrap();
            let sent = &server.sent;
            assert_eq!(sent[..3], [22, 3, 1]);
            assert_eq!(
                usize::from(u16::from_be_bytes([sent[3], sent[4]])),
                sent.len() - 5
            );
            let client_version = u16::from_be_bytes([sent[9], sent[10]]);
            assert_eq!(client_version, version.wire().min(0x0303));
        }
    }

    #[test]
    fn tls12_certificate_byte_by_byte() {
        let certs: [&[u8]; 2] = [b"leaf-der", b"intermediate-der"];
        let mut server = Scripted::new(tls12_answer(0x0303, 0x009d, &certs));
        server.chunk = 1;
        let outcome = probe(&mut server, TlsVersion::Tls12, None).unwrap();
        assert_eq!(
            outcome,
            ProbeOutcome::Accepted {
                version: TlsVersion::Tls12,
                cipher_suite: 0x009d,
                certificates: certs.map(<[u8]>::to_vec).to_vec(),
            }
        );
        // It stopped at the Certificate: the ServerHelloDone was never read.
        assert!(server.at < server.answer.len());
    }

    #[test]
    fn tls10_after_a_warning_and_a_key_exchange() {
        let mut answer = record(CONTENT_ALERT, &[1, 112]);
        answer.extend(handshake_record(
            SERVER_HELLO,
            &server_hello(0x0301, 0xc013, Some(&[0xff, 0x01, 0x00, 0x01, 0x00])),
        ));
        answer.extend(handshake_record(SERVER_KEY_EXCHANGE, b"params"));
        answer.extend(handshake_record(SERVER_HELLO_DONE, &[]));
        assert_eq!(
            run(TlsVersion::Tls10, answer),
            ProbeOutcome::Accepted {
                version: TlsVersion::Tls10,
                cipher_suite: 0xc013,
                certificates: Vec::new(),
            }
        );
    }

    #[test]
    fn tls13_accepted_from_the_server_hello() {
        let mut answer = handshake_record(
            SERVER_HELLO,
            &server_hello(0x0303, 0x1302, Some(&supported_versions(0x0304))),
        );
        answer.extend(record(CONTENT_CHANGE_CIPHER_SPEC, &[1]));
        answer.extend(record(23, &[0xde; 300]));
        assert_eq!(
            run(TlsVersion::Tls13, answer),
            ProbeOutcome::Accepted {
                version: TlsVersion::Tls13,
                cipher_suite: 0x1302,
                certificates: Vec::new(),
            }
        );
    }

    #[test]
    fn refusals() {
        let alert = record(CONTENT_ALERT, &[2, 70]);
        assert_eq!(
            reason(run(TlsVersion::Tls10, alert)),
            "the server sent fatal alert protocol_version (70)"
        );
        let lower = tls12_answer(0x0301, 0xc013, &[b"x"]);
        assert_eq!(
            reason(run(TlsVersion::Tls12, lower)),
            "the server chose TLSv1.0 instead"
        );
        let ssl3 = tls12_answer(0x0300, 0x000a, &[b"x"]);
        assert_eq!(
            reason(run(TlsVersion::Tls10, ssl3)),
            "the server chose SSLv3 instead"
        );
        let tls12_for_13 = tls12_answer(0x0303, 0x1301, &[b"x"]);
        assert_eq!(
            reason(run(TlsVersion::Tls13, tls12_for_13)),
            "the server chose TLSv1.2 instead"
        );
        let unasked_13 = handshake_record(
            SERVER_HELLO,
            &server_hello(0x0303, 0x1301, Some(&supported_versions(0x0304))),
        );
        assert_eq!(
            reason(run(TlsVersion::Tls12, unasked_13)),
            "the server chose TLSv1.3, which was not offered"
        );
        let bad_legacy = handshake_record(
            SERVER_HELLO,
            &server_hello(0x0301, 0x1301, Some(&supported_versions(0x0304))),
        );
        assert_eq!(
            reason(run(TlsVersion::Tls13, bad_legacy)),
            "malformed ServerHello: supported_versions with legacy_version 0x0301"
        );
        let unasked_suite = tls12_answer(0x0303, 0x1301, &[b"x"]);
        assert_eq!(
            reason(run(TlsVersion::Tls12, unasked_suite)),
            "the server chose cipher suite TLS_AES_128_GCM_SHA256, which was not offered"
        );
        assert_eq!(
            reason(run(TlsVersion::Tls12, Vec::new())),
            "the server closed the connection without answering"
        );
    }

    #[test]
    fn failures_after_the_server_hello() {
        let hello = handshake_record(SERVER_HELLO, &server_hello(0x0303, 0x002f, None));
        assert_eq!(
            reason(run(TlsVersion::Tls12, hello.clone())),
            "the server accepted TLSv1.2 but closed the connection before its Certificate"
        );
        let mut half = hello.clone();
        half.extend(&handshake_record(CERTIFICATE, &certificate(&[b"der"]))[..8]);
        assert_eq!(
            reason(run(TlsVersion::Tls12, half)),
            "the server accepted TLSv1.2 but closed the connection before its Certificate, \
             in the middle of a record"
        );
        let mut alert = hello.clone();
        alert.extend(record(CONTENT_ALERT, &[2, 80]));
        assert_eq!(
            reason(run(TlsVersion::Tls12, alert)),
            "the server accepted TLSv1.2 but then sent fatal alert internal_error (80)"
        );
        let mut bad = hello.clone();
        bad.extend(handshake_record(CERTIFICATE, &[0, 0, 9, 0, 0, 1]));
        assert_eq!(
            reason(run(TlsVersion::Tls12, bad)),
            "malformed Certificate: truncated certificate_list: needs 9 bytes, 3 left"
        );
        let mut ccs = hello.clone();
        ccs.extend(record(CONTENT_CHANGE_CIPHER_SPEC, &[1]));
        assert_eq!(
            reason(run(TlsVersion::Tls12, ccs)),
            "unexpected ChangeCipherSpec after the ServerHello"
        );
        let mut second_hello = hello.clone();
        second_hello.extend(hello);
        assert_eq!(
            reason(run(TlsVersion::Tls12, second_hello)),
            "unexpected ServerHello after the ServerHello"
        );
    }

    #[test]
    fn malformed_answers_are_refusals() {
        assert_eq!(
            reason(run(
                TlsVersion::Tls12,
                b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec()
            )),
            "not TLS: the server answered 'HTTP/1.1 400 Bad Request'"
        );
        let truncated = handshake_record(SERVER_HELLO, &server_hello(0x0303, 0x002f, None)[..69]);
        assert_eq!(
            reason(run(TlsVersion::Tls12, truncated)),
            "malformed ServerHello: truncated compression_method: needs 1 bytes, 0 left"
        );
        let cut = handshake_record(SERVER_HELLO, &server_hello(0x0303, 0x002f, None));
        assert_eq!(
            reason(run(TlsVersion::Tls12, cut[..20].to_vec())),
            "the server closed the connection before its ServerHello, in the middle of a record"
        );
        // Deterministic garbage of every length up to 300 bytes: a reason, never a panic.
        let mut seed = 0x2545_f491_u32;
        for len in 0..300 {
            let mut garbage = vec![22, 3, 3];
            garbage.extend((0..len).map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed.to_be_bytes()[0]
            }));
            assert!(matches!(
                run(TlsVersion::Tls12, garbage),
                ProbeOutcome::Refused { .. }
            ));
        }
    }

    #[test]
    fn reads_at_most_1_mib() {
        // Warnings forever: each is valid, so only the limit stops the loop.
        let warnings: Vec<u8> = std::iter::repeat_n(record(CONTENT_ALERT, &[1, 112]), 200_000)
            .flatten()
            .collect();
        let mut server = Scripted::new(warnings);
        let outcome = probe(&mut server, TlsVersion::Tls12, None).unwrap();
        assert_eq!(
            reason(outcome),
            "the server sent more than 1024 KiB without a ServerHello"
        );
        assert_eq!(server.at, MAX_RECEIVED);
    }

    #[test]
    fn timeouts_are_errors_and_resets_are_refusals() {
        let hello = handshake_record(SERVER_HELLO, &server_hello(0x0303, 0x002f, None));
        for kind in [io::ErrorKind::WouldBlock, io::ErrorKind::TimedOut] {
            let mut server = Scripted::new(hello.clone());
            server.end = Some(kind);
            let error = probe(&mut server, TlsVersion::Tls12, None).unwrap_err();
            assert_eq!(error.kind(), kind);
        }
        let mut server = Scripted::new(Vec::new());
        server.end = Some(io::ErrorKind::ConnectionReset);
        assert_eq!(
            reason(probe(&mut server, TlsVersion::Tls11, None).unwrap()),
            "the server reset the connection without answering"
        );
    }

    #[test]
    fn bad_sni_is_invalid_input() {
        let mut server = Scripted::new(Vec::new());
        let error = probe(&mut server, TlsVersion::Tls12, Some("a b")).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(server.sent.is_empty());
    }
}
