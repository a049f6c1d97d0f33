//! STARTTLS for protocols that negotiate TLS in binary messages: XMPP stream features
//! (RFC 6120), the PostgreSQL SSLRequest, and the MySQL/MariaDB SSL request packet.

use super::conversation::{first_line, not_speaking, refused, Conversation, QUOTE, QUOTE_REPLY};
use crate::observation::{ConnectError, ErrorKind};
use crate::text::quote_bytes;
use std::io::{Read, Write};

/// The stream header and features are small; refuse more than this before TLS.
const MAX_XMPP: usize = 64 * 1024;
/// The MySQL initial handshake packet is under 200 bytes in practice.
const MAX_MYSQL_PACKET: usize = 16 * 1024;
/// A PostgreSQL ErrorResponse before TLS is a few hundred bytes.
const MAX_POSTGRES_ERROR: usize = 16 * 1024;

pub fn xmpp<S: Read + Write>(
    conv: &mut Conversation<'_, S>,
    domain: &str,
) -> Result<(), ConnectError> {
    let header = format!(
        "<?xml version='1.0'?><stream:stream to='{}' xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
        xml_escape(domain)
    );
    conv.send(header.as_bytes(), "the XMPP stream header")?;
    let features = conv.message(
        "the XMPP stream features",
        MAX_XMPP,
        |b| match xml_stream_start(b) {
            Start::Foreign => Err(not_speaking("XMPP", b)),
            Start::Undecided => Ok(None),
            Start::Stream => Ok(features_complete(b).then_some(b.len())),
        },
    )?;
    conv.greeting = Some(quote_bytes(&features, 120));
    if let Some(condition) = stream_error(&features) {
        return Err(refused("XMPP server refused the stream", &condition));
    }
    if !contains(&features, b"urn:ietf:params:xml:ns:xmpp-tls") {
        return Err(ConnectError::new(
            ErrorKind::Handshake,
            "server does not offer STARTTLS",
        ));
    }
    conv.send(
        b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
        "STARTTLS",
    )?;
    let what = "the STARTTLS reply";
    let answer = conv.message(what, MAX_XMPP, |b| {
        let text = b.trim_ascii_start();
        if text.first().is_some_and(|&c| c != b'<') {
            return Err(ConnectError::new(
                ErrorKind::Handshake,
                format!("{what} is not XML: '{}'", first_line(text)),
            ));
        }
        let done = (contains(b, b"<proceed")
            || contains(b, b"<failure")
            || contains(b, b"</stream:stream>"))
            && b.ends_with(b">");
        Ok(done.then_some(b.len()))
    })?;
    if contains(&answer, b"<proceed") {
        Ok(())
    } else {
        Err(refused(
            "XMPP server refused STARTTLS",
            &String::from_utf8_lossy(answer.trim_ascii()),
        ))
    }
}

/// The end of what the server sends before we ask for STARTTLS: its features, or the end of
/// the stream, or a stream error.
fn features_complete(b: &[u8]) -> bool {
    contains(b, b"</stream:features>")
        || contains(b, b"</stream:stream>")
        || (contains(b, b"<stream:error") && contains(b, b"</stream:error>"))
}

/// How far the first bytes of an answer go towards an XML stream.
#[derive(Debug, PartialEq, Eq)]
enum Start {
    /// The root element, named `stream` (`<stream:stream`), has begun.
    Stream,
    /// Nothing wrong so far; more bytes are needed to decide.
    Undecided,
    /// These bytes cannot start an XML stream.
    Foreign,
}

/// Judges the start of the server's answer to our stream header: optional whitespace, an
/// optional `<?xml ...?>` declaration, then the root element `<stream:stream` (any prefix).
fn xml_stream_start(bytes: &[u8]) -> Start {
    const BOM: &[u8] = b"\xef\xbb\xbf";
    if bytes.len() < BOM.len() && BOM.starts_with(bytes) {
        return Start::Undecided;
    }
    let mut rest = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut declaration_allowed = true;
    loop {
        rest = rest.trim_ascii_start();
        let Some((&open, after)) = rest.split_first() else {
            return Start::Undecided;
        };
        if open != b'<' {
            return Start::Foreign;
        }
        if after.first() == Some(&b'?') {
            const DECLARATION: &[u8] = b"<?xml";
            let seen = rest.len().min(DECLARATION.len());
            if !declaration_allowed || rest[..seen] != DECLARATION[..seen] {
                return Start::Foreign;
            }
            match rest.get(DECLARATION.len()) {
                None => return Start::Undecided,
                Some(c) if !c.is_ascii_whitespace() => return Start::Foreign,
                Some(_) => {}
            }
            let Some(end) = find(rest, b"?>") else {
                return Start::Undecided;
            };
            rest = &rest[end + 2..];
            declaration_allowed = false;
            continue;
        }
        let Some(name_end) = after.iter().position(|&c| !is_name_byte(c)) else {
            return Start::Undecided;
        };
        if !(after[name_end].is_ascii_whitespace() || matches!(after[name_end], b'>' | b'/')) {
            return Start::Foreign;
        }
        let name = &after[..name_end];
        let local = name.rsplit(|&c| c == b':').next().unwrap_or_default();
        return if local == b"stream" {
            Start::Stream
        } else {
            Start::Foreign
        };
    }
}

/// A byte of an XML name (ASCII letters, digits, `-_.:`, or part of a non-ASCII character).
fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':') || c >= 0x80
}

/// The first child element of `<stream:error>`, e.g. `host-unknown`.
fn stream_error(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let start = text.find("<stream:error")?;
    let inner = &text[start..];
    let child = inner
        .get(inner.find('>')? + 1..)?
        .trim_start()
        .strip_prefix('<')?;
    let name: String = child
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    Some(if name.is_empty() {
        "stream error".into()
    } else {
        name
    })
}

pub fn postgres<S: Read + Write>(conv: &mut Conversation<'_, S>) -> Result<(), ConnectError> {
    // Length 8, then the SSLRequest code 80877103.
    conv.send(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f], "the SSLRequest")?;
    let answer = conv.message(
        "the SSLRequest answer",
        MAX_POSTGRES_ERROR,
        sslrequest_answer,
    )?;
    match answer.first() {
        Some(b'S') => Ok(()),
        Some(b'N') => Err(ConnectError::new(
            ErrorKind::Handshake,
            "PostgreSQL server does not accept SSL",
        )),
        _ => Err(ConnectError::new(
            ErrorKind::Handshake,
            format!(
                "PostgreSQL server refused the SSLRequest: {}",
                postgres_error(&answer[1..])
            ),
        )),
    }
}

/// The end of the answer to the SSLRequest: `S` or `N` alone (a server sends nothing more
/// before the client's next message), or `E` and an error message.
fn sslrequest_answer(bytes: &[u8]) -> Result<Option<usize>, ConnectError> {
    let foreign = || Err(not_speaking("PostgreSQL", bytes));
    match bytes {
        [b'S' | b'N'] => Ok(Some(1)),
        [b'E', rest @ ..] => match error_end(rest) {
            Some(end) => Ok(end.map(|n| n + 1)),
            None => foreign(),
        },
        _ => foreign(),
    }
}

/// The length of the error message after `E`, judged as it arrives (`Some(None)` while
/// incomplete, `None` when it cannot be one). Protocol 3 sends an ErrorResponse: a 4-byte
/// length, then fields. The postmaster's own early errors ("could not fork new process") are
/// protocol-2 style: text up to a NUL.
fn error_end(rest: &[u8]) -> Option<Option<usize>> {
    let Some(&first) = rest.first() else {
        return Some(None);
    };
    if first == 0 {
        let Some(len) = rest.get(..4) else {
            return Some(None);
        };
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        if !(5..=MAX_POSTGRES_ERROR).contains(&len) {
            return None;
        }
        return Some((rest.len() >= len).then_some(len));
    }
    for (i, &c) in rest.iter().enumerate() {
        match c {
            0 if i > 0 => return Some(Some(i + 1)),
            b'\t' | b'\r' | b'\n' if i > 0 => {}
            c if c < 0x20 || c == 0x7f => return None,
            _ => {}
        }
    }
    Some(None)
}

/// "FATAL 28000 no pg_hba.conf entry ...": severity, SQLSTATE and message of an
/// ErrorResponse (after its `E`), or the text of a protocol-2 error.
fn postgres_error(message: &[u8]) -> String {
    if message.first() != Some(&0) {
        let text = message.strip_suffix(b"\0").unwrap_or(message);
        return quote_bytes(text.trim_ascii(), QUOTE_REPLY);
    }
    let mut fields = message.get(4..).unwrap_or_default();
    let (mut severity, mut plain_severity, mut code, mut text) = (None, None, None, None);
    while let Some((&kind, rest)) = fields.split_first() {
        if kind == 0 {
            break;
        }
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        let value = &rest[..end];
        match kind {
            b'S' => severity = Some(value),
            b'V' => plain_severity = Some(value),
            b'C' => code = Some(value),
            b'M' => text = Some(value),
            _ => {}
        }
        fields = rest.get(end + 1..).unwrap_or_default();
    }
    let parts: Vec<String> = [severity.or(plain_severity), code, text]
        .into_iter()
        .flatten()
        .filter(|part| !part.is_empty())
        .map(|part| quote_bytes(part, QUOTE_REPLY))
        .collect();
    if parts.is_empty() {
        "an empty error message".into()
    } else {
        crate::text::cut(&parts.join(" "), QUOTE_REPLY)
    }
}

/// MySQL capability flags used in the SSL request.
const CLIENT_LONG_PASSWORD: u32 = 0x0000_0001;
const CLIENT_PROTOCOL_41: u32 = 0x0000_0200;
const CLIENT_SSL: u32 = 0x0000_0800;
const CLIENT_SECURE_CONNECTION: u32 = 0x0000_8000;
const CLIENT_PLUGIN_AUTH: u32 = 0x0008_0000;

pub fn mysql<S: Read + Write>(conv: &mut Conversation<'_, S>) -> Result<(), ConnectError> {
    let packet = conv.message("the MySQL handshake", 4 + MAX_MYSQL_PACKET, handshake_end)?;
    let payload = &packet[4..];
    let capabilities = server_capabilities(payload)?;
    conv.greeting = Some(format!(
        "MySQL protocol 10, server {}",
        server_version(payload)
    ));
    if capabilities & CLIENT_SSL == 0 {
        return Err(ConnectError::new(
            ErrorKind::Handshake,
            "server does not offer TLS (no CLIENT_SSL capability)",
        ));
    }
    let flags = CLIENT_LONG_PASSWORD
        | CLIENT_PROTOCOL_41
        | CLIENT_SSL
        | CLIENT_SECURE_CONNECTION
        | CLIENT_PLUGIN_AUTH;
    let mut request = vec![32, 0, 0, 1];
    request.extend_from_slice(&flags.to_le_bytes());
    request.extend_from_slice(&(16u32 * 1024 * 1024).to_le_bytes());
    request.push(0x21); // utf8_general_ci
    request.extend_from_slice(&[0u8; 23]);
    conv.send(&request, "the SSL request")
}

/// The length of the server's first packet, judged as it arrives: a 3-byte length, sequence
/// number 0, then protocol 10 or an error packet, of at most [`MAX_MYSQL_PACKET`] bytes.
fn handshake_end(bytes: &[u8]) -> Result<Option<usize>, ConnectError> {
    let len = match bytes {
        [a, b, c, ..] => usize::from(*a) | usize::from(*b) << 8 | usize::from(*c) << 16,
        _ => return Ok(None),
    };
    let sequence_ok = bytes.get(3).is_none_or(|&s| s == 0);
    let kind_ok = bytes.get(4).is_none_or(|k| matches!(k, 0x0a | 0xff));
    if len == 0 || !sequence_ok || !kind_ok {
        return Err(not_speaking("MySQL", bytes));
    }
    if len > MAX_MYSQL_PACKET {
        // Judged on the header alone only once the packet's first byte confirms it.
        return if bytes.len() > 4 {
            Err(ConnectError::new(
                ErrorKind::Handshake,
                format!("the MySQL handshake packet of {len} bytes is too large"),
            ))
        } else {
            Ok(None)
        };
    }
    Ok((bytes.len() >= 4 + len).then_some(4 + len))
}

/// Capability flags of a protocol-10 handshake packet, or the server's error packet as an error.
fn server_capabilities(payload: &[u8]) -> Result<u32, ConnectError> {
    let bad = |why: &str| {
        ConnectError::new(
            ErrorKind::Handshake,
            format!("malformed MySQL handshake: {why}"),
        )
    };
    match payload.first() {
        Some(0x0a) => {}
        Some(0xff) => {
            return Err(refused(
                "MySQL server refused the connection",
                &mysql_error(payload),
            ))
        }
        _ => return Err(bad("not protocol version 10")),
    }
    let version_end = payload
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| bad("no server version"))?;
    // version NUL, connection id (4), auth data (8), filler (1), capabilities low (2)
    let low_at = version_end + 1 + 4 + 8 + 1;
    let low = payload
        .get(low_at..low_at + 2)
        .ok_or_else(|| bad("truncated"))?;
    let mut flags = u32::from(u16::from_le_bytes([low[0], low[1]]));
    // charset (1), status (2), capabilities high (2): present in every server since 4.1
    if let Some(high) = payload.get(low_at + 5..low_at + 7) {
        flags |= u32::from(u16::from_le_bytes([high[0], high[1]])) << 16;
    }
    Ok(flags)
}

/// An error packet: 0xff, a 2-byte error code, optionally `#` and a 5-character SQLSTATE,
/// then the message: "error 1130 (HY000): Host '...' is not allowed to connect".
fn mysql_error(payload: &[u8]) -> String {
    let Some(&[low, high]) = payload.get(1..3) else {
        return "an error packet without an error code".into();
    };
    let code = u16::from_le_bytes([low, high]);
    let rest = &payload[3..];
    let (state, message) = match rest {
        [b'#', state @ ..] if state.len() >= 5 => (Some(&state[..5]), &state[5..]),
        _ => (None, rest),
    };
    let message = String::from_utf8_lossy(message.trim_ascii());
    match state {
        Some(state) => format!(
            "error {code} ({}): {message}",
            String::from_utf8_lossy(state)
        ),
        None => format!("error {code}: {message}"),
    }
}

fn server_version(payload: &[u8]) -> String {
    let end = payload
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(payload.len());
    quote_bytes(payload.get(1..end).unwrap_or_default(), QUOTE)
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('\'', "&apos;")
        .replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_capabilities_are_read_from_the_handshake() {
        let mut packet = vec![0x0a];
        packet.extend_from_slice(b"10.11.6-MariaDB\0");
        packet.extend_from_slice(&[1, 0, 0, 0]);
        packet.extend_from_slice(&[0u8; 8]);
        packet.push(0);
        packet.extend_from_slice(&0xfffeu16.to_le_bytes());
        packet.push(0x21);
        packet.extend_from_slice(&[2, 0]);
        packet.extend_from_slice(&0x81bfu16.to_le_bytes());
        let flags = server_capabilities(&packet).unwrap();
        assert_ne!(flags & CLIENT_SSL, 0);
        assert_eq!(flags >> 16, 0x81bf);
        assert_eq!(server_version(&packet), "10.11.6-MariaDB");
        assert!(server_capabilities(&packet[..10]).is_err());
        let at = packet.len() - 7;
        packet[at..at + 2].copy_from_slice(&0xf7feu16.to_le_bytes());
        assert_eq!(server_capabilities(&packet).unwrap() & CLIENT_SSL, 0);
        assert!(server_capabilities(b"\xff\x15\x04#HY000Host is blocked").is_err());
    }

    #[test]
    fn mysql_error_packets_are_quoted() {
        assert_eq!(
            mysql_error(
                b"\xff\x6a\x04Host '10.0.0.7' is not allowed to connect to this MariaDB server"
            ),
            "error 1130: Host '10.0.0.7' is not allowed to connect to this MariaDB server"
        );
        assert_eq!(
            mysql_error(b"\xff\x15\x04#28000Access denied"),
            "error 1045 (28000): Access denied"
        );
        assert_eq!(
            mysql_error(b"\xff\x15"),
            "an error packet without an error code"
        );
        let e = server_capabilities(b"\xff\x10\x04Too many connections\r\n").unwrap_err();
        assert_eq!(
            e.message,
            "MySQL server refused the connection: error 1040: Too many connections"
        );
    }

    #[test]
    fn the_mysql_handshake_is_judged_before_it_is_complete() {
        let end = |b: &[u8]| handshake_end(b).map_err(|e| e.message);
        assert_eq!(end(b"\x4a\x00"), Ok(None));
        assert_eq!(end(b"\x4a\x00\x00\x00\x0a5.7"), Ok(None));
        assert_eq!(end(&[3, 0, 0, 0, 0xff, 1, 2]), Ok(Some(7)));
        assert_eq!(
            end(b"SSH-2.0-OpenSSH_9.2\r\n"),
            Err("the server does not speak MySQL: it sent 'SSH-2.0-OpenSSH_9.2'".into())
        );
        assert_eq!(
            end(b"\x10\x00\x00\x01\x0a"),
            Err("the server does not speak MySQL: it sent '\\x10\\0\\0\\x01'".into())
        );
        assert!(end(b"\x10\x00\x00\x00\x09").is_err(), "protocol 9");
        assert!(end(b"\x00\x00\x00\x00").is_err(), "empty packet");
        assert_eq!(end(b"\x20\x4e\x00"), Ok(None));
        assert_eq!(
            end(b"\x20\x4e\x00\x00\x0a"),
            Err("the MySQL handshake packet of 20000 bytes is too large".into())
        );
    }

    #[test]
    fn postgres_answers_are_judged_as_they_arrive() {
        let end = |b: &[u8]| sslrequest_answer(b).map_err(|e| e.message);
        assert_eq!(end(b"S"), Ok(Some(1)));
        assert_eq!(end(b"N"), Ok(Some(1)));
        assert_eq!(
            end(b"SSH-2.0-OpenSSH_9.2\r\n"),
            Err("the server does not speak PostgreSQL: it sent 'SSH-2.0-OpenSSH_9.2'".into())
        );
        assert_eq!(
            end(b"HTTP/1.1 400 Bad Request\r\n"),
            Err("the server does not speak PostgreSQL: it sent 'HTTP/1.1 400 Bad Request'".into())
        );
        assert_eq!(end(b"E"), Ok(None));
        assert_eq!(end(b"E\x00\x00\x00"), Ok(None));
        assert_eq!(end(b"E\x00\x00\x00\x08S\x00"), Ok(None));
        assert_eq!(end(b"E\x00\x00\x00\x08S\x00\x00\x00"), Ok(Some(9)));
        assert!(end(b"E\x00\x01\x00\x00").is_err(), "64 KiB error message");
        assert_eq!(end(b"Ecould not fork"), Ok(None));
        assert_eq!(end(b"Ecould not fork\n\x00"), Ok(Some(17)));
        assert!(end(b"E\x01\x02").is_err());
    }

    #[test]
    fn postgres_errors_quote_severity_code_and_message() {
        let mut fields = Vec::new();
        for (kind, value) in [
            (b'S', "FATAL"),
            (b'V', "FATAL"),
            (b'C', "28000"),
            (b'M', "no pg_hba.conf entry for host \"10.0.0.7\", user \"x\", database \"y\", no encryption"),
            (b'F', "auth.c"),
        ] {
            fields.push(kind);
            fields.extend_from_slice(value.as_bytes());
            fields.push(0);
        }
        fields.push(0);
        let mut message = ((fields.len() + 4) as u32).to_be_bytes().to_vec();
        message.extend_from_slice(&fields);
        assert_eq!(
            postgres_error(&message),
            "FATAL 28000 no pg_hba.conf entry for host \"10.0.0.7\", user \"x\", database \"y\", no encryption"
        );
        assert_eq!(
            postgres_error(b"could not fork new process for connection: Out of memory\n\0"),
            "could not fork new process for connection: Out of memory"
        );
        assert_eq!(postgres_error(b"\0\0\0\x05\0"), "an empty error message");
        assert_eq!(postgres_error(b"\0\0\0\x0bM\x1b[2J\0\0"), "\\x1b[2J");
    }

    #[test]
    fn only_an_xml_stream_passes_for_xmpp() {
        for undecided in [
            &b""[..],
            b"  \r\n",
            b"\xef\xbb",
            b"<",
            b"<?x",
            b"<?xml version='1.0'",
            b"<?xml version='1.0'?>\n<stream:str",
        ] {
            assert_eq!(
                xml_stream_start(undecided),
                Start::Undecided,
                "{undecided:?}"
            );
        }
        for stream in [
            &b"<stream:stream "[..],
            b"<?xml version='1.0'?><stream:stream xmlns='jabber:client'>",
            b"\xef\xbb\xbf<?xml version=\"1.0\"?>\n<stream:stream>",
            b"<s:stream xmlns:s='http://etherx.jabber.org/streams'/>",
        ] {
            assert_eq!(xml_stream_start(stream), Start::Stream, "{stream:?}");
        }
        for foreign in [
            &b"SSH-2.0-OpenSSH_9.2\r\n"[..],
            b"220 mail.example ESMTP",
            b"HTTP/1.1 400 Bad Request",
            b"\x15\x03\x03\x00\x02\x02\x32",
            b"<html><body>",
            b"<!DOCTYPE html>",
            b"<?php",
            b"<?xml?>",
            b"<?xml version='1.0'?><?xml",
            b"<stream:features>",
            b"< stream",
            b"<stream\x00",
        ] {
            assert_eq!(xml_stream_start(foreign), Start::Foreign, "{foreign:?}");
        }
    }

    #[test]
    fn xmpp_stream_errors_are_named() {
        let text = b"<stream:stream><stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>";
        assert_eq!(stream_error(text).as_deref(), Some("host-unknown"));
    }
}
