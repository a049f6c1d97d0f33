//! Completing an incomplete chain (`--fetch-intermediates`): follow the caIssuers URL of the
//! last certificate the server sent, and of each certificate fetched, up to a trust anchor
//! or a few steps, through the [`Fetch`] door. The trust check decides whether it helped.

use super::CertFacts;
use crate::budget::Budget;
use crate::der::Reader;
use crate::fetch::{Fetch, Kind, Origin, Request};
use std::net::IpAddr;

/// Issuer certificates are small; a bundle of a few is under this.
const MAX_ISSUER_FILE: usize = 256 * 1024;
/// Steps up the chain at most (intermediate, cross-certificate, ...).
const MAX_STEPS: usize = 3;

/// A certificate fetched from an AIA URL.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL it came from.
    pub url: String,
    /// The certificate, DER.
    pub der: Vec<u8>,
}

/// Fetches the issuers of `last` (the top of the chain as sent), walking up while each fetched
/// certificate names a further caIssuers URL and is not self-signed. Returns what was fetched
/// and the errors met (one line each).
pub fn fetch_issuers(
    last: &CertFacts,
    fetcher: &dyn Fetch,
    server: Option<IpAddr>,
    budget: &Budget,
) -> (Vec<Fetched>, Vec<String>) {
    let (mut fetched, mut errors) = (Vec::new(), Vec::new());
    let mut urls = last.ca_issuers.clone();
    for _ in 0..MAX_STEPS {
        let Some(url) = urls.iter().find(|u| is_http(u)).cloned() else {
            if urls.is_empty() && fetched.is_empty() {
                errors.push(format!(
                    "'{}' names no caIssuers URL to fetch its issuer from",
                    last.display_name()
                ));
            }
            break;
        };
        let certs = match fetch_one(&url, fetcher, server, budget) {
            Ok(certs) => certs,
            Err(e) => {
                errors.push(e);
                break;
            }
        };
        let next = certs
            .iter()
            .filter_map(|der| CertFacts::parse(der).ok())
            .find(|f| !f.self_signed);
        fetched.extend(certs.into_iter().map(|der| Fetched {
            url: url.clone(),
            der,
        }));
        match next {
            Some(facts) => urls = facts.ca_issuers,
            None => break,
        }
    }
    (fetched, errors)
}

fn fetch_one(
    url: &str,
    fetcher: &dyn Fetch,
    server: Option<IpAddr>,
    budget: &Budget,
) -> Result<Vec<Vec<u8>>, String> {
    let request = Request {
        kind: Kind::Issuer,
        url,
        post: None,
        limit: MAX_ISSUER_FILE,
        near: server,
    };
    let body = fetcher.fetch(&request, budget).map_err(|e| e.to_string())?;
    match certificates(&body.bytes) {
        Ok(certs) => Ok(certs),
        Err(e) => {
            fetcher.reject(&request, &body);
            if body.origin == Origin::Cache {
                let fresh = fetcher.fetch(&request, budget).map_err(|e| e.to_string())?;
                certificates(&fresh.bytes)
                    .map_err(|e| format!("{}: {e}", crate::text::visible(url)))
            } else {
                Err(format!("{}: {e}", crate::text::visible(url)))
            }
        }
    }
}

/// `http://` in any case: the scheme is case-insensitive (RFC 3986).
fn is_http(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
}

/// The certificates in an issuer file: DER, PEM, or a PKCS#7 certs-only bundle (`.p7c`).
pub fn certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if bytes.starts_with(b"-----BEGIN") {
        let ders = crate::analysis::trust::pem_certificates(bytes);
        return if ders.is_empty() {
            Err("no certificate in the PEM file".into())
        } else {
            Ok(ders)
        };
    }
    if CertFacts::parse(bytes).is_ok() {
        return Ok(vec![bytes.to_vec()]);
    }
    pkcs7_certificates(bytes)
        .map_err(|e| format!("neither a certificate nor a PKCS#7 bundle ({e})"))
}

/// ContentInfo { signedData OID, [0] SignedData { version, digestAlgorithms, encapContentInfo,
/// [0] certificates, ... } }: the certificates.
fn pkcs7_certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    const SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
    let mut outer = Reader::new(bytes);
    let mut info = Reader::new(outer.expect(0x30, "ContentInfo")?);
    if info.expect(0x06, "contentType")? != SIGNED_DATA {
        return Err("not PKCS#7 signedData".into());
    }
    let mut explicit = Reader::new(info.expect(0xa0, "content")?);
    let mut signed = Reader::new(explicit.expect(0x30, "SignedData")?);
    signed.expect(0x02, "version")?;
    signed.expect(0x31, "digestAlgorithms")?;
    signed.expect(0x30, "encapContentInfo")?;
    let mut set = Reader::new(signed.expect(0xa0, "certificates")?);
    let mut certs = Vec::new();
    while !set.is_empty() {
        let tlv = set.tlv()?;
        if tlv.tag == 0x30 {
            certs.push(tlv.raw.to_vec());
        }
    }
    if certs.is_empty() {
        return Err("the bundle holds no certificate".into());
    }
    Ok(certs)
}
