//! Every STARTTLS dialogue (SMTP, LMTP, LDAP, IMAP, POP3, FTP, XMPP, PostgreSQL, MySQL,
//! ManageSieve) against a server that says the fuzz input.
//!
//! Input: one byte choosing the protocol (low 4 bits, modulo 10; bit 4 an `Interrupted`
//! read now and then; bits 5-6 how the stream ends), one byte for the read size (0: whole
//! buffers), then the server's bytes.
#![no_main]

use certprobe::capture::starttls::{negotiate, Dialogue};
use certprobe::{Deadline, ErrorKind, Protocol};
use certprobe_fuzz::{check_message, End, Script};
use libfuzzer_sys::fuzz_target;
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let [settings, chunk, answer @ ..] = data else {
        return;
    };
    let protocol = Protocol::STARTTLS[usize::from(settings & 0x0f) % Protocol::STARTTLS.len()];
    let end = End::from_bits(settings >> 5);
    let mut server = Script::new(answer, *chunk, settings & 0x10 != 0, end);
    let dialogue = Dialogue {
        protocol,
        helo_name: "client.example",
        domain: "xmpp.example",
        deadline: Deadline::within(Duration::from_secs(5)),
    };
    match negotiate(&mut server, &dialogue) {
        Ok(greeting) => {
            if let Some(greeting) = greeting {
                check_message("the greeting", &greeting);
            }
        }
        Err(e) => {
            check_message("STARTTLS error", &e.message);
            assert!(!e.message.is_empty());
            if e.kind == ErrorKind::Timeout {
                assert_eq!(end, End::TimedOut, "a timeout without one: {}", e.message);
            }
        }
    }
    // A dialogue is a few short commands, whatever the server says.
    assert!(server.written < 1024, "{} bytes sent", server.written);
});
