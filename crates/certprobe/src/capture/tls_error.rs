//! What a failed rustls handshake means, in words, and whether certprobe's own ClientHello
//! could still read the chain. rustls' own texts name its enum variants
//! (`HandshakeFailure`, `SelectedUnofferedCipherSuite`); users get sentences instead.

use super::alerts;
use rustls::{Error, InvalidMessage, PeerIncompatible, PeerMisbehaved};

/// Whether the legacy capture can succeed where rustls failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// The server may speak only what rustls does not (TLS 1.0/1.1, CBC or RSA key exchange
    /// only, a Certificate message over 64 KiB): one more connection with certprobe's own
    /// ClientHello is worth it.
    Worth,
    /// Another ClientHello would get the same answer.
    Useless,
}

/// The sentence for a rustls error during the handshake, and whether to fall back.
pub fn explain(error: &Error) -> (String, Fallback) {
    use Fallback::{Useless, Worth};
    match error {
        Error::AlertReceived(alert) => {
            let code = u8::from(*alert);
            let worth = match code {
                // handshake_failure, protocol_version, insufficient_security, illegal_parameter,
                // decode_error, internal_error: what old servers answer to a modern ClientHello.
                40 | 47 | 50 | 70 | 71 | 80 => Worth,
                _ => Useless,
            };
            (
                format!("the server sent alert {}", alerts::describe(code)),
                worth,
            )
        }
        Error::PeerIncompatible(why) => (incompatible(why), Worth),
        Error::PeerMisbehaved(why) => (misbehaved(why), Worth),
        Error::InvalidMessage(why) => invalid_message(why),
        Error::PeerSentOversizedRecord => (
            "the server sent a TLS record larger than the protocol allows".into(),
            Worth,
        ),
        Error::DecryptError => (
            "the server's handshake messages could not be decrypted".into(),
            Useless,
        ),
        Error::InappropriateMessage { .. } | Error::InappropriateHandshakeMessage { .. } => {
            ("the server sent a TLS message out of order".into(), Worth)
        }
        Error::NoCertificatesPresented => ("the server sent no certificate".into(), Useless),
        Error::General(text) => (crate::text::visible(text), Useless),
        _ => ("the TLS handshake failed".into(), Useless),
    }
}

fn invalid_message(why: &InvalidMessage) -> (String, Fallback) {
    match why {
        InvalidMessage::MessageTooLarge
        | InvalidMessage::HandshakePayloadTooLarge
        | InvalidMessage::CertificatePayloadTooLarge => (
            "the server's Certificate message is larger than TLS clients accept (64 KiB)".into(),
            Fallback::Worth,
        ),
        InvalidMessage::UnknownProtocolVersion => (
            "the server answered with a protocol version this client does not know".into(),
            Fallback::Worth,
        ),
        _ => (
            "the server sent a malformed TLS message".into(),
            Fallback::Worth,
        ),
    }
}

fn incompatible(why: &PeerIncompatible) -> String {
    let words = match why {
        PeerIncompatible::ServerDoesNotSupportTls12Or13
        | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
        | PeerIncompatible::Tls12NotOffered => "the server speaks neither TLS 1.2 nor TLS 1.3",
        PeerIncompatible::NoCipherSuitesInCommon => {
            "the server has no cipher suite in common with this client"
        }
        PeerIncompatible::NoKxGroupsInCommon => {
            "the server has no key exchange group in common with this client"
        }
        PeerIncompatible::NoSignatureSchemesInCommon => {
            "the server has no signature scheme in common with this client"
        }
        PeerIncompatible::NoEcPointFormatsInCommon => {
            "the server has no elliptic curve point format in common with this client"
        }
        PeerIncompatible::ExtendedMasterSecretExtensionRequired => {
            "the server does not support the extended master secret this client requires"
        }
        _ => "the server's TLS is incompatible with this client",
    };
    words.to_string()
}

fn misbehaved(why: &PeerMisbehaved) -> String {
    let words = match why {
        PeerMisbehaved::SelectedUnofferedCipherSuite
        | PeerMisbehaved::SelectedUnusableCipherSuiteForVersion => {
            "the server chose a cipher suite this client did not offer"
        }
        PeerMisbehaved::SelectedUnofferedKxGroup | PeerMisbehaved::WrongGroupForKeyShare => {
            "the server chose a key exchange group this client did not offer"
        }
        PeerMisbehaved::SelectedUnofferedCompression => {
            "the server chose a compression method this client did not offer"
        }
        PeerMisbehaved::AttemptedDowngradeToTls12WhenTls13IsSupported => {
            "the server signalled a downgrade from TLS 1.3"
        }
        PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme
        | PeerMisbehaved::SignedKxWithWrongAlgorithm => {
            "the server signed the handshake with a scheme this client did not offer"
        }
        _ => "the server broke the TLS protocol during the handshake",
    };
    words.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::AlertDescription;

    #[test]
    fn rustls_errors_become_sentences_without_enum_names() {
        let cases = [
            (
                Error::AlertReceived(AlertDescription::HandshakeFailure),
                "the server sent alert handshake_failure (40): the server found no cipher suite or key exchange in common with this client",
                Fallback::Worth,
            ),
            (
                Error::AlertReceived(AlertDescription::UnrecognisedName),
                "the server sent alert unrecognized_name (112): the server does not know the name sent as SNI",
                Fallback::Useless,
            ),
            (
                Error::PeerMisbehaved(PeerMisbehaved::SelectedUnofferedCipherSuite),
                "the server chose a cipher suite this client did not offer",
                Fallback::Worth,
            ),
            (
                Error::InvalidMessage(InvalidMessage::MessageTooLarge),
                "the server's Certificate message is larger than TLS clients accept (64 KiB)",
                Fallback::Worth,
            ),
            (
                Error::General("bad\r\nthing".into()),
                "bad\\r\\nthing",
                Fallback::Useless,
            ),
        ];
        for (error, text, fallback) in cases {
            assert_eq!(explain(&error), (text.to_string(), fallback));
        }
    }
}
