//! CRLs (RFC 5280 §5) through x509-parser: where a certificate says its CRL is, and what a
//! verified, current, complete CRL says about the certificate.

use super::{
    cert_and_issuer, check_fresh, reason_name, same_serial, verify, PairError, RevocationStatus,
    Stale, Unreadable,
};
use std::fmt;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::revocation_list::CertificateRevocationList;

/// CRLs above this size are refused: the largest public CRLs are a few tens of MiB.
pub const MAX_CRL: usize = 64 << 20;

/// What a verified CRL says about one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlAnswer {
    /// `Good` or `Revoked`: a CRL that covers the certificate always knows.
    pub status: RevocationStatus,
    /// Unix seconds: how long the CRL may be cached.
    pub next_update: Option<i64>,
}

/// Why a CRL says nothing usable about the certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrlError {
    /// Larger than [`MAX_CRL`]; its size.
    TooLarge(usize),
    /// The certificate or its issuer cannot be used.
    Pair(PairError),
    /// The CRL cannot be parsed.
    Unreadable(Unreadable),
    /// Issued by another name than the certificate's issuer.
    WrongIssuer {
        /// The CRL's issuer, as received.
        crl_issuer: String,
        /// The certificate's issuer, as received.
        issuer: String,
    },
    /// The issuer's keyUsage leaves out cRLSign.
    IssuerMayNotSign,
    /// The issuer's keyUsage extension cannot be read.
    IssuerKeyUsageUnreadable,
    /// The signature algorithm inside and outside the signed part differ.
    SignatureAlgorithmsDiffer,
    /// The signature is not the issuer's.
    NotSigned,
    /// The CRL is not current.
    Stale(Stale),
    /// A delta CRL: not a complete list.
    Delta,
    /// An indirect CRL: entries may be for other issuers.
    Indirect,
    /// A CRL for some revocation reasons only.
    SomeReasons,
    /// A CRL scoped to CA, end-entity or attribute certificates, and this is another kind.
    OtherKind,
    /// An extension that cannot be parsed; its OID.
    UnreadableExtension(String),
    /// A critical extension not understood here; its OID.
    UnsupportedCritical(String),
}

impl fmt::Display for CrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CrlError::TooLarge(size) => {
                write!(f, "CRL is too large ({size} bytes, at most {MAX_CRL})")
            }
            CrlError::Pair(e) => e.fmt(f),
            CrlError::Unreadable(e) => write!(f, "malformed CRL: {e}"),
            CrlError::WrongIssuer { crl_issuer, issuer } => write!(
                f,
                "CRL is issued by '{}', not by the certificate's issuer '{}'",
                super::shown(crl_issuer),
                super::shown(issuer)
            ),
            CrlError::IssuerMayNotSign => {
                f.write_str("the issuer's keyUsage does not allow signing CRLs")
            }
            CrlError::IssuerKeyUsageUnreadable => {
                f.write_str("cannot read the issuer's keyUsage: the extension is malformed")
            }
            CrlError::SignatureAlgorithmsDiffer => {
                f.write_str("malformed CRL: the two signature algorithms differ")
            }
            CrlError::NotSigned => f.write_str("CRL is not signed by the issuer"),
            CrlError::Stale(stale) => stale.write("CRL", f),
            CrlError::Delta => f.write_str("delta CRLs are not supported"),
            CrlError::Indirect => f.write_str("indirect CRLs are not supported"),
            CrlError::SomeReasons => f.write_str("the CRL covers only some revocation reasons"),
            CrlError::OtherKind => f.write_str("the CRL does not cover this kind of certificate"),
            CrlError::UnreadableExtension(oid) => write!(
                f,
                "malformed CRL: extension {} cannot be read",
                crate::text::cut(oid, 60)
            ),
            CrlError::UnsupportedCritical(oid) => write!(
                f,
                "the CRL has an unsupported critical extension {}",
                crate::text::cut(oid, 60)
            ),
        }
    }
}

impl std::error::Error for CrlError {}

impl From<PairError> for CrlError {
    fn from(e: PairError) -> CrlError {
        CrlError::Pair(e)
    }
}

/// The CRL distribution point URLs (http only) of a certificate. Points that name a separate
/// CRL issuer (indirect CRLs) are left out: [`check`] cannot use their CRLs.
pub fn distribution_points(cert_der: &[u8]) -> Vec<String> {
    let Ok(cert) = super::parse_cert(cert_der, "certificate") else {
        return Vec::new();
    };
    let mut urls: Vec<String> = Vec::new();
    for ext in cert.extensions() {
        let ParsedExtension::CRLDistributionPoints(points) = ext.parsed_extension() else {
            continue;
        };
        for point in points.iter().filter(|p| p.crl_issuer.is_none()) {
            let Some(DistributionPointName::FullName(names)) = &point.distribution_point else {
                continue;
            };
            for name in names {
                if let GeneralName::URI(uri) = name {
                    if super::is_http(uri) && !urls.iter().any(|u| u == uri) {
                        urls.push((*uri).to_string());
                    }
                }
            }
        }
    }
    urls
}

/// Verifies a DER CRL (issued and signed by the certificate's issuer, thisUpdate <= now + 5
/// min, nextUpdate >= now - 5 min if present, complete for the certificate) and looks up the
/// certificate's serial.
pub fn check(
    crl_der: &[u8],
    cert_der: &[u8],
    issuer_der: &[u8],
    now: i64,
) -> Result<CrlAnswer, CrlError> {
    if crl_der.len() > MAX_CRL {
        return Err(CrlError::TooLarge(crl_der.len()));
    }
    let (cert, issuer) = cert_and_issuer(cert_der, issuer_der)?;
    let crl = match CertificateRevocationList::from_der(crl_der) {
        Ok(([], crl)) => crl,
        Ok(_) => return Err(CrlError::Unreadable(Unreadable::TrailingBytes)),
        Err(e) => return Err(CrlError::Unreadable(Unreadable::from_x509(&e))),
    };
    let tbs = &crl.tbs_cert_list;
    if tbs.issuer.as_raw() != issuer.subject().as_raw() {
        return Err(CrlError::WrongIssuer {
            crl_issuer: tbs.issuer.to_string(),
            issuer: issuer.subject().to_string(),
        });
    }
    may_sign_crls(&issuer)?;
    let alg = crl.signature_algorithm.algorithm.to_id_string();
    if tbs.signature.algorithm.to_id_string() != alg {
        return Err(CrlError::SignatureAlgorithmsDiffer);
    }
    if !verify(
        &alg,
        issuer.public_key(),
        tbs.as_ref(),
        crl.signature_value.data.as_ref(),
    ) {
        return Err(CrlError::NotSigned);
    }
    let next_update = crl.next_update().map(|t| t.timestamp());
    check_fresh(crl.last_update().timestamp(), next_update, now).map_err(CrlError::Stale)?;
    covers(&crl, &cert)?;
    Ok(CrlAnswer {
        status: lookup(&crl, &cert),
        next_update,
    })
}

/// A keyUsage extension, when present, must allow cRLSign (RFC 5280 §4.2.1.3).
fn may_sign_crls(issuer: &X509Certificate<'_>) -> Result<(), CrlError> {
    match issuer.key_usage() {
        Ok(Some(usage)) if !usage.value.crl_sign() => Err(CrlError::IssuerMayNotSign),
        Ok(_) => Ok(()),
        Err(_) => Err(CrlError::IssuerKeyUsageUnreadable),
    }
}

/// Refuses CRLs whose "not listed" would not mean "not revoked": deltas, indirect and partial
/// CRLs, ones scoped away from this kind of certificate, and any critical extension we do not
/// understand.
fn covers(crl: &CertificateRevocationList<'_>, cert: &X509Certificate<'_>) -> Result<(), CrlError> {
    for ext in crl.extensions() {
        let oid = ext.oid.to_id_string();
        match (oid.as_str(), ext.parsed_extension()) {
            ("2.5.29.27", _) => return Err(CrlError::Delta),
            (_, ParsedExtension::IssuingDistributionPoint(idp)) => {
                if idp.indirect_crl {
                    return Err(CrlError::Indirect);
                }
                if idp.only_some_reasons.is_some() {
                    return Err(CrlError::SomeReasons);
                }
                if idp.only_contains_attribute_certs
                    || (idp.only_contains_ca_certs && !cert.is_ca())
                    || (idp.only_contains_user_certs && cert.is_ca())
                {
                    return Err(CrlError::OtherKind);
                }
            }
            (_, ParsedExtension::ParseError { .. }) => {
                return Err(CrlError::UnreadableExtension(oid));
            }
            ("2.5.29.35" | "2.5.29.20" | "2.5.29.18" | "2.5.29.46", _) => {}
            _ if ext.critical => return Err(CrlError::UnsupportedCritical(oid)),
            _ => {}
        }
    }
    Ok(())
}

/// Revoked if listed. removeFromCRL only belongs in delta CRLs; in a full CRL it means the
/// certificate is not (or no longer) revoked.
fn lookup(crl: &CertificateRevocationList<'_>, cert: &X509Certificate<'_>) -> RevocationStatus {
    let entry = crl
        .iter_revoked_certificates()
        .find(|entry| same_serial(entry.raw_serial(), cert.raw_serial()));
    let Some(entry) = entry else {
        return RevocationStatus::Good;
    };
    let code = entry.reason_code().map(|(_, code)| u32::from(code.0));
    if code == Some(8) {
        return RevocationStatus::Good;
    }
    RevocationStatus::Revoked {
        revoked_at: entry.revocation_date.timestamp(),
        reason: code.map(reason_name),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{der_of, CA, CRL, LEAF};
    use super::*;

    /// The fixture CRL: thisUpdate 2026-11-25 12:20:04, nextUpdate 2026-12-25 12:20:04.
    const THIS_UPDATE: i64 = 1_795_609_204;
    const NEXT_UPDATE: i64 = 1_798_201_204;
    const NOW: i64 = THIS_UPDATE + 86_400;

    #[test]
    fn an_openssl_crl_lists_the_leaf_as_revoked() {
        let answer = check(&der_of(CRL), &der_of(LEAF), &der_of(CA), NOW).unwrap();
        assert_eq!(
            answer,
            CrlAnswer {
                status: RevocationStatus::Revoked {
                    revoked_at: 1_735_787_045,
                    reason: Some("keyCompromise".into())
                },
                next_update: Some(NEXT_UPDATE),
            }
        );
        // The CA itself (self-issued) is not listed.
        let answer = check(&der_of(CRL), &der_of(CA), &der_of(CA), NOW).unwrap();
        assert_eq!(answer.status, RevocationStatus::Good);
    }

    #[test]
    fn stale_early_and_tampered_crls_are_refused() {
        let check_at = |crl: &[u8], now| check(crl, &der_of(LEAF), &der_of(CA), now);
        assert_eq!(
            check_at(&der_of(CRL), NEXT_UPDATE + 301),
            Err(CrlError::Stale(Stale::Expired(NEXT_UPDATE)))
        );
        assert_eq!(
            check_at(&der_of(CRL), NEXT_UPDATE + 301)
                .unwrap_err()
                .to_string(),
            "CRL expired on 2026-12-25 12:20:04 UTC"
        );
        assert_eq!(
            check_at(&der_of(CRL), THIS_UPDATE - 301)
                .unwrap_err()
                .to_string(),
            "CRL is not valid yet: it was issued for 2026-11-25 12:20:04 UTC"
        );
        let mut tampered = der_of(CRL);
        let at = tampered
            .windows(13)
            .position(|w| w == b"250102030405Z")
            .unwrap();
        tampered[at + 11] = b'6';
        assert_eq!(
            check_at(&tampered, NOW).unwrap_err().to_string(),
            "CRL is not signed by the issuer"
        );
        let crl = der_of(CRL);
        for len in 0..crl.len() {
            assert!(check_at(&crl[..len], NOW).is_err(), "prefix of {len} bytes");
        }
        let mut trailing = crl.clone();
        trailing.push(0);
        assert_eq!(
            check_at(&trailing, NOW).unwrap_err().to_string(),
            "malformed CRL: trailing bytes"
        );
        assert_eq!(
            check_at(&vec![0; MAX_CRL + 1], NOW),
            Err(CrlError::TooLarge(MAX_CRL + 1))
        );
        assert_eq!(
            check_at(&vec![0; MAX_CRL + 1], NOW)
                .unwrap_err()
                .to_string(),
            "CRL is too large (67108865 bytes, at most 67108864)"
        );
    }

    #[test]
    fn distribution_points_are_the_http_uris() {
        assert_eq!(
            distribution_points(&der_of(LEAF)),
            ["http://crl.example.test/ca.crl"]
        );
        assert!(distribution_points(&der_of(CA)).is_empty());
        assert!(distribution_points(&[]).is_empty());
    }

    #[test]
    fn a_foreign_issuer_is_named_on_one_short_line() {
        // Found by the crl fuzzer: the CRL's issuer name was quoted raw, control characters too.
        let mut crl = der_of(CRL);
        let at = crl.windows(10).position(|w| w == b"Fixture CA").unwrap();
        crl[at + 7] = b'\n';
        assert_eq!(
            check(&crl, &der_of(LEAF), &der_of(CA), NOW)
                .unwrap_err()
                .to_string(),
            "CRL is issued by 'CN=Fixture\\nCA', not by the certificate's issuer 'CN=Fixture CA'"
        );
    }
}
