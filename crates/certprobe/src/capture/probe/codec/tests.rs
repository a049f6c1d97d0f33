//! The ClientHello encoding read back with our own reader, and the reader's bounds.

use super::*;

fn hello(version: TlsVersion, sni: Option<&str>) -> Hello<'_> {
    Hello {
        version,
        sni,
        random: [7; 32],
        session_id: [9; 32],
        x25519_public: [5; 32],
    }
}

/// A ClientHello read back with our own Reader.
struct Parsed {
    record_version: u16,
    client_version: u16,
    session_id: Vec<u8>,
    suites: Vec<u16>,
    extensions: Vec<(u16, Vec<u8>)>,
    handshake_len: usize,
}

fn parse(record: &[u8]) -> Result<Parsed, DecodeError> {
    let mut r = Reader::new(record);
    assert_eq!(r.u8("type")?, CONTENT_HANDSHAKE);
    let record_version = r.u16("version")?;
    let mut fragment = r.block(Prefix::U16, 1 << 14, "record")?;
    r.expect_empty("record")?;
    assert_eq!(fragment.u8("msg type")?, HANDSHAKE_CLIENT_HELLO);
    let body = fragment.block(Prefix::U24, 1 << 14, "ClientHello")?;
    fragment.expect_empty("handshake")?;
    let body = body.into_bytes();
    let handshake_len = body.len() + 4;
    let mut b = Reader::new(body);
    let client_version = b.u16("client_version")?;
    assert_eq!(b.random("random")?, [7; 32]);
    let session_id = b.block(Prefix::U8, 32, "session_id")?.into_bytes().to_vec();
    let mut suite_list = b.block(Prefix::U16, 0xffff, "suites")?;
    let mut suites = Vec::new();
    while !suite_list.is_empty() {
        suites.push(suite_list.u16("suite")?);
    }
    let compression = b.block(Prefix::U8, 255, "compression")?.into_bytes();
    assert_eq!(compression, [0]);
    let mut ext_list = b.block(Prefix::U16, 0xffff, "extensions")?;
    b.expect_empty("ClientHello")?;
    let mut extensions = Vec::new();
    while !ext_list.is_empty() {
        let kind = ext_list.u16("extension type")?;
        let data = ext_list.block(Prefix::U16, 0xffff, "extension")?;
        extensions.push((kind, data.into_bytes().to_vec()));
    }
    Ok(Parsed {
        record_version,
        client_version,
        session_id,
        suites,
        extensions,
        handshake_len,
    })
}

fn extension(parsed: &Parsed, kind: u16) -> Option<&[u8]> {
    let mut found = parsed.extensions.iter().filter(|(k, _)| *k == kind);
    let first = found.next().map(|(_, d)| d.as_slice());
    assert!(found.next().is_none(), "extension {kind} twice");
    first
}

#[test]
fn tls12_hello_parses_back() {
    let record = client_hello(&hello(TlsVersion::Tls12, Some("example.org"))).unwrap();
    let p = parse(&record).unwrap();
    assert_eq!(p.record_version, 0x0301);
    assert_eq!(p.client_version, 0x0303);
    assert!(p.session_id.is_empty());
    assert_eq!(p.suites.last(), Some(&RENEGOTIATION_SCSV));
    for suite in [0xc02f, 0x002f, 0x009d, 0x000a, 0xcca8, 0x0035] {
        assert!(p.suites.contains(&suite), "{suite:04x}");
    }
    let sni = extension(&p, EXT_SERVER_NAME).unwrap();
    assert_eq!(sni, b"\x00\x0e\x00\x00\x0bexample.org");
    assert!(extension(&p, EXT_SIGNATURE_ALGORITHMS).is_some());
    assert_eq!(extension(&p, EXT_EC_POINT_FORMATS), Some(&[1, 0][..]));
    assert!(extension(&p, EXT_SUPPORTED_VERSIONS).is_none());
    assert!(extension(&p, EXT_KEY_SHARE).is_none());
    assert!(!(PAD_FROM..PAD_TO).contains(&p.handshake_len));
}

#[test]
fn old_versions_leave_out_signature_algorithms() {
    for (version, wire) in [(TlsVersion::Tls10, 0x0301), (TlsVersion::Tls11, 0x0302)] {
        let p = parse(&client_hello(&hello(version, None)).unwrap()).unwrap();
        assert_eq!(p.client_version, wire);
        assert!(extension(&p, EXT_SIGNATURE_ALGORITHMS).is_none());
        assert!(extension(&p, EXT_SERVER_NAME).is_none());
        assert!(!(PAD_FROM..PAD_TO).contains(&p.handshake_len));
    }
}

#[test]
fn tls13_hello_parses_back() {
    let record = client_hello(&hello(TlsVersion::Tls13, Some("a.example"))).unwrap();
    let p = parse(&record).unwrap();
    assert_eq!(p.record_version, 0x0301);
    assert_eq!(p.client_version, 0x0303);
    assert_eq!(p.session_id, [9; 32]);
    assert_eq!(p.suites, TLS13_SUITES);
    assert_eq!(extension(&p, EXT_SUPPORTED_VERSIONS), Some(&[2, 3, 4][..]));
    let mut share = Reader::new(extension(&p, EXT_KEY_SHARE).unwrap());
    let mut shares = share.block(Prefix::U16, 0xffff, "shares").unwrap();
    share.expect_empty("key_share").unwrap();
    assert_eq!(shares.u16("group").unwrap(), GROUP_X25519);
    let key = shares.block(Prefix::U16, 0xffff, "key").unwrap();
    shares.expect_empty("shares").unwrap();
    assert_eq!(key.into_bytes(), [5; 32]);
    let mut groups = Reader::new(extension(&p, EXT_SUPPORTED_GROUPS).unwrap());
    let mut groups = groups.block(Prefix::U16, 0xffff, "groups").unwrap();
    assert_eq!(groups.u16("first").unwrap(), GROUP_X25519);
    assert!(extension(&p, EXT_SIGNATURE_ALGORITHMS).is_some());
    assert!(extension(&p, EXT_EC_POINT_FORMATS).is_none());
    assert!(!(PAD_FROM..PAD_TO).contains(&p.handshake_len));
}

#[test]
fn hellos_in_the_f5_range_are_padded_to_512() {
    // A long name pushes the TLS 1.3 hello into 256..512 bytes.
    let name = "a".repeat(100);
    let p = parse(&client_hello(&hello(TlsVersion::Tls13, Some(&name))).unwrap()).unwrap();
    assert_eq!(p.handshake_len, PAD_TO);
    let pad = extension(&p, EXT_PADDING).unwrap();
    assert!(pad.iter().all(|&b| b == 0));
    assert_eq!(p.extensions.last().map(|e| e.0), Some(EXT_PADDING));
}

#[test]
fn server_names() {
    assert_eq!(server_name(None), Ok(None));
    assert_eq!(server_name(Some("")), Ok(None));
    assert_eq!(server_name(Some("192.0.2.1")), Ok(None));
    assert_eq!(server_name(Some("[2001:db8::1]")), Ok(None));
    assert_eq!(server_name(Some("2001:db8::1")), Ok(None));
    assert_eq!(server_name(Some("host.example.")), Ok(Some("host.example")));
    assert_eq!(
        server_name(Some("xn--bcher-kva.example")),
        Ok(Some("xn--bcher-kva.example"))
    );
    let u_label = server_name(Some("bücher.example")).unwrap_err();
    assert_eq!(u_label, HelloError::SniNotAscii("bücher.example".into()));
    assert_eq!(
        u_label.to_string(),
        "SNI name \"bücher.example\" is not an ASCII DNS name"
    );
    assert_eq!(
        server_name(Some("a b")),
        Err(HelloError::SniNotAscii("a b".into()))
    );
    let long = server_name(Some(&"a".repeat(300))).unwrap_err();
    assert_eq!(long, HelloError::SniTooLong(300));
    assert_eq!(long.to_string(), "SNI name of 300 bytes is too long");
}

#[test]
fn reader_checks_every_length() {
    let mut r = Reader::new(&[0x00, 0x05, 1, 2]);
    assert_eq!(
        r.block(Prefix::U16, 100, "list").unwrap_err(),
        DecodeError::Truncated {
            what: "list",
            needed: 5,
            left: 2
        }
    );
    let mut r = Reader::new(&[0x00, 0x05, 1, 2]);
    assert_eq!(
        r.block(Prefix::U16, 100, "list").unwrap_err().to_string(),
        "truncated list: needs 5 bytes, 2 left"
    );
    let mut r = Reader::new(&[0x01, 0x00, 0x00]);
    assert_eq!(
        r.block(Prefix::U24, 1000, "certificate").unwrap_err(),
        DecodeError::TooLong {
            what: "certificate",
            claimed: 65536,
            max: 1000
        }
    );
    let mut r = Reader::new(&[0x01, 0x00, 0x00]);
    assert_eq!(
        r.block(Prefix::U24, 1000, "certificate")
            .unwrap_err()
            .to_string(),
        "certificate claims 65536 bytes, more than the maximum of 1000"
    );
    let mut r = Reader::new(&[0x01]);
    let short = |needed| DecodeError::Truncated {
        what: "x",
        needed,
        left: 1,
    };
    assert_eq!(r.u16("x"), Err(short(2)));
    assert_eq!(r.u24("x"), Err(short(3)));
    assert_eq!(r.u8("x"), Ok(1));
    assert_eq!(
        r.u8("x"),
        Err(DecodeError::Truncated {
            what: "x",
            needed: 1,
            left: 0
        })
    );
    let mut r = Reader::new(&[0xab, 0xcd, 0xef, 9]);
    assert_eq!(r.u24("x"), Ok(0xabcdef));
    assert_eq!(
        r.expect_empty("x").unwrap_err().to_string(),
        "1 trailing bytes after x"
    );
    assert_eq!(
        r.take(usize::MAX, "huge"),
        Err(DecodeError::Truncated {
            what: "huge",
            needed: usize::MAX,
            left: 1
        })
    );
    assert_eq!(r.take(1, "last"), Ok(&[9][..]));
    assert!(r.expect_empty("x").is_ok());
}

#[test]
fn writer_refuses_overlong_blocks() {
    let mut w = Writer::default();
    w.block(Prefix::U8, |w| w.bytes(&[0; 256]));
    let e = w.finish().unwrap_err();
    assert_eq!(e, HelloError::FieldTooLong);
    assert_eq!(
        e.to_string(),
        "a ClientHello field is too long for its length prefix"
    );
    let mut w = Writer::default();
    w.block(Prefix::U8, |w| w.bytes(&[0; 255]));
    assert_eq!(w.finish().unwrap().first(), Some(&255));
}
