//! A strict, bounds-checked reader for the BER (DER subset) that LDAP responses and PKCS#7
//! certificate bundles use: definite lengths only, every length checked against what is
//! left, trailing bytes an error.

/// A cursor over bytes; no method can read past the end.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

/// One tag-length-value element.
pub struct Tlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The next tag without consuming it.
    pub fn peek_tag(&self) -> Option<u8> {
        self.bytes.first().copied()
    }

    /// Reads one element of any tag.
    pub fn tlv(&mut self) -> Result<Tlv<'a>, String> {
        let (tag, len, header) = header(self.bytes)?;
        let total = header.checked_add(len).ok_or("length overflow")?;
        let Some(value) = self.bytes.get(header..total) else {
            return Err(format!(
                "element 0x{tag:02x} claims {len} bytes, only {} left",
                self.bytes.len() - header
            ));
        };
        self.bytes = &self.bytes[total..];
        Ok(Tlv { tag, value })
    }

    /// Reads one element of any tag, returning it whole (header included).
    pub fn raw_tlv(&mut self) -> Result<(u8, &'a [u8]), String> {
        let all = self.bytes;
        let tlv = self.tlv()?;
        let used = all.len() - self.bytes.len();
        Ok((tlv.tag, &all[..used]))
    }

    /// Reads one element that must have `tag`.
    pub fn expect(&mut self, tag: u8, what: &str) -> Result<&'a [u8], String> {
        let tlv = self.tlv()?;
        if tlv.tag != tag {
            return Err(format!(
                "expected {what} (tag 0x{tag:02x}), found tag 0x{:02x}",
                tlv.tag
            ));
        }
        Ok(tlv.value)
    }

    pub fn expect_empty(&self, what: &str) -> Result<(), String> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(format!("{} trailing bytes after {what}", self.bytes.len()))
        }
    }
}

/// Parses a tag and definite length: (tag, content length, header length).
/// Needs only the first bytes, so a caller can learn how much more to read.
pub fn header(bytes: &[u8]) -> Result<(u8, usize, usize), String> {
    let (&tag, rest) = bytes.split_first().ok_or("no tag")?;
    if tag & 0x1f == 0x1f {
        return Err("multi-byte tags are not used by LDAP".into());
    }
    let (&first, rest) = rest.split_first().ok_or("no length")?;
    if first < 0x80 {
        return Ok((tag, usize::from(first), 2));
    }
    let count = usize::from(first & 0x7f);
    if count == 0 {
        return Err("indefinite length is not allowed".into());
    }
    if count > 4 {
        return Err(format!("a length of {count} bytes is too long"));
    }
    let digits = rest.get(..count).ok_or("truncated length")?;
    let len = digits
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Ok((tag, len, 2 + count))
}

/// A non-negative INTEGER of at most 4 bytes.
pub fn small_integer(value: &[u8]) -> Result<u32, String> {
    if value.is_empty() || value.len() > 4 || value[0] & 0x80 != 0 {
        return Err("bad INTEGER".into());
    }
    Ok(value.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_checked() {
        assert_eq!(header(&[0x30, 0x05]).unwrap(), (0x30, 5, 2));
        assert_eq!(header(&[0x30, 0x82, 0x01, 0x00]).unwrap(), (0x30, 256, 4));
        assert!(header(&[0x30, 0x80]).is_err());
        assert!(header(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_err());
        assert!(header(&[0x30]).is_err());
        let mut r = Reader::new(&[0x04, 0x05, b'a']);
        assert!(r.tlv().is_err());
        let mut r = Reader::new(&[0x02, 0x01, 0x07, 0xff]);
        assert_eq!(small_integer(r.expect(0x02, "int").unwrap()).unwrap(), 7);
        assert!(r.expect_empty("int").is_err());
    }
}
