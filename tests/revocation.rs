//! Revocation end to end: check_tls_cert against servers whose certificates name an in-process
//! OCSP responder or CRL server on loopback, answering good, revoked, unknown, stale, forged
//! or not at all; stapling; caching.

mod common;

use certprobe::clock::format_utc;
use certprobe_testkit::ocsp_responder::{
    build_crl, build_response, http_server, issue_with_urls, serial_of, CrlEntry, OcspReply,
    ResponseSpec, Signer,
};
use certprobe_testkit::{
    now, refused_port, serve, serve_stapled, serve_with, write_temp, Ca, Leaf,
};
use common::*;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const DAY: i64 = 86_400;
const NAME: &str = "revocation.example";

fn issuer() -> &'static Ca {
    &pki().intermediate
}

/// A TLS server whose leaf names an OCSP responder that answers as `spec` says.
fn with_responder(spec: ResponseSpec) -> (u16, Leaf, String, Arc<AtomicUsize>) {
    let slot: Arc<Mutex<Vec<u8>>> = Arc::default();
    let cert = slot.clone();
    let (base, requests) = http_server(
        move |_request| {
            let leaf = cert.lock().unwrap_or_else(|p| p.into_inner()).clone();
            build_response(&leaf, issuer(), &spec)
        },
        vec![],
    );
    let url = format!("{base}/");
    let leaf = issue_with_urls(issuer(), NAME, &[&url], &[]);
    *slot.lock().unwrap() = leaf.der.clone();
    let server = serve(
        vec![leaf.der.clone(), issuer().der()],
        leaf.key_pkcs8.clone(),
    );
    (server.port, leaf, url, requests)
}

fn check(port: u16, extra: &[&str]) -> Run {
    check_name(NAME, port, extra)
}

#[test]
fn good_answer_is_ok_and_cached() {
    let (port, _, url, requests) = with_responder(ResponseSpec::new(OcspReply::Good));
    let run = check(port, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    run.assert_line(&format!("[OK] not revoked (OCSP {url})"));
    let prtg = check(port, &["-o", "prtg-json"]).json();
    assert_eq!(channel(&prtg, "Revoked")["value"], 0);

    let cache = write_temp("ocsp-cache", b"");
    std::fs::remove_file(&cache).unwrap();
    let cache = cache.display().to_string();
    let before = requests.load(Ordering::SeqCst);
    for _ in 0..3 {
        let cached = check(port, &["--cache-dir", &cache]);
        cached.assert_line(&format!("[OK] not revoked (OCSP {url})"));
    }
    assert_eq!(
        requests.load(Ordering::SeqCst),
        before + 1,
        "answered from the cache until nextUpdate"
    );

    let off = check(port, &["--no-revocation"]);
    assert!(!off.stdout.contains("revoked"), "{}", off.stdout);
    assert_eq!(requests.load(Ordering::SeqCst), before + 1);
}

#[test]
fn revoked_certificate_is_critical_with_date_and_reason() {
    let at = now() - 3 * DAY;
    let (port, _, url, _) = with_responder(ResponseSpec::new(OcspReply::Revoked { at, reason: 1 }));
    let run = check(port, &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    let line = format!(
        "certificate was revoked on {}, reason keyCompromise (OCSP {url})",
        format_utc(at)
    );
    run.assert_line(&format!("[CRITICAL] {line}"));
    assert!(
        run.first_line()
            .starts_with(&format!("TLS_CERT CRITICAL - {NAME}:{port} {line} | ")),
        "{}",
        run.first_line()
    );
    let prtg = check(port, &["-o", "prtg-json"]).json();
    assert_eq!(channel(&prtg, "Revoked")["value"], 1);
}

#[test]
fn unknown_stale_and_forged_answers_are_warnings() {
    let (port, _, url, _) = with_responder(ResponseSpec::new(OcspReply::Unknown));
    let run = check(port, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    run.assert_line(&format!("[WARNING] revocation status unknown: the responder does not know the certificate (OCSP {url})"));
    assert_eq!(
        channel(&check(port, &["-o", "prtg-json"]).json(), "Revoked")["value"],
        -1
    );

    let next = now() - 2 * DAY;
    let (port, _, url, _) =
        with_responder(ResponseSpec::new(OcspReply::Good).updates(now() - 10 * DAY, Some(next)));
    let run = check(port, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    run.assert_line(&format!(
        "[WARNING] revocation status unknown: OCSP {url}: OCSP response expired on {}",
        format_utc(next)
    ));

    let (port, _, url, _) =
        with_responder(ResponseSpec::new(OcspReply::Good).signer(Signer::Stranger));
    let run = check(port, &["--revocation-strict"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    run.assert_line(&format!(
        "[CRITICAL] revocation status unknown: OCSP {url}: OCSP response is not signed by the issuer or a delegated responder"
    ));

    let (port, _, _, _) =
        with_responder(ResponseSpec::new(OcspReply::Good).signer(Signer::Delegated));
    let run = check(port, &[]);
    assert_eq!(run.code, 0, "a delegated responder is fine: {}", run.stdout);
}

#[test]
fn responder_down_is_a_warning_never_a_false_critical() {
    let down = refused_port();
    let url = format!("http://127.0.0.1:{down}/");
    let leaf = issue_with_urls(issuer(), NAME, &[&url], &[]);
    let server = serve(
        vec![leaf.der.clone(), issuer().der()],
        leaf.key_pkcs8.clone(),
    );
    let run = check(server.port, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    run.assert_line(&format!(
        "[WARNING] revocation status unknown: OCSP {url}: connection refused by 127.0.0.1:{down}"
    ));
    let strict = check(server.port, &["--revocation-strict"]);
    assert_eq!(strict.code, 2, "{}", strict.stdout);
}

/// A plain HTTP server answering every GET with the bytes in `body`.
fn file_server(body: Arc<Mutex<Vec<u8>>>) -> String {
    let server = serve_with(move |mut s| {
        let mut request = [0u8; 2048];
        let _ = s.read(&mut request);
        let body = body.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let _ = s.write_all(
            format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes(),
        );
        let _ = s.write_all(&body);
    });
    format!("http://127.0.0.1:{}/int.crl", server.port)
}

#[test]
fn crl_is_used_without_ocsp() {
    let body: Arc<Mutex<Vec<u8>>> = Arc::default();
    let url = file_server(body.clone());
    let leaf = issue_with_urls(issuer(), NAME, &[], &[&url]);
    let at = now() - DAY;
    let entry = CrlEntry {
        serial: serial_of(&leaf.der),
        revoked_at: at,
        reason: Some(4),
    };
    *body.lock().unwrap() = build_crl(issuer(), &[entry], now() - 60, now() + DAY);
    let server = serve(
        vec![leaf.der.clone(), issuer().der()],
        leaf.key_pkcs8.clone(),
    );
    let run = check(server.port, &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    run.assert_line(&format!(
        "[CRITICAL] certificate was revoked on {}, reason superseded (CRL {url})",
        format_utc(at)
    ));

    *body.lock().unwrap() = build_crl(issuer(), &[], now() - 60, now() + DAY);
    let run = check(server.port, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    run.assert_line(&format!("[OK] not revoked (CRL {url})"));
}

#[test]
fn stapled_response_is_used_and_can_be_required() {
    let url = format!("http://127.0.0.1:{}/", refused_port());
    let leaf = issue_with_urls(issuer(), NAME, &[&url], &[]);
    let staple = build_response(&leaf.der, issuer(), &ResponseSpec::new(OcspReply::Good));
    let stapled = serve_stapled(
        vec![leaf.der.clone(), issuer().der()],
        leaf.key_pkcs8.clone(),
        staple,
    );
    let run = check(stapled.port, &["--require-stapling"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    run.assert_line("[OK] not revoked (stapled OCSP response)");

    let plain = serve(
        vec![leaf.der.clone(), issuer().der()],
        leaf.key_pkcs8.clone(),
    );
    let run = check(plain.port, &["--require-stapling"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    run.assert_line("[CRITICAL] the server staples no OCSP response (--require-stapling)");
}
