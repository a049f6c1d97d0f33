//! A binary file that starts with a SEQUENCE: its first inner element tells what it is.
//! A SEQUENCE (tbsCertificate) is a certificate, INTEGER 3 a PKCS#12 PFX, the SignedData
//! OID a PKCS#7 bundle, INTEGER 0 or 1 a DER private key (a `.key` file: PKCS#8 v1 or v2
//! before a SEQUENCE, PKCS#1 before an INTEGER, SEC1 before an OCTET STRING).

use super::{cert, pkcs12, pkcs7, Cert, Parsed};
use crate::error::{FileError, NotFound};
use crate::keys::PrivateKey;
use crate::{Format, Secret};
use certprobe::der::{tag, Reader};

pub(crate) fn parse(
    bytes: &[u8],
    password: Option<&Secret>,
) -> (Option<Format>, Result<Parsed, FileError>) {
    // PKCS#12 first, on a lenient look: Windows and Java may write BER (indefinite
    // lengths) that the strict reader refuses, and the PKCS#12 decoder judges it.
    if looks_like_pkcs12(bytes) {
        return (Some(Format::Pkcs12), pkcs12::parse(bytes, password));
    }
    let mut reader = Reader::new(bytes);
    let outer = match reader.expect_tlv(tag::SEQUENCE, "the DER data") {
        Ok(outer) => outer,
        Err(e) => return (None, Err(FileError::corrupt("DER file", e.to_string()))),
    };
    let mut inner = Reader::new(outer.value);
    let first = inner.tlv().ok();
    let second = inner.peek_tag();
    match first.map(|t| (t.tag, t.value)) {
        Some((tag::SEQUENCE, _)) => {
            if let Err(e) = cert::check(bytes, "DER file", "the certificate") {
                return (Some(Format::Der), Err(e));
            }
            let parsed = Parsed {
                certs: vec![Cert::plain(bytes.to_vec())],
                ..Parsed::default()
            };
            (Some(Format::Der), Ok(parsed))
        }
        Some((tag::OID, oid)) if oid == pkcs7::is_signed_data_oid().as_slice() => {
            match pkcs7::certificates(bytes) {
                Ok(ders) if ders.is_empty() => (
                    Some(Format::Pkcs7),
                    Err(FileError::NoCertificate(NotFound::EmptyContainer(
                        Format::Pkcs7,
                    ))),
                ),
                Ok(ders) => {
                    let parsed = Parsed {
                        certs: ders.into_iter().map(Cert::plain).collect(),
                        ..Parsed::default()
                    };
                    (Some(Format::Pkcs7), Ok(parsed))
                }
                Err(detail) => (
                    Some(Format::Pkcs7),
                    Err(FileError::corrupt("PKCS#7 bundle", detail)),
                ),
            }
        }
        Some((tag::INTEGER, [0] | [1])) if second == Some(tag::SEQUENCE) => {
            key(PrivateKey::Pkcs8(bytes.to_vec()))
        }
        Some((tag::INTEGER, [0])) if second == Some(tag::INTEGER) => {
            key(PrivateKey::Rsa(bytes.to_vec()))
        }
        Some((tag::INTEGER, [1])) if second == Some(tag::OCTET_STRING) => {
            key(PrivateKey::Sec1(bytes.to_vec()))
        }
        _ => (
            None,
            Err(FileError::Unsupported(
                "DER data that is not a certificate, PKCS#7 bundle, PKCS#12 file or private key"
                    .into(),
            )),
        ),
    }
}

/// One DER element filling the file exactly, or what looks like a PKCS#12 (which may be BER).
pub(crate) fn detect(bytes: &[u8]) -> bool {
    if looks_like_pkcs12(bytes) {
        return true;
    }
    let mut reader = Reader::new(bytes);
    reader.expect_tlv(tag::SEQUENCE, "the DER data").is_ok() && reader.is_empty()
}

fn looks_like_pkcs12(bytes: &[u8]) -> bool {
    first_inner(bytes).is_some_and(|inner| inner.starts_with(&[tag::INTEGER, 1, 3]))
}

fn key(key: PrivateKey) -> (Option<Format>, Result<Parsed, FileError>) {
    let parsed = Parsed {
        keys: vec![key],
        ..Parsed::default()
    };
    (Some(Format::Der), Ok(parsed))
}

/// The bytes after the outer SEQUENCE's header, definite or indefinite length.
fn first_inner(bytes: &[u8]) -> Option<&[u8]> {
    let (&first, rest) = bytes.split_first()?;
    if first != tag::SEQUENCE {
        return None;
    }
    let (&len, rest) = rest.split_first()?;
    match len {
        0..=0x80 => Some(rest),
        0x81..=0x84 => rest.get(usize::from(len & 0x7f)..),
        _ => None,
    }
}
