//! The PRTG sensor parameter string (`%host port: 25, protocol: smtp, ...`), whole or split
//! into arguments as PRTG may pass it.
//!
//! Input: text; NUL bytes split it into arguments.
#![no_main]

use certprobe::Protocol;
use certprobe_cli::prtg_params::{applies, parse};
use certprobe_fuzz::check_message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let args: Vec<String> = text.split('\0').map(str::to_string).collect();
    let _ = applies(&args);
    match parse(&args) {
        Ok(params) => {
            assert!(!params.host.is_empty());
            assert_ne!(
                params.protocol,
                Protocol::Tls,
                "a STARTTLS protocol is required"
            );
            assert_ne!(params.port, Some(0));
            // Parsing what was parsed, written back, gives the same.
            let mut again = vec![params.host.clone()];
            let mut rest = format!("protocol: {}", params.protocol.name());
            if let Some(port) = params.port {
                rest.push_str(&format!(", port: {port}"));
            }
            again.push(rest);
            if let Ok(reparsed) = parse(&again) {
                assert_eq!(
                    (reparsed.port, reparsed.protocol),
                    (params.port, params.protocol)
                );
            }
        }
        Err(e) => check_message("PRTG parameter error", &e),
    }
});
