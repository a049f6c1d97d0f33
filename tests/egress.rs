//! The egress policy end to end: the URLs a server's certificate names are fetched only from
//! where the policy allows (link-local and metadata addresses never; private and loopback
//! ones only for a server in such a range; allow and deny ranges first), across redirects.

mod common;

use certprobe_testkit::ocsp_responder::{
    build_response, http_server, issue_with_urls, OcspReply, ResponseSpec,
};
use certprobe_testkit::{serve, serve_with, Ca, Leaf};
use common::*;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const NAME: &str = "egress.example";

fn issuer() -> &'static Ca {
    &pki().intermediate
}

/// A TLS server whose leaf names `url` as its OCSP responder.
fn server_naming(url: &str) -> u16 {
    let leaf = issue_with_urls(issuer(), NAME, &[url], &[]);
    serve(vec![leaf.der.clone(), issuer().der()], leaf.key_pkcs8).port
}

/// A good OCSP responder on 127.0.0.1 and a server naming it as `url_of(base)`.
fn with_responder(url_of: impl Fn(&str) -> String) -> (u16, String, Arc<AtomicUsize>) {
    let slot: Arc<Mutex<Vec<u8>>> = Arc::default();
    let cert = slot.clone();
    let (base, requests) = http_server(
        move |_| {
            let leaf = cert.lock().unwrap_or_else(|p| p.into_inner()).clone();
            build_response(&leaf, issuer(), &ResponseSpec::new(OcspReply::Good))
        },
        vec![],
    );
    let url = url_of(&base);
    let leaf: Leaf = issue_with_urls(issuer(), NAME, &[&url], &[]);
    *slot.lock().unwrap() = leaf.der.clone();
    let port = serve(vec![leaf.der.clone(), issuer().der()], leaf.key_pkcs8).port;
    (port, url, requests)
}

#[test]
fn metadata_and_link_local_addresses_are_never_fetched_from() {
    for (url, address) in [
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254",
        ),
        ("http://[fe80::1]/ocsp", "fe80::1"),
    ] {
        let port = server_naming(url);
        let run = check_name(NAME, port, &["--fetch-from-private", "always"]);
        let why = if address.contains(':') {
            "it is a link-local address"
        } else {
            "it is a link-local address (cloud metadata services live there)"
        };
        run.assert_line(&format!(
            "[WARNING] revocation status unknown: OCSP {url}: fetching {url}: the egress policy forbids fetching from {address}: {why}"
        ));
        assert!(
            run.elapsed < Duration::from_secs(2),
            "took {:?}",
            run.elapsed
        );
    }
}

#[test]
fn loopback_is_fetched_from_for_a_loopback_server_unless_forbidden() {
    let (port, url, requests) = with_responder(|base| format!("{base}/"));
    let run = check_name(NAME, port, &[]);
    run.assert_line(&format!("[OK] not revoked (OCSP {url})"));
    assert_eq!(requests.load(Ordering::SeqCst), 1);

    let never = check_name(NAME, port, &["--fetch-from-private", "never"]);
    never.assert_line(&format!(
        "[WARNING] revocation status unknown: OCSP {url}: fetching {url}: the egress policy forbids fetching from 127.0.0.1: it is a private or loopback address"
    ));
    let denied = check_name(NAME, port, &["--fetch-deny", "127.0.0.0/8"]);
    denied.assert_line(&format!(
        "[WARNING] revocation status unknown: OCSP {url}: fetching {url}: the egress policy forbids fetching from 127.0.0.1 (denied range 127.0.0.0/8)"
    ));
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1,
        "a forbidden fetch reached the responder"
    );

    let allowed = check_name(
        NAME,
        port,
        &[
            "--fetch-from-private",
            "never",
            "--fetch-allow",
            "127.0.0.1",
        ],
    );
    allowed.assert_line(&format!("[OK] not revoked (OCSP {url})"));
    assert_eq!(requests.load(Ordering::SeqCst), 2);

    let bad = check_name(NAME, port, &["--fetch-allow", "10.0.0.0/33"]);
    assert_eq!(bad.code, 3);
    assert!(
        bad.first_line()
            .ends_with("'10.0.0.0/33' is not an address range (like 10.0.0.0/8 or 2001:db8::/32)"),
        "{}",
        bad.stdout
    );
}

#[test]
fn an_upper_case_scheme_is_fetched_like_a_lower_case_one() {
    let (port, url, requests) =
        with_responder(|base| format!("{}/", base.replacen("http://", "HTTP://", 1)));
    let run = check_name(NAME, port, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    run.assert_line(&format!("[OK] not revoked (OCSP {url})"));
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

/// An HTTP server that answers every request with a redirect to `location(n)`.
fn redirector(
    location: impl Fn(usize) -> String + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let server = serve_with(move |mut s| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        let mut request = [0u8; 4096];
        let _ = s.read(&mut request);
        let _ = write!(s, "HTTP/1.0 302 Found\r\nLocation: {}\r\n\r\n", location(n));
    });
    (format!("http://127.0.0.1:{}", server.port), count)
}

#[test]
fn redirects_are_capped_and_cannot_lead_around_the_policy() {
    // Relative locations, as servers often send them.
    let (loop_base, loop_hops) = redirector(|n| format!("/hop{n}"));
    let url = format!("{loop_base}/start");
    let port = server_naming(&url);
    let run = check_name(NAME, port, &[]);
    run.assert_line(&format!(
        "[WARNING] revocation status unknown: OCSP {url}: too many redirects fetching {url}"
    ));
    assert_eq!(
        loop_hops.load(Ordering::SeqCst),
        4,
        "one request and three redirects"
    );

    let (to_metadata, _) = redirector(|_| "http://169.254.169.254/latest/meta-data/".into());
    let url = format!("{to_metadata}/ocsp");
    let port = server_naming(&url);
    let run = check_name(NAME, port, &[]);
    run.assert_line(&format!(
        "[WARNING] revocation status unknown: OCSP {url}: fetching http://169.254.169.254/latest/meta-data/: the egress policy forbids fetching from 169.254.169.254: it is a link-local address (cloud metadata services live there)"
    ));
}
