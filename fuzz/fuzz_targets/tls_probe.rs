//! The TLS prober reading a server's answer to its ClientHello: the record deframer,
//! ServerHello, Certificate, ServerHelloDone and alerts (`capture/probe/messages.rs`).
//!
//! Input: one byte of settings (bits 0-1 the version offered, bit 2 SNI, bit 3 an
//! `Interrupted` read now and then, bits 4-5 how the stream ends), one byte for the read size
//! (0: whole buffers), then the server's bytes.
#![no_main]

use certprobe::capture::probe::{self, ProbeOutcome, TlsVersion, MAX_RECEIVED};
use certprobe_fuzz::{check_message, End, Script};
use libfuzzer_sys::fuzz_target;
use std::io;

fuzz_target!(|data: &[u8]| {
    let [settings, chunk, answer @ ..] = data else {
        return;
    };
    let version = TlsVersion::ALL[usize::from(settings & 3)];
    let sni = (settings & 4 != 0).then_some("www.example.org");
    let end = End::from_bits(settings >> 4);
    let mut server = Script::new(answer, *chunk, settings & 8 != 0, end);
    let outcome = probe::probe(&mut server, version, sni);
    assert!(server.written > 0, "no ClientHello was sent");
    assert!(server.consumed() <= MAX_RECEIVED, "read past the limit");
    match outcome {
        Ok(ProbeOutcome::Refused { reason }) => {
            check_message("the reason of a refusal", &reason);
            assert!(!reason.is_empty());
        }
        Ok(ProbeOutcome::Accepted {
            version: accepted,
            cipher_suite,
            certificates,
        }) => {
            assert_eq!(accepted, version, "accepted a version that was not offered");
            let name = probe::cipher_suite_name(cipher_suite);
            assert!(
                name.starts_with("TLS_"),
                "accepted suite {name}, not offered"
            );
            if version == TlsVersion::Tls13 {
                assert!(
                    certificates.is_empty(),
                    "TLS 1.3 certificates are encrypted"
                );
            }
            let total: usize = certificates.iter().map(Vec::len).sum();
            assert!(total <= server.consumed());
            assert!(
                certificates.iter().all(|c| !c.is_empty()),
                "an empty certificate"
            );
        }
        // Only the stream's own errors come back as errors (timeouts, for the caller to name).
        Err(e) => {
            assert_eq!(
                end,
                End::TimedOut,
                "error {e} from a stream that did not time out"
            );
            assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        }
    }
});
