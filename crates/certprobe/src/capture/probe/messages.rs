//! What a server sends before encryption starts: TLS records, the handshake messages the prober
//! reads (ServerHello, Certificate, ServerHelloDone) and alerts. No I/O here: the loop in
//! `mod.rs` feeds received bytes to a [`Deframer`] and acts on the messages it yields.

use super::codec::{DecodeError, Prefix, Reader, EXT_SUPPORTED_VERSIONS};
use super::MAX_RECEIVED;
use std::fmt;

pub const CONTENT_CHANGE_CIPHER_SPEC: u8 = 20;
pub const CONTENT_ALERT: u8 = 21;
pub const CONTENT_HANDSHAKE: u8 = 22;
pub const CONTENT_APPLICATION_DATA: u8 = 23;

pub const HELLO_REQUEST: u8 = 0;
pub const SERVER_HELLO: u8 = 2;
pub const CERTIFICATE: u8 = 11;
pub const SERVER_KEY_EXCHANGE: u8 = 12;
pub const CERTIFICATE_REQUEST: u8 = 13;
pub const SERVER_HELLO_DONE: u8 = 14;

/// A plaintext record carries at most 2^14 bytes (RFC 5246 section 6.2.1, RFC 8446 5.1).
pub const MAX_RECORD: usize = 1 << 14;
const RECORD_HEADER: usize = 5;
const HANDSHAKE_HEADER: usize = 4;

/// The random of a HelloRetryRequest, SHA-256("HelloRetryRequest") (RFC 8446 section 4.1.3).
const RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// One unit of the server's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A complete handshake message, reassembled if it spanned records.
    Handshake {
        kind: u8,
        body: Vec<u8>,
    },
    Alert(Alert),
    ChangeCipherSpec,
    /// Encrypted data; never expected while we read.
    ApplicationData,
}

/// Why received bytes cannot be TLS records, or the messages they carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// The first bytes are no record header: the peer speaks something else. The bytes
    /// received first, at most [`NotTls::KEPT`] of them.
    NotTls(NotTls),
    /// A bad record header after good records; its bytes (at most five).
    BadHeader(Vec<u8>),
    /// A record longer than a plaintext record may be.
    RecordTooLong {
        /// The record's content type.
        content_type: u8,
        /// Its announced length.
        len: usize,
    },
    /// A handshake record without payload.
    EmptyHandshakeRecord,
    /// Another record between the fragments of a handshake message.
    Interleaved {
        /// The content type of the record in between.
        content_type: u8,
    },
    /// A ChangeCipherSpec record that is not the single byte 1.
    BadChangeCipherSpec,
    /// A handshake message longer than the deframer accepts.
    MessageTooLong {
        /// The message's handshake type.
        kind: u8,
        /// Its announced length.
        len: usize,
        /// The most accepted.
        max: usize,
    },
    /// An alert record that is not exactly one alert.
    BadAlert(DecodeError),
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::NotTls(received) => write!(f, "not TLS: the server answered {received}"),
            RecordError::BadHeader(header) => write!(f, "malformed record header: {}", hex(header)),
            RecordError::RecordTooLong { content_type, len } => write!(
                f,
                "malformed record: {} record of {len} bytes, more than the maximum of {MAX_RECORD}",
                content_type_name(*content_type)
            ),
            RecordError::EmptyHandshakeRecord => {
                f.write_str("malformed record: empty handshake record")
            }
            RecordError::Interleaved { content_type } => write!(
                f,
                "malformed record: {} record inside a fragmented handshake message",
                content_type_name(*content_type)
            ),
            RecordError::BadChangeCipherSpec => f.write_str("malformed ChangeCipherSpec record"),
            RecordError::MessageTooLong { kind, len, max } => write!(
                f,
                "malformed {}: {len} bytes, more than the maximum of {max}",
                handshake_name(*kind)
            ),
            RecordError::BadAlert(e) => write!(f, "malformed alert: {e}"),
        }
    }
}

impl std::error::Error for RecordError {}

/// The first bytes of an answer that is not TLS, shown as the peer's first line in quotes if
/// it is text, else as its first bytes in hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotTls(Vec<u8>);

impl NotTls {
    /// Enough to show: a line of [`QUOTED_LINE`] characters and to know whether it goes on.
    pub const KEPT: usize = QUOTED_LINE + 1;

    fn new(received: &[u8]) -> NotTls {
        NotTls(received.get(..Self::KEPT).unwrap_or(received).to_vec())
    }
}

/// The characters of a first line that are quoted.
const QUOTED_LINE: usize = 60;

impl fmt::Display for NotTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.0.as_slice();
        let line = bytes
            .split(|&b| b == b'\r' || b == b'\n')
            .next()
            .unwrap_or_default();
        let shown = line.get(..QUOTED_LINE).unwrap_or(line);
        let text = !shown.is_empty() && shown.iter().all(|&b| b == b' ' || b.is_ascii_graphic());
        if text {
            let more = if shown.len() < line.len() { "..." } else { "" };
            write!(f, "'{}{more}'", String::from_utf8_lossy(shown))
        } else {
            write!(f, "bytes {}", hex(bytes.get(..16).unwrap_or(bytes)))
        }
    }
}

/// Why a handshake message's body is not what its type promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// A field is cut short, too long, or followed by bytes.
    Decode(DecodeError),
    /// An extension type that appears twice in one message.
    DuplicateExtension(u16),
    /// A certificate of the list (counted from 1) without bytes.
    EmptyCertificate(usize),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::Decode(e) => e.fmt(f),
            BodyError::DuplicateExtension(kind) => write!(f, "extension {kind} appears twice"),
            BodyError::EmptyCertificate(number) => write!(f, "certificate {number} is empty"),
        }
    }
}

impl std::error::Error for BodyError {}

impl From<DecodeError> for BodyError {
    fn from(e: DecodeError) -> BodyError {
        BodyError::Decode(e)
    }
}

/// Cuts received bytes into records and records into messages: handshake messages are
/// reassembled across records and split where several share one record.
#[derive(Debug)]
pub struct Deframer {
    /// Received bytes not yet cut into records.
    pending: Vec<u8>,
    /// Handshake payload not yet cut into messages.
    handshake: Vec<u8>,
    /// Before the first good record header, bad bytes mean the peer does not speak TLS.
    seen_record: bool,
    max_message: usize,
}

impl Deframer {
    /// A deframer that refuses handshake messages longer than `max_message` bytes.
    pub fn new(max_message: usize) -> Self {
        Deframer {
            pending: Vec::new(),
            handshake: Vec::new(),
            seen_record: false,
            max_message,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    /// The next complete message; `Ok(None)` when more bytes are needed; `Err` with a
    /// one-line reason when the bytes cannot be TLS.
    pub fn next_message(&mut self) -> Result<Option<Message>, RecordError> {
        loop {
            if let Some(message) = self.take_handshake()? {
                return Ok(Some(message));
            }
            let Some((content_type, payload)) = self.take_record()? else {
                return Ok(None);
            };
            match content_type {
                CONTENT_HANDSHAKE if payload.is_empty() => {
                    return Err(RecordError::EmptyHandshakeRecord)
                }
                CONTENT_HANDSHAKE => self.handshake.extend_from_slice(&payload),
                _ if !self.handshake.is_empty() => {
                    return Err(RecordError::Interleaved { content_type })
                }
                CONTENT_ALERT => return parse_alert(&payload).map(|a| Some(Message::Alert(a))),
                CONTENT_CHANGE_CIPHER_SPEC if payload == [1] => {
                    return Ok(Some(Message::ChangeCipherSpec))
                }
                CONTENT_CHANGE_CIPHER_SPEC => return Err(RecordError::BadChangeCipherSpec),
                _ => return Ok(Some(Message::ApplicationData)),
            }
        }
    }

    /// Where the data stopped, if the peer closed in the middle of something.
    pub fn unfinished(&self) -> Option<&'static str> {
        if !self.pending.is_empty() {
            Some("in the middle of a record")
        } else if !self.handshake.is_empty() {
            Some("in the middle of a handshake message")
        } else {
            None
        }
    }

    /// One record's content type and payload, once it is complete.
    fn take_record(&mut self) -> Result<Option<(u8, Vec<u8>)>, RecordError> {
        check_record_start(&self.pending, self.seen_record)?;
        // Type, version (judged above), length.
        let Some(&[content_type, _, _, len_high, len_low]) = self.pending.get(..RECORD_HEADER)
        else {
            return Ok(None);
        };
        let len = usize::from(u16::from_be_bytes([len_high, len_low]));
        if len > MAX_RECORD {
            return Err(RecordError::RecordTooLong { content_type, len });
        }
        let Some(payload) = self.pending.get(RECORD_HEADER..RECORD_HEADER + len) else {
            return Ok(None);
        };
        let payload = payload.to_vec();
        self.pending.drain(..RECORD_HEADER + len);
        self.seen_record = true;
        Ok(Some((content_type, payload)))
    }

    /// One handshake message, once it is complete.
    fn take_handshake(&mut self) -> Result<Option<Message>, RecordError> {
        // Type, 24-bit length.
        let Some(&[kind, a, b, c]) = self.handshake.get(..HANDSHAKE_HEADER) else {
            return Ok(None);
        };
        let len = (usize::from(a) << 16) | (usize::from(b) << 8) | usize::from(c);
        if len > self.max_message {
            return Err(RecordError::MessageTooLong {
                kind,
                len,
                max: self.max_message,
            });
        }
        let Some(body) = self.handshake.get(HANDSHAKE_HEADER..HANDSHAKE_HEADER + len) else {
            return Ok(None);
        };
        let body = body.to_vec();
        self.handshake.drain(..HANDSHAKE_HEADER + len);
        Ok(Some(Message::Handshake { kind, body }))
    }
}

/// Checks as much of a record header as has arrived, so that a peer answering in plain text
/// is recognised from its first bytes without waiting for five of them.
fn check_record_start(bytes: &[u8], seen_record: bool) -> Result<(), RecordError> {
    let type_ok = bytes
        .first()
        .is_none_or(|t| (CONTENT_CHANGE_CIPHER_SPEC..=CONTENT_APPLICATION_DATA).contains(t));
    let major_ok = bytes.get(1).is_none_or(|&major| major == 3);
    let minor_ok = bytes.get(2).is_none_or(|&minor| minor <= 4);
    if type_ok && major_ok && minor_ok {
        Ok(())
    } else if seen_record {
        Err(RecordError::BadHeader(
            bytes.get(..RECORD_HEADER).unwrap_or(bytes).to_vec(),
        ))
    } else {
        Err(RecordError::NotTls(NotTls::new(bytes)))
    }
}

fn hex(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(" ")
}

fn content_type_name(content_type: u8) -> &'static str {
    match content_type {
        CONTENT_CHANGE_CIPHER_SPEC => "ChangeCipherSpec",
        CONTENT_ALERT => "alert",
        CONTENT_HANDSHAKE => "handshake",
        _ => "application data",
    }
}

/// The message name, for reasons.
pub fn handshake_name(kind: u8) -> String {
    let name = match kind {
        0 => "HelloRequest",
        1 => "ClientHello",
        SERVER_HELLO => "ServerHello",
        4 => "NewSessionTicket",
        8 => "EncryptedExtensions",
        CERTIFICATE => "Certificate",
        SERVER_KEY_EXCHANGE => "ServerKeyExchange",
        CERTIFICATE_REQUEST => "CertificateRequest",
        SERVER_HELLO_DONE => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        20 => "Finished",
        22 => "CertificateStatus",
        _ => return format!("handshake message type {kind}"),
    };
    name.to_string()
}

/// One alert: two bytes, level and description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    pub level: u8,
    pub description: u8,
}

const LEVEL_WARNING: u8 = 1;
const CLOSE_NOTIFY: u8 = 0;

impl Alert {
    /// Whether the handshake goes on after it: warnings other than close_notify do (Apache
    /// sends unrecognized_name as a warning before its ServerHello).
    pub fn is_warning(self) -> bool {
        self.level == LEVEL_WARNING && self.description != CLOSE_NOTIFY
    }
}

impl fmt::Display for Alert {
    /// "fatal alert protocol_version (70)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            LEVEL_WARNING => "warning ".to_string(),
            2 => "fatal ".to_string(),
            other => format!("level-{other} "),
        };
        let name = alert_name(self.description);
        write!(f, "{level}alert {name} ({})", self.description)
    }
}

/// An alert record holds exactly one alert; rustls and OpenSSL send nothing else.
pub fn parse_alert(payload: &[u8]) -> Result<Alert, RecordError> {
    let mut r = Reader::new(payload);
    let level = r.u8("alert level").map_err(RecordError::BadAlert)?;
    let description = r.u8("alert description").map_err(RecordError::BadAlert)?;
    r.expect_empty("the alert").map_err(RecordError::BadAlert)?;
    Ok(Alert { level, description })
}

/// The alert names of RFC 5246 and RFC 8446.
pub fn alert_name(description: u8) -> &'static str {
    match description {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "unknown",
    }
}

/// The fields of a ServerHello (or HelloRetryRequest) that the prober judges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    /// The version field: the negotiated version up to TLS 1.2, 0x0303 for TLS 1.3.
    pub legacy_version: u16,
    pub cipher_suite: u16,
    pub compression: u8,
    /// The supported_versions extension, where TLS 1.3 puts the real version.
    pub supported_version: Option<u16>,
    /// A HelloRetryRequest: a TLS 1.3 server asking for a key share in another group.
    pub retry_request: bool,
}

impl ServerHello {
    /// The version the server chose.
    pub fn version(&self) -> u16 {
        self.supported_version.unwrap_or(self.legacy_version)
    }
}

/// Parses a ServerHello body (RFC 5246 section 7.4.1.3, RFC 8446 section 4.1.3). The
/// extensions block may be absent up to TLS 1.2; when present it must fill the message.
pub fn parse_server_hello(body: &[u8]) -> Result<ServerHello, BodyError> {
    let mut r = Reader::new(body);
    let legacy_version = r.u16("server_version")?;
    let random = r.random("random")?;
    r.block(Prefix::U8, 32, "session_id")?;
    let cipher_suite = r.u16("cipher_suite")?;
    let compression = r.u8("compression_method")?;
    let mut supported_version = None;
    if !r.is_empty() {
        let mut extensions = r.block(Prefix::U16, usize::from(u16::MAX), "extensions")?;
        r.expect_empty("the extensions")?;
        let mut seen = Vec::new();
        while !extensions.is_empty() {
            let kind = extensions.u16("extension type")?;
            let mut data = extensions.block(Prefix::U16, usize::from(u16::MAX), "extension")?;
            if seen.contains(&kind) {
                return Err(BodyError::DuplicateExtension(kind));
            }
            seen.push(kind);
            if kind == EXT_SUPPORTED_VERSIONS {
                supported_version = Some(data.u16("supported_versions")?);
                data.expect_empty("supported_versions")?;
            }
        }
    }
    Ok(ServerHello {
        legacy_version,
        cipher_suite,
        compression,
        supported_version,
        retry_request: random == RETRY_REQUEST_RANDOM,
    })
}

/// Parses a TLS 1.0-1.2 Certificate body (RFC 5246 section 7.4.2): the DER certificates as
/// sent, leaf first. The list must fill the message and no certificate may be empty.
pub fn parse_certificate(body: &[u8]) -> Result<Vec<Vec<u8>>, BodyError> {
    let mut r = Reader::new(body);
    let mut list = r.block(Prefix::U24, MAX_RECEIVED, "certificate_list")?;
    r.expect_empty("certificate_list")?;
    let mut certificates = Vec::new();
    while !list.is_empty() {
        let certificate = list.block(Prefix::U24, MAX_RECEIVED, "certificate")?;
        let der = certificate.into_bytes();
        if der.is_empty() {
            return Err(BodyError::EmptyCertificate(certificates.len() + 1));
        }
        certificates.push(der.to_vec());
    }
    Ok(certificates)
}

/// Server messages for tests, here and in `mod.rs`.
#[cfg(test)]
pub mod build {
    /// `bytes` behind a big-endian length of `width` bytes.
    pub fn prefixed(width: usize, bytes: &[u8]) -> Vec<u8> {
        let len = u32::try_from(bytes.len()).unwrap().to_be_bytes();
        let mut out = len[4 - width..].to_vec();
        out.extend_from_slice(bytes);
        out
    }

    pub fn record(content_type: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![content_type, 3, 3];
        out.extend(prefixed(2, payload));
        out
    }

    pub fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![kind];
        out.extend(prefixed(3, body));
        out
    }

    /// A ServerHello body; `extensions` None leaves the block out entirely.
    pub fn server_hello(version: u16, suite: u16, extensions: Option<&[u8]>) -> Vec<u8> {
        let mut out = version.to_be_bytes().to_vec();
        out.extend([0x42; 32]);
        out.extend(prefixed(1, &[1; 32]));
        out.extend(suite.to_be_bytes());
        out.push(0);
        if let Some(extensions) = extensions {
            out.extend(prefixed(2, extensions));
        }
        out
    }

    /// The supported_versions extension of a TLS 1.3 ServerHello.
    pub fn supported_versions(version: u16) -> Vec<u8> {
        let mut out = vec![0x00, 0x2b, 0x00, 0x02];
        out.extend(version.to_be_bytes());
        out
    }

    pub fn certificate(certificates: &[&[u8]]) -> Vec<u8> {
        let list: Vec<u8> = certificates.iter().flat_map(|c| prefixed(3, c)).collect();
        prefixed(3, &list)
    }
}

#[cfg(test)]
mod tests;
