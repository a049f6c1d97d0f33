//! OCSP (RFC 6960): the request for one certificate, the responder URLs it names, and the
//! verification of a response: structure, signer, the matching answer and its freshness.

use super::{
    cert_and_issuer, check_fresh, reason_name, same_serial, verify, PairError, RevocationStatus,
    Stale,
};
use crate::der::{self, tag, DerError, Reader};
use ring::digest;
use std::fmt;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::X509Certificate;

/// Responses above this size are refused unread: real ones are a few KiB.
pub const MAX_RESPONSE: usize = 1 << 20;

/// Certificates a response may carry; a delegated responder needs one.
const MAX_CERTS: usize = 16;

const SHA1: [u64; 6] = [1, 3, 14, 3, 2, 26];
const OCSP_BASIC: &str = "1.3.6.1.5.5.7.48.1.1";
const AIA_OCSP: &str = "1.3.6.1.5.5.7.48.1";

/// What a verified response says about one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspAnswer {
    /// What the responder says about the certificate.
    pub status: RevocationStatus,
    /// Unix seconds; `next_update` bounds how long the answer may be cached.
    pub this_update: i64,
    /// nextUpdate, Unix seconds: the answer may be used until then.
    pub next_update: Option<i64>,
    /// producedAt, Unix seconds.
    pub produced_at: i64,
}

/// Why an OCSP response gives no answer about the certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OcspError {
    /// Larger than [`MAX_RESPONSE`]; its size.
    TooLarge(usize),
    /// The certificate or its issuer cannot be used.
    Pair(PairError),
    /// Not the DER of a successful basic response.
    Malformed(MalformedResponse),
    /// The responder answered with an error status (RFC 6960 section 4.2.1).
    Unsuccessful(u32),
    /// Signed neither by the issuer nor by a delegated responder it certified.
    NotSigned,
    /// No SingleResponse is about the certificate.
    NoAnswer,
    /// The answer about the certificate is not current.
    Stale(Stale),
}

impl fmt::Display for OcspError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OcspError::TooLarge(size) => write!(
                f,
                "OCSP response is too large ({size} bytes, at most {MAX_RESPONSE})"
            ),
            OcspError::Pair(e) => e.fmt(f),
            OcspError::Malformed(e) => write!(f, "malformed OCSP response: {e}"),
            OcspError::Unsuccessful(status) => write!(
                f,
                "OCSP responder answered {} ({status})",
                status_name(*status)
            ),
            OcspError::NotSigned => {
                f.write_str("OCSP response is not signed by the issuer or a delegated responder")
            }
            OcspError::NoAnswer => {
                f.write_str("no response for this certificate in the OCSP response")
            }
            OcspError::Stale(stale) => stale.write("OCSP response", f),
        }
    }
}

impl std::error::Error for OcspError {}

impl From<PairError> for OcspError {
    fn from(e: PairError) -> OcspError {
        OcspError::Pair(e)
    }
}

/// What is wrong with the structure of an OCSP response; the texts follow "malformed OCSP
/// response: ".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MalformedResponse {
    /// The DER itself.
    Der(DerError),
    /// Status successful, but no responseBytes.
    NoResponseBytes,
    /// A responseType other than id-pkix-ocsp-basic; the OID as received.
    ResponseType(String),
    /// A signature BIT STRING with unused bits.
    UnusedBits,
    /// More certificates than [`MAX_CERTS`].
    TooManyCertificates,
    /// A ResponseData version other than v1; the version number (v1 is 1).
    Version(u32),
    /// A responderID that is neither byName nor byKey; its tag.
    ResponderIdTag(u8),
    /// A certStatus that is none of good, revoked, unknown; its tag.
    CertStatusTag(u8),
}

impl fmt::Display for MalformedResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MalformedResponse::Der(e) => e.fmt(f),
            MalformedResponse::NoResponseBytes => {
                f.write_str("a successful response without responseBytes")
            }
            MalformedResponse::ResponseType(oid) => write!(
                f,
                "response type {} is not id-pkix-ocsp-basic",
                crate::text::cut(oid, 60)
            ),
            MalformedResponse::UnusedBits => f.write_str("signature BIT STRING with unused bits"),
            MalformedResponse::TooManyCertificates => {
                write!(f, "more than {MAX_CERTS} certificates")
            }
            MalformedResponse::Version(number) => {
                write!(f, "unknown ResponseData version {number}")
            }
            MalformedResponse::ResponderIdTag(tag) => write!(f, "bad responderID tag 0x{tag:02x}"),
            MalformedResponse::CertStatusTag(tag) => write!(f, "bad certStatus (tag 0x{tag:02x})"),
        }
    }
}

impl std::error::Error for MalformedResponse {}

impl From<DerError> for MalformedResponse {
    fn from(e: DerError) -> MalformedResponse {
        MalformedResponse::Der(e)
    }
}

/// DER OCSPRequest for `cert_der` issued by `issuer_der` (CertID with SHA-1 of issuer name and
/// key, as every responder supports), no nonce: responders answer from caches anyway, and a
/// nonce would make GET requests uncacheable.
pub fn request(cert_der: &[u8], issuer_der: &[u8]) -> Result<Vec<u8>, PairError> {
    let cert_id = cert_id(cert_der, issuer_der)?;
    let one_request = der::sequence(&[cert_id]);
    let tbs_request = der::sequence(&[der::sequence(&[one_request])]);
    Ok(der::sequence(&[tbs_request]))
}

/// The DER CertID (SHA-1) naming `cert_der`: what a request asks about and a response answers.
pub fn cert_id(cert_der: &[u8], issuer_der: &[u8]) -> Result<Vec<u8>, PairError> {
    let (cert, issuer) = cert_and_issuer(cert_der, issuer_der)?;
    let sha1 = &digest::SHA1_FOR_LEGACY_USE_ONLY;
    Ok(der::sequence(&[
        der::sequence(&[der::oid(&SHA1), der::null()]),
        der::octet_string(name_hash(sha1, &issuer).as_ref()),
        der::octet_string(key_hash(sha1, &issuer).as_ref()),
        der::tlv(tag::INTEGER, cert.raw_serial()),
    ]))
}

/// The OCSP responder URLs (http only) from the certificate's Authority Information Access.
pub fn responder_urls(cert_der: &[u8]) -> Vec<String> {
    let Ok(cert) = super::parse_cert(cert_der, "certificate") else {
        return Vec::new();
    };
    let mut urls: Vec<String> = Vec::new();
    for ext in cert.extensions() {
        let ParsedExtension::AuthorityInfoAccess(aia) = ext.parsed_extension() else {
            continue;
        };
        for desc in aia.iter() {
            if desc.access_method.to_id_string() != AIA_OCSP {
                continue;
            }
            if let GeneralName::URI(uri) = &desc.access_location {
                if super::is_http(uri) && !urls.iter().any(|u| u == uri) {
                    urls.push((*uri).to_string());
                }
            }
        }
    }
    urls
}

/// Parses and verifies a DER OCSPResponse for `cert_der`/`issuer_der` at `now`.
///
/// The response must be successful and of type id-pkix-ocsp-basic, signed by the issuer's key
/// or by a delegated responder certificate it carries (issued by the issuer, EKU
/// id-kp-OCSPSigning, valid now), hold a SingleResponse whose CertID matches, and be fresh:
/// thisUpdate <= now + 5 min, nextUpdate (if present) >= now - 5 min.
pub fn verify_response(
    response_der: &[u8],
    cert_der: &[u8],
    issuer_der: &[u8],
    now: i64,
) -> Result<OcspAnswer, OcspError> {
    if response_der.len() > MAX_RESPONSE {
        return Err(OcspError::TooLarge(response_der.len()));
    }
    let (cert, issuer) = cert_and_issuer(cert_der, issuer_der)?;
    let (status, response_bytes) = parse_outer(response_der).map_err(OcspError::Malformed)?;
    if status != 0 {
        return Err(OcspError::Unsuccessful(status));
    }
    let basic = response_bytes
        .ok_or(MalformedResponse::NoResponseBytes)
        .and_then(parse_response_bytes)
        .map_err(OcspError::Malformed)?;
    if !signed_by_issuer_or_delegate(&basic, &issuer, now) {
        return Err(OcspError::NotSigned);
    }
    let single = basic
        .responses
        .iter()
        .find(|single| single.is_for(&cert, &issuer))
        .ok_or(OcspError::NoAnswer)?;
    check_fresh(single.this_update, single.next_update, now).map_err(OcspError::Stale)?;
    Ok(OcspAnswer {
        status: single.status.clone(),
        this_update: single.this_update,
        next_update: single.next_update,
        produced_at: basic.produced_at,
    })
}

/// A BasicOCSPResponse, parsed but not yet trusted.
struct Basic<'a> {
    tbs: &'a [u8],
    produced_at: i64,
    responses: Vec<Single<'a>>,
    signature_oid: String,
    signature: &'a [u8],
    certs: Vec<&'a [u8]>,
}

/// One SingleResponse.
struct Single<'a> {
    hash_oid: String,
    name_hash: &'a [u8],
    key_hash: &'a [u8],
    serial: &'a [u8],
    status: RevocationStatus,
    this_update: i64,
    next_update: Option<i64>,
}

impl Single<'_> {
    /// Whether the CertID names `cert`, with whichever hash the responder chose.
    fn is_for(&self, cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
        let alg = match self.hash_oid.as_str() {
            "1.3.14.3.2.26" => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            "2.16.840.1.101.3.4.2.1" => &digest::SHA256,
            "2.16.840.1.101.3.4.2.2" => &digest::SHA384,
            "2.16.840.1.101.3.4.2.3" => &digest::SHA512,
            _ => return false,
        };
        same_serial(self.serial, cert.raw_serial())
            && name_hash(alg, issuer).as_ref() == self.name_hash
            && key_hash(alg, issuer).as_ref() == self.key_hash
    }
}

fn name_hash(alg: &'static digest::Algorithm, issuer: &X509Certificate<'_>) -> digest::Digest {
    digest::digest(alg, issuer.subject().as_raw())
}

/// Hash of the issuer's subjectPublicKey BIT STRING value, without tag, length and unused bits.
fn key_hash(alg: &'static digest::Algorithm, issuer: &X509Certificate<'_>) -> digest::Digest {
    digest::digest(alg, issuer.public_key().subject_public_key.data.as_ref())
}

/// OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT OPTIONAL }
fn parse_outer(bytes: &[u8]) -> Result<(u32, Option<&[u8]>), MalformedResponse> {
    let mut outer = Reader::new(bytes);
    let mut response = outer.sequence("OCSPResponse")?;
    outer.expect_empty("OCSPResponse")?;
    let status = der::small_integer(response.expect(tag::ENUMERATED, "responseStatus")?)?;
    let response_bytes = response.optional(tag::context(0), "responseBytes")?;
    response.expect_empty("responseBytes")?;
    Ok((status, response_bytes))
}

/// ResponseBytes ::= SEQUENCE { responseType OID, response OCTET STRING }
fn parse_response_bytes(response_bytes: &[u8]) -> Result<Basic<'_>, MalformedResponse> {
    let mut wrapper = Reader::new(response_bytes);
    let mut response_bytes = wrapper.sequence("ResponseBytes")?;
    wrapper.expect_empty("ResponseBytes")?;
    let response_type = der::oid_text(response_bytes.expect(tag::OID, "responseType")?)?;
    if response_type != OCSP_BASIC {
        return Err(MalformedResponse::ResponseType(response_type));
    }
    let basic = response_bytes.expect(tag::OCTET_STRING, "response")?;
    response_bytes.expect_empty("response")?;
    parse_basic(basic)
}

/// BasicOCSPResponse ::= SEQUENCE { tbsResponseData, signatureAlgorithm, signature BIT STRING,
/// certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
fn parse_basic(bytes: &[u8]) -> Result<Basic<'_>, MalformedResponse> {
    let mut outer = Reader::new(bytes);
    let mut basic = outer.sequence("BasicOCSPResponse")?;
    outer.expect_empty("BasicOCSPResponse")?;
    let tbs = basic.expect_tlv(tag::SEQUENCE, "tbsResponseData")?;
    let mut algorithm = basic.sequence("signatureAlgorithm")?;
    let signature_oid = der::oid_text(algorithm.expect(tag::OID, "signature algorithm")?)?;
    let signature = match basic.expect(tag::BIT_STRING, "signature")? {
        [0, signature @ ..] => signature,
        _ => return Err(MalformedResponse::UnusedBits),
    };
    let mut certs = Vec::new();
    if let Some(wrapped) = basic.optional(tag::context(0), "certs")? {
        let mut wrapper = Reader::new(wrapped);
        let mut list = wrapper.sequence("certs")?;
        wrapper.expect_empty("certs")?;
        while !list.is_empty() {
            if certs.len() == MAX_CERTS {
                return Err(MalformedResponse::TooManyCertificates);
            }
            certs.push(list.expect_tlv(tag::SEQUENCE, "certificate")?.raw);
        }
    }
    basic.expect_empty("BasicOCSPResponse")?;
    let (produced_at, responses) = parse_response_data(tbs.value)?;
    Ok(Basic {
        tbs: tbs.raw,
        produced_at,
        responses,
        signature_oid,
        signature,
        certs,
    })
}

/// ResponseData ::= SEQUENCE { version [0] DEFAULT v1, responderID, producedAt,
/// responses SEQUENCE OF SingleResponse, responseExtensions [1] OPTIONAL }
fn parse_response_data(bytes: &[u8]) -> Result<(i64, Vec<Single<'_>>), MalformedResponse> {
    let mut data = Reader::new(bytes);
    if let Some(version) = data.optional(tag::context(0), "version")? {
        let mut version = Reader::new(version);
        let number = der::small_integer(version.expect(tag::INTEGER, "version")?)?;
        version.expect_empty("version")?;
        if number != 0 {
            return Err(MalformedResponse::Version(number.saturating_add(1)));
        }
    }
    let responder = data.tlv()?;
    if responder.tag != tag::context(1) && responder.tag != tag::context(2) {
        return Err(MalformedResponse::ResponderIdTag(responder.tag));
    }
    let produced_at =
        der::parse_generalized_time(data.expect(tag::GENERALIZED_TIME, "producedAt")?)?;
    let mut list = data.sequence("responses")?;
    let mut responses = Vec::new();
    while !list.is_empty() {
        responses.push(parse_single(list.sequence("SingleResponse")?)?);
    }
    data.optional(tag::context(1), "responseExtensions")?;
    data.expect_empty("ResponseData")?;
    Ok((produced_at, responses))
}

/// SingleResponse ::= SEQUENCE { certID, certStatus, thisUpdate, nextUpdate [0] OPTIONAL,
/// singleExtensions [1] OPTIONAL }
fn parse_single(mut single: Reader<'_>) -> Result<Single<'_>, MalformedResponse> {
    let mut cert_id = single.sequence("CertID")?;
    let mut algorithm = cert_id.sequence("hashAlgorithm")?;
    let hash_oid = der::oid_text(algorithm.expect(tag::OID, "hash algorithm")?)?;
    let name_hash = cert_id.expect(tag::OCTET_STRING, "issuerNameHash")?;
    let key_hash = cert_id.expect(tag::OCTET_STRING, "issuerKeyHash")?;
    let serial = cert_id.expect(tag::INTEGER, "serialNumber")?;
    cert_id.expect_empty("CertID")?;
    let status = parse_status(single.tlv()?)?;
    let this_update =
        der::parse_generalized_time(single.expect(tag::GENERALIZED_TIME, "thisUpdate")?)?;
    let next_update = match single.optional(tag::context(0), "nextUpdate")? {
        Some(wrapped) => {
            let mut wrapped = Reader::new(wrapped);
            let time = wrapped.expect(tag::GENERALIZED_TIME, "nextUpdate")?;
            wrapped.expect_empty("nextUpdate")?;
            Some(der::parse_generalized_time(time)?)
        }
        None => None,
    };
    single.optional(tag::context(1), "singleExtensions")?;
    single.expect_empty("SingleResponse")?;
    Ok(Single {
        hash_oid,
        name_hash,
        key_hash,
        serial,
        status,
        this_update,
        next_update,
    })
}

/// CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo,
/// unknown [2] IMPLICIT NULL }
fn parse_status(choice: der::Tlv<'_>) -> Result<RevocationStatus, MalformedResponse> {
    const GOOD: u8 = tag::context_primitive(0);
    const REVOKED: u8 = tag::context(1);
    const UNKNOWN: u8 = tag::context_primitive(2);
    match (choice.tag, choice.value) {
        (GOOD, []) => Ok(RevocationStatus::Good),
        (UNKNOWN, []) => Ok(RevocationStatus::Unknown),
        (REVOKED, info) => {
            let mut info = Reader::new(info);
            let time = info.expect(tag::GENERALIZED_TIME, "revocationTime")?;
            let revoked_at = der::parse_generalized_time(time)?;
            let reason = match info.optional(tag::context(0), "revocationReason")? {
                Some(wrapped) => {
                    let mut wrapped = Reader::new(wrapped);
                    let code = der::small_integer(wrapped.expect(tag::ENUMERATED, "CRLReason")?)?;
                    wrapped.expect_empty("CRLReason")?;
                    Some(reason_name(code))
                }
                None => None,
            };
            info.expect_empty("RevokedInfo")?;
            Ok(RevocationStatus::Revoked { revoked_at, reason })
        }
        (tag, _) => Err(MalformedResponse::CertStatusTag(tag)),
    }
}

fn status_name(status: u32) -> &'static str {
    match status {
        1 => "malformedRequest",
        2 => "internalError",
        3 => "tryLater",
        5 => "sigRequired",
        6 => "unauthorized",
        _ => "an unknown status",
    }
}

/// RFC 6960 §4.2.2.2: the issuer itself, or a certificate it issued for OCSP signing.
fn signed_by_issuer_or_delegate(basic: &Basic<'_>, issuer: &X509Certificate<'_>, now: i64) -> bool {
    let signed_by = |cert: &X509Certificate<'_>| {
        verify(
            &basic.signature_oid,
            cert.public_key(),
            basic.tbs,
            basic.signature,
        )
    };
    signed_by(issuer)
        || basic.certs.iter().any(|der| {
            super::parse_cert(der, "responder certificate")
                .is_ok_and(|delegate| is_delegate(&delegate, issuer, now) && signed_by(&delegate))
        })
}

/// Issued by `issuer`, for OCSP signing, and valid at `now`.
fn is_delegate(delegate: &X509Certificate<'_>, issuer: &X509Certificate<'_>, now: i64) -> bool {
    let ocsp_signing = matches!(
        delegate.extended_key_usage(),
        Ok(Some(eku)) if eku.value.ocsp_signing
    );
    let validity = delegate.validity();
    let current = validity.not_before.timestamp() <= now.saturating_add(super::CLOCK_SKEW)
        && validity.not_after.timestamp() >= now.saturating_sub(super::CLOCK_SKEW);
    ocsp_signing
        && current
        && delegate.issuer().as_raw() == issuer.subject().as_raw()
        && verify(
            &delegate.signature_algorithm.algorithm.to_id_string(),
            issuer.public_key(),
            delegate.tbs_certificate.as_ref(),
            delegate.signature_value.data.as_ref(),
        )
}

#[cfg(test)]
mod tests;
