//! The plain-text (or binary) dialogue that precedes TLS on STARTTLS protocols.
//!
//! Each dialogue is written once, as a blocking function over any `Read + Write` stream
//! whose reads and writes are bounded (here a [`DeadlineStream`](super::stream::DeadlineStream)),
//! so the plugins and the future scanner (one thread per connection) share the same code.

mod binary_protocols;
mod conversation;
mod ldap;
mod smtp;
mod text_protocols;

pub use conversation::Conversation;
pub use ldap::{parse_response as parse_ldap_response, result_name as ldap_result_name};

use crate::budget::Deadline;
use crate::observation::ConnectError;
pub use crate::protocol::Protocol;
use std::io::{Read, Write};

/// What a dialogue needs besides the stream.
pub struct Dialogue<'a> {
    /// Which dialogue to run; [`Protocol::Tls`] runs none.
    pub protocol: Protocol,
    /// The name the client gives itself (SMTP EHLO, LMTP LHLO).
    pub helo_name: &'a str,
    /// The service's domain (XMPP `to`).
    pub domain: &'a str,
    /// Names the step in timeout messages; the stream itself enforces it on each read and write.
    pub deadline: Deadline,
}

/// Runs the dialogue until the server is ready for the TLS ClientHello.
/// Returns the first line the server sent, for the report.
pub fn negotiate<S: Read + Write>(
    stream: &mut S,
    dialogue: &Dialogue<'_>,
) -> Result<Option<String>, ConnectError> {
    let mut conv = Conversation::new(stream, dialogue.deadline);
    match dialogue.protocol {
        Protocol::Tls => return Ok(None),
        Protocol::Smtp => smtp::negotiate(&mut conv, "SMTP", "EHLO", dialogue.helo_name)?,
        Protocol::Lmtp => smtp::negotiate(&mut conv, "LMTP", "LHLO", dialogue.helo_name)?,
        Protocol::Ldap => ldap::negotiate(&mut conv)?,
        Protocol::Imap => text_protocols::imap(&mut conv)?,
        Protocol::Pop3 => text_protocols::pop3(&mut conv)?,
        Protocol::Ftp => text_protocols::ftp(&mut conv)?,
        Protocol::Sieve => text_protocols::sieve(&mut conv)?,
        Protocol::Xmpp => binary_protocols::xmpp(&mut conv, dialogue.domain)?,
        Protocol::Postgres => binary_protocols::postgres(&mut conv)?,
        Protocol::Mysql => binary_protocols::mysql(&mut conv)?,
    }
    conv.finish()
}

/// This machine's name for EHLO/LHLO when `--helo` is not given.
pub fn local_host_name() -> String {
    let from_system = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|n| n.trim().to_string())
        .filter(|n| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        });
    from_system.unwrap_or_else(|| "localhost".into())
}
