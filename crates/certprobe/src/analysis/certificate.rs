//! Facts read from one DER certificate: names, validity, key, signature, fingerprints.

use crate::encoding::hex_upper;
use crate::text::visible;
use serde::Serialize;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo, X509Certificate};

/// The public key's family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum KeyAlgorithm {
    #[serde(rename = "RSA")]
    /// RSA (PKCS#1 or PSS).
    Rsa,
    #[serde(rename = "ECDSA")]
    /// ECDSA on a named curve.
    Ecdsa,
    /// Ed25519 (RFC 8410).
    Ed25519,
    /// Ed448 (RFC 8410).
    Ed448,
    #[serde(rename = "DSA")]
    /// DSA.
    Dsa,
    /// Anything else: judged WARNING, never refused.
    Unknown,
}

/// Public key type and strength.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// The key's family.
    pub algorithm: KeyAlgorithm,
    /// The key size in bits (the modulus for RSA, the curve's for EC).
    pub bits: u32,
    /// Named curve for ECDSA keys (`P-256`, `P-384`, `P-521`).
    pub curve: Option<String>,
}

impl KeyInfo {
    /// `RSA 2048 bits`, `ECDSA P-256`, `Ed25519`.
    pub fn describe(&self) -> String {
        match (&self.algorithm, &self.curve) {
            (KeyAlgorithm::Ecdsa, Some(curve)) => format!("ECDSA {curve}"),
            (KeyAlgorithm::Ed25519, _) => "Ed25519".into(),
            (KeyAlgorithm::Ed448, _) => "Ed448".into(),
            (KeyAlgorithm::Unknown, _) => "unknown key type".into(),
            (alg, _) => format!("{} {} bits", alg.name(), self.bits),
        }
    }
}

impl KeyAlgorithm {
    /// The family's name in messages: `RSA`, `ECDSA`, `Ed25519`.
    pub fn name(&self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa => "RSA",
            KeyAlgorithm::Ecdsa => "ECDSA",
            KeyAlgorithm::Ed25519 => "Ed25519",
            KeyAlgorithm::Ed448 => "Ed448",
            KeyAlgorithm::Dsa => "DSA",
            KeyAlgorithm::Unknown => "unknown",
        }
    }
}

/// Why bytes are not a readable certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertError {
    /// The encoding ends early or a length points past the end.
    Truncated,
    /// One part is malformed; which part.
    Malformed(&'static str),
    /// Not a DER certificate at all.
    NotACertificate,
}

impl CertError {
    /// The error x509-parser gave, in these words (its own texts name its enum variants).
    pub fn from_x509(e: &x509_parser::nom::Err<x509_parser::error::X509Error>) -> CertError {
        use x509_parser::der_parser::error::BerError;
        use x509_parser::error::X509Error as X;
        use x509_parser::nom;
        let inner = match e {
            nom::Err::Incomplete(_) => return CertError::Truncated,
            nom::Err::Error(inner) | nom::Err::Failure(inner) => inner,
        };
        match inner {
            X::Der(BerError::Incomplete(_) | BerError::InvalidLength)
            | X::NomError(nom::error::ErrorKind::Eof) => CertError::Truncated,
            X::InvalidVersion => CertError::Malformed("version"),
            X::InvalidSerial => CertError::Malformed("serial number"),
            X::InvalidAlgorithmIdentifier => CertError::Malformed("algorithm identifier"),
            X::InvalidX509Name => CertError::Malformed("subject or issuer name"),
            X::InvalidDate => CertError::Malformed("validity period"),
            X::InvalidSPKI => CertError::Malformed("public key"),
            X::InvalidSubjectUID | X::InvalidIssuerUID => CertError::Malformed("unique identifier"),
            X::InvalidExtensions | X::DuplicateExtensions => CertError::Malformed("extensions"),
            X::InvalidSignatureValue => CertError::Malformed("signature"),
            X::InvalidTbsCertificate => CertError::Malformed("signed part"),
            _ => CertError::NotACertificate,
        }
    }
}

impl std::fmt::Display for CertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CertError::Truncated => f.write_str("the certificate's DER encoding is truncated"),
            CertError::Malformed(part) => write!(f, "the certificate's {part} is malformed"),
            CertError::NotACertificate => f.write_str("the bytes are not a DER certificate"),
        }
    }
}

impl std::error::Error for CertError {}

/// Everything the checks and the outputs need from one certificate.
#[derive(Debug, Clone, Serialize)]
pub struct CertFacts {
    /// Distinguished name, RFC 4514 style (`CN=www.example.com, O=Example`).
    pub subject: String,
    /// The issuer's distinguished name, in the same style as `subject`.
    pub issuer: String,
    /// The subject as Go (and so Zabbix agent 2 and blackbox_exporter) prints it: RFC 2253 style.
    pub subject_rfc2253: String,
    /// The issuer as Go prints it.
    pub issuer_rfc2253: String,
    /// The subject's first CN, if any.
    pub common_name: Option<String>,
    /// The issuer's first CN, if any.
    pub issuer_common_name: Option<String>,
    /// DNS names of the subjectAltName, as written (wildcards included).
    pub dns_names: Vec<String>,
    /// IP addresses of the subjectAltName, in their text form.
    pub ip_addresses: Vec<String>,
    /// Serial number in uppercase hex.
    pub serial: String,
    /// Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// The public key.
    pub key: KeyInfo,
    /// Go-style name (`SHA256-RSA`, `ECDSA-SHA384`), as Zabbix reports it.
    pub signature_algorithm: String,
    /// SHA-1 of the DER, uppercase hex (PRTG's thumbprint).
    pub sha1_fingerprint: String,
    /// SHA-256 of the DER, uppercase hex (what pins compare).
    pub sha256_fingerprint: String,
    /// Subject equals issuer and the certificate's own key verifies its signature.
    pub self_signed: bool,
    /// Basic constraints say CA.
    pub is_ca: bool,
    /// Key usage bits by RFC 5280 name; empty when the extension is absent.
    pub key_usage: Vec<String>,
    /// Extended key usages (`serverAuth`, `clientAuth`, ..., or the OID); empty when absent.
    pub extended_key_usage: Vec<String>,
    /// Authority Information Access caIssuers URLs: where the issuer certificate can be fetched.
    pub ca_issuers: Vec<String>,
    #[serde(skip)]
    /// The subject's DER, for matching issuers byte for byte.
    pub subject_raw: Vec<u8>,
    #[serde(skip)]
    /// The issuer's DER, for matching issuers byte for byte.
    pub issuer_raw: Vec<u8>,
}

impl CertFacts {
    /// Reads a DER certificate. Text fields come with control characters made visible
    /// (`\r`, `\x1b`), so nothing a certificate says can break an output line.
    pub fn parse(der: &[u8]) -> Result<CertFacts, CertError> {
        if der.first() != Some(&0x30) {
            return Err(CertError::NotACertificate);
        }
        let (_, cert) = X509Certificate::from_der(der).map_err(|e| CertError::from_x509(&e))?;
        let (dns_names, ip_addresses) = alt_names(&cert);
        let subject_raw = cert.subject().as_raw().to_vec();
        let issuer_raw = cert.issuer().as_raw().to_vec();
        let self_signed = subject_raw == issuer_raw
            && super::signature::verifies(&cert, cert.public_key()).unwrap_or(true);
        let shown = |text: String| visible(&text);
        Ok(CertFacts {
            subject: shown(cert.subject().to_string()),
            issuer: shown(cert.issuer().to_string()),
            subject_rfc2253: shown(rfc2253(cert.subject())),
            issuer_rfc2253: shown(rfc2253(cert.issuer())),
            common_name: first_cn(cert.subject()).map(shown),
            issuer_common_name: first_cn(cert.issuer()).map(shown),
            dns_names: dns_names.into_iter().map(shown).collect(),
            ip_addresses,
            serial: hex_upper(cert.raw_serial()),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            key: key_info(cert.public_key()),
            signature_algorithm: signature_name(&cert.signature_algorithm.algorithm.to_id_string()),
            sha1_fingerprint: digest_hex(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der),
            sha256_fingerprint: digest_hex(&ring::digest::SHA256, der),
            self_signed,
            is_ca: cert.is_ca(),
            key_usage: key_usage(&cert),
            extended_key_usage: extended_key_usage(&cert),
            ca_issuers: ca_issuers(&cert),
            subject_raw,
            issuer_raw,
        })
    }

    /// Days from `now` to notAfter; negative once expired.
    pub fn days_left(&self, now: i64) -> f64 {
        (self.not_after - now) as f64 / 86_400.0
    }

    /// The CN, or the whole subject when there is none: what a person recognises.
    pub fn display_name(&self) -> &str {
        self.common_name.as_deref().unwrap_or(&self.subject)
    }

    /// The issuer's CN, or its whole name when it has none.
    pub fn issuer_display_name(&self) -> &str {
        self.issuer_common_name.as_deref().unwrap_or(&self.issuer)
    }
}

/// Parses one certificate and checks whether `issuer_der`'s key signed it.
pub fn signed_by(der: &[u8], issuer_der: &[u8]) -> Option<bool> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let (_, issuer) = X509Certificate::from_der(issuer_der).ok()?;
    super::signature::verifies(&cert, issuer.public_key())
}

fn key_usage(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(ku)) = cert.key_usage() else {
        return Vec::new();
    };
    let ku = ku.value;
    [
        (ku.digital_signature(), "digitalSignature"),
        (ku.non_repudiation(), "nonRepudiation"),
        (ku.key_encipherment(), "keyEncipherment"),
        (ku.data_encipherment(), "dataEncipherment"),
        (ku.key_agreement(), "keyAgreement"),
        (ku.key_cert_sign(), "keyCertSign"),
        (ku.crl_sign(), "cRLSign"),
        (ku.encipher_only(), "encipherOnly"),
        (ku.decipher_only(), "decipherOnly"),
    ]
    .iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_string())
    .collect()
}

fn extended_key_usage(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(eku)) = cert.extended_key_usage() else {
        return Vec::new();
    };
    let eku = eku.value;
    let known = [
        (eku.any, "anyExtendedKeyUsage"),
        (eku.server_auth, "serverAuth"),
        (eku.client_auth, "clientAuth"),
        (eku.code_signing, "codeSigning"),
        (eku.email_protection, "emailProtection"),
        (eku.time_stamping, "timeStamping"),
        (eku.ocsp_signing, "OCSPSigning"),
    ];
    known
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, name)| name.to_string())
        .chain(eku.other.iter().map(|oid| oid.to_id_string()))
        .collect()
}

fn ca_issuers(cert: &X509Certificate<'_>) -> Vec<String> {
    let mut urls = Vec::new();
    for ext in cert.extensions() {
        if let x509_parser::extensions::ParsedExtension::AuthorityInfoAccess(aia) =
            ext.parsed_extension()
        {
            for desc in &aia.accessdescs {
                if desc.access_method.to_id_string() == "1.3.6.1.5.5.7.48.2" {
                    if let GeneralName::URI(uri) = desc.access_location {
                        urls.push(uri.to_string());
                    }
                }
            }
        }
    }
    urls
}

/// The name as Go's `pkix.Name.String()` writes it (and so Zabbix agent 2): RFC 2253 style,
/// most specific first, with the well-known attributes in Go's fixed order (SERIALNUMBER, CN,
/// OU, O, POSTALCODE, STREET, L, ST, C) and any others after them as `oid=#hex`.
fn rfc2253(name: &x509_parser::x509::X509Name<'_>) -> String {
    // Go's canonical order, least specific first; the string reverses it.
    const ORDER: [(&str, &str); 9] = [
        ("2.5.4.6", "C"),
        ("2.5.4.8", "ST"),
        ("2.5.4.7", "L"),
        ("2.5.4.9", "STREET"),
        ("2.5.4.17", "POSTALCODE"),
        ("2.5.4.10", "O"),
        ("2.5.4.11", "OU"),
        ("2.5.4.3", "CN"),
        ("2.5.4.5", "SERIALNUMBER"),
    ];
    let mut unknown = Vec::new();
    let mut known: Vec<(usize, String)> = Vec::new();
    for atv in name.iter_attributes() {
        let oid = atv.attr_type().to_id_string();
        let value = atv.as_str().unwrap_or("");
        match ORDER.iter().position(|(o, _)| *o == oid) {
            Some(i) => known.push((i, escape_rfc2253(value))),
            None => {
                let any = atv.attr_value();
                let der = crate::der::tlv(any.tag().0 as u8, any.data);
                unknown.push(format!(
                    "{oid}=#{}",
                    crate::encoding::hex_upper(&der).to_ascii_lowercase()
                ));
            }
        }
    }
    let mut rdns = unknown;
    for (i, (_, key)) in ORDER.iter().enumerate() {
        let values: Vec<&String> = known
            .iter()
            .filter(|(k, _)| *k == i)
            .map(|(_, v)| v)
            .collect();
        // Go keeps one CN and one serial number (the last), and all values of the others.
        let values: Vec<&String> = if matches!(*key, "CN" | "SERIALNUMBER") {
            values.last().into_iter().copied().collect()
        } else {
            values
        };
        if !values.is_empty() {
            rdns.push(
                values
                    .iter()
                    .map(|v| format!("{key}={v}"))
                    .collect::<Vec<_>>()
                    .join("+"),
            );
        }
    }
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

fn escape_rfc2253(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && matches!(c, '#' | ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn first_cn(name: &x509_parser::x509::X509Name<'_>) -> Option<String> {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
}

fn alt_names(cert: &X509Certificate<'_>) -> (Vec<String>, Vec<String>) {
    let (mut dns, mut ips) = (Vec::new(), Vec::new());
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(n) => dns.push((*n).to_string()),
                GeneralName::IPAddress(bytes) => {
                    if let Some(ip) = ip_from_bytes(bytes) {
                        ips.push(ip.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    (dns, ips)
}

fn ip_from_bytes(bytes: &[u8]) -> Option<std::net::IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        _ => None,
    }
}

fn key_info(spki: &SubjectPublicKeyInfo<'_>) -> KeyInfo {
    let oid = spki.algorithm.algorithm.to_id_string();
    let (algorithm, bits, curve) = match oid.as_str() {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => {
            (KeyAlgorithm::Rsa, rsa_bits(spki), None)
        }
        "1.2.840.10045.2.1" => {
            let curve = curve_name(spki);
            let bits = match curve {
                Some("P-256") => 256,
                Some("P-384") => 384,
                Some("P-521") => 521,
                _ => 0,
            };
            (KeyAlgorithm::Ecdsa, bits, curve.map(str::to_string))
        }
        "1.3.101.112" => (KeyAlgorithm::Ed25519, 256, None),
        "1.3.101.113" => (KeyAlgorithm::Ed448, 448, None),
        "1.2.840.10040.4.1" => (KeyAlgorithm::Dsa, dsa_bits(spki), None),
        _ => (KeyAlgorithm::Unknown, 0, None),
    };
    KeyInfo {
        algorithm,
        bits,
        curve,
    }
}

/// Modulus length in bits, not counting leading zero bits.
fn rsa_bits(spki: &SubjectPublicKeyInfo<'_>) -> u32 {
    let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = spki.parsed() else {
        return 0;
    };
    bit_length(rsa.modulus)
}

/// The length of the prime p in bits, from the algorithm parameters Dss-Parms ::= SEQUENCE
/// { p, q, g } (RFC 3279 section 2.3.2): the DSA key size. 0 when the parameters are absent
/// (inherited from the issuer, which RFC 3279 allows and no TLS server uses) or malformed.
fn dsa_bits(spki: &SubjectPublicKeyInfo<'_>) -> u32 {
    let Some(params) = spki.algorithm.parameters.as_ref() else {
        return 0;
    };
    if params.header.tag() != x509_parser::der_parser::asn1_rs::Tag::Sequence {
        return 0;
    }
    let mut fields = crate::der::Reader::new(params.data);
    let Ok(p) = fields.expect(crate::der::tag::INTEGER, "p") else {
        return 0;
    };
    let Ok(p) = crate::der::unsigned_integer(p) else {
        return 0;
    };
    bit_length(p)
}

/// Bits of a big-endian magnitude, not counting leading zero bits.
fn bit_length(magnitude: &[u8]) -> u32 {
    let Some(first) = magnitude.iter().position(|&b| b != 0) else {
        return 0;
    };
    let significant = &magnitude[first..];
    u32::try_from(significant.len())
        .unwrap_or(u32::MAX / 8)
        .saturating_mul(8)
        .saturating_sub(significant[0].leading_zeros())
}

/// The named curve of an EC key, from the algorithm parameters.
pub(crate) fn curve_name(spki: &SubjectPublicKeyInfo<'_>) -> Option<&'static str> {
    let params = spki.algorithm.parameters.as_ref()?;
    let oid = params.as_oid().ok()?.to_id_string();
    match oid.as_str() {
        "1.2.840.10045.3.1.7" => Some("P-256"),
        "1.3.132.0.34" => Some("P-384"),
        "1.3.132.0.35" => Some("P-521"),
        _ => None,
    }
}

fn signature_name(oid: &str) -> String {
    let name = match oid {
        "1.2.840.113549.1.1.4" => "MD5-RSA",
        "1.2.840.113549.1.1.5" => "SHA1-RSA",
        "1.2.840.113549.1.1.11" => "SHA256-RSA",
        "1.2.840.113549.1.1.12" => "SHA384-RSA",
        "1.2.840.113549.1.1.13" => "SHA512-RSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.4.1" => "ECDSA-SHA1",
        "1.2.840.10045.4.3.2" => "ECDSA-SHA256",
        "1.2.840.10045.4.3.3" => "ECDSA-SHA384",
        "1.2.840.10045.4.3.4" => "ECDSA-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        other => return other.to_string(),
    };
    name.to_string()
}

fn digest_hex(alg: &'static ring::digest::Algorithm, der: &[u8]) -> String {
    hex_upper(ring::digest::digest(alg, der).as_ref())
}

#[cfg(test)]
mod tests;
