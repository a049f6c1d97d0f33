//! A loopback endpoint for the benchmark: a TLS server whose certificate names an OCSP
//! responder, and that responder, both in this process. Prints `PORT ROOT_PEM_PATH` and serves
//! until stdin closes.
//!
//!     cargo run --release --example bench_endpoint

use certprobe_testkit::ocsp_responder::{
    build_response, http_server, issue_with_urls, OcspReply, ResponseSpec,
};
use certprobe_testkit::{serve, write_temp, Ca};
use std::io::Read;
use std::sync::{Arc, Mutex};

fn main() {
    let root = Ca::root("bench root");
    let intermediate = Arc::new(root.intermediate("bench intermediate", 1000.0));
    let slot: Arc<Mutex<Vec<u8>>> = Arc::default();
    let (cert, issuer) = (slot.clone(), intermediate.clone());
    let (base, _) = http_server(
        move |_| {
            let leaf = cert.lock().unwrap_or_else(|p| p.into_inner()).clone();
            build_response(&leaf, &issuer, &ResponseSpec::new(OcspReply::Good))
        },
        vec![],
    );
    let leaf = issue_with_urls(&intermediate, "bench.example", &[&format!("{base}/")], &[]);
    *slot.lock().unwrap_or_else(|p| p.into_inner()) = leaf.der.clone();
    let server = serve(vec![leaf.der, intermediate.der()], leaf.key_pkcs8);
    let root_file = write_temp("bench-root.pem", root.pem().as_bytes());
    println!("{} {}", server.port, root_file.display());
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}
