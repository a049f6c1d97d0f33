//! The BER that SNMP messages are made of (X.690, the subset RFC 3416 uses): definite
//! lengths, INTEGER, OCTET STRING, OBJECT IDENTIFIER, SEQUENCE and the SNMP application tags.

/// INTEGER.
pub const INTEGER: u8 = 0x02;
/// OCTET STRING.
pub const OCTET_STRING: u8 = 0x04;
/// OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;
/// SEQUENCE.
pub const SEQUENCE: u8 = 0x30;
/// TimeTicks, `[APPLICATION 3]`.
pub const TIME_TICKS: u8 = 0x43;
/// SNMPv2-Trap-PDU, `[7] IMPLICIT`.
pub const TRAP_PDU: u8 = 0xa7;

/// A TLV with `content`.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    push_length(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// The length octets of a content of `length` bytes.
pub fn push_length(out: &mut Vec<u8>, length: usize) {
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes = length.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// An INTEGER (two's complement, fewest octets).
pub fn integer(value: i64) -> Vec<u8> {
    integer_tagged(INTEGER, value)
}

/// An integer under another tag (TimeTicks).
pub fn integer_tagged(tag: u8, value: i64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (first, next) = (bytes[start], bytes[start + 1]);
        let redundant = (first == 0x00 && next & 0x80 == 0) || (first == 0xff && next & 0x80 != 0);
        if !redundant {
            break;
        }
        start += 1;
    }
    tlv(tag, &bytes[start..])
}

/// An unsigned 32-bit value under an application tag (TimeTicks are unsigned).
pub fn unsigned_tagged(tag: u8, value: u32) -> Vec<u8> {
    integer_tagged(tag, i64::from(value))
}

/// An OCTET STRING.
pub fn octets(value: &[u8]) -> Vec<u8> {
    tlv(OCTET_STRING, value)
}

/// An OBJECT IDENTIFIER from its arcs (the first two folded, the rest base 128).
pub fn oid(arcs: &[u32]) -> Vec<u8> {
    let mut content = Vec::with_capacity(arcs.len() + 4);
    let (first, second) = (
        arcs.first().copied().unwrap_or(0),
        arcs.get(1).copied().unwrap_or(0),
    );
    push_base128(&mut content, first * 40 + second);
    for arc in arcs.iter().skip(2) {
        push_base128(&mut content, *arc);
    }
    tlv(OID, &content)
}

fn push_base128(out: &mut Vec<u8>, mut value: u32) {
    let mut groups = [0u8; 5];
    let mut n = 0;
    loop {
        groups[n] = (value & 0x7f) as u8;
        n += 1;
        value >>= 7;
        if value == 0 {
            break;
        }
    }
    for i in (0..n).rev() {
        out.push(groups[i] | if i > 0 { 0x80 } else { 0 });
    }
}

/// A SEQUENCE of already encoded parts.
pub fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    tagged(SEQUENCE, parts)
}

/// Encoded parts under `tag`.
pub fn tagged(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let content: Vec<u8> = parts.concat();
    tlv(tag, &content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_as_x690_gives_them() {
        assert_eq!(integer(0), [0x02, 0x01, 0x00]);
        assert_eq!(integer(127), [0x02, 0x01, 0x7f]);
        assert_eq!(integer(128), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(integer(-1), [0x02, 0x01, 0xff]);
        assert_eq!(integer(-129), [0x02, 0x02, 0xff, 0x7f]);
        assert_eq!(integer(65507), [0x02, 0x03, 0x00, 0xff, 0xe3]);
        assert_eq!(
            oid(&[1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0]),
            [0x06, 0x0a, 0x2b, 6, 1, 6, 3, 1, 1, 4, 1, 0]
        );
        assert_eq!(
            oid(&[1, 3, 6, 1, 4, 1, 99999]),
            [0x06, 0x08, 0x2b, 6, 1, 4, 1, 0x86, 0x8d, 0x1f]
        );
        let long = octets(&[0u8; 200]);
        assert_eq!(&long[..3], [0x04, 0x81, 200]);
        let longer = octets(&[0u8; 300]);
        assert_eq!(&longer[..4], [0x04, 0x82, 0x01, 0x2c]);
    }
}
