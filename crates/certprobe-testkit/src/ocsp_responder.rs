//! Revocation fixtures for tests: OCSP responses built and signed here (with certprobe's DER
//! writer, so the tests also check them with `openssl ocsp`), CRLs from rcgen, leaves that
//! name OCSP and CRL URLs, and a small HTTP/1.0 server answering as a responder and CRL host.

use crate::{Ca, Leaf};
use certprobe::analysis::revocation::ocsp;
use certprobe::analysis::CertFacts;
use certprobe::der;
use rcgen::{
    CertificateParams, CertificateRevocationListParams, CrlDistributionPoint, CustomExtension,
    DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevocationReason, RevokedCertParams, SanType, SerialNumber,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::SignatureScheme;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const DAY: i64 = 86_400;
const ECDSA_SHA256: [u64; 7] = [1, 2, 840, 10045, 4, 3, 2];
const OCSP_BASIC: [u64; 10] = [1, 3, 6, 1, 5, 5, 7, 48, 1, 1];
const AIA: [u64; 9] = [1, 3, 6, 1, 5, 5, 7, 1, 1];
const AIA_OCSP: [u64; 9] = [1, 3, 6, 1, 5, 5, 7, 48, 1];

/// What the responder says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcspReply {
    Good,
    /// Revoked at `at` (Unix seconds) for CRLReason `reason` (1 = keyCompromise).
    Revoked {
        at: i64,
        reason: u8,
    },
    Unknown,
    /// responseStatus tryLater (3), no response body.
    TryLater,
}

/// Who signs the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// The issuer CA's own key.
    Issuer,
    /// A fresh responder certificate issued by the issuer with EKU OCSPSigning, included.
    Delegated,
    /// A fresh responder certificate issued by the issuer without EKU OCSPSigning, included.
    DelegatedWithoutEku,
    /// A key unrelated to the issuer; its self-signed certificate (EKU OCSPSigning) included.
    Stranger,
}

/// One response to build. Times are Unix seconds.
#[derive(Debug, Clone)]
pub struct ResponseSpec {
    pub reply: OcspReply,
    pub this_update: i64,
    pub next_update: Option<i64>,
    pub signer: Signer,
}

impl ResponseSpec {
    /// Issued a minute ago, valid for a day, signed by the issuer.
    pub fn new(reply: OcspReply) -> ResponseSpec {
        let now = crate::now();
        ResponseSpec {
            reply,
            this_update: now - 60,
            next_update: Some(now + DAY),
            signer: Signer::Issuer,
        }
    }

    pub fn signer(mut self, signer: Signer) -> Self {
        self.signer = signer;
        self
    }

    pub fn updates(mut self, this_update: i64, next_update: Option<i64>) -> Self {
        self.this_update = this_update;
        self.next_update = next_update;
        self
    }
}

/// Builds a DER BasicOCSPResponse wrapped in OCSPResponse for (cert, issuer), signed as asked
/// with ECDSA P-256 SHA-256. `TryLater` gives the bare status.
pub fn build_response(cert_der: &[u8], issuer: &Ca, spec: &ResponseSpec) -> Vec<u8> {
    if spec.reply == OcspReply::TryLater {
        return status_only(3);
    }
    let issuer_der = issuer.der();
    let cert_id = ocsp::cert_id(cert_der, &issuer_der).expect("CertID");
    let status = match spec.reply {
        OcspReply::Good => der::tlv(der::tag::context_primitive(0), &[]),
        OcspReply::Unknown => der::tlv(der::tag::context_primitive(2), &[]),
        OcspReply::Revoked { at, reason } => der::tlv(
            der::tag::context(1),
            &[
                der::generalized_time(at),
                der::explicit(0, &der::enumerated(reason)),
            ]
            .concat(),
        ),
        OcspReply::TryLater => unreachable!(),
    };
    let mut single = vec![cert_id, status, der::generalized_time(spec.this_update)];
    if let Some(next) = spec.next_update {
        single.push(der::explicit(0, &der::generalized_time(next)));
    }
    let (signer_key, signer_cert) = signer(issuer, spec.signer);
    let responder_name = CertFacts::parse(signer_cert.as_deref().unwrap_or(&issuer_der))
        .expect("signer certificate")
        .subject_raw;
    let tbs = der::sequence(&[
        der::explicit(1, &responder_name),
        der::generalized_time(spec.this_update),
        der::sequence(&[der::sequence(&single)]),
    ]);
    let mut basic = vec![
        tbs.clone(),
        der::sequence(&[der::oid(&ECDSA_SHA256)]),
        der::bit_string(&sign(&signer_key, &tbs)),
    ];
    if let Some(cert) = signer_cert {
        basic.push(der::explicit(0, &der::sequence(&[cert])));
    }
    wrap_basic(&der::sequence(&basic))
}

/// An OCSPResponse carrying only a status (1 malformedRequest, 2 internalError, 3 tryLater,
/// 5 sigRequired, 6 unauthorized).
pub fn status_only(status: u8) -> Vec<u8> {
    der::sequence(&[der::enumerated(status)])
}

fn wrap_basic(basic: &[u8]) -> Vec<u8> {
    let response_bytes = der::sequence(&[der::oid(&OCSP_BASIC), der::octet_string(basic)]);
    der::sequence(&[der::enumerated(0), der::explicit(0, &response_bytes)])
}

/// The signing key (PKCS#8) and, for anyone but the issuer, the certificate to include.
fn signer(issuer: &Ca, who: Signer) -> (Vec<u8>, Option<Vec<u8>>) {
    let key = KeyPair::generate().expect("key");
    let params = |eku: bool| {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "certprobe Test OCSP Responder");
        params.distinguished_name = dn;
        params.not_before = at(crate::now() - DAY);
        params.not_after = at(crate::now() + 30 * DAY);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        if eku {
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::OcspSigning];
        }
        params
    };
    let cert = match who {
        Signer::Issuer => return (issuer.key.serialize_der(), None),
        Signer::Delegated => params(true).signed_by(&key, &issuer.cert, &issuer.key),
        Signer::DelegatedWithoutEku => params(false).signed_by(&key, &issuer.cert, &issuer.key),
        Signer::Stranger => params(true).self_signed(&key),
    }
    .expect("responder certificate");
    (key.serialize_der(), Some(cert.der().to_vec()))
}

/// ECDSA P-256 SHA-256 (ASN.1 signature) with a PKCS#8 key, through rustls' ring provider.
fn sign(pkcs8: &[u8], message: &[u8]) -> Vec<u8> {
    let pkcs8 = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pkcs8.to_vec()));
    let signing_key = rustls::crypto::ring::sign::any_ecdsa_type(&pkcs8).expect("ECDSA key");
    let signer = signing_key
        .choose_scheme(&[SignatureScheme::ECDSA_NISTP256_SHA256])
        .expect("P-256 key");
    signer.sign(message).expect("signature")
}

/// A leaf for `name` issued by `ca` (valid from yesterday for 90 days, ECDSA P-256) whose
/// Authority Information Access names `ocsp_urls` and whose CRL distribution point names
/// `crl_urls`. Its serial starts with a set high bit, so DER needs a sign byte.
pub fn issue_with_urls(ca: &Ca, name: &str, ocsp_urls: &[&str], crl_urls: &[&str]) -> Leaf {
    static SERIAL: AtomicUsize = AtomicUsize::new(1);
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.subject_alt_names = vec![SanType::DnsName(name.try_into().expect("DNS name"))];
    params.not_before = at(crate::now() - DAY);
    params.not_after = at(crate::now() + 90 * DAY);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let counter = SERIAL.fetch_add(1, Ordering::SeqCst) as u64;
    let serial = [
        &[0xc0][..],
        &crate::now().to_be_bytes(),
        &counter.to_be_bytes(),
    ]
    .concat();
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    if !ocsp_urls.is_empty() {
        let descriptions: Vec<Vec<u8>> = ocsp_urls
            .iter()
            .map(|url| {
                der::sequence(&[
                    der::oid(&AIA_OCSP),
                    der::tlv(der::tag::context_primitive(6), url.as_bytes()),
                ])
            })
            .collect();
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(
                &AIA,
                der::sequence(&descriptions),
            ));
    }
    if !crl_urls.is_empty() {
        params.crl_distribution_points = vec![CrlDistributionPoint {
            uris: crl_urls.iter().map(|u| u.to_string()).collect(),
        }];
    }
    let cert = params.signed_by(&key, &ca.cert, &ca.key).expect("leaf");
    Leaf {
        der: cert.der().to_vec(),
        key_pkcs8: key.serialize_der(),
        not_after: crate::now() + 90 * DAY,
    }
}

/// One revoked certificate in a CRL.
#[derive(Debug, Clone)]
pub struct CrlEntry {
    /// Serial magnitude, big-endian (see [`serial_of`]).
    pub serial: Vec<u8>,
    pub revoked_at: i64,
    /// CRLReason code; rcgen leaves out unspecified (0).
    pub reason: Option<u8>,
}

/// A CRL signed by `issuer` with rcgen, valid from `this_update` to `next_update`.
pub fn build_crl(issuer: &Ca, revoked: &[CrlEntry], this_update: i64, next_update: i64) -> Vec<u8> {
    let revoked_certs = revoked
        .iter()
        .map(|entry| RevokedCertParams {
            serial_number: SerialNumber::from_slice(&entry.serial),
            revocation_time: at(entry.revoked_at),
            reason_code: entry.reason.map(reason),
            invalidity_date: None,
        })
        .collect();
    CertificateRevocationListParams {
        this_update: at(this_update),
        next_update: at(next_update),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs,
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&issuer.cert, &issuer.key)
    .expect("CRL")
    .der()
    .to_vec()
}

fn reason(code: u8) -> RevocationReason {
    match code {
        1 => RevocationReason::KeyCompromise,
        2 => RevocationReason::CaCompromise,
        3 => RevocationReason::AffiliationChanged,
        4 => RevocationReason::Superseded,
        5 => RevocationReason::CessationOfOperation,
        6 => RevocationReason::CertificateHold,
        8 => RevocationReason::RemoveFromCrl,
        9 => RevocationReason::PrivilegeWithdrawn,
        10 => RevocationReason::AaCompromise,
        _ => RevocationReason::Unspecified,
    }
}

/// A certificate's serial as a big-endian magnitude (no DER sign byte), for [`CrlEntry`].
pub fn serial_of(cert_der: &[u8]) -> Vec<u8> {
    let hex = CertFacts::parse(cert_der).expect("certificate").serial;
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect();
    let first = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len() - 1);
    bytes[first..].to_vec()
}

fn at(unix: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(unix).expect("time")
}

type Answer = dyn Fn(&[u8]) -> Vec<u8> + Send + Sync;

/// A tiny HTTP/1.0 server on 127.0.0.1, a thread per connection, for the life of the process:
/// POST (body = OCSP request) and `GET /<url-encoded base64 request>` call `answer`; a GET of a
/// path in `files` returns that body (CRLs). Returns the base URL `http://127.0.0.1:PORT` and
/// the number of requests served so far, so tests can assert caching.
pub fn http_server(
    answer: impl Fn(&[u8]) -> Vec<u8> + Send + Sync + 'static,
    files: Vec<(String, Vec<u8>)>,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = listener.local_addr().expect("addr").port();
    let answer: Arc<Answer> = Arc::new(answer);
    let files: Arc<HashMap<String, Vec<u8>>> = Arc::new(files.into_iter().collect());
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (answer, files, counter) = (answer.clone(), files.clone(), counter.clone());
            std::thread::spawn(move || serve_http(stream, &*answer, &files, &counter));
        }
    });
    (format!("http://127.0.0.1:{port}"), count)
}

fn serve_http(
    mut stream: TcpStream,
    answer: &Answer,
    files: &HashMap<String, Vec<u8>>,
    count: &AtomicUsize,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Some((method, path, body)) = read_request(&mut stream) else {
        return;
    };
    count.fetch_add(1, Ordering::SeqCst);
    let ocsp = "application/ocsp-response";
    let (status, content_type, body) = match method.as_str() {
        "POST" => ("200 OK", ocsp, answer(&body)),
        "GET" => match files.get(&path) {
            Some(file) => ("200 OK", "application/pkix-crl", file.clone()),
            None => match get_request(&path) {
                Some(request) => ("200 OK", ocsp, answer(&request)),
                None => ("404 Not Found", "text/plain", b"not found\n".to_vec()),
            },
        },
        _ => ("405 Method Not Allowed", "text/plain", Vec::new()),
    };
    let head = format!(
        "HTTP/1.0 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

/// (method, path, body) of one request; `None` if the client sent nonsense.
fn read_request(stream: &mut TcpStream) -> Option<(String, String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if data.len() > 64 * 1024 {
            return None;
        }
        let n = stream.read(&mut buf).ok().filter(|&n| n > 0)?;
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut first = lines.next()?.split_whitespace();
    let (method, path) = (first.next()?.to_string(), first.next()?.to_string());
    let length = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = data[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).ok().filter(|&n| n > 0)?;
        body.extend_from_slice(&buf[..n]);
    }
    body.truncate(length);
    Some((method, path, body))
}

/// RFC 6960 appendix A.1: GET {url}/{url-encoding of base64 of the DER request}.
fn get_request(path: &str) -> Option<Vec<u8>> {
    let encoded = path.rsplit_once('/').map_or(path, |(_, last)| last);
    let decoded = percent_decode(encoded)?;
    let request = certprobe::encoding::unbase64(&decoded)?;
    (!request.is_empty()).then_some(request)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// POSTs `body` as an OCSP request to `url` (`http://127.0.0.1:PORT/path`); the response body.
pub fn http_post(url: &str, body: &[u8]) -> Vec<u8> {
    let (host, path) = split_url(url);
    let head = format!(
        "POST {path} HTTP/1.0\r\nHost: {host}\r\nContent-Type: application/ocsp-request\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    exchange(&host, &[head.as_bytes(), body].concat())
}

/// GETs `url` (`http://127.0.0.1:PORT/path`); the response body.
pub fn http_get(url: &str) -> Vec<u8> {
    let (host, path) = split_url(url);
    exchange(
        &host,
        format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes(),
    )
}

/// The GET form of an OCSP request: `{base}/{url-encoded base64}`.
pub fn ocsp_get_url(base: &str, request: &[u8]) -> String {
    let encoded: String = certprobe::encoding::base64(request)
        .chars()
        .map(|c| match c {
            '+' => "%2B".to_string(),
            '/' => "%2F".to_string(),
            '=' => "%3D".to_string(),
            c => c.to_string(),
        })
        .collect();
    format!("{}/{encoded}", base.trim_end_matches('/'))
}

fn split_url(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    match rest.find('/') {
        Some(i) => (rest[..i].to_string(), rest[i..].to_string()),
        None => (rest.to_string(), "/".to_string()),
    }
}

fn exchange(host: &str, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(host).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
    stream.write_all(request).expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("receive");
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("HTTP head");
    let status = String::from_utf8_lossy(&response[..end]).into_owned();
    assert!(status.starts_with("HTTP/1.0 200"), "{status}");
    response[end + 4..].to_vec()
}
