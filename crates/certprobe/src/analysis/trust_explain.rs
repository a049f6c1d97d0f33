//! webpki's refusals as the cause an admin acts on, in words: and which of them are not a
//! refusal at all but a limit of the verifier (dates before 1970, certificates over 64 KiB,
//! encodings it does not read), which make trust unknown rather than refused.

use super::certificate::CertFacts;
use crate::clock::format_utc;

/// What a verification failure means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The chain is not trusted; why.
    Untrusted(String),
    /// The verifier could not handle the chain; what it could not handle.
    Unverifiable(String),
}

/// Maps webpki's error to the cause an admin can act on.
pub fn explain(e: &webpki::Error, ders: &[Vec<u8>], facts: &[CertFacts], now: i64) -> Cause {
    use webpki::Error as E;
    let label = |i: usize| format!("chain element {} ('{}')", i + 1, facts[i].display_name());
    let why: String = match e {
        E::CertExpired { .. } => match facts.iter().position(|f| f.not_after < now) {
            Some(i) => format!("expired element: {} expired on {}", label(i), format_utc(facts[i].not_after)),
            None => "expired element in the chain".into(),
        },
        E::CertNotValidYet { .. } => match facts.iter().position(|f| f.not_before > now) {
            Some(i) => format!("element not yet valid: {} is valid from {}", label(i), format_utc(facts[i].not_before)),
            None => "an element of the chain is not yet valid".into(),
        },
        E::UnknownIssuer => unknown_issuer(facts),
        E::InvalidSignatureForPublicKey => {
            let bad = (0..facts.len().saturating_sub(1)).find(|&i| {
                facts[i].issuer_raw == facts[i + 1].subject_raw
                    && super::certificate::signed_by(&ders[i], &ders[i + 1]) == Some(false)
            });
            match bad {
                Some(i) => format!("bad signature: {} is not signed by the key of {}", label(i), label(i + 1)),
                None => "bad signature: a certificate's signature does not verify with its issuer's key".into(),
            }
        }
        E::RequiredEkuNotFoundContext(_) => {
            "not valid for server authentication: the extended key usage lacks serverAuth".into()
        }
        E::CaUsedAsEndEntity => "the leaf is a CA certificate, not a server certificate".into(),
        E::EndEntityUsedAsCa => "a non-CA certificate is used as an issuer".into(),
        E::UnsupportedSignatureAlgorithmContext(_) | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "unsupported or insecure signature algorithm in the chain (for example SHA-1 or RSA below 2048 bits)".into()
        }
        E::BadDerTime => {
            return Cause::Unverifiable(
                "the certificate verifier cannot read a validity date before 1970 (or a malformed one)".into(),
            )
        }
        E::MaximumPathDepthExceeded | E::MaximumPathBuildCallsExceeded | E::MaximumSignatureChecksExceeded
        | E::MaximumNameConstraintComparisonsExceeded => {
            return Cause::Unverifiable(
                "the chain is too long or too tangled for the certificate verifier to finish".into(),
            )
        }
        E::BadDer | E::TrailingData(_) | E::UnsupportedCertVersion | E::MalformedExtensions => {
            return Cause::Unverifiable(
                "the certificate verifier cannot read a certificate of the chain (its DER encoding is unusual or malformed)".into(),
            )
        }
        other => format!("chain verification failed: {}", words(other)),
    };
    Cause::Untrusted(why)
}

/// Unknown issuer: either an intermediate was not sent, or the top of the chain is not trusted.
fn unknown_issuer(facts: &[CertFacts]) -> String {
    let top = facts.len() - 1;
    let cert = &facts[top];
    if cert.self_signed {
        if top == 0 {
            return "unknown issuer: the certificate is self-signed and not a trusted root".into();
        }
        return format!(
            "unknown issuer: root '{}' is not trusted",
            cert.display_name()
        );
    }
    if top == 0 {
        return format!(
            "missing intermediate: the issuer '{}' of the leaf was not sent and is not a trusted root",
            cert.issuer_display_name()
        );
    }
    format!(
        "unknown issuer: '{}', issuer of '{}', is not a trusted root (nor was it sent)",
        cert.issuer_display_name(),
        cert.display_name()
    )
}

/// The remaining refusals in words (webpki's own texts are its enum names).
fn words(e: &webpki::Error) -> &'static str {
    use webpki::Error as E;
    match e {
        E::CertDistrusted => "a certificate of the chain is distrusted",
        E::CertRevoked => "a certificate of the chain is revoked",
        E::UnsupportedCriticalExtension => {
            "a certificate has a critical extension the verifier does not know (RFC 5280 requires refusing it)"
        }
        E::PathLenConstraintViolated => "a CA's path length constraint is violated",
        E::NameConstraintViolation => "a name is outside a CA's name constraints",
        E::InvalidCertValidity => "a certificate's validity period ends before it begins",
        E::SignatureAlgorithmMismatch => "a certificate's two signature algorithm fields differ",
        E::EmptyEkuExtension => "a certificate has an empty extended key usage",
        E::ExtensionValueInvalid => "a certificate has an invalid extension value",
        E::InvalidSerialNumber => "a certificate has an invalid serial number",
        E::MalformedDnsIdentifier | E::MalformedNameConstraint => "a certificate has a malformed name",
        E::UnsupportedNameType => "a certificate has a name of a type the verifier does not support",
        _ => "the verifier refused the chain",
    }
}
