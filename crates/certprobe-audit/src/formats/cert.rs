//! One certificate checked to be one: x509-parser must read it, and its outer SEQUENCE must
//! be whole (the strict reader says where it is cut).

use crate::error::FileError;
use certprobe::der::{tag, Reader};

/// `der` if it is an X.509 certificate; else why, with `place` ("the PEM block on line 3").
pub(crate) fn check(der: &[u8], format: &'static str, place: &str) -> Result<(), FileError> {
    let mut reader = Reader::new(der);
    reader
        .expect_tlv(tag::SEQUENCE, "the certificate")
        .map_err(|e| FileError::corrupt(format, format!("{place}: {e}")))?;
    if !reader.is_empty() {
        return Err(FileError::corrupt(
            format,
            format!("{place}: bytes follow the certificate"),
        ));
    }
    match x509_parser::parse_x509_certificate(der) {
        Ok(_) => Ok(()),
        Err(_) => Err(FileError::corrupt(
            format,
            format!("{place}: not a valid X.509 certificate"),
        )),
    }
}
