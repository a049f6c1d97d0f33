//! Test kit for certprobe: a PKI made with rcgen when the tests run (relative to the clock,
//! so nothing committed ever expires), and servers on loopback that present it: in-process
//! rustls servers, misbehaving raw servers, and `openssl s_server` for what ring cannot sign
//! with (RSA below 2048 bits).

pub mod ocsp_responder;
mod pki;
pub mod postgres;
mod servers;
pub mod smtp_sink;

pub use pki::{Ca, KeyType, Leaf, LeafSpec};
pub use servers::{
    finish_tls, openssl_server, openssl_server_with, read_line, refused_port, serve, serve_at,
    serve_bytes, serve_raw, serve_stapled, serve_tls_at, serve_trickle, serve_with, tls_config,
    Misbehaviour, OpensslServer, Running, Server,
};

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Writes `contents` to a fresh file in a per-process temporary folder and returns its path.
pub fn write_temp(name: &str, contents: &[u8]) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("certprobe-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let path = dir.join(format!("{}-{name}", COUNTER.fetch_add(1, Ordering::SeqCst)));
    std::fs::write(&path, contents).expect("temporary file");
    path
}

/// PEM text of one DER certificate.
pub fn pem(der: &[u8]) -> String {
    pem_block("CERTIFICATE", der)
}

/// A PEM block with 64-character lines.
pub(crate) fn pem_block(label: &str, der: &[u8]) -> String {
    let body = certprobe::encoding::base64(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}
