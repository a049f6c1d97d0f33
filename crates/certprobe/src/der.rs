//! The DER that x509-parser does not cover (OCSP, the LDAP StartTLS response, PKCS#7 bundles):
//! a tiny writer (OCSP requests here, test responses in the testkit) and one strict reader in
//! the shape of rustls' `codec::Reader`: definite lengths only, every length checked against
//! what is left before it is used, trailing bytes an error.

/// Universal tags used by OCSP.
pub mod tag {
    /// BOOLEAN.
    pub const BOOLEAN: u8 = 0x01;
    /// INTEGER.
    pub const INTEGER: u8 = 0x02;
    /// BIT STRING.
    pub const BIT_STRING: u8 = 0x03;
    /// OCTET STRING.
    pub const OCTET_STRING: u8 = 0x04;
    /// NULL.
    pub const NULL: u8 = 0x05;
    /// OBJECT IDENTIFIER.
    pub const OID: u8 = 0x06;
    /// ENUMERATED.
    pub const ENUMERATED: u8 = 0x0a;
    /// IA5String.
    pub const IA5_STRING: u8 = 0x16;
    /// GeneralizedTime.
    pub const GENERALIZED_TIME: u8 = 0x18;
    /// SEQUENCE (constructed).
    pub const SEQUENCE: u8 = 0x30;

    /// `[n]` constructed: EXPLICIT tags and IMPLICIT SEQUENCEs.
    pub const fn context(n: u8) -> u8 {
        0xa0 | (n & 0x1f)
    }

    /// `[n]` primitive: IMPLICIT NULL, IA5String, OCTET STRING.
    pub const fn context_primitive(n: u8) -> u8 {
        0x80 | (n & 0x1f)
    }
}

// ---- writer ----

/// One element: tag, minimal definite length, content.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let digits: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | digits.len() as u8);
        out.extend_from_slice(&digits);
    }
    out.extend_from_slice(content);
    out
}

/// SEQUENCE of already encoded elements.
pub fn sequence(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(tag::SEQUENCE, &parts.concat())
}

/// `[n] EXPLICIT` around one encoded element.
pub fn explicit(n: u8, inner: &[u8]) -> Vec<u8> {
    tlv(tag::context(n), inner)
}

/// OCTET STRING of `bytes`.
pub fn octet_string(bytes: &[u8]) -> Vec<u8> {
    tlv(tag::OCTET_STRING, bytes)
}

/// BIT STRING with no unused bits (signatures, keys).
pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(bytes.len() + 1);
    content.push(0);
    content.extend_from_slice(bytes);
    tlv(tag::BIT_STRING, &content)
}

/// NULL.
pub fn null() -> Vec<u8> {
    tlv(tag::NULL, &[])
}

/// IA5String of `text` (ASCII).
pub fn ia5_string(text: &str) -> Vec<u8> {
    tlv(tag::IA5_STRING, text.as_bytes())
}

/// ENUMERATED of a small value.
pub fn enumerated(value: u8) -> Vec<u8> {
    tlv(tag::ENUMERATED, &minimal_unsigned(&[value]))
}

/// INTEGER of a non-negative big-endian magnitude (serial numbers), minimally encoded.
pub fn integer_unsigned(magnitude: &[u8]) -> Vec<u8> {
    tlv(tag::INTEGER, &minimal_unsigned(magnitude))
}

/// INTEGER of any i64, minimally encoded in two's complement.
pub fn integer(value: i64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let mut start = 0;
    // Drop a leading byte while the next one still carries the sign.
    while start < 7 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    tlv(tag::INTEGER, &bytes[start..])
}

/// OBJECT IDENTIFIER from its arcs (`&[1, 3, 6, 1, 5, 5, 7, 48, 1, 1]`).
pub fn oid(arcs: &[u64]) -> Vec<u8> {
    tlv(tag::OID, &oid_content(arcs))
}

/// The content octets of an OID, for comparing with what a [`Reader`] returns.
pub fn oid_content(arcs: &[u64]) -> Vec<u8> {
    let first = arcs.first().copied().unwrap_or(0);
    let second = arcs.get(1).copied().unwrap_or(0);
    let mut out = Vec::new();
    let combined = first.saturating_mul(40).saturating_add(second);
    for arc in std::iter::once(combined).chain(arcs.iter().skip(2).copied()) {
        let mut groups = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            groups.push(0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        out.extend(groups.iter().rev());
    }
    out
}

/// GeneralizedTime `YYYYMMDDHHMMSSZ` as RFC 5280 and RFC 6960 require (no fractions).
pub fn generalized_time(unix: i64) -> Vec<u8> {
    // format_utc is `2026-12-31 23:59:59 UTC`: its digits are exactly the ones needed.
    let mut text: Vec<u8> = crate::clock::format_utc(unix)
        .bytes()
        .filter(u8::is_ascii_digit)
        .collect();
    text.push(b'Z');
    tlv(tag::GENERALIZED_TIME, &text)
}

fn minimal_unsigned(magnitude: &[u8]) -> Vec<u8> {
    let first = magnitude.iter().position(|&b| b != 0);
    let significant = first.map_or(&[][..], |i| &magnitude[i..]);
    match significant.first() {
        None => vec![0],
        Some(&b) if b & 0x80 != 0 => [&[0][..], significant].concat(),
        Some(_) => significant.to_vec(),
    }
}

// ---- reader ----

/// Why bytes are not the DER expected. The texts name the element in the words of the
/// caller (`what`), so a message reads "responseBytes: element 0x30 claims 500 bytes, only 12
/// left".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DerError {
    /// Nothing where an element was expected.
    NoTag,
    /// A tag without a length.
    NoLength,
    /// A tag number above 30: nothing read here uses one.
    MultiByteTag,
    /// BER's indefinite length, which DER forbids.
    IndefiniteLength,
    /// A length of more than four bytes.
    LengthTooLong(usize),
    /// The length's own bytes are cut off.
    TruncatedLength,
    /// A long-form length that the short form or fewer bytes could say.
    NonMinimalLength,
    /// An element whose length points past the end.
    Overrun {
        /// The element's tag.
        tag: u8,
        /// The length it announced.
        claimed: usize,
        /// The bytes actually left.
        left: usize,
    },
    /// Another element than the one expected.
    WrongTag {
        /// What was expected, in the caller's words.
        what: String,
        /// The tag expected.
        expected: u8,
        /// The tag found.
        found: u8,
    },
    /// An error inside the element named `what`.
    In {
        /// The element, in the caller's words.
        what: String,
        /// What went wrong inside it.
        inner: Box<DerError>,
    },
    /// Bytes after the last element.
    Trailing {
        /// What they follow, in the caller's words.
        what: String,
        /// How many bytes are left over.
        count: usize,
    },
    /// An INTEGER without content octets.
    EmptyInteger,
    /// A negative INTEGER where only non-negative ones make sense.
    NegativeInteger,
    /// An INTEGER larger than the four bytes accepted.
    IntegerTooLarge,
    /// An OBJECT IDENTIFIER cut in the middle of an arc.
    TruncatedOid,
    /// An OBJECT IDENTIFIER arc with a leading 0x80 octet.
    NonMinimalOid,
    /// An OBJECT IDENTIFIER arc beyond 64 bits.
    OidArcTooLarge,
    /// Not a GeneralizedTime of RFC 5280's form; the text as received.
    BadTime(String),
}

impl std::fmt::Display for DerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DerError::NoTag => f.write_str("no tag"),
            DerError::NoLength => f.write_str("no length"),
            DerError::MultiByteTag => f.write_str("multi-byte tags are not used here"),
            DerError::IndefiniteLength => f.write_str("indefinite length is not allowed in DER"),
            DerError::LengthTooLong(count) => write!(f, "a length of {count} bytes is too long"),
            DerError::TruncatedLength => f.write_str("truncated length"),
            DerError::NonMinimalLength => f.write_str("a length that is not minimally encoded"),
            DerError::Overrun { tag, claimed, left } => {
                write!(
                    f,
                    "element 0x{tag:02x} claims {claimed} bytes, only {left} left"
                )
            }
            DerError::WrongTag {
                what,
                expected,
                found,
            } => write!(
                f,
                "expected {what} (tag 0x{expected:02x}), found tag 0x{found:02x}"
            ),
            DerError::In { what, inner } => write!(f, "{what}: {inner}"),
            DerError::Trailing { what, count } => write!(f, "{count} trailing bytes after {what}"),
            DerError::EmptyInteger => f.write_str("empty INTEGER"),
            DerError::NegativeInteger => f.write_str("negative INTEGER"),
            DerError::IntegerTooLarge => f.write_str("INTEGER too large"),
            DerError::TruncatedOid => f.write_str("truncated OBJECT IDENTIFIER"),
            DerError::NonMinimalOid => f.write_str("non-minimal OBJECT IDENTIFIER"),
            DerError::OidArcTooLarge => f.write_str("OBJECT IDENTIFIER arc too large"),
            DerError::BadTime(text) => write!(f, "bad GeneralizedTime '{text}'"),
        }
    }
}

impl std::error::Error for DerError {}

/// A cursor over bytes; no method can read past the end.
#[derive(Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
}

/// One tag-length-value element.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    /// The tag octet.
    pub tag: u8,
    /// The content octets.
    pub value: &'a [u8],
    /// The whole element, header included: what signatures and hashes cover.
    pub raw: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    /// True when nothing is left.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The next tag without consuming it.
    pub fn peek_tag(&self) -> Option<u8> {
        self.bytes.first().copied()
    }

    /// Reads one element of any tag.
    pub fn tlv(&mut self) -> Result<Tlv<'a>, DerError> {
        let (tag, len, header) = header(self.bytes)?;
        let overrun = || DerError::Overrun {
            tag,
            claimed: len,
            left: self.bytes.len().saturating_sub(header),
        };
        let total = header.checked_add(len).ok_or_else(overrun)?;
        let (Some(raw), Some(value)) = (self.bytes.get(..total), self.bytes.get(header..total))
        else {
            return Err(overrun());
        };
        self.bytes = self.bytes.get(total..).unwrap_or_default();
        Ok(Tlv { tag, value, raw })
    }

    /// Reads one element that must have `tag`.
    /// The tag is checked before the length, so text (an HTML error page) is named as such.
    pub fn expect_tlv(&mut self, tag: u8, what: &str) -> Result<Tlv<'a>, DerError> {
        match self.peek_tag() {
            Some(found) if found != tag => Err(DerError::WrongTag {
                what: what.to_string(),
                expected: tag,
                found,
            }),
            _ => self.tlv().map_err(|e| DerError::In {
                what: what.to_string(),
                inner: Box::new(e),
            }),
        }
    }

    /// The content of one element that must have `tag`.
    pub fn expect(&mut self, tag: u8, what: &str) -> Result<&'a [u8], DerError> {
        Ok(self.expect_tlv(tag, what)?.value)
    }

    /// A SEQUENCE, returned as a reader over its content.
    pub fn sequence(&mut self, what: &str) -> Result<Reader<'a>, DerError> {
        self.expect(tag::SEQUENCE, what).map(Reader::new)
    }

    /// The content of the next element if it has `tag` (OPTIONAL and DEFAULT fields).
    pub fn optional(&mut self, tag: u8, what: &str) -> Result<Option<&'a [u8]>, DerError> {
        if self.peek_tag() == Some(tag) {
            self.expect(tag, what).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Nothing may follow: trailing bytes are an error.
    pub fn expect_empty(&self, what: &str) -> Result<(), DerError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(DerError::Trailing {
                what: what.to_string(),
                count: self.bytes.len(),
            })
        }
    }
}

/// Parses a tag and definite length: (tag, content length, header length).
pub fn header(bytes: &[u8]) -> Result<(u8, usize, usize), DerError> {
    let (&tag, rest) = bytes.split_first().ok_or(DerError::NoTag)?;
    if tag & 0x1f == 0x1f {
        return Err(DerError::MultiByteTag);
    }
    let (&first, rest) = rest.split_first().ok_or(DerError::NoLength)?;
    if first < 0x80 {
        return Ok((tag, usize::from(first), 2));
    }
    let count = usize::from(first & 0x7f);
    if count == 0 {
        return Err(DerError::IndefiniteLength);
    }
    if count > 4 {
        return Err(DerError::LengthTooLong(count));
    }
    let digits = rest.get(..count).ok_or(DerError::TruncatedLength)?;
    if digits.first() == Some(&0) || (count == 1 && digits[0] < 0x80) {
        return Err(DerError::NonMinimalLength);
    }
    let len = digits
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Ok((tag, len, 2 + count))
}

/// A non-negative INTEGER's magnitude, without the sign byte: how serials are compared.
pub fn unsigned_integer(value: &[u8]) -> Result<&[u8], DerError> {
    match value {
        [] => Err(DerError::EmptyInteger),
        [b, ..] if b & 0x80 != 0 => Err(DerError::NegativeInteger),
        [0, rest @ ..] if !rest.is_empty() => Ok(rest),
        _ => Ok(value),
    }
}

/// A non-negative INTEGER or ENUMERATED of at most 4 bytes.
pub fn small_integer(value: &[u8]) -> Result<u32, DerError> {
    let magnitude = unsigned_integer(value)?;
    if magnitude.len() > 4 {
        return Err(DerError::IntegerTooLarge);
    }
    Ok(magnitude
        .iter()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
}

/// Dotted text of an OID's content octets (`1.3.6.1.5.5.7.48.1.1`).
pub fn oid_text(value: &[u8]) -> Result<String, DerError> {
    if value.is_empty() || value.last().is_some_and(|b| b & 0x80 != 0) {
        return Err(DerError::TruncatedOid);
    }
    let mut arcs = Vec::new();
    let mut acc: u64 = 0;
    let mut fresh = true;
    for &b in value {
        if fresh && b == 0x80 {
            return Err(DerError::NonMinimalOid);
        }
        if acc > u64::MAX >> 7 {
            return Err(DerError::OidArcTooLarge);
        }
        acc = (acc << 7) | u64::from(b & 0x7f);
        fresh = b & 0x80 == 0;
        if fresh {
            arcs.push(acc);
            acc = 0;
        }
    }
    let first = arcs.first().copied().unwrap_or(0);
    let (a, b) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut text = format!("{a}.{b}");
    for arc in arcs.iter().skip(1) {
        text.push('.');
        text.push_str(&arc.to_string());
    }
    Ok(text)
}

/// Unix seconds of a GeneralizedTime. RFC 5280 form `YYYYMMDDHHMMSSZ`; fractional seconds
/// are accepted and dropped (some responders send them), local times are not.
pub fn parse_generalized_time(value: &[u8]) -> Result<i64, DerError> {
    let bad = || DerError::BadTime(crate::text::quote_bytes(value, 40));
    let body = value.strip_suffix(b"Z").ok_or_else(bad)?;
    let (main, fraction) = match body.iter().position(|&b| b == b'.') {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    if main.len() != 14 || !main.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    if let Some(f) = fraction {
        if f.is_empty() || !f.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
    }
    let num = |range: std::ops::Range<usize>| {
        main[range]
            .iter()
            .fold(0i64, |acc, &b| acc * 10 + i64::from(b - b'0'))
    };
    let (year, month, day) = (num(0..4), num(4..6), num(6..8));
    let (hour, minute, second) = (num(8..10), num(10..12), num(12..14));
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(bad());
    }
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_minimal_when_written_and_checked_when_read() {
        assert_eq!(tlv(0x04, &[7; 3]), [0x04, 3, 7, 7, 7]);
        let long = tlv(0x04, &[0; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(header(&long).unwrap(), (0x04, 300, 4));
        assert_eq!(header(&tlv(0x04, &[0; 200])).unwrap(), (0x04, 200, 3));
        assert!(header(&[0x30, 0x80]).is_err());
        assert!(header(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_err());
        assert!(header(&[0x30, 0x82, 1]).is_err());
        assert!(header(&[0x1f, 0x01, 0x00]).is_err());
        assert!(header(&[0x30]).is_err());
        assert!(header(&[]).is_err());
        assert!(Reader::new(&[0x04, 0x05, b'a']).tlv().is_err());
        assert!(Reader::new(&[0x04, 0x84, 0xff, 0xff, 0xff, 0xff])
            .tlv()
            .is_err());
        assert_eq!(header(&[0x04, 0x81, 0x05]), Err(DerError::NonMinimalLength));
        assert_eq!(
            header(&[0x04, 0x82, 0x00, 0x85]),
            Err(DerError::NonMinimalLength)
        );
        assert_eq!(
            Reader::new(&[0x30, 0x05, 1])
                .expect(0x30, "ContentInfo")
                .unwrap_err()
                .to_string(),
            "ContentInfo: element 0x30 claims 5 bytes, only 1 left"
        );
        assert_eq!(
            Reader::new(b"<html>")
                .expect(0x30, "ContentInfo")
                .unwrap_err()
                .to_string(),
            "expected ContentInfo (tag 0x30), found tag 0x3c"
        );
    }

    #[test]
    fn reader_walks_a_written_structure() {
        let written = sequence(&[
            integer(5),
            explicit(0, &octet_string(b"hi")),
            null(),
            oid(&[2, 5, 29, 15]),
        ]);
        let mut outer = Reader::new(&written);
        let mut seq = outer.sequence("outer").unwrap();
        outer.expect_empty("outer").unwrap();
        assert_eq!(small_integer(seq.expect(tag::INTEGER, "n").unwrap()), Ok(5));
        assert_eq!(seq.optional(tag::context(1), "absent").unwrap(), None);
        let tagged = seq.optional(tag::context(0), "tagged").unwrap().unwrap();
        assert_eq!(
            Reader::new(tagged).expect(tag::OCTET_STRING, "s").unwrap(),
            b"hi"
        );
        let null = seq.expect_tlv(tag::NULL, "null").unwrap();
        assert_eq!(null.raw, [0x05, 0x00]);
        let oid = seq.expect(tag::OID, "oid").unwrap();
        assert_eq!(oid_text(oid).unwrap(), "2.5.29.15");
        seq.expect_empty("seq").unwrap();
        let err = Reader::new(&written)
            .expect(tag::INTEGER, "count")
            .unwrap_err();
        assert_eq!(err.to_string(), "expected count (tag 0x02), found tag 0x30");
        let mut trailing = Reader::new(&[0x05, 0x00, 0x00]);
        trailing.tlv().unwrap();
        assert_eq!(
            trailing.expect_empty("null").unwrap_err().to_string(),
            "1 trailing bytes after null"
        );
    }

    #[test]
    fn integers_are_minimal_twos_complement() {
        assert_eq!(integer(0), [0x02, 1, 0]);
        assert_eq!(integer(127), [0x02, 1, 0x7f]);
        assert_eq!(integer(128), [0x02, 2, 0, 0x80]);
        assert_eq!(integer(256), [0x02, 2, 1, 0]);
        assert_eq!(integer(-1), [0x02, 1, 0xff]);
        assert_eq!(integer(-129), [0x02, 2, 0xff, 0x7f]);
        assert_eq!(integer_unsigned(&[0, 0, 0x91, 2]), [0x02, 3, 0, 0x91, 2]);
        assert_eq!(integer_unsigned(&[]), [0x02, 1, 0]);
        assert_eq!(enumerated(3), [0x0a, 1, 3]);
        assert_eq!(unsigned_integer(&[0, 0x91]), Ok(&[0x91][..]));
        assert_eq!(unsigned_integer(&[0]), Ok(&[0][..]));
        assert!(unsigned_integer(&[0x91]).is_err());
        assert!(unsigned_integer(&[]).is_err());
        assert!(small_integer(&[1, 2, 3, 4, 5]).is_err());
    }

    #[test]
    fn oids_round_trip() {
        for arcs in [
            &[1u64, 3, 6, 1, 5, 5, 7, 48, 1, 1][..],
            &[1, 2, 840, 10045, 4, 3, 2],
            &[2, 16, 840, 1, 101, 3, 4, 2, 1],
            &[2, 999, 3],
            &[0, 9, 2342, 19200300, 100, 1, 1],
        ] {
            let text: Vec<String> = arcs.iter().map(u64::to_string).collect();
            assert_eq!(oid_text(&oid_content(arcs)).unwrap(), text.join("."));
        }
        assert_eq!(
            oid(&[1, 3, 14, 3, 2, 26]),
            [0x06, 5, 0x2b, 0x0e, 0x03, 0x02, 0x1a]
        );
        assert!(oid_text(&[]).is_err());
        assert!(oid_text(&[0x2b, 0x86]).is_err());
        assert!(oid_text(&[0x2b, 0x80, 0x01]).is_err());
        assert!(oid_text(&[0xff; 12]).is_err());
    }

    #[test]
    fn generalized_times_round_trip_and_bad_ones_fail() {
        for unix in [0, 951_782_400, 1_798_761_599, 4_102_444_800] {
            let written = generalized_time(unix);
            let value = Reader::new(&written)
                .expect(tag::GENERALIZED_TIME, "t")
                .unwrap();
            assert_eq!(parse_generalized_time(value), Ok(unix));
        }
        assert_eq!(generalized_time(0), b"\x18\x0f19700101000000Z");
        assert_eq!(
            parse_generalized_time(b"20000229000000.123Z"),
            Ok(951_782_400)
        );
        for bad in [
            &b"20000229000000"[..],
            b"20010229000000Z",
            b"20001301000000Z",
            b"20000101240000Z",
            b"2000010100000Z",
            b"20000101000000.Z",
            b"20000101000000+0100",
            b"2000-1-01000000Z",
            b"",
        ] {
            assert!(parse_generalized_time(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_bad_time_is_quoted_on_one_short_line() {
        // Found by the der_reader fuzzer: the bytes were quoted raw, control characters too.
        assert_eq!(
            parse_generalized_time(b"20240229235959.12\n\x01")
                .unwrap_err()
                .to_string(),
            "bad GeneralizedTime '20240229235959.12\\n\\x01'"
        );
        let long = parse_generalized_time(&[b'9'; 5000])
            .unwrap_err()
            .to_string();
        assert!(long.len() < 100, "{long}");
    }
}
