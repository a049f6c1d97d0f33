//! Certificates from a server or an AIA fetch: the facts read with x509-parser
//! (`CertFacts::parse`), the issuer-file reader (DER, PEM, PKCS#7 bundles), and the OCSP
//! and CRL URLs taken from a certificate.
#![no_main]

use certprobe::analysis::revocation::{crl, ocsp};
use certprobe::analysis::{aia, certificate, CertFacts};
use certprobe_fuzz::{check_message, check_urls};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let facts = CertFacts::parse(data);
    match &facts {
        Ok(facts) => {
            serde_json::to_string(facts).expect("the facts serialise");
            assert_eq!(facts.sha256_fingerprint.len(), 64);
            let _ = (facts.display_name(), facts.issuer_display_name());
            let _ = facts.key.describe();
            let _ = certificate::signed_by(data, data);
        }
        Err(e) => check_message("certificate error", e),
    }
    match aia::certificates(data) {
        Ok(certs) => {
            assert!(!certs.is_empty(), "Ok without a certificate");
            if facts.is_ok() {
                assert_eq!(certs, [data.to_vec()], "a certificate read differently");
            }
            for der in &certs {
                if let Err(e) = CertFacts::parse(der) {
                    check_message("bundled certificate error", &e);
                }
            }
        }
        Err(e) => {
            check_message("issuer file error", &e);
            assert!(
                facts.is_err(),
                "a certificate refused as an issuer file: {e}"
            );
        }
    }
    check_urls("OCSP responders", &ocsp::responder_urls(data));
    check_urls("CRL distribution points", &crl::distribution_points(data));
});
