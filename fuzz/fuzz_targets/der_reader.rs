//! The strict DER reader (`certprobe::der`) that OCSP, the LDAP response and PKCS#7 bundles
//! are read with: every element of the input walked as a tree, each primitive decoded as its
//! tag says, and what the reader returns checked against the bytes.
#![no_main]

use certprobe::der::{self, tag, Reader};
use certprobe_fuzz::check_message;
use libfuzzer_sys::fuzz_target;

/// Deeper than any OCSP response; bounds the recursion.
const MAX_DEPTH: usize = 64;

fuzz_target!(|data: &[u8]| {
    // The header parser alone, on the raw bytes.
    match der::header(data) {
        Ok((tag, len, header)) => {
            assert!((2..=6).contains(&header), "header of {header} bytes");
            assert_eq!(data[0], tag);
            assert!(len < 1 << 32);
        }
        Err(e) => check_message("header error", &e),
    }
    walk(data, 0);
});

/// Reads every element of `bytes` at this level, descending into constructed ones.
fn walk(bytes: &[u8], depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let mut reader = Reader::new(bytes);
    let mut consumed = 0;
    while !reader.is_empty() {
        let tag = reader.peek_tag().expect("a tag while not empty");
        // The typed accessors agree with the plain one.
        let typed = reader.clone().expect_tlv(tag, "element").map(|t| t.raw);
        let optional = reader.clone().optional(tag, "element");
        let other = tag.wrapping_add(1);
        assert!(matches!(reader.clone().optional(other, "other"), Ok(None)));
        if let Err(e) = reader.clone().expect(other, "something else") {
            check_message("expect error", &e);
        }
        let tlv = match reader.tlv() {
            Ok(tlv) => tlv,
            Err(e) => {
                check_message("tlv error", &e);
                assert!(typed.is_err() && optional.is_err());
                if let Err(e) = typed {
                    check_message("expect_tlv error", &e);
                }
                return;
            }
        };
        assert_eq!(typed.ok(), Some(tlv.raw));
        assert_eq!(optional.ok().flatten(), Some(tlv.value));
        // raw is the header followed by the value, and it is where the reader was.
        assert_eq!(tlv.tag, tag);
        assert_eq!(&bytes[consumed..consumed + tlv.raw.len()], tlv.raw);
        assert!(tlv.raw.ends_with(tlv.value));
        let (h_tag, h_len, h_size) = der::header(tlv.raw).expect("the header read twice");
        assert_eq!(
            (h_tag, h_len, h_size + h_len),
            (tag, tlv.value.len(), tlv.raw.len())
        );
        consumed += tlv.raw.len();
        decode(tlv.tag, tlv.value);
        if tag & 0x20 != 0 {
            walk(tlv.value, depth + 1);
        }
    }
    assert_eq!(consumed, bytes.len());
    assert!(reader.expect_empty("the input").is_ok());
}

/// Decodes a primitive as its tag says, and checks the result against the content.
fn decode(tag: u8, value: &[u8]) {
    match tag {
        tag::OID => match der::oid_text(value) {
            Ok(text) => {
                // A value, not a message: as long as the OID is, but only digits and dots.
                assert!(
                    text.bytes().all(|b| b.is_ascii_digit() || b == b'.'),
                    "{text}"
                );
                let arcs: Vec<u64> = text
                    .split('.')
                    .map(|a| a.parse().expect("an arc"))
                    .collect();
                assert!(arcs.len() >= 2 && arcs[0] <= 2);
                assert_eq!(
                    der::oid_content(&arcs),
                    value,
                    "OID {text} does not round-trip"
                );
            }
            Err(e) => check_message("OID error", &e),
        },
        tag::GENERALIZED_TIME => match der::parse_generalized_time(value) {
            Ok(unix) => {
                // The digits before any fraction are the time written back.
                let written = der::generalized_time(unix);
                assert_eq!(
                    &written[2..16],
                    &value[..14],
                    "time {unix} does not round-trip"
                );
            }
            Err(e) => check_message("GeneralizedTime error", &e),
        },
        tag::INTEGER | tag::ENUMERATED => {
            match der::unsigned_integer(value) {
                Ok(magnitude) => {
                    assert!(!magnitude.is_empty());
                    assert!(value.ends_with(magnitude));
                }
                Err(e) => check_message("INTEGER error", &e),
            }
            match der::small_integer(value) {
                Ok(n) => {
                    let written = der::integer(i64::from(n));
                    let mut minimal = value;
                    while let [0, next, ..] = minimal {
                        if next & 0x80 != 0 {
                            break;
                        }
                        minimal = &minimal[1..];
                    }
                    assert_eq!(&written[2..], minimal, "INTEGER {n} does not round-trip");
                }
                Err(e) => check_message("small INTEGER error", &e),
            }
        }
        _ => {}
    }
}
