//! The ClientHello prober against `openssl s_server` in configurations rustls cannot talk to
//! (TLS 1.0 only, TLS 1.1 only, CBC-only and RSA-key-exchange-only TLS 1.2) and a default one
//! (TLS 1.2 and 1.3), with a certificate made by the openssl CLI; exact outcomes asserted.
//!
//! `-cipher ...@SECLEVEL=0` because the default security level refuses TLS 1.0 and 1.1.
//! What OpenSSL 3.0 answers when it refuses: protocol_version (70) to a version outside
//! `-tls1*`, also to a TLS 1.3 ClientHello (it reads supported_versions even when TLS 1.3 is
//! off); internal_error (80) to TLS 1.0 and 1.1 when only the security level forbids them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on purpose

use certprobe::capture::probe::{cipher_suite_name, probe, ProbeOutcome, TlsVersion};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "certprobe-probe-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `openssl s_server` on a loopback port, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    /// The DER of the certificate it serves.
    der: Vec<u8>,
    _dir: TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An RSA-2048 self-signed certificate in `dir` (cert.pem, key.pem); returns its DER.
fn make_certificate(dir: &Path) -> Vec<u8> {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "30",
            "-subj",
            "/CN=probe.test",
        ],
    );
    openssl(
        dir,
        &[
            "x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der",
        ],
    );
    std::fs::read(dir.join("cert.der")).expect("read cert.der")
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener.local_addr().expect("local addr").port()
}

/// Starts `openssl s_server` with `args` added and waits until it accepts connections.
fn start(args: &[&str]) -> Server {
    let dir = TempDir::new();
    let der = make_certificate(&dir.0);
    for _attempt in 0..5 {
        let port = free_port();
        let log = std::fs::File::create(dir.0.join("s_server.log")).expect("log file");
        let mut child = Command::new("openssl")
            .args(["s_server", "-quiet", "-naccept", "10000"])
            .args(["-cert", "cert.pem", "-key", "key.pem"])
            .arg("-accept")
            .arg(format!("127.0.0.1:{port}"))
            .args(args)
            .current_dir(&dir.0)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("openssl is installed");
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = child.try_wait() {
                break; // the port was taken meanwhile, or the arguments are wrong
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Server {
                    child,
                    port,
                    der,
                    _dir: dir,
                };
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    let log = std::fs::read_to_string(dir.0.join("s_server.log")).unwrap_or_default();
    panic!("openssl s_server {args:?} did not start: {log}");
}

impl Server {
    /// One probe on a new connection (s_server serves one connection at a time).
    fn probe(&self, version: TlsVersion) -> ProbeOutcome {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("read timeout");
        stream
            .set_write_timeout(Some(Duration::from_secs(5)))
            .expect("write timeout");
        probe(&mut stream, version, Some("probe.test")).expect("no I/O error")
    }

    fn accepted(&self, version: TlsVersion, cipher_suite: u16) -> ProbeOutcome {
        let certificates = if version == TlsVersion::Tls13 {
            Vec::new()
        } else {
            vec![self.der.clone()]
        };
        ProbeOutcome::Accepted {
            version,
            cipher_suite,
            certificates,
        }
    }
}

fn refused(reason: &str) -> ProbeOutcome {
    ProbeOutcome::Refused {
        reason: reason.to_string(),
    }
}

const LOW: &str = "DEFAULT@SECLEVEL=0";

#[test]
fn tls10_only() {
    let server = start(&["-tls1", "-cipher", LOW]);
    assert_eq!(
        server.probe(TlsVersion::Tls10),
        server.accepted(TlsVersion::Tls10, 0xc013)
    );
    assert_eq!(
        server.probe(TlsVersion::Tls11),
        refused("the server chose TLSv1.0 instead")
    );
    assert_eq!(
        server.probe(TlsVersion::Tls12),
        refused("the server chose TLSv1.0 instead")
    );
    assert_eq!(
        server.probe(TlsVersion::Tls13),
        refused("the server sent fatal alert protocol_version (70)")
    );
}

#[test]
fn tls11_only() {
    let server = start(&["-tls1_1", "-cipher", LOW]);
    assert_eq!(
        server.probe(TlsVersion::Tls10),
        refused("the server sent fatal alert protocol_version (70)")
    );
    assert_eq!(
        server.probe(TlsVersion::Tls11),
        server.accepted(TlsVersion::Tls11, 0xc013)
    );
    assert_eq!(
        server.probe(TlsVersion::Tls12),
        refused("the server chose TLSv1.1 instead")
    );
    assert_eq!(
        server.probe(TlsVersion::Tls13),
        refused("the server sent fatal alert protocol_version (70)")
    );
}

#[test]
fn tls12_cbc_with_rsa_key_exchange_only() {
    let server = start(&["-tls1_2", "-cipher", "AES128-SHA"]);
    assert_eq!(
        server.probe(TlsVersion::Tls12),
        server.accepted(TlsVersion::Tls12, 0x002f)
    );
    assert_eq!(
        server.probe(TlsVersion::Tls11),
        refused("the server sent fatal alert protocol_version (70)")
    );
    assert_eq!(
        server.probe(TlsVersion::Tls10),
        refused("the server sent fatal alert protocol_version (70)")
    );
    assert_eq!(
        server.probe(TlsVersion::Tls13),
        refused("the server sent fatal alert protocol_version (70)")
    );
}

#[test]
fn tls12_gcm_with_rsa_key_exchange_only() {
    let server = start(&["-tls1_2", "-cipher", "AES256-GCM-SHA384"]);
    assert_eq!(
        server.probe(TlsVersion::Tls12),
        server.accepted(TlsVersion::Tls12, 0x009d)
    );
    assert_eq!(cipher_suite_name(0x009d), "TLS_RSA_WITH_AES_256_GCM_SHA384");
    assert_eq!(
        server.probe(TlsVersion::Tls13),
        refused("the server sent fatal alert protocol_version (70)")
    );
}

#[test]
fn default_server_tls12_and_tls13() {
    let server = start(&[]);
    assert_eq!(
        server.probe(TlsVersion::Tls13),
        server.accepted(TlsVersion::Tls13, 0x1301)
    );
    assert_eq!(
        server.probe(TlsVersion::Tls12),
        server.accepted(TlsVersion::Tls12, 0xc02f)
    );
    // TLS 1.0 and 1.1 are enabled, but security level 1 forbids their MD5+SHA-1 signatures:
    // OpenSSL 3.0 fails with "no suitable signature algorithm" instead of protocol_version.
    assert_eq!(
        server.probe(TlsVersion::Tls11),
        refused("the server sent fatal alert internal_error (80)")
    );
    assert_eq!(
        server.probe(TlsVersion::Tls10),
        refused("the server sent fatal alert internal_error (80)")
    );
}
