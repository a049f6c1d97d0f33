//! The stable identifiers of the checks, as the JSON output names them (`"check": "expiry"`).
//! A new check is one variant here; an id means one thing only.

use serde::Serialize;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Days left of the leaf.
    Expiry,
    /// The leaf's alarm tier.
    Tier,
    /// An intermediate that expires, or expires before the leaf.
    ChainExpiry,
    /// The host name against the certificate's names.
    Name,
    /// A self-signed leaf (OK when allowed, or trusted itself through `--ca-file`).
    SelfSigned,
    /// The chain against the trust anchors.
    Trust,
    /// The handshake failed after the certificate arrived.
    Handshake,
    /// The key: type and size.
    Key,
    /// Key usage and extended key usage.
    #[serde(rename = "usage")]
    KeyUsage,
    /// The chain as sent: order, duplicates, completeness.
    Chain,
    /// Signature hashes in the chain.
    Signature,
    /// The validity period's length.
    Validity,
    /// A missing subjectAltName.
    San,
    /// `--issuer`.
    Issuer,
    /// `--match`.
    Match,
    /// `--fingerprint`.
    Fingerprint,
    /// `--serial`.
    Serial,
    /// The negotiated protocol.
    Tls,
    /// The TLS versions accepted.
    Protocols,
    /// The security grade.
    Grade,
    /// The leaf's revocation status, by OCSP (stapled or fetched) or CRL.
    Revocation,
    /// `--require-stapling`.
    Stapling,
    /// No certificate could be captured.
    Connection,
    /// The time limit was reached.
    Timeout,
    /// The certificate could not be read.
    Certificate,
    /// The check could not be set up on this side.
    Setup,
    /// The arguments or the configuration are wrong.
    Arguments,
    /// What an inventory knows of the endpoint: stale (not seen in the latest run of its
    /// job), scanned too long ago, or not in the inventory at all.
    Inventory,
    /// A certificate file's private key: found with it, not its own, or a key without one.
    PrivateKey,
    /// What reading a certificate file showed: a keystore's integrity, encrypted keys.
    File,
}

impl Check {
    /// The id as the JSON output writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Expiry => "expiry",
            Check::Tier => "tier",
            Check::ChainExpiry => "chain-expiry",
            Check::Name => "name",
            Check::SelfSigned => "self-signed",
            Check::Trust => "trust",
            Check::Handshake => "handshake",
            Check::Key => "key",
            Check::KeyUsage => "usage",
            Check::Chain => "chain",
            Check::Signature => "signature",
            Check::Validity => "validity",
            Check::San => "san",
            Check::Issuer => "issuer",
            Check::Match => "match",
            Check::Fingerprint => "fingerprint",
            Check::Serial => "serial",
            Check::Tls => "tls",
            Check::Protocols => "protocols",
            Check::Grade => "grade",
            Check::Revocation => "revocation",
            Check::Stapling => "stapling",
            Check::Connection => "connection",
            Check::Timeout => "timeout",
            Check::Certificate => "certificate",
            Check::Setup => "setup",
            Check::Arguments => "arguments",
            Check::Inventory => "inventory",
            Check::PrivateKey => "private-key",
            Check::File => "file",
        }
    }

    /// Every check, in the order of the enum.
    pub const ALL: [Check; 30] = [
        Check::Expiry,
        Check::Tier,
        Check::ChainExpiry,
        Check::Name,
        Check::SelfSigned,
        Check::Trust,
        Check::Handshake,
        Check::Key,
        Check::KeyUsage,
        Check::Chain,
        Check::Signature,
        Check::Validity,
        Check::San,
        Check::Issuer,
        Check::Match,
        Check::Fingerprint,
        Check::Serial,
        Check::Tls,
        Check::Protocols,
        Check::Grade,
        Check::Revocation,
        Check::Stapling,
        Check::Connection,
        Check::Timeout,
        Check::Certificate,
        Check::Setup,
        Check::Arguments,
        Check::Inventory,
        Check::PrivateKey,
        Check::File,
    ];

    /// The check of an id as [`Check::as_str`] writes it (and an inventory stores it).
    pub fn from_id(id: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.as_str() == id)
    }
}

#[cfg(test)]
mod tests {
    use super::Check;

    #[test]
    fn serialised_ids_are_the_documented_ones() {
        for check in [
            Check::ChainExpiry,
            Check::KeyUsage,
            Check::SelfSigned,
            Check::Arguments,
        ] {
            assert_eq!(
                serde_json::to_string(&check).unwrap(),
                format!("\"{}\"", check.as_str())
            );
        }
    }

    #[test]
    fn every_id_reads_back_and_means_one_check() {
        // Adding a variant breaks this match until it is in ALL too.
        let listed = |c: Check| match c {
            Check::Expiry
            | Check::Tier
            | Check::ChainExpiry
            | Check::Name
            | Check::SelfSigned
            | Check::Trust
            | Check::Handshake
            | Check::Key
            | Check::KeyUsage
            | Check::Chain
            | Check::Signature
            | Check::Validity
            | Check::San
            | Check::Issuer
            | Check::Match
            | Check::Fingerprint
            | Check::Serial
            | Check::Tls
            | Check::Protocols
            | Check::Grade
            | Check::Revocation
            | Check::Stapling
            | Check::Connection
            | Check::Timeout
            | Check::Certificate
            | Check::Setup
            | Check::Arguments
            | Check::Inventory
            | Check::PrivateKey
            | Check::File => c,
        };
        let mut ids = std::collections::HashSet::new();
        for check in Check::ALL {
            assert_eq!(Check::from_id(check.as_str()), Some(listed(check)));
            assert_eq!(
                serde_json::to_string(&check).unwrap(),
                format!("\"{}\"", check.as_str())
            );
            assert!(ids.insert(check.as_str()), "{}", check.as_str());
        }
        assert_eq!(Check::from_id("no-such-check"), None);
    }
}
