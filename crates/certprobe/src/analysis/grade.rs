//! A security grade from A+ to F in the spirit of the SSL Labs rating guide (2009r) as
//! testssl.sh implements it: protocol support 30 %, key exchange 30 %, cipher strength 40 %,
//! then caps; T when the chain is not trusted, M when the name does not match.
//!
//! What is implemented, exactly:
//! - Protocol score: TLS 1.0 = 90, TLS 1.1 = 95, TLS 1.2 and 1.3 = 100; (best + worst) / 2 over
//!   the versions the server accepts (SSL 2/3 are not probed).
//! - Key exchange score from the certificate key (RSA bits: < 512 = 20, < 1024 = 40, < 2048 = 80,
//!   < 4096 = 90, else 100); ECDSA and
//!   EdDSA by their RSA-equivalent strength (P-256 and Ed25519 = 90, P-384 and up = 100).
//!   Not implemented: the server's DH/ECDHE parameters (we read the certificate, not the
//!   key exchange), so a weak DH group is not seen.
//! - Cipher score: (strongest + weakest) / 2 over the suites the server chose for each accepted
//!   version (no full cipher enumeration): 0 bits = 0, < 128 = 20, < 256 = 80, 256 = 100.
//! - Score to grade: >= 80 A, >= 65 B, >= 50 C, >= 35 D, >= 20 E, else F.
//! - Caps: TLS 1.0 or 1.1 accepted caps at B; no TLS 1.2 or 1.3 caps at C; RSA below 2048 bits
//!   caps at B; RSA below 1024 bits, an MD5 or SHA-1 signature on the leaf or a NULL/EXPORT
//!   suite gives F; RC4 or 3DES caps at C.
//! - A+ (SSL Labs needs HSTS, an HTTP header we do not fetch): grade A with TLS 1.3 accepted
//!   and nothing below TLS 1.2.
//! - T (trust problems: untrusted, expired or not yet valid) and M (name mismatch) replace the
//!   letter, as SSL Labs shows them.
//! - STARTTLS is graded like direct TLS, without a cap: the grade describes the TLS
//!   configuration; that a STARTTLS upgrade can be stripped by an active attacker is a
//!   property of the protocol, which every STARTTLS service shares.

use super::{CertFacts, KeyAlgorithm};
use crate::tls_version::TlsVersion;
use serde::Serialize;

/// A grade: the letters A+ to F, T (not trusted or expired) and M (name mismatch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Letter {
    /// A+: A with TLS 1.3 and nothing below TLS 1.2.
    APlus,
    /// A: a score of 80 or more.
    A,
    /// B: 65 or more, or capped (TLS 1.0/1.1, RSA below 2048).
    B,
    /// C: 50 or more, or capped (no TLS 1.2/1.3, RC4, 3DES).
    C,
    /// D: 35 or more.
    D,
    /// E: 20 or more.
    E,
    /// F: below 20, or capped (RSA below 1024, MD5/SHA-1, NULL or EXPORT suites).
    F,
    /// Not trusted, expired or not yet valid, whatever the configuration.
    T,
    /// The name does not match.
    M,
}

impl Letter {
    /// The letters a configuration can earn, best first (`--min-grade` takes these).
    pub const ORDER: [Letter; 7] = [
        Letter::APlus,
        Letter::A,
        Letter::B,
        Letter::C,
        Letter::D,
        Letter::E,
        Letter::F,
    ];

    /// The letter as written: `A+`, `B`, `T`.
    pub fn as_str(self) -> &'static str {
        match self {
            Letter::APlus => "A+",
            Letter::A => "A",
            Letter::B => "B",
            Letter::C => "C",
            Letter::D => "D",
            Letter::E => "E",
            Letter::F => "F",
            Letter::T => "T",
            Letter::M => "M",
        }
    }

    /// One of A+ to F, in any case.
    pub fn from_name(text: &str) -> Option<Letter> {
        let text = text.trim();
        Letter::ORDER
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(text))
    }

    /// Place from best (0); T and M after F.
    fn rank(self) -> usize {
        Letter::ORDER
            .iter()
            .position(|l| *l == self)
            .unwrap_or(Letter::ORDER.len())
    }

    /// Whether this grade is worse than `other`.
    pub fn worse_than(self, other: Letter) -> bool {
        self.rank() > other.rank()
    }
}

impl std::fmt::Display for Letter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Letter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The inputs: what was probed and read.
pub struct GradeInput<'a> {
    /// TLS versions accepted with the suite the server chose.
    pub accepted: &'a [(TlsVersion, String)],
    /// The leaf certificate, for its key and signature.
    pub leaf: &'a CertFacts,
    /// Whether the chain is trusted (T replaces the letter otherwise).
    pub trusted: bool,
    /// Whether the name matches (M replaces the letter otherwise).
    pub name_matches: bool,
    /// The time of the analysis (Unix seconds), for expiry.
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
/// A security grade and how it came about.
pub struct Grade {
    /// `A+`, `A` ... `F`, `T` or `M`.
    pub grade: Letter,
    /// The letter before T/M replaced it.
    pub letter: Letter,
    /// 0..100, before caps.
    pub score: u32,
    /// Why the grade is below what the score gives, one line each.
    pub caps: Vec<String>,
}

/// Grades a configuration by the rules in this module's documentation.
pub fn grade(input: &GradeInput<'_>) -> Grade {
    let versions: Vec<u32> = input
        .accepted
        .iter()
        .map(|(v, _)| version_score(*v))
        .collect();
    let protocol = match (versions.iter().max(), versions.iter().min()) {
        (Some(best), Some(worst)) => (best + worst) / 2,
        _ => 0,
    };
    let key = key_score(input.leaf);
    let bits: Vec<u32> = input
        .accepted
        .iter()
        .map(|(_, suite)| cipher_bits(suite))
        .collect();
    let cipher = match (bits.iter().max(), bits.iter().min()) {
        (Some(&best), Some(&worst)) => (bits_score(best) + bits_score(worst)) / 2,
        _ => 0,
    };
    let score = (3 * protocol + 3 * key + 4 * cipher) / 10;
    let mut letter = letter_for(score);
    let mut caps = Vec::new();
    let mut cap = |to: Letter, why: String| {
        if to.worse_than(letter) {
            letter = to;
        }
        caps.push(why);
    };
    let accepted = |version: TlsVersion| input.accepted.iter().any(|(v, _)| *v == version);
    if accepted(TlsVersion::Tls10) || accepted(TlsVersion::Tls11) {
        cap(
            Letter::B,
            "TLS 1.0 or 1.1 is accepted (grade capped at B)".into(),
        );
    }
    if !accepted(TlsVersion::Tls12) && !accepted(TlsVersion::Tls13) {
        cap(
            Letter::C,
            "neither TLS 1.2 nor TLS 1.3 is accepted (grade capped at C)".into(),
        );
    }
    let leaf = input.leaf;
    if leaf.key.algorithm == KeyAlgorithm::Rsa && leaf.key.bits < 1024 {
        cap(
            Letter::F,
            format!("RSA key of {} bits (grade F)", leaf.key.bits),
        );
    } else if leaf.key.algorithm == KeyAlgorithm::Rsa && leaf.key.bits < 2048 {
        cap(
            Letter::B,
            format!("RSA key of {} bits (grade capped at B)", leaf.key.bits),
        );
    }
    if leaf.signature_algorithm.contains("MD5") || leaf.signature_algorithm.contains("SHA1") {
        cap(
            Letter::F,
            format!(
                "certificate signed with {} (grade F)",
                leaf.signature_algorithm
            ),
        );
    }
    for (_, suite) in input.accepted {
        if suite.contains("NULL") || suite.contains("EXPORT") {
            cap(Letter::F, format!("cipher suite {suite} (grade F)"));
        } else if suite.contains("RC4") || suite.contains("3DES") {
            cap(
                Letter::C,
                format!("cipher suite {suite} (grade capped at C)"),
            );
        }
    }
    if letter == Letter::A
        && accepted(TlsVersion::Tls13)
        && !accepted(TlsVersion::Tls10)
        && !accepted(TlsVersion::Tls11)
    {
        letter = Letter::APlus;
    }
    let expired = leaf.not_after < input.now || leaf.not_before > input.now;
    let grade = if !input.trusted || expired {
        Letter::T
    } else if !input.name_matches {
        Letter::M
    } else {
        letter
    };
    Grade {
        grade,
        letter,
        score,
        caps,
    }
}

fn letter_for(score: u32) -> Letter {
    match score {
        80.. => Letter::A,
        65..=79 => Letter::B,
        50..=64 => Letter::C,
        35..=49 => Letter::D,
        20..=34 => Letter::E,
        _ => Letter::F,
    }
}

fn version_score(version: TlsVersion) -> u32 {
    match version {
        TlsVersion::Tls10 => 90,
        TlsVersion::Tls11 => 95,
        TlsVersion::Tls12 | TlsVersion::Tls13 => 100,
    }
}

/// SSL Labs' key exchange table, applied to the certificate key (EC by RSA-equivalent strength).
fn key_score(leaf: &CertFacts) -> u32 {
    let rsa_equivalent = match leaf.key.algorithm {
        KeyAlgorithm::Rsa | KeyAlgorithm::Dsa => leaf.key.bits,
        KeyAlgorithm::Ecdsa | KeyAlgorithm::Ed25519 | KeyAlgorithm::Ed448 => match leaf.key.bits {
            0..=159 => 512,
            160..=223 => 1024,
            224..=255 => 2048,
            256..=383 => 3072,
            _ => 7680,
        },
        KeyAlgorithm::Unknown => 0,
    };
    match rsa_equivalent {
        0..=511 => 20,
        512..=1023 => 40,
        1024..=2047 => 80,
        2048..=4095 => 90,
        _ => 100,
    }
}

/// Symmetric strength of a suite, from its name.
pub fn cipher_bits(suite: &str) -> u32 {
    if suite.contains("NULL") {
        0
    } else if suite.contains("EXPORT") {
        40
    } else if suite.contains("3DES") {
        112
    } else if suite.contains("DES") {
        56
    } else if suite.contains("AES_256") || suite.contains("CHACHA20") || suite.contains("AES256") {
        256
    } else if suite.contains("AES_128")
        || suite.contains("AES128")
        || suite.contains("RC4")
        || suite.contains("CAMELLIA_128")
    {
        128
    } else if suite.contains("CAMELLIA_256") || suite.contains("ARIA_256") {
        256
    } else {
        128
    }
}

fn bits_score(bits: u32) -> u32 {
    match bits {
        0 => 0,
        1..=127 => 20,
        128..=255 => 80,
        _ => 100,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::KeyInfo;

    fn leaf(alg: KeyAlgorithm, bits: u32, sig: &str) -> CertFacts {
        let mut facts = blank();
        facts.key = KeyInfo {
            algorithm: alg,
            bits,
            curve: None,
        };
        facts.signature_algorithm = sig.into();
        facts
    }

    fn blank() -> CertFacts {
        CertFacts {
            subject: String::new(),
            issuer: String::new(),
            subject_rfc2253: String::new(),
            issuer_rfc2253: String::new(),
            common_name: None,
            issuer_common_name: None,
            dns_names: vec![],
            ip_addresses: vec![],
            serial: String::new(),
            not_before: 0,
            not_after: 2_000_000_000,
            key: KeyInfo {
                algorithm: KeyAlgorithm::Ecdsa,
                bits: 256,
                curve: None,
            },
            signature_algorithm: String::new(),
            sha1_fingerprint: String::new(),
            sha256_fingerprint: String::new(),
            self_signed: false,
            is_ca: false,
            key_usage: vec![],
            extended_key_usage: vec![],
            ca_issuers: vec![],
            subject_raw: vec![],
            issuer_raw: vec![],
        }
    }

    fn accepted(list: &[(&str, &str)]) -> Vec<(TlsVersion, String)> {
        list.iter()
            .map(|(v, s)| (TlsVersion::from_name(v).unwrap(), s.to_string()))
            .collect()
    }

    fn grade_of(list: &[(&str, &str)], leaf: &CertFacts, trusted: bool, name: bool) -> Grade {
        grade(&GradeInput {
            accepted: &accepted(list),
            leaf,
            trusted,
            name_matches: name,
            now: 1_800_000_000,
        })
    }

    #[test]
    fn modern_server_gets_a_plus() {
        let l = leaf(KeyAlgorithm::Ecdsa, 256, "ECDSA-SHA256");
        let g = grade_of(
            &[
                ("TLSv1.3", "TLS_AES_256_GCM_SHA384"),
                ("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
            ],
            &l,
            true,
            true,
        );
        assert_eq!((g.grade.as_str(), g.score), ("A+", 97));
        let only12 = grade_of(
            &[("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")],
            &l,
            true,
            true,
        );
        assert_eq!((only12.grade.as_str(), only12.score), ("A", 89));
    }

    #[test]
    fn caps_apply() {
        let l = leaf(KeyAlgorithm::Rsa, 2048, "SHA256-RSA");
        let old = grade_of(
            &[
                ("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
                ("TLSv1.0", "TLS_RSA_WITH_AES_128_CBC_SHA"),
            ],
            &l,
            true,
            true,
        );
        assert_eq!(old.grade, Letter::B);
        assert_eq!(old.caps, ["TLS 1.0 or 1.1 is accepted (grade capped at B)"]);
        let tls10_only = grade_of(
            &[("TLSv1.0", "TLS_RSA_WITH_AES_128_CBC_SHA")],
            &l,
            true,
            true,
        );
        assert_eq!(tls10_only.grade, Letter::C);
        let weak = leaf(KeyAlgorithm::Rsa, 1024, "SHA256-RSA");
        assert_eq!(
            grade_of(
                &[("TLSv1.2", "TLS_RSA_WITH_AES_128_CBC_SHA")],
                &weak,
                true,
                true
            )
            .grade,
            Letter::B
        );
        let sha1 = leaf(KeyAlgorithm::Rsa, 2048, "SHA1-RSA");
        assert_eq!(
            grade_of(
                &[("TLSv1.2", "TLS_RSA_WITH_AES_128_CBC_SHA")],
                &sha1,
                true,
                true
            )
            .grade,
            Letter::F
        );
        let triple = grade_of(
            &[("TLSv1.2", "TLS_RSA_WITH_3DES_EDE_CBC_SHA")],
            &l,
            true,
            true,
        );
        assert_eq!(triple.grade, Letter::C);
    }

    #[test]
    fn trust_and_name_problems_replace_the_letter() {
        let l = leaf(KeyAlgorithm::Ecdsa, 256, "ECDSA-SHA256");
        let list = [("TLSv1.3", "TLS_AES_128_GCM_SHA256")];
        assert_eq!(grade_of(&list, &l, false, true).grade, Letter::T);
        let m = grade_of(&list, &l, true, false);
        assert_eq!((m.grade.as_str(), m.letter.as_str()), ("M", "A+"));
    }
}
