//! PEM (RFC 7468) read line by line over bytes (a file need not be UTF-8): certificates,
//! PKCS#7 bundles and private keys, with any text between the blocks (openssl's "Bag
//! Attributes" and "subject=" lines). Blocks of other labels (CRLs, parameters, requests)
//! are passed over.

use super::{cert, pkcs7, Cert, Parsed};
use crate::error::{FileError, NotFound};
use crate::keys::PrivateKey;
use crate::{Format, Note};

const BEGIN: &[u8] = b"-----BEGIN ";
const FORMAT: &str = "PEM file";

/// A PEM file has a BEGIN line somewhere (text may come before it).
pub(crate) fn detect(bytes: &[u8]) -> bool {
    bytes.windows(BEGIN.len()).any(|w| w == BEGIN)
}

/// One block: its label, the line of its BEGIN, its decoded bytes, and whether its headers
/// say it is encrypted (`Proc-Type: 4,ENCRYPTED`).
struct Block {
    label: String,
    line: usize,
    der: Vec<u8>,
    encrypted: bool,
}

pub(crate) fn parse(bytes: &[u8]) -> (Option<Format>, Result<Parsed, FileError>) {
    let blocks = match blocks(bytes) {
        Ok(blocks) => blocks,
        Err(e) => return (Some(Format::Pem), Err(e)),
    };
    let mut parsed = Parsed::default();
    let (mut pem_certs, mut bundles, mut encrypted) = (0, 0, 0);
    for block in blocks {
        let place = format!("the {} block on line {}", block.label, block.line);
        match block.label.as_str() {
            "CERTIFICATE" | "X509 CERTIFICATE" => {
                if let Err(e) = cert::check(&block.der, FORMAT, &place) {
                    return (Some(Format::Pem), Err(e));
                }
                pem_certs += 1;
                parsed.certs.push(Cert::plain(block.der));
            }
            // openssl's certificate followed by its trust settings: the first element.
            "TRUSTED CERTIFICATE" => {
                let first = certprobe::der::Reader::new(&block.der)
                    .tlv()
                    .map(|t| t.raw.to_vec());
                let der = match first {
                    Ok(der) => der,
                    Err(e) => {
                        return (
                            Some(Format::Pem),
                            Err(FileError::corrupt(FORMAT, format!("{place}: {e}"))),
                        )
                    }
                };
                if let Err(e) = cert::check(&der, FORMAT, &place) {
                    return (Some(Format::Pem), Err(e));
                }
                pem_certs += 1;
                parsed.certs.push(Cert::plain(der));
            }
            "PKCS7" | "CERTIFICATE CHAIN" => match pkcs7::certificates(&block.der) {
                Ok(certs) => {
                    bundles += 1;
                    parsed.certs.extend(certs.into_iter().map(Cert::plain));
                }
                Err(detail) => {
                    return (
                        Some(Format::Pkcs7),
                        Err(FileError::corrupt(
                            "PKCS#7 bundle",
                            format!("{place}: {detail}"),
                        )),
                    )
                }
            },
            "ENCRYPTED PRIVATE KEY" => encrypted += 1,
            "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" if block.encrypted => {
                encrypted += 1
            }
            "PRIVATE KEY" => parsed.keys.push(PrivateKey::Pkcs8(block.der)),
            "RSA PRIVATE KEY" => parsed.keys.push(PrivateKey::Rsa(block.der)),
            "EC PRIVATE KEY" => parsed.keys.push(PrivateKey::Sec1(block.der)),
            _ => {}
        }
    }
    if encrypted > 0 {
        parsed.unreadable_keys = encrypted;
        parsed.notes.push(Note::EncryptedKeys(encrypted));
    }
    let format = if bundles > 0 && pem_certs == 0 {
        Format::Pkcs7
    } else {
        Format::Pem
    };
    if parsed.certs.is_empty() && parsed.keys.is_empty() && encrypted == 0 {
        let why = if bundles > 0 {
            NotFound::EmptyContainer(Format::Pkcs7)
        } else {
            NotFound::PemWithoutCertificate
        };
        return (Some(format), Err(FileError::NoCertificate(why)));
    }
    (Some(format), Ok(parsed))
}

/// Every BEGIN ... END block; a block without its END line or with bad base64 is an error
/// that names the line.
fn blocks(bytes: &[u8]) -> Result<Vec<Block>, FileError> {
    let mut out = Vec::new();
    let mut open: Option<(Block, String)> = None;
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = trim(raw);
        let number = index + 1;
        match open.as_mut() {
            None => {
                if let Some(label) = marker(line, BEGIN) {
                    let block = Block {
                        label: certprobe::text::quote_bytes(label, 60),
                        line: number,
                        der: Vec::new(),
                        encrypted: false,
                    };
                    open = Some((block, String::new()));
                }
            }
            Some((block, body)) => {
                if let Some(label) = marker(line, b"-----END ") {
                    if certprobe::text::quote_bytes(label, 60) != block.label {
                        return Err(FileError::corrupt(
                            FORMAT,
                            format!(
                                "the {} block on line {} ends with another label on line {number}",
                                block.label, block.line
                            ),
                        ));
                    }
                    let Some(der) = certprobe::encoding::unbase64(body) else {
                        return Err(FileError::corrupt(
                            FORMAT,
                            format!(
                                "the {} block on line {} is not valid base64",
                                block.label, block.line
                            ),
                        ));
                    };
                    if let Some((mut block, _)) = open.take() {
                        block.der = der;
                        out.push(block);
                    }
                } else if line.contains(&b':') {
                    // RFC 1421 headers of a legacy encrypted key.
                    if line.starts_with(b"Proc-Type:") && line.ends_with(b"ENCRYPTED") {
                        block.encrypted = true;
                    }
                } else {
                    match std::str::from_utf8(line) {
                        Ok(text) => body.push_str(text),
                        Err(_) => body.push('!'),
                    }
                }
            }
        }
    }
    if let Some((block, _)) = open {
        return Err(FileError::corrupt(
            FORMAT,
            format!(
                "the {} block on line {} has no END line",
                block.label, block.line
            ),
        ));
    }
    Ok(out)
}

/// The label of `-----BEGIN LABEL-----` (or END).
fn marker<'a>(line: &'a [u8], start: &[u8]) -> Option<&'a [u8]> {
    line.strip_prefix(start)?.strip_suffix(b"-----")
}

fn trim(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    line.get(start..end).unwrap_or_default()
}
