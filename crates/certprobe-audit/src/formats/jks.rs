//! Java keystores, JKS (magic 0xFEEDFEED) and JCEKS (0xCECECECE), read by one bounds-checked
//! cursor: every length is checked against what is left before it is used, and counts from
//! the file never size an allocation. Certificates (trusted certificate entries, the chains
//! of private key entries) are stored in the clear, so no password is needed to list them.
//! With a password, the store's SHA-1 integrity digest is checked:
//! SHA1(password as UTF-16BE || "Mighty Aphrodite" || every byte before the digest).
//!
//! Layout (sun.security.provider.JavaKeyStore): magic, version (1 or 2), entry count, then
//! per entry a tag (1 private key, 2 trusted certificate, 3 JCEKS secret key), the alias
//! (Java modified UTF-8 with a 16-bit length), a 64-bit date, and for a private key the
//! protected key (32-bit length) and the chain (count, then certificates); a certificate is
//! its type (version 2: "X.509") and its DER with a 32-bit length. The 20-byte digest ends
//! the file. A JKS private key is opened with the store password when one is given
//! (`jks_key.rs`) and then matched to its chain; otherwise its leaf says `InStore`.

use super::{cert, Cert, Parsed};
use crate::error::{FileError, NotFound, Store};
use crate::{Format, Note, Secret};

const JKS_MAGIC: u32 = 0xfeed_feed;
const JCEKS_MAGIC: u32 = 0xcece_cece;
const DIGEST_LEN: usize = 20;
const WHITENER: &[u8] = b"Mighty Aphrodite";

/// JKS or JCEKS by the magic.
pub(crate) fn detect(bytes: &[u8]) -> Option<Format> {
    match bytes
        .get(..4)
        .map(|m| u32::from_be_bytes([m[0], m[1], m[2], m[3]]))
    {
        Some(JKS_MAGIC) => Some(Format::Jks),
        Some(JCEKS_MAGIC) => Some(Format::Jceks),
        _ => None,
    }
}

pub(crate) fn parse(
    bytes: &[u8],
    format: Format,
    password: Option<&Secret>,
) -> Result<Parsed, FileError> {
    let name = format.description();
    let corrupt = |detail: String| FileError::corrupt(name, detail);
    let mut cursor = Cursor { bytes, pos: 0 };
    cursor.u32("the magic").map_err(corrupt)?;
    let version = cursor.u32("the version").map_err(corrupt)?;
    if version != 1 && version != 2 {
        return Err(FileError::Unsupported(format!(
            "a {name} of version {version} (1 and 2 are read)"
        )));
    }
    let count = cursor.u32("the entry count").map_err(corrupt)?;
    let mut parsed = Parsed::default();
    let mut stopped = false;
    for index in 1..=count {
        let entry = format!("entry {index}");
        let start = cursor.pos;
        if bytes.len().saturating_sub(start) <= DIGEST_LEN {
            return Err(corrupt(format!(
                "at byte {start}: the entry count says {count}, but the integrity digest follows entry {}",
                index - 1
            )));
        }
        let kind = cursor
            .u32(&format!("the tag of {entry}"))
            .map_err(corrupt)?;
        let alias = cursor
            .utf(&format!("the alias of {entry}"))
            .map_err(corrupt)?;
        cursor
            .take(8, &format!("the date of {entry}"))
            .map_err(corrupt)?;
        match kind {
            1 => {
                let len = cursor
                    .u32(&format!("the key length of {entry}"))
                    .map_err(corrupt)?;
                let protected = cursor
                    .take_len(len, &format!("the private key of {entry}"))
                    .map_err(corrupt)?;
                // JKS keys open with the store password (JCEKS keys use 3DES: not here).
                let opened = match (format, password.and_then(Secret::text)) {
                    (Format::Jks, Some(text)) => super::jks_key::open(protected, text),
                    _ => None,
                };
                let in_store = opened.is_none();
                match opened {
                    Some(pkcs8) => parsed.keys.push(crate::keys::PrivateKey::Pkcs8(pkcs8)),
                    None => parsed.unreadable_keys += 1,
                }
                let chain = cursor
                    .u32(&format!("the chain length of {entry}"))
                    .map_err(corrupt)?;
                for link in 1..=chain {
                    let what = format!("certificate {link} of the chain of {entry}");
                    if let Some(der) = cursor.certificate(version, &what, name)? {
                        parsed.certs.push(Cert {
                            der,
                            alias: Some(alias.clone()),
                            key_in_store: in_store && link == 1,
                        });
                    }
                }
            }
            2 => {
                let what = format!("the certificate of {entry}");
                if let Some(der) = cursor.certificate(version, &what, name)? {
                    parsed.certs.push(Cert {
                        der,
                        alias: Some(alias),
                        key_in_store: false,
                    });
                }
            }
            3 if format == Format::Jceks => {
                // A Java serialized SealedObject: no length to skip it by.
                parsed.notes.push(Note::StoppedAtSecretKey(alias));
                stopped = true;
                break;
            }
            other => {
                return Err(corrupt(format!(
                    "at byte {start}: {entry} has the unknown tag {other}"
                )))
            }
        }
    }
    let left = bytes.len().saturating_sub(cursor.pos);
    if !stopped && left != DIGEST_LEN {
        return Err(corrupt(if left < DIGEST_LEN {
            format!(
                "at byte {}: the file ends inside the integrity digest",
                cursor.pos
            )
        } else {
            format!(
                "at byte {}: {} bytes follow the last entry, where the 20-byte integrity digest should end the file",
                cursor.pos, left
            )
        }));
    }
    parsed.notes.insert(0, integrity(bytes, password)?);
    if parsed.certs.is_empty() && parsed.keys.is_empty() && parsed.unreadable_keys == 0 && !stopped
    {
        return Err(FileError::NoCertificate(NotFound::EmptyContainer(format)));
    }
    Ok(parsed)
}

/// The integrity digest against the password, when one is given.
fn integrity(bytes: &[u8], password: Option<&Secret>) -> Result<Note, FileError> {
    let Some(secret) = password else {
        return Ok(Note::IntegrityNotVerified);
    };
    let text = secret.text().ok_or(FileError::PasswordNotText)?;
    let split = bytes
        .len()
        .checked_sub(DIGEST_LEN)
        .ok_or(FileError::corrupt("keystore", "no integrity digest"))?;
    let (body, digest) = bytes.split_at(split);
    let mut context = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    context.update(&utf16);
    context.update(WHITENER);
    context.update(body);
    if context.finish().as_ref() == digest {
        Ok(Note::IntegrityVerified)
    } else {
        Err(FileError::BadPassword(Store::JavaKeystore))
    }
}

/// A position in the store and the bytes; every read checks what is left first.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], String> {
        let left = self.bytes.len().saturating_sub(self.pos);
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.bytes.len());
        match end.and_then(|end| self.bytes.get(self.pos..end).map(|s| (s, end))) {
            Some((slice, end)) => {
                self.pos = end;
                Ok(slice)
            }
            None if left == 0 => Err(format!("at byte {}: the file ends before {what}", self.pos)),
            None => Err(format!(
                "at byte {}: {what} needs {len} bytes, only {left} left",
                self.pos
            )),
        }
    }

    /// A length read from the file, used only after it is checked against what is left.
    fn take_len(&mut self, len: u32, what: &str) -> Result<&'a [u8], String> {
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let at = self.pos;
        let left = self.bytes.len().saturating_sub(self.pos);
        if len > left {
            return Err(format!(
                "at byte {at}: {what} claims {len} bytes, only {left} left"
            ));
        }
        self.take(len, what)
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Java's writeUTF: a 16-bit length and modified UTF-8, made visible.
    fn utf(&mut self, what: &str) -> Result<String, String> {
        let b = self.take(2, what)?;
        let len = u16::from_be_bytes([b[0], b[1]]);
        let text = self.take_len(u32::from(len), what)?;
        Ok(certprobe::text::quote_bytes(text, 200))
    }

    /// One certificate; `None` for a type other than X.509 (skipped by its length).
    fn certificate(
        &mut self,
        version: u32,
        what: &str,
        format: &'static str,
    ) -> Result<Option<Vec<u8>>, FileError> {
        let corrupt = |detail: String| FileError::corrupt(format, detail);
        let kind = if version == 2 {
            self.utf(&format!("the type of {what}")).map_err(corrupt)?
        } else {
            "X.509".to_string()
        };
        let len = self
            .u32(&format!("the length of {what}"))
            .map_err(corrupt)?;
        let at = self.pos;
        let der = self.take_len(len, what).map_err(corrupt)?;
        if kind != "X.509" {
            return Ok(None);
        }
        cert::check(der, format, &format!("{what} at byte {at}"))?;
        Ok(Some(der.to_vec()))
    }
}
