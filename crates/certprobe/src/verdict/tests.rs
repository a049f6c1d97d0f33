//! The verdict rules at a pinned clock.

use super::*;
use crate::analysis::{name, CertFacts, KeyAlgorithm, KeyInfo, NameMode, TrustResult};
use crate::tls_version::TlsVersion;

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

fn facts(days_left: f64, key: KeyInfo, self_signed: bool) -> CertFacts {
    CertFacts {
        subject: "CN=a.example".into(),
        issuer: "CN=CA".into(),
        subject_rfc2253: "CN=a.example".into(),
        issuer_rfc2253: "CN=CA".into(),
        common_name: Some("a.example".into()),
        issuer_common_name: Some("CA".into()),
        dns_names: vec!["a.example".into()],
        ip_addresses: vec![],
        serial: "01".into(),
        not_before: NOW - 10 * DAY,
        not_after: NOW + (days_left * DAY as f64) as i64,
        key,
        signature_algorithm: "ECDSA-SHA256".into(),
        sha1_fingerprint: String::new(),
        sha256_fingerprint: String::new(),
        self_signed,
        is_ca: false,
        key_usage: vec![],
        extended_key_usage: vec!["serverAuth".into()],
        ca_issuers: vec![],
        subject_raw: vec![],
        issuer_raw: vec![],
    }
}

fn p256() -> KeyInfo {
    KeyInfo {
        algorithm: KeyAlgorithm::Ecdsa,
        bits: 256,
        curve: Some("P-256".into()),
    }
}

fn rsa(bits: u32) -> KeyInfo {
    KeyInfo {
        algorithm: KeyAlgorithm::Rsa,
        bits,
        curve: None,
    }
}

fn judge_leaf(leaf: CertFacts, trusted: bool, policy: &Policy) -> Verdict {
    let report = Report {
        now: NOW,
        name: name::check(&leaf, "a.example", NameMode::CnSan),
        chain: crate::analysis::chain::Chain::of_leaf(leaf),
        trust: TrustResult {
            trusted,
            reason: (!trusted).then(|| "unknown issuer".to_string()),
            store: "test".into(),
            ..TrustResult::default()
        },
        chain_notes: vec![],
        fetched: vec![],
        fetch_errors: vec![],
        revocation: None,
        grade: None,
    };
    let observation = Observation {
        source: Default::default(),
        observed_at: NOW,
        peer: "127.0.0.1:443".parse().unwrap(),
        chain: vec![vec![1]],
        tls_version: Some(TlsVersion::Tls13),
        cipher_suite: String::new(),
        handshake_error: None,
        greeting: None,
        legacy_handshake: None,
        protocols: vec![],
        stapled_ocsp: None,
        timings: Default::default(),
    };
    judge(&report, &observation, &TrustStore::empty(), policy)
}

fn state_of(verdict: &Verdict, check: &str) -> State {
    verdict
        .findings
        .iter()
        .find(|f| f.check.as_str() == check)
        .map(|f| f.state)
        .unwrap_or(State::Unknown)
}

#[test]
fn expiry_thresholds_alert_below_the_days() {
    let policy = Policy::default();
    assert_eq!(
        judge_leaf(facts(30.0, p256(), false), true, &policy).state,
        State::Ok
    );
    assert_eq!(
        judge_leaf(facts(29.99, p256(), false), true, &policy).state,
        State::Warning
    );
    assert_eq!(
        judge_leaf(facts(30.01, p256(), false), true, &policy).state,
        State::Ok
    );
    assert_eq!(
        judge_leaf(facts(7.0, p256(), false), true, &policy).state,
        State::Warning
    );
    assert_eq!(
        judge_leaf(facts(6.99, p256(), false), true, &policy).state,
        State::Critical
    );
    let expired = judge_leaf(facts(-0.5, p256(), false), true, &policy);
    assert_eq!(
        expired.findings[0].message,
        "certificate expired 0.50 days ago on 2027-01-14 20:00:00 UTC"
    );
}

#[test]
fn rsa_key_tiers_and_override() {
    let policy = Policy::default();
    assert_eq!(
        state_of(
            &judge_leaf(facts(90.0, rsa(1023), false), true, &policy),
            "key"
        ),
        State::Critical
    );
    assert_eq!(
        state_of(
            &judge_leaf(facts(90.0, rsa(1024), false), true, &policy),
            "key"
        ),
        State::Warning
    );
    assert_eq!(
        state_of(
            &judge_leaf(facts(90.0, rsa(2048), false), true, &policy),
            "key"
        ),
        State::Ok
    );
    let strict = Policy {
        min_key_bits: Some(3072),
        ..Policy::default()
    };
    let verdict = judge_leaf(facts(90.0, rsa(2048), false), true, &strict);
    assert_eq!(state_of(&verdict, "key"), State::Critical);
    assert_eq!(
        verdict
            .findings
            .iter()
            .find(|f| f.check == Check::Key)
            .unwrap()
            .message,
        "key is RSA 2048 bits, below the minimum of 3072 bits"
    );
    let lenient = Policy {
        min_key_bits: Some(1024),
        ..Policy::default()
    };
    assert_eq!(
        state_of(
            &judge_leaf(facts(90.0, rsa(1024), false), true, &lenient),
            "key"
        ),
        State::Ok
    );
}

#[test]
fn small_ec_keys_are_critical() {
    let p192 = KeyInfo {
        algorithm: KeyAlgorithm::Ecdsa,
        bits: 192,
        curve: None,
    };
    assert_eq!(
        state_of(
            &judge_leaf(facts(90.0, p192, false), true, &Policy::default()),
            "key"
        ),
        State::Critical
    );
}

#[test]
fn untrusted_is_critical_or_warning_when_allowed() {
    assert_eq!(
        judge_leaf(facts(90.0, p256(), false), false, &Policy::default()).state,
        State::Critical
    );
    let allow = Policy {
        allow_untrusted: true,
        ..Policy::default()
    };
    assert_eq!(
        judge_leaf(facts(90.0, p256(), false), false, &allow).state,
        State::Warning
    );
}

#[test]
fn self_signed_leaf_reports_once() {
    let verdict = judge_leaf(facts(90.0, p256(), true), false, &Policy::default());
    assert_eq!(verdict.state, State::Critical);
    let checks: Vec<&str> = verdict.findings.iter().map(|f| f.check.as_str()).collect();
    assert_eq!(
        checks,
        [
            "expiry",
            "tier",
            "name",
            "self-signed",
            "key",
            "signature",
            "tls"
        ]
    );
    let allow = Policy {
        allow_self_signed: true,
        ..Policy::default()
    };
    assert_eq!(
        judge_leaf(facts(90.0, p256(), true), false, &allow).state,
        State::Ok
    );
}

fn message_of(verdict: &Verdict, check: &str) -> String {
    verdict
        .findings
        .iter()
        .find(|f| f.check.as_str() == check)
        .map(|f| f.message.clone())
        .unwrap_or_default()
}

#[test]
fn tiers_follow_the_thresholds() {
    let policy = Policy::default();
    let tier = |days: f64| judge_leaf(facts(days, p256(), false), true, &policy).tier;
    assert_eq!(tier(-1.0), Some(Tier::Critical));
    assert_eq!(tier(7.0), Some(Tier::Critical));
    assert_eq!(tier(8.0), Some(Tier::Warning));
    assert_eq!(tier(30.0), Some(Tier::Warning));
    assert_eq!(tier(31.0), Some(Tier::Info));
    assert_eq!(tier(90.0), Some(Tier::Info));
    assert_eq!(tier(91.0), Some(Tier::Ok));
    let verdict = judge_leaf(facts(45.0, p256(), false), true, &policy);
    assert_eq!(
        message_of(&verdict, "tier"),
        "alarm tier Info: expires within 31 to 90 days"
    );
}

#[test]
fn weak_signature_hashes_are_critical() {
    let mut leaf = facts(90.0, p256(), false);
    leaf.signature_algorithm = "SHA1-RSA".into();
    let verdict = judge_leaf(leaf, true, &Policy::default());
    assert_eq!(state_of(&verdict, "signature"), State::Critical);
    assert_eq!(
        message_of(&verdict, "signature"),
        "the certificate is signed with SHA1-RSA, a broken hash"
    );
}

#[test]
fn missing_san_and_long_validity_are_warnings() {
    let mut leaf = facts(400.0, p256(), false);
    leaf.dns_names.clear();
    let verdict = judge_leaf(leaf.clone(), true, &Policy::default());
    assert_eq!(state_of(&verdict, "san"), State::Warning);
    assert_eq!(state_of(&verdict, "validity"), State::Warning);
    assert_eq!(
        message_of(&verdict, "validity"),
        "validity period of 410 days is longer than 398 days (browsers refuse more than 398 for certificates issued since 2020-09-01)"
    );
    let allow = Policy {
        allow_empty_san: true,
        max_validity_days: 500.0,
        ..Policy::default()
    };
    let verdict = judge_leaf(leaf, true, &allow);
    assert_eq!(
        message_of(&verdict, "san"),
        "the certificate has no subjectAltName (allowed)"
    );
    assert_eq!(
        state_of(&verdict, "validity"),
        State::Unknown,
        "no validity finding"
    );
}

#[test]
fn client_certificates_are_not_for_servers() {
    let mut leaf = facts(90.0, p256(), false);
    leaf.extended_key_usage = vec!["clientAuth".into()];
    let verdict = judge_leaf(leaf, true, &Policy::default());
    assert_eq!(
        message_of(&verdict, "usage"),
        "the certificate is not for servers: its extended key usage is clientAuth"
    );
    assert_eq!(verdict.state, State::Critical);
}

#[test]
fn unknown_sits_between_warning_and_critical() {
    assert!(
        State::Critical > State::Unknown
            && State::Unknown > State::Warning
            && State::Warning > State::Ok
    );
}

#[test]
fn hex_values_are_normalised_or_refused() {
    assert_eq!(normalise_hex(" ab:cd-0E f1 "), Ok("ABCD0EF1".into()));
    assert_eq!(normalise_hex("0x0abc"), Ok("0ABC".into()));
    for bad in ["", "0x", "xyz", "ab:cg"] {
        assert_eq!(normalise_hex(bad), Err(HexError(bad.into())), "{bad}");
    }
    assert_eq!(
        normalise_hex("ab:cg").unwrap_err().to_string(),
        "'ab:cg' is not a hexadecimal value"
    );
}

#[test]
fn dsa_keys_are_judged_by_their_size() {
    let policy = Policy::default();
    let ok = key::finding(KeyAlgorithm::Dsa, 2048, "DSA 2048 bits", &policy);
    assert_eq!(
        (ok.state, ok.message.as_str()),
        (State::Ok, "key is DSA 2048 bits")
    );
    let weak = key::finding(KeyAlgorithm::Dsa, 1024, "DSA 1024 bits", &policy);
    assert_eq!(
        (weak.state, weak.message.as_str()),
        (
            State::Warning,
            "key is DSA 1024 bits, below the minimum of 2048 bits"
        )
    );
}

#[test]
fn shares_of_the_lifetime_are_the_leafs_days() {
    // Valid from ten days ago: a leaf with 5 days left lives 15 days, 50% of it is 7.5 days.
    let policy = Policy {
        warning: Threshold::Percent(50.0),
        critical: Threshold::Percent(20.0),
        warning_days: 0.0,
        critical_days: 0.0,
        ..Policy::default()
    };
    let judged = |days: f64| judge_leaf(facts(days, p256(), false), true, &policy);
    assert_eq!(judged(40.0).state, State::Ok);
    assert_eq!(judged(20.0).state, State::Ok);
    let five = judged(5.0);
    assert_eq!(five.state, State::Warning);
    assert_eq!(five.tier, Some(Tier::Warning));
    assert_eq!(
        message_of(&five, "tier"),
        "alarm tier Warning: expires within 4 to 7.5 days"
    );
    assert_eq!(judged(2.0).state, State::Critical);
    let leaf = facts(5.0, p256(), false);
    let resolved = policy.for_leaf(&leaf);
    assert_eq!(resolved.warning, Threshold::MinDays(7.5));
    assert_eq!(resolved.critical, Threshold::MinDays(3.0));
    assert_eq!((resolved.warning_days, resolved.critical_days), (7.5, 3.0));
    // A policy in days is the leaf's as it is.
    let days = Policy::default().for_leaf(&leaf);
    assert_eq!(days.warning, Threshold::MinDays(30.0));
    assert_eq!(days.warning_days, 30.0);
}
