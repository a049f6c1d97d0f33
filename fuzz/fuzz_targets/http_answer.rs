//! The HTTP/1.x answer reader of the PKI fetches (AIA issuers, OCSP, CRLs).
//!
//! Input: two bytes of size limit (big-endian), then the whole answer as received.
#![no_main]

use certprobe::lookups::http::parse_answer_for_fuzzing;
use certprobe_fuzz::check_message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [high, low, answer @ ..] = data else {
        return;
    };
    let limit = usize::from(u16::from_be_bytes([*high, *low]));
    match parse_answer_for_fuzzing(answer, limit) {
        Ok(Some(body)) => {
            assert!(body.len() <= limit, "a body over the limit");
            let head_end = answer
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .expect("a body without a head");
            assert!(
                answer[head_end + 4..].starts_with(&body),
                "the body is not what follows the head"
            );
        }
        Ok(None) => {} // a redirect
        Err(e) => check_message("HTTP error", &e.to_string()),
    }
});
