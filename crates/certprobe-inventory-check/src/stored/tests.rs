//! Each reading checked against the lines the engine's own verdict writes, so that a change of
//! wording there fails here.

use super::*;
use certprobe::analysis::{self, Report, TrustStore};
use certprobe::verdict::{self, Policy};
use certprobe::Observation;
use certprobe_testkit::{Ca, LeafSpec};

fn report(name: &str, trust: TrustResult, revocation: Option<RevocationReport>) -> Report {
    let ca = Ca::root("Stored Test CA");
    let leaf = ca.issue(&LeafSpec::new("www.stored.test").valid_until(60.0));
    let mut report = Report::from_der(&[leaf.der, ca.der()], certprobe::clock::now_unix()).unwrap();
    report.name = analysis::name::check(report.leaf(), name, NameMode::CnSan);
    report.trust = trust;
    report.revocation = revocation;
    report
}

/// The findings the engine writes for `report`, stored and read back.
fn judged(report: &Report) -> Vec<Finding> {
    let observation = Observation {
        source: Default::default(),
        observed_at: report.now,
        peer: "127.0.0.1:443".parse().unwrap(),
        chain: vec![vec![0x30]],
        tls_version: None,
        cipher_suite: String::new(),
        handshake_error: None,
        greeting: None,
        legacy_handshake: None,
        protocols: vec![],
        timings: Default::default(),
        stapled_ocsp: None,
    };
    let verdict = verdict::judge(
        report,
        &observation,
        &TrustStore::empty(),
        &Policy::default(),
    );
    let stored: Vec<StoredFinding> = verdict
        .findings
        .iter()
        .map(|f| StoredFinding {
            check: f.check.as_str().to_string(),
            state: f.state.as_str().to_string(),
            message: f.message.clone(),
        })
        .collect();
    let read = findings(&stored);
    assert_eq!(read, verdict.findings);
    read
}

fn trusted() -> TrustResult {
    TrustResult {
        trusted: true,
        store: "corp-root.pem".into(),
        ..TrustResult::default()
    }
}

#[test]
fn names_read_back_matched_or_not() {
    let found = judged(&report("www.stored.test", trusted(), None));
    let name = name_check("www.stored.test", &found);
    assert_eq!(name.mode, NameMode::CnSan);
    assert_eq!(name.matched_by.as_deref(), Some("DNS:www.stored.test"));
    let found = judged(&report("other.stored.test", trusted(), None));
    let name = name_check("other.stored.test", &found);
    assert!(!name.matched());
    // Scanned without a name: no name check at all.
    assert_eq!(name_check("", &found).mode, NameMode::None);
}

#[test]
fn trust_reads_back_with_its_store_or_its_reason() {
    let found = judged(&report("www.stored.test", trusted(), None));
    let read = trust(&found);
    assert!(read.trusted);
    assert_eq!(read.store, "corp-root.pem");
    let untrusted = TrustResult {
        reason: Some("the issuer 'Stored Test CA' is not a trust anchor".into()),
        ..TrustResult::default()
    };
    let read = trust(&judged(&report("www.stored.test", untrusted, None)));
    assert!(!read.trusted);
    assert_eq!(
        read.reason.as_deref(),
        Some("the issuer 'Stored Test CA' is not a trust anchor")
    );
    let unverifiable = TrustResult {
        unverifiable: Some("a date before 1970".into()),
        ..TrustResult::default()
    };
    let read = trust(&judged(&report("www.stored.test", unverifiable, None)));
    assert!(!read.trusted);
    assert_eq!(read.unverifiable.as_deref(), Some("a date before 1970"));
}

#[test]
fn revocation_reads_back_each_answer() {
    let lookup = |status, source: Option<&str>, published, errors: Vec<&str>| RevocationReport {
        status,
        source: source.map(str::to_string),
        stapled: source == Some("stapled OCSP response"),
        published,
        errors: errors.into_iter().map(str::to_string).collect(),
    };
    let revoked_at = certprobe::clock::parse_utc("2026-03-04 05:06:07 UTC").unwrap();
    for given in [
        lookup(
            Some(RevocationStatus::Good),
            Some("OCSP http://ocsp.stored.test/"),
            true,
            vec![],
        ),
        lookup(
            Some(RevocationStatus::Good),
            Some("stapled OCSP response"),
            true,
            vec![],
        ),
        lookup(
            Some(RevocationStatus::Revoked {
                revoked_at,
                reason: Some("keyCompromise".into()),
            }),
            Some("CRL http://crl.stored.test/ca.crl"),
            true,
            vec![],
        ),
        lookup(
            Some(RevocationStatus::Revoked {
                revoked_at,
                reason: None,
            }),
            Some("OCSP http://ocsp.stored.test/"),
            true,
            vec![],
        ),
        lookup(
            Some(RevocationStatus::Unknown),
            Some("OCSP http://ocsp.stored.test/"),
            true,
            vec![],
        ),
        lookup(None, None, true, vec!["OCSP timed out", "CRL refused"]),
        lookup(None, None, false, vec![]),
    ] {
        let found = judged(&report("www.stored.test", trusted(), Some(given.clone())));
        let read = revocation(&found).unwrap();
        assert_eq!(read.status, given.status, "{given:?}");
        assert_eq!(read.source, given.source, "{given:?}");
        assert_eq!(read.stapled, given.stapled, "{given:?}");
        assert_eq!(read.published, given.published, "{given:?}");
        assert_eq!(read.errors, given.errors, "{given:?}");
    }
    assert!(revocation(&judged(&report("www.stored.test", trusted(), None))).is_none());
}

#[test]
fn unknown_ids_and_states_are_kept_as_inventory_findings() {
    let read = findings(&[StoredFinding {
        check: "quantum".into(),
        state: "MAYBE".into(),
        message: "not yet".into(),
    }]);
    assert_eq!(
        read,
        [Finding::new(
            Check::Inventory,
            State::Unknown,
            "quantum: not yet".into()
        )]
    );
}
