//! The record deframer and the parsers of ServerHello, Certificate and alerts, on built bytes.

use super::build::*;
use super::*;

fn all(bytes: &[u8]) -> Result<Vec<Message>, RecordError> {
    let mut d = Deframer::new(256 * 1024);
    d.push(bytes);
    let mut out = Vec::new();
    while let Some(m) = d.next_message()? {
        out.push(m);
    }
    Ok(out)
}

#[test]
fn server_hello_tls12() {
    let hello = parse_server_hello(&server_hello(0x0303, 0xc02f, None)).unwrap();
    assert_eq!(hello.version(), 0x0303);
    assert_eq!(hello.cipher_suite, 0xc02f);
    assert_eq!(hello.supported_version, None);
    assert!(!hello.retry_request);
    // An empty extensions block and an unknown extension are fine.
    assert!(parse_server_hello(&server_hello(0x0303, 0x002f, Some(&[]))).is_ok());
    let renegotiation_info = [0xff, 0x01, 0x00, 0x01, 0x00];
    assert!(parse_server_hello(&server_hello(0x0301, 0x002f, Some(&renegotiation_info))).is_ok());
}

#[test]
fn server_hello_tls13_reads_supported_versions() {
    let mut exts = vec![0x00, 0x33, 0x00, 0x02, 0x00, 0x1d]; // a (short) key_share
    exts.extend(supported_versions(0x0304));
    let hello = parse_server_hello(&server_hello(0x0303, 0x1301, Some(&exts))).unwrap();
    assert_eq!(hello.legacy_version, 0x0303);
    assert_eq!(hello.supported_version, Some(0x0304));
    assert_eq!(hello.version(), 0x0304);
}

#[test]
fn hello_retry_request_is_recognised() {
    let mut body = server_hello(0x0303, 0x1302, Some(&supported_versions(0x0304)));
    body.splice(2..34, RETRY_REQUEST_RANDOM);
    let hello = parse_server_hello(&body).unwrap();
    assert!(hello.retry_request);
    assert_eq!(hello.version(), 0x0304);
}

#[test]
fn server_hello_errors() {
    let good = server_hello(0x0303, 0x1301, Some(&supported_versions(0x0304)));
    // Without its extensions (cut at 70) a ServerHello is complete.
    for cut in (0..good.len()).filter(|&cut| cut != 70) {
        assert!(parse_server_hello(&good[..cut]).is_err(), "cut at {cut}");
    }
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(
        parse_server_hello(&trailing).unwrap_err().to_string(),
        "1 trailing bytes after the extensions"
    );
    let mut long_id = server_hello(0x0303, 0x1301, None);
    long_id[34] = 33;
    assert_eq!(
        parse_server_hello(&long_id).unwrap_err().to_string(),
        "session_id claims 33 bytes, more than the maximum of 32"
    );
    let mut twice = supported_versions(0x0304);
    twice.extend(supported_versions(0x0304));
    assert_eq!(
        parse_server_hello(&server_hello(0x0303, 0x1301, Some(&twice)))
            .unwrap_err()
            .to_string(),
        "extension 43 appears twice"
    );
    let three_bytes = [0x00, 0x2b, 0x00, 0x03, 0x03, 0x04, 0x00];
    assert_eq!(
        parse_server_hello(&server_hello(0x0303, 0x1301, Some(&three_bytes)))
            .unwrap_err()
            .to_string(),
        "1 trailing bytes after supported_versions"
    );
    let overlong_extension = [0x00, 0x2b, 0x00, 0x09, 0x03, 0x04];
    assert!(parse_server_hello(&server_hello(0x0303, 0x1301, Some(&overlong_extension))).is_err());
}

#[test]
fn certificate_split_across_two_records() {
    let certs: [&[u8]; 2] = [&[0x30; 3000], &[0x30, 0x82, 1, 2]];
    let message = handshake(CERTIFICATE, &certificate(&certs));
    let (a, b) = message.split_at(1234);
    let mut d = Deframer::new(256 * 1024);
    d.push(&record(CONTENT_HANDSHAKE, a));
    assert_eq!(d.next_message(), Ok(None));
    assert_eq!(d.unfinished(), Some("in the middle of a handshake message"));
    let second = record(CONTENT_HANDSHAKE, b);
    d.push(&second[..7]);
    assert_eq!(d.next_message(), Ok(None));
    assert_eq!(d.unfinished(), Some("in the middle of a record"));
    d.push(&second[7..]);
    let Some(Message::Handshake { kind, body }) = d.next_message().unwrap() else {
        panic!("no message");
    };
    assert_eq!(kind, CERTIFICATE);
    assert_eq!(parse_certificate(&body).unwrap(), certs.map(<[u8]>::to_vec));
    assert_eq!(d.next_message(), Ok(None));
    assert_eq!(d.unfinished(), None);
}

#[test]
fn several_messages_in_one_record() {
    let mut payload = handshake(SERVER_HELLO, &server_hello(0x0303, 0x002f, None));
    payload.extend(handshake(CERTIFICATE, &certificate(&[b"der"])));
    payload.extend(handshake(SERVER_HELLO_DONE, &[]));
    let kinds: Vec<u8> = all(&record(CONTENT_HANDSHAKE, &payload))
        .unwrap()
        .into_iter()
        .map(|m| match m {
            Message::Handshake { kind, .. } => kind,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds, [SERVER_HELLO, CERTIFICATE, SERVER_HELLO_DONE]);
}

#[test]
fn certificate_errors() {
    assert_eq!(parse_certificate(&certificate(&[])), Ok(Vec::new()));
    assert_eq!(
        parse_certificate(&certificate(&[b"a", b""])),
        Err(BodyError::EmptyCertificate(2))
    );
    assert_eq!(
        parse_certificate(&certificate(&[b"a", b""]))
            .unwrap_err()
            .to_string(),
        "certificate 2 is empty"
    );
    let mut trailing = certificate(&[b"abc"]);
    trailing.push(0);
    assert_eq!(
        parse_certificate(&trailing).unwrap_err().to_string(),
        "1 trailing bytes after certificate_list"
    );
    // The list claims more than the message holds.
    assert_eq!(
        parse_certificate(&[0x00, 0x10, 0x00, 0x00, 0x00, 0x01, b'x'])
            .unwrap_err()
            .to_string(),
        "truncated certificate_list: needs 4096 bytes, 4 left"
    );
    // A certificate claims more than its list holds.
    assert!(parse_certificate(&[0x00, 0x00, 0x04, 0x00, 0x00, 0x05, b'x']).is_err());
    assert!(parse_certificate(&[0x00, 0x00]).is_err());
}

#[test]
fn alerts() {
    let messages = all(&record(CONTENT_ALERT, &[2, 70])).unwrap();
    assert_eq!(
        messages,
        [Message::Alert(Alert {
            level: 2,
            description: 70
        })]
    );
    let fatal = Alert {
        level: 2,
        description: 40,
    };
    assert_eq!(fatal.to_string(), "fatal alert handshake_failure (40)");
    assert!(!fatal.is_warning());
    let sni = Alert {
        level: 1,
        description: 112,
    };
    assert_eq!(sni.to_string(), "warning alert unrecognized_name (112)");
    assert!(sni.is_warning());
    let close = Alert {
        level: 1,
        description: 0,
    };
    assert!(!close.is_warning());
    assert_eq!(
        Alert {
            level: 9,
            description: 200
        }
        .to_string(),
        "level-9 alert unknown (200)"
    );
    assert_eq!(
        all(&record(CONTENT_ALERT, &[2])).unwrap_err().to_string(),
        "malformed alert: truncated alert description: needs 1 bytes, 0 left"
    );
    assert_eq!(
        all(&record(CONTENT_ALERT, &[2, 40, 2, 40]))
            .unwrap_err()
            .to_string(),
        "malformed alert: 2 trailing bytes after the alert"
    );
}

#[test]
fn alert_inside_a_fragmented_handshake_message_is_refused() {
    let message = handshake(CERTIFICATE, &certificate(&[b"der"]));
    let mut bytes = record(CONTENT_HANDSHAKE, &message[..5]);
    bytes.extend(record(CONTENT_ALERT, &[2, 40]));
    assert_eq!(
        all(&bytes).unwrap_err().to_string(),
        "malformed record: alert record inside a fragmented handshake message"
    );
}

#[test]
fn truncated_input_waits_for_more() {
    let bytes = record(
        CONTENT_HANDSHAKE,
        &handshake(SERVER_HELLO, &server_hello(0x0303, 0x002f, None)),
    );
    for cut in 1..bytes.len() {
        let mut d = Deframer::new(1024);
        d.push(&bytes[..cut]);
        assert_eq!(d.next_message(), Ok(None), "cut at {cut}");
        assert!(d.unfinished().is_some());
    }
}

#[test]
fn oversize_lengths_are_refused_at_once() {
    assert_eq!(
        all(&[22, 3, 3, 0x40, 0x01]),
        Err(RecordError::RecordTooLong {
            content_type: 22,
            len: 16385
        })
    );
    assert_eq!(
        all(&[22, 3, 3, 0x40, 0x01]).unwrap_err().to_string(),
        "malformed record: handshake record of 16385 bytes, more than the maximum of 16384"
    );
    let header = handshake(CERTIFICATE, &[])[..1].to_vec();
    let mut huge = header;
    huge.extend([0x10, 0x00, 0x00]);
    assert_eq!(
        all(&record(CONTENT_HANDSHAKE, &huge))
            .unwrap_err()
            .to_string(),
        "malformed Certificate: 1048576 bytes, more than the maximum of 262144"
    );
    assert_eq!(
        all(&record(CONTENT_HANDSHAKE, &[]))
            .unwrap_err()
            .to_string(),
        "malformed record: empty handshake record"
    );
    assert_eq!(
        all(&record(CONTENT_CHANGE_CIPHER_SPEC, &[1, 1]))
            .unwrap_err()
            .to_string(),
        "malformed ChangeCipherSpec record"
    );
}

#[test]
fn garbage_is_not_tls() {
    assert_eq!(
        all(b"HTTP/1.1 400 Bad Request\r\nServer: x\r\n\r\n")
            .unwrap_err()
            .to_string(),
        "not TLS: the server answered 'HTTP/1.1 400 Bad Request'"
    );
    assert_eq!(
        all(b"220 mail.example.org ESMTP ready and waiting for you, but this line is long\r\n")
            .unwrap_err().to_string(),
        "not TLS: the server answered '220 mail.example.org ESMTP ready and waiting for you, but th...'"
    );
    // A wrong version byte is noticed after three bytes.
    assert_eq!(
        all(&[22, 2, 0]).unwrap_err().to_string(),
        "not TLS: the server answered bytes 16 02 00"
    );
    assert_eq!(
        all(&[0x80, 0x2e, 0x04, 0x00]).unwrap_err().to_string(),
        "not TLS: the server answered bytes 80 2e 04 00"
    );
    // After a good record, a bad header is a malformed record.
    let mut bytes = record(CONTENT_ALERT, &[1, 112]);
    bytes.extend(b"garbage");
    let mut d = Deframer::new(1024);
    d.push(&bytes);
    assert!(matches!(d.next_message(), Ok(Some(Message::Alert(_)))));
    assert_eq!(
        d.next_message().unwrap_err().to_string(),
        "malformed record header: 67 61 72 62 61"
    );
}

#[test]
fn a_long_answer_that_is_not_tls_keeps_only_what_it_shows() {
    let long = [b'x'; 5000];
    let e = all(&long).unwrap_err();
    let RecordError::NotTls(received) = &e else {
        panic!("{e:?}");
    };
    assert_eq!(received, &NotTls::new(&long[..NotTls::KEPT]));
    assert_eq!(
        e.to_string(),
        format!("not TLS: the server answered '{}...'", "x".repeat(60))
    );
    // A line of exactly 60 characters is shown whole.
    let mut exact = vec![b'y'; 60];
    exact.extend(b"\r\n and more after the line");
    assert_eq!(
        all(&exact).unwrap_err().to_string(),
        format!("not TLS: the server answered '{}'", "y".repeat(60))
    );
}

#[test]
fn names() {
    assert_eq!(handshake_name(SERVER_HELLO_DONE), "ServerHelloDone");
    assert_eq!(handshake_name(99), "handshake message type 99");
    assert_eq!(alert_name(70), "protocol_version");
}
