//! STARTTLS for protocols that negotiate TLS in binary messages: XMPP stream features
//! (RFC 6120), the PostgreSQL SSLRequest, and the MySQL/MariaDB SSL request packet.

use super::conversation::{printable, refused, Conversation};
use crate::observation::{ConnectError, ErrorKind};
use std::io::{Read, Write};

/// The stream header and features are small; refuse more than this before TLS.
const MAX_XMPP: usize = 64 * 1024;
/// The MySQL initial handshake packet is under 200 bytes in practice.
const MAX_MYSQL_PACKET: usize = 16 * 1024;

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
    let features = conv.read_until("the XMPP stream features", MAX_XMPP, |b| {
        contains(b, b"</stream:features>")
            || contains(b, b"</stream:stream>")
            || (contains(b, b"<stream:error") && contains(b, b"</stream:error>"))
    })?;
    conv.greeting = Some(printable(&features[..features.len().min(120)]));
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
    let answer = conv.read_until("the STARTTLS reply", MAX_XMPP, |b| {
        (contains(b, b"<proceed") || contains(b, b"<failure") || contains(b, b"</stream:stream>"))
            && b.ends_with(b">")
    })?;
    if contains(&answer, b"<proceed") {
        Ok(())
    } else {
        Err(refused("XMPP server refused STARTTLS", &printable(&answer)))
    }
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
    let answer = conv.exact(1, "the SSLRequest answer")?;
    match answer[0] {
        b'S' => Ok(()),
        b'N' => Err(ConnectError::new(
            ErrorKind::Handshake,
            "PostgreSQL server does not accept SSL",
        )),
        b'E' => Err(ConnectError::new(
            ErrorKind::Handshake,
            "PostgreSQL server answered the SSLRequest with an error",
        )),
        other => Err(ConnectError::new(
            ErrorKind::Handshake,
            format!("not a PostgreSQL server: it answered the SSLRequest with byte 0x{other:02x}"),
        )),
    }
}

/// MySQL capability flags used in the SSL request.
const CLIENT_LONG_PASSWORD: u32 = 0x0000_0001;
const CLIENT_PROTOCOL_41: u32 = 0x0000_0200;
const CLIENT_SSL: u32 = 0x0000_0800;
const CLIENT_SECURE_CONNECTION: u32 = 0x0000_8000;
const CLIENT_PLUGIN_AUTH: u32 = 0x0008_0000;

pub fn mysql<S: Read + Write>(conv: &mut Conversation<'_, S>) -> Result<(), ConnectError> {
    let head = conv.exact(4, "the MySQL handshake")?;
    let len = usize::from(head[0]) | usize::from(head[1]) << 8 | usize::from(head[2]) << 16;
    if len == 0 || len > MAX_MYSQL_PACKET {
        return Err(ConnectError::new(
            ErrorKind::Handshake,
            format!("not a MySQL server: first packet of {len} bytes"),
        ));
    }
    let payload = conv.exact(len, "the MySQL handshake")?;
    let capabilities = server_capabilities(&payload)?;
    conv.greeting = Some(format!(
        "MySQL protocol 10, server {}",
        server_version(&payload)
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
            let message = printable(payload.get(3..).unwrap_or_default());
            return Err(refused("MySQL server refused the connection", &message));
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

fn server_version(payload: &[u8]) -> String {
    let end = payload
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(payload.len());
    printable(payload.get(1..end).unwrap_or_default())
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
    fn xmpp_stream_errors_are_named() {
        let text = b"<stream:stream><stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>";
        assert_eq!(stream_error(text).as_deref(), Some("host-unknown"));
    }
}
