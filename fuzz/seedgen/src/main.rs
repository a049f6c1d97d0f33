//! Writes the fuzz seed corpora (`fuzz/seeds/<target>/`) and the fixed certificate pairs the
//! OCSP and CRL targets check against (`fuzz/fixtures/`).
//!
//! The seeds are real where that is cheap: certificates, OCSP responses and CRLs from the
//! testkit PKI (rcgen), TLS flights read from testkit rustls servers and `openssl s_server` on
//! 127.0.0.1 with certprobe's own prober, HTTP answers from the testkit HTTP server; the
//! STARTTLS transcripts are what `tests/starttls_fakes.rs` and the real daemons send.
//! Run from `fuzz/`: `cargo run -p certprobe-fuzz-seedgen` (needs `openssl` for the legacy
//! flights and RSA keys). Every run makes a new PKI, so commit fixtures and seeds together.
//! Files are overwritten by name; the `crash-*` inputs the fuzzers found stay beside them.

use certprobe::capture::probe::{self, TlsVersion};
use certprobe::der;
use certprobe_testkit::ocsp_responder::{
    build_crl, build_response, http_server, issue_with_urls, serial_of, status_only, CrlEntry,
    OcspReply, ResponseSpec, Signer,
};
use certprobe_testkit::{openssl_server_with, pem, serve, Ca, KeyType, LeafSpec};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

const DAY: i64 = 86_400;

fn main() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let seeds = fuzz.join("seeds");
    let fixtures = fuzz.join("fixtures");
    std::fs::create_dir_all(&fixtures).expect("fixtures folder");

    let pki = Pki::new();
    pairs(&fixtures, &pki);
    let out = |target: &str| Seeds::new(&seeds, target);
    certificates(&mut out("certificate"), &pki);
    ocsp(&mut out("ocsp_response"), &pki);
    crls(&mut out("crl"), &pki);
    der_reader(&mut out("der_reader"), &pki);
    ldap(&mut out("ldap_response"));
    http(&mut out("http_answer"), &pki);
    starttls(&mut out("starttls_dialogue"));
    tls(&mut out("tls_probe"), &pki);
    prtg(&mut out("prtg_params"));
    nagios(&mut out("nagios_range"));
    println!("seeds written to {}", seeds.display());
}

/// One target's seed folder; files are named after what they hold.
struct Seeds {
    dir: PathBuf,
    count: usize,
}

impl Seeds {
    fn new(root: &Path, target: &str) -> Seeds {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).expect("seed folder");
        Seeds { dir, count: 0 }
    }

    fn add(&mut self, name: &str, bytes: &[u8]) {
        self.count += 1;
        let file = self.dir.join(format!("{:02}-{name}", self.count));
        std::fs::write(file, bytes).expect("seed file");
    }
}

/// The test PKI the seeds are made from.
struct Pki {
    root: Ca,
    intermediate: Ca,
    /// ECDSA P-256 leaf issued by the intermediate, with a caIssuers URL.
    leaf: certprobe_testkit::Leaf,
    rsa_leaf: certprobe_testkit::Leaf,
    ed25519_leaf: certprobe_testkit::Leaf,
    /// Issued by the root, naming OCSP and CRL URLs: the testkit pair's certificate.
    revocable: certprobe_testkit::Leaf,
    now: i64,
}

impl Pki {
    fn new() -> Pki {
        let root = Ca::root("Fuzz Root CA");
        let intermediate = root.intermediate("Fuzz Intermediate CA", 365.0);
        let leaf = intermediate.issue(
            &LeafSpec::new("www.example.org")
                .dns(&["www.example.org", "example.org", "*.example.net"])
                .ips(&["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()])
                .ca_issuers(&["http://127.0.0.1:1/intermediate.der"]),
        );
        let rsa_leaf = intermediate.issue(&LeafSpec::new("rsa.example").key(KeyType::Rsa(2048)));
        let ed25519_leaf = intermediate.issue(&LeafSpec::new("ed.example").key(KeyType::Ed25519));
        let revocable = issue_with_urls(
            &root,
            "revocable.example",
            &["http://127.0.0.1:1/ocsp", "HTTP://127.0.0.1:2/ocsp"],
            &["http://127.0.0.1:1/root.crl", "ldap://127.0.0.1/cn=crl"],
        );
        Pki {
            root,
            intermediate,
            leaf,
            rsa_leaf,
            ed25519_leaf,
            revocable,
            now: certprobe_testkit::now(),
        }
    }
}

/// The library's openssl-made fixture (analysis/revocation/mod.rs), base64 DER.
mod openssl_fixture {
    pub const CA: &str = "
MIIBjzCCATWgAwIBAgIUJmsipPgBCEJ9EZs7/vjZamwLMeIwCgYIKoZIzj0EAwIwFTETMBEGA1UEAwwKRml4dHVy
ZSBDQTAeFw0yNjExMjUxMjE5MjJaFw0zNjExMjIxMjE5MjJaMBUxEzARBgNVBAMMCkZpeHR1cmUgQ0EwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAAQTD8bYi2IqPHk8VQywreXCMDQlLFgjDd89OWA0IGPPNFNfZCG1IoRHU2MeQplO
QYRlxUpY3QYLdoap8BSVtyk7o2MwYTAdBgNVHQ4EFgQU+gc9ugTOmiUzgNHkcN38cP5VoCUwHwYDVR0jBBgwFoAU
+gc9ugTOmiUzgNHkcN38cP5VoCUwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAYYwCgYIKoZIzj0EAwID
SAAwRQIgSlamBnBU5NcxLBvaPsdGFpjDWhazCQ3AAjBUWoGBavICIQDZwEnWNEyz4v6Fe10boTrNycY6c715LiZN
nLIILageAw==";

    pub const LEAF: &str = "
MIICkDCCAjagAwIBAgIFAMD/7gEwCgYIKoZIzj0EAwIwFTETMBEGA1UEAwwKRml4dHVyZSBDQTAeFw0yNjExMjUx
MjE5MjJaFw0zNjExMjIxMjE5MjJaMBcxFTATBgNVBAMMDGxlYWYuZXhhbXBsZTBZMBMGByqGSM49AgEGCCqGSM49
AwEHA0IABLieFlhHDJHekZeuKDFHu8MCDBuhofcXLdNVu11PNNXLJtcSYnI953j0TegAeC9VeQtJQPp1RaX07mDG
8pVtZumjggFvMIIBazCBuAYIKwYBBQUHAQEEgaswgagwJQYIKwYBBQUHMAGGGWh0dHA6Ly9vY3NwLmV4YW1wbGUu
dGVzdC8wLQYIKwYBBQUHMAGGIWh0dHBzOi8vc2VjdXJlLW9jc3AuZXhhbXBsZS50ZXN0LzApBggrBgEFBQcwAoYd
aHR0cDovL2NhLmV4YW1wbGUudGVzdC9jYS5kZXIwJQYIKwYBBQUHMAGGGUhUVFA6Ly9vY3NwMi5leGFtcGxlLnRl
c3QwVQYDVR0fBE4wTDAkoCKgIIYeaHR0cDovL2NybC5leGFtcGxlLnRlc3QvY2EuY3JsMCSgIqAghh5sZGFwOi8v
bGRhcC5leGFtcGxlLnRlc3QvY249Y2EwFwYDVR0RBBAwDoIMbGVhZi5leGFtcGxlMB0GA1UdDgQWBBQeDXXX4vP1
ykFPUD0uOm6+c5t9sjAfBgNVHSMEGDAWgBT6Bz26BM6aJTOA0eRw3fxw/lWgJTAKBggqhkjOPQQDAgNIADBFAiBx
YbpHHpUez48Dc1+lhIQgb/CmQgSgmadvD3ku85QVqwIhAJTA1ZLk2WKxoivBayYr1j6wt7G1L6iPNXD/9YQLbrBa";

    pub const RESPONSE: &str = "
MIICvQoBAKCCArYwggKyBgkrBgEFBQcwAQEEggKjMIICnzCBqqEXMBUxEzARBgNVBAMMCkZpeHR1cmUgQ0EYDzIw
MjYxMTI1MTIxOTIyWjB+MHwwPjAJBgUrDgMCGgUABBSJ465Q+wTx8PVHNaGlP9h+poqrKAQU+gc9ugTOmiUzgNHk
cN38cP5VoCUCBQDA/+4BoRYYDzIwMjUwMTAyMDMwNDA1WqADCgEBGA8yMDI2MTEyNTEyMTkyMlqgERgPMjAyNjEy
MDIxMjE5MjJaMAoGCCqGSM49BAMCA0kAMEYCIQCb+26pwWzJSYoMHI4hzU95gzV/jp+hBr5JshbITuZjGwIhAIfP
LAB5ULRN0iqf+coBpvIzg3Cn5C14z8+OMEiOxBhgoIIBlzCCAZMwggGPMIIBNaADAgECAhQmayKk+AEIQn0Rmzv+
+NlqbAsx4jAKBggqhkjOPQQDAjAVMRMwEQYDVQQDDApGaXh0dXJlIENBMB4XDTI2MTEyNTEyMTkyMloXDTM2MTEy
MjEyMTkyMlowFTETMBEGA1UEAwwKRml4dHVyZSBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABBMPxtiLYio8
eTxVDLCt5cIwNCUsWCMN3z05YDQgY880U19kIbUihEdTYx5CmU5BhGXFSljdBgt2hqnwFJW3KTujYzBhMB0GA1Ud
DgQWBBT6Bz26BM6aJTOA0eRw3fxw/lWgJTAfBgNVHSMEGDAWgBT6Bz26BM6aJTOA0eRw3fxw/lWgJTAPBgNVHRMB
Af8EBTADAQH/MA4GA1UdDwEB/wQEAwIBhjAKBggqhkjOPQQDAgNIADBFAiBKVqYGcFTk1zEsG9o+x0YWmMNaFrMJ
DcACMFRagYFq8gIhANnASdY0TLPi/oV7XRuhOs3JxjpzvXkuJk2csggtqB4D";

    pub const CRL: &str = "
MIH2MIGdAgEBMAoGCCqGSM49BAMCMBUxEzARBgNVBAMMCkZpeHR1cmUgQ0EXDTI2MTEyNTEyMjAwNFoXDTI2MTIy
NTEyMjAwNFowJjAkAgUAwP/uARcNMjUwMTAyMDMwNDA1WjAMMAoGA1UdFQQDCgEBoC8wLTAfBgNVHSMEGDAWgBT6
Bz26BM6aJTOA0eRw3fxw/lWgJTAKBggqhkjOPQQDAgNIADBFAiAhQU6CyPMSS3bkFob4okQg/3iA1TdqYKMvKsPB
vVqIfQIhALqboSCa/XsiTcVqIzuzHwiZBifd3m9TbMRTNSrqUDE2";

    pub fn der(base64: &str) -> Vec<u8> {
        certprobe::encoding::unbase64(base64).expect("fixture base64")
    }
}

/// The certificate pairs of `certprobe_fuzz::pair`: selector 0 the openssl fixture, 1 the
/// testkit pair made now.
fn pairs(fixtures: &Path, pki: &Pki) {
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(fixtures.join(name), bytes).expect("fixture file");
    };
    write(
        "openssl-leaf.der",
        &openssl_fixture::der(openssl_fixture::LEAF),
    );
    write(
        "openssl-issuer.der",
        &openssl_fixture::der(openssl_fixture::CA),
    );
    write("testkit-leaf.der", &pki.revocable.der);
    write("testkit-issuer.der", &pki.root.der());
    write("testkit-now", format!("{}\n", pki.now).as_bytes());
}

fn certificates(out: &mut Seeds, pki: &Pki) {
    out.add("root.der", &pki.root.der());
    out.add("intermediate.der", &pki.intermediate.der());
    out.add("leaf-p256.der", &pki.leaf.der);
    out.add("leaf-rsa2048.der", &pki.rsa_leaf.der);
    out.add("leaf-ed25519.der", &pki.ed25519_leaf.der);
    out.add("leaf-ocsp-crl-urls.der", &pki.revocable.der);
    out.add("cross-signed.der", &pki.root.cross_sign(&pki.intermediate));
    out.add(
        "self-signed.der",
        &LeafSpec::new("self.example").self_signed().der,
    );
    out.add(
        "openssl-leaf.der",
        &openssl_fixture::der(openssl_fixture::LEAF),
    );
    let bundle = format!("{}{}", pem(&pki.leaf.der), pki.intermediate.pem());
    out.add("bundle.pem", bundle.as_bytes());
    out.add(
        "bundle.p7c",
        &pkcs7(&[pki.intermediate.der(), pki.root.der()]),
    );
}

/// A PKCS#7 certs-only bundle, as `openssl crl2pkcs7 -nocrl` writes it.
fn pkcs7(certs: &[Vec<u8>]) -> Vec<u8> {
    const SIGNED_DATA: [u64; 7] = [1, 2, 840, 113549, 1, 7, 2];
    const DATA: [u64; 7] = [1, 2, 840, 113549, 1, 7, 1];
    let signed = der::sequence(&[
        der::integer(1),
        der::tlv(0x31, &[]),
        der::sequence(&[der::oid(&DATA)]),
        der::tlv(der::tag::context(0), &certs.concat()),
        der::tlv(0x31, &[]),
    ]);
    der::sequence(&[der::oid(&SIGNED_DATA), der::explicit(0, &signed)])
}

/// OCSP responses, behind the byte choosing their pair.
fn ocsp(out: &mut Seeds, pki: &Pki) {
    let with = |selector: u8, der: &[u8]| [&[selector][..], der].concat();
    let leaf = &pki.revocable.der;
    let replies = [
        ("good", OcspReply::Good, Signer::Issuer),
        (
            "revoked",
            OcspReply::Revoked {
                at: pki.now - 10 * DAY,
                reason: 1,
            },
            Signer::Issuer,
        ),
        ("unknown", OcspReply::Unknown, Signer::Issuer),
        ("delegated", OcspReply::Good, Signer::Delegated),
        (
            "delegated-without-eku",
            OcspReply::Good,
            Signer::DelegatedWithoutEku,
        ),
        ("stranger", OcspReply::Good, Signer::Stranger),
    ];
    for (name, reply, signer) in replies {
        let spec = ResponseSpec::new(reply).signer(signer);
        out.add(name, &with(1, &build_response(leaf, &pki.root, &spec)));
    }
    let stale = ResponseSpec::new(OcspReply::Good).updates(pki.now - 9 * DAY, Some(pki.now - DAY));
    out.add("stale", &with(1, &build_response(leaf, &pki.root, &stale)));
    let open = ResponseSpec::new(OcspReply::Good).updates(pki.now - 60, None);
    out.add(
        "no-next-update",
        &with(1, &build_response(leaf, &pki.root, &open)),
    );
    out.add("try-later", &with(1, &status_only(3)));
    out.add("unauthorized", &with(1, &status_only(6)));
    out.add(
        "openssl-revoked",
        &with(0, &openssl_fixture::der(openssl_fixture::RESPONSE)),
    );
}

fn crls(out: &mut Seeds, pki: &Pki) {
    let with = |selector: u8, der: &[u8]| [&[selector][..], der].concat();
    let revoked = CrlEntry {
        serial: serial_of(&pki.revocable.der),
        revoked_at: pki.now - 10 * DAY,
        reason: Some(1),
    };
    let others = [
        CrlEntry {
            serial: vec![0x01, 0x02, 0x03],
            revoked_at: pki.now - 20 * DAY,
            reason: None,
        },
        CrlEntry {
            serial: vec![0x7f; 20],
            revoked_at: pki.now - 2 * DAY,
            reason: Some(4),
        },
    ];
    let now = pki.now;
    let listed = build_crl(&pki.root, &[revoked.clone()], now - 60, now + 7 * DAY);
    out.add("revoked", &with(1, &listed));
    out.add(
        "not-listed",
        &with(1, &build_crl(&pki.root, &others, now - 60, now + 7 * DAY)),
    );
    let removed = CrlEntry {
        reason: Some(8),
        ..revoked
    };
    out.add(
        "remove-from-crl",
        &with(
            1,
            &build_crl(&pki.root, &[removed], now - 60, now + 7 * DAY),
        ),
    );
    out.add(
        "expired",
        &with(1, &build_crl(&pki.root, &[], now - 9 * DAY, now - DAY)),
    );
    out.add(
        "other-issuer",
        &with(1, &build_crl(&pki.intermediate, &[], now - 60, now + DAY)),
    );
    out.add(
        "openssl",
        &with(0, &openssl_fixture::der(openssl_fixture::CRL)),
    );
}

fn der_reader(out: &mut Seeds, pki: &Pki) {
    let spec = ResponseSpec::new(OcspReply::Revoked {
        at: pki.now - DAY,
        reason: 4,
    });
    out.add(
        "ocsp-response",
        &build_response(&pki.revocable.der, &pki.root, &spec),
    );
    out.add("certificate", &pki.leaf.der);
    out.add("ldap-response", &LDAP_SUCCESS);
    out.add("pkcs7", &pkcs7(&[pki.intermediate.der()]));
    out.add(
        "primitives",
        &der::sequence(&[
            der::oid(&[1, 3, 6, 1, 5, 5, 7, 48, 1, 1]),
            der::oid(&[2, 999, 3]),
            der::generalized_time(pki.now),
            der::tlv(der::tag::GENERALIZED_TIME, b"20240229235959.123Z"),
            der::integer(-129),
            der::integer_unsigned(&[0xff, 0xff, 0xff, 0xff]),
            der::enumerated(6),
            der::null(),
            der::ia5_string("http://127.0.0.1/"),
            der::bit_string(&[1, 2, 3]),
            der::explicit(3, &der::octet_string(&[0; 200])),
        ]),
    );
}

const LDAP_SUCCESS: [u8; 14] = [
    0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
];

/// An LDAP ExtendedResponse for message `id` with `code`, `diagnostic` and trailing fields.
fn ldap_response(id: u8, code: u8, diagnostic: &[u8], extra: &[u8]) -> Vec<u8> {
    let op = [
        der::tlv(0x0a, &[code]),
        der::octet_string(b""),
        der::octet_string(diagnostic),
        extra.to_vec(),
    ]
    .concat();
    der::sequence(&[der::tlv(0x02, &[id]), der::tlv(0x78, &op)])
}

fn ldap(out: &mut Seeds) {
    out.add("success", &LDAP_SUCCESS);
    out.add(
        "unsupported",
        &ldap_response(1, 2, b"unsupported extended operation", &[]),
    );
    out.add("unavailable", &ldap_response(1, 52, b"", &[]));
    let oid = b"1.3.6.1.4.1.1466.20037";
    out.add(
        "with-response-name",
        &ldap_response(1, 0, b"", &der::tlv(0x8a, oid)),
    );
    out.add(
        "referral",
        &ldap_response(
            1,
            10,
            b"go elsewhere",
            &der::tlv(0xa3, &der::octet_string(b"ldap://x/")),
        ),
    );
    out.add(
        "notice-of-disconnection",
        &ldap_response(
            0,
            52,
            b"server shutting down",
            &der::tlv(0x8a, b"1.3.6.1.4.1.1466.20036"),
        ),
    );
    let mut with_controls = ldap_response(1, 0, b"", &[]);
    with_controls.extend(der::tlv(
        0xa0,
        &der::sequence(&[der::octet_string(b"1.2.3")]),
    ));
    let len = with_controls.len() - 2;
    with_controls[1] = len as u8;
    out.add("controls", &with_controls);
    out.add(
        "truncated",
        &[0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01],
    );
}

/// HTTP answers as the testkit HTTP server sends them, and hand-made ones, behind two bytes
/// of size limit.
fn http(out: &mut Seeds, pki: &Pki) {
    let limited = |limit: u16, answer: &[u8]| [&limit.to_be_bytes()[..], answer].concat();
    let crl = build_crl(&pki.root, &[], pki.now - 60, pki.now + DAY);
    let ocsp = build_response(
        &pki.revocable.der,
        &pki.root,
        &ResponseSpec::new(OcspReply::Good),
    );
    let (base, _) = http_server(
        move |_request| ocsp.clone(),
        vec![("/root.crl".to_string(), crl)],
    );
    let address = base.trim_start_matches("http://").to_string();
    let exchange = |request: &[u8]| -> Vec<u8> {
        let mut stream = TcpStream::connect(&address).expect("connect to the HTTP server");
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
        stream.write_all(request).expect("send the request");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        answer
    };
    let get_crl = exchange(b"GET /root.crl HTTP/1.0\r\nHost: x\r\nConnection: close\r\n\r\n");
    out.add("crl", &limited(4096, &get_crl));
    let mut post =
        b"POST / HTTP/1.0\r\nContent-Type: application/ocsp-request\r\nContent-Length: 2\r\n\r\n"
            .to_vec();
    post.extend_from_slice(&[0x30, 0x00]);
    out.add("ocsp", &limited(4096, &exchange(&post)));
    let missing = exchange(b"GET /nothing HTTP/1.0\r\nHost: x\r\n\r\n");
    out.add("not-found", &limited(4096, &missing));
    out.add(
        "content-length",
        &limited(10, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef"),
    );
    out.add(
        "redirect",
        &limited(10, b"HTTP/1.0 301 Moved\r\nLocation: http://x/y\r\n\r\n"),
    );
    out.add(
        "chunked",
        &limited(
            100,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ),
    );
    out.add(
        "truncated",
        &limited(100, b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\nshort"),
    );
    out.add(
        "too-large",
        &limited(4, b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\n0123456789"),
    );
    out.add(
        "error-status",
        &limited(
            100,
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n\r\n",
        ),
    );
}

/// Server transcripts for each dialogue: settings byte (the protocol's index in
/// `Protocol::STARTTLS`), read size, the server's bytes.
fn starttls(out: &mut Seeds) {
    let script = |protocol: u8, chunk: u8, server: &[u8]| [&[protocol, chunk][..], server].concat();
    let smtp_good: &[u8] = b"220-mail.example ESMTP\r\n220 second greeting line\r\n\
        250-mail.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n\
        220 2.0.0 Ready to start TLS\r\n";
    out.add("smtp", &script(0, 0, smtp_good));
    out.add("smtp-byte-by-byte", &script(0, 1, smtp_good));
    out.add(
        "smtp-no-starttls",
        &script(
            0,
            0,
            b"220 mail.example ESMTP\r\n250-mail.example\r\n250 PIPELINING\r\n",
        ),
    );
    out.add(
        "smtp-starttls-refused",
        &script(
            0,
            0,
            b"220 mail.example ESMTP\r\n250-mail.example\r\n250 STARTTLS\r\n454 4.7.0 TLS not available due to local problem\r\n",
        ),
    );
    out.add(
        "smtp-session-refused",
        &script(0, 0, b"554 5.3.2 mail.example closed to you\r\n"),
    );
    out.add(
        "smtp-injection",
        &script(
            0,
            0,
            b"220 mail.example ESMTP\r\n250-mail.example\r\n250 STARTTLS\r\n220 go\r\n\x16\x03\x01",
        ),
    );
    out.add(
        "lmtp",
        &script(
            1,
            0,
            b"220 lmtp.example LMTP ready\r\n250-lmtp.example\r\n250 STARTTLS\r\n220 go ahead\r\n",
        ),
    );
    out.add(
        "lmtp-lhlo-refused",
        &script(
            1,
            0,
            b"220 lmtp.example LMTP ready\r\n500 5.5.1 LHLO expected\r\n",
        ),
    );
    out.add("ldap", &script(2, 0, &LDAP_SUCCESS));
    out.add(
        "ldap-refused",
        &script(
            2,
            3,
            b"\x30\x2a\x02\x01\x01\x78\x25\x0a\x01\x02\x04\x00\x04\x1eunsupported extended operation",
        ),
    );
    out.add("ldap-huge", &script(2, 0, b"\x30\x84\x7f\xff\xff\xff"));
    out.add("ldap-tls", &script(2, 0, b"\x16\x03\x01\x00\x05hello"));
    out.add(
        "imap",
        &script(
            3,
            0,
            b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.\r\n\
              * CAPABILITY IMAP4rev1 STARTTLS\r\nC1 OK Begin TLS negotiation now.\r\n",
        ),
    );
    out.add(
        "imap-refused",
        &script(3, 0, b"* PREAUTH ready\r\nC1 BAD unknown command\r\n"),
    );
    out.add(
        "pop3",
        &script(
            4,
            0,
            b"+OK Dovecot ready.\r\n+OK Begin TLS negotiation now.\r\n",
        ),
    );
    out.add(
        "pop3-refused",
        &script(4, 0, b"+OK ready\r\n-ERR STLS not available\r\n"),
    );
    out.add(
        "ftp",
        &script(
            5,
            0,
            b"220-Welcome\r\n220-to the server\r\n220 ready\r\n234 AUTH TLS OK.\r\n",
        ),
    );
    out.add(
        "ftp-refused",
        &script(
            5,
            0,
            b"220 (vsFTPd 3.0.3)\r\n530 Please login with USER and PASS.\r\n",
        ),
    );
    out.add(
        "xmpp",
        &script(
            6,
            0,
            b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
              xmlns:stream='http://etherx.jabber.org/streams' id='1' from='xmpp.example' \
              version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>\
              <required/></starttls></stream:features>\
              <proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
        ),
    );
    out.add(
        "xmpp-stream-error",
        &script(
            6,
            7,
            b"<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>\
              <stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
        ),
    );
    out.add(
        "xmpp-failure",
        &script(
            6,
            0,
            b"<stream:stream><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\
              </stream:features><failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>",
        ),
    );
    out.add("postgres", &script(7, 0, b"S"));
    out.add("postgres-no-ssl", &script(7, 0, b"N"));
    out.add("postgres-error", &script(7, 0, b"EFATAL"));
    out.add("mysql", &script(8, 0, &mysql_greeting(0xfffe)));
    out.add("mysql-no-ssl", &script(8, 5, &mysql_greeting(0xf7fe)));
    let mut blocked = vec![0x17, 0, 0, 0];
    blocked.extend_from_slice(b"\xff\x6a\x04Host is not allowed");
    out.add("mysql-error", &script(8, 0, &blocked));
    out.add(
        "sieve",
        &script(
            9,
            0,
            b"\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n\"SIEVE\" \"fileinto reject\"\r\n\
              \"STARTTLS\"\r\n\"VERSION\" \"1.0\"\r\nOK \"ready\"\r\nOK \"Begin TLS negotiation now\"\r\n",
        ),
    );
    out.add(
        "sieve-no-starttls",
        &script(9, 0, b"\"IMPLEMENTATION\" \"x\"\r\nOK \"ready\"\r\n"),
    );
    out.add(
        "sieve-bye",
        &script(9, 0, b"BYE \"too many connections\"\r\n"),
    );
}

/// A MariaDB protocol-10 handshake packet with these low capability flags.
fn mysql_greeting(low_flags: u16) -> Vec<u8> {
    let mut payload = vec![0x0a];
    payload.extend_from_slice(b"10.11.6-MariaDB\0");
    payload.extend_from_slice(&[1, 0, 0, 0]);
    payload.extend_from_slice(b"abcdefgh");
    payload.push(0);
    payload.extend_from_slice(&low_flags.to_le_bytes());
    payload.push(0x21);
    payload.extend_from_slice(&[2, 0]);
    payload.extend_from_slice(&0x81bfu16.to_le_bytes());
    payload.push(21);
    payload.extend_from_slice(&[0; 10]);
    payload.extend_from_slice(b"ijklmnopqrst\0mysql_native_password\0");
    let len = payload.len() as u32;
    let mut packet = len.to_le_bytes()[..3].to_vec();
    packet.push(0);
    packet.extend(payload);
    packet
}

/// A stream that keeps a copy of what it reads.
struct Recorder {
    inner: TcpStream,
    read: Vec<u8>,
}

impl Read for Recorder {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// What a server on `port` answers certprobe's ClientHello for `version`.
fn capture(port: u16, version: TlsVersion) -> Vec<u8> {
    let inner = TcpStream::connect(("127.0.0.1", port)).expect("connect to the TLS server");
    inner.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut recorder = Recorder {
        inner,
        read: Vec::new(),
    };
    let outcome = probe::probe(&mut recorder, version, Some("www.example.org"));
    println!(
        "captured {} bytes for {version:?}: {outcome:?}",
        recorder.read.len()
    );
    recorder.read
}

fn version_bits(version: TlsVersion) -> u8 {
    match version {
        TlsVersion::Tls10 => 0,
        TlsVersion::Tls11 => 1,
        TlsVersion::Tls12 => 2,
        TlsVersion::Tls13 => 3,
    }
}

/// TLS flights: settings byte (version, SNI), read size, the server's bytes.
fn tls(out: &mut Seeds, pki: &Pki) {
    let flight = |version: TlsVersion, chunk: u8, answer: &[u8]| {
        [&[version_bits(version) | 4, chunk][..], answer].concat()
    };
    let chain = vec![pki.leaf.der.clone(), pki.intermediate.der()];
    let rustls = serve(chain, pki.leaf.key_pkcs8.clone());
    for version in [TlsVersion::Tls12, TlsVersion::Tls13, TlsVersion::Tls11] {
        let answer = capture(rustls.port, version);
        out.add(&format!("rustls-{version:?}"), &flight(version, 0, &answer));
    }
    let intermediate_pem = pki.intermediate.pem();
    let legacy = [
        (
            "tls1.0",
            TlsVersion::Tls10,
            &pki.leaf,
            vec!["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"],
        ),
        (
            "tls1.1",
            TlsVersion::Tls11,
            &pki.leaf,
            vec!["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"],
        ),
        (
            "tls1.2-cbc",
            TlsVersion::Tls12,
            &pki.leaf,
            vec!["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"],
        ),
        (
            "tls1.2-rsa-kx",
            TlsVersion::Tls12,
            &pki.rsa_leaf,
            vec!["-tls1_2", "-cipher", "AES256-GCM-SHA384:@SECLEVEL=0"],
        ),
    ];
    for (name, version, leaf, options) in legacy {
        let server = openssl_server_with(
            &pem(&leaf.der),
            &intermediate_pem,
            &leaf.key_pem(),
            &options,
        );
        let answer = capture(server.port, version);
        out.add(&format!("openssl-{name}"), &flight(version, 0, &answer));
        if version == TlsVersion::Tls10 {
            // The same flight in small reads, and offered TLS 1.2 (a downgrade).
            out.add("openssl-tls1.0-chunked", &flight(version, 13, &answer));
            out.add(
                "openssl-tls1.0-for-1.2",
                &flight(TlsVersion::Tls12, 0, &answer),
            );
        }
    }
    // Hand-made answers.
    let record = |content_type: u8, payload: &[u8]| {
        let mut out = vec![content_type, 3, 3];
        out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        out.extend_from_slice(payload);
        out
    };
    out.add(
        "fatal-alert",
        &flight(TlsVersion::Tls10, 0, &record(21, &[2, 70])),
    );
    let mut warning_first = record(21, &[1, 112]);
    warning_first.extend(record(21, &[2, 40]));
    out.add(
        "warning-then-fatal",
        &flight(TlsVersion::Tls12, 0, &warning_first),
    );
    out.add(
        "plain-http",
        &flight(TlsVersion::Tls12, 0, b"HTTP/1.1 400 Bad Request\r\n\r\n"),
    );
    let mut hello = vec![0x03, 0x03];
    hello.extend([
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02,
    ]);
    hello.extend([
        0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
    ]);
    hello.extend([0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c]);
    hello.push(0);
    hello.extend([0x13, 0x02, 0x00]);
    hello.extend([
        0x00, 0x0c, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33, 0x00, 0x02,
    ]);
    hello.extend([0x00, 0x17]);
    let mut message = vec![2];
    message.extend_from_slice(&(hello.len() as u32).to_be_bytes()[1..]);
    message.extend(hello);
    out.add(
        "hello-retry-request",
        &flight(TlsVersion::Tls13, 0, &record(22, &message)),
    );
}

fn prtg(out: &mut Seeds) {
    let strings: [&[&str]; 6] = [
        &["mx.example.com", "port: 7025, protocol: lmtp, cert_domainname_validation: cn_san"],
        &[
            "mx.example.com",
            "port:",
            "7025,",
            "protocol:",
            "lmtp,",
            "cert_domainname_validation:",
            "cn_san",
        ],
        &[
            "192.0.2.25",
            "port: 25, protocol: smtp, cert_domainname: mta.example.com, cert_domainname_validation: cn",
        ],
        &["h", "port: 25, protocol: smtp, colour: blue"],
        &["ldap.example", "protocol: 'ldap', cert_domainname: \"\", cert_domainname_validation: None"],
        &["h", "port 25, protocol: smtp"],
    ];
    for (i, args) in strings.iter().enumerate() {
        out.add(&format!("params-{i}"), args.join("\0").as_bytes());
    }
}

fn nagios(out: &mut Seeds) {
    let ranges = [
        "10", "10:", "~:10", "10:20", "@10:20", "0.5", "30", "14:", " 7 ", "@~:0", "soon", "-3",
        "20:10", "@", "1:2:3", "~", "1e3:", "inf",
    ];
    for (i, range) in ranges.iter().enumerate() {
        out.add(&format!("range-{i}"), range.as_bytes());
    }
}
