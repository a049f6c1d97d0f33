//! Completing an incomplete chain (`--fetch-intermediates`): follow the caIssuers URL of the
//! last certificate the server sent, and of each certificate fetched, up to a trust anchor
//! or a few steps, through the [`Fetch`] door. The trust check decides whether it helped.

use super::CertFacts;
use crate::budget::Budget;
use crate::der::{DerError, Reader};
use crate::fetch::{Fetch, FetchError, Kind, Origin, Request};
use std::fmt;
use std::net::IpAddr;

/// Issuer certificates are small; a bundle of a few is under this.
const MAX_ISSUER_FILE: usize = 256 * 1024;
/// Steps up the chain at most (intermediate, cross-certificate, ...).
const MAX_STEPS: usize = 3;

/// Why one caIssuers URL gave no certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AiaError {
    /// Nothing was fetched.
    Fetch(FetchError),
    /// What was fetched holds no usable certificate.
    Unusable {
        /// The URL, as the certificate names it.
        url: String,
        /// What is wrong with the file.
        error: IssuerFileError,
    },
}

impl fmt::Display for AiaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AiaError::Fetch(e) => e.fmt(f),
            AiaError::Unusable { url, error } => {
                write!(f, "{}: {error}", crate::text::visible(url))
            }
        }
    }
}

impl std::error::Error for AiaError {}

/// Why an issuer file (DER, PEM or PKCS#7) holds no certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerFileError {
    /// PEM without a CERTIFICATE block.
    NoPemCertificate,
    /// Neither a DER certificate nor a PKCS#7 bundle; why not a bundle.
    Unrecognised(Pkcs7Error),
}

impl fmt::Display for IssuerFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssuerFileError::NoPemCertificate => f.write_str("no certificate in the PEM file"),
            IssuerFileError::Unrecognised(e) => {
                write!(f, "neither a certificate nor a PKCS#7 bundle ({e})")
            }
        }
    }
}

impl std::error::Error for IssuerFileError {}

/// Why bytes are not a PKCS#7 certs-only bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pkcs7Error {
    /// The DER itself.
    Der(DerError),
    /// A ContentInfo of another type than signedData.
    NotSignedData,
    /// A bundle without certificates.
    Empty,
}

impl fmt::Display for Pkcs7Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pkcs7Error::Der(e) => e.fmt(f),
            Pkcs7Error::NotSignedData => f.write_str("not PKCS#7 signedData"),
            Pkcs7Error::Empty => f.write_str("the bundle holds no certificate"),
        }
    }
}

impl std::error::Error for Pkcs7Error {}

impl From<DerError> for Pkcs7Error {
    fn from(e: DerError) -> Pkcs7Error {
        Pkcs7Error::Der(e)
    }
}

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
                errors.push(e.to_string());
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
) -> Result<Vec<Vec<u8>>, AiaError> {
    let request = Request {
        kind: Kind::Issuer,
        url,
        post: None,
        limit: MAX_ISSUER_FILE,
        near: server,
    };
    let unusable = |error| AiaError::Unusable {
        url: url.to_string(),
        error,
    };
    let body = fetcher.fetch(&request, budget).map_err(AiaError::Fetch)?;
    match certificates(&body.bytes) {
        Ok(certs) => Ok(certs),
        Err(e) => {
            fetcher.reject(&request, &body);
            if body.origin == Origin::Cache {
                let fresh = fetcher.fetch(&request, budget).map_err(AiaError::Fetch)?;
                certificates(&fresh.bytes).map_err(unusable)
            } else {
                Err(unusable(e))
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
pub fn certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, IssuerFileError> {
    if bytes.starts_with(b"-----BEGIN") {
        let ders = crate::analysis::trust::pem_certificates(bytes);
        return if ders.is_empty() {
            Err(IssuerFileError::NoPemCertificate)
        } else {
            Ok(ders)
        };
    }
    if CertFacts::parse(bytes).is_ok() {
        return Ok(vec![bytes.to_vec()]);
    }
    pkcs7_certificates(bytes).map_err(IssuerFileError::Unrecognised)
}

/// ContentInfo { signedData OID, [0] SignedData { version, digestAlgorithms, encapContentInfo,
/// [0] certificates, ... } }: the certificates.
fn pkcs7_certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, Pkcs7Error> {
    const SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
    let mut outer = Reader::new(bytes);
    let mut info = Reader::new(outer.expect(0x30, "ContentInfo")?);
    if info.expect(0x06, "contentType")? != SIGNED_DATA {
        return Err(Pkcs7Error::NotSignedData);
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
        return Err(Pkcs7Error::Empty);
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der;

    /// ContentInfo { contentType `oid`, [0] SignedData { version, {}, {}, [0] `certs` } }.
    fn bundle(oid: &[u64], certs: &[Vec<u8>]) -> Vec<u8> {
        let signed = der::sequence(&[
            der::integer(1),
            der::tlv(0x31, &[]),
            der::sequence(&[]),
            der::explicit(0, &certs.concat()),
        ]);
        der::sequence(&[der::oid(oid), der::explicit(0, &signed)])
    }

    const SIGNED_DATA: [u64; 7] = [1, 2, 840, 113549, 1, 7, 2];

    #[test]
    fn issuer_files_that_hold_no_certificate_say_why() {
        let cases: [(&[u8], IssuerFileError, &str); 4] = [
            (
                b"-----BEGIN PKCS7-----\n-----END PKCS7-----\n",
                IssuerFileError::NoPemCertificate,
                "no certificate in the PEM file",
            ),
            (
                b"hello",
                IssuerFileError::Unrecognised(Pkcs7Error::Der(DerError::WrongTag {
                    what: "ContentInfo".into(),
                    expected: 0x30,
                    found: 0x68,
                })),
                "neither a certificate nor a PKCS#7 bundle (expected ContentInfo (tag 0x30), found tag 0x68)",
            ),
            (
                &bundle(&[1, 2, 840, 113549, 1, 7, 1], &[]),
                IssuerFileError::Unrecognised(Pkcs7Error::NotSignedData),
                "neither a certificate nor a PKCS#7 bundle (not PKCS#7 signedData)",
            ),
            (
                &bundle(&SIGNED_DATA, &[]),
                IssuerFileError::Unrecognised(Pkcs7Error::Empty),
                "neither a certificate nor a PKCS#7 bundle (the bundle holds no certificate)",
            ),
        ];
        for (bytes, error, text) in cases {
            let got = certificates(bytes).unwrap_err();
            assert_eq!(got, error);
            assert_eq!(got.to_string(), text);
        }
    }

    #[test]
    fn a_bundle_gives_its_certificates() {
        let certs = [der::sequence(&[der::null()]), der::sequence(&[])];
        assert_eq!(
            certificates(&bundle(&SIGNED_DATA, &certs)).unwrap(),
            certs.to_vec()
        );
    }

    #[test]
    fn an_unusable_file_is_named_by_its_url() {
        let e = AiaError::Unusable {
            url: "http://ca.example/\r\nx.p7c".into(),
            error: IssuerFileError::NoPemCertificate,
        };
        assert_eq!(
            e.to_string(),
            "http://ca.example/\\r\\nx.p7c: no certificate in the PEM file"
        );
    }
}
