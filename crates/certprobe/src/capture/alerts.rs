//! TLS alerts in words: what a server means when it answers the ClientHello with an alert.

/// The alert names of RFC 5246 and RFC 8446 (`handshake_failure`), or `unknown`.
pub use super::probe::alert_name as name;

/// What the alert says, for an admin: "handshake_failure (40): the server found no cipher
/// suite or key exchange in common with this client".
pub fn describe(description: u8) -> String {
    let meaning = match description {
        0 => "the server closed the session without completing the handshake",
        10 => "the server received a message it did not expect",
        20 | 21 => "the server could not decrypt a record",
        22 => "the server received a record that is too long",
        40 => "the server found no cipher suite or key exchange in common with this client",
        42 | 43 | 45 | 46 | 48 => "the server refused a certificate",
        47 => "the server found a value in the ClientHello it does not accept",
        49 => "the server refuses access",
        50 => "the server could not decode the ClientHello",
        51 => "the server could not verify a signature",
        70 => "the server's TLS library refused every protocol version this client offers",
        71 => "the server demands stronger security than this client offers",
        80 => "the server had an internal error",
        86 => "the server refused a fallback to an older protocol version",
        90 => "the server canceled the handshake",
        109 => "the server misses an extension it requires",
        110 => "the server received an extension it does not support",
        112 => "the server does not know the name sent as SNI",
        116 => "the server requires a client certificate",
        120 => "the server found no application protocol in common",
        _ => "the server refused the handshake",
    };
    format!("{} ({description}): {meaning}", name(description))
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn alerts_read_as_words() {
        assert_eq!(
            describe(70),
            "protocol_version (70): the server's TLS library refused every protocol version this client offers"
        );
        assert_eq!(
            describe(0),
            "close_notify (0): the server closed the session without completing the handshake"
        );
        assert_eq!(
            describe(200),
            "unknown (200): the server refused the handshake"
        );
    }
}
