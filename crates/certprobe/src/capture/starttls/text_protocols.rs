//! The line-based STARTTLS dialogues that need no more than a greeting and one command:
//! IMAP (RFC 3501/9051), POP3 (RFC 2595), FTP (RFC 4217) and ManageSieve (RFC 5804).

use super::conversation::{refused, Conversation, MAX_LINES};
use crate::observation::{ConnectError, ErrorKind};
use std::io::{Read, Write};

pub fn imap<S: Read + Write>(conv: &mut Conversation<'_, S>) -> Result<(), ConnectError> {
    let greeting = conv.line("the IMAP greeting")?;
    conv.greeting = Some(greeting.clone());
    if !(starts_with_word(&greeting, "* OK") || starts_with_word(&greeting, "* PREAUTH")) {
        return Err(refused("IMAP server refused the session", &greeting));
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
    let greeting = conv.line("the POP3 greeting")?;
    conv.greeting = Some(greeting.clone());
    if !starts_with_word(&greeting, "+OK") {
        return Err(refused("POP3 server refused the session", &greeting));
    }
    conv.send(b"STLS\r\n", "STLS")?;
    let reply = conv.line("the STLS reply")?;
    if !starts_with_word(&reply, "+OK") {
        return Err(refused("POP3 server refused STLS", &reply));
    }
    Ok(())
}

pub fn ftp<S: Read + Write>(conv: &mut Conversation<'_, S>) -> Result<(), ConnectError> {
    let greeting = ftp_reply(conv, "the FTP greeting")?;
    conv.greeting = Some(greeting.clone());
    if !greeting.starts_with("220") {
        return Err(refused("FTP server refused the session", &greeting));
    }
    conv.send(b"AUTH TLS\r\n", "AUTH TLS")?;
    let reply = ftp_reply(conv, "the AUTH TLS reply")?;
    if !reply.starts_with("234") {
        return Err(refused("FTP server refused AUTH TLS", &reply));
    }
    Ok(())
}

/// An FTP reply: `220 text`, or `220-text` ... up to a line starting with `220 `.
/// Returns its first line.
fn ftp_reply<S: Read + Write>(
    conv: &mut Conversation<'_, S>,
    what: &str,
) -> Result<String, ConnectError> {
    let first = conv.line(what)?;
    let code = first
        .get(..3)
        .filter(|c| c.bytes().all(|b| b.is_ascii_digit()));
    let Some(code) = code.map(str::to_string) else {
        return Err(ConnectError::new(
            ErrorKind::Handshake,
            format!("{what} is not an FTP reply: '{first}'"),
        ));
    };
    if first.as_bytes().get(3) == Some(&b'-') {
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
        let line = conv.line("the ManageSieve greeting")?;
        if conv.greeting.is_none() {
            conv.greeting = Some(line.clone());
        }
        if line.eq_ignore_ascii_case("\"STARTTLS\"") {
            offers_starttls = true;
        }
        if starts_with_word(&line, "OK") {
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
        if starts_with_word(&line, "NO") || starts_with_word(&line, "BYE") {
            return Err(refused("ManageSieve server refused the session", &line));
        }
    }
    Err(too_many("the ManageSieve greeting"))
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
    use super::starts_with_word;

    #[test]
    fn words_match_whole() {
        assert!(starts_with_word("* OK ready", "* OK"));
        assert!(starts_with_word("+ok", "+OK"));
        assert!(!starts_with_word("+OKAY", "+OK"));
        assert!(!starts_with_word("", "OK"));
    }
}
