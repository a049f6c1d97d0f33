//! Checks a signature with a given key, by ring: certificates, OCSP responses and CRLs.
//! Accepts legacy algorithms (RSA-1024, SHA-1) on purpose: this answers "did this key sign
//! that?", for self-signed detection and trust diagnostics, not "is it acceptable?".

use ring::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use std::collections::BTreeMap;
use std::sync::Mutex;
use x509_parser::prelude::{SubjectPublicKeyInfo, X509Certificate};

/// Certificate signatures already checked by this process, by [`memo_key`]. An audit reads
/// the same roots and intermediates in thousands of files (every `fullchain.pem`, every CA
/// bundle, every keystore copy), and a check costs 50 to 100 µs where the lookup costs one.
/// The answer is a pure function of what is hashed; a full table is emptied, never grown.
static CHECKED: Mutex<BTreeMap<[u8; 32], Option<bool>>> = Mutex::new(BTreeMap::new());
const CHECKED_CAP: usize = 4096;

/// `Some(true)` if `issuer_key` verifies `cert`'s signature, `Some(false)` if not,
/// `None` if the algorithm is not one ring can check (Ed448, DSA, ECDSA-SHA512).
pub fn verifies(cert: &X509Certificate<'_>, issuer_key: &SubjectPublicKeyInfo<'_>) -> Option<bool> {
    let algorithm = cert.signature_algorithm.algorithm.to_id_string();
    let message = cert.tbs_certificate.as_ref();
    let signature = cert.signature_value.data.as_ref();
    let key = memo_key(&[algorithm.as_bytes(), message, signature, issuer_key.raw]);
    if let Some(known) = CHECKED.lock().ok().and_then(|t| t.get(&key).copied()) {
        return known;
    }
    let answer = verify_raw(&algorithm, issuer_key, message, signature);
    if let Ok(mut table) = CHECKED.lock() {
        if table.len() >= CHECKED_CAP {
            table.clear();
        }
        table.insert(key, answer);
    }
    answer
}

/// SHA-256 over the parts, each preceded by its length (no two inputs hash alike).
fn memo_key(parts: &[&[u8]]) -> [u8; 32] {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for part in parts {
        context.update(&(part.len() as u64).to_be_bytes());
        context.update(part);
    }
    let mut key = [0; 32];
    key.copy_from_slice(context.finish().as_ref());
    key
}

/// The same for any signed structure (OCSP responses, CRLs): `message` signed with the
/// algorithm `sig_oid` by `key`. A key of the wrong family never verifies.
pub fn verify_raw(
    sig_oid: &str,
    key: &SubjectPublicKeyInfo<'_>,
    message: &[u8],
    signature: &[u8],
) -> Option<bool> {
    let key_oid = key.algorithm.algorithm.to_id_string();
    let family_ok = match sig_oid {
        "1.2.840.10045.4.1"
        | "1.2.840.10045.4.3.2"
        | "1.2.840.10045.4.3.3"
        | "1.2.840.10045.4.3.4" => key_oid == "1.2.840.10045.2.1",
        "1.3.101.112" | "1.3.101.113" => key_oid == sig_oid,
        _ => key_oid == "1.2.840.113549.1.1.1" || key_oid == "1.2.840.113549.1.1.10",
    };
    if !family_ok {
        return Some(false);
    }
    let candidates = algorithms(sig_oid, key)?;
    let key = key.subject_public_key.data.as_ref();
    Some(candidates.iter().any(|alg| {
        UnparsedPublicKey::new(*alg, key)
            .verify(message, signature)
            .is_ok()
    }))
}

fn algorithms(
    sig_oid: &str,
    key: &SubjectPublicKeyInfo<'_>,
) -> Option<Vec<&'static dyn VerificationAlgorithm>> {
    let curve = super::certificate::curve_name(key);
    let algs: Vec<&'static dyn VerificationAlgorithm> = match sig_oid {
        "1.2.840.113549.1.1.5" => vec![&sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY],
        "1.2.840.113549.1.1.11" => vec![&sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY],
        "1.2.840.113549.1.1.12" => vec![&sig::RSA_PKCS1_2048_8192_SHA384],
        "1.2.840.113549.1.1.13" => vec![&sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY],
        // RSASSA-PSS names its hash in parameters; only the right one can verify, so try each.
        "1.2.840.113549.1.1.10" => vec![
            &sig::RSA_PSS_2048_8192_SHA256,
            &sig::RSA_PSS_2048_8192_SHA384,
            &sig::RSA_PSS_2048_8192_SHA512,
        ],
        "1.2.840.10045.4.3.2" => match curve? {
            "P-256" => vec![&sig::ECDSA_P256_SHA256_ASN1],
            "P-384" => vec![&sig::ECDSA_P384_SHA256_ASN1],
            _ => return None,
        },
        "1.2.840.10045.4.3.3" => match curve? {
            "P-256" => vec![&sig::ECDSA_P256_SHA384_ASN1],
            "P-384" => vec![&sig::ECDSA_P384_SHA384_ASN1],
            _ => return None,
        },
        "1.3.101.112" => vec![&sig::ED25519],
        _ => return None,
    };
    Some(algs)
}
