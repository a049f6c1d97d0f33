//! Reading the server's answer to one ClientHello and judging it: a state machine over the
//! deframed records (ServerHello, then Certificate or ServerHelloDone), never more than
//! [`MAX_RECEIVED`] bytes, every malformed answer a refusal with its reason.

use super::messages::{
    self, Deframer, Message, ServerHello, CERTIFICATE, CERTIFICATE_REQUEST, HELLO_REQUEST,
    SERVER_HELLO, SERVER_HELLO_DONE, SERVER_KEY_EXCHANGE,
};
use super::{codec, suites::cipher_suite_name, ProbeOutcome, TlsVersion, MAX_RECEIVED};
use std::fmt::{self, Write as _};
use std::io::{self, Read};

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
pub(super) struct Answer {
    offered: TlsVersion,
    /// A ServerHello for a lower version than offered is an acceptance (legacy capture).
    pub(super) accept_lower: bool,
    stage: Stage,
    deframer: Deframer,
    received: usize,
}

impl Answer {
    pub(super) fn new(offered: TlsVersion) -> Self {
        Answer {
            offered,
            accept_lower: false,
            stage: Stage::ServerHello,
            deframer: Deframer::new(MAX_RECEIVED),
            received: 0,
        }
    }

    /// Reads until the answer is decided, never more than [`MAX_RECEIVED`] bytes.
    pub(super) fn read<S: Read>(&mut self, stream: &mut S) -> io::Result<ProbeOutcome> {
        let mut chunk = vec![0; 16 * 1024];
        loop {
            match self.deframer.next_message() {
                Err(reason) => return Ok(refused(reason.to_string())),
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
                    return Some(refused(reason.to_string()));
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
    pub(super) fn lost(&self, e: io::Error) -> io::Result<ProbeOutcome> {
        match e.kind() {
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => Ok(refused(self.ended("reset"))),
            io::ErrorKind::UnexpectedEof => Ok(refused(self.ended("closed"))),
            _ => Err(e),
        }
    }
}

/// Why a well-formed ServerHello does not accept what was offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HelloRejection {
    /// supported_versions (TLS 1.3) with a legacy_version other than TLS 1.2's.
    LegacyVersion(u16),
    /// A lower version than offered (SSLv3 included).
    LowerVersion(u16),
    /// A version that was not offered at all.
    VersionNotOffered(u16),
    /// A cipher suite that was not offered.
    SuiteNotOffered(u16),
    /// A compression method other than null.
    CompressionNotOffered(u8),
}

impl fmt::Display for HelloRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            HelloRejection::LegacyVersion(legacy) => write!(
                f,
                "malformed ServerHello: supported_versions with legacy_version 0x{legacy:04x}"
            ),
            HelloRejection::LowerVersion(chosen) => {
                write!(f, "the server chose {} instead", version_label(chosen))
            }
            HelloRejection::VersionNotOffered(chosen) => write!(
                f,
                "the server chose {}, which was not offered",
                version_label(chosen)
            ),
            HelloRejection::SuiteNotOffered(suite) => write!(
                f,
                "the server chose cipher suite {}, which was not offered",
                cipher_suite_name(suite)
            ),
            HelloRejection::CompressionNotOffered(method) => write!(
                f,
                "the server chose compression method {method}, which was not offered"
            ),
        }
    }
}

impl std::error::Error for HelloRejection {}

/// Whether a well-formed ServerHello accepts what was offered; the reason if not.
fn judge_server_hello(offered: TlsVersion, hello: &ServerHello) -> Result<(), HelloRejection> {
    if hello.supported_version.is_some() && hello.legacy_version != TlsVersion::Tls12.wire() {
        return Err(HelloRejection::LegacyVersion(hello.legacy_version));
    }
    let chosen = hello.version();
    if chosen != offered.wire() {
        return Err(if (0x0300..offered.wire()).contains(&chosen) {
            HelloRejection::LowerVersion(chosen)
        } else {
            HelloRejection::VersionNotOffered(chosen)
        });
    }
    if !codec::offered_suites(offered).contains(&hello.cipher_suite) {
        return Err(HelloRejection::SuiteNotOffered(hello.cipher_suite));
    }
    if hello.compression != 0 {
        return Err(HelloRejection::CompressionNotOffered(hello.compression));
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
