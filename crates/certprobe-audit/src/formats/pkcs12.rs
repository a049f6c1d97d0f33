//! PKCS#12 (`.p12`, `.pfx`) through p12-keystore: the MAC is verified, PBES2 (AES) and the
//! legacy PBES1 bags (3DES, RC2: Windows exports, `openssl pkcs12 -legacy`) decrypted. With
//! no password given the empty one is tried (`-passout pass:`), as openssl does.

use super::{Cert, Parsed};
use crate::error::{FileError, Store};
use crate::keys::PrivateKey;
use crate::Secret;
use p12_keystore::error::Error;
use p12_keystore::Pkcs12Archive;

pub(crate) fn parse(bytes: &[u8], password: Option<&Secret>) -> Result<Parsed, FileError> {
    let text = match password {
        Some(secret) => secret.text().ok_or(FileError::PasswordNotText)?,
        None => "",
    };
    let archive = Pkcs12Archive::from_pkcs12(bytes, text).map_err(|e| match e {
        // A failed MAC, or (without a MAC) a decryption that does not unpad.
        Error::MacError(_) | Error::UnpadError if password.is_some() => {
            FileError::BadPassword(Store::Pkcs12)
        }
        Error::MacError(_) | Error::UnpadError => FileError::PasswordNeeded,
        Error::UnsupportedEncryptionScheme | Error::UnsupportedMacAlgorithm => {
            FileError::Unsupported(
                "a PKCS#12 file with an encryption or MAC algorithm that is not supported".into(),
            )
        }
        Error::InvalidVersion => {
            FileError::Unsupported("a PKCS#12 file of a version other than 3".into())
        }
        Error::UnsupportedContentType => {
            FileError::Unsupported("a PKCS#12 file protected by public keys, not a password".into())
        }
        Error::InvalidParameters => FileError::Unsupported(
            "a PKCS#12 file whose key derivation asks for more work than allowed".into(),
        ),
        _ => FileError::corrupt("PKCS#12 file", "its structure cannot be decoded"),
    })?;
    let certs = archive
        .certs
        .into_iter()
        .map(|bag| Cert {
            der: bag.cert.as_der().to_vec(),
            alias: bag
                .friendly_name
                .map(|name| certprobe::text::quote(&name, 200)),
            key_in_store: false,
        })
        .collect();
    let keys = archive
        .keys
        .into_iter()
        .map(|bag| PrivateKey::Pkcs8(bag.key.as_der().to_vec()))
        .collect();
    Ok(Parsed {
        certs,
        keys,
        ..Parsed::default()
    })
}
