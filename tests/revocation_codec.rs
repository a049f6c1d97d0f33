//! OCSP responses and CRLs made by the testkit (and by openssl) checked by certprobe's
//! revocation building blocks; openssl also checks the testkit's and certprobe's DER.

mod common;

use certprobe::analysis::revocation::{crl, ocsp, CrlAnswer, RevocationStatus};
use certprobe::clock::format_utc;
use certprobe_testkit::ocsp_responder::{
    build_crl, build_response, http_get, http_post, http_server, issue_with_urls, ocsp_get_url,
    serial_of, status_only, CrlEntry, OcspReply, ResponseSpec, Signer,
};
use certprobe_testkit::{now, write_temp, Ca, Leaf};
use std::process::Command;
use std::sync::atomic::Ordering;

const DAY: i64 = 86_400;

fn issuer() -> &'static Ca {
    &common::pki().intermediate
}

fn leaf() -> Leaf {
    issue_with_urls(
        issuer(),
        "revocation.example",
        &["http://ocsp.example.test/"],
        &["http://crl.example.test/int.crl"],
    )
}

/// The answer, or the error's sentence (what a user reads).
fn verify(response: &[u8], leaf: &Leaf) -> Result<ocsp::OcspAnswer, String> {
    ocsp::verify_response(response, &leaf.der, &issuer().der(), now()).map_err(|e| e.to_string())
}

fn respond(leaf: &Leaf, spec: &ResponseSpec) -> Result<ocsp::OcspAnswer, String> {
    verify(&build_response(&leaf.der, issuer(), spec), leaf)
}

#[test]
fn good_response() {
    let leaf = leaf();
    let spec = ResponseSpec::new(OcspReply::Good);
    let answer = respond(&leaf, &spec).unwrap();
    assert_eq!(answer.status, RevocationStatus::Good);
    assert_eq!(answer.this_update, spec.this_update);
    assert_eq!(answer.produced_at, spec.this_update);
    assert_eq!(answer.next_update, spec.next_update);
}

#[test]
fn revoked_response_with_date_and_reason() {
    let leaf = leaf();
    let at = now() - 3 * DAY;
    let answer = respond(
        &leaf,
        &ResponseSpec::new(OcspReply::Revoked { at, reason: 1 }),
    )
    .unwrap();
    assert_eq!(
        answer.status,
        RevocationStatus::Revoked {
            revoked_at: at,
            reason: Some("keyCompromise".into())
        }
    );
    let answer = respond(
        &leaf,
        &ResponseSpec::new(OcspReply::Revoked { at, reason: 4 }),
    )
    .unwrap();
    assert_eq!(
        answer.status,
        RevocationStatus::Revoked {
            revoked_at: at,
            reason: Some("superseded".into())
        }
    );
}

#[test]
fn unknown_response() {
    let answer = respond(&leaf(), &ResponseSpec::new(OcspReply::Unknown)).unwrap();
    assert_eq!(answer.status, RevocationStatus::Unknown);
}

#[test]
fn expired_and_future_responses_are_refused() {
    let leaf = leaf();
    let next = now() - DAY;
    let spec = ResponseSpec::new(OcspReply::Good).updates(now() - 2 * DAY, Some(next));
    assert_eq!(
        respond(&leaf, &spec).unwrap_err(),
        format!("OCSP response expired on {}", format_utc(next))
    );
    let early = now() + DAY;
    let spec = ResponseSpec::new(OcspReply::Good).updates(early, Some(early + DAY));
    assert_eq!(
        respond(&leaf, &spec).unwrap_err(),
        format!(
            "OCSP response is not valid yet: it was issued for {}",
            format_utc(early)
        )
    );
    // Without nextUpdate a response does not expire (RFC 6960 §4.2.2.1).
    let spec = ResponseSpec::new(OcspReply::Good).updates(now() - 60, None);
    assert_eq!(respond(&leaf, &spec).unwrap().next_update, None);
}

#[test]
fn only_the_issuer_or_its_ocsp_delegate_may_sign() {
    let leaf = leaf();
    let refused = "OCSP response is not signed by the issuer or a delegated responder";
    for signer in [Signer::Stranger, Signer::DelegatedWithoutEku] {
        let spec = ResponseSpec::new(OcspReply::Good).signer(signer);
        assert_eq!(respond(&leaf, &spec).unwrap_err(), refused, "{signer:?}");
    }
    let spec = ResponseSpec::new(OcspReply::Revoked {
        at: now() - DAY,
        reason: 1,
    })
    .signer(Signer::Delegated);
    assert!(matches!(
        respond(&leaf, &spec).unwrap().status,
        RevocationStatus::Revoked { .. }
    ));
}

#[test]
fn unsuccessful_statuses_are_one_line() {
    let leaf = leaf();
    assert_eq!(
        respond(&leaf, &ResponseSpec::new(OcspReply::TryLater)).unwrap_err(),
        "OCSP responder answered tryLater (3)"
    );
    assert_eq!(
        verify(&status_only(1), &leaf).unwrap_err(),
        "OCSP responder answered malformedRequest (1)"
    );
}

#[test]
fn a_response_about_another_certificate_is_not_an_answer() {
    let (asked, answered) = (leaf(), leaf());
    let response = build_response(&answered.der, issuer(), &ResponseSpec::new(OcspReply::Good));
    assert_eq!(
        verify(&response, &asked).unwrap_err(),
        "no response for this certificate in the OCSP response"
    );
}

#[test]
fn urls_come_from_the_certificate() {
    let leaf = issue_with_urls(
        issuer(),
        "urls.example",
        &["http://ocsp.example.test/a", "https://ocsp.example.test/b"],
        &[
            "ldap://ldap.example.test/cn=int",
            "http://crl.example.test/int.crl",
        ],
    );
    assert_eq!(
        ocsp::responder_urls(&leaf.der),
        ["http://ocsp.example.test/a"]
    );
    assert_eq!(
        crl::distribution_points(&leaf.der),
        ["http://crl.example.test/int.crl"]
    );
    assert!(ocsp::responder_urls(&issuer().der()).is_empty());
}

/// openssl agrees that the testkit's responses are valid and says the same thing.
#[test]
fn openssl_reads_our_responses() {
    let leaf = leaf();
    let at = now() - DAY;
    for (spec, expected) in [
        (ResponseSpec::new(OcspReply::Good), ": good"),
        (
            ResponseSpec::new(OcspReply::Revoked { at, reason: 1 }).signer(Signer::Delegated),
            ": revoked",
        ),
        (ResponseSpec::new(OcspReply::Unknown), ": unknown"),
    ] {
        let response = write_temp("resp.der", &build_response(&leaf.der, issuer(), &spec));
        let out = openssl_ocsp(&[
            "-respin",
            &path(&response),
            "-resp_text",
            "-issuer",
            &path(&write_temp("int.pem", issuer().pem().as_bytes())),
            "-cert",
            &path(&write_temp(
                "leaf.pem",
                certprobe_testkit::pem(&leaf.der).as_bytes(),
            )),
            "-CAfile",
            &common::root_file(),
        ]);
        assert!(out.contains("Response verify OK"), "{out}");
        assert!(out.contains(expected), "{out}");
        if expected == ": revoked" {
            assert!(
                out.contains("Revocation Reason: keyCompromise (0x1)"),
                "{out}"
            );
        }
    }
}

/// openssl reads certprobe's request, and certprobe verifies openssl's answer to it.
#[test]
fn openssl_answers_our_request() {
    let leaf = leaf();
    let request = ocsp::request(&leaf.der, &issuer().der()).unwrap();
    let request_file = write_temp("req.der", &request);
    let text = openssl_ocsp(&["-reqin", &path(&request_file), "-req_text"]);
    // openssl prints and indexes serials without the DER sign byte.
    let serial = certprobe::analysis::CertFacts::parse(&leaf.der)
        .unwrap()
        .serial;
    let serial = serial.trim_start_matches("00");
    assert!(text.contains("Hash Algorithm: sha1"), "{text}");
    assert!(text.contains(&format!("Serial Number: {serial}")), "{text}");

    let issuer_pem = write_temp("int.pem", issuer().pem().as_bytes());
    let key = write_temp("int.key", issuer().key.serialize_pem().as_bytes());
    for (line, expected) in [
        (
            format!("V\t351231000000Z\t\t{serial}\tunknown\t/CN=revocation.example\n"),
            RevocationStatus::Good,
        ),
        (
            format!("R\t351231000000Z\t250102030405Z,cessationOfOperation\t{serial}\tunknown\t/CN=revocation.example\n"),
            RevocationStatus::Revoked {
                revoked_at: 1_735_787_045,
                reason: Some("cessationOfOperation".into()),
            },
        ),
    ] {
        let index = write_temp("index.txt", line.as_bytes());
        let response = write_temp("resp.der", b"");
        openssl_ocsp(&[
            "-index",
            &path(&index),
            "-rsigner",
            &path(&issuer_pem),
            "-rkey",
            &path(&key),
            "-CA",
            &path(&issuer_pem),
            "-reqin",
            &path(&request_file),
            "-respout",
            &path(&response),
            "-ndays",
            "1",
        ]);
        let der = std::fs::read(&response).unwrap();
        let answer = verify(&der, &leaf).unwrap();
        assert_eq!(answer.status, expected);
        assert!(answer.next_update.unwrap() > now());
    }
}

#[test]
fn the_http_server_answers_post_and_get_and_serves_crls() {
    let leaf = leaf();
    let crl_der = build_crl(issuer(), &[], now() - 60, now() + DAY);
    let asked = leaf.der.clone();
    let (base, count) = http_server(
        move |request| {
            // The server only answers about the one leaf it knows.
            let known = ocsp::request(&asked, &common::pki().intermediate.der()).unwrap();
            let reply = if request == known {
                OcspReply::Good
            } else {
                OcspReply::Unknown
            };
            build_response(
                &asked,
                &common::pki().intermediate,
                &ResponseSpec::new(reply),
            )
        },
        vec![("/int.crl".into(), crl_der.clone())],
    );
    let request = ocsp::request(&leaf.der, &issuer().der()).unwrap();
    let posted = http_post(&format!("{base}/"), &request);
    assert_eq!(
        verify(&posted, &leaf).unwrap().status,
        RevocationStatus::Good
    );
    let got = http_get(&ocsp_get_url(&base, &request));
    assert_eq!(verify(&got, &leaf).unwrap().status, RevocationStatus::Good);
    let fetched = http_get(&format!("{base}/int.crl"));
    assert_eq!(fetched, crl_der);
    let answer = crl::check(&fetched, &leaf.der, &issuer().der(), now()).unwrap();
    assert_eq!(answer.status, RevocationStatus::Good);
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

// ---- CRLs ----

/// The answer, or the error's sentence.
fn crl_check(crl_der: &[u8], leaf: &Leaf) -> Result<CrlAnswer, String> {
    crl::check(crl_der, &leaf.der, &issuer().der(), now()).map_err(|e| e.to_string())
}

#[test]
fn crl_listing_the_serial_says_revoked_with_reason() {
    let leaf = leaf();
    let at = now() - 2 * DAY;
    let next = now() + DAY;
    let entries = [
        CrlEntry {
            serial: vec![0x01, 0x02],
            revoked_at: at - DAY,
            reason: None,
        },
        CrlEntry {
            serial: serial_of(&leaf.der),
            revoked_at: at,
            reason: Some(1),
        },
    ];
    let crl_der = build_crl(issuer(), &entries, now() - 60, next);
    assert_eq!(
        crl_check(&crl_der, &leaf).unwrap(),
        CrlAnswer {
            status: RevocationStatus::Revoked {
                revoked_at: at,
                reason: Some("keyCompromise".into())
            },
            next_update: Some(next),
        }
    );
    // Listed without a reason: revoked, reason unknown.
    let entries = [CrlEntry {
        serial: serial_of(&leaf.der),
        revoked_at: at,
        reason: None,
    }];
    let crl_der = build_crl(issuer(), &entries, now() - 60, next);
    assert_eq!(
        crl_check(&crl_der, &leaf).unwrap().status,
        RevocationStatus::Revoked {
            revoked_at: at,
            reason: None
        }
    );
}

#[test]
fn crl_not_listing_the_serial_says_good() {
    let (leaf, other) = (leaf(), leaf());
    let entries = [CrlEntry {
        serial: serial_of(&other.der),
        revoked_at: now() - DAY,
        reason: Some(4),
    }];
    let crl_der = build_crl(issuer(), &entries, now() - 60, now() + DAY);
    assert_eq!(
        crl_check(&crl_der, &leaf).unwrap().status,
        RevocationStatus::Good
    );
}

#[test]
fn crl_of_another_ca_is_refused() {
    let leaf = leaf();
    let root = &common::pki().root;
    let crl_der = build_crl(root, &[], now() - 60, now() + DAY);
    assert_eq!(
        crl_check(&crl_der, &leaf).unwrap_err(),
        format!(
            "CRL is issued by 'CN={}, O=certprobe tests', not by the certificate's issuer 'CN={}, O=certprobe tests'",
            common::ROOT_CN,
            common::INTERMEDIATE_CN
        )
    );
    // Same name, different key: the signature gives it away.
    let impostor = Ca::root(common::INTERMEDIATE_CN);
    let crl_der = build_crl(&impostor, &[], now() - 60, now() + DAY);
    assert_eq!(
        crl_check(&crl_der, &leaf).unwrap_err(),
        "CRL is not signed by the issuer"
    );
}

#[test]
fn expired_crl_is_refused() {
    let leaf = leaf();
    let next = now() - DAY;
    let crl_der = build_crl(issuer(), &[], now() - 8 * DAY, next);
    assert_eq!(
        crl_check(&crl_der, &leaf).unwrap_err(),
        format!("CRL expired on {}", format_utc(next))
    );
}

fn openssl_ocsp(args: &[&str]) -> String {
    let out = Command::new("openssl")
        .arg("ocsp")
        .args(args)
        .output()
        .expect("openssl is installed (tests/setup.sh)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "openssl ocsp {args:?}: {text}");
    text
}

fn path(p: &std::path::Path) -> String {
    p.display().to_string()
}
