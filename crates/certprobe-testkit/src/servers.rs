//! Servers on 127.0.0.1 for the tests and the demo. Each runs on background threads for
//! the life of the process (or, for `openssl s_server`, until dropped).

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// A server listening on 127.0.0.1.
#[derive(Debug, Clone, Copy)]
pub struct Server {
    pub port: u16,
}

/// A TLS server that presents `chain` (leaf first, as sent) with the leaf's PKCS#8 key.
pub fn serve(chain: Vec<Vec<u8>>, key_pkcs8: Vec<u8>) -> Server {
    let config = tls_config(chain, key_pkcs8);
    serve_with(move |stream| finish_tls(stream, &config))
}

/// A TLS server that staples `ocsp` (a DER OCSPResponse) to every handshake.
pub fn serve_stapled(chain: Vec<Vec<u8>>, key_pkcs8: Vec<u8>, ocsp: Vec<u8>) -> Server {
    let config = stapled_config(chain, key_pkcs8, ocsp);
    serve_with(move |stream| finish_tls(stream, &config))
}

fn stapled_config(chain: Vec<Vec<u8>>, key_pkcs8: Vec<u8>, ocsp: Vec<u8>) -> Arc<ServerConfig> {
    server_config(chain, key_pkcs8, ocsp)
}

/// A rustls server configuration presenting `chain` with the leaf's PKCS#8 key.
pub fn tls_config(chain: Vec<Vec<u8>>, key_pkcs8: Vec<u8>) -> Arc<ServerConfig> {
    server_config(chain, key_pkcs8, Vec::new())
}

/// The one server configuration; an empty `ocsp` staples nothing.
fn server_config(chain: Vec<Vec<u8>>, key_pkcs8: Vec<u8>, ocsp: Vec<u8>) -> Arc<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> = chain.into_iter().map(CertificateDer::from).collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8));
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert_with_ocsp(certs, key, ocsp)
        .expect("server certificate and key");
    Arc::new(config)
}

/// Runs the server side of a TLS handshake on `stream`, then serves until the client leaves.
pub fn finish_tls(mut stream: TcpStream, config: &Arc<ServerConfig>) {
    let Ok(mut conn) = ServerConnection::new(config.clone()) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    while conn.is_handshaking() {
        if conn.complete_io(&mut stream).is_err() {
            return;
        }
    }
    let _ = conn.complete_io(&mut stream);
}

/// Reads one line (up to LF) from a client, byte by byte; empty at EOF.
pub fn read_line(stream: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while let Ok(1) = stream.read(&mut byte) {
        line.push(byte[0]);
        if byte[0] == b'\n' {
            break;
        }
    }
    String::from_utf8_lossy(&line).into_owned()
}

/// Ways a server can fail a client.
#[derive(Debug, Clone, Copy)]
pub enum Misbehaviour {
    /// Accepts and never sends a byte.
    Silent,
    /// Answers like a plain HTTP server.
    PlainHttp,
    /// Reads the ClientHello and closes.
    CloseMidHandshake,
}

pub fn serve_raw(behaviour: Misbehaviour) -> Server {
    serve_with(move |mut stream| {
        let mut buf = [0u8; 4096];
        match behaviour {
            Misbehaviour::Silent => {
                std::thread::sleep(Duration::from_secs(60));
            }
            Misbehaviour::PlainHttp => {
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
            Misbehaviour::CloseMidHandshake => {
                let _ = stream.read(&mut buf);
            }
        }
    })
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn refused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A server on 127.0.0.1 that runs `handle` on a thread for each connection: for fakes that
/// speak a protocol just well enough, or wrongly on purpose.
pub fn serve_with(handle: impl Fn(TcpStream) + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = listener.local_addr().expect("addr").port();
    let handle = Arc::new(handle);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handle = handle.clone();
            std::thread::spawn(move || handle(stream));
        }
    });
    Server { port }
}

/// A server that sends `bytes` as soon as a client connects, whatever the client says, then
/// reads and discards what the client sends until it leaves (at most 30 s): another protocol
/// on the port, or garbage.
pub fn serve_bytes(bytes: impl Into<Vec<u8>>) -> Server {
    serve_trickle(bytes, 0, Duration::ZERO)
}

/// A server that sends `bytes` in pieces of `piece` bytes (all at once when 0), `pause`
/// apart, then reads and discards what the client sends until it leaves (at most 30 s).
pub fn serve_trickle(bytes: impl Into<Vec<u8>>, piece: usize, pause: Duration) -> Server {
    let bytes: Vec<u8> = bytes.into();
    serve_with(move |mut stream| {
        let piece = if piece == 0 {
            bytes.len().max(1)
        } else {
            piece
        };
        for chunk in bytes.chunks(piece) {
            if stream.write_all(chunk).is_err() {
                return;
            }
            std::thread::sleep(pause);
        }
        drain(&mut stream);
    })
}

/// Reads and discards until the client closes, errs, or 30 s pass.
fn drain(stream: &mut TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut sink = [0u8; 4096];
    while let Ok(n) = stream.read(&mut sink) {
        if n == 0 {
            break;
        }
    }
}

/// `openssl s_server` presenting a certificate, for keys ring cannot sign with.
/// Killed when dropped.
pub struct OpensslServer {
    pub port: u16,
    child: Child,
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `openssl s_server` on a free loopback port with security level 0, so that weak
/// keys are served, and waits until it accepts connections. `chain_pem` (may be empty)
/// is sent after the leaf.
pub fn openssl_server(leaf_pem: &str, chain_pem: &str, key_pem: &str) -> OpensslServer {
    openssl_server_with(leaf_pem, chain_pem, key_pem, &[])
}

/// `openssl s_server` as above with further options, e.g. `-tls1` or `-cipher AES128-SHA`.
pub fn openssl_server_with(
    leaf_pem: &str,
    chain_pem: &str,
    key_pem: &str,
    extra: &[&str],
) -> OpensslServer {
    let cert = crate::write_temp("server.pem", leaf_pem.as_bytes());
    let chain = crate::write_temp("chain.pem", chain_pem.as_bytes());
    let chain_args: Vec<std::ffi::OsString> = if chain_pem.is_empty() {
        Vec::new()
    } else {
        vec!["-cert_chain".into(), chain.into_os_string()]
    };
    let key = crate::write_temp("server.key", key_pem.as_bytes());
    for _ in 0..20 {
        let port = refused_port();
        let mut child = Command::new("openssl")
            .args([
                "s_server",
                "-quiet",
                "-naccept",
                "1000",
                "-cipher",
                "DEFAULT:@SECLEVEL=0",
            ])
            .arg("-accept")
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .args(chain_args.iter())
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl is installed (tests/setup.sh)");
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return OpensslServer { port, child };
            }
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("openssl s_server did not start");
}

/// A server on a chosen address that stops (and frees its port) when dropped: for scans of
/// many loopback addresses, and for endpoints that go away and come back.
pub struct Running {
    pub addr: std::net::SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Listens on `addr` (port 0 for any) and runs `handle` on a thread per connection until
/// dropped.
pub fn serve_at(
    addr: std::net::SocketAddr,
    handle: impl Fn(TcpStream) + Send + Sync + 'static,
) -> std::io::Result<Running> {
    let listener = TcpListener::bind(addr)?;
    let addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let handle = Arc::new(handle);
    let flag = stop.clone();
    let thread = std::thread::spawn(move || {
        while !flag.load(std::sync::atomic::Ordering::SeqCst) {
            match listener.accept() {
                Ok((stream, _)) => {
                    let _ = stream.set_nonblocking(false);
                    let handle = handle.clone();
                    std::thread::spawn(move || handle(stream));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
    });
    Ok(Running {
        addr,
        stop,
        thread: Some(thread),
    })
}

/// A TLS server on `addr` presenting `chain` until dropped.
pub fn serve_tls_at(
    addr: std::net::SocketAddr,
    chain: Vec<Vec<u8>>,
    key_pkcs8: Vec<u8>,
) -> std::io::Result<Running> {
    let config = tls_config(chain, key_pkcs8);
    serve_at(addr, move |stream| finish_tls(stream, &config))
}
