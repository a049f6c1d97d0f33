//! A JKS private key as Sun's KeyProtector stores it, opened with the keystore password
//! (keytool gives the key the store's password unless told otherwise), so the key can be
//! matched to its chain like any other. EncryptedPrivateKeyInfo { 1.3.6.1.4.1.42.2.17.1.1,
//! salt(20) || key XOR stream || SHA1(password || key) }, the stream being SHA-1 chained
//! from the salt: SHA1(password || previous), the password as UTF-16BE.

use certprobe::der::{self, tag, Reader};
use ring::digest::{Context, SHA1_FOR_LEGACY_USE_ONLY};

const SALT_LEN: usize = 20;
const CHECK_LEN: usize = 20;

/// The PKCS#8 key inside, or `None` (another protection, another password, broken bytes).
pub(crate) fn open(protected: &[u8], password: &str) -> Option<Vec<u8>> {
    let mut info = Reader::new(protected)
        .sequence("EncryptedPrivateKeyInfo")
        .ok()?;
    let mut algorithm = info.sequence("encryptionAlgorithm").ok()?;
    if algorithm.expect(tag::OID, "algorithm").ok()?
        != der::oid_content(&[1, 3, 6, 1, 4, 1, 42, 2, 17, 1, 1])
    {
        return None;
    }
    let data = info.expect(tag::OCTET_STRING, "encryptedData").ok()?;
    let body_len = data.len().checked_sub(SALT_LEN + CHECK_LEN)?;
    let salt = data.get(..SALT_LEN)?;
    let encrypted = data.get(SALT_LEN..SALT_LEN + body_len)?;
    let check = data.get(SALT_LEN + body_len..)?;
    let secret: Vec<u8> = password.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let mut plain = Vec::with_capacity(body_len);
    let mut previous = salt.to_vec();
    for chunk in encrypted.chunks(20) {
        previous = sha1(&[&secret, &previous]);
        plain.extend(chunk.iter().zip(&previous).map(|(c, k)| c ^ k));
    }
    (sha1(&[&secret, &plain]) == check).then_some(plain)
}

fn sha1(parts: &[&[u8]]) -> Vec<u8> {
    let mut context = Context::new(&SHA1_FOR_LEGACY_USE_ONLY);
    for part in parts {
        context.update(part);
    }
    context.finish().as_ref().to_vec()
}
