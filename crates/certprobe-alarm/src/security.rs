//! Security alarms: what is wrong with a deployed certificate or its endpoint besides its
//! expiry. Key, signature and protocol are judged from the stored facts (the same answer
//! whatever policy the scan ran with); trust, name and revocation from the scan's findings,
//! as only the scan could judge them.

use crate::tier::Thresholds;
use certprobe_inventory::notification::AlarmInput;
use serde::{Deserialize, Serialize};

/// One security alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecurityAlarm {
    /// An RSA or DSA key below the minimum size, or an EC key below 256 bits.
    WeakKey,
    /// An MD5, MD2 or SHA-1 signature on the certificate.
    WeakSignature,
    /// The endpoint negotiated TLS 1.0 or 1.1.
    OldTls,
    /// The chain does not lead to a trusted root.
    Untrusted,
    /// The certificate does not cover the name it was checked for.
    NameMismatch,
    /// The certificate is revoked.
    Revoked,
}

impl SecurityAlarm {
    /// Every alarm, in the order reports list them.
    pub const ALL: [SecurityAlarm; 6] = [
        SecurityAlarm::WeakKey,
        SecurityAlarm::WeakSignature,
        SecurityAlarm::OldTls,
        SecurityAlarm::Untrusted,
        SecurityAlarm::NameMismatch,
        SecurityAlarm::Revoked,
    ];

    /// The id stored and written in JSON.
    pub fn id(self) -> &'static str {
        match self {
            SecurityAlarm::WeakKey => "weak-key",
            SecurityAlarm::WeakSignature => "weak-signature",
            SecurityAlarm::OldTls => "old-tls",
            SecurityAlarm::Untrusted => "untrusted",
            SecurityAlarm::NameMismatch => "name-mismatch",
            SecurityAlarm::Revoked => "revoked",
        }
    }

    /// The alarm of an id.
    pub fn from_id(id: &str) -> Option<SecurityAlarm> {
        SecurityAlarm::ALL.into_iter().find(|a| a.id() == id)
    }

    /// What it means, for people.
    pub fn describe(self) -> &'static str {
        match self {
            SecurityAlarm::WeakKey => "weak key",
            SecurityAlarm::WeakSignature => "MD5 or SHA-1 signature",
            SecurityAlarm::OldTls => "TLS 1.0 or 1.1 negotiated",
            SecurityAlarm::Untrusted => "not trusted",
            SecurityAlarm::NameMismatch => "name mismatch",
            SecurityAlarm::Revoked => "revoked",
        }
    }
}

/// Signature algorithms that are broken: by name as the engine writes them, and by OID
/// where it writes the OID (MD2, MD4 and DSA with SHA-1 RSA have no name there).
const WEAK_SIGNATURE_OIDS: [&str; 3] = [
    "1.2.840.113549.1.1.2",
    "1.2.840.113549.1.1.3",
    "1.2.840.10040.4.3",
];

/// Whether a signature algorithm, as the inventory stores it, is broken.
pub fn is_weak_signature(signature: &str) -> bool {
    let upper = signature.to_ascii_uppercase();
    upper.contains("MD5") || upper.contains("SHA1") || WEAK_SIGNATURE_OIDS.contains(&signature)
}

/// Whether a key, as the inventory stores it, is weak.
pub fn is_weak_key(key_type: &str, bits: u32, thresholds: &Thresholds) -> bool {
    match key_type.to_ascii_uppercase().as_str() {
        "RSA" | "DSA" | "RSA-PSS" => bits < thresholds.min_rsa_bits,
        "EC" | "ECDSA" => bits < 256,
        _ => false,
    }
}

/// Whether a negotiated version, as the inventory stores it, is TLS 1.0 or 1.1 (or older).
pub fn is_old_tls(version: &str) -> bool {
    matches!(version, "TLSv1.0" | "TLSv1.1" | "TLSv1" | "SSLv3")
}

/// Whether a trust finding, as the engine words it, says the chain leads to no trusted
/// root. Not when the only fault is a date (the tiers tell that), nor when the verifier could
/// not decide ("trust could not be verified").
pub fn is_untrusted(message: &str) -> bool {
    match message.strip_prefix("chain is not trusted: ") {
        Some(reason) => {
            !(reason.starts_with("expired element") || reason.starts_with("element not yet valid"))
        }
        None => false,
    }
}

/// The alarms of one deployment, in the order of [`SecurityAlarm::ALL`].
pub fn alarms_of(input: &AlarmInput, thresholds: &Thresholds) -> Vec<SecurityAlarm> {
    let finding = |check: &str, bad: &dyn Fn(&str) -> bool| {
        input
            .findings
            .iter()
            .any(|f| f.check == check && bad(&f.state))
    };
    let not_ok = |state: &str| state == "WARNING" || state == "CRITICAL";
    let mut alarms = Vec::new();
    if is_weak_key(&input.leaf.key_type, input.leaf.key_bits, thresholds) {
        alarms.push(SecurityAlarm::WeakKey);
    }
    if is_weak_signature(&input.leaf.signature) {
        alarms.push(SecurityAlarm::WeakSignature);
    }
    if is_old_tls(&input.tls_version) {
        alarms.push(SecurityAlarm::OldTls);
    }
    if input
        .findings
        .iter()
        .any(|f| f.check == "trust" && is_untrusted(&f.message))
    {
        alarms.push(SecurityAlarm::Untrusted);
    }
    if finding("name", &not_ok) {
        alarms.push(SecurityAlarm::NameMismatch);
    }
    // A WARNING there means the status could not be learnt, which is not an alarm.
    if finding("revocation", &|state| state == "CRITICAL") {
        alarms.push(SecurityAlarm::Revoked);
    }
    alarms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_algorithms_by_the_names_the_inventory_stores() {
        let t = Thresholds::default();
        assert!(is_weak_signature("SHA1-RSA") && is_weak_signature("ECDSA-SHA1"));
        assert!(is_weak_signature("MD5-RSA") && is_weak_signature("1.2.840.113549.1.1.2"));
        assert!(!is_weak_signature("SHA256-RSA") && !is_weak_signature("Ed25519"));
        assert!(is_weak_key("RSA", 1024, &t) && !is_weak_key("RSA", 2048, &t));
        assert!(is_weak_key("EC", 224, &t) && !is_weak_key("EC", 256, &t));
        assert!(!is_weak_key("Ed25519", 256, &t));
        assert!(is_old_tls("TLSv1.0") && is_old_tls("TLSv1.1") && !is_old_tls("TLSv1.2"));
        assert!(!is_old_tls(""));
        assert!(is_untrusted(
            "chain is not trusted: unknown issuer: no trusted root"
        ));
        assert!(!is_untrusted("chain is not trusted: expired element: chain element 1 ('x') expired on 2026-11-01 00:00:00 UTC"));
        assert!(!is_untrusted(
            "trust could not be verified: the chain is too long"
        ));
        assert!(!is_untrusted("chain is trusted (system)"));
        for alarm in SecurityAlarm::ALL {
            assert_eq!(SecurityAlarm::from_id(alarm.id()), Some(alarm));
        }
    }
}
