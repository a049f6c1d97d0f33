//! OCSP response verification (RFC 6960) for a fixed certificate and issuer: the outer
//! structure, the BasicOCSPResponse, the SingleResponses, the signer and freshness.
//!
//! Input: one byte choosing the pair (see `certprobe_fuzz::pair`), then the DER response.
#![no_main]

use certprobe::analysis::revocation::{ocsp, CLOCK_SKEW};
use certprobe_fuzz::{check_message, pair};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [selector, response @ ..] = data else {
        return;
    };
    let pair = pair(*selector);
    match ocsp::verify_response(response, pair.leaf, pair.issuer, pair.now) {
        Ok(answer) => {
            assert!(answer.this_update <= pair.now + CLOCK_SKEW, "not valid yet");
            if let Some(next) = answer.next_update {
                assert!(next >= pair.now - CLOCK_SKEW, "expired");
            }
        }
        Err(e) => check_message("OCSP error", &e),
    }
});
