//! The prober against scripted servers: every answer a server can give.

use super::messages::build::*;
use super::messages::{
    CERTIFICATE, CONTENT_ALERT, CONTENT_CHANGE_CIPHER_SPEC, CONTENT_HANDSHAKE, SERVER_HELLO,
    SERVER_HELLO_DONE, SERVER_KEY_EXCHANGE,
};
use super::*;

/// A server that answers with canned bytes, `chunk` bytes per read, then `end`.
struct Scripted {
    answer: Vec<u8>,
    at: usize,
    chunk: usize,
    end: Option<io::ErrorKind>,
    sent: Vec<u8>,
}

impl Scripted {
    fn new(answer: Vec<u8>) -> Self {
        Scripted {
            answer,
            at: 0,
            chunk: usize::MAX,
            end: None,
            sent: Vec::new(),
        }
    }
}

impl Read for Scripted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = &self.answer[self.at..];
        if rest.is_empty() {
            return match self.end {
                Some(kind) => Err(kind.into()),
                None => Ok(0),
            };
        }
        let n = rest.len().min(buf.len()).min(self.chunk);
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

impl Write for Scripted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sent.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn run(version: TlsVersion, answer: Vec<u8>) -> ProbeOutcome {
    probe(&mut Scripted::new(answer), version, Some("example.org")).unwrap()
}

fn reason(outcome: ProbeOutcome) -> String {
    match outcome {
        ProbeOutcome::Refused { reason } => reason,
        accepted => panic!("accepted: {accepted:?}"),
    }
}

fn handshake_record(kind: u8, body: &[u8]) -> Vec<u8> {
    record(CONTENT_HANDSHAKE, &handshake(kind, body))
}

/// ServerHello, Certificate (split over two records), ServerHelloDone.
fn tls12_answer(version: u16, suite: u16, certs: &[&[u8]]) -> Vec<u8> {
    let mut out = handshake_record(SERVER_HELLO, &server_hello(version, suite, None));
    let message = handshake(CERTIFICATE, &certificate(certs));
    let (a, b) = message.split_at(message.len() / 2);
    out.extend(record(CONTENT_HANDSHAKE, a));
    out.extend(record(CONTENT_HANDSHAKE, b));
    out.extend(handshake_record(SERVER_HELLO_DONE, &[]));
    out
}

#[test]
fn names() {
    assert_eq!(
        TlsVersion::ALL.map(TlsVersion::name),
        ["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
    );
    assert_eq!(cipher_suite_name(0x002f), "TLS_RSA_WITH_AES_128_CBC_SHA");
    assert_eq!(
        cipher_suite_name(0xc02f),
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    );
    assert_eq!(cipher_suite_name(0x1301), "TLS_AES_128_GCM_SHA256");
    assert_eq!(cipher_suite_name(0x1234), "0x1234");
    for &suite in codec::TLS12_SUITES.iter().chain(codec::TLS13_SUITES) {
        assert!(cipher_suite_name(suite).starts_with("TLS_"), "{suite:04x}");
    }
    assert_eq!(
        serde_json::to_string(&TlsVersion::Tls11).unwrap(),
        "\"TLSv1.1\""
    );
}

#[test]
fn sends_one_client_hello_for_the_version() {
    for version in TlsVersion::ALL {
        let mut server = Scripted::new(Vec::new());
        probe(&mut server, version, Some("example.org")).unwrap();
        let sent = &server.sent;
        assert_eq!(sent[..3], [22, 3, 1]);
        assert_eq!(
            usize::from(u16::from_be_bytes([sent[3], sent[4]])),
            sent.len() - 5
        );
        let client_version = u16::from_be_bytes([sent[9], sent[10]]);
        assert_eq!(client_version, version.wire().min(0x0303));
    }
}

#[test]
fn tls12_certificate_byte_by_byte() {
    let certs: [&[u8]; 2] = [b"leaf-der", b"intermediate-der"];
    let mut server = Scripted::new(tls12_answer(0x0303, 0x009d, &certs));
    server.chunk = 1;
    let outcome = probe(&mut server, TlsVersion::Tls12, None).unwrap();
    assert_eq!(
        outcome,
        ProbeOutcome::Accepted {
            version: TlsVersion::Tls12,
            cipher_suite: 0x009d,
            certificates: certs.map(<[u8]>::to_vec).to_vec(),
        }
    );
    // It stopped at the Certificate: the ServerHelloDone was never read.
    assert!(server.at < server.answer.len());
}

#[test]
fn tls10_after_a_warning_and_a_key_exchange() {
    let mut answer = record(CONTENT_ALERT, &[1, 112]);
    answer.extend(handshake_record(
        SERVER_HELLO,
        &server_hello(0x0301, 0xc013, Some(&[0xff, 0x01, 0x00, 0x01, 0x00])),
    ));
    answer.extend(handshake_record(SERVER_KEY_EXCHANGE, b"params"));
    answer.extend(handshake_record(SERVER_HELLO_DONE, &[]));
    assert_eq!(
        run(TlsVersion::Tls10, answer),
        ProbeOutcome::Accepted {
            version: TlsVersion::Tls10,
            cipher_suite: 0xc013,
            certificates: Vec::new(),
        }
    );
}

#[test]
fn tls13_accepted_from_the_server_hello() {
    let mut answer = handshake_record(
        SERVER_HELLO,
        &server_hello(0x0303, 0x1302, Some(&supported_versions(0x0304))),
    );
    answer.extend(record(CONTENT_CHANGE_CIPHER_SPEC, &[1]));
    answer.extend(record(23, &[0xde; 300]));
    assert_eq!(
        run(TlsVersion::Tls13, answer),
        ProbeOutcome::Accepted {
            version: TlsVersion::Tls13,
            cipher_suite: 0x1302,
            certificates: Vec::new(),
        }
    );
}

#[test]
fn refusals() {
    let alert = record(CONTENT_ALERT, &[2, 70]);
    assert_eq!(
        reason(run(TlsVersion::Tls10, alert)),
        "the server sent fatal alert protocol_version (70)"
    );
    let lower = tls12_answer(0x0301, 0xc013, &[b"x"]);
    assert_eq!(
        reason(run(TlsVersion::Tls12, lower)),
        "the server chose TLSv1.0 instead"
    );
    let ssl3 = tls12_answer(0x0300, 0x000a, &[b"x"]);
    assert_eq!(
        reason(run(TlsVersion::Tls10, ssl3)),
        "the server chose SSLv3 instead"
    );
    let tls12_for_13 = tls12_answer(0x0303, 0x1301, &[b"x"]);
    assert_eq!(
        reason(run(TlsVersion::Tls13, tls12_for_13)),
        "the server chose TLSv1.2 instead"
    );
    let unasked_13 = handshake_record(
        SERVER_HELLO,
        &server_hello(0x0303, 0x1301, Some(&supported_versions(0x0304))),
    );
    assert_eq!(
        reason(run(TlsVersion::Tls12, unasked_13)),
        "the server chose TLSv1.3, which was not offered"
    );
    let bad_legacy = handshake_record(
        SERVER_HELLO,
        &server_hello(0x0301, 0x1301, Some(&supported_versions(0x0304))),
    );
    assert_eq!(
        reason(run(TlsVersion::Tls13, bad_legacy)),
        "malformed ServerHello: supported_versions with legacy_version 0x0301"
    );
    let unasked_suite = tls12_answer(0x0303, 0x1301, &[b"x"]);
    assert_eq!(
        reason(run(TlsVersion::Tls12, unasked_suite)),
        "the server chose cipher suite TLS_AES_128_GCM_SHA256, which was not offered"
    );
    assert_eq!(
        reason(run(TlsVersion::Tls12, Vec::new())),
        "the server closed the connection without answering"
    );
}

#[test]
fn failures_after_the_server_hello() {
    let hello = handshake_record(SERVER_HELLO, &server_hello(0x0303, 0x002f, None));
    assert_eq!(
        reason(run(TlsVersion::Tls12, hello.clone())),
        "the server accepted TLSv1.2 but closed the connection before its Certificate"
    );
    let mut half = hello.clone();
    half.extend(&handshake_record(CERTIFICATE, &certificate(&[b"der"]))[..8]);
    assert_eq!(
        reason(run(TlsVersion::Tls12, half)),
        "the server accepted TLSv1.2 but closed the connection before its Certificate, \
         in the middle of a record"
    );
    let mut alert = hello.clone();
    alert.extend(record(CONTENT_ALERT, &[2, 80]));
    assert_eq!(
        reason(run(TlsVersion::Tls12, alert)),
        "the server accepted TLSv1.2 but then sent fatal alert internal_error (80)"
    );
    let mut bad = hello.clone();
    bad.extend(handshake_record(CERTIFICATE, &[0, 0, 9, 0, 0, 1]));
    assert_eq!(
        reason(run(TlsVersion::Tls12, bad)),
        "malformed Certificate: truncated certificate_list: needs 9 bytes, 3 left"
    );
    let mut ccs = hello.clone();
    ccs.extend(record(CONTENT_CHANGE_CIPHER_SPEC, &[1]));
    assert_eq!(
        reason(run(TlsVersion::Tls12, ccs)),
        "unexpected ChangeCipherSpec after the ServerHello"
    );
    let mut second_hello = hello.clone();
    second_hello.extend(hello);
    assert_eq!(
        reason(run(TlsVersion::Tls12, second_hello)),
        "unexpected ServerHello after the ServerHello"
    );
}

#[test]
fn malformed_answers_are_refusals() {
    assert_eq!(
        reason(run(
            TlsVersion::Tls12,
            b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec()
        )),
        "not TLS: the server answered 'HTTP/1.1 400 Bad Request'"
    );
    let truncated = handshake_record(SERVER_HELLO, &server_hello(0x0303, 0x002f, None)[..69]);
    assert_eq!(
        reason(run(TlsVersion::Tls12, truncated)),
        "malformed ServerHello: truncated compression_method: needs 1 bytes, 0 left"
    );
    let cut = handshake_record(SERVER_HELLO, &server_hello(0x0303, 0x002f, None));
    assert_eq!(
        reason(run(TlsVersion::Tls12, cut[..20].to_vec())),
        "the server closed the connection before its ServerHello, in the middle of a record"
    );
    // Deterministic garbage of every length up to 300 bytes: a reason, never a panic.
    let mut seed = 0x2545_f491_u32;
    for len in 0..300 {
        let mut garbage = vec![22, 3, 3];
        garbage.extend((0..len).map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed.to_be_bytes()[0]
        }));
        assert!(matches!(
            run(TlsVersion::Tls12, garbage),
            ProbeOutcome::Refused { .. }
        ));
    }
}

#[test]
fn reads_at_most_1_mib() {
    // Warnings forever: each is valid, so only the limit stops the loop.
    let warnings: Vec<u8> = std::iter::repeat_n(record(CONTENT_ALERT, &[1, 112]), 200_000)
        .flatten()
        .collect();
    let mut server = Scripted::new(warnings);
    let outcome = probe(&mut server, TlsVersion::Tls12, None).unwrap();
    assert_eq!(
        reason(outcome),
        "the server sent more than 1024 KiB without a ServerHello"
    );
    assert_eq!(server.at, MAX_RECEIVED);
}

#[test]
fn timeouts_are_errors_and_resets_are_refusals() {
    let hello = handshake_record(SERVER_HELLO, &server_hello(0x0303, 0x002f, None));
    for kind in [io::ErrorKind::WouldBlock, io::ErrorKind::TimedOut] {
        let mut server = Scripted::new(hello.clone());
        server.end = Some(kind);
        let error = probe(&mut server, TlsVersion::Tls12, None).unwrap_err();
        assert_eq!(error.kind(), kind);
    }
    let mut server = Scripted::new(Vec::new());
    server.end = Some(io::ErrorKind::ConnectionReset);
    assert_eq!(
        reason(probe(&mut server, TlsVersion::Tls11, None).unwrap()),
        "the server reset the connection without answering"
    );
}

#[test]
fn bad_sni_is_invalid_input() {
    let mut server = Scripted::new(Vec::new());
    let error = probe(&mut server, TlsVersion::Tls12, Some("a b")).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    assert!(server.sent.is_empty());
}
