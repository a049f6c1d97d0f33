//! Analysis and verdict are pure: an observation replayed at a pinned time gives the same
//! report, without a network. This is also how the JSON observation format is exercised.

mod common;

use certprobe::analysis::{analyze, NameMode, TrustStore};
use certprobe::{verdict, Observation, Policy, State};
use certprobe_testkit::LeafSpec;
use common::*;

fn observation(chain: Vec<Vec<u8>>) -> Observation {
    let json = serde_json::json!({
        "peer": "127.0.0.1:443",
        "chain": chain.iter().map(|der| certprobe::encoding::base64(der)).collect::<Vec<_>>(),
        "tls_version": "TLSv1.3",
        "cipher_suite": "TLS13_AES_128_GCM_SHA256",
        "handshake_error": null,
        "timings": {"resolve_ms": 0.0, "connect_ms": 0.1, "handshake_ms": 1.0}
    });
    serde_json::from_value(json).expect("observation JSON")
}

#[test]
fn replayed_observation_is_judged_at_the_pinned_time() {
    let pki = pki();
    let leaf = pki
        .intermediate
        .issue(&LeafSpec::new("replay.example").valid_until(100.0));
    let obs = observation(vec![leaf.der.clone(), pki.intermediate.der()]);
    let mut store = TrustStore::empty();
    store.add_pem_file(&root_file()).expect("root");
    let policy = Policy::default();

    let at = |days_before_expiry: i64| {
        let now = leaf.not_after - days_before_expiry * 86_400;
        let report =
            analyze(&obs.chain, "replay.example", NameMode::CnSan, &store, now).expect("analysis");
        verdict::judge(&report, &obs, &store, &policy)
    };
    let early = at(45);
    assert_eq!(early.state, State::Ok);
    assert_eq!(
        early.findings[0].message,
        format!(
            "certificate expires in 45.00 days on {}",
            date(leaf.not_after)
        )
    );
    // -w 30 is the range 30: (alert below 30 days), so 30 days left is not yet WARNING, while
    // the tier counts 30 days as within -w.
    assert_eq!(at(30).state, State::Ok);
    assert_eq!(at(29).state, State::Warning);
    assert_eq!(at(30).tier, Some(certprobe::verdict::Tier::Warning));
    assert_eq!(early.tier, Some(certprobe::verdict::Tier::Info));
    assert_eq!(at(7).state, State::Warning);
    assert_eq!(at(6).state, State::Critical);
    let expired = at(-2);
    assert_eq!(
        expired.findings[0].message,
        format!(
            "certificate expired 2.00 days ago on {}",
            date(leaf.not_after)
        )
    );
    assert_eq!(
        expired.findings.iter().find(|f| f.check.as_str() == "trust").map(|f| f.message.clone()).unwrap_or_default(),
        format!("chain is not trusted: expired element: chain element 1 ('replay.example') expired on {}", date(leaf.not_after))
    );
}

#[test]
fn observation_round_trips_through_json() {
    let leaf = LeafSpec::new("round.example").self_signed();
    let obs = observation(vec![leaf.der.clone()]);
    let text = serde_json::to_string(&obs).expect("serialise");
    let back: Observation = serde_json::from_str(&text).expect("deserialise");
    assert_eq!(back.chain, vec![leaf.der]);
    assert_eq!(back.cipher_suite, "TLS13_AES_128_GCM_SHA256");
}

#[test]
fn garbage_certificate_is_a_clear_error() {
    let obs = observation(vec![b"not a certificate".to_vec()]);
    let error = analyze(
        &obs.chain,
        "x.example",
        NameMode::CnSan,
        &TrustStore::empty(),
        0,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        error,
        "chain element 1: the bytes are not a DER certificate"
    );
    let mut truncated = pki().intermediate.issue(&LeafSpec::new("x.example")).der;
    truncated.truncate(truncated.len() / 2);
    let error = analyze(
        &[truncated],
        "x.example",
        NameMode::CnSan,
        &TrustStore::empty(),
        0,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        error,
        "chain element 1: the certificate's DER encoding is truncated"
    );
}
