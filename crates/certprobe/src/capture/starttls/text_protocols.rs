//! The line-based STARTTLS dialogues that need no more than a greeting and one command:
//! IMAP (RFC 3501/9051), POP3 (RFC 2595), FTP (RFC 4217) and ManageSieve (RFC 5804).
//!
//! Each greeting is judged while it arrives: a line that cannot start the protocol's
//! greeting ends the dialogue at once with "the server does not speak IMAP: it sent '...'".

use super::conversation::{
    can_start_reply, can_start_with_word, first_line, not_speaking, refused, Conversation,
    MAX_LINES,
};
use crate::observation::{ConnectError, ErrorKind};
use std::io::{Read, Write};

/// RFC 3501 greeting: `* OK`, `* PREAUTH` or `* BYE`; `* NO` and `* BAD` are refusals too.
const IMAP_GREETINGS: [&str; 5] = ["* OK", "* PREAUTH", "* BYE", "* NO", "* BAD"];
/// RFC 1939: `+OK` or `-ERR`.
const POP3_REPLIES: [&str; 2] = ["+OK", "-ERR"];
/// RFC 5804 responses ending the greeting (capability lines are quoted strings).
const SIEVE_RESPONSES: [&str; 3] = ["OK", "NO", "BYE"];

pub fn imap<S: Read + Write>(conv: &mut Conversation<'_, S>) -> Result<(), ConnectError> {
    let greeting = greeting_line(conv, "IMAP", |p| can_start_with_word(p, &IMAP_GREETINGS))?;
    conv.keep_greeting(&greeting);
    if !(starts_with_word(&greeting, "* OK") || starts_with_word(&greeting, "* PREAUTH")) {
        return Err(
            if IMAP_GREETINGS
                .iter()
                .any(|w| starts_with_word(&greeting, w))
            {
                refused("IMAP server refused the session", &greeting)
            } else {
                not_speaking("IMAP", greeting.as_bytes())
            },
        );
    }
    conv.send(b"C1 STARTTLS\r\n", "STARTTLS")?;
    for _ in 0..MAX_LINES {
        let line = conv.line("the STARTTLS reply")?;
        if starts_with_word(&line, "C1 OK") {
            return Ok(());
        }
        if line.starts_with("C1 ") {
            return Err(refused("IMAP server refused STARTTLS", &line));
        }
    }
    Err(too_many("the STARTTLS reply"))
}

pub fn pop3<S: Read + Write>(conv: &mut Conversation<'_, S>) -> Result<(), ConnectError> {
    let greeting = greeting_line(conv, "POP3", |p| can_start_with_word(p, &POP3_REPLIES))?;
    conv.keep_greeting(&greeting);
    if starts_with_word(&greeting, "-ERR") {
        return Err(refused("POP3 server refused the session", &greeting));
    }
    if !starts_with_word(&greeting, "+OK") {
        return Err(not_speaking("POP3", greeting.as_bytes()));
    }
    conv.send(b"STLS\r\n", "STLS")?;
    let reply = conv.line("the STLS reply")?;
    if !starts_with_word(&reply, "+OK") {
        return Err(refused("POP3 server refused STLS", &reply));
    }
    Ok(())
}

pub fn ftp<S: Read + Write>(conv: &mut Conversation<'_, S>) -> Result<(), ConnectError> {
    let greeting = ftp_reply(conv, "the FTP greeting", true)?;
    conv.keep_greeting(&greeting);
    if !greeting.starts_with("220") {
        return Err(refused("FTP server refused the session", &greeting));
    }
    conv.send(b"AUTH TLS\r\n", "AUTH TLS")?;
    let reply = ftp_reply(conv, "the AUTH TLS reply", false)?;
    if !reply.starts_with("234") {
        return Err(refused("FTP server refused AUTH TLS", &reply));
    }
    Ok(())
}

/// An FTP reply: `220 text`, or `220-text` ... up to a line starting with `220 `.
/// Returns its first line. The first line of the greeting not being a reply means the server
/// speaks another protocol.
fn ftp_reply<S: Read + Write>(
    conv: &mut Conversation<'_, S>,
    what: &str,
    greeting: bool,
) -> Result<String, ConnectError> {
    let not_a_reply = |received: &[u8]| {
        if greeting {
            not_speaking("FTP", received)
        } else {
            ConnectError::new(
                ErrorKind::Handshake,
                format!("{what} is not an FTP reply: '{}'", first_line(received)),
            )
        }
    };
    let first = conv.line_where(what, can_start_reply, not_a_reply)?;
    let Some(code) = first
        .get(..3)
        .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
    else {
        return Err(not_a_reply(first.as_bytes()));
    };
    if first.as_bytes().get(3) == Some(&b'-') {
        // RFC 959: the lines between the first and the last may hold any text.
        let end = format!("{code} ");
        for _ in 0..MAX_LINES {
            let line = conv.line(what)?;
            if line.starts_with(&end) || line == code {
                return Ok(first);
            }
        }
        return Err(too_many(what));
    }
    Ok(first)
}

pub fn sieve<S: Read + Write>(conv: &mut Conversation<'_, S>) -> Result<(), ConnectError> {
    let mut offers_starttls = false;
    for _ in 0..MAX_LINES {
        let line = greeting_line(conv, "ManageSieve", sieve_line_start)?;
        if conv.greeting.is_none() {
            conv.keep_greeting(&line);
        }
        if line.starts_with('"') {
            if line.eq_ignore_ascii_case("\"STARTTLS\"") {
                offers_starttls = true;
            }
            continue;
        }
        if starts_with_word(&line, "NO") || starts_with_word(&line, "BYE") {
            return Err(refused("ManageSieve server refused the session", &line));
        }
        if !starts_with_word(&line, "OK") {
            return Err(not_speaking("ManageSieve", line.as_bytes()));
        }
        if !offers_starttls {
            return Err(ConnectError::new(
                ErrorKind::Handshake,
                "server does not offer STARTTLS",
            ));
        }
        conv.send(b"STARTTLS\r\n", "STARTTLS")?;
        let reply = conv.line("the STARTTLS reply")?;
        if !starts_with_word(&reply, "OK") {
            return Err(refused("ManageSieve server refused STARTTLS", &reply));
        }
        return Ok(());
    }
    Err(too_many("the ManageSieve greeting"))
}

/// A ManageSieve greeting line starts with a quoted capability, `OK`, `NO` or `BYE`.
fn sieve_line_start(partial: &[u8]) -> bool {
    partial.first() == Some(&b'"') || can_start_with_word(partial, &SIEVE_RESPONSES)
}

/// One line of `protocol`'s greeting, refused as soon as its start fails `plausible`.
fn greeting_line<S: Read + Write>(
    conv: &mut Conversation<'_, S>,
    protocol: &str,
    plausible: impl Fn(&[u8]) -> bool,
) -> Result<String, ConnectError> {
    conv.line_where(&format!("the {protocol} greeting"), plausible, |received| {
        not_speaking(protocol, received)
    })
}

/// `line` starts with `word` followed by a space or the end, case-insensitively.
fn starts_with_word(line: &str, word: &str) -> bool {
    line.len() >= word.len()
        && line.as_bytes()[..word.len()].eq_ignore_ascii_case(word.as_bytes())
        && matches!(line.as_bytes().get(word.len()), None | Some(b' '))
}

fn too_many(what: &str) -> ConnectError {
    ConnectError::new(
        ErrorKind::Handshake,
        format!("{what} has more than {MAX_LINES} lines"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_whole() {
        assert!(starts_with_word("* OK ready", "* OK"));
        assert!(starts_with_word("+ok", "+OK"));
        assert!(!starts_with_word("+OKAY", "+OK"));
        assert!(!starts_with_word("", "OK"));
    }

    #[test]
    fn greeting_starts_are_judged_early() {
        assert!(sieve_line_start(b"\"IMPLEMENTATION\" \"Dovecot\""));
        assert!(sieve_line_start(b"O"));
        assert!(sieve_line_start(b"ok"));
        assert!(sieve_line_start(b"BYE \"go away\""));
        assert!(!sieve_line_start(b"SSH-2.0-OpenSSH_9.2"));
        assert!(!sieve_line_start(b"OKAY"));
        assert!(!sieve_line_start(b"220 mail.example ESMTP"));
        assert!(can_start_with_word(b"* PRE", &IMAP_GREETINGS));
        assert!(!can_start_with_word(b"* NOTHING", &IMAP_GREETINGS));
        assert!(!can_start_with_word(b"HTTP/1.1 400", &IMAP_GREETINGS));
    }
}
