//! SNMPv3's user-based security at authPriv (RFC 3414, RFC 3826): keys localized to the
//! engine ID from the passwords, HMAC-SHA-96 over the whole message, AES-128 in CFB mode
//! over the scoped PDU.

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use ring::{digest, hmac};

/// A key localized to an engine (RFC 3414 A.2.2, with SHA-1): 20 bytes.
pub fn localized_key(password: &[u8], engine_id: &[u8]) -> [u8; 20] {
    // The password repeated to one megabyte, hashed.
    let mut context = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    let mut block = [0u8; 64];
    let mut index = 0usize;
    if !password.is_empty() {
        for _ in 0..(1_048_576 / 64) {
            for byte in block.iter_mut() {
                *byte = password[index % password.len()];
                index += 1;
            }
            context.update(&block);
        }
    }
    let ku = context.finish();
    let mut context = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    context.update(ku.as_ref());
    context.update(engine_id);
    context.update(ku.as_ref());
    let mut key = [0u8; 20];
    key.copy_from_slice(context.finish().as_ref());
    key
}

/// The first 12 bytes of HMAC-SHA-1 of `message` (HMAC-SHA-96, RFC 3414 6.3.1).
pub fn authenticate(auth_key: &[u8; 20], message: &[u8]) -> [u8; 12] {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, auth_key);
    let tag = hmac::sign(&key, message);
    let mut out = [0u8; 12];
    out.copy_from_slice(&tag.as_ref()[..12]);
    out
}

/// `plain` encrypted with AES-128-CFB (RFC 3826 3.1.3): the key is the first 16 bytes of the
/// localized privacy key, the IV the engine's boots and time then the 8-byte salt.
pub fn encrypt(
    priv_key: &[u8; 20],
    boots: u32,
    time: u32,
    salt: &[u8; 8],
    plain: &[u8],
) -> Vec<u8> {
    let mut iv = [0u8; 16];
    iv[..4].copy_from_slice(&boots.to_be_bytes());
    iv[4..8].copy_from_slice(&time.to_be_bytes());
    iv[8..].copy_from_slice(salt);
    let Ok(cipher) = aes::Aes128::new_from_slice(&priv_key[..16]) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(plain.len());
    let mut feedback = iv;
    for chunk in plain.chunks(16) {
        let mut block = aes::Block::from(feedback);
        cipher.encrypt_block(&mut block);
        let mut next = [0u8; 16];
        for (i, byte) in chunk.iter().enumerate() {
            next[i] = byte ^ block[i];
        }
        out.extend_from_slice(&next[..chunk.len()]);
        feedback = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3414 A.3.2: "maplesyrup" localized to engine 000000000000000000000002 with SHA.
    #[test]
    fn the_rfc_3414_key_localization_vector() {
        let engine = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        let key = localized_key(b"maplesyrup", &engine);
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "6695febc9288e36282235fc7151f128497b38f3f");
    }

    /// AES-128-CFB128 of NIST SP 800-38A F.3.13 (first two blocks).
    #[test]
    fn cfb_as_nist_gives_it() {
        let hex = |s: &str| -> Vec<u8> {
            (0..s.len() / 2)
                .map(|i| u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).unwrap())
                .collect()
        };
        let mut key = [0u8; 20];
        key[..16].copy_from_slice(&hex("2b7e151628aed2a6abf7158809cf4f3c"));
        let iv = hex("000102030405060708090a0b0c0d0e0f");
        let boots = u32::from_be_bytes(iv[..4].try_into().unwrap());
        let time = u32::from_be_bytes(iv[4..8].try_into().unwrap());
        let salt: [u8; 8] = iv[8..].try_into().unwrap();
        let plain = hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
        let out = encrypt(&key, boots, time, &salt, &plain);
        assert_eq!(
            out,
            hex("3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b")
        );
        // A last partial block is cut, not padded.
        assert_eq!(encrypt(&key, boots, time, &salt, &plain[..20]), out[..20]);
    }
}
