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

use crate::connect::Deadline;
use crate::observation::ConnectError;
use serde::Serialize;
use std::io::{Read, Write};

/// How TLS starts on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TLS from the first byte (HTTPS, SMTPS, LDAPS, IMAPS, ...).
    #[default]
    Tls,
    Smtp,
    Lmtp,
    Ldap,
    Imap,
    Pop3,
    Ftp,
    Xmpp,
    Postgres,
    Mysql,
    Sieve,
}

impl Protocol {
    pub const STARTTLS: [Protocol; 10] = [
        Protocol::Smtp,
        Protocol::Lmtp,
        Protocol::Ldap,
        Protocol::Imap,
        Protocol::Pop3,
        Protocol::Ftp,
        Protocol::Xmpp,
        Protocol::Postgres,
        Protocol::Mysql,
        Protocol::Sieve,
    ];

    /// The name used on the command line and in PRTG parameters.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tls => "tls",
            Protocol::Smtp => "smtp",
            Protocol::Lmtp => "lmtp",
            Protocol::Ldap => "ldap",
            Protocol::Imap => "imap",
            Protocol::Pop3 => "pop3",
            Protocol::Ftp => "ftp",
            Protocol::Xmpp => "xmpp",
            Protocol::Postgres => "postgres",
            Protocol::Mysql => "mysql",
            Protocol::Sieve => "sieve",
        }
    }

    pub fn from_name(name: &str) -> Option<Protocol> {
        let name = name.trim().to_ascii_lowercase();
        let name = match name.as_str() {
            "postgresql" => "postgres",
            "mariadb" => "mysql",
            "managesieve" => "sieve",
            other => other,
        };
        std::iter::once(Protocol::Tls)
            .chain(Protocol::STARTTLS)
            .find(|p| p.name() == name)
    }

    /// The well-known port of the STARTTLS service.
    pub fn default_port(self) -> u16 {
        match self {
            Protocol::Tls => 443,
            Protocol::Smtp => 25,
            Protocol::Lmtp => 24,
            Protocol::Ldap => 389,
            Protocol::Imap => 143,
            Protocol::Pop3 => 110,
            Protocol::Ftp => 21,
            Protocol::Xmpp => 5222,
            Protocol::Postgres => 5432,
            Protocol::Mysql => 3306,
            Protocol::Sieve => 4190,
        }
    }

    /// The label in messages: `SMTP`, `ManageSieve`, ...
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Tls => "TLS",
            Protocol::Smtp => "SMTP",
            Protocol::Lmtp => "LMTP",
            Protocol::Ldap => "LDAP",
            Protocol::Imap => "IMAP",
            Protocol::Pop3 => "POP3",
            Protocol::Ftp => "FTP",
            Protocol::Xmpp => "XMPP",
            Protocol::Postgres => "PostgreSQL",
            Protocol::Mysql => "MySQL",
            Protocol::Sieve => "ManageSieve",
        }
    }

    /// What to send, inside TLS, to leave politely once the certificate is read.
    pub fn farewell(self) -> &'static [u8] {
        match self {
            Protocol::Smtp | Protocol::Lmtp | Protocol::Pop3 | Protocol::Ftp => b"QUIT\r\n",
            Protocol::Imap => b"C2 LOGOUT\r\n",
            Protocol::Sieve => b"LOGOUT\r\n",
            Protocol::Xmpp => b"</stream:stream>",
            // LDAPMessage { messageID 2, unbindRequest [APPLICATION 2] NULL }
            Protocol::Ldap => &[0x30, 0x05, 0x02, 0x01, 0x02, 0x42, 0x00],
            Protocol::Tls | Protocol::Postgres | Protocol::Mysql => b"",
        }
    }
}

/// What a dialogue needs besides the stream.
pub struct Dialogue<'a> {
    pub protocol: Protocol,
    /// The name the client gives itself (SMTP EHLO, LMTP LHLO).
    pub helo_name: &'a str,
    /// The service's domain (XMPP `to`).
    pub domain: &'a str,
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
