//! PKCS#7 / CMS SignedData certificate bundles (`.p7b`, `.p7c`, `openssl crl2pkcs7`):
//! ContentInfo { signedData, [0] SignedData { version, digestAlgorithms, encapContentInfo,
//! [0] IMPLICIT certificates OPTIONAL, ... } }, read with the engine's strict DER reader.

use super::cert;
use certprobe::der::{self, tag, Reader};

/// The certificates of a bundle (none is not an error here), or in words why not.
pub(crate) fn certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let fail = |e: der::DerError| e.to_string();
    let mut outer = Reader::new(bytes);
    let mut info = outer.sequence("ContentInfo").map_err(fail)?;
    if !outer.is_empty() {
        return Err("bytes follow the ContentInfo".into());
    }
    let oid = info.expect(tag::OID, "contentType").map_err(fail)?;
    if oid != is_signed_data_oid().as_slice() {
        let name = der::oid_text(oid).unwrap_or_else(|_| "unknown".into());
        return Err(format!("the content type is {name}, not SignedData"));
    }
    let mut explicit = Reader::new(info.expect(tag::context(0), "content").map_err(fail)?);
    let mut signed = explicit.sequence("SignedData").map_err(fail)?;
    signed.expect(tag::INTEGER, "version").map_err(fail)?;
    signed.expect(0x31, "digestAlgorithms").map_err(fail)?;
    signed
        .expect(tag::SEQUENCE, "encapContentInfo")
        .map_err(fail)?;
    let Some(set) = signed
        .optional(tag::context(0), "certificates")
        .map_err(fail)?
    else {
        return Ok(Vec::new());
    };
    let mut set = Reader::new(set);
    let mut certs = Vec::new();
    while !set.is_empty() {
        let element = set
            .tlv()
            .map_err(|e| format!("certificate {}: {e}", certs.len() + 1))?;
        // Other choices ([0] extended, [1] v1 attribute certificates...) are not X.509.
        if element.tag == tag::SEQUENCE {
            let place = format!("certificate {}", certs.len() + 1);
            cert::check(element.raw, "PKCS#7 bundle", &place).map_err(|e| match e {
                crate::FileError::Corrupt { detail, .. } => detail,
                other => other.to_string(),
            })?;
            certs.push(element.raw.to_vec());
        }
    }
    Ok(certs)
}

/// 1.2.840.113549.1.7.2.
pub(crate) fn is_signed_data_oid() -> Vec<u8> {
    der::oid_content(&[1, 2, 840, 113549, 1, 7, 2])
}
