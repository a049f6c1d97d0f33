//! Bytes in and bytes out: a strict [`Reader`] for what the server sends (in the shape of
//! rustls' `codec::Reader` and our `starttls/ber.rs`: every length checked before use, trailing
//! bytes an error), and the encoding of the ClientHello we offer.

use super::messages::CONTENT_HANDSHAKE;
use super::TlsVersion;
use std::fmt;

/// The width of a big-endian length prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    U8,
    U16,
    U24,
}

impl Prefix {
    fn width(self) -> usize {
        match self {
            Prefix::U8 => 1,
            Prefix::U16 => 2,
            Prefix::U24 => 3,
        }
    }

    /// The largest length the prefix can express.
    fn capacity(self) -> usize {
        (1 << (8 * self.width())) - 1
    }
}

/// Why bytes from the server are not the structure expected. `what` names the field in the
/// words of the caller, so a message reads "truncated session_id: needs 32 bytes, 3 left".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes are left than the field needs.
    Truncated {
        /// The field.
        what: &'static str,
        /// The bytes it needs.
        needed: usize,
        /// The bytes left.
        left: usize,
    },
    /// A length prefix above the most the field may hold.
    TooLong {
        /// The field.
        what: &'static str,
        /// The length it claims.
        claimed: usize,
        /// The most accepted.
        max: usize,
    },
    /// Bytes after the end of a structure.
    Trailing {
        /// What they follow.
        what: &'static str,
        /// How many bytes are left over.
        count: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated { what, needed, left } => {
                write!(f, "truncated {what}: needs {needed} bytes, {left} left")
            }
            DecodeError::TooLong { what, claimed, max } => write!(
                f,
                "{what} claims {claimed} bytes, more than the maximum of {max}"
            ),
            DecodeError::Trailing { what, count } => {
                write!(f, "{count} trailing bytes after {what}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// A cursor over untrusted bytes; no method can read past the end or panic.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// What is left, consuming the reader: the content of a block once its length is known.
    pub fn into_bytes(self) -> &'a [u8] {
        self.bytes
    }

    /// The next `n` bytes; an error naming `what` if fewer are left.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let Some((head, tail)) = self.bytes.split_at_checked(n) else {
            return Err(DecodeError::Truncated {
                what,
                needed: n,
                left: self.bytes.len(),
            });
        };
        self.bytes = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, what)?;
        <[u8; N]>::try_from(bytes).map_err(|_| DecodeError::Truncated {
            what,
            needed: N,
            left: bytes.len(),
        })
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(u8::from_be_bytes(self.array(what)?))
    }

    pub fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    pub fn u24(&mut self, what: &'static str) -> Result<usize, DecodeError> {
        let [a, b, c] = self.array(what)?;
        Ok((usize::from(a) << 16) | (usize::from(b) << 8) | usize::from(c))
    }

    /// The 32-byte random of a hello.
    pub fn random(&mut self, what: &'static str) -> Result<[u8; 32], DecodeError> {
        self.array(what)
    }

    /// A length-prefixed block as a reader of its own. A length above `max` is refused before
    /// anything is taken, so a lying length cannot make us wait for or keep huge data.
    pub fn block(
        &mut self,
        prefix: Prefix,
        max: usize,
        what: &'static str,
    ) -> Result<Reader<'a>, DecodeError> {
        let len = match prefix {
            Prefix::U8 => usize::from(self.u8(what)?),
            Prefix::U16 => usize::from(self.u16(what)?),
            Prefix::U24 => self.u24(what)?,
        };
        if len > max {
            return Err(DecodeError::TooLong {
                what,
                claimed: len,
                max,
            });
        }
        Ok(Reader::new(self.take(len, what)?))
    }

    pub fn expect_empty(&self, what: &'static str) -> Result<(), DecodeError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::Trailing {
                what,
                count: self.bytes.len(),
            })
        }
    }
}

/// Why no ClientHello can be made: the SNI name cannot be sent, or a field does not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelloError {
    /// A name longer than DNS allows (253 bytes); its length.
    SniTooLong(usize),
    /// A name with other characters than letters, digits, `-`, `.` and `_` (a U-label, say).
    SniNotAscii(String),
    /// A block longer than its length prefix can say.
    FieldTooLong,
}

impl fmt::Display for HelloError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HelloError::SniTooLong(len) => write!(f, "SNI name of {len} bytes is too long"),
            HelloError::SniNotAscii(name) => {
                write!(f, "SNI name {name:?} is not an ASCII DNS name")
            }
            HelloError::FieldTooLong => {
                f.write_str("a ClientHello field is too long for its length prefix")
            }
        }
    }
}

impl std::error::Error for HelloError {}

/// Builds TLS structures. A block too long for its prefix is remembered and reported by
/// [`Writer::finish`] rather than silently truncated.
#[derive(Default)]
struct Writer {
    bytes: Vec<u8>,
    too_long: bool,
}

impl Writer {
    fn u8(&mut self, value: u8) {
        self.bytes.push(value);
    }

    fn u16(&mut self, value: u16) {
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    fn bytes(&mut self, value: &[u8]) {
        self.bytes.extend_from_slice(value);
    }

    /// Writes what `content` writes behind its length prefix.
    fn block(&mut self, prefix: Prefix, content: impl FnOnce(&mut Writer)) {
        let width = prefix.width();
        let start = self.bytes.len();
        self.bytes.extend(std::iter::repeat_n(0, width));
        content(self);
        let len = self.bytes.len() - start - width;
        if len > prefix.capacity() {
            self.too_long = true;
        }
        let be = u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes();
        if let (Some(slot), Some(value)) = (
            self.bytes.get_mut(start..start + width),
            be.get(be.len() - width..),
        ) {
            slot.copy_from_slice(value);
        }
    }

    /// One extension: its type, then its data behind a 16-bit length.
    fn extension(&mut self, kind: u16, data: impl FnOnce(&mut Writer)) {
        self.u16(kind);
        self.block(Prefix::U16, data);
    }

    fn finish(self) -> Result<Vec<u8>, HelloError> {
        if self.too_long {
            Err(HelloError::FieldTooLong)
        } else {
            Ok(self.bytes)
        }
    }
}

/// The record version of every ClientHello: TLS 1.0, which all servers understand (RFC 8446
/// appendix D allows 0x0301 for the first record).
pub const RECORD_VERSION: u16 = 0x0301;
pub const HANDSHAKE_CLIENT_HELLO: u8 = 1;

pub const EXT_SERVER_NAME: u16 = 0x0000;
pub const EXT_SUPPORTED_GROUPS: u16 = 0x000a;
pub const EXT_EC_POINT_FORMATS: u16 = 0x000b;
pub const EXT_SIGNATURE_ALGORITHMS: u16 = 0x000d;
pub const EXT_PADDING: u16 = 0x0015;
pub const EXT_EXTENDED_MASTER_SECRET: u16 = 0x0017;
pub const EXT_SUPPORTED_VERSIONS: u16 = 0x002b;
pub const EXT_KEY_SHARE: u16 = 0x0033;

pub const GROUP_X25519: u16 = 0x001d;

/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746): not a suite, so never an acceptable answer.
pub const RENEGOTIATION_SCSV: u16 = 0x00ff;

/// Suites offered up to TLS 1.2, in our order of preference: forward secrecy first, then
/// plain RSA key exchange, then the legacy ciphers old servers may be limited to. The same
/// list is offered to TLS 1.0 and 1.1 (servers skip suites their version lacks), so that a
/// CBC-only or RSA-only server still answers and its certificate can be read.
pub const TLS12_SUITES: &[u16] = &[
    0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, // ECDHE with AES-GCM, CHACHA20
    0x009e, 0x009f, 0xccaa, // DHE with AES-GCM, CHACHA20
    0xc023, 0xc027, 0xc024, 0xc028, // ECDHE with AES-CBC and SHA-2
    0xc009, 0xc013, 0xc00a, 0xc014, // ECDHE with AES-CBC and SHA-1
    0x0067, 0x006b, 0x0033, 0x0039, // DHE with AES-CBC
    0x009c, 0x009d, 0x003c, 0x003d, 0x002f, 0x0035, // RSA with AES
    0x0041, 0x0084, // RSA with Camellia
    0xc008, 0xc012, 0x0016, 0x000a, // 3DES
    0xc007, 0xc011, 0x0005, 0x0004, // RC4
];

/// The three TLS 1.3 suites every TLS 1.3 server implements one of.
pub const TLS13_SUITES: &[u16] = &[0x1301, 0x1302, 0x1303];

/// The suites offered with `version`; an answer outside this list is a protocol violation.
pub fn offered_suites(version: TlsVersion) -> &'static [u16] {
    match version {
        TlsVersion::Tls13 => TLS13_SUITES,
        _ => TLS12_SUITES,
    }
}

/// ECDSA, EdDSA, RSA-PSS and PKCS#1 including SHA-1: broad, so that no server declines for
/// want of a scheme its (perhaps legacy) certificate needs.
const SIGNATURE_SCHEMES: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b, 0x0401,
    0x0501, 0x0601, 0x0203, 0x0201,
];

/// x25519 first: the key share we send is for it.
const GROUPS_TLS13: &[u16] = &[GROUP_X25519, 0x0017, 0x0018];
const GROUPS_TLS12: &[u16] = &[GROUP_X25519, 0x0017, 0x0018, 0x0019];

/// Hello messages (header included) of 256 to 511 bytes hang some F5 load balancers
/// (RFC 7685 section 1); a padding extension lifts them to 512.
const PAD_FROM: usize = 256;
const PAD_TO: usize = 512;

/// What varies from one ClientHello to the next.
pub struct Hello<'a> {
    pub version: TlsVersion,
    /// A DNS name in A-label form, already checked by [`server_name`].
    pub sni: Option<&'a str>,
    pub random: [u8; 32],
    /// Sent for TLS 1.3 only, where middleboxes expect one (RFC 8446 appendix D.4).
    pub session_id: [u8; 32],
    /// The x25519 public key of the TLS 1.3 key share.
    pub x25519_public: [u8; 32],
}

/// The name to send as SNI: none for an empty name or an IP address (RFC 6066 section 3
/// allows DNS names only), no trailing dot; an error for what cannot be a DNS name.
pub fn server_name(sni: Option<&str>) -> Result<Option<&str>, HelloError> {
    let Some(name) = sni else { return Ok(None) };
    let name = name.strip_suffix('.').unwrap_or(name);
    let unbracketed = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    if name.is_empty() || unbracketed.parse::<std::net::IpAddr>().is_ok() {
        return Ok(None);
    }
    if name.len() > 253 {
        return Err(HelloError::SniTooLong(name.len()));
    }
    let allowed = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_');
    if !name.bytes().all(|b| allowed(&b)) {
        return Err(HelloError::SniNotAscii(name.to_string()));
    }
    Ok(Some(name))
}

/// The ClientHello record offering exactly `hello.version`.
pub fn client_hello(hello: &Hello) -> Result<Vec<u8>, HelloError> {
    let unpadded = handshake_message(hello, None)?;
    let message = if (PAD_FROM..PAD_TO).contains(&unpadded.len()) {
        // The extension header takes 4 bytes of the gap; what is left is zeros.
        let fill = (PAD_TO - unpadded.len()).saturating_sub(4);
        handshake_message(hello, Some(fill))?
    } else {
        unpadded
    };
    let mut w = Writer::default();
    w.u8(CONTENT_HANDSHAKE);
    w.u16(RECORD_VERSION);
    w.block(Prefix::U16, |w| w.bytes(&message));
    w.finish()
}

/// The handshake message: type, 24-bit length, body.
fn handshake_message(hello: &Hello, padding: Option<usize>) -> Result<Vec<u8>, HelloError> {
    let tls13 = hello.version == TlsVersion::Tls13;
    let mut w = Writer::default();
    w.u8(HANDSHAKE_CLIENT_HELLO);
    w.block(Prefix::U24, |w| {
        w.u16(client_version(hello.version));
        w.bytes(&hello.random);
        w.block(Prefix::U8, |w| {
            if tls13 {
                w.bytes(&hello.session_id);
            }
        });
        w.block(Prefix::U16, |w| {
            offered_suites(hello.version).iter().for_each(|&s| w.u16(s));
            if !tls13 {
                w.u16(RENEGOTIATION_SCSV);
            }
        });
        w.block(Prefix::U8, |w| w.u8(0)); // the null compression method only
        w.block(Prefix::U16, |w| extensions(w, hello, padding));
    });
    w.finish()
}

/// The version field of the ClientHello; TLS 1.3 says 1.2 here and the truth in
/// supported_versions (RFC 8446 section 4.1.2).
fn client_version(version: TlsVersion) -> u16 {
    match version {
        TlsVersion::Tls13 => TlsVersion::Tls12.wire(),
        v => v.wire(),
    }
}

fn extensions(w: &mut Writer, hello: &Hello, padding: Option<usize>) {
    if let Some(name) = hello.sni {
        w.extension(EXT_SERVER_NAME, |w| {
            w.block(Prefix::U16, |w| {
                w.u8(0); // host_name
                w.block(Prefix::U16, |w| w.bytes(name.as_bytes()));
            });
        });
    }
    let u16_list = |w: &mut Writer, items: &[u16]| {
        w.block(Prefix::U16, |w| items.iter().for_each(|&i| w.u16(i)));
    };
    match hello.version {
        TlsVersion::Tls13 => {
            w.extension(EXT_SUPPORTED_VERSIONS, |w| {
                w.block(Prefix::U8, |w| w.u16(TlsVersion::Tls13.wire()));
            });
            w.extension(EXT_SUPPORTED_GROUPS, |w| u16_list(w, GROUPS_TLS13));
            w.extension(EXT_SIGNATURE_ALGORITHMS, |w| u16_list(w, SIGNATURE_SCHEMES));
            w.extension(EXT_KEY_SHARE, |w| {
                w.block(Prefix::U16, |w| {
                    w.u16(GROUP_X25519);
                    w.block(Prefix::U16, |w| w.bytes(&hello.x25519_public));
                });
            });
        }
        version => {
            w.extension(EXT_SUPPORTED_GROUPS, |w| u16_list(w, GROUPS_TLS12));
            w.extension(EXT_EC_POINT_FORMATS, |w| w.block(Prefix::U8, |w| w.u8(0)));
            // RFC 5246 section 7.4.1.4.1: not to be offered with earlier versions.
            if version == TlsVersion::Tls12 {
                w.extension(EXT_SIGNATURE_ALGORITHMS, |w| u16_list(w, SIGNATURE_SCHEMES));
            }
            w.extension(EXT_EXTENDED_MASTER_SECRET, |_| {});
        }
    }
    if let Some(fill) = padding {
        w.extension(EXT_PADDING, |w| w.bytes(&vec![0; fill]));
    }
}

#[cfg(test)]
mod tests;
