//! OCSP requests and responses against the openssl-made fixtures.

use super::super::fixtures::{der_of, CA, LEAF, LEAF_REQUEST, LEAF_RESPONSE};
use super::*;

/// The fixture response: thisUpdate 2026-11-25 12:19:22, nextUpdate a week later.
const THIS_UPDATE: i64 = 1_795_609_162;
const NEXT_UPDATE: i64 = 1_796_213_962;
const NOW: i64 = THIS_UPDATE + 3600;

fn check(response: &[u8], now: i64) -> Result<OcspAnswer, OcspError> {
    verify_response(response, &der_of(LEAF), &der_of(CA), now)
}

#[test]
fn request_is_byte_for_byte_what_openssl_sends() {
    let ours = request(&der_of(LEAF), &der_of(CA)).unwrap();
    assert_eq!(ours, der_of(LEAF_REQUEST));
    // And read back: OCSPRequest { TBSRequest { requestList { Request { CertID } } } }.
    let mut outer = Reader::new(&ours);
    let mut tbs = outer
        .sequence("OCSPRequest")
        .unwrap()
        .sequence("tbs")
        .unwrap();
    let mut one = tbs.sequence("list").unwrap().sequence("Request").unwrap();
    let mut cert_id = one.sequence("CertID").unwrap();
    let mut alg = cert_id.sequence("alg").unwrap();
    assert_eq!(
        der::oid_text(alg.expect(tag::OID, "oid").unwrap()).unwrap(),
        "1.3.14.3.2.26"
    );
    alg.expect(tag::NULL, "params").unwrap();
    assert_eq!(cert_id.expect(tag::OCTET_STRING, "name").unwrap().len(), 20);
    assert_eq!(cert_id.expect(tag::OCTET_STRING, "key").unwrap().len(), 20);
    assert_eq!(
        cert_id.expect(tag::INTEGER, "serial").unwrap(),
        [0, 0xc0, 0xff, 0xee, 1]
    );
    cert_id.expect_empty("CertID").unwrap();
    one.expect_empty("Request").unwrap();
    outer.expect_empty("OCSPRequest").unwrap();
}

#[test]
fn an_openssl_response_is_read_and_verified() {
    let answer = check(&der_of(LEAF_RESPONSE), NOW).unwrap();
    assert_eq!(
        answer,
        OcspAnswer {
            status: RevocationStatus::Revoked {
                revoked_at: 1_735_787_045,
                reason: Some("keyCompromise".into())
            },
            this_update: THIS_UPDATE,
            next_update: Some(NEXT_UPDATE),
            produced_at: THIS_UPDATE,
        }
    );
}

#[test]
fn stale_and_early_responses_are_refused() {
    assert!(check(&der_of(LEAF_RESPONSE), NEXT_UPDATE + 300).is_ok());
    assert_eq!(
        check(&der_of(LEAF_RESPONSE), NEXT_UPDATE + 301),
        Err(OcspError::Stale(Stale::Expired(NEXT_UPDATE)))
    );
    assert_eq!(
        check(&der_of(LEAF_RESPONSE), NEXT_UPDATE + 301)
            .unwrap_err()
            .to_string(),
        "OCSP response expired on 2026-12-02 12:19:22 UTC"
    );
    assert_eq!(
        check(&der_of(LEAF_RESPONSE), THIS_UPDATE - 301)
            .unwrap_err()
            .to_string(),
        "OCSP response is not valid yet: it was issued for 2026-11-25 12:19:22 UTC"
    );
}

#[test]
fn answers_about_other_certificates_or_issuers_are_refused() {
    let response = der_of(LEAF_RESPONSE);
    // The CA is self-issued, so it is its own issuer; the response is not about it.
    assert_eq!(
        verify_response(&response, &der_of(CA), &der_of(CA), NOW)
            .unwrap_err()
            .to_string(),
        "no response for this certificate in the OCSP response"
    );
    let err = verify_response(&response, &der_of(LEAF), &der_of(LEAF), NOW).unwrap_err();
    assert_eq!(
        err,
        OcspError::Pair(PairError::NotTheIssuer {
            issuer: "CN=leaf.example".into(),
            named: "CN=Fixture CA".into()
        })
    );
    assert_eq!(
        err.to_string(),
        "'CN=leaf.example' is not the issuer of the certificate (its issuer is 'CN=Fixture CA')"
    );
}

#[test]
fn a_changed_byte_breaks_the_signature() {
    let mut response = der_of(LEAF_RESPONSE);
    let at = response
        .windows(15)
        .position(|w| w == b"20250102030405Z")
        .unwrap();
    response[at + 13] = b'6';
    assert_eq!(
        check(&response, NOW).unwrap_err().to_string(),
        "OCSP response is not signed by the issuer or a delegated responder"
    );
}

#[test]
fn unsuccessful_statuses_are_named() {
    let status = |n| der::sequence(&[der::enumerated(n)]);
    assert_eq!(check(&status(3), NOW), Err(OcspError::Unsuccessful(3)));
    assert_eq!(
        check(&status(0), NOW),
        Err(OcspError::Malformed(MalformedResponse::NoResponseBytes))
    );
    assert_eq!(
        check(&status(3), NOW).unwrap_err().to_string(),
        "OCSP responder answered tryLater (3)"
    );
    assert_eq!(
        check(&status(6), NOW).unwrap_err().to_string(),
        "OCSP responder answered unauthorized (6)"
    );
    assert_eq!(
        check(&status(0), NOW).unwrap_err().to_string(),
        "malformed OCSP response: a successful response without responseBytes"
    );
}

#[test]
fn malformed_responses_fail_with_one_line() {
    let wrong_type = der::sequence(&[
        der::enumerated(0),
        der::explicit(
            0,
            &der::sequence(&[
                der::oid(&[1, 3, 6, 1, 5, 5, 7, 48, 1, 2]),
                der::octet_string(&[]),
            ]),
        ),
    ]);
    let mut trailing = der_of(LEAF_RESPONSE);
    trailing.push(0);
    let cases: [(&[u8], &str); 5] = [
        (&[], "malformed OCSP response: OCSPResponse: no tag"),
        (
            &wrong_type,
            "malformed OCSP response: response type 1.3.6.1.5.5.7.48.1.2 is not id-pkix-ocsp-basic",
        ),
        (
            &trailing,
            "malformed OCSP response: 1 trailing bytes after OCSPResponse",
        ),
        (
            &[0x30, 0x80, 0, 0],
            "malformed OCSP response: OCSPResponse: indefinite length is not allowed in DER",
        ),
        (
            b"<html>",
            "malformed OCSP response: expected OCSPResponse (tag 0x30), found tag 0x3c",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(check(input, NOW).unwrap_err().to_string(), expected);
    }
    let huge = vec![0u8; MAX_RESPONSE + 1];
    assert_eq!(
        check(&huge, NOW).unwrap_err().to_string(),
        "OCSP response is too large (1048577 bytes, at most 1048576)"
    );
}

#[test]
fn no_truncation_or_flipped_byte_panics_or_changes_the_answer() {
    let response = der_of(LEAF_RESPONSE);
    let expected = check(&response, NOW).unwrap();
    for len in 0..response.len() {
        assert!(
            check(&response[..len], NOW).is_err(),
            "prefix of {len} bytes"
        );
    }
    for at in 0..response.len() {
        for flip in [0x01, 0x80, 0xff] {
            let mut changed = response.clone();
            changed[at] ^= flip;
            if let Ok(answer) = check(&changed, NOW) {
                // Only bytes outside the signed data (the copy of the CA certificate) or
                // the length-neutral signature encoding may change without an error.
                assert_eq!(answer, expected, "byte {at} ^ {flip:#x}");
            }
        }
    }
}

#[test]
fn responder_urls_are_the_http_ocsp_entries() {
    assert_eq!(
        responder_urls(&der_of(LEAF)),
        ["http://ocsp.example.test/", "HTTP://ocsp2.example.test"]
    );
    assert!(responder_urls(&der_of(CA)).is_empty());
    assert!(responder_urls(b"not a certificate").is_empty());
}

#[test]
fn a_long_response_type_is_cut() {
    // Found by the ocsp_response fuzzer: an OID of any length was quoted whole.
    let arcs: Vec<u64> = (1..400).collect();
    let long_type = der::sequence(&[
        der::enumerated(0),
        der::explicit(
            0,
            &der::sequence(&[der::oid(&arcs), der::octet_string(&[])]),
        ),
    ]);
    let text = check(&long_type, NOW).unwrap_err().to_string();
    assert!(
        text.starts_with("malformed OCSP response: response type 1.2.3.4.5.6.7.8.9.10."),
        "{text}"
    );
    assert!(text.ends_with("... is not id-pkix-ocsp-basic"), "{text}");
    assert!(text.len() < 130, "{text}");
}
