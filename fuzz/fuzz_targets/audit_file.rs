//! A file the local audit reads (`certprobe-audit::read_bytes`): PEM, DER, PKCS#7, PKCS#12,
//! JKS and JCEKS told by content, with and without a password. Every outcome is a sentence
//! without control characters; every certificate found is whole DER.
#![no_main]

use certprobe_audit::{read_bytes, Secret};
use certprobe_fuzz::check_message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let password = Secret::new(b"changeit".to_vec());
    for password in [None, Some(&password)] {
        let (format, result) = read_bytes(data, password);
        match result {
            Ok(contents) => {
                assert!(format.is_some(), "contents without a format");
                for certificate in &contents.certificates {
                    assert!(!certificate.der.is_empty(), "an empty certificate");
                    if let Some(alias) = &certificate.alias {
                        check_message("alias", alias);
                    }
                }
                for note in &contents.notes {
                    check_message("note", note);
                }
            }
            Err(error) => {
                check_message("file error", &error);
                assert!(!error.code().is_empty());
            }
        }
    }
});
