//! Private keys matched to certificates by public key: the public key is read from the
//! private key's own fields (an RSA key holds its modulus and exponent, a SEC1 EC key and a
//! PKCS#8 v2 key usually hold their public point or key) or derived by ring (an Ed25519
//! seed), and compared with the certificate's SubjectPublicKeyInfo. An EC key without its
//! public point (Java writes them so) is tried against each EC certificate by ring, which
//! derives the point from the private scalar and refuses a pair that does not belong
//! together.

use certprobe::der::{self, tag, Reader};

/// A private key as found, before its public key is worked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrivateKey {
    /// PKCS#8 PrivateKeyInfo (`PRIVATE KEY`, PKCS#12 key bags).
    Pkcs8(Vec<u8>),
    /// PKCS#1 RSAPrivateKey (`RSA PRIVATE KEY`).
    Rsa(Vec<u8>),
    /// SEC1 ECPrivateKey (`EC PRIVATE KEY`).
    Sec1(Vec<u8>),
}

/// What a private key is compared by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyId {
    /// Its public key.
    Public(PublicKey),
    /// An EC private scalar whose public point is not stored.
    EcScalar(Vec<u8>),
}

impl KeyId {
    /// Whether the certificate's public key is this key's.
    pub(crate) fn matches(&self, certificate: &PublicKey) -> bool {
        match (self, certificate) {
            (KeyId::Public(public), certificate) => public == certificate,
            (KeyId::EcScalar(d), PublicKey::Ec(point)) => {
                use ring::signature::{
                    EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING,
                };
                let alg = match d.len() {
                    32 => &ECDSA_P256_SHA256_ASN1_SIGNING,
                    48 => &ECDSA_P384_SHA384_ASN1_SIGNING,
                    _ => return false,
                };
                let rng = ring::rand::SystemRandom::new();
                EcdsaKeyPair::from_private_key_and_public_key(alg, d, point, &rng).is_ok()
            }
            (KeyId::EcScalar(_), _) => false,
        }
    }
}

/// A public key in the form both sides can be compared in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicKey {
    /// Modulus and public exponent, without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// The EC point as encoded (uncompressed, as every tool here writes it).
    Ec(Vec<u8>),
    /// The 32 bytes of an Ed25519 public key.
    Ed25519(Vec<u8>),
}

fn rsa_oid() -> Vec<u8> {
    der::oid_content(&[1, 2, 840, 113549, 1, 1, 1])
}
fn ec_oid() -> Vec<u8> {
    der::oid_content(&[1, 2, 840, 10045, 2, 1])
}
fn ed25519_oid() -> Vec<u8> {
    der::oid_content(&[1, 3, 101, 112])
}

/// The certificate's public key; `None` for a key type not compared here (a note says so on
/// the key's side, so no certificate is wrongly matched).
pub(crate) fn of_certificate(der: &[u8]) -> Option<PublicKey> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let spki = &cert.tbs_certificate.subject_pki;
    let algorithm = spki.algorithm.algorithm.as_bytes();
    let key = &*spki.subject_public_key.data;
    if algorithm == rsa_oid().as_slice() {
        rsa_public(key).ok()
    } else if algorithm == ec_oid().as_slice() {
        Some(PublicKey::Ec(key.to_vec()))
    } else if algorithm == ed25519_oid().as_slice() {
        Some(PublicKey::Ed25519(key.to_vec()))
    } else {
        None
    }
}

/// What the private key is compared by, or in words why it cannot be compared.
pub(crate) fn of_private(key: &PrivateKey) -> Result<KeyId, String> {
    let result = match key {
        PrivateKey::Pkcs8(bytes) => pkcs8_public(bytes),
        PrivateKey::Rsa(bytes) => rsa_private_public(bytes).map(KeyId::Public),
        PrivateKey::Sec1(bytes) => sec1_public(bytes),
    };
    result.map_err(|e| certprobe::text::quote(&e, 200))
}

/// RSAPublicKey { modulus, publicExponent }.
fn rsa_public(bytes: &[u8]) -> Result<PublicKey, String> {
    let mut key = Reader::new(bytes)
        .sequence("RSAPublicKey")
        .map_err(|e| e.to_string())?;
    let n = integer(&mut key, "modulus")?;
    let e = integer(&mut key, "publicExponent")?;
    Ok(PublicKey::Rsa { n, e })
}

/// RSAPrivateKey { version, modulus, publicExponent, ... }.
fn rsa_private_public(bytes: &[u8]) -> Result<PublicKey, String> {
    let mut key = Reader::new(bytes)
        .sequence("RSAPrivateKey")
        .map_err(|e| format!("an RSA key that cannot be decoded: {e}"))?;
    integer(&mut key, "version")?;
    let n = integer(&mut key, "modulus")?;
    let e = integer(&mut key, "publicExponent")?;
    Ok(PublicKey::Rsa { n, e })
}

/// ECPrivateKey { version 1, privateKey, [0] parameters OPTIONAL, [1] publicKey OPTIONAL }:
/// the public point when present, else the private scalar.
fn sec1_public(bytes: &[u8]) -> Result<KeyId, String> {
    let broken = |e: der::DerError| format!("an EC key that cannot be decoded: {e}");
    let mut key = Reader::new(bytes)
        .sequence("ECPrivateKey")
        .map_err(broken)?;
    key.expect(tag::INTEGER, "version").map_err(broken)?;
    let scalar = key
        .expect(tag::OCTET_STRING, "privateKey")
        .map_err(broken)?;
    key.optional(tag::context(0), "parameters")
        .map_err(broken)?;
    let Some(explicit) = key.optional(tag::context(1), "publicKey").map_err(broken)? else {
        return Ok(KeyId::EcScalar(scalar.to_vec()));
    };
    let bits = Reader::new(explicit)
        .expect(tag::BIT_STRING, "publicKey")
        .map_err(broken)?;
    bit_string_bytes(bits)
        .map(|point| KeyId::Public(PublicKey::Ec(point.to_vec())))
        .ok_or_else(|| "an EC key whose public point has unused bits".to_string())
}

/// PrivateKeyInfo { version, algorithm, privateKey, [0] attributes, [1] publicKey }.
fn pkcs8_public(bytes: &[u8]) -> Result<KeyId, String> {
    let broken = |e: der::DerError| format!("a PKCS#8 key that cannot be decoded: {e}");
    let mut info = Reader::new(bytes)
        .sequence("PrivateKeyInfo")
        .map_err(broken)?;
    info.expect(tag::INTEGER, "version").map_err(broken)?;
    let mut algorithm = info.sequence("algorithm").map_err(broken)?;
    let oid = algorithm.expect(tag::OID, "algorithm").map_err(broken)?;
    let private = info
        .expect(tag::OCTET_STRING, "privateKey")
        .map_err(broken)?;
    info.optional(tag::context(0), "attributes")
        .map_err(broken)?;
    let public = info
        .optional(tag::context_primitive(1), "publicKey")
        .map_err(broken)?
        .and_then(bit_string_bytes);
    if oid == rsa_oid().as_slice() {
        rsa_private_public(private).map(KeyId::Public)
    } else if oid == ec_oid().as_slice() {
        match (sec1_public(private)?, public) {
            (KeyId::EcScalar(_), Some(point)) => Ok(KeyId::Public(PublicKey::Ec(point.to_vec()))),
            (id, _) => Ok(id),
        }
    } else if oid == ed25519_oid().as_slice() {
        if let Some(p) = public {
            return Ok(KeyId::Public(PublicKey::Ed25519(p.to_vec())));
        }
        // CurvePrivateKey ::= OCTET STRING (the 32-byte seed), inside privateKey.
        let seed = Reader::new(private)
            .expect(tag::OCTET_STRING, "CurvePrivateKey")
            .map_err(broken)?;
        let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|_| "an Ed25519 key whose seed is not 32 bytes".to_string())?;
        use ring::signature::KeyPair;
        Ok(KeyId::Public(PublicKey::Ed25519(
            pair.public_key().as_ref().to_vec(),
        )))
    } else {
        let name = der::oid_text(oid).unwrap_or_else(|_| "an unknown algorithm".into());
        Err(format!("algorithm {name}"))
    }
}

/// An INTEGER's magnitude, for comparing.
fn integer(reader: &mut Reader<'_>, what: &str) -> Result<Vec<u8>, String> {
    let value = reader
        .expect(tag::INTEGER, what)
        .map_err(|e| e.to_string())?;
    der::unsigned_integer(value)
        .map(<[u8]>::to_vec)
        .map_err(|e| format!("{what}: {e}"))
}

/// A BIT STRING's bytes when no bits are unused (keys always are whole bytes).
fn bit_string_bytes(content: &[u8]) -> Option<&[u8]> {
    match content.split_first() {
        Some((0, rest)) => Some(rest),
        _ => None,
    }
}
