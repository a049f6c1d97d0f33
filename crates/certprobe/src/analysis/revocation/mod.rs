//! Revocation building blocks: OCSP (RFC 6960) and CRLs (RFC 5280) as pure functions of DER
//! and a clock. Fetching, caching and policy live elsewhere; these only say what a signed
//! answer means for one certificate, and refuse answers that are forged, stale or malformed.

pub mod crl;
pub mod lookup;
pub mod ocsp;

pub use lookup::RevocationReport;

pub use crl::{CrlAnswer, CrlError};
pub use lookup::SourceError;
pub use ocsp::{OcspAnswer, OcspError};

use super::certificate::CertError;
use crate::clock::format_utc;
use serde::Serialize;
use std::fmt;
use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo, X509Certificate};

/// Revocation status of one certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum RevocationStatus {
    /// Not revoked.
    Good,
    /// Revoked, since when and why.
    Revoked {
        /// Unix seconds.
        revoked_at: i64,
        /// RFC 5280 reason name (`keyCompromise`), when the answer gives one.
        reason: Option<String>,
    },
    /// The responder does not know the certificate (OCSP only).
    Unknown,
}

/// Clock difference tolerated on thisUpdate and nextUpdate: responders and checkers rarely
/// agree to the second.
pub const CLOCK_SKEW: i64 = 300;

/// The RFC 5280 name of a CRLReason code.
pub fn reason_name(code: u32) -> String {
    let name = match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        other => return format!("reason {other}"),
    };
    name.to_string()
}

/// An answer outside its validity period (give or take [`CLOCK_SKEW`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// thisUpdate lies in the future; Unix seconds.
    NotYetValid(i64),
    /// nextUpdate lies in the past; Unix seconds.
    Expired(i64),
}

impl Stale {
    /// The sentence for the answer named `what`: `OCSP response`, `CRL`.
    fn write(self, what: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stale::NotYetValid(this_update) => write!(
                f,
                "{what} is not valid yet: it was issued for {}",
                format_utc(this_update)
            ),
            Stale::Expired(next_update) => {
                write!(f, "{what} expired on {}", format_utc(next_update))
            }
        }
    }
}

/// thisUpdate must not lie in the future and nextUpdate (if any) not in the past, give or
/// take [`CLOCK_SKEW`].
fn check_fresh(this_update: i64, next_update: Option<i64>, now: i64) -> Result<(), Stale> {
    if this_update > now.saturating_add(CLOCK_SKEW) {
        return Err(Stale::NotYetValid(this_update));
    }
    match next_update {
        Some(next) if next < now.saturating_sub(CLOCK_SKEW) => Err(Stale::Expired(next)),
        _ => Ok(()),
    }
}

/// Why DER handed in (a certificate, a CRL) cannot be read, in the words that follow
/// "cannot parse the certificate: " or "malformed CRL: ".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// Bytes after the end of the structure.
    TrailingBytes,
    /// x509-parser's error, in words.
    Encoding(CertError),
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreadable::TrailingBytes => f.write_str("trailing bytes"),
            Unreadable::Encoding(CertError::Truncated) => {
                f.write_str("its DER encoding is truncated")
            }
            Unreadable::Encoding(CertError::Malformed(part)) => {
                write!(f, "its {part} is malformed")
            }
            Unreadable::Encoding(CertError::NotACertificate) => {
                f.write_str("it is not DER of the expected kind")
            }
        }
    }
}

impl std::error::Error for Unreadable {}

impl Unreadable {
    fn from_x509(e: &x509_parser::nom::Err<x509_parser::error::X509Error>) -> Unreadable {
        Unreadable::Encoding(CertError::from_x509(e))
    }
}

/// Why the certificate and the issuer handed in cannot be checked against an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairError {
    /// One of the two cannot be parsed.
    Unparsable {
        /// Which one: `certificate`, `issuer certificate`.
        what: &'static str,
        /// Why.
        why: Unreadable,
    },
    /// The issuer's subject is not the certificate's issuer name.
    NotTheIssuer {
        /// The claimed issuer's subject, as received.
        issuer: String,
        /// The issuer the certificate names, as received.
        named: String,
    },
}

impl fmt::Display for PairError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PairError::Unparsable { what, why } => write!(f, "cannot parse the {what}: {why}"),
            PairError::NotTheIssuer { issuer, named } => write!(
                f,
                "'{}' is not the issuer of the certificate (its issuer is '{}')",
                shown(issuer),
                shown(named)
            ),
        }
    }
}

impl std::error::Error for PairError {}

/// Parses a certificate the caller handed in; trailing bytes are refused.
fn parse_cert<'a>(der: &'a [u8], what: &'static str) -> Result<X509Certificate<'a>, PairError> {
    let unparsable = |why| PairError::Unparsable { what, why };
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err(unparsable(Unreadable::TrailingBytes)),
        Err(e) => Err(unparsable(Unreadable::from_x509(&e))),
    }
}

/// The certificate and the issuer the caller claims for it, with the names checked: an answer
/// about the wrong issuer would otherwise look like "unknown" or a forged signature.
fn cert_and_issuer<'a>(
    cert_der: &'a [u8],
    issuer_der: &'a [u8],
) -> Result<(X509Certificate<'a>, X509Certificate<'a>), PairError> {
    let cert = parse_cert(cert_der, "certificate")?;
    let issuer = parse_cert(issuer_der, "issuer certificate")?;
    if cert.issuer().as_raw() != issuer.subject().as_raw() {
        return Err(PairError::NotTheIssuer {
            issuer: issuer.subject().to_string(),
            named: cert.issuer().to_string(),
        });
    }
    Ok((cert, issuer))
}

/// Text from a certificate or CRL, visible and at most 200 characters.
fn shown(text: &str) -> String {
    crate::text::quote(text, 200)
}

/// Only plain http URLs are fetched: a responder or CRL host behind TLS would itself need
/// revocation checking, and LDAP is not spoken here.
fn is_http(uri: &str) -> bool {
    uri.get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
}

/// Serial numbers compared as integers: leading zero bytes do not count.
fn same_serial(a: &[u8], b: &[u8]) -> bool {
    let strip = |s: &[u8]| -> Vec<u8> { s.iter().copied().skip_while(|&x| x == 0).collect() };
    strip(a) == strip(b)
}

/// Whether `key` made `signature` over `message` with the algorithm named by `alg_oid`.
/// RSA PKCS#1 with SHA-1/256/384/512 (legacy sizes included: this is about who signed, not
/// about strength), RSASSA-PSS, ECDSA P-256/P-384 with SHA-256/384, Ed25519. Anything else
/// is `false`: an answer we cannot check is an answer we cannot use.
fn verify(alg_oid: &str, key: &SubjectPublicKeyInfo<'_>, message: &[u8], signature: &[u8]) -> bool {
    crate::analysis::signature::verify_raw(alg_oid, key, message, signature) == Some(true)
}

/// Made with openssl (see the test names): a P-256 CA, a leaf it issued with serial
/// 00C0FFEE01 naming OCSP and CRL URLs, openssl's request for it (-no_nonce) and a response
/// from `openssl ocsp -index` saying revoked (keyCompromise), and a CRL.
#[cfg(test)]
mod fixtures {
    pub fn der_of(base64: &str) -> Vec<u8> {
        crate::encoding::unbase64(base64).unwrap_or_default()
    }

    pub const CA: &str = "
MIIBjzCCATWgAwIBAgIUJmsipPgBCEJ9EZs7/vjZamwLMeIwCgYIKoZIzj0EAwIwFTETMBEGA1UEAwwKRml4dHVy
ZSBDQTAeFw0yNjExMjUxMjE5MjJaFw0zNjExMjIxMjE5MjJaMBUxEzARBgNVBAMMCkZpeHR1cmUgQ0EwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAAQTD8bYi2IqPHk8VQywreXCMDQlLFgjDd89OWA0IGPPNFNfZCG1IoRHU2MeQplO
QYRlxUpY3QYLdoap8BSVtyk7o2MwYTAdBgNVHQ4EFgQU+gc9ugTOmiUzgNHkcN38cP5VoCUwHwYDVR0jBBgwFoAU
+gc9ugTOmiUzgNHkcN38cP5VoCUwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAYYwCgYIKoZIzj0EAwID
SAAwRQIgSlamBnBU5NcxLBvaPsdGFpjDWhazCQ3AAjBUWoGBavICIQDZwEnWNEyz4v6Fe10boTrNycY6c715LiZN
nLIILageAw==";

    pub const LEAF: &str = "
MIICkDCCAjagAwIBAgIFAMD/7gEwCgYIKoZIzj0EAwIwFTETMBEGA1UEAwwKRml4dHVyZSBDQTAeFw0yNjExMjUx
MjE5MjJaFw0zNjExMjIxMjE5MjJaMBcxFTATBgNVBAMMDGxlYWYuZXhhbXBsZTBZMBMGByqGSM49AgEGCCqGSM49
AwEHA0IABLieFlhHDJHekZeuKDFHu8MCDBuhofcXLdNVu11PNNXLJtcSYnI953j0TegAeC9VeQtJQPp1RaX07mDG
8pVtZumjggFvMIIBazCBuAYIKwYBBQUHAQEEgaswgagwJQYIKwYBBQUHMAGGGWh0dHA6Ly9vY3NwLmV4YW1wbGUu
dGVzdC8wLQYIKwYBBQUHMAGGIWh0dHBzOi8vc2VjdXJlLW9jc3AuZXhhbXBsZS50ZXN0LzApBggrBgEFBQcwAoYd
aHR0cDovL2NhLmV4YW1wbGUudGVzdC9jYS5kZXIwJQYIKwYBBQUHMAGGGUhUVFA6Ly9vY3NwMi5leGFtcGxlLnRl
c3QwVQYDVR0fBE4wTDAkoCKgIIYeaHR0cDovL2NybC5leGFtcGxlLnRlc3QvY2EuY3JsMCSgIqAghh5sZGFwOi8v
bGRhcC5leGFtcGxlLnRlc3QvY249Y2EwFwYDVR0RBBAwDoIMbGVhZi5leGFtcGxlMB0GA1UdDgQWBBQeDXXX4vP1
ykFPUD0uOm6+c5t9sjAfBgNVHSMEGDAWgBT6Bz26BM6aJTOA0eRw3fxw/lWgJTAKBggqhkjOPQQDAgNIADBFAiBx
YbpHHpUez48Dc1+lhIQgb/CmQgSgmadvD3ku85QVqwIhAJTA1ZLk2WKxoivBayYr1j6wt7G1L6iPNXD/9YQLbrBa";

    pub const LEAF_REQUEST: &str = "
MEYwRDBCMEAwPjAJBgUrDgMCGgUABBSJ465Q+wTx8PVHNaGlP9h+poqrKAQU+gc9ugTOmiUzgNHkcN38cP5VoCUC
BQDA/+4B";

    pub const LEAF_RESPONSE: &str = "
MIICvQoBAKCCArYwggKyBgkrBgEFBQcwAQEEggKjMIICnzCBqqEXMBUxEzARBgNVBAMMCkZpeHR1cmUgQ0EYDzIw
MjYxMTI1MTIxOTIyWjB+MHwwPjAJBgUrDgMCGgUABBSJ465Q+wTx8PVHNaGlP9h+poqrKAQU+gc9ugTOmiUzgNHk
cN38cP5VoCUCBQDA/+4BoRYYDzIwMjUwMTAyMDMwNDA1WqADCgEBGA8yMDI2MTEyNTEyMTkyMlqgERgPMjAyNjEy
MDIxMjE5MjJaMAoGCCqGSM49BAMCA0kAMEYCIQCb+26pwWzJSYoMHI4hzU95gzV/jp+hBr5JshbITuZjGwIhAIfP
LAB5ULRN0iqf+coBpvIzg3Cn5C14z8+OMEiOxBhgoIIBlzCCAZMwggGPMIIBNaADAgECAhQmayKk+AEIQn0Rmzv+
+NlqbAsx4jAKBggqhkjOPQQDAjAVMRMwEQYDVQQDDApGaXh0dXJlIENBMB4XDTI2MTEyNTEyMTkyMloXDTM2MTEy
MjEyMTkyMlowFTETMBEGA1UEAwwKRml4dHVyZSBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABBMPxtiLYio8
eTxVDLCt5cIwNCUsWCMN3z05YDQgY880U19kIbUihEdTYx5CmU5BhGXFSljdBgt2hqnwFJW3KTujYzBhMB0GA1Ud
DgQWBBT6Bz26BM6aJTOA0eRw3fxw/lWgJTAfBgNVHSMEGDAWgBT6Bz26BM6aJTOA0eRw3fxw/lWgJTAPBgNVHRMB
Af8EBTADAQH/MA4GA1UdDwEB/wQEAwIBhjAKBggqhkjOPQQDAgNIADBFAiBKVqYGcFTk1zEsG9o+x0YWmMNaFrMJ
DcACMFRagYFq8gIhANnASdY0TLPi/oV7XRuhOs3JxjpzvXkuJk2csggtqB4D";

    /// `openssl ca -gencrl` by the CA, listing the leaf (keyCompromise), valid 30 days.
    pub const CRL: &str = "
MIH2MIGdAgEBMAoGCCqGSM49BAMCMBUxEzARBgNVBAMMCkZpeHR1cmUgQ0EXDTI2MTEyNTEyMjAwNFoXDTI2MTIy
NTEyMjAwNFowJjAkAgUAwP/uARcNMjUwMTAyMDMwNDA1WjAMMAoGA1UdFQQDCgEBoC8wLTAfBgNVHSMEGDAWgBT6
Bz26BM6aJTOA0eRw3fxw/lWgJTAKBgNVHRQEAwIBATAKBggqhkjOPQQDAgNIADBFAiAhQU6CyPMSS3bkFob4okQg
/3iA1TdqYKMvKsPBvVqIfQIhALqboSCa/XsiTcVqIzuzHwiZBifd3m9TbMRTNSrqUDE2";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_serialises_with_a_tag() {
        let revoked = RevocationStatus::Revoked {
            revoked_at: 1_700_000_000,
            reason: Some(reason_name(1)),
        };
        assert_eq!(
            serde_json::to_string(&revoked).unwrap(),
            r#"{"status":"revoked","revoked_at":1700000000,"reason":"keyCompromise"}"#
        );
        assert_eq!(
            serde_json::to_string(&RevocationStatus::Good).unwrap(),
            r#"{"status":"good"}"#
        );
        assert_eq!(reason_name(7), "reason 7");
    }

    #[test]
    fn freshness_allows_five_minutes_of_skew() {
        let now = 1_800_000_000;
        assert_eq!(check_fresh(now + 300, Some(now + 3600), now), Ok(()));
        assert_eq!(check_fresh(now - 3600, Some(now - 300), now), Ok(()));
        assert_eq!(check_fresh(now - 3600, None, now), Ok(()));
        assert_eq!(
            check_fresh(now - 3600, Some(now - 301), now),
            Err(Stale::Expired(now - 301))
        );
        assert_eq!(
            check_fresh(now + 301, None, now),
            Err(Stale::NotYetValid(now + 301))
        );
    }

    #[test]
    fn unreadable_input_is_named() {
        assert_eq!(
            parse_cert(b"", "issuer certificate")
                .unwrap_err()
                .to_string(),
            "cannot parse the issuer certificate: its DER encoding is truncated"
        );
        let mut trailing = fixtures::der_of(fixtures::CA);
        trailing.push(0);
        assert_eq!(
            parse_cert(&trailing, "certificate").unwrap_err(),
            PairError::Unparsable {
                what: "certificate",
                why: Unreadable::TrailingBytes
            }
        );
        assert_eq!(
            cert_and_issuer(
                &fixtures::der_of(fixtures::CA),
                &fixtures::der_of(fixtures::LEAF)
            )
            .unwrap_err(),
            PairError::NotTheIssuer {
                issuer: "CN=leaf.example".into(),
                named: "CN=Fixture CA".into()
            }
        );
    }

    #[test]
    fn serials_compare_as_integers() {
        assert!(same_serial(&[0, 0x91, 1], &[0x91, 1]));
        assert!(!same_serial(&[0x91, 1], &[0x91, 1, 0]));
    }
}
