//! check_tls_cert: the certificate of any direct-TLS service (HTTPS, IMAPS, LDAPS, ...).
fn main() {
    certprobe_cli::main(certprobe_cli::TLS_CERT)
}
