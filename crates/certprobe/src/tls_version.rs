//! TLS protocol versions, as the probes offer them and the policy compares them.

use serde::{Deserialize, Serialize};

/// A protocol version, ordered oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TlsVersion {
    /// TLS 1.0 (RFC 2246), wire code 0x0301.
    #[serde(rename = "TLSv1.0")]
    Tls10,
    /// TLS 1.1 (RFC 4346), wire code 0x0302.
    #[serde(rename = "TLSv1.1")]
    Tls11,
    /// TLS 1.2 (RFC 5246), wire code 0x0303.
    #[serde(rename = "TLSv1.2")]
    Tls12,
    /// TLS 1.3 (RFC 8446), wire code 0x0304.
    #[serde(rename = "TLSv1.3")]
    Tls13,
}

impl TlsVersion {
    /// Every version, oldest first.
    pub const ALL: [TlsVersion; 4] = [
        TlsVersion::Tls10,
        TlsVersion::Tls11,
        TlsVersion::Tls12,
        TlsVersion::Tls13,
    ];

    /// The name OpenSSL and the outputs use: "TLSv1.2".
    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::Tls10 => "TLSv1.0",
            TlsVersion::Tls11 => "TLSv1.1",
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        }
    }

    /// The code on the wire.
    pub fn wire(self) -> u16 {
        match self {
            TlsVersion::Tls10 => 0x0301,
            TlsVersion::Tls11 => 0x0302,
            TlsVersion::Tls12 => 0x0303,
            TlsVersion::Tls13 => 0x0304,
        }
    }

    /// The version of a wire code.
    pub fn from_wire(code: u16) -> Option<TlsVersion> {
        TlsVersion::ALL.into_iter().find(|v| v.wire() == code)
    }

    /// `1.2`, `TLSv1.2` or `tls1.2`.
    pub fn from_name(text: &str) -> Option<TlsVersion> {
        let number = text
            .trim()
            .trim_start_matches("TLSv")
            .trim_start_matches("tlsv")
            .trim_start_matches("tls")
            .trim_start_matches("TLS");
        TlsVersion::ALL
            .into_iter()
            .find(|v| v.name().trim_start_matches("TLSv") == number)
    }
}

impl std::fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::TlsVersion;

    #[test]
    fn versions_order_and_parse() {
        assert!(TlsVersion::Tls10 < TlsVersion::Tls12);
        assert_eq!(TlsVersion::from_name("1.2"), Some(TlsVersion::Tls12));
        assert_eq!(TlsVersion::from_name("TLSv1.0"), Some(TlsVersion::Tls10));
        assert_eq!(TlsVersion::from_name("tls1.3"), Some(TlsVersion::Tls13));
        assert_eq!(TlsVersion::from_name("1.4"), None);
        assert_eq!(TlsVersion::from_wire(0x0302), Some(TlsVersion::Tls11));
    }
}
