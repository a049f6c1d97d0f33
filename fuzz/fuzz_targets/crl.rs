//! CRL verification (RFC 5280) for a fixed certificate and issuer, through x509-parser:
//! issuer, signature, freshness, scope and the lookup of the serial.
//!
//! Input: one byte choosing the pair (see `certprobe_fuzz::pair`), then the DER CRL.
#![no_main]

use certprobe::analysis::revocation::{crl, CLOCK_SKEW};
use certprobe_fuzz::{check_message, pair};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [selector, list @ ..] = data else {
        return;
    };
    let pair = pair(*selector);
    match crl::check(list, pair.leaf, pair.issuer, pair.now) {
        Ok(answer) => {
            if let Some(next) = answer.next_update {
                assert!(next >= pair.now - CLOCK_SKEW, "expired");
            }
        }
        Err(e) => check_message("CRL error", &e),
    }
});
