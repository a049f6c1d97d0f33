//! The LDAP StartTLS ExtendedResponse parser: BER from the server, strict.
#![no_main]

use certprobe::capture::starttls::{ldap_result_name, parse_ldap_response};
use certprobe_fuzz::check_message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_ldap_response(data) {
        Ok(response) => {
            // Only our request (1) or an unsolicited notification (0) is answered.
            assert!(response.message_id <= 1, "message {}", response.message_id);
            check_message("the diagnostic message", &response.diagnostic);
            assert!(!ldap_result_name(response.code).is_empty());
        }
        Err(e) => check_message("LDAP response error", &e),
    }
});
