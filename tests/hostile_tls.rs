//! Hostile and broken TLS servers: each gets the right state and one plain sentence at once,
//! and the number of connections each failing case costs is fixed here (one, or two when
//! certprobe's own ClientHello can still read the chain).

mod common;

use certprobe_testkit::{finish_tls, serve_with, LeafSpec, Server};
use common::*;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A server that runs `answer` on every connection and counts the connections.
fn counting(
    answer: impl Fn(&mut std::net::TcpStream) + Send + Sync + 'static,
) -> (Server, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    let server = serve_with(move |mut stream| {
        seen.fetch_add(1, Ordering::SeqCst);
        answer(&mut stream);
    });
    (server, count)
}

/// Reads the ClientHello, answers with `bytes`, and keeps the socket open.
fn answers(bytes: &'static [u8]) -> impl Fn(&mut std::net::TcpStream) + Send + Sync + 'static {
    move |stream| {
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        let _ = stream.write_all(bytes);
        std::thread::sleep(Duration::from_secs(20));
    }
}

fn alert(level: u8, description: u8) -> &'static [u8] {
    Box::leak(vec![21, 3, 3, 0, 2, level, description].into_boxed_slice())
}

fn check(port: u16) -> Run {
    check_tls_cert(&["-H", "127.0.0.1", "-p", &port.to_string(), "-t", "10"])
}

#[test]
fn alerts_are_critical_at_once_with_the_alert_in_words() {
    let cases = [
        (
            alert(1, 0),
            "TLS handshake failed: the server sent alert close_notify (0): the server closed the session without completing the handshake",
            1,
        ),
        (
            alert(2, 0),
            "TLS handshake failed: the server sent alert close_notify (0): the server closed the session without completing the handshake",
            1,
        ),
        (
            alert(2, 40),
            "TLS handshake failed: the server sent alert handshake_failure (40): the server found no cipher suite or key exchange in common with this client",
            2,
        ),
        (
            alert(2, 70),
            "TLS handshake failed: the server sent alert protocol_version (70): the server's TLS library refused every protocol version this client offers",
            2,
        ),
        (
            alert(2, 112),
            "TLS handshake failed: the server sent alert unrecognized_name (112): the server does not know the name sent as SNI",
            1,
        ),
    ];
    for (bytes, message, connections) in cases {
        let (server, count) = counting(answers(bytes));
        let run = check(server.port);
        assert_eq!(
            run.stdout,
            format!("TLS_CERT CRITICAL - 127.0.0.1:{} {message}\n", server.port)
        );
        assert_eq!(run.code, 2);
        assert!(
            run.elapsed < Duration::from_secs(3),
            "took {:?}",
            run.elapsed
        );
        assert_eq!(count.load(Ordering::SeqCst), connections, "{message}");
    }
}

#[test]
fn each_failing_case_opens_a_known_number_of_connections() {
    // Not TLS: one connection, nothing to fall back to.
    let (http, count) = counting(answers(b"HTTP/1.1 400 Bad Request\r\n\r\n"));
    let run = check(http.port);
    assert_eq!(
        run.first_line(),
        format!(
            "TLS_CERT CRITICAL - 127.0.0.1:{} not a TLS server: it answered 'HTTP/1.1 400 Bad Request'",
            http.port
        )
    );
    assert_eq!(count.load(Ordering::SeqCst), 1);

    // Hangs up on the ClientHello without a byte: old servers do that to a modern hello,
    // so certprobe's own ClientHello gets one more connection.
    let (closer, count) = counting(|stream| {
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
    });
    let run = check(closer.port);
    assert_eq!(
        run.first_line(),
        format!(
            "TLS_CERT CRITICAL - 127.0.0.1:{} server closed the connection during the TLS handshake",
            closer.port
        )
    );
    assert_eq!(count.load(Ordering::SeqCst), 2);

    // Silent: one connection, and the timeout names the step.
    let (silent, count) = counting(|_| std::thread::sleep(Duration::from_secs(20)));
    let run = check_tls_cert(&["-H", "127.0.0.1", "-p", &silent.port.to_string(), "-t", "1"]);
    assert_eq!(run.code, 3);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

/// A leaf with `names` DNS names of 24 characters each.
fn many_names(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("host-{i:06}.big.example"))
        .collect()
}

/// Presents one certificate without rustls' own parse of it (webpki refuses certificates
/// over 64 KiB, which is the point here).
#[derive(Debug)]
struct Unchecked(Arc<CertifiedKey>);

impl ResolvesServerCert for Unchecked {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }
}

/// A server presenting a leaf of over 270 KB (11,000 DNS names) with the intermediate.
fn serve_huge(versions: &[&'static rustls::SupportedProtocolVersion]) -> Server {
    let names = many_names(11_000);
    let refs: Vec<&str> = std::iter::once("big.example")
        .chain(names.iter().map(String::as_str))
        .collect();
    let pki = pki();
    let leaf = pki
        .intermediate
        .issue(&LeafSpec::new("big.example").dns(&refs));
    assert!(leaf.der.len() > 270_000, "{}", leaf.der.len());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = provider
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            leaf.key_pkcs8.clone(),
        )))
        .unwrap();
    let certified = CertifiedKey::new(
        vec![
            CertificateDer::from(leaf.der.clone()),
            CertificateDer::from(pki.intermediate.der()),
        ],
        key,
    );
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Unchecked(Arc::new(certified)))),
    );
    serve_with(move |stream| finish_tls(stream, &config))
}

#[test]
fn a_certificate_message_over_64_kib_is_read_by_certprobes_own_hello() {
    let server = serve_huge(&[&rustls::version::TLS13, &rustls::version::TLS12]);
    let run = check_name("big.example", server.port, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    run.assert_line("[OK] name 'big.example' matches DNS:big.example");
    run.assert_line(
        "[WARNING] modern TLS clients cannot connect (TLS handshake failed: the server's Certificate message is larger than TLS clients accept (64 KiB)); the certificate was read with a TLSv1.2 ClientHello",
    );
    run.assert_line(
        "[WARNING] trust could not be verified: the certificate verifier cannot read certificates larger than 64 KiB (this one is not untrusted for that alone)",
    );
}

#[test]
fn a_tls_1_3_only_server_with_a_huge_certificate_is_named_plainly() {
    let server = serve_huge(&[&rustls::version::TLS13]);
    let run = check_name("big.example", server.port, &[]);
    assert_eq!(
        run.stdout,
        format!(
            "TLS_CERT CRITICAL - big.example:{} TLS handshake failed: the server's Certificate message is larger than TLS clients accept (64 KiB)\n",
            server.port
        )
    );
    assert_eq!(run.code, 2);
}
